//! `rpmdb.sqlite`: the input is written to a temporary file (SQLite needs a
//! path) and read with `rpm::sqlite::for_each_blob`, then every blob is parsed.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use uproot_collect::rpm::{parse_header, sqlite};

fn db_path() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("uproot-fuzz-sqlite")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().join("rpmdb.sqlite");
        (dir, path)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let path = db_path();
    std::fs::write(path, data).expect("writing the temp database");
    let mut total = 0usize;
    let mut visit = |b: uproot_collect::rpm::Blob| {
        total += b.data.len();
        let _ = parse_header(&b.data);
    };
    let _errors = sqlite::for_each_blob(path, &mut visit);
    // Documented bound: the blobs read are held to the file's length.
    assert!(total <= data.len(), "{total} blob bytes from a {}-byte file", data.len());
    // An immutable open must never leave -wal/-shm/-journal files behind.
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.clone().into_os_string();
        side.push(suffix);
        assert!(
            !std::path::Path::new(&side).exists(),
            "reading created {}",
            PathBuf::from(side).display()
        );
    }
});

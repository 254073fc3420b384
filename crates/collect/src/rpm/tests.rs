//! The collector against real third-party rpm databases, each checked against
//! an answer from an independent tool (`rpm -qa` 4.18, or go-rpmdb's list made
//! with `rpm -qa` inside the image), plus hostile input.
//!
//! The `EXPECTED_*` files are `name|epoch|version|release|arch`. Their epoch
//! column comes from different query formats: `0` (`%{EPOCHNUM}`, cbl-mariner,
//! osquery, syft, libuuid), `(none)` (`%{EPOCH}`, libguestfs) or empty
//! (go-rpmdb's ndb list). `rpm -q --qf '%{EPOCH}'` shows that none of those
//! packages has an EPOCH tag of 0, so all three mean "no epoch". We print the
//! version as `rpm -q` does: `EPOCH:` only for a non-zero epoch, then
//! `VERSION-RELEASE`; an EPOCH tag of 0 prints like no epoch (rpm's `%{EVR}`
//! would show `0:` for it; the two compare equal).

use std::path::{Path, PathBuf};

use super::*;
use crate::{CollectOptions, Collector, Output, Root};

/// A file in the shared corpus; panics if the corpus is missing.
pub(crate) fn corpus(rel: &str) -> PathBuf {
    let base = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpora"
    ));
    let p = base.join(rel);
    assert!(
        p.exists(),
        "rpm corpus file {} is missing: the tests need the shared third-party corpus at {}",
        p.display(),
        base.display()
    );
    p
}

/// (name, version as we print it, arch), sorted.
type Listing = Vec<(String, String, Option<String>)>;

fn expected(rel: &str) -> Listing {
    let text = std::fs::read_to_string(corpus(rel)).unwrap();
    let mut rows: Listing = text
        .lines()
        .filter(|l| !l.starts_with("warning:") && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            assert_eq!(f.len(), 5, "bad expected line {l:?}");
            let epoch = match f[1] {
                "" | "0" | "(none)" => String::new(),
                e => format!("{e}:"),
            };
            let arch = (f[4] != "(none)").then(|| f[4].to_owned());
            (f[0].to_owned(), format!("{epoch}{}-{}", f[2], f[3]), arch)
        })
        .collect();
    rows.sort();
    rows
}

fn listing(out: &Output) -> Listing {
    let mut rows: Listing = out
        .inventory
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.arch.clone()))
        .collect();
    rows.sort();
    rows
}

/// A scan root holding `bytes` at the in-root `path`.
fn root_with(path: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join(path.trim_start_matches('/'));
    std::fs::create_dir_all(host.parent().unwrap()).unwrap();
    std::fs::write(&host, bytes).unwrap();
    dir
}

fn scan(dir: &Path) -> Output {
    let mut out = Output::default();
    Rpm.collect(
        &Root::new(dir, false).unwrap(),
        &CollectOptions::default(),
        &mut out,
    );
    out
}

fn xz(rel: &str) -> Vec<u8> {
    let mut input = std::io::BufReader::new(std::fs::File::open(corpus(rel)).unwrap());
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut input, &mut out).unwrap();
    out
}

/// Scans `bytes` placed at `path` and checks the listing against `expect`.
fn check(path: &str, bytes: &[u8], expect: &str, count: usize) -> Output {
    let dir = root_with(path, bytes);
    let out = scan(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let want = expected(expect);
    assert_eq!(want.len(), count, "expected file {expect}");
    assert_eq!(listing(&out), want);
    assert!(out
        .inventory
        .packages
        .iter()
        .all(|p| p.source == PackageSource::Rpm && p.location == path));
    out
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(corpus(rel)).unwrap()
}

#[test]
fn ndb_sle15_bci_matches_go_rpmdb() {
    let out = check(
        "/usr/lib/sysimage/rpm/Packages.db",
        &read("go-rpmdb/pkg/testdata/sle15-bci/Packages.db"),
        "go-rpmdb/EXPECTED_go-rpmdb_sle15-bci_ndb.txt",
        35,
    );
    let bash = out
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "bash")
        .unwrap();
    assert_eq!(
        bash.vendor.as_deref(),
        Some("SUSE LLC <https://www.suse.com/>")
    );
}

#[test]
fn sqlite_cbl_mariner_matches_rpm() {
    let out = check(
        "/var/lib/rpm/rpmdb.sqlite",
        &xz("go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite.xz"),
        "go-rpmdb/EXPECTED_rpm-qa_cbl-mariner-2.0.txt",
        129,
    );
    let ca = out
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "ca-certificates-base")
        .unwrap();
    assert_eq!(ca.version, "1:2.0.0-1.cm2");
    assert_eq!(ca.vendor.as_deref(), Some("Microsoft Corporation"));
}

#[test]
fn bdb_libuuid_matches_rpm() {
    let out = check(
        "/var/lib/rpm/Packages",
        &read("go-rpmdb/pkg/testdata/libuuid/Packages"),
        "go-rpmdb/EXPECTED_rpm-qa_libuuid.txt",
        1,
    );
    assert_eq!(
        out.inventory.packages[0].vendor.as_deref(),
        Some("Red Hat, Inc.")
    );
}

#[test]
fn osquery_bdb_matches_rpm() {
    check(
        "/var/lib/rpm/Packages",
        &read("osquery/tools/tests/configs/rpm/rpm-bdb/Packages"),
        "osquery/EXPECTED_rpm-qa_rpm-bdb.txt",
        3,
    );
}

#[test]
fn osquery_sqlite_matches_rpm() {
    check(
        "/var/lib/rpm/rpmdb.sqlite",
        &read("osquery/tools/tests/configs/rpm/rpm-sqlite/rpmdb.sqlite"),
        "osquery/EXPECTED_rpm-qa_rpm-sqlite.txt",
        9,
    );
}

/// No big-endian database is in the corpus (go-rpmdb's s390x one is too large),
/// so the osquery records are rebuilt big-endian, with 4 KiB and 512-byte
/// pages; rpm 4.18's `bdb_ro` lists the rebuilt files exactly as the original.
#[test]
fn bdb_big_endian_rebuild_matches_rpm() {
    let original = read("osquery/tools/tests/configs/rpm/rpm-bdb/Packages");
    let (blobs, errors) = bdb::read_blobs(std::io::Cursor::new(original));
    assert!(errors.is_empty(), "{errors:?}");
    let records: Vec<(u32, Vec<u8>)> = blobs.into_iter().map(|b| (b.instance, b.data)).collect();
    for page_size in [4096, 512] {
        check(
            "/var/lib/rpm/Packages",
            &bdb::build::hash_db(&records, true, page_size),
            "osquery/EXPECTED_rpm-qa_rpm-bdb.txt",
            3,
        );
    }
}

/// No rpm with ndb was at hand, so the answer is osquery's own test assertion
/// (`rpm_packages_tests.cpp`, via the corpus README).
#[test]
fn osquery_ndb_matches_osquery_test() {
    let dir = root_with(
        "/var/lib/rpm/Packages.db",
        &read("osquery/tools/tests/configs/rpm/rpm-ndb/Packages.db"),
    );
    let out = scan(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let mut got: Vec<(String, String)> = out
        .inventory
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.split('-').next().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("binutils", "2.35.1"),
        ("ncurses-devel", "6.1"),
        ("zlib-devel", "1.2.11"),
    ];
    assert_eq!(got, want.map(|(n, v)| (n.to_owned(), v.to_owned())));
}

#[test]
fn syft_redhat_bdb_matches_rpm() {
    let out = check(
        "/var/lib/rpm/Packages",
        &read("syft/syft/pkg/cataloger/redhat/testdata/Packages"),
        "syft/EXPECTED_rpm-qa_redhat_Packages.txt",
        1,
    );
    // dive has no Vendor tag: the Packager stands in.
    assert_eq!(
        out.inventory.packages[0].vendor.as_deref(),
        Some("Alex Goodman")
    );
}

#[test]
fn osv_scalibr_epoch_matches_rpm() {
    let out = check(
        "/var/lib/rpm/Packages",
        &read("osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch"),
        "osv-scalibr/EXPECTED_rpm-qa_Packages_epoch.txt",
        1,
    );
    assert_eq!(out.inventory.packages[0].version, "1:0.0.1-rls");
}

/// The SQL dump is loaded into a fresh database, as the corpus README did with `sqlite3`.
#[test]
fn libguestfs_fedora_dump_matches_rpm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("usr/share/rpm/rpmdb.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let sql = String::from_utf8(xz("libguestfs/fedora-db.sql.xz")).unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(&sql)
        .unwrap();
    let out = scan(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let want = expected("libguestfs/EXPECTED_rpm-qa_fedora-db.txt");
    assert_eq!(want.len(), 17);
    assert_eq!(listing(&out), want);
    // rpm -qa lists the gpg-pubkey pseudo-package, and so do we.
    let key = out
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "gpg-pubkey")
        .unwrap();
    assert_eq!(
        (key.version.as_str(), key.arch.as_deref()),
        ("9570ff31-5e3006fb", None)
    );
    assert!(out
        .inventory
        .packages
        .iter()
        .all(|p| p.location == "/usr/share/rpm/rpmdb.sqlite"));
}

/// An immutable open must leave the directory exactly as it was: the osquery
/// database is in WAL mode, where a plain read-only open creates `-wal`/`-shm`.
#[test]
fn sqlite_scan_creates_no_files() {
    let bytes = read("osquery/tools/tests/configs/rpm/rpm-sqlite/rpmdb.sqlite");
    assert_eq!(&bytes[18..20], &[2, 2], "fixture should be a WAL database");
    let dir = root_with("/var/lib/rpm/rpmdb.sqlite", &bytes);
    let db_dir = dir.path().join("var/lib/rpm");
    let list = || {
        let mut v: Vec<_> = std::fs::read_dir(&db_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let before = list();
    let mtime = std::fs::metadata(db_dir.join("rpmdb.sqlite"))
        .unwrap()
        .modified()
        .unwrap();
    let out = scan(dir.path());
    assert_eq!(out.inventory.packages.len(), 9);
    assert_eq!(list(), before);
    assert_eq!(
        std::fs::metadata(db_dir.join("rpmdb.sqlite"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
    assert_eq!(std::fs::read(db_dir.join("rpmdb.sqlite")).unwrap(), bytes);
}

#[test]
fn non_empty_wal_is_reported() {
    let dir = root_with(
        "/var/lib/rpm/rpmdb.sqlite",
        &read("osquery/tools/tests/configs/rpm/rpm-sqlite/rpmdb.sqlite"),
    );
    std::fs::write(dir.path().join("var/lib/rpm/rpmdb.sqlite-wal"), [0u8; 100]).unwrap();
    let out = scan(dir.path());
    assert_eq!(out.inventory.packages.len(), 9);
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0]
            .message
            .contains("/var/lib/rpm/rpmdb.sqlite-wal holds 100 bytes"),
        "{:?}",
        out.errors
    );
}

#[test]
fn symlinked_directory_is_read_once() {
    let dir = root_with(
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        &read("osquery/tools/tests/configs/rpm/rpm-sqlite/rpmdb.sqlite"),
    );
    std::fs::create_dir_all(dir.path().join("var/lib")).unwrap();
    std::os::unix::fs::symlink("../../usr/lib/sysimage/rpm", dir.path().join("var/lib/rpm"))
        .unwrap();
    let out = scan(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.inventory.packages.len(), 9);
    assert!(out
        .inventory
        .packages
        .iter()
        .all(|p| p.location == "/var/lib/rpm/rpmdb.sqlite"));
}

#[test]
fn hard_link_is_read_once() {
    let dir = root_with(
        "/var/lib/rpm/Packages",
        &read("go-rpmdb/pkg/testdata/libuuid/Packages"),
    );
    std::fs::create_dir_all(dir.path().join("usr/share/rpm")).unwrap();
    std::fs::hard_link(
        dir.path().join("var/lib/rpm/Packages"),
        dir.path().join("usr/share/rpm/Packages"),
    )
    .unwrap();
    assert_eq!(scan(dir.path()).inventory.packages.len(), 1);
}

#[test]
fn every_backend_in_one_root() {
    let dir = root_with(
        "/var/lib/rpm/Packages",
        &read("osquery/tools/tests/configs/rpm/rpm-bdb/Packages"),
    );
    let ndb = dir.path().join("usr/lib/sysimage/rpm/Packages.db");
    std::fs::create_dir_all(ndb.parent().unwrap()).unwrap();
    std::fs::write(
        ndb,
        read("osquery/tools/tests/configs/rpm/rpm-ndb/Packages.db"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("var/lib/rpm/rpmdb.sqlite"),
        read("osquery/tools/tests/configs/rpm/rpm-sqlite/rpmdb.sqlite"),
    )
    .unwrap();
    let out = scan(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.inventory.packages.len(), 3 + 3 + 9);
}

#[test]
fn nothing_there_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(dir.path());
    assert!(out.errors.is_empty() && out.inventory.packages.is_empty());
    // Empty placeholder files, as some images ship, hold no packages and no error.
    let dir = root_with("/var/lib/rpm/Packages", b"");
    let out = scan(dir.path());
    assert!(out.errors.is_empty() && out.inventory.packages.is_empty());
}

/// syft's glob-path fixtures hold the word "bogus" in every database file.
#[test]
fn syft_bogus_files_are_errors_naming_each_file() {
    let dir = root_with("/var/lib/rpm/Packages", b"bogus");
    for f in ["rpmdb.sqlite", "Packages.db"] {
        std::fs::write(dir.path().join("var/lib/rpm").join(f), b"bogus").unwrap();
    }
    let out = scan(dir.path());
    let mut sources: Vec<_> = out.errors.iter().map(|e| e.source.as_str()).collect();
    sources.sort();
    assert_eq!(
        sources,
        [
            "/var/lib/rpm/Packages",
            "/var/lib/rpm/Packages.db",
            "/var/lib/rpm/rpmdb.sqlite"
        ]
    );
    assert!(out
        .errors
        .iter()
        .all(|e| e.message.starts_with("not an rpm database")));
}

// ---- Hostile input: never a panic, always an error naming the file. ----

/// Scans `bytes` at `path` and returns the errors, all of which must name the file.
fn hostile(path: &str, bytes: &[u8]) -> Output {
    let dir = root_with(path, bytes);
    let out = scan(dir.path());
    assert!(
        out.errors.iter().all(|e| e.source == path),
        "{:?}",
        out.errors
    );
    out
}

fn real_dbs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "/var/lib/rpm/Packages",
            read("go-rpmdb/pkg/testdata/libuuid/Packages"),
        ),
        (
            "/var/lib/rpm/Packages",
            read("osquery/tools/tests/configs/rpm/rpm-bdb/Packages"),
        ),
        (
            "/var/lib/rpm/Packages.db",
            read("osquery/tools/tests/configs/rpm/rpm-ndb/Packages.db"),
        ),
        (
            "/var/lib/rpm/rpmdb.sqlite",
            read("osquery/tools/tests/configs/rpm/rpm-sqlite/rpmdb.sqlite"),
        ),
    ]
}

#[test]
fn truncated_databases_are_errors() {
    for (path, bytes) in real_dbs() {
        for len in [
            1,
            15,
            16,
            100,
            512,
            4096,
            5000,
            bytes.len() / 2,
            bytes.len() - 1,
        ] {
            let out = hostile(path, &bytes[..len]);
            assert!(
                !out.errors.is_empty(),
                "{path} cut to {len} bytes gave no error"
            );
        }
    }
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_bytes_behind_each_magic_are_errors() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for (path, prefix) in [
        (
            "/var/lib/rpm/Packages",
            &[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x61, 0x15, 0x06, 0][..],
        ),
        (
            "/var/lib/rpm/Packages",
            &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x06, 0x15, 0x61][..],
        ),
        ("/var/lib/rpm/Packages.db", b"RpmP\0\0\0\0"),
        ("/var/lib/rpm/rpmdb.sqlite", sqlite::MAGIC),
        ("/var/lib/rpm/Packages", b""),
    ] {
        let mut bytes = prefix.to_vec();
        bytes.extend((0..20_000).map(|_| rng.next() as u8));
        let out = hostile(path, &bytes);
        assert!(!out.errors.is_empty(), "{path}");
    }
}

/// Flips random bytes of real databases and drives the byte-level readers:
/// whatever happens must be an orderly result.
#[test]
fn mutated_real_databases_never_panic() {
    let mut rng = XorShift(42);
    for (_, bytes) in real_dbs()
        .into_iter()
        .filter(|(p, _)| !p.ends_with(".sqlite"))
    {
        for _ in 0..150 {
            let mut m = bytes.clone();
            for _ in 0..1 + rng.next() % 8 {
                let at = (rng.next() % m.len() as u64) as usize;
                m[at] = rng.next() as u8;
            }
            let _ = read_headers(std::io::Cursor::new(m));
        }
    }
}

#[test]
fn bdb_overflow_loop_is_reported_against_the_file() {
    let blobs = vec![
        (1, header::tests::sample("kept", None)),
        (2, vec![7u8; 2000]),
    ];
    let mut db = bdb::build::hash_db(&blobs, true, 512);
    // Record 2 spans pages 3..=7; make page 6 point back at page 4.
    db[6 * 512 + 16..6 * 512 + 20].copy_from_slice(&4u32.to_be_bytes());
    let out = hostile("/var/lib/rpm/Packages", &db);
    assert_eq!(
        listing(&out),
        [(
            "kept".to_owned(),
            "1.2-3.el9".to_owned(),
            Some("x86_64".to_owned())
        )]
    );
    let messages: Vec<_> = out
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.source, e.message))
        .collect();
    assert_eq!(messages, ["/var/lib/rpm/Packages: BerkeleyDB page 1 overflow chain loops (page 4 is reached twice)"]);
}

#[test]
fn ndb_slot_past_eof_is_reported_against_the_file() {
    let mut db = read("go-rpmdb/pkg/testdata/sle15-bci/Packages.db");
    db[32 + 8..32 + 12].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    let out = hostile("/usr/lib/sysimage/rpm/Packages.db", &db);
    assert_eq!(out.inventory.packages.len(), 34);
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0]
            .message
            .contains("slot 0 (package 1) points at bytes"),
        "{:?}",
        out.errors
    );
}

#[test]
fn header_with_huge_index_count_is_reported_against_the_file() {
    let mut db = read("go-rpmdb/pkg/testdata/sle15-bci/Packages.db");
    // Slot 0's blob: 16-byte blob header, then the rpm header's entry count.
    let blob = u32::from_le_bytes(db[40..44].try_into().unwrap()) as usize * 16;
    db[blob + 16..blob + 20].copy_from_slice(&u32::MAX.to_be_bytes());
    let out = hostile("/var/lib/rpm/Packages.db", &db);
    assert_eq!(out.inventory.packages.len(), 34);
    let messages: Vec<_> = out.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        ["package 1: header declares 4294967295 index entries (rpm allows at most 65535)"]
    );
}

#[test]
fn sqlite_header_with_huge_index_count_is_reported_against_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("var/lib/rpm/rpmdb.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
    )
    .unwrap();
    let mut bad = header::tests::sample("bad", None);
    bad[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    for b in [header::tests::sample("good", Some(5)), bad] {
        conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])
            .unwrap();
    }
    drop(conn);
    let out = scan(dir.path());
    assert_eq!(
        listing(&out),
        [(
            "good".to_owned(),
            "5:1.2-3.el9".to_owned(),
            Some("x86_64".to_owned())
        )]
    );
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].source, "/var/lib/rpm/rpmdb.sqlite");
    assert!(
        out.errors[0]
            .message
            .starts_with("package 2: header declares 4294967295"),
        "{:?}",
        out.errors
    );
}

#[test]
fn many_errors_are_capped() {
    // Every slot's magic is broken: the reader gives up, the report stays short.
    let mut db = read("go-rpmdb/pkg/testdata/sle15-bci/Packages.db");
    for slot in db[32..4096].chunks_exact_mut(16) {
        slot[0] = b'X';
    }
    let out = hostile("/var/lib/rpm/Packages.db", &db);
    assert_eq!(out.errors.len(), REPORTED_ERRORS + 1);
    assert!(out
        .errors
        .last()
        .unwrap()
        .message
        .ends_with("more errors not shown"));
}

#[test]
fn fifo_in_place_of_a_database_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("var/lib/rpm");
    std::fs::create_dir_all(&p).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(p.join("Packages"))
        .status()
        .unwrap()
        .success());
    let out = scan(dir.path());
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.errors[0].source, "/var/lib/rpm/Packages");
}

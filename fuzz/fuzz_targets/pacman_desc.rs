//! pacman `local/<name-ver-rel>/desc` parser and the directory-name splitter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_collect::pacman::{parse_desc, split_dir_name};

fn check_split(dir: &str) {
    if let Some((name, ver)) = split_dir_name(dir) {
        assert!(!name.is_empty(), "empty name from {dir:?}");
        assert_eq!(format!("{name}-{ver}"), dir, "split does not rebuild {dir:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_desc(&text);
    check_split(&text);
    for line in text.lines().take(64) {
        check_split(line);
    }
});

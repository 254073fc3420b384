//! Browser-extension JSON (Chromium `manifest.json` + `_locales` messages,
//! Firefox `extensions.json`), through the real collector on a temporary root.
//!
//! The input is written to all three files, so one JSON document can carry a
//! manifest, its messages and a Firefox `addons` array. A canary messages file
//! sits *outside* the root: a `default_locale` such as `../../..` must never
//! reach it (the root clamps `..`).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use uproot_collect::browser::BrowserExtensions;
use uproot_collect::{CollectOptions, Collector, Output, Root};

const CANARY: &str = "CANARY-OUTSIDE-THE-ROOT";
const EXT: &str = "home/u/.config/google-chrome/Default/Extensions/abcdefghijklmnopabcdefghijklmnop/1.0";
const FIREFOX: &str = "home/u/.mozilla/firefox/p.default";

struct Env {
    _dir: tempfile::TempDir,
    root: Root,
    files: [PathBuf; 3],
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("uproot-fuzz-browser")
            .tempdir()
            .expect("temp dir");
        let base = dir.path().join("root");
        let mk = |p: &Path| std::fs::create_dir_all(p).expect("mkdir");
        mk(&base.join(EXT).join("_locales/en"));
        mk(&base.join(FIREFOX));
        // Canaries outside the root, at every depth a `..` chain could aim for.
        let canary = format!(r#"{{"k":{{"message":"{CANARY}"}},"name":{{"message":"{CANARY}"}}}}"#);
        for d in ["_locales/x", "x", "en", "_locales/en"] {
            let p = dir.path().join(d);
            mk(&p);
            std::fs::write(p.join("messages.json"), &canary).expect("canary");
        }
        let root = Root::new(&base, false).expect("root");
        let files = [
            base.join(EXT).join("manifest.json"),
            base.join(EXT).join("_locales/en/messages.json"),
            base.join(FIREFOX).join("extensions.json"),
        ];
        Env { _dir: dir, root, files }
    })
}

fuzz_target!(|data: &[u8]| {
    let env = env();
    for f in &env.files {
        std::fs::write(f, data).expect("write");
    }
    let mut out = Output::default();
    BrowserExtensions.collect(&env.root, &CollectOptions::default(), &mut out);
    for e in &out.inventory.browser_extensions {
        assert!(
            e.name.as_deref() != Some(CANARY),
            "read a messages file outside the root: {e:?}"
        );
    }
});

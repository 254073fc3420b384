//! Browser extensions in every profile of every user: Chrome, Chromium, Edge,
//! Brave (and their Flatpak/Snap homes), and Firefox.
//!
//! osquery's users kept finding browsers and profiles it missed (#5800, #8377,
//! #8985), so profiles are discovered, not assumed: any directory under a
//! browser's data dir that holds `Extensions/` is a Chromium profile, and any
//! Firefox profile with `extensions.json` is read. Extension names written as
//! `__MSG_name__` are resolved through `_locales`.

use serde_json::Value;
use uproot_inventory::BrowserExtension;

use crate::root::{join, EntryType};
use crate::{users, CollectOptions, Collector, Output, Root};

/// The browser-extension collector.
pub struct BrowserExtensions;

/// (browser, data dir relative to the home) for Chromium-family browsers on
/// Linux, macOS and Windows, so that mounted images of any OS are covered.
const CHROMIUM_DIRS: &[(&str, &str)] = &[
    ("chrome", ".config/google-chrome"),
    ("chrome", ".config/google-chrome-beta"),
    ("chrome", ".var/app/com.google.Chrome/config/google-chrome"),
    ("chromium", ".config/chromium"),
    ("chromium", "snap/chromium/common/chromium"),
    ("chromium", ".var/app/org.chromium.Chromium/config/chromium"),
    ("edge", ".config/microsoft-edge"),
    ("brave", ".config/BraveSoftware/Brave-Browser"),
    ("chrome", "Library/Application Support/Google/Chrome"),
    ("chromium", "Library/Application Support/Chromium"),
    ("edge", "Library/Application Support/Microsoft Edge"),
    (
        "brave",
        "Library/Application Support/BraveSoftware/Brave-Browser",
    ),
    ("chrome", "AppData/Local/Google/Chrome/User Data"),
    ("chromium", "AppData/Local/Chromium/User Data"),
    ("edge", "AppData/Local/Microsoft/Edge/User Data"),
    (
        "brave",
        "AppData/Local/BraveSoftware/Brave-Browser/User Data",
    ),
];

const FIREFOX_DIRS: &[&str] = &[
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    ".var/app/org.mozilla.firefox/.mozilla/firefox",
    "Library/Application Support/Firefox/Profiles",
    "AppData/Roaming/Mozilla/Firefox/Profiles",
];

impl Collector for BrowserExtensions {
    fn name(&self) -> &'static str {
        "browser"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        for home in users::homes(root) {
            for (browser, rel) in CHROMIUM_DIRS {
                let data = join(&home, rel);
                for profile in subdirs(root, &data) {
                    let ext_dir = join(&profile, "Extensions");
                    if root.is_dir(&ext_dir) {
                        chromium_profile(root, browser, &profile, &ext_dir, out);
                    }
                }
            }
            for rel in FIREFOX_DIRS {
                for profile in subdirs(root, &join(&home, rel)) {
                    let db = join(&profile, "extensions.json");
                    if root.exists(&db) {
                        firefox_profile(root, &profile, &db, out);
                    }
                }
            }
        }
    }
}

fn subdirs(root: &Root, dir: &str) -> Vec<String> {
    root.read_dir(dir)
        .map(|es| {
            es.into_iter()
                .filter(|e| e.file_type == EntryType::Dir)
                .map(|e| join(dir, &e.name))
                .collect()
        })
        .unwrap_or_default()
}

fn chromium_profile(root: &Root, browser: &str, profile: &str, ext_dir: &str, out: &mut Output) {
    for id_dir in subdirs(root, ext_dir) {
        let id = id_dir.rsplit('/').next().unwrap_or_default().to_owned();
        if id == "Temp" {
            continue;
        }
        for version_dir in subdirs(root, &id_dir) {
            let manifest = join(&version_dir, "manifest.json");
            let json = match read_json(root, &manifest) {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(e) => {
                    out.error(&manifest, e);
                    continue;
                }
            };
            let name = json
                .get("name")
                .and_then(Value::as_str)
                .map(|n| localise(root, &version_dir, &json, n));
            out.inventory.browser_extensions.push(BrowserExtension {
                browser: browser.to_owned(),
                id: id.clone(),
                name,
                version: json
                    .get("version")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                profile: profile.to_owned(),
                location: manifest,
            });
        }
    }
}

fn read_json(root: &Root, path: &str) -> Result<Option<Value>, String> {
    match root.read_limited(path, 8 << 20) {
        Ok(bytes) => {
            let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
            serde_json::from_slice(bytes)
                .map(Some)
                .map_err(|e| format!("invalid JSON: {e}"))
        }
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(crate::root_message(&e)),
    }
}

/// Resolves `__MSG_key__` through `_locales/<default_locale>/messages.json`
/// (or `message.json`, which some real extensions ship).
fn localise(root: &Root, dir: &str, manifest: &Value, name: &str) -> String {
    let Some(key) = name
        .strip_prefix("__MSG_")
        .and_then(|n| n.strip_suffix("__"))
    else {
        return name.to_owned();
    };
    let locale = manifest
        .get("default_locale")
        .and_then(Value::as_str)
        .unwrap_or("en");
    for file in ["messages.json", "message.json"] {
        let path = join(dir, &format!("_locales/{locale}/{file}"));
        if let Ok(Some(msgs)) = read_json(root, &path) {
            let found = msgs
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)));
            if let Some(msg) = found
                .and_then(|(_, v)| v.get("message"))
                .and_then(Value::as_str)
            {
                return msg.to_owned();
            }
        }
    }
    name.to_owned()
}

fn firefox_profile(root: &Root, profile: &str, db: &str, out: &mut Output) {
    let json = match read_json(root, db) {
        Ok(Some(v)) => v,
        Ok(None) => return,
        Err(e) => return out.error(db, e),
    };
    let Some(addons) = json.get("addons").and_then(Value::as_array) else {
        return out.error(db, "no `addons` array");
    };
    for a in addons {
        if a.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "extension")
        {
            continue;
        }
        let Some(id) = a.get("id").and_then(Value::as_str) else {
            continue;
        };
        out.inventory.browser_extensions.push(BrowserExtension {
            browser: "firefox".into(),
            id: id.to_owned(),
            name: a
                .pointer("/defaultLocale/name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            version: a.get("version").and_then(Value::as_str).map(str::to_owned),
            profile: profile.to_owned(),
            location: db.to_owned(),
        });
    }
}

//! Collectors run through `Root` on trees laid out like real systems: real
//! third-party files from `shared/corpora` placed at their real paths, and
//! the fixture roots that `scripts/fixtures/build.sh` makes with real tools.

mod common;

use common::corpora;
use std::path::{Path, PathBuf};

use uproot_collect::{
    browser, dpkg, flatpak, kmod, systemd, CollectOptions, Collector, Output, Root,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/roots")
        .join(name)
}

fn run(c: &dyn Collector, root: &Path) -> Output {
    let root = Root::new(root, false).unwrap();
    let mut out = Output::default();
    c.collect(&root, &CollectOptions::default(), &mut out);
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn velociraptor_status_keeps_the_last_stanza_it_dropped() {
    let text = std::fs::read_to_string(
        corpora().join("velociraptor/artifacts/testdata/files/debian/status"),
    )
    .unwrap();
    let (pkgs, errs) = dpkg::parse_status(&text, "/var/lib/dpkg/status", false);
    assert!(errs.is_empty(), "{errs:?}");
    let mut got: Vec<String> = pkgs
        .iter()
        .map(|p| format!("{}|{}", p.name, p.version))
        .collect();
    got.sort();
    let exp = std::fs::read_to_string(
        corpora().join("velociraptor/EXPECTED_dpkg-query_debian_status.txt"),
    )
    .unwrap();
    let mut want: Vec<String> = exp
        .lines()
        .map(|l| l.split('|').take(2).collect::<Vec<_>>().join("|"))
        .collect();
    want.sort();
    // Velociraptor's golden file has 5: it loses amd64-microcode, the stanza without a trailing blank line.
    assert_eq!(got, want);
    assert!(got.iter().any(|p| p.starts_with("amd64-microcode|")));
}

#[test]
fn libguestfs_malformed_status_fields_are_errors_per_package() {
    let text = std::fs::read_to_string(corpora().join("libguestfs/debian-packages")).unwrap();
    let (pkgs, errs) = dpkg::parse_status(&text, "/var/lib/dpkg/status", false);
    assert!(
        pkgs.is_empty(),
        "`Status: installed ok` is not a dpkg status; nothing may be guessed"
    );
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|e| e.contains("malformed Status `installed ok`")),
        "{errs:?}"
    );
}

#[test]
fn distroless_status_d_fixture() {
    let out = run(&dpkg::Dpkg, &fixture("status-d"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let mut names: Vec<&str> = out
        .inventory
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["hello-uproot", "kesl"]);
    assert!(out
        .inventory
        .packages
        .iter()
        .all(|p| p.location.starts_with("/var/lib/dpkg/status.d/")));
}

#[test]
fn flatpak_metainfo_versions_from_scalibr() {
    let dir = corpora().join("osv-scalibr/extractor/filesystem/os/flatpak/testdata");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(
        flatpak::release_version(&read("valid.xml")).as_deref(),
        Some("2.10.38")
    );
    assert_eq!(flatpak::release_version(&read("noversion.xml")), None);
    assert_eq!(flatpak::release_version(&read("empty.xml")), None);
}

#[test]
fn flatpak_system_install_is_found() {
    let t = tempfile::tempdir().unwrap();
    let active = t
        .path()
        .join("var/lib/flatpak/app/org.gimp.GIMP/x86_64/stable/active/files/share/metainfo");
    std::fs::create_dir_all(&active).unwrap();
    std::fs::copy(
        corpora().join("osv-scalibr/extractor/filesystem/os/flatpak/testdata/valid.xml"),
        active.join("org.gimp.GIMP.metainfo.xml"),
    )
    .unwrap();
    let out = run(&flatpak::Flatpak, t.path());
    assert_eq!(out.inventory.packages.len(), 1);
    let p = &out.inventory.packages[0];
    assert_eq!(
        (p.name.as_str(), p.version.as_str(), p.arch.as_deref()),
        ("org.gimp.GIMP", "2.10.38", Some("x86_64"))
    );
}

#[test]
fn chrome_extensions_from_scalibr_resolve_localised_names() {
    let t = tempfile::tempdir().unwrap();
    let src = corpora().join("osv-scalibr/extractor/filesystem/misc/chrome/extensions/testdata");
    let ext = t
        .path()
        .join("home/alice/.config/google-chrome/Profile 1/Extensions");
    for id in [
        "aapbdbdomjkkjkaonfhkkikfgjllcleb",
        "caaadbdomjkkjkaonfhkkikfgjllcleb",
        "ghbmnnjooekpmoecnnnilnnbdlolhkhi",
    ] {
        copy_tree(&src.join(id), &ext.join(id));
    }
    let out = run(&browser::BrowserExtensions, t.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let mut got: Vec<(String, String, String)> = out
        .inventory
        .browser_extensions
        .iter()
        .map(|e| {
            (
                e.id.clone(),
                e.name.clone().unwrap_or_default(),
                e.version.clone().unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    let want = [
        (
            "aapbdbdomjkkjkaonfhkkikfgjllcleb",
            "Google Translate",
            "2.0.16",
        ),
        (
            "caaadbdomjkkjkaonfhkkikfgjllcleb",
            "CryptoX Blockchain Wallet",
            "1.2.85",
        ),
        (
            "ghbmnnjooekpmoecnnnilnnbdlolhkhi",
            "Google Docs Offline",
            "1.89.1",
        ),
    ];
    assert_eq!(
        got,
        want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
    assert!(out
        .inventory
        .browser_extensions
        .iter()
        .all(|e| e.browser == "chrome" && e.profile.ends_with("Profile 1")));
}

#[test]
fn firefox_extensions_json_and_a_broken_manifest() {
    let t = tempfile::tempdir().unwrap();
    let prof = t
        .path()
        .join("home/bob/.mozilla/firefox/abcd.default-release");
    std::fs::create_dir_all(&prof).unwrap();
    std::fs::write(
        prof.join("extensions.json"),
        r#"{"schemaVersion":37,"addons":[
            {"id":"urladvisor@kaspersky.com","type":"extension","version":"1.0","defaultLocale":{"name":"Kaspersky URL Advisor"}},
            {"id":"default-theme@mozilla.org","type":"theme","version":"1.3"}]}"#,
    )
    .unwrap();
    let bad = t
        .path()
        .join("home/bob/.config/chromium/Default/Extensions/abc/1.0");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("manifest.json"), "{ not json").unwrap();
    let out = run(&browser::BrowserExtensions, t.path());
    assert_eq!(
        out.inventory.browser_extensions.len(),
        1,
        "themes are not extensions"
    );
    let e = &out.inventory.browser_extensions[0];
    assert_eq!(
        (e.browser.as_str(), e.id.as_str(), e.name.as_deref()),
        (
            "firefox",
            "urladvisor@kaspersky.com",
            Some("Kaspersky URL Advisor")
        )
    );
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0]
            .source
            .ends_with("/Extensions/abc/1.0/manifest.json")
            && out.errors[0].message.starts_with("invalid JSON"),
        "{:?}",
        out.errors
    );
}

#[test]
fn systemd_precedence_enabled_and_masked_units() {
    let t = tempfile::tempdir().unwrap();
    let lib = t.path().join("usr/lib/systemd/system");
    let etc = t.path().join("etc/systemd/system");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::create_dir_all(etc.join("multi-user.target.wants")).unwrap();
    std::fs::write(
        lib.join("kesl.service"),
        "[Service]\nExecStart=/usr/lib/version\n",
    )
    .unwrap();
    std::fs::write(
        etc.join("kesl.service"),
        "[Service]\nExecStart=/var/opt/kaspersky/kesl/install-current/etc/init.d/kesl start\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/etc/systemd/system/kesl.service",
        etc.join("multi-user.target.wants/kesl.service"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/null", etc.join("klnagent64.service")).unwrap();
    let out = run(&systemd::Systemd, t.path());
    let kesl = out
        .inventory
        .services
        .iter()
        .find(|s| s.name == "kesl.service")
        .unwrap();
    assert!(kesl.enabled);
    assert_eq!(
        kesl.location, "/etc/systemd/system/kesl.service",
        "the /etc override wins"
    );
    assert!(kesl
        .exec
        .as_deref()
        .unwrap()
        .starts_with("/var/opt/kaspersky"));
    let masked = out
        .inventory
        .services
        .iter()
        .find(|s| s.name == "klnagent64.service")
        .unwrap();
    assert_eq!(masked.exec, None);
    assert_eq!(
        out.inventory
            .services
            .iter()
            .filter(|s| s.name == "kesl.service")
            .count(),
        1
    );
}

#[test]
fn kernel_module_files_are_listed_by_normalised_name() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("lib/modules/6.1.0/extra");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("kav4fs-oas.ko.xz"), b"x").unwrap();
    std::fs::write(d.join("modules.dep"), b"x").unwrap();
    std::os::unix::fs::symlink("lib", t.path().join("usrlib")).unwrap();
    let out = run(&kmod::KernelModules, t.path());
    assert_eq!(out.inventory.kernel_modules.len(), 1);
    let m = &out.inventory.kernel_modules[0];
    assert_eq!((m.name.as_str(), m.loaded), ("kav4fs_oas", false));
    assert_eq!(m.location, "/lib/modules/6.1.0/extra/kav4fs-oas.ko.xz");
}

#[test]
fn systemd_template_instances_are_enabled_services() {
    let t = tempfile::tempdir().unwrap();
    let lib = t.path().join("usr/lib/systemd/system");
    let wants = t.path().join("etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::create_dir_all(&wants).unwrap();
    std::fs::write(
        lib.join("clamd@.service"),
        "[Service]\nExecStart=/usr/sbin/clamd -c /etc/clamd.d/%i.conf\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/usr/lib/systemd/system/clamd@.service",
        wants.join("clamd@scan.service"),
    )
    .unwrap();
    let out = run(&systemd::Systemd, t.path());
    let inst = out
        .inventory
        .services
        .iter()
        .find(|s| s.name == "clamd@scan.service")
        .expect("instance");
    assert!(inst.enabled);
    assert!(inst.exec.as_deref().unwrap().starts_with("/usr/sbin/clamd"));
    let tmpl = out
        .inventory
        .services
        .iter()
        .find(|s| s.name == "clamd@.service")
        .unwrap();
    assert!(!tmpl.enabled);
}

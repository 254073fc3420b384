//! macOS collectors against real third-party plists from `shared/corpora`
//! (each placed at its real path inside a temporary root and read through
//! `Root`), the generated `fixtures/roots/macos-*` trees, hostile plists, and
//! the Mach-O signature reader on synthetic, truncated and mutated binaries.
//!
//! No signed Apple binary is available on the build machine, so the Mach-O
//! tests build signatures byte by byte from Apple's published layouts
//! (`<mach-o/loader.h>`, `<mach-o/fat.h>`, xnu `cs_blobs.h`).

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use uproot_collect::macos::{self, apps, extensions, launchd, macho, plist as pl, receipts};
use uproot_collect::{detect_platform, CollectOptions, Collector, Output, Platform, Root};
use uproot_inventory::{Host, PackageSource};

// ---------------------------------------------------------------------------
// helpers

/// (name, scope, exec, enabled, start) of a service.
type JobRow = (String, String, Option<String>, bool, Option<String>);
/// (name, version, id, install_location, location) of a receipt.
type ReceiptRow<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);
/// (path, identifier, team id, enclosing) of a signer.
type SignerRow = (String, Option<String>, Option<String>, Option<String>);
/// (name, type, file, team id, start) of a driver.
type DriverRow<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn corpus(rel: &str) -> Vec<u8> {
    let p = common::corpora().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A temporary root holding `files` at their in-root paths.
fn root_with(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, Root) {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let p = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
    }
    let root = Root::new(dir.path(), false).unwrap();
    (dir, root)
}

fn run(c: &dyn Collector, root: &Root) -> Output {
    let mut out = Output::default();
    c.collect(root, &CollectOptions::default(), &mut out);
    out
}

fn run_all(root: &Root) -> Output {
    let mut out = Output::default();
    for c in macos::collectors() {
        c.collect(root, &CollectOptions::default(), &mut out);
    }
    out
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/roots")
        .join(name)
}

fn no_errors(out: &Output) {
    assert!(
        out.errors.is_empty(),
        "unexpected errors: {:#?}",
        out.errors
    );
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn o(v: &str) -> Option<String> {
    Some(v.to_owned())
}

// ---------------------------------------------------------------------------
// application bundles: osv-scalibr macapps and osquery test data

const MACAPPS: &str = "osv-scalibr/extractor/filesystem/os/macapps/testdata";

#[test]
fn scalibr_valid_xml_is_chrome() {
    let plist = corpus(&format!("{MACAPPS}/ValidXML.plist"));
    let (_d, root) = root_with(&[("/Applications/Google Chrome.app/Contents/Info.plist", plist)]);
    let out = run(&apps::Apps, &root);
    no_errors(&out);
    assert_eq!(out.inventory.packages.len(), 1);
    let p = &out.inventory.packages[0];
    // macapps_test.go: Name "Chrome", Version "130.0.6723.69", CFBundleIdentifier com.google.Chrome.
    assert_eq!(p.name, "Chrome");
    assert_eq!(p.version, "130.0.6723.69");
    assert_eq!(p.id.as_deref(), Some("com.google.Chrome"));
    assert_eq!(p.source, PackageSource::MacApp);
    assert_eq!(
        p.install_location.as_deref(),
        Some("/Applications/Google Chrome.app")
    );
    assert_eq!(p.scope.as_deref(), Some("machine"));
    assert_eq!(
        p.location,
        "/Applications/Google Chrome.app/Contents/Info.plist"
    );
    // No executable in the root: no signer, and no error for its absence.
    assert!(out.inventory.signers.is_empty());
}

#[test]
fn scalibr_binary_plist_in_a_users_applications() {
    let plist = corpus(&format!("{MACAPPS}/BinaryApp.plist"));
    assert!(plist.starts_with(b"bplist00"));
    let (_d, root) = root_with(&[(
        "/Users/carol/Applications/gMacInformation.app/Contents/Info.plist",
        plist,
    )]);
    let out = run(&apps::Apps, &root);
    no_errors(&out);
    let p = &out.inventory.packages[0];
    assert_eq!(
        (
            p.name.as_str(),
            p.version.as_str(),
            p.id.as_deref(),
            p.scope.as_deref()
        ),
        (
            "gMacInformation",
            "202410231131",
            Some("com.google.corp.gMacInformation"),
            Some("user:carol")
        )
    );
}

/// osv-scalibr's edge cases. Empty, InvalidFormat (a corrupted binary plist)
/// and DifferentFormat (JSON-ish text) are errors there and errors here; we
/// additionally keep the bundle as a package named after its directory,
/// because a broken bundle is still evidence. MissingData has no
/// `CFBundleShortVersionString`: osv-scalibr reports an empty version, we fall
/// back to `CFBundleVersion`.
#[test]
fn scalibr_edge_cases_are_errors_naming_the_file_or_fallbacks() {
    let case = |f: &str| {
        (
            format!("/Applications/{f}.app/Contents/Info.plist"),
            corpus(&format!("{MACAPPS}/{f}.plist")),
        )
    };
    let files: Vec<(String, Vec<u8>)> =
        ["Empty", "InvalidFormat", "DifferentFormat", "MissingData"]
            .iter()
            .map(|f| case(f))
            .collect();
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect();
    let (_d, root) = root_with(&refs);
    let out = run(&apps::Apps, &root);

    let mut failed: Vec<&str> = out.errors.iter().map(|e| e.source.as_str()).collect();
    failed.sort();
    assert_eq!(
        failed,
        vec![
            "/Applications/DifferentFormat.app/Contents/Info.plist",
            "/Applications/Empty.app/Contents/Info.plist",
            "/Applications/InvalidFormat.app/Contents/Info.plist",
        ],
        "{:#?}",
        out.errors
    );
    for e in &out.errors {
        assert!(e.message.starts_with("invalid plist: "), "{e:?}");
    }
    let empty = out
        .errors
        .iter()
        .find(|e| e.source.contains("/Empty.app/"))
        .unwrap();
    assert_eq!(empty.message, "invalid plist: empty file");

    let mut got: Vec<(String, String, Option<String>)> = out
        .inventory
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.id.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (s("Chrome"), s("6723.69"), o("com.google.Chrome")),
            (s("DifferentFormat"), s(""), None),
            (s("Empty"), s(""), None),
            (s("InvalidFormat"), s(""), None),
        ]
    );
}

#[test]
fn osquery_photo_booth_info_plist() {
    let plist = corpus("osquery/tools/tests/configs/test_info.plist");
    let (_d, root) = root_with(&[(
        "/System/Applications/Photo Booth.app/Contents/Info.plist",
        plist,
    )]);
    let out = run(&apps::Apps, &root);
    no_errors(&out);
    let p = &out.inventory.packages[0];
    // apps_tests.cpp: bundle_identifier com.apple.PhotoBooth, short version 6.0.
    // The plist has no CFBundleName, so the name is the bundle directory's.
    assert_eq!(p.id.as_deref(), Some("com.apple.PhotoBooth"));
    assert_eq!(p.version, "6.0");
    assert_eq!(p.name, "Photo Booth");
    assert_eq!(p.scope.as_deref(), Some("machine"));
}

#[test]
fn apps_one_folder_down_symlinks_once_and_no_escape() {
    let info = corpus("osquery/tools/tests/configs/test_info.plist");
    let (dir, root) = root_with(&[
        (
            "/Applications/Utilities/Photo Booth.app/Contents/Info.plist",
            info.clone(),
        ),
        // Two folders down is not an install location.
        (
            "/Applications/Utilities/Deeper/Hidden.app/Contents/Info.plist",
            info,
        ),
    ]);
    // A symlinked bundle is read once, under the first name listed.
    std::os::unix::fs::symlink(
        "/Applications/Utilities/Photo Booth.app",
        dir.path().join("Applications/Alias.app"),
    )
    .unwrap();
    // A link pointing out of the root resolves inside it, to nothing.
    std::os::unix::fs::symlink(
        "/../../../../../../etc",
        dir.path().join("Applications/Escape.app"),
    )
    .unwrap();
    let out = run(&apps::Apps, &root);
    no_errors(&out);
    let got: Vec<&str> = out
        .inventory
        .packages
        .iter()
        .map(|p| p.install_location.as_deref().unwrap())
        .collect();
    assert_eq!(got, vec!["/Applications/Alias.app"]);
}

// ---------------------------------------------------------------------------
// launchd: osquery and plaso job files

#[test]
fn osquery_mdnsresponder_job() {
    let job = corpus("osquery/tools/tests/configs/test_launchd.plist");
    let (_d, root) = root_with(&[(
        "/System/Library/LaunchDaemons/com.apple.mDNSResponder.plist",
        job,
    )]);
    let out = run(&launchd::Launchd, &root);
    no_errors(&out);
    assert_eq!(out.inventory.services.len(), 1);
    let j = &out.inventory.services[0];
    // launchd_tests.cpp: label com.apple.mDNSResponder, program_arguments
    // /usr/sbin/mDNSResponder, program "", run_at_load "", keep_alive "",
    // disabled "", on_demand false.
    assert_eq!(j.name, "com.apple.mDNSResponder");
    assert_eq!(j.exec.as_deref(), Some("/usr/sbin/mDNSResponder"));
    assert_eq!(j.scope, "launchd-daemon");
    // OnDemand=false is the pre-10.5 spelling of KeepAlive=true: it runs.
    assert!(j.enabled);
    assert_eq!(j.start.as_deref(), Some("auto"));
    assert_eq!(
        j.location,
        "/System/Library/LaunchDaemons/com.apple.mDNSResponder.plist"
    );
}

#[test]
fn osquery_disabled_job_and_plaso_jobs_in_a_users_agents() {
    let (_d, root) = root_with(&[
        (
            "/Library/LaunchDaemons/com.apple.FileSyncAgent.sshd.plist",
            corpus("osquery/tools/tests/configs/test.plist"),
        ),
        (
            "/Users/dave/Library/LaunchAgents/com.foobar.test.plist",
            corpus("plaso/test_data/plist/launchd.plist"),
        ),
        (
            "/Users/dave/Library/LaunchAgents/minimal.plist",
            corpus("plaso/test_data/plist/launchd.minimal.plist"),
        ),
        (
            "/Users/dave/Library/LaunchAgents/noprogram.plist",
            corpus("plaso/test_data/plist/launchd.noprogram.plist"),
        ),
        (
            "/Users/dave/Library/LaunchAgents/notes.txt",
            b"not a job".to_vec(),
        ),
    ]);
    let out = run(&launchd::Launchd, &root);
    no_errors(&out);
    let got: Vec<JobRow> = out
        .inventory
        .services
        .iter()
        .map(|j| {
            (
                j.name.clone(),
                j.scope.clone(),
                j.exec.clone(),
                j.enabled,
                j.start.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                s("com.apple.FileSyncAgent.sshd"),
                s("launchd-daemon"),
                o("/System/Library/CoreServices/FileSyncAgent.app/Contents/Resources/FileSyncAgent_sshd-keygen-wrapper -i -f /System/Library/CoreServices/FileSyncAgent.app/Contents/Resources/FileSyncAgent_sshd_config"),
                false,
                o("disabled"),
            ),
            // plaso launchd.py expects name com.foobar.test, program "/Test --flag arg1".
            (s("com.foobar.test"), s("launchd-user-agent"), o("/Test --flag arg1"), true, o("auto")),
            (s("foo"), s("launchd-user-agent"), o("/usr/bin/true"), false, o("manual")),
            (s("foo"), s("launchd-user-agent"), o("/usr/bin/true"), false, o("manual")),
        ]
    );
}

#[test]
fn launchctl_overrides_win_over_the_job_file() {
    let job = |label: &str, disabled: bool| {
        format!(
            "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Label</key><string>{label}</string>\
             <key>Program</key><string>/usr/local/bin/{label}</string><key>RunAtLoad</key><true/>\
             <key>Disabled</key><{disabled}/></dict></plist>"
        )
        .into_bytes()
    };
    let overrides =
        b"<plist version=\"1.0\"><dict><key>a</key><true/><key>b</key><false/></dict></plist>"
            .to_vec();
    let (_d, root) = root_with(&[
        ("/Library/LaunchDaemons/a.plist", job("a", false)),
        ("/Library/LaunchDaemons/b.plist", job("b", true)),
        ("/Library/LaunchDaemons/c.plist", job("c", false)),
        (launchd::OVERRIDES, overrides),
    ]);
    let out = run(&launchd::Launchd, &root);
    no_errors(&out);
    let got: Vec<(&str, bool)> = out
        .inventory
        .services
        .iter()
        .map(|j| (j.name.as_str(), j.enabled))
        .collect();
    assert_eq!(got, vec![("a", false), ("b", true), ("c", true)]);
}

// ---------------------------------------------------------------------------
// receipts: plaso InstallHistory, synthetic /var/db/receipts, legacy bundles

#[test]
fn plaso_install_history_has_seven_rows() {
    let (_d, root) = root_with(&[(
        receipts::INSTALL_HISTORY,
        corpus("plaso/test_data/plist/InstallHistory.plist"),
    )]);
    let out = run(&receipts::Receipts, &root);
    no_errors(&out);
    let pkgs = &out.inventory.packages;
    // install_history.py: 7 entries, the first "OS X" 10.9 (13A603) by "OS X Installer"
    // with 14 packages starting com.apple.pkg.BaseSystemBinaries.
    assert_eq!(pkgs.len(), 7);
    let first = &pkgs[0];
    assert_eq!(first.name, "OS X");
    assert_eq!(first.version, "10.9 (13A603)");
    assert_eq!(
        first.id.as_deref(),
        Some("com.apple.pkg.BaseSystemBinaries")
    );
    assert_eq!(first.state.as_deref(), Some(receipts::HISTORY_STATE));
    assert_eq!(first.source, PackageSource::MacReceipt);
    assert_eq!(first.location, receipts::INSTALL_HISTORY);
    // The other six, as Python's plistlib reads them.
    let rest: Vec<(&str, &str, Option<&str>)> = pkgs[1..]
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.id.as_deref()))
        .collect();
    assert_eq!(
        rest,
        vec![
            (
                "VMware Tools",
                "9.6.1",
                Some("com.vmware.tools.macos.pkg.files")
            ),
            (
                "XProtectPlistConfigData",
                "1.0",
                Some("com.apple.pkg.XProtectPlistConfigData.2-45")
            ),
            (
                "Core Services Application Configuration Data",
                "1.0.25",
                Some("com.apple.pkg.CoreServicesAppConfigData.2-9")
            ),
            (
                "Incompatible Kernel Extension Configuration Data",
                "1.18.2",
                Some("com.apple.pkg.IncompatibleKextConfigData.3-9")
            ),
            (
                "Chinese Word List Update",
                "2.1",
                Some("com.apple.pkg.ChineseWordlistUpdate.5-17")
            ),
            (
                "Chinese Word List Update",
                "2.2",
                Some("com.apple.pkg.ChineseWordlistUpdate.5-30")
            ),
        ]
    );
}

#[test]
fn receipts_through_private_var_once_and_legacy_bundles() {
    // No real third-party /var/db/receipts plist exists (corpora README §3),
    // so this one is written by the plist crate's own writer, in binary.
    let mut d = plist::Dictionary::new();
    d.insert("PackageIdentifier".into(), "com.kaspersky.kav.oas".into());
    d.insert("PackageVersion".into(), "21.3.10.391".into());
    d.insert("InstallPrefixPath".into(), "Applications".into());
    let mut bin = Vec::new();
    plist::Value::Dictionary(d)
        .to_writer_binary(&mut bin)
        .unwrap();
    let (dir, root) = root_with(&[
        ("/private/var/db/receipts/com.kaspersky.kav.oas.plist", bin),
        (
            "/private/var/db/receipts/com.kaspersky.kav.oas.bom",
            b"BOMStore".to_vec(),
        ),
        (
            "/Library/Receipts/Kaspersky Network Agent.pkg/Contents/Info.plist",
            b"<plist><dict><key>CFBundleIdentifier</key><string>com.kaspersky.klnagent</string>\
              <key>CFBundleShortVersionString</key><string>10.0</string></dict></plist>"
                .to_vec(),
        ),
        (
            "/Library/Receipts/oas.pkg/Contents/Archive.bom",
            b"BOMStore".to_vec(),
        ),
    ]);
    std::os::unix::fs::symlink("private/var", dir.path().join("var")).unwrap();
    let out = run(&receipts::Receipts, &root);
    no_errors(&out);
    let got: Vec<ReceiptRow> = out
        .inventory
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.id.as_deref(),
                p.install_location.as_deref(),
                p.location.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "com.kaspersky.kav.oas",
                "21.3.10.391",
                Some("com.kaspersky.kav.oas"),
                Some("/Applications"),
                "/var/db/receipts/com.kaspersky.kav.oas.plist"
            ),
            (
                "Kaspersky Network Agent",
                "10.0",
                Some("com.kaspersky.klnagent"),
                None,
                "/Library/Receipts/Kaspersky Network Agent.pkg"
            ),
            ("oas", "", None, None, "/Library/Receipts/oas.pkg"),
        ]
    );
}

// ---------------------------------------------------------------------------
// system extensions: osquery's db.plist

#[test]
fn osquery_system_extension_db_has_lulu() {
    let db = corpus("osquery/tools/tests/configs/db.plist");
    assert!(db.starts_with(b"bplist00"));
    let (_d, root) = root_with(&[(extensions::SYSEXT_DB, db)]);
    let out = run(&extensions::Extensions, &root);
    no_errors(&out);
    assert_eq!(out.inventory.drivers.len(), 1);
    let d = &out.inventory.drivers[0];
    // As plistlib reads it (and as osquery's system_extensions table shows it).
    assert_eq!(d.name, "com.objective-see.lulu.extension");
    assert_eq!(d.driver_type, "system-extension");
    assert_eq!(d.team_id.as_deref(), Some("ABCDXYZUV"));
    assert_eq!(d.start.as_deref(), Some("activated_enabled"));
    assert_eq!(
        d.file.as_deref(),
        Some("/Library/SystemExtensions/B4A2DE3D-1047-4109-9878-CC8238F6DE29/com.objective-see.lulu.extension.systemextension")
    );
    assert_eq!(d.location, extensions::SYSEXT_DB);
}

#[test]
fn percent_escapes_in_staged_urls_are_decoded() {
    assert_eq!(extensions::percent_decode("/A%20B/c%2"), "/A B/c%2");
    assert_eq!(extensions::percent_decode("%zz%41"), "%zzA");
}

// ---------------------------------------------------------------------------
// other real binary plists, parsed directly

#[test]
fn real_binary_plists_parse_like_plistlib() {
    // osquery's binary login items.
    let v = pl::parse(&corpus("osquery/tools/tests/configs/test_binary.plist")).unwrap();
    let items = v
        .as_dictionary()
        .and_then(|d| d.get("SessionItems"))
        .and_then(|v| v.as_dictionary())
        .and_then(|d| d.get("CustomListItems"))
        .and_then(|v| v.as_array())
        .unwrap();
    let names: Vec<&str> = items
        .iter()
        .filter_map(|i| i.as_dictionary()?.get("Name")?.as_string())
        .collect();
    assert_eq!(names, vec!["Flux", "iTunesHelper"]);

    // Velociraptor's dslocal user record: plist.out.yaml shows vagrant, 501, /Users/vagrant.
    let v = pl::parse(&corpus(
        "velociraptor/artifacts/testdata/files/vagrant.plist",
    ))
    .unwrap();
    let d = v.as_dictionary().unwrap();
    let first = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_array())
            .and_then(|a| a[0].as_string())
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        (first("name"), first("uid"), first("home"), first("shell")),
        (s("vagrant"), s("501"), s("/Users/vagrant"), s("/bin/bash"))
    );

    // Velociraptor's Dock: macos.out.yaml lists 8 apps, Launchpad first.
    let v = pl::parse(&corpus(
        "velociraptor/artifacts/testdata/files/com.apple.dock.plist",
    ))
    .unwrap();
    let apps = v
        .as_dictionary()
        .unwrap()
        .get("persistent-apps")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(apps.len(), 8);
    let tile = apps[0]
        .as_dictionary()
        .unwrap()
        .get("tile-data")
        .unwrap()
        .as_dictionary()
        .unwrap();
    assert_eq!(pl::string(tile, "file-label").as_deref(), Some("Launchpad"));
    assert_eq!(
        pl::string(tile, "bundle-identifier").as_deref(),
        Some("com.apple.launchpad.launcher")
    );
}

// ---------------------------------------------------------------------------
// fixture roots

type PkgRow = (
    String,
    String,
    &'static str,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn packages(out: &Output) -> Vec<PkgRow> {
    let mut v: Vec<PkgRow> = out
        .inventory
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.source.as_str(),
                p.id.clone(),
                p.scope.clone(),
                p.state.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

fn signers(out: &Output) -> Vec<SignerRow> {
    let mut v: Vec<_> = out
        .inventory
        .signers
        .iter()
        .map(|c| {
            assert_eq!(c.format, "apple");
            (
                c.path.clone(),
                c.subject.clone(),
                c.team_id.clone(),
                c.enclosing.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn kaspersky_fixture_inventory() {
    let root = Root::new(fixture("macos-kaspersky"), false).unwrap();
    assert_eq!(detect_platform(&root), Platform::Macos);
    let out = run_all(&root);
    no_errors(&out);

    let m = Some(s("machine"));
    assert_eq!(
        packages(&out),
        vec![
            (
                s("Kaspersky"),
                s("21.3.10.391"),
                "mac-app",
                o("com.kaspersky.kav"),
                m.clone(),
                None
            ),
            (
                s("Kaspersky"),
                s("21.3.10.391"),
                "mac-receipt",
                o("com.kaspersky.kav.core"),
                m.clone(),
                o("history")
            ),
            (
                s("Kaspersky Agent"),
                s("21.3.10.391"),
                "mac-app",
                o("com.kaspersky.kav_agent"),
                o("user:alice"),
                None
            ),
            (
                s("Renamed Tool"),
                s("1.0"),
                "mac-app",
                o("com.example.tool"),
                m.clone(),
                None
            ),
            (
                s("TextEditor"),
                s("3.2"),
                "mac-app",
                o("com.example.texteditor"),
                m.clone(),
                None
            ),
            (
                s("com.kaspersky.kav.core"),
                s("21.3.10.391"),
                "mac-receipt",
                o("com.kaspersky.kav.core"),
                m.clone(),
                None
            ),
            (
                s("macOS 14.4.1"),
                s("14.4.1"),
                "mac-receipt",
                None,
                m.clone(),
                o("history")
            ),
        ]
    );
    let kav_app = out
        .inventory
        .packages
        .iter()
        .find(|p| p.id.as_deref() == Some("com.kaspersky.kav"))
        .unwrap();
    assert_eq!(
        kav_app.install_location.as_deref(),
        Some("/Applications/Kaspersky.app")
    );
    // Written as a binary plist by the recipe.
    assert!(std::fs::read(fixture(
        "macos-kaspersky/Applications/Kaspersky.app/Contents/Info.plist"
    ))
    .unwrap()
    .starts_with(b"bplist00"));

    // `enclosing` is None throughout: a bundle's main executable is the
    // bundle's own identity, not code embedded in another product.
    let team = o("2Y8XE5CQ94");
    let sysext = "/Library/SystemExtensions/5A1C0D3E-7B2F-4E4A-9C61-0F2B8D7E4A10/com.kaspersky.kav.sysext.systemextension";
    assert_eq!(
        signers(&out),
        vec![
            (
                s("/Applications/Kaspersky.app/Contents/MacOS/kav"),
                o("com.kaspersky.kav"),
                team.clone(),
                None
            ),
            // Renamed: only the Team ID gives it away.
            (
                s("/Applications/Renamed Tool.app/Contents/MacOS/tool"),
                o("com.example.tool"),
                team.clone(),
                None
            ),
            (
                s("/Applications/TextEditor.app/Contents/MacOS/TextEditor"),
                o("com.example.texteditor"),
                o("EXAMPLE123"),
                None
            ),
            (
                s("/Library/Extensions/klif.kext/Contents/MacOS/klif"),
                o("com.kaspersky.kext.klif"),
                team.clone(),
                None
            ),
            (
                format!("{sysext}/Contents/MacOS/com.kaspersky.kav.sysext"),
                o("com.kaspersky.kav.sysext"),
                team.clone(),
                None
            ),
            // Signed by rcodesign, not by the recipe's own layout.
            (
                s("/Users/alice/Applications/Kaspersky Agent.app/Contents/MacOS/kav_agent"),
                o("com.kaspersky.kav_agent"),
                team.clone(),
                None
            ),
        ]
    );

    let services: Vec<(&str, &str, Option<&str>, bool)> = out
        .inventory
        .services
        .iter()
        .map(|j| {
            (
                j.name.as_str(),
                j.scope.as_str(),
                j.exec.as_deref(),
                j.enabled,
            )
        })
        .collect();
    assert_eq!(
        services,
        vec![
            (
                "com.kaspersky.kav",
                "launchd-daemon",
                Some("/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav"),
                true
            ),
            (
                "com.kaspersky.kav.gui",
                "launchd-agent",
                Some("/Applications/Kaspersky.app/Contents/MacOS/kav -gui"),
                true
            ),
        ]
    );

    let drivers: Vec<DriverRow> = out
        .inventory
        .drivers
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.driver_type.as_str(),
                d.file.as_deref(),
                d.team_id.as_deref(),
                d.start.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        drivers,
        vec![
            (
                "com.kaspersky.kav.sysext",
                "system-extension",
                Some(sysext),
                Some("2Y8XE5CQ94"),
                Some("activated_enabled")
            ),
            (
                "com.kaspersky.kext.klif",
                "kext",
                Some("/Library/Extensions/klif.kext"),
                Some("2Y8XE5CQ94"),
                None
            ),
        ]
    );

    let mut host = Host::default();
    macos::host_facts(&root, &mut host);
    assert_eq!(host.pretty_name.as_deref(), Some("macOS 14.4.1 (23E224)"));
    assert_eq!(host.distro.as_deref(), Some("macos"));
    assert_eq!(host.distro_version.as_deref(), Some("14.4.1"));
    assert_eq!(host.hostname, "kaspersky-test-mac");

    // The standalone daemon binary carries the same signature, for the deep sweep.
    let mut f = std::fs::File::open(fixture(
        "macos-kaspersky/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav",
    ))
    .unwrap();
    let sig = macho::read_signature(&mut f).unwrap().unwrap();
    assert_eq!(sig.team_id.as_deref(), Some("2Y8XE5CQ94"));
}

#[test]
fn clean_fixture_inventory() {
    let root = Root::new(fixture("macos-clean"), false).unwrap();
    assert_eq!(detect_platform(&root), Platform::Macos);
    let out = run_all(&root);
    no_errors(&out);
    let m = Some(s("machine"));
    assert_eq!(
        packages(&out),
        vec![
            (
                s("Disk Helper"),
                s("2.0"),
                "mac-app",
                o("com.example.diskhelper"),
                m.clone(),
                None
            ),
            (
                s("Sketchpad"),
                s("0.9"),
                "mac-app",
                o("com.example.sketchpad"),
                o("user:bob"),
                None
            ),
            (
                s("TextEditor"),
                s("3.2"),
                "mac-app",
                o("com.example.texteditor"),
                m.clone(),
                None
            ),
            (
                s("TextEditor"),
                s("3.2"),
                "mac-receipt",
                o("com.example.texteditor.pkg"),
                m.clone(),
                o("history")
            ),
            (
                s("com.example.texteditor.pkg"),
                s("3.2"),
                "mac-receipt",
                o("com.example.texteditor.pkg"),
                m.clone(),
                None
            ),
        ]
    );
    // Disk Helper is an unsigned Mach-O and Sketchpad a shell script: neither has a signer.
    let paths: Vec<String> = signers(&out).into_iter().map(|s| s.0).collect();
    assert_eq!(
        paths,
        vec![
            "/Applications/TextEditor.app/Contents/MacOS/TextEditor",
            "/Library/Extensions/ExampleAudio.kext/Contents/MacOS/ExampleAudio",
            "/Library/SystemExtensions/9E3B6C21-44D0-4B8E-A1F7-2C5D0E8B7F33/com.example.filter.extension.systemextension/Contents/MacOS/com.example.filter.extension",
        ]
    );
    let services: Vec<(&str, &str, bool, Option<&str>)> = out
        .inventory
        .services
        .iter()
        .map(|j| {
            (
                j.name.as_str(),
                j.scope.as_str(),
                j.enabled,
                j.start.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        services,
        vec![
            // RunAtLoad, but `launchctl disable`d in disabled.plist.
            (
                "com.example.backup",
                "launchd-daemon",
                false,
                Some("disabled")
            ),
            // KeepAlive as a dictionary of conditions.
            ("com.example.sync", "launchd-user-agent", true, Some("auto")),
        ]
    );
    assert_eq!(out.inventory.drivers.len(), 2);
    // Nothing anywhere names or is signed by the vendor.
    let all = serde_json::to_string(&out.inventory)
        .unwrap()
        .to_lowercase();
    assert!(!all.contains("kaspersky") && !all.contains("2y8xe5cq94"));
    let mut host = Host::default();
    macos::host_facts(&root, &mut host);
    assert_eq!(host.hostname, "clean-test-mac");
}

#[test]
fn collectors_have_stable_unique_names() {
    let names: Vec<&str> = macos::collectors().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        vec![
            "macos-apps",
            "macos-receipts",
            "launchd",
            "macos-extensions"
        ]
    );
}

// ---------------------------------------------------------------------------
// hostile plists

/// A binary plist of the given objects (each already encoded), 2-byte object
/// references, 4-byte offsets, top object 0.
fn bplist(objects: &[Vec<u8>], num_objects: Option<u64>) -> Vec<u8> {
    let mut out = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for obj in objects {
        offsets.push(out.len() as u32);
        out.extend_from_slice(obj);
    }
    let table = out.len() as u64;
    for off in offsets {
        out.extend_from_slice(&off.to_be_bytes());
    }
    out.extend_from_slice(&[0; 6]);
    out.push(4); // offset int size
    out.push(2); // object ref size
    out.extend_from_slice(&num_objects.unwrap_or(objects.len() as u64).to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes()); // top object
    out.extend_from_slice(&table.to_be_bytes());
    out
}

/// An array object of references.
fn barray(refs: &[u16]) -> Vec<u8> {
    let mut o = if refs.len() < 15 {
        vec![0xa0 | refs.len() as u8]
    } else {
        vec![0xaf, 0x10, refs.len() as u8]
    };
    for r in refs {
        o.extend_from_slice(&r.to_be_bytes());
    }
    o
}

fn deep_binary(depth: u16) -> Vec<u8> {
    let mut objs: Vec<Vec<u8>> = (0..depth).map(|i| barray(&[i + 1])).collect();
    objs.push(vec![0x08]);
    bplist(&objs, None)
}

/// 30 levels of 15 references to the next level: 15^30 values from 2 KiB.
fn expanding_binary() -> Vec<u8> {
    let mut objs: Vec<Vec<u8>> = (0..30u16).map(|i| barray(&[i + 1; 15])).collect();
    objs.push([&[0x59u8][..], b"kaspersky"].concat());
    bplist(&objs, None)
}

fn deep_xml(depth: usize) -> Vec<u8> {
    format!(
        "<plist version=\"1.0\">{}<true/>{}</plist>",
        "<array>".repeat(depth),
        "</array>".repeat(depth)
    )
    .into_bytes()
}

#[test]
fn hostile_plists_are_errors_not_panics_or_hangs() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            {
                let b = std::fs::read(fixture(
                    "macos-kaspersky/Applications/Kaspersky.app/Contents/Info.plist",
                ))
                .unwrap();
                b[..b.len() / 2].to_vec()
            },
            "",
        ),
        (
            "deep-xml",
            deep_xml(200_000),
            "nested deeper than 64 levels",
        ),
        (
            "deep-binary",
            deep_binary(5_000),
            "nested deeper than 64 levels",
        ),
        ("expanding", expanding_binary(), "more than 1048576 values"),
        ("huge-count", bplist(&[vec![0x09]], Some(1 << 62)), ""),
        (
            "huge-string",
            bplist(&[vec![0x5f, 0x13, 0, 0, 0x10, 0, 0, 0, 0, 0]], None),
            "",
        ),
        ("cycle", bplist(&[barray(&[0])], None), ""),
        (
            "not-a-dict",
            b"<plist><array><string>x</string></array></plist>".to_vec(),
            "top level is an array",
        ),
    ];
    for (name, bytes, want) in &cases {
        if *name == "not-a-dict" {
            // A valid plist; only a reader that needs a dictionary refuses it (below).
            assert!(pl::parse(bytes).is_ok());
            continue;
        }
        let started = Instant::now();
        let err = pl::parse(bytes).expect_err(name);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{name} took {:?}",
            started.elapsed()
        );
        assert!(err.contains(want), "{name}: {err}");
    }

    // The same files where collectors look: one error each, naming the file,
    // and the good job beside them is still read.
    let mut files: Vec<(String, Vec<u8>)> = cases
        .iter()
        .map(|(name, bytes, _)| {
            (
                format!("/Library/LaunchDaemons/{name}.plist"),
                bytes.clone(),
            )
        })
        .collect();
    files.push((
        "/Library/LaunchDaemons/good.plist".into(),
        b"<plist><dict><key>Label</key><string>good</string></dict></plist>".to_vec(),
    ));
    files.push((extensions::SYSEXT_DB.into(), deep_binary(3_000)));
    files.push((
        "/Applications/Evil.app/Contents/Info.plist".into(),
        expanding_binary(),
    ));
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect();
    let (dir, root) = root_with(&refs);
    // Over the size cap: refused before it is read (a sparse file, so the test stays small).
    let big = dir.path().join("private/var/db/receipts/big.plist");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    std::fs::File::create(&big)
        .unwrap()
        .set_len(pl::MAX_PLIST_BYTES + 1)
        .unwrap();
    // A fifo where an Info.plist should be: refused, not blocked on.
    let fifo = dir.path().join("Applications/Fifo.app/Contents/Info.plist");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());

    let started = Instant::now();
    let out = run_all(&root);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let mut sources: Vec<&str> = out.errors.iter().map(|e| e.source.as_str()).collect();
    sources.sort();
    let mut want: Vec<String> = cases
        .iter()
        .map(|(name, _, _)| format!("/Library/LaunchDaemons/{name}.plist"))
        .collect();
    want.push("/Applications/Evil.app/Contents/Info.plist".into());
    want.push("/Applications/Fifo.app/Contents/Info.plist".into());
    want.push(extensions::SYSEXT_DB.into());
    want.push("/private/var/db/receipts/big.plist".into());
    want.sort();
    assert_eq!(sources, want, "{:#?}", out.errors);
    let big_err = out
        .errors
        .iter()
        .find(|e| e.source.ends_with("big.plist"))
        .unwrap();
    assert!(big_err.message.contains("limit"), "{big_err:?}");
    let jobs: Vec<&str> = out
        .inventory
        .services
        .iter()
        .map(|j| j.name.as_str())
        .collect();
    assert_eq!(jobs, vec!["good"]);
    // Broken bundles are still listed by name.
    let apps: Vec<&str> = out
        .inventory
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(apps, vec!["Evil", "Fifo"]);
}

// ---------------------------------------------------------------------------
// Mach-O code signatures

const TEAM: &str = "2Y8XE5CQ94";

fn put32(v: &mut Vec<u8>, x: u32, big: bool) {
    v.extend_from_slice(&if big {
        x.to_be_bytes()
    } else {
        x.to_le_bytes()
    });
}

/// A CodeDirectory of `version` with an identifier and (from 0x20200) a Team ID.
fn code_directory(ident: &str, team: Option<&str>, version: u32) -> Vec<u8> {
    let header = if version >= 0x20200 {
        52
    } else if version >= 0x20100 {
        48
    } else {
        44
    };
    let ident_b = [ident.as_bytes(), b"\0"].concat();
    let team_b = team
        .map(|t| [t.as_bytes(), b"\0"].concat())
        .unwrap_or_default();
    let length = header + ident_b.len() + team_b.len();
    let mut cd = Vec::new();
    for x in [
        0xfade_0c02,
        length as u32,
        version,
        0,
        length as u32,
        header as u32,
        0,
        0,
        0,
    ] {
        put32(&mut cd, x, true);
    }
    cd.extend_from_slice(&[32, 2, 0, 12]);
    put32(&mut cd, 0, true); // spare2
    if header >= 48 {
        put32(&mut cd, 0, true); // scatterOffset
    }
    if header >= 52 {
        let off = if team.is_some() {
            header + ident_b.len()
        } else {
            0
        };
        put32(&mut cd, off as u32, true);
    }
    assert_eq!(cd.len(), header);
    cd.extend_from_slice(&ident_b);
    cd.extend_from_slice(&team_b);
    cd
}

/// An embedded-signature SuperBlob of (slot, blob).
fn superblob(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut body = Vec::new();
    let base = 12 + 8 * blobs.len();
    for (slot, blob) in blobs {
        put32(&mut index, *slot, true);
        put32(&mut index, (base + body.len()) as u32, true);
        body.extend_from_slice(blob);
    }
    let mut out = Vec::new();
    put32(&mut out, 0xfade_0cc0, true);
    put32(&mut out, (base + body.len()) as u32, true);
    put32(&mut out, blobs.len() as u32, true);
    out.extend(index);
    out.extend(body);
    out
}

fn requirements() -> Vec<u8> {
    [0xfade_0c01u32, 12, 0]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect()
}

/// A thin Mach-O: header, LC_UUID, and LC_CODE_SIGNATURE pointing at `sig`.
fn thin(big: bool, is64: bool, sig: Option<Vec<u8>>) -> Vec<u8> {
    let magic = if is64 { 0xfeed_facf } else { 0xfeed_face };
    let mut cmds = Vec::new();
    put32(&mut cmds, 0x1b, big);
    put32(&mut cmds, 24, big);
    cmds.extend_from_slice(&[0x42; 16]);
    let header_len = if is64 { 32 } else { 28 };
    let ncmds = if sig.is_some() { 2 } else { 1 };
    let sizeofcmds = cmds.len() + if sig.is_some() { 16 } else { 0 };
    let dataoff = (header_len + sizeofcmds + 64).div_ceil(16) * 16;
    if let Some(sig) = &sig {
        put32(&mut cmds, 0x1d, big);
        put32(&mut cmds, 16, big);
        put32(&mut cmds, dataoff as u32, big);
        put32(&mut cmds, sig.len() as u32, big);
    }
    let mut out = Vec::new();
    for x in [magic, 0x0100_0007, 3, 2, ncmds, sizeofcmds as u32, 0] {
        put32(&mut out, x, big);
    }
    if is64 {
        put32(&mut out, 0, big);
    }
    out.extend(cmds);
    out.extend_from_slice(&[0x90; 64]);
    if let Some(sig) = sig {
        out.resize(dataoff, 0);
        out.extend(sig);
    }
    out
}

fn signed(ident: &str, team: Option<&str>) -> Vec<u8> {
    thin(
        false,
        true,
        Some(superblob(&[
            (0, code_directory(ident, team, 0x20400)),
            (2, requirements()),
        ])),
    )
}

/// A fat file of slices at 4 KiB boundaries.
fn fat(slices: &[Vec<u8>], fat64: bool) -> Vec<u8> {
    let mut out = Vec::new();
    put32(
        &mut out,
        if fat64 { 0xcafe_babf } else { 0xcafe_babe },
        true,
    );
    put32(&mut out, slices.len() as u32, true);
    let mut off = 4096usize;
    let mut placed = Vec::new();
    for s in slices {
        put32(&mut out, 0x0100_000c, true);
        put32(&mut out, 0, true);
        if fat64 {
            out.extend_from_slice(&(off as u64).to_be_bytes());
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            put32(&mut out, 12, true);
            put32(&mut out, 0, true);
        } else {
            put32(&mut out, off as u32, true);
            put32(&mut out, s.len() as u32, true);
            put32(&mut out, 12, true);
        }
        placed.push(off);
        off += s.len().div_ceil(4096) * 4096;
    }
    for (s, at) in slices.iter().zip(placed) {
        out.resize(at, 0);
        out.extend_from_slice(s);
    }
    out
}

fn sig_of(bytes: &[u8]) -> Result<Option<macho::AppleSignature>, macho::MachoError> {
    macho::read_signature(&mut Cursor::new(bytes))
}

fn want(ident: &str, team: Option<&str>) -> Option<macho::AppleSignature> {
    Some(macho::AppleSignature {
        identifier: Some(ident.to_owned()),
        team_id: team.map(str::to_owned),
    })
}

/// A universal binary signed by rcodesign (apple-codesign 0.29.0), an
/// independent implementation of Apple's format: CodeDirectory 0x20400 with
/// special slots, an alternate SHA-256 CodeDirectory, requirements and a CMS
/// signature, in both slices. `rcodesign print-signature-info` shows
/// identifier com.kaspersky.kav_agent and team_name 2Y8XE5CQ94.
#[test]
fn macho_signature_written_by_rcodesign() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/fixtures/macos/rcodesign/kav_agent");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(&[0xca, 0xfe, 0xba, 0xbe]));
    assert!(macho::is_macho(&bytes));
    let mut f = std::fs::File::open(&path).unwrap();
    assert_eq!(
        macho::read_signature(&mut f).unwrap(),
        want("com.kaspersky.kav_agent", Some(TEAM))
    );
    // Each slice on its own, as the deep sweep may see an extracted slice.
    let nfat = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(nfat, 2);
    for i in 0..nfat {
        let e = 8 + 20 * i;
        let off = u32::from_be_bytes(bytes[e + 8..e + 12].try_into().unwrap()) as usize;
        let size = u32::from_be_bytes(bytes[e + 12..e + 16].try_into().unwrap()) as usize;
        assert_eq!(
            sig_of(&bytes[off..off + size]).unwrap(),
            want("com.kaspersky.kav_agent", Some(TEAM)),
            "slice {i}"
        );
    }
}

#[test]
fn macho_thin_signatures_in_every_byte_order_and_width() {
    for (big, is64) in [(false, true), (true, true), (false, false), (true, false)] {
        let bin = thin(
            big,
            is64,
            Some(superblob(&[(
                0,
                code_directory("com.kaspersky.kav", Some(TEAM), 0x20200),
            )])),
        );
        assert!(macho::is_macho(&bin), "{big} {is64}");
        assert_eq!(
            sig_of(&bin).unwrap(),
            want("com.kaspersky.kav", Some(TEAM)),
            "{big} {is64}"
        );
    }
}

#[test]
fn macho_fat_takes_the_first_signed_slice() {
    let unsigned = thin(false, true, None);
    let bin = fat(
        &[unsigned.clone(), signed("com.kaspersky.kav", Some(TEAM))],
        false,
    );
    assert!(macho::is_macho(&bin));
    assert_eq!(sig_of(&bin).unwrap(), want("com.kaspersky.kav", Some(TEAM)));
    let bin64 = fat(
        &[
            signed("com.example.a", Some("EXAMPLE123")),
            signed("com.example.b", None),
        ],
        true,
    );
    assert_eq!(
        sig_of(&bin64).unwrap(),
        want("com.example.a", Some("EXAMPLE123"))
    );
    assert_eq!(
        sig_of(&fat(&[unsigned.clone(), unsigned], false)).unwrap(),
        None
    );
}

#[test]
fn macho_code_directory_versions_and_slots() {
    // Before 0x20200 there is no teamOffset: identifier only.
    let old = thin(
        false,
        true,
        Some(superblob(&[(
            0,
            code_directory("com.example.old", None, 0x20100),
        )])),
    );
    assert_eq!(sig_of(&old).unwrap(), want("com.example.old", None));
    let oldest = thin(
        false,
        true,
        Some(superblob(&[(
            0,
            code_directory("com.example.oldest", None, 0x20001),
        )])),
    );
    assert_eq!(sig_of(&oldest).unwrap(), want("com.example.oldest", None));
    // Ad hoc (no team), the form linkers write on Apple silicon.
    assert_eq!(
        sig_of(&signed("a.out-5555", None)).unwrap(),
        want("a.out-5555", None)
    );
    // Only an alternate CodeDirectory (slot 0x1000), after a requirements blob.
    let alt = thin(
        false,
        true,
        Some(superblob(&[
            (2, requirements()),
            (
                0x1000,
                code_directory("com.example.alt", Some(TEAM), 0x20400),
            ),
        ])),
    );
    assert_eq!(sig_of(&alt).unwrap(), want("com.example.alt", Some(TEAM)));
    // A signature with no CodeDirectory at all.
    let none = thin(false, true, Some(superblob(&[(2, requirements())])));
    assert_eq!(sig_of(&none).unwrap(), None);
    // Unsigned.
    assert_eq!(sig_of(&thin(true, false, None)).unwrap(), None);
}

#[test]
fn macho_rejects_what_is_not_macho() {
    for bytes in [
        &b""[..],
        b"\xfe\xed",
        b"#!/bin/sh\necho hi\n",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
        // A Java class file shares 0xcafebabe; its version (here 52) sits where nfat_arch would.
        b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x10",
        // A fat header with no slices.
        b"\xca\xfe\xba\xbe\x00\x00\x00\x00",
    ] {
        assert!(!macho::is_macho(bytes), "{bytes:?}");
        assert!(
            matches!(sig_of(bytes), Err(macho::MachoError::NotMacho)),
            "{bytes:?}"
        );
    }
}

#[test]
fn macho_truncated_at_every_length_is_an_error() {
    let bin = fat(&[signed("com.kaspersky.kav", Some(TEAM))], false);
    for n in 0..bin.len() {
        let r = sig_of(&bin[..n]);
        assert!(r.is_err(), "prefix of {n} bytes gave {r:?}");
    }
    let thin_bin = signed("com.kaspersky.kav", Some(TEAM));
    for n in 0..thin_bin.len() {
        assert!(sig_of(&thin_bin[..n]).is_err(), "thin prefix {n}");
    }
}

/// Patches a little-endian u32 at `at`.
fn patch_le(bin: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut b = bin.to_vec();
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b
}

fn patch_be(bin: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut b = bin.to_vec();
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
    b
}

#[test]
fn macho_hostile_fields_are_bounded() {
    use macho::MachoError as E;
    let bin = signed("com.kaspersky.kav", Some(TEAM));
    let dataoff = u32::from_le_bytes(bin[32 + 24 + 8..32 + 24 + 12].try_into().unwrap()) as usize;

    // A zero cmdsize would loop forever in a naive walker.
    assert!(matches!(
        sig_of(&patch_le(&bin, 32 + 4, 0)),
        Err(E::Malformed(_))
    ));
    // More commands than the command area can hold.
    assert!(matches!(
        sig_of(&patch_le(&bin, 16, 0x00ff_ffff)),
        Err(E::Malformed(_))
    ));
    // A command area over the limit.
    assert!(matches!(
        sig_of(&patch_le(&bin, 20, 0xffff_fff0)),
        Err(E::TooLarge { .. })
    ));
    // A signature past the end of the file.
    assert!(matches!(
        sig_of(&patch_le(&bin, 32 + 24 + 8, 0xffff_0000)),
        Err(E::OutOfBounds { .. })
    ));
    // A SuperBlob declaring four billion blobs.
    assert!(matches!(
        sig_of(&patch_be(&bin, dataoff + 8, u32::MAX)),
        Err(E::TooLarge { .. })
    ));
    // A SuperBlob longer than the signature area.
    assert!(matches!(
        sig_of(&patch_be(&bin, dataoff + 4, u32::MAX)),
        Err(E::OutOfBounds { .. })
    ));
    // A wrong SuperBlob magic.
    assert!(matches!(
        sig_of(&patch_be(&bin, dataoff, 0xdead_beef)),
        Err(E::Malformed(_))
    ));
    // An index entry pointing past the SuperBlob.
    assert!(matches!(
        sig_of(&patch_be(&bin, dataoff + 16, 0x00ff_ffff)),
        Err(E::OutOfBounds { .. })
    ));
    let cd = dataoff + 12 + 8 * 2;
    // A CodeDirectory longer than its SuperBlob.
    assert!(matches!(
        sig_of(&patch_be(&bin, cd + 4, 0x00ff_ffff)),
        Err(E::OutOfBounds { .. })
    ));
    // identOffset past the CodeDirectory.
    assert!(matches!(
        sig_of(&patch_be(&bin, cd + 20, 0x00ff_ffff)),
        Err(E::OutOfBounds { .. })
    ));
    // A CodeDirectory shorter than its own header.
    assert!(matches!(
        sig_of(&patch_be(&bin, cd + 4, 20)),
        Err(E::Malformed(_))
    ));
    // An identifier without its NUL: shorten the CodeDirectory to cut it off.
    let cd_len = u32::from_be_bytes(bin[cd + 4..cd + 8].try_into().unwrap());
    let cut = patch_be(&bin, cd + 4, cd_len - (TEAM.len() as u32 + 1) - 1);
    assert!(
        matches!(
            sig_of(&cut),
            Err(E::Malformed(_)) | Err(E::OutOfBounds { .. })
        ),
        "{:?}",
        sig_of(&cut)
    );

    // Fat slices that point at the fat header itself, or past the file.
    let f = fat(std::slice::from_ref(&bin), false);
    assert!(sig_of(&patch_be(&f, 8 + 8, 0)).is_err());
    assert!(sig_of(&patch_be(&f, 8 + 12, 0x7fff_ffff)).is_err());
    // A fat slice that is itself fat.
    let nested = fat(&[fat(std::slice::from_ref(&bin), false)], false);
    assert!(matches!(sig_of(&nested), Err(E::Malformed(_))));
}

/// Deterministic mutation fuzzing: flip bytes of valid thin and fat binaries.
/// Every result is an answer or an error; nothing panics or allocates wildly.
#[test]
fn macho_mutations_never_panic() {
    let seeds = [
        signed("com.kaspersky.kav", Some(TEAM)),
        fat(
            &[
                thin(true, false, None),
                signed("com.kaspersky.kav", Some(TEAM)),
            ],
            false,
        ),
        fat(&[signed("com.example.x", None)], true),
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../scripts/fixtures/macos/rcodesign/kav_agent"),
        )
        .unwrap(),
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut answered = 0;
    for round in 0..30_000 {
        let mut b = seeds[round % seeds.len()].clone();
        let flips = 1 + next() % 4;
        for _ in 0..flips {
            let at = (next() % b.len() as u64) as usize;
            b[at] = next() as u8;
        }
        if sig_of(&b).is_ok() {
            answered += 1;
        }
    }
    // Most single-byte changes hit padding or hashes and still read.
    assert!(answered > 1_000, "{answered}");
}

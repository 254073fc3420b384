//! End-to-end: the `uproot` binary on fixture roots built with real tools
//! (see `scripts/fixtures/`), on this machine's own root, and on hostile input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn uproot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uproot"))
        .args(args)
        .output()
        .expect("run uproot")
}

fn scan_json(root: &Path, extra: &[&str]) -> (i32, Value) {
    let root = root.to_str().unwrap();
    let mut args = vec!["scan", "--root", root, "--format", "json"];
    args.extend_from_slice(extra);
    let out = uproot(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    (out.status.code().expect("exit code"), json)
}

fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures/roots").join(name)
}

fn findings<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

#[test]
fn dpkg_kesl_root_is_a_kaspersky_package_finding() {
    let (code, r) = scan_json(&fixture("dpkg-kesl"), &[]);
    assert_eq!(code, 1);
    let pkgs = findings(&r, "package");
    let kesl = pkgs
        .iter()
        .find(|f| f["evidence"]["key"] == "kesl")
        .expect("kesl finding");
    assert_eq!(kesl["vendor"], "kaspersky");
    assert_eq!(kesl["product"], "kesl");
    assert_eq!(kesl["remnant"], false);
    assert_eq!(kesl["evidence"]["source"], "/var/lib/dpkg/status");
    let auth: Vec<&str> = kesl["authorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        auth.contains(&"bod-17-01") && auth.contains(&"ndaa-fy18-1634"),
        "{auth:?}"
    );
    // kesl-gui was removed but not purged: a leftover, reported as such.
    let gui = pkgs
        .iter()
        .find(|f| f["evidence"]["key"] == "kesl-gui")
        .expect("kesl-gui remnant");
    assert_eq!(gui["remnant"], true);
    assert_eq!(gui["severity"], "low");
    // False-positive guards that live in the same database.
    for benign in ["kestrel", "kaspad", "hello-uproot", "held-uproot"] {
        assert!(
            !pkgs.iter().any(|f| f["evidence"]["key"] == benign),
            "{benign} must not be a finding"
        );
    }
}

#[test]
fn dpkg_inventory_equals_dpkg_query_on_the_fixture() {
    let (_, r) = scan_json(&fixture("dpkg-kesl"), &[]);
    let mut got: Vec<String> = r["inventory"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let abbrev = match (p["state"].as_str(), p["hold"].as_bool().unwrap_or(false)) {
                (Some("config-files"), _) => "rc",
                (_, true) => "hi",
                _ => "ii",
            };
            format!(
                "{}\t{}\t{abbrev} ",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    let want = std::fs::read_to_string(fixture("dpkg-kesl/EXPECTED_dpkg-query.txt")).unwrap();
    assert_eq!(got, want.lines().collect::<Vec<_>>());
}

#[test]
fn rpm_sqlite_root_is_a_klnagent_finding() {
    let (code, r) = scan_json(&fixture("rpm-klnagent"), &[]);
    assert_eq!(code, 1, "{:#}", r["errors"]);
    let f = findings(&r, "package");
    let k = f
        .iter()
        .find(|f| f["evidence"]["key"] == "klnagent64")
        .expect("klnagent64 finding");
    assert_eq!(k["vendor"], "kaspersky");
    assert_eq!(k["product"], "klnagent");
    assert_eq!(k["evidence"]["source"], "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(k["evidence"]["detail"]["maintainer"], "AO Kaspersky Lab");
    assert!(!f.iter().any(|f| f["evidence"]["key"] == "hello-uproot"));
}

#[test]
fn kaspersky_root_ca_is_a_critical_certificate_finding() {
    let (code, r) = scan_json(&fixture("ca-kaspersky"), &[]);
    assert_eq!(code, 1);
    let certs = findings(&r, "certificate");
    assert!(!certs.is_empty());
    for c in &certs {
        assert_eq!(c["vendor"], "kaspersky");
        assert_eq!(c["severity"], "critical");
        assert_eq!(
            c["evidence"]["detail"]["subject"],
            "O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate"
        );
    }
    let sources: Vec<&str> = certs
        .iter()
        .map(|c| c["evidence"]["source"].as_str().unwrap())
        .collect();
    // The symlinked .pem and hash links resolve to the real file, which is what removal deletes.
    assert!(
        sources.contains(&"/usr/local/share/ca-certificates/kaspersky-root.crt"),
        "{sources:?}"
    );
    assert!(
        sources.contains(&"/etc/ssl/certs/ca-certificates.crt"),
        "{sources:?}"
    );
    // The benign CAs are inventoried but not findings.
    assert!(r["inventory"]["certificates"].as_array().unwrap().len() > certs.len());
}

#[test]
fn example_roots_show_a_finding_and_a_clean_host() {
    let (code, r) = scan_json(&repo().join("examples/linux-kesl"), &[]);
    assert_eq!(code, 1);
    let kinds: std::collections::BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for k in [
        "package",
        "service",
        "kernel-module",
        "certificate",
        "browser-extension",
        "file",
        "setting",
    ] {
        assert!(
            kinds.contains(k),
            "examples/linux-kesl lacks a {k} finding: {kinds:?}"
        );
    }
    let (code, r) = scan_json(&repo().join("examples/linux-clean"), &[]);
    assert_eq!(code, 0, "{r:#}");
    assert!(r["findings"].as_array().unwrap().is_empty());
    assert!(
        !r["inventory"]["packages"].as_array().unwrap().is_empty(),
        "a clean report still lists what was checked"
    );
}

#[test]
fn json_contract_is_stable() {
    let (_, r) = scan_json(&fixture("dpkg-kesl"), &[]);
    assert_eq!(r["schema"], "uproot.report/1");
    for key in ["host", "catalog", "inventory", "findings", "errors"] {
        assert!(r.get(key).is_some(), "missing top-level `{key}`");
    }
    assert!(r["catalog"]["version"]
        .as_str()
        .is_some_and(|v| !v.is_empty()));
    let p = &r["inventory"]["packages"][0];
    for key in ["name", "version", "source"] {
        assert!(p.get(key).is_some(), "package lacks `{key}`");
    }
    let f = &r["findings"][0];
    for key in [
        "vendor",
        "product",
        "kind",
        "evidence",
        "authorities",
        "severity",
    ] {
        assert!(f.get(key).is_some(), "finding lacks `{key}`");
    }
    assert!(f["evidence"]["source"].is_string());
}

#[test]
fn other_formats_render_the_same_findings() {
    let root = fixture("dpkg-kesl");
    let root = root.to_str().unwrap();
    let sarif: Value =
        serde_json::from_slice(&uproot(&["scan", "--root", root, "-f", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let (_, r) = scan_json(&fixture("dpkg-kesl"), &[]);
    let n = r["findings"].as_array().unwrap().len();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), n);
    let csv = String::from_utf8(uproot(&["scan", "--root", root, "-f", "csv"]).stdout).unwrap();
    assert!(csv.starts_with("host,vendor,product,kind,severity"));
    assert_eq!(csv.lines().count(), n + 1);
    let table = uproot(&["scan", "--root", root, "-f", "table"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("AO Kaspersky Lab [kaspersky]") && text.contains("FOUND:"),
        "{text}"
    );
    assert_eq!(table.status.code(), Some(1));
}

#[test]
fn user_catalog_adds_a_vendor_without_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("acme.toml");
    std::fs::write(
        &cat,
        r#"
[[vendor]]
id = "acme"
name = "Acme Surveillance Ltd"
action = "Remove it."
authorities = [{ id = "fcc-covered-list", since = "2026-01-01" }]
[[vendor.product]]
id = "hello"
name = "Hello"
[[vendor.indicator]]
id = "acme.hello.package"
product = "hello"
kind = "package"
match = { name = ["hello-uproot"] }
confidence = "official"
source = "test"
"#,
    )
    .unwrap();
    let (code, r) = scan_json(
        &repo().join("examples/linux-clean"),
        &["--catalog", cat.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(r["findings"][0]["vendor"], "acme");
    assert!(r["catalog"]["version"]
        .as_str()
        .unwrap()
        .ends_with("+local"));
}

#[test]
fn catalog_lint_passes_builtin_and_fails_unsourced_rule() {
    let out = uproot(&["catalog", "lint"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("bad.toml");
    std::fs::write(
        &cat,
        "[[vendor]]\nid = \"kaspersky\"\nname = \"AO Kaspersky Lab\"\naction = \"x\"\n[[vendor.indicator]]\nid = \"user.nosource\"\nproduct = \"kesl\"\nkind = \"package\"\nmatch = { name = [\"x\"] }\n",
    )
    .unwrap();
    let out = uproot(&["catalog", "lint", "--catalog", cat.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[missing-source]")
            && text.contains("user.nosource")
            && text.contains("bad.toml"),
        "{text}"
    );
    assert!(text.contains("error[missing-confidence]"), "{text}");
    let show = uproot(&["catalog", "show", "kaspersky.kesl.package"]);
    assert!(String::from_utf8_lossy(&show.stdout).contains("kesl"));
    let list = uproot(&["catalog", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("hikvision"));
}

#[test]
fn hostile_root_is_contained_and_reported() {
    let (_, r) = scan_json(&fixture("hostile"), &[]);
    let errors = r["errors"].as_array().unwrap();
    let sources: Vec<&str> = errors
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    for expected in [
        "/var/lib/dpkg/status",
        "/var/lib/dpkg/status.d/a",
        "/var/lib/rpm/Packages",
        "/etc/ssl/certs/ca-certificates.crt",
    ] {
        assert!(
            sources.contains(&expected),
            "no error names {expected}: {sources:?}"
        );
    }
    assert!(
        sources.iter().any(|s| s.ends_with("manifest.json")),
        "{sources:?}"
    );
    // The escape links point at the host's /etc/shadow and /etc/passwd: nothing from them may appear.
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("root:x:0:0"),
        "host /etc/passwd leaked into the report"
    );
    assert!(
        !text.contains("escape"),
        "an escaping symlink was followed: {text}"
    );
}

#[test]
fn only_errors_means_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("var/lib/rpm")).unwrap();
    std::fs::write(
        dir.path().join("var/lib/rpm/Packages"),
        b"\x00garbage that is no database",
    )
    .unwrap();
    let (code, r) = scan_json(dir.path(), &[]);
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(r["errors"][0]["source"], "/var/lib/rpm/Packages");
}

#[test]
fn scanning_never_writes_under_the_root() {
    fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let m = e.path().symlink_metadata().unwrap();
            out.insert(e.path(), (m.len(), m.modified().ok()));
            if m.is_dir() {
                snapshot(&e.path(), out);
            }
        }
    }
    for name in ["rpm-klnagent", "dpkg-kesl", "ca-kaspersky"] {
        let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
        snapshot(&fixture(name), &mut before);
        scan_json(&fixture(name), &[]);
        snapshot(&fixture(name), &mut after);
        assert_eq!(before, after, "{name} changed during the scan");
    }
}

#[test]
fn bad_root_is_a_clear_error() {
    let out = uproot(&["scan", "--root", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here"));
}

/// The live scan of this machine: clean, and its dpkg inventory is exactly
/// what `dpkg-query -W` prints. This machine is Debian, so dpkg-query must
/// exist; its absence is a failure, not a skip.
#[test]
fn live_scan_is_clean_and_matches_dpkg_query() {
    let out = uproot(&["scan", "--format", "json"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["findings"].as_array().unwrap().len(),
        0,
        "{:#}",
        r["findings"]
    );
    assert_eq!(out.status.code(), Some(0), "errors: {:#}", r["errors"]);
    let dq = Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${binary:Package}\t${Version}\t${Architecture}\t${Multi-Arch}\n",
        ])
        .output()
        .expect("dpkg-query must be installed");
    let mut want: Vec<String> = String::from_utf8(dq.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!("{}\t{}", f[0], f[1])
        })
        .collect();
    want.sort();
    // `dpkg-query -W` prints `${binary:Package}`, which qualifies Multi-Arch: same packages
    // with `:arch`; we keep the bare name and the arch separately, and rebuild it here.
    let ma_same: std::collections::HashSet<String> = String::from_utf8(
        Command::new("dpkg-query")
            .args(["-W", "-f", "${Package}\t${Multi-Arch}\n"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .filter(|l| l.ends_with("\tsame"))
    .map(|l| l.split('\t').next().unwrap().to_owned())
    .collect();
    let mut got: Vec<String> = r["inventory"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["source"] == "dpkg")
        .map(|p| {
            let name = p["name"].as_str().unwrap();
            let shown = if ma_same.contains(name) {
                format!("{name}:{}", p["arch"].as_str().unwrap())
            } else {
                name.to_owned()
            };
            format!("{shown}\t{}", p["version"].as_str().unwrap())
        })
        .collect();
    got.sort();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    let plain = Command::new("dpkg-query").arg("-W").output().unwrap();
    let mut plain: Vec<String> = String::from_utf8(plain.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    plain.sort();
    assert_eq!(got, plain, "differs from plain `dpkg-query -W`");
}

#[test]
fn nss_cert9_db_root_is_found() {
    let (code, r) = scan_json(&fixture("nss-kaspersky"), &[]);
    assert_eq!(code, 1, "{:#}", r["errors"]);
    let certs = findings(&r, "certificate");
    assert_eq!(certs.len(), 1, "{certs:#?}");
    assert_eq!(
        certs[0]["evidence"]["source"],
        "/home/alice/.pki/nssdb/cert9.db"
    );
    // Both certificates certutil added are inventoried; only Kaspersky's is a finding.
    let inv = r["inventory"]["certificates"].as_array().unwrap();
    assert_eq!(inv.len(), 2, "{inv:#?}");
}

#[test]
fn deep_sweep_reports_signers_and_embedded_engines() {
    let (code, r) = scan_json(&fixture("deep-embedded"), &["--deep"]);
    assert_eq!(code, 1);
    let signers = findings(&r, "signer");
    let emb = signers
        .iter()
        .find(|f| f["evidence"]["source"] == "/Program Files/OtherVendor/engine/kavbase.dll")
        .expect("kavbase.dll signer finding");
    assert_eq!(emb["vendor"], "kaspersky");
    assert_eq!(emb["embedded_in"], "/Program Files/OtherVendor");
    assert!(emb["evidence"]["detail"]["subject"]
        .as_str()
        .unwrap()
        .contains("O=AO Kaspersky Lab"));
    assert!(
        emb["evidence"]["detail"]["chain"].as_str().is_some(),
        "the signer chain is shown: {emb:#}"
    );
    // The benign vendor's own signed binary is not a finding.
    assert!(!signers
        .iter()
        .any(|f| f["evidence"]["source"] == "/Program Files/OtherVendor/app.exe"));
    // Catalog file names are found wherever they lie.
    let files = findings(&r, "file");
    assert!(
        files
            .iter()
            .any(|f| f["evidence"]["source"] == "/Windows/System32/drivers/klif.sys"),
        "{files:#?}"
    );
    // Finding ids are unique even when one file carries two signatures.
    let mut ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    // Without --deep, no file is opened beyond the catalog's paths.
    let (_, shallow) = scan_json(&fixture("deep-embedded"), &[]);
    assert!(findings(&shallow, "signer").is_empty());
}

#[test]
fn macos_root_finds_app_receipt_launchd_and_renamed_bundle() {
    let (code, r) = scan_json(&fixture("macos-kaspersky"), &[]);
    assert_eq!(code, 1);
    assert_eq!(r["host"]["os"], "macos");
    let keys = |kind: &str| -> Vec<String> {
        findings(&r, kind)
            .iter()
            .map(|f| f["evidence"]["key"].as_str().unwrap().to_owned())
            .collect()
    };
    // The app bundle, read from a binary Info.plist.
    let pkgs = findings(&r, "package");
    assert!(
        pkgs.iter()
            .any(|f| f["evidence"]["detail"]["package_source"] == "mac-app"
                && f["evidence"]["detail"]["id"] == "com.kaspersky.kav"),
        "{pkgs:#?}"
    );
    // The installer receipt.
    assert!(keys("package").contains(&"com.kaspersky.kav.core".to_owned()));
    // The LaunchDaemon.
    assert!(keys("service").contains(&"com.kaspersky.kav".to_owned()));
    // A renamed bundle is still caught by the Team ID in its code signature.
    let signers = findings(&r, "signer");
    let renamed = signers
        .iter()
        .find(|f| {
            f["evidence"]["source"]
                .as_str()
                .unwrap()
                .starts_with("/Applications/Renamed Tool.app/")
        })
        .expect("renamed bundle");
    assert_eq!(renamed["evidence"]["detail"]["team_id"], "2Y8XE5CQ94");
    assert!(
        renamed["embedded_in"].is_null(),
        "a bundle's own binary is not embedded"
    );
    // Kernel and system extensions.
    assert!(findings(&r, "driver").len() >= 2);
    let (code, clean) = scan_json(&fixture("macos-clean"), &[]);
    assert_eq!(code, 0, "{:#}", clean["findings"]);
}

#[test]
fn windows_root_finds_kes_kpm_klif_and_root_ca() {
    let (code, r) = scan_json(&fixture("windows-kes"), &[]);
    assert_eq!(code, 1);
    assert_eq!(r["host"]["os"], "windows");
    let pkgs = findings(&r, "package");
    let kes = pkgs
        .iter()
        .find(|f| f["evidence"]["key"] == "Kaspersky Endpoint Security for Windows")
        .expect("KES");
    assert_eq!(kes["evidence"]["detail"]["scope"], "machine");
    assert!(
        kes["evidence"]["detail"]["id"]
            .as_str()
            .unwrap()
            .starts_with('{'),
        "MSI ProductCode recorded"
    );
    let kpm = pkgs
        .iter()
        .find(|f| f["evidence"]["key"] == "Kaspersky Password Manager")
        .expect("KPM");
    assert_eq!(kpm["evidence"]["detail"]["scope"], "user:alice");
    let drivers = findings(&r, "driver");
    let klif = drivers
        .iter()
        .find(|f| f["evidence"]["key"] == "klif")
        .expect("klif driver");
    assert_eq!(klif["severity"], "critical");
    assert_eq!(klif["evidence"]["detail"]["altitudes"], "320400");
    let certs = findings(&r, "certificate");
    assert!(certs.iter().any(|c| c["evidence"]["detail"]["subject"]
        .as_str()
        .unwrap()
        .contains("Kaspersky Anti-Virus Personal Root Certificate")));
    for f in r["findings"].as_array().unwrap() {
        assert!(
            f["authorities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["id"] == "bod-17-01"),
            "{f:#}"
        );
    }
    // Replacement-protection state is recorded for the remediation check.
    assert!(!r["inventory"]["protection"].as_array().unwrap().is_empty());
    // With --deep, the Kaspersky-signed engine inside another vendor's folder is an embedded finding.
    let (code, deep) = scan_json(&fixture("windows-kes"), &["--deep"]);
    assert_eq!(code, 1);
    let emb = findings(&deep, "signer")
        .into_iter()
        .find(|f| f["evidence"]["source"] == "/Program Files/OtherVendor/engine/kavbase.dll")
        .expect("embedded engine");
    assert_eq!(emb["embedded_in"], "/Program Files/OtherVendor");
    assert_eq!(emb["vendor"], "kaspersky");
}

#[test]
fn assessment_explains_every_finding() {
    let out = uproot(&[
        "assess",
        "--root",
        fixture("dpkg-kesl").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(a["model"], "uproot.risk/1");
    assert_eq!(a["status"], "affected");
    let (_, r) = scan_json(&fixture("dpkg-kesl"), &[]);
    let fs = r["findings"].as_array().unwrap();
    let assessed = a["findings"].as_array().unwrap();
    assert_eq!(fs.len(), assessed.len());
    for (f, fa) in fs.iter().zip(assessed) {
        assert_eq!(f["id"], fa["finding"]);
        assert_eq!(f["severity"], fa["severity"], "one severity everywhere");
        let factors = fa["factors"].as_array().unwrap();
        assert!(!factors.is_empty());
        let sum: i64 = factors.iter().map(|x| x["points"].as_i64().unwrap()).sum();
        assert_eq!(
            sum,
            fa["score"].as_i64().unwrap(),
            "the score is the sum of its reasons"
        );
        assert!(factors
            .iter()
            .all(|x| !x["why"].as_str().unwrap().is_empty()));
    }
    // The BOD 17-01 milestones are listed with their dates.
    let due: Vec<&str> = a["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["authority"] == "bod-17-01")
        .map(|d| d["due"].as_str().unwrap())
        .collect();
    assert_eq!(due, ["2017-10-13", "2017-11-12", "2017-12-12"]);
    // The scan report carries the same assessment.
    assert_eq!(r["assessment"]["status"], "affected");
}

#[test]
fn readme_documents_every_risk_factor() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for (id, points, _) in uproot_assess::FACTORS {
        let row = format!("| `{id}` | {points:+} |");
        assert!(
            readme.contains(&row),
            "README's risk model lacks the row starting {row}"
        );
    }
}

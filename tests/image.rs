//! End-to-end: `uproot scan --image` on images built by
//! `uproot_image::testimage` (tar layers written here, no Docker): the
//! issue's kesl install-then-purge image in every container format, layer
//! attribution, CycloneDX output, and hostile images.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use uproot_image::testimage::{
    kesl_scenario, kesl_stanza, write_dir, write_tar, ImageSpec, Layer, KESL_STEPS,
};
use uproot_image::Compression;

fn uproot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uproot"))
        .args(args)
        .output()
        .expect("run uproot")
}

fn scan_image(image: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "scan",
        "--image",
        image.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = uproot(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    (out.status.code().expect("exit code"), json, stderr)
}

fn findings(r: &Value) -> &Vec<Value> {
    r["findings"].as_array().expect("findings array")
}

/// The kesl scenario in every container format the scanner reads.
fn scenario_images(dir: &Path) -> Vec<(String, PathBuf)> {
    let spec = kesl_scenario();
    let gz = kesl_scenario().compress_all(Compression::Gzip);
    let mut out = Vec::new();
    let oci_tar = dir.join("oci.tar");
    write_tar(&oci_tar, &spec.oci_members()).unwrap();
    out.push(("oci tar, plain layers".into(), oci_tar));
    let oci_gz = dir.join("oci-gz.tar");
    write_tar(&oci_gz, &gz.oci_members()).unwrap();
    out.push(("oci tar, gzip layers".into(), oci_gz));
    let oci_dir = dir.join("oci-dir");
    write_dir(&oci_dir, &gz.oci_members()).unwrap();
    out.push(("oci layout directory".into(), oci_dir));
    let docker = dir.join("docker-save.tar");
    write_tar(&docker, &spec.docker_save_members()).unwrap();
    out.push(("docker save (legacy)".into(), docker));
    let docker25 = dir.join("docker25.tar");
    write_tar(&docker25, &spec.docker25_members()).unwrap();
    out.push(("docker save (25+)".into(), docker25));
    out
}

#[test]
fn whiteout_hides_the_package_and_the_leftover_is_a_remnant_from_its_layer() {
    let tmp = tempfile::tempdir().unwrap();
    for (what, image) in scenario_images(tmp.path()) {
        let (code, r, stderr) = scan_image(&image, &[]);
        assert_eq!(code, 1, "{what}: leftovers are findings; stderr {stderr}");
        let f = findings(&r);
        assert!(
            !f.iter().any(|x| x["kind"] == "package"),
            "{what}: the purge layer's whiteouts must hide the kesl package: {f:#?}"
        );
        assert!(
            r["inventory"]["packages"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["name"] != "kesl"),
            "{what}: kesl still in the merged inventory"
        );
        let remnant = f
            .iter()
            .find(|x| x["evidence"]["key"] == "/var/opt/kaspersky")
            .unwrap_or_else(|| panic!("{what}: no finding for the leftover: {f:#?}"));
        assert_eq!(remnant["remnant"], true, "{what}");
        assert_eq!(remnant["vendor"], "kaspersky", "{what}");
        // Layer 1 (the install step) put it there; history's empty ENV step is skipped.
        assert_eq!(remnant["layer"]["index"], 1, "{what}: {remnant:#?}");
        assert_eq!(remnant["layer"]["created_by"], KESL_STEPS[1], "{what}");
        assert!(
            remnant["layer"]["digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:"),
            "{what}"
        );
        // The whited-out install directory is gone from the merged view.
        assert!(
            !f.iter().any(|x| x["evidence"]["key"] == "/opt/kaspersky"),
            "{what}: /opt/kaspersky was whited out"
        );
        assert!(r["host"]["root"].as_str().unwrap().starts_with("image:"));
        assert_eq!(
            r["host"]["distro"], "debian",
            "{what}: os-release read from the image"
        );
    }
}

#[test]
fn an_installed_package_is_attributed_to_the_layer_that_installed_it() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Layer::new("ADD rootfs.tar /")
        .dir("etc")
        .file("etc/os-release", "ID=debian\nVERSION_ID=12\n")
        .dir("var")
        .dir("var/lib")
        .dir("var/lib/dpkg")
        .dir("var/lib/dpkg/info")
        .file("var/lib/dpkg/status", "");
    let install = Layer::new("RUN dpkg -i kesl.deb")
        .dir("var/lib/dpkg")
        .file("var/lib/dpkg/status", kesl_stanza())
        .file("var/lib/dpkg/info/kesl.list", "/opt/kaspersky/kesl\n");
    // A later apt step rewrites status; the package still belongs to layer 1.
    let later = Layer::new("RUN apt-get install -y curl")
        .dir("var/lib/dpkg")
        .file("var/lib/dpkg/status", format!("{}\n", kesl_stanza()));
    let spec = ImageSpec::new().layer(base).layer(install).layer(later);
    let image = tmp.path().join("installed.tar");
    write_tar(&image, &spec.oci_members()).unwrap();
    let (code, r, stderr) = scan_image(&image, &[]);
    assert_eq!(code, 1, "{stderr}");
    let pkg = findings(&r)
        .iter()
        .find(|x| x["kind"] == "package" && x["evidence"]["key"] == "kesl")
        .unwrap_or_else(|| panic!("no kesl package finding: {r:#}"));
    assert_eq!(pkg["remnant"], false);
    assert_eq!(pkg["layer"]["index"], 1, "{pkg:#}");
    assert_eq!(pkg["layer"]["created_by"], "RUN dpkg -i kesl.deb");
}

#[test]
fn image_scan_writes_a_cyclonedx_bom_that_names_the_container() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("oci.tar");
    write_tar(&image, &kesl_scenario().oci_members()).unwrap();
    let out = uproot(&[
        "scan",
        "--image",
        image.to_str().unwrap(),
        "--format",
        "cyclonedx",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.5");
    assert_eq!(bom["metadata"]["component"]["type"], "container");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("uproot:finding:layer"),
        "layer property missing"
    );
    let path = tmp.path().join("bom.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let v = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cdx-validate"))
        .arg(&path)
        .output()
        .expect("scripts/cdx-validate");
    assert!(
        v.status.success(),
        "the official CycloneDX 1.5 schema rejects the image BOM: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
fn hostile_images_fail_with_the_entry_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, ImageSpec, &str)> = vec![
        (
            "dotdot",
            ImageSpec::new().layer(Layer::new("evil").raw(b"../../etc/cron.d/x", b'0', b"", b"x")),
            "../../etc/cron.d/x",
        ),
        (
            "absolute",
            ImageSpec::new().layer(Layer::new("evil").raw(b"/etc/passwd", b'0', b"", b"x")),
            "/etc/passwd",
        ),
    ];
    for (what, spec, entry) in cases {
        let image = tmp.path().join(format!("{what}.tar"));
        write_tar(&image, &spec.oci_members()).unwrap();
        let out = uproot(&[
            "scan",
            "--image",
            image.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains(entry),
            "{what}: error does not name {entry}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
    // A layer the manifest lists but the archive lacks.
    let mut members = kesl_scenario().oci_members();
    let dropped = members
        .iter()
        .position(|(path, data)| path.starts_with("blobs/sha256/") && data.len() > 1000)
        .expect("a layer blob");
    let name = members.remove(dropped).0;
    let image = tmp.path().join("missing.tar");
    write_tar(&image, &members).unwrap();
    let out = uproot(&["scan", "--image", image.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let digest = name.trim_start_matches("blobs/sha256/");
    assert!(stderr.contains(digest), "missing layer not named: {stderr}");
}

//! Builds test images without Docker: layer tars written entry by entry,
//! then packed as an OCI layout (directory or tar, plain, gzip or zstd
//! layers), a legacy `docker save` archive, or a Docker 25+ one. Output is
//! deterministic (fixed mtimes, owners and gzip headers), so digests are
//! stable for a given build.
//!
//! [`kesl_scenario`] is the image the issue asks for: a Debian-like base,
//! a layer that installs `kesl`, and a layer that removes it with whiteouts
//! but leaves `/var/opt/kaspersky/kesl` behind.
//!
//! ```no_run
//! use uproot_image::testimage::{kesl_scenario, write_tar};
//! let members = kesl_scenario().oci_members();
//! write_tar(std::path::Path::new("/tmp/kesl-oci.tar"), &members).unwrap();
//! ```

use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::Compression;

/// Every entry's mtime (2023-11-14): fixed, so tars are reproducible.
pub const MTIME: u64 = 1_700_000_000;

/// A file inside an image: archive member name and bytes.
pub type Member = (String, Vec<u8>);

/// sha256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::manifest::hex(&Sha256::digest(bytes))
}

#[derive(Debug, Clone)]
struct Entry {
    path: Vec<u8>,
    typeflag: u8,
    link: Vec<u8>,
    data: Vec<u8>,
    mode: u32,
}

/// One layer: its tar entries, the Dockerfile step that made it, and how
/// its blob is compressed.
#[derive(Debug, Clone)]
pub struct Layer {
    entries: Vec<Entry>,
    created_by: String,
    compression: Compression,
}

impl Layer {
    /// An empty layer made by `created_by`.
    pub fn new(created_by: &str) -> Layer {
        Layer {
            entries: Vec::new(),
            created_by: created_by.to_owned(),
            compression: Compression::None,
        }
    }

    fn push(mut self, path: &[u8], typeflag: u8, link: &[u8], data: &[u8], mode: u32) -> Layer {
        self.entries.push(Entry {
            path: path.to_vec(),
            typeflag,
            link: link.to_vec(),
            data: data.to_vec(),
            mode,
        });
        self
    }

    /// A directory entry (`path` without a trailing slash).
    pub fn dir(self, path: &str) -> Layer {
        let p = format!("{}/", path.trim_end_matches('/'));
        self.push(p.as_bytes(), b'5', b"", b"", 0o755)
    }

    /// A regular file, mode 0644.
    pub fn file(self, path: &str, content: impl AsRef<[u8]>) -> Layer {
        self.file_mode(path, content, 0o644)
    }

    /// A regular file with the given mode.
    pub fn file_mode(self, path: &str, content: impl AsRef<[u8]>, mode: u32) -> Layer {
        self.push(path.as_bytes(), b'0', b"", content.as_ref(), mode)
    }

    /// A symlink `path -> target`.
    pub fn symlink(self, path: &str, target: &str) -> Layer {
        self.push(path.as_bytes(), b'2', target.as_bytes(), b"", 0o777)
    }

    /// A hard link `path` to the earlier entry `target` (archive path).
    pub fn hardlink(self, path: &str, target: &str) -> Layer {
        self.push(path.as_bytes(), b'1', target.as_bytes(), b"", 0o644)
    }

    /// A whiteout hiding `path` of lower layers (`dir/.wh.name`).
    pub fn whiteout(self, path: &str) -> Layer {
        let p = path.trim_end_matches('/');
        let wh = match p.rsplit_once('/') {
            Some((dir, name)) => format!("{dir}/.wh.{name}"),
            None => format!(".wh.{p}"),
        };
        self.push(wh.as_bytes(), b'0', b"", b"", 0o644)
    }

    /// Makes `dir` opaque: lower layers' contents of it are hidden.
    pub fn opaque(self, dir: &str) -> Layer {
        let p = format!("{}/.wh..wh..opq", dir.trim_end_matches('/'));
        self.push(p.as_bytes(), b'0', b"", b"", 0o644)
    }

    /// Any entry, unchecked: for hostile layers (`../x`, `/etc/x`, odd types).
    pub fn raw(self, path: &[u8], typeflag: u8, link: &[u8], data: &[u8]) -> Layer {
        self.push(path, typeflag, link, data, 0o644)
    }

    /// Sets how the blob is compressed.
    pub fn compressed(mut self, c: Compression) -> Layer {
        self.compression = c;
        self
    }

    /// The uncompressed layer tar.
    pub fn tar(&self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for e in &self.entries {
            // Names over 100 bytes go in GNU long-name records, as GNU tar writes them.
            if e.path.len() > 100 {
                append_long(&mut b, b'L', &e.path);
            }
            if e.link.len() > 100 {
                append_long(&mut b, b'K', &e.link);
            }
            let mut h = header(e.typeflag, e.data.len() as u64, e.mode);
            let n = e.path.len().min(100);
            h.as_old_mut().name[..n].copy_from_slice(&e.path[..n]);
            let l = e.link.len().min(100);
            h.as_old_mut().linkname[..l].copy_from_slice(&e.link[..l]);
            h.set_cksum();
            b.append(&h, &e.data[..]).expect("writing to a Vec");
        }
        b.into_inner().expect("writing to a Vec")
    }

    /// The blob as stored: the tar, compressed as set.
    pub fn blob(&self) -> Vec<u8> {
        compress(&self.tar(), self.compression)
    }

    /// The Dockerfile step recorded in the history.
    pub fn created_by(&self) -> &str {
        &self.created_by
    }
}

fn header(typeflag: u8, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::new(typeflag));
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(MTIME);
    h.set_uid(0);
    h.set_gid(0);
    let _ = h.set_username("root");
    let _ = h.set_groupname("root");
    h
}

fn append_long(b: &mut tar::Builder<Vec<u8>>, typeflag: u8, name: &[u8]) {
    let mut data = name.to_vec();
    data.push(0);
    let mut h = header(typeflag, data.len() as u64, 0o644);
    h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    h.set_cksum();
    b.append(&h, &data[..]).expect("writing to a Vec");
}

/// Compresses bytes deterministically (gzip level 6 with mtime 0, zstd fastest).
pub fn compress(data: &[u8], c: Compression) -> Vec<u8> {
    match c {
        Compression::None => data.to_vec(),
        Compression::Gzip => {
            let mut gz = flate2::GzBuilder::new()
                .mtime(0)
                .operating_system(255)
                .write(Vec::new(), flate2::Compression::default());
            gz.write_all(data).expect("writing to a Vec");
            gz.finish().expect("writing to a Vec")
        }
        Compression::Zstd => {
            ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
        }
    }
}

/// A whole image: layers (base first), history, platform and tags.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// Layers, base first.
    pub layers: Vec<Layer>,
    /// History entries that made no layer (`ENV`, `CMD`), as
    /// (number of layers before it, created_by).
    pub empty_steps: Vec<(usize, String)>,
    /// `os` of the config.
    pub os: String,
    /// `architecture` of the config.
    pub architecture: String,
    /// `variant`, if any.
    pub variant: Option<String>,
    /// RepoTags (docker save) / ref names (OCI).
    pub tags: Vec<String>,
}

impl Default for ImageSpec {
    fn default() -> Self {
        ImageSpec {
            layers: Vec::new(),
            empty_steps: Vec::new(),
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            tags: vec!["uproot-test:latest".into()],
        }
    }
}

/// Media types of the OCI documents written.
const MT_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const MT_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MT_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

fn layer_media_type(c: Compression) -> &'static str {
    match c {
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

fn to_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON values serialise")
}

fn blob_name(bytes: &[u8]) -> String {
    format!("blobs/sha256/{}", sha256_hex(bytes))
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": format!("sha256:{}", sha256_hex(bytes)), "size": bytes.len()})
}

/// Members sorted and deduplicated by name (identical blobs are shared).
fn finish(mut m: Vec<Member>) -> Vec<Member> {
    m.sort_by(|a, b| a.0.cmp(&b.0));
    m.dedup_by(|a, b| a.0 == b.0);
    m
}

impl ImageSpec {
    /// An image with no layers yet (linux/amd64, tag `uproot-test:latest`).
    pub fn new() -> ImageSpec {
        ImageSpec::default()
    }

    /// Adds a layer on top.
    pub fn layer(mut self, l: Layer) -> ImageSpec {
        self.layers.push(l);
        self
    }

    /// Adds a history step that makes no layer, after the layers so far.
    pub fn empty_step(mut self, created_by: &str) -> ImageSpec {
        self.empty_steps
            .push((self.layers.len(), created_by.to_owned()));
        self
    }

    /// Sets the platform.
    pub fn platform(mut self, os: &str, arch: &str, variant: Option<&str>) -> ImageSpec {
        self.os = os.into();
        self.architecture = arch.into();
        self.variant = variant.map(Into::into);
        self
    }

    /// Compresses every layer blob the same way.
    pub fn compress_all(mut self, c: Compression) -> ImageSpec {
        for l in &mut self.layers {
            l.compression = c;
        }
        self
    }

    /// The config JSON.
    pub fn config_json(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self
            .layers
            .iter()
            .map(|l| format!("sha256:{}", sha256_hex(&l.tar())))
            .collect();
        let mut history = Vec::new();
        for i in 0..=self.layers.len() {
            for (_, by) in self.empty_steps.iter().filter(|(at, _)| *at == i) {
                history.push(json!({"created": "2024-01-01T00:00:00Z", "created_by": by, "empty_layer": true}));
            }
            if let Some(l) = self.layers.get(i) {
                history
                    .push(json!({"created": "2024-01-01T00:00:00Z", "created_by": l.created_by}));
            }
        }
        let mut cfg = json!({
            "architecture": self.architecture,
            "os": self.os,
            "created": "2024-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        if let Some(v) = &self.variant {
            cfg["variant"] = json!(v);
        }
        to_json(&cfg)
    }

    /// The image manifest and the blobs it names; returns the manifest bytes.
    fn manifest(&self, blobs: &mut Vec<Member>) -> Vec<u8> {
        let config = self.config_json();
        let mut layers = Vec::new();
        for l in &self.layers {
            let b = l.blob();
            layers.push(descriptor(layer_media_type(l.compression), &b));
            blobs.push((blob_name(&b), b));
        }
        let manifest = to_json(&json!({
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": descriptor(MT_CONFIG, &config),
            "layers": layers,
        }));
        blobs.push((blob_name(&config), config));
        blobs.push((blob_name(&manifest), manifest.clone()));
        manifest
    }

    fn manifest_descriptor(&self, manifest: &[u8], with_platform: bool) -> Value {
        let mut d = descriptor(MT_MANIFEST, manifest);
        if with_platform {
            let mut p = json!({"architecture": self.architecture, "os": self.os});
            if let Some(v) = &self.variant {
                p["variant"] = json!(v);
            }
            d["platform"] = p;
        }
        if let Some(tag) = self.tags.first() {
            let r = tag.rsplit_once(':').map_or("latest", |(_, t)| t);
            d["annotations"] =
                json!({"org.opencontainers.image.ref.name": r, "io.containerd.image.name": tag});
        }
        d
    }

    /// An OCI image layout holding this image.
    pub fn oci_members(&self) -> Vec<Member> {
        let mut m = Vec::new();
        let manifest = self.manifest(&mut m);
        let index = json!({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [self.manifest_descriptor(&manifest, true)]});
        m.push(("index.json".into(), to_json(&index)));
        m.push((
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ));
        finish(m)
    }

    /// A legacy `docker save` archive: `manifest.json`, `<config>.json`,
    /// `<id>/layer.tar` (blobs as set; docker save writes plain tars).
    pub fn docker_save_members(&self) -> Vec<Member> {
        let config = self.config_json();
        let cfg_hex = sha256_hex(&config);
        let mut m: Vec<Member> = Vec::new();
        let mut layer_names = Vec::new();
        let mut parent = String::new();
        for l in &self.layers {
            let id = sha256_hex(format!("{parent}{}", sha256_hex(&l.tar())).as_bytes());
            m.push((format!("{id}/VERSION"), b"1.0".to_vec()));
            m.push((
                format!("{id}/json"),
                to_json(&json!({"id": id, "parent": parent})),
            ));
            m.push((format!("{id}/layer.tar"), l.blob()));
            layer_names.push(format!("{id}/layer.tar"));
            parent = id;
        }
        m.push((format!("{cfg_hex}.json"), config));
        let manifest = json!([{"Config": format!("{cfg_hex}.json"), "RepoTags": self.tags, "Layers": layer_names}]);
        m.push(("manifest.json".into(), to_json(&manifest)));
        finish(m)
    }

    /// A Docker 25+ `docker save` archive: an OCI layout whose index
    /// entry has no platform, plus a `manifest.json` pointing at the blobs.
    pub fn docker25_members(&self) -> Vec<Member> {
        let mut m = Vec::new();
        let manifest = self.manifest(&mut m);
        let index = json!({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [self.manifest_descriptor(&manifest, false)]});
        m.push(("index.json".into(), to_json(&index)));
        m.push((
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ));
        let config = self.config_json();
        let layers: Vec<String> = self.layers.iter().map(|l| blob_name(&l.blob())).collect();
        let dm = json!([{"Config": blob_name(&config), "RepoTags": self.tags, "Layers": layers}]);
        m.push(("manifest.json".into(), to_json(&dm)));
        finish(m)
    }
}

/// An OCI layout holding several images under one index: a multi-platform
/// image. With `nested`, index.json points at an inner index that lists
/// the platforms (as registries serve them), and an attestation manifest
/// is added beside them, as BuildKit does.
pub fn multi_platform_members(images: &[ImageSpec], nested: bool) -> Vec<Member> {
    let mut m = Vec::new();
    let mut descs = Vec::new();
    for img in images {
        let manifest = img.manifest(&mut m);
        descs.push(img.manifest_descriptor(&manifest, true));
    }
    if nested {
        let att = to_json(&json!({"schemaVersion": 2, "mediaType": MT_MANIFEST,
            "config": descriptor(MT_CONFIG, b"{}"), "layers": []}));
        let mut d = descriptor(MT_MANIFEST, &att);
        d["platform"] = json!({"architecture": "unknown", "os": "unknown"});
        d["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
        m.push((blob_name(b"{}"), b"{}".to_vec()));
        m.push((blob_name(&att), att));
        descs.push(d);
    }
    let inner = to_json(&json!({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": descs}));
    let top = if nested {
        let mut d = descriptor(MT_INDEX, &inner);
        d["annotations"] = json!({"org.opencontainers.image.ref.name": "multi"});
        m.push((blob_name(&inner), inner));
        to_json(&json!({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [d]}))
    } else {
        inner
    };
    m.push(("index.json".into(), top));
    m.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    finish(m)
}

/// Writes members as an (uncompressed) tar file.
pub fn write_tar(path: &Path, members: &[Member]) -> io::Result<()> {
    let mut b = tar::Builder::new(io::BufWriter::new(std::fs::File::create(path)?));
    let mut dirs = std::collections::BTreeSet::new();
    for (name, _) in members {
        let mut p = name.as_str();
        while let Some((d, _)) = p.rsplit_once('/') {
            dirs.insert(d.to_owned());
            p = d;
        }
    }
    for d in &dirs {
        let mut h = header(b'5', 0, 0o755);
        h.set_path(format!("{d}/"))?;
        h.set_cksum();
        b.append(&h, io::empty())?;
    }
    for (name, data) in members {
        let mut h = header(b'0', data.len() as u64, 0o644);
        h.set_path(name)?;
        h.set_cksum();
        b.append(&h, &data[..])?;
    }
    b.into_inner()?.flush()
}

/// Writes members under a directory (an OCI layout or unpacked docker save).
pub fn write_dir(dir: &Path, members: &[Member]) -> io::Result<()> {
    for (name, data) in members {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, data)?;
    }
    Ok(())
}

/// `Maintainer` of the kesl stand-in, as Kaspersky's packages have it.
pub const KESL_MAINTAINER: &str = "AO Kaspersky Lab <support@kaspersky.com>";

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n";

const BASE_STATUS: &str = "Package: base-files\nStatus: install ok installed\nPriority: required\nSection: admin\nInstalled-Size: 341\nMaintainer: Santiago Vila <sanvila@debian.org>\nArchitecture: amd64\nVersion: 12.4+deb12u5\nDescription: Debian base system miscellaneous files\n\nPackage: libc6\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 12986\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library: Shared libraries\n\nPackage: hello\nStatus: install ok installed\nPriority: optional\nSection: devel\nInstalled-Size: 280\nMaintainer: Santiago Vila <sanvila@debian.org>\nArchitecture: amd64\nVersion: 2.10-3\nDescription: example package based on GNU hello\n";

/// The dpkg stanza of the kesl stand-in (not Kaspersky software: metadata only).
pub fn kesl_stanza() -> String {
    format!(
        "Package: kesl\nStatus: install ok installed\nPriority: optional\nSection: non-free/admin\nInstalled-Size: 4\nMaintainer: {KESL_MAINTAINER}\nArchitecture: amd64\nVersion: 12.1.0-1297\nDescription: Kaspersky Endpoint Security for Linux\n Test stand-in written by uproot's test image builder; not Kaspersky software.\nHomepage: https://www.kaspersky.com\n"
    )
}

/// `created_by` of the scenario's layers, base first.
pub const KESL_STEPS: [&str; 3] = [
    "/bin/sh -c #(nop) ADD file:debian-bookworm-rootfs.tar in / ",
    "/bin/sh -c dpkg -i /tmp/kesl_12.1.0-1297_amd64.deb",
    "/bin/sh -c dpkg --purge kesl && rm -rf /opt/kaspersky",
];

/// The issue's scenario, three layers:
/// 0. a Debian-like base (`/etc/os-release`, `/var/lib/dpkg/status` with
///    three packages, merged-usr `/bin -> usr/bin`, a hard link);
/// 1. installs kesl: a stanza in `/var/lib/dpkg/status` and in distroless
///    `/var/lib/dpkg/status.d/kesl`, `/opt/kaspersky/kesl/...`,
///    `/var/lib/dpkg/info/kesl.list`, and state under `/var/opt/kaspersky/kesl`;
/// 2. removes it: status rewritten without kesl, whiteouts for
///    `status.d/kesl`, `info/kesl.list` and `/opt/kaspersky`; the leftover
///    `/var/opt/kaspersky/kesl` (from layer 1) stays.
///
/// History also has empty steps (`ENV`, `CMD`), which map to no layer.
pub fn kesl_scenario() -> ImageSpec {
    let base = Layer::new(KESL_STEPS[0])
        .dir("etc")
        .file("etc/os-release", OS_RELEASE)
        .file("etc/hostname", "uproot-test\n")
        .symlink("bin", "usr/bin")
        .dir("usr")
        .dir("usr/bin")
        .file_mode("usr/bin/hello", "#!/bin/sh\necho hello\n", 0o755)
        .hardlink("usr/bin/hello-again", "usr/bin/hello")
        .dir("var")
        .dir("var/lib")
        .dir("var/lib/dpkg")
        .dir("var/lib/dpkg/status.d")
        .dir("var/lib/dpkg/info")
        .file("var/lib/dpkg/status", BASE_STATUS)
        .file("var/lib/dpkg/info/hello.list", "/usr/bin/hello\n");
    let kesl = Layer::new(KESL_STEPS[1])
        .dir("opt")
        .dir("opt/kaspersky")
        .dir("opt/kaspersky/kesl")
        .dir("opt/kaspersky/kesl/bin")
        .file_mode(
            "opt/kaspersky/kesl/bin/kesl-control",
            "#!/bin/sh\n# uproot test stand-in for kesl-control\nexit 0\n",
            0o755,
        )
        .dir("var/lib/dpkg")
        .file(
            "var/lib/dpkg/status",
            format!("{BASE_STATUS}\n{}", kesl_stanza()),
        )
        .file("var/lib/dpkg/status.d/kesl", kesl_stanza())
        .file(
            "var/lib/dpkg/info/kesl.list",
            "/opt/kaspersky/kesl\n/opt/kaspersky/kesl/bin/kesl-control\n",
        )
        .dir("var/opt")
        .dir("var/opt/kaspersky")
        .dir("var/opt/kaspersky/kesl")
        .dir("var/opt/kaspersky/kesl/common")
        .file(
            "var/opt/kaspersky/kesl/common/kesl.ini",
            "[General]\nUSE_KSN=yes\n",
        );
    let purge = Layer::new(KESL_STEPS[2])
        .dir("opt")
        .whiteout("opt/kaspersky")
        .dir("var/lib/dpkg")
        .file("var/lib/dpkg/status", BASE_STATUS)
        .whiteout("var/lib/dpkg/status.d/kesl")
        .whiteout("var/lib/dpkg/info/kesl.list");
    ImageSpec::new()
        .layer(base)
        .empty_step("/bin/sh -c #(nop)  ENV LANG=C.UTF-8")
        .layer(kesl)
        .layer(purge)
        .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
}

/// The body of the `image_layer` fuzz target, here so tests can run it too.
/// The first byte picks the mode: even, the rest is a whole archive; odd,
/// the rest is one layer blob (tar, gzip or zstd) inside a well-formed
/// docker save archive, which reaches the layer code far more often. Bit 1
/// turns digest checks off (a fuzzed layer never matches a digest anyway).
/// Whatever opens is walked and every file read through the `Vfs`; nothing
/// may panic. Returns whether the image opened.
pub fn fuzz_image(data: &[u8]) -> bool {
    use uproot_collect::root::EntryType;
    use uproot_collect::Vfs;

    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return false;
    };
    let path = dir.path().join("image.tar");
    let written = if mode & 1 == 0 {
        std::fs::write(&path, rest)
    } else {
        let config = br#"{"os":"linux","architecture":"amd64","history":[{"created_by":"fuzz"}]}"#;
        let manifest =
            br#"[{"Config":"config.json","RepoTags":["fuzz:latest"],"Layers":["l/layer.tar"]}]"#;
        write_tar(
            &path,
            &[
                ("config.json".into(), config.to_vec()),
                ("l/layer.tar".into(), rest.to_vec()),
                ("manifest.json".into(), manifest.to_vec()),
            ],
        )
    };
    if written.is_err() {
        return false;
    }
    let opts = crate::ImageOptions {
        max_total_bytes: 64 << 20,
        max_entries: 100_000,
        verify_digests: mode & 2 == 0,
        ..crate::ImageOptions::default()
    };
    let Ok(image) = crate::Image::open(&path, &opts) else {
        return false;
    };
    let mut stack = vec!["/".to_owned()];
    let mut visited = 0;
    while let Some(d) = stack.pop() {
        for e in image.read_dir(&d).unwrap_or_default() {
            visited += 1;
            if visited > 10_000 {
                return true;
            }
            let p = if d == "/" {
                format!("/{}", e.name)
            } else {
                format!("{d}/{}", e.name)
            };
            let meta = image.lstat(&p);
            assert!(meta.is_ok(), "{p} is listed but cannot be stat'ed");
            let _ = image.layer_of(&p);
            match e.file_type {
                EntryType::Dir => stack.push(p),
                EntryType::File => {
                    if let Ok(mut f) = image.open(&p) {
                        let mut buf = Vec::new();
                        let _ = std::io::Read::read_to_end(
                            &mut std::io::Read::take(&mut f, 1 << 20),
                            &mut buf,
                        );
                    }
                }
                EntryType::Symlink => {
                    let _ = image.read_link(&p);
                }
                EntryType::Other => {}
            }
        }
    }
    true
}

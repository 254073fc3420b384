//! The merged view of images built by `testimage`, in every input format,
//! and every kind of bad input the issue lists.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use uproot_collect::{Root, Vfs};
use uproot_image::testimage::{
    self, kesl_scenario, multi_platform_members, write_dir, write_tar, ImageSpec, Layer, Member,
    KESL_STEPS,
};
use uproot_image::{Compression, Image, ImageError, ImageFormat, ImageOptions, Platform};

fn opts() -> ImageOptions {
    ImageOptions::default()
}

/// Writes members as a tar (or a directory) in a fresh temp dir.
fn materialise(members: &[Member], as_dir: bool) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = if as_dir {
        let d = tmp.path().join("image");
        write_dir(&d, members).unwrap();
        d
    } else {
        let p = tmp.path().join("image.tar");
        write_tar(&p, members).unwrap();
        p
    };
    (tmp, path)
}

fn open(members: &[Member], as_dir: bool) -> Image {
    let (_tmp, path) = materialise(members, as_dir);
    // The image keeps its files open; the temp dir may go.
    Image::open(&path, &opts()).unwrap_or_else(|e| panic!("{e}"))
}

fn open_err(members: &[Member], as_dir: bool, o: &ImageOptions) -> ImageError {
    let (_tmp, path) = materialise(members, as_dir);
    Image::open(&path, o).expect_err("image should be refused")
}

fn read(img: &Image, path: &str) -> String {
    let mut s = String::new();
    img.open(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn missing(img: &Image, path: &str) -> bool {
    img.lstat(path)
        .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

fn names(img: &Image, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = img
        .read_dir(dir)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    v.sort();
    v
}

/// Everything the kesl scenario must look like, whatever the packaging.
fn assert_kesl_view(img: &Image, what: &str) {
    assert_eq!(img.layers().len(), 3, "{what}");
    // Whiteouts removed the package entry and the install dir...
    assert!(missing(img, "/var/lib/dpkg/status.d/kesl"), "{what}");
    assert!(missing(img, "/var/lib/dpkg/info/kesl.list"), "{what}");
    assert!(missing(img, "/opt/kaspersky"), "{what}");
    assert!(
        missing(img, "/opt/kaspersky/kesl/bin/kesl-control"),
        "{what}"
    );
    assert!(
        !read(img, "/var/lib/dpkg/status").contains("kesl"),
        "{what}"
    );
    assert_eq!(names(img, "/opt"), Vec::<String>::new(), "{what}");
    assert_eq!(
        names(img, "/var/lib/dpkg/status.d"),
        Vec::<String>::new(),
        "{what}"
    );
    // ...but not the leftover state under /var/opt.
    assert_eq!(
        read(img, "/var/opt/kaspersky/kesl/common/kesl.ini"),
        "[General]\nUSE_KSN=yes\n",
        "{what}"
    );
    assert!(read(img, "/etc/os-release").contains("VERSION_CODENAME=bookworm"));
    assert!(read(img, "/var/lib/dpkg/status").contains("Package: libc6"));

    assert_eq!(img.layer_of("/etc/os-release"), Some(0), "{what}");
    assert_eq!(img.layer_of("/var/opt/kaspersky/kesl"), Some(1), "{what}");
    assert_eq!(
        img.layer_of("/var/opt/kaspersky/kesl/common/kesl.ini"),
        Some(1),
        "{what}"
    );
    assert_eq!(img.layer_of("/var/lib/dpkg/status"), Some(2), "{what}");
    assert_eq!(img.layer_of("/opt/kaspersky"), None, "{what}");
    // Through the merged-usr symlink, the entry itself is attributed.
    assert_eq!(img.layer_of("/bin/hello"), Some(0), "{what}");

    let created: Vec<Option<&str>> = img
        .layers()
        .iter()
        .map(|l| l.created_by.as_deref())
        .collect();
    assert_eq!(
        created,
        KESL_STEPS.map(Some),
        "{what}: empty_layer history entries are skipped"
    );
    for (i, l) in img.layers().iter().enumerate() {
        assert_eq!(l.index, i);
        assert!(
            l.digest.starts_with("sha256:") && l.digest.len() == 71,
            "{what}: {}",
            l.digest
        );
        assert!(l.entries > 0);
    }
    assert_eq!(
        img.layer_info_of("/var/opt/kaspersky")
            .unwrap()
            .created_by
            .as_deref(),
        Some(KESL_STEPS[1])
    );

    // Hard links share their node id and content.
    let a = img.lstat("/usr/bin/hello").unwrap();
    let b = img.lstat("/usr/bin/hello-again").unwrap();
    assert_eq!(a.id, b.id, "{what}");
    assert_eq!(a.mode, 0o755);
    assert_ne!(a.id, img.lstat("/etc/os-release").unwrap().id);
    assert_eq!(
        read(img, "/usr/bin/hello-again"),
        read(img, "/usr/bin/hello")
    );
    assert_eq!(img.read_link("/bin").unwrap(), PathBuf::from("usr/bin"));

    assert_eq!(img.config().os.as_deref(), Some("linux"));
    assert_eq!(img.config().architecture.as_deref(), Some("amd64"));
    assert!(
        img.config()
            .repo_tags
            .iter()
            .any(|t| t == "uproot-test:latest"),
        "{what}: {:?}",
        img.config().repo_tags
    );
    assert!(img.warnings().is_empty(), "{what}: {:?}", img.warnings());
}

#[test]
fn kesl_scenario_merges_the_same_in_every_format() {
    let spec = kesl_scenario();
    let cases: Vec<(&str, Vec<Member>, bool, ImageFormat)> = vec![
        (
            "oci dir",
            spec.oci_members(),
            true,
            ImageFormat::OciDirectory,
        ),
        (
            "oci tar",
            spec.oci_members(),
            false,
            ImageFormat::OciArchive,
        ),
        (
            "oci dir gzip",
            spec.clone().compress_all(Compression::Gzip).oci_members(),
            true,
            ImageFormat::OciDirectory,
        ),
        (
            "oci tar gzip",
            spec.clone().compress_all(Compression::Gzip).oci_members(),
            false,
            ImageFormat::OciArchive,
        ),
        (
            "oci tar zstd",
            spec.clone().compress_all(Compression::Zstd).oci_members(),
            false,
            ImageFormat::OciArchive,
        ),
        (
            "docker save",
            spec.docker_save_members(),
            false,
            ImageFormat::DockerArchive,
        ),
        (
            "docker save dir",
            spec.docker_save_members(),
            true,
            ImageFormat::DockerDirectory,
        ),
        (
            "docker 25 save",
            spec.docker25_members(),
            false,
            ImageFormat::OciArchive,
        ),
    ];
    for (what, members, as_dir, format) in cases {
        let img = open(&members, as_dir);
        assert_eq!(img.format(), format, "{what}");
        assert_kesl_view(&img, what);
    }
}

#[test]
fn layer_digests_are_blob_digests_for_oci_and_diff_ids_for_docker_save() {
    let spec = kesl_scenario().compress_all(Compression::Gzip);
    let oci = open(&spec.oci_members(), true);
    let docker = open(&spec.docker_save_members(), false);
    for (i, l) in spec.layers.iter().enumerate() {
        let blob = format!("sha256:{}", testimage::sha256_hex(&l.blob()));
        let diff = format!("sha256:{}", testimage::sha256_hex(&l.tar()));
        assert_eq!(oci.layers()[i].digest, blob);
        assert_eq!(oci.layers()[i].diff_id.as_deref(), Some(diff.as_str()));
        assert_eq!(oci.layers()[i].compression, Compression::Gzip);
        assert_eq!(oci.layers()[i].tar_size, l.tar().len() as u64);
        assert_eq!(
            oci.layers()[i].media_type.as_deref(),
            Some("application/vnd.oci.image.layer.v1.tar+gzip")
        );
        assert_eq!(docker.layers()[i].digest, diff);
    }
    assert!(oci
        .config()
        .config_digest
        .as_deref()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(oci.config().config_digest, docker.config().config_digest);
}

#[test]
fn collectors_over_the_image_see_no_kesl_package_but_the_leftover() {
    let img = Arc::new(open(&kesl_scenario().oci_members(), false));
    let root = Root::from_vfs(img.clone());
    let out = uproot_collect::collect_all(&root, &uproot_collect::CollectOptions::default());
    let pkgs: Vec<&str> = out
        .inventory
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert!(
        pkgs.contains(&"libc6") && pkgs.contains(&"hello"),
        "{pkgs:?}"
    );
    assert!(!pkgs.contains(&"kesl"), "{pkgs:?}");
    assert!(root.exists("/var/opt/kaspersky/kesl/common/kesl.ini"));
    assert!(!root.exists("/opt/kaspersky/kesl"));
    // Through the /bin -> usr/bin symlink, Root resolves inside the image.
    assert_eq!(
        root.read_to_string("/bin/hello").unwrap(),
        "#!/bin/sh\necho hello\n"
    );

    // Without the purge layer the package is there, with its maintainer.
    let mut installed = kesl_scenario();
    installed.layers.truncate(2);
    let root = Root::from_vfs(Arc::new(open(&installed.oci_members(), true)));
    let out = uproot_collect::collect_all(&root, &uproot_collect::CollectOptions::default());
    let kesl: Vec<_> = out
        .inventory
        .packages
        .iter()
        .filter(|p| p.name == "kesl")
        .collect();
    // Once from status, once from distroless status.d.
    assert_eq!(kesl.len(), 2, "{kesl:?}");
    assert!(kesl
        .iter()
        .all(|p| p.vendor.as_deref() == Some(testimage::KESL_MAINTAINER)));
}

#[test]
fn symlinks_out_of_the_image_are_warned_about_and_contained() {
    let host = tempfile::tempdir().unwrap();
    let secret = host.path().join("secret");
    std::fs::write(&secret, "host secret").unwrap();
    let climb = format!(
        "{}{}",
        "../".repeat(30),
        secret.display().to_string().trim_start_matches('/')
    );
    let spec = ImageSpec::new().layer(
        Layer::new("hostile")
            .dir("etc")
            .file("etc/inside", "inside")
            .symlink("etc/rel", &climb)
            .symlink("etc/abs", &secret.display().to_string())
            .symlink("etc/ok", "../etc/inside")
            .symlink("etc/dir", "../../../../etc"),
    );
    let img = Arc::new(open(&spec.oci_members(), false));
    let warnings = img.warnings().join("\n");
    assert!(
        warnings.contains("entry `etc/rel`") && warnings.contains("climbs out"),
        "{warnings}"
    );
    assert!(warnings.contains("entry `etc/dir`"), "{warnings}");
    assert!(
        !warnings.contains("etc/abs") && !warnings.contains("etc/ok"),
        "{warnings}"
    );

    let root = Root::from_vfs(img.clone());
    for p in ["/etc/rel", "/etc/abs"] {
        let e = root.read(p).expect_err(p);
        assert!(e.is_not_found(), "{p}: {e}");
    }
    assert_eq!(root.read_to_string("/etc/ok").unwrap(), "inside");
    // `../../../../etc` stops at the image root: it is the image's /etc.
    assert_eq!(root.read_to_string("/etc/dir/inside").unwrap(), "inside");
    assert!(root.read("/etc/dir/passwd").unwrap_err().is_not_found());
}

#[test]
fn opaque_directory_hides_lower_contents_whatever_the_entry_order() {
    let spec = ImageSpec::new()
        .layer(
            Layer::new("base")
                .dir("etc/app")
                .file("etc/app/a", "a")
                .file("etc/app/b", "b")
                .dir("etc/app/sub")
                .file("etc/app/sub/c", "c")
                .file("etc/keep", "keep"),
        )
        .layer(
            Layer::new("replace config")
                .dir("etc/app")
                .file("etc/app/new", "new")
                .dir("etc/app/sub")
                .file("etc/app/sub/d", "d")
                // After this layer's own entries: they must survive it.
                .opaque("etc/app"),
        )
        .layer(
            Layer::new("opaque first")
                .opaque("etc/app/sub")
                .file("etc/app/sub/e", "e"),
        );
    let img = open(&spec.oci_members(), true);
    assert_eq!(names(&img, "/etc/app"), ["new", "sub"]);
    assert_eq!(names(&img, "/etc/app/sub"), ["e"]);
    assert_eq!(read(&img, "/etc/keep"), "keep");
    assert_eq!(img.layer_of("/etc/app/new"), Some(1));
    assert_eq!(img.layer_of("/etc/app/sub/e"), Some(2));
}

#[test]
fn later_layers_replace_entries_of_any_kind() {
    let spec = ImageSpec::new()
        .layer(
            Layer::new("0")
                .dir("a/b")
                .file("a/b/c", "c")
                .file("f", "file")
                .symlink("l", "a")
                .file("gone", "x"),
        )
        .layer(
            Layer::new("1")
                .file("a", "now a file")
                .dir("f")
                .file("f/inside", "in")
                // A real directory over a lower symlink shadows it, as overlayfs does.
                .file("l/x", "x")
                .whiteout("gone"),
        )
        .layer(Layer::new("2").file("gone", "back"));
    let img = open(&spec.oci_members(), true);
    assert_eq!(read(&img, "/a"), "now a file");
    assert!(img.lstat("/a/b/c").is_err());
    assert_eq!(read(&img, "/f/inside"), "in");
    assert_eq!(
        img.lstat("/l").unwrap().file_type,
        uproot_collect::root::EntryType::Dir
    );
    assert_eq!(names(&img, "/l"), ["x"]);
    assert_eq!(read(&img, "/gone"), "back");
    assert_eq!(img.layer_of("/gone"), Some(2));
    assert_eq!(names(&img, "/"), ["a", "f", "gone", "l"]);
}

#[test]
fn hard_links_resolve_across_layers_and_keep_their_content() {
    let spec = ImageSpec::new()
        .layer(
            Layer::new("0")
                .file("usr/bin/perl", "perl v1")
                .hardlink("usr/bin/perl5", "usr/bin/perl"),
        )
        .layer(
            Layer::new("1")
                .hardlink("usr/bin/perl-again", "usr/bin/perl")
                .file("usr/bin/perl", "perl v2")
                .hardlink("usr/bin/dangling", "usr/bin/nope"),
        );
    let img = open(&spec.oci_members(), false);
    assert_eq!(read(&img, "/usr/bin/perl"), "perl v2");
    assert_eq!(read(&img, "/usr/bin/perl5"), "perl v1");
    assert_eq!(read(&img, "/usr/bin/perl-again"), "perl v1");
    let id = |p| img.lstat(p).unwrap().id;
    assert_eq!(id("/usr/bin/perl5"), id("/usr/bin/perl-again"));
    assert_ne!(id("/usr/bin/perl5"), id("/usr/bin/perl"));
    assert_eq!(img.layer_of("/usr/bin/perl-again"), Some(1));
    assert!(missing(&img, "/usr/bin/dangling"));
    assert!(
        img.warnings()
            .iter()
            .any(|w| w.contains("usr/bin/dangling") && w.contains("layer 1")),
        "{:?}",
        img.warnings()
    );
}

#[test]
fn long_names_contents_and_seeks() {
    let long = format!("opt/{}/file", "d".repeat(150));
    let target = format!("/{long}");
    let body: String = (0..10_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let spec = ImageSpec::new().layer(
        Layer::new("0")
            .file(&long, &body)
            .symlink("link", &target)
            .raw(b"dev/null", b'3', b"", b"")
            .raw(b"run/fifo", b'6', b"", b"")
            .raw(b"etc/caf\xe9", b'0', b"", b"latin-1 name"),
    );
    let img = open(&spec.compress_all(Compression::Gzip).oci_members(), false);
    assert_eq!(read(&img, &target), body);
    assert_eq!(img.read_link("/link").unwrap(), PathBuf::from(&target));
    let mut f = img.open(&target).unwrap();
    f.seek(SeekFrom::Start(26 * 100 + 3)).unwrap();
    let mut four = [0u8; 4];
    f.read_exact(&mut four).unwrap();
    assert_eq!(&four, b"defg");
    assert_eq!(img.lstat(&target).unwrap().len, 10_000);
    assert_eq!(
        img.lstat("/dev/null").unwrap().file_type,
        uproot_collect::root::EntryType::Other
    );
    assert!(img.open("/run/fifo").is_err());
    // A non-UTF-8 name is listed lossily and can be opened by that spelling.
    assert_eq!(names(&img, "/etc"), ["caf\u{FFFD}"]);
    assert_eq!(read(&img, "/etc/caf\u{FFFD}"), "latin-1 name");
    assert!(img
        .open("/opt")
        .is_err_and(|e| e.kind() == std::io::ErrorKind::IsADirectory));
}

fn platform_image(arch: &str, variant: Option<&str>) -> ImageSpec {
    ImageSpec::new()
        .platform("linux", arch, variant)
        .layer(Layer::new("0").file("etc/arch", arch))
}

#[test]
fn multi_platform_index_picks_amd64_by_default_or_the_asked_platform() {
    let images = [
        platform_image("arm64", Some("v8")),
        platform_image("amd64", None),
    ];
    for nested in [false, true] {
        let members = multi_platform_members(&images, nested);
        let (_t, path) = materialise(&members, !nested);
        let img = Image::open(&path, &opts()).unwrap();
        assert_eq!(read(&img, "/etc/arch"), "amd64", "nested={nested}");
        let o = ImageOptions {
            platform: Some("linux/arm64".parse().unwrap()),
            ..opts()
        };
        let img = Image::open(&path, &o).unwrap();
        assert_eq!(read(&img, "/etc/arch"), "arm64");
        assert_eq!(img.config().variant.as_deref(), Some("v8"));
        let o = ImageOptions {
            platform: Some("linux/s390x".parse().unwrap()),
            ..opts()
        };
        let e = Image::open(&path, &o).unwrap_err();
        assert!(matches!(e, ImageError::NoPlatform { .. }));
        // The attestation manifest is not a platform.
        assert_eq!(
            e.to_string(),
            "no image for platform linux/s390x in index.json (available: linux/amd64, linux/arm64/v8)"
        );
    }
    // Only one image and no platform asked for: taken whatever its platform.
    let img = open(
        &multi_platform_members(&[platform_image("arm64", None)], true),
        true,
    );
    assert_eq!(read(&img, "/etc/arch"), "arm64");
    // Several, none amd64: an error listing them.
    let e = open_err(
        &multi_platform_members(
            &[
                platform_image("arm64", None),
                platform_image("ppc64le", None),
            ],
            false,
        ),
        true,
        &opts(),
    );
    assert!(e.to_string().contains("linux/arm64, linux/ppc64le"), "{e}");
    assert!("linux".parse::<Platform>().is_err());
}

#[test]
fn index_with_only_some_platforms_present_names_the_missing_manifest() {
    // containerd-backed `docker save` keeps the whole index but only the
    // local platform's blobs.
    let images = [platform_image("amd64", None), platform_image("arm64", None)];
    let members = multi_platform_members(&images, false);
    let amd64 = images[0].oci_members();
    let amd64_only: Vec<&String> = amd64
        .iter()
        .map(|(n, _)| n)
        .filter(|n| {
            n.starts_with("blobs/") && !images[1].oci_members().iter().any(|(m, _)| m == *n)
        })
        .collect();
    let partial: Vec<Member> = members
        .into_iter()
        .filter(|(n, _)| !amd64_only.contains(&n))
        .collect();
    let (_t, path) = materialise(&partial, true);
    let e = Image::open(&path, &opts()).unwrap_err();
    assert!(matches!(e, ImageError::MissingBlob { .. }), "{e}");
    assert!(e.to_string().starts_with("manifest sha256:"), "{e}");
    let o = ImageOptions {
        platform: Some("linux/arm64".parse().unwrap()),
        ..opts()
    };
    assert_eq!(read(&Image::open(&path, &o).unwrap(), "/etc/arch"), "arm64");
}

#[test]
fn compressed_docker_save_archive_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = tmp.path().join("image.tar");
    write_tar(&tar, &kesl_scenario().docker_save_members()).unwrap();
    let gz = tmp.path().join("image.tar.gz");
    std::fs::write(
        &gz,
        testimage::compress(&std::fs::read(&tar).unwrap(), Compression::Gzip),
    )
    .unwrap();
    let img = Image::open(&gz, &opts()).unwrap();
    assert_eq!(img.layer_of("/var/opt/kaspersky/kesl"), Some(1));
    assert!(
        img.warnings()[0].contains("gzip-compressed archive"),
        "{:?}",
        img.warnings()
    );
}

// ---- bad input ----

fn hostile(entry: &[u8], typeflag: u8, link: &[u8]) -> ImageSpec {
    ImageSpec::new()
        .layer(Layer::new("ok").file("etc/os-release", "ID=debian\n"))
        .layer(
            Layer::new("evil")
                .file("etc/fine", "x")
                .raw(entry, typeflag, link, b"pwned"),
        )
}

#[test]
fn path_traversal_entries_refuse_the_image_naming_layer_and_entry() {
    for (entry, typeflag, link, why) in [
        (&b"../../etc/cron.d/evil"[..], b'0', &b""[..], "climbs out"),
        (b"usr/../../evil", b'0', b"", "climbs out"),
        (b"/etc/passwd", b'0', b"", "absolute path"),
        (b"etc/hl", b'1', b"../../../etc/shadow", "hard link target"),
    ] {
        let spec = hostile(entry, typeflag, link);
        let digest = format!("sha256:{}", testimage::sha256_hex(&spec.layers[1].blob()));
        let e = open_err(&spec.oci_members(), true, &opts());
        let msg = e.to_string();
        assert!(matches!(e, ImageError::Entry { index: 1, .. }), "{msg}");
        assert!(
            msg.starts_with(&format!(
                "layer 1 ({digest}): entry `{}`",
                String::from_utf8_lossy(entry)
            )),
            "{msg}"
        );
        assert!(msg.contains(why), "{msg}");
    }
}

#[test]
fn decompression_bomb_is_bounded_by_total_bytes() {
    let zeros = vec![0u8; 8 << 20];
    let spec = ImageSpec::new()
        .layer(Layer::new("small").file("etc/a", "a"))
        .layer(
            Layer::new("bomb")
                .file("zeros", &zeros)
                .compressed(Compression::Gzip),
        );
    assert!(
        spec.layers[1].blob().len() < 64 << 10,
        "the bomb compresses well"
    );
    let o = ImageOptions {
        max_total_bytes: 1 << 20,
        ..opts()
    };
    let e = open_err(&spec.oci_members(), true, &o);
    assert!(
        matches!(e, ImageError::TooLarge { index: 1, limit, .. } if limit == 1 << 20),
        "{e}"
    );
    assert!(e.to_string().contains("layer 1 (sha256:"), "{e}");
    // Uncompressed layers count too.
    let e = open_err(
        &spec.compress_all(Compression::None).oci_members(),
        true,
        &o,
    );
    assert!(matches!(e, ImageError::TooLarge { index: 1, .. }), "{e}");
    // And a generous bound lets it through.
    let spec = ImageSpec::new().layer(
        Layer::new("bomb")
            .file("zeros", &zeros)
            .compressed(Compression::Zstd),
    );
    let img = open(&spec.oci_members(), true);
    assert_eq!(img.lstat("/zeros").unwrap().len, 8 << 20);
}

#[test]
fn oversized_pax_and_long_name_records_are_refused_not_buffered() {
    // 4 MiB of PAX header compresses to a few KiB: read whole, as the tar
    // crate would, a small layer could claim gigabytes of RAM.
    for typeflag in [b'x', b'L'] {
        let spec = ImageSpec::new().layer(
            Layer::new("bomb")
                .raw(b"pax", typeflag, b"", &vec![b'a'; 4 << 20])
                .file("etc/x", "x")
                .compressed(Compression::Gzip),
        );
        let e = open_err(&spec.oci_members(), true, &opts());
        assert!(matches!(e, ImageError::Layer { index: 0, .. }), "{e}");
        assert!(e.to_string().contains("over the 1 MiB limit"), "{e}");
    }
}

#[test]
fn entry_count_is_bounded() {
    let mut l = Layer::new("many");
    for i in 0..50 {
        l = l.file(&format!("f{i}"), "x");
    }
    let o = ImageOptions {
        max_entries: 20,
        ..opts()
    };
    let e = open_err(&ImageSpec::new().layer(l).oci_members(), true, &o);
    assert!(
        matches!(
            e,
            ImageError::TooManyEntries {
                index: 0,
                limit: 20,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn missing_layers_are_named() {
    let spec = kesl_scenario();
    // OCI: the blob of layer 1 removed.
    let layer1 = format!(
        "blobs/sha256/{}",
        testimage::sha256_hex(&spec.layers[1].blob())
    );
    let members: Vec<Member> = spec
        .oci_members()
        .into_iter()
        .filter(|(n, _)| *n != layer1)
        .collect();
    let e = open_err(&members, false, &opts());
    assert!(matches!(e, ImageError::MissingBlob { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with("layer 1 (sha256:") && msg.contains(&layer1) && msg.contains("missing"),
        "{msg}"
    );
    // docker save: a <id>/layer.tar removed.
    let members: Vec<Member> = spec.docker_save_members();
    let victim = members
        .iter()
        .filter(|(n, _)| n.ends_with("/layer.tar"))
        .nth(2)
        .unwrap()
        .0
        .clone();
    let kept: Vec<Member> = members.into_iter().filter(|(n, _)| *n != victim).collect();
    let e = open_err(&kept, false, &opts());
    assert!(e.to_string().contains(&victim), "{e}");
    // The config gone.
    let kept: Vec<Member> = spec
        .docker_save_members()
        .into_iter()
        .filter(|(n, _)| n.contains('/') || n == "manifest.json")
        .collect();
    let e = open_err(&kept, true, &opts());
    assert!(
        e.to_string().starts_with("config: ") && e.to_string().contains(".json"),
        "{e}"
    );
}

/// Replaces one member's bytes.
fn replace(members: &[Member], name: &str, f: impl Fn(&[u8]) -> Vec<u8>) -> Vec<Member> {
    members
        .iter()
        .map(|(n, d)| (n.clone(), if n == name { f(d) } else { d.clone() }))
        .collect()
}

#[test]
fn corrupt_blobs_fail_their_digest_or_their_format() {
    for comp in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let spec = kesl_scenario().compress_all(comp);
        let name = format!(
            "blobs/sha256/{}",
            testimage::sha256_hex(&spec.layers[2].blob())
        );
        let flip = |d: &[u8]| {
            let mut d = d.to_vec();
            let mid = d.len() / 2;
            d[mid] ^= 0x55;
            d
        };
        let bad = replace(&spec.oci_members(), &name, flip);
        let e = open_err(&bad, true, &opts());
        assert!(
            matches!(e, ImageError::DigestMismatch { .. }),
            "{comp}: {e}"
        );
        assert!(e.to_string().starts_with("layer 2 (sha256:"), "{comp}: {e}");
        assert!(e.to_string().contains(&name), "{comp}: {e}");

        // A blob of the wrong size is refused before it is read.
        let truncated = replace(&spec.oci_members(), &name, |d| d[..d.len() / 2].to_vec());
        let e = open_err(&truncated, true, &opts());
        assert!(e.to_string().contains("the manifest says"), "{comp}: {e}");

        // Unverified and without sizes (docker save), a truncated
        // compressed layer is still caught, by its format.
        if comp != Compression::None {
            let members = spec.docker_save_members();
            let blob2 = spec.layers[2].blob();
            let victim = members.iter().find(|(_, d)| *d == blob2).unwrap().0.clone();
            let cut = replace(&members, &victim, |d| d[..d.len() / 2].to_vec());
            let o = ImageOptions {
                verify_digests: false,
                ..opts()
            };
            let e = open_err(&cut, false, &o);
            assert!(
                matches!(e, ImageError::Layer { index: 2, .. }),
                "{comp}: {e}"
            );
            assert!(
                e.to_string().contains(&format!("corrupt {comp} data")),
                "{comp}: {e}"
            );
        }
    }
    // With several corrupt layers, the lowest is named, whichever hasher ends first.
    let spec = kesl_scenario();
    let names: Vec<String> = spec
        .layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", testimage::sha256_hex(&l.blob())))
        .collect();
    let mut bad = spec.oci_members();
    for (n, d) in bad.iter_mut() {
        if *n == names[0] || *n == names[2] {
            d[700] ^= 1;
        }
    }
    for _ in 0..5 {
        let e = open_err(&bad, true, &opts());
        assert!(e.to_string().starts_with("layer 0 ("), "{e}");
    }
    // docker save layers are checked against the config's diff_ids.
    let spec = kesl_scenario();
    let members = spec.docker_save_members();
    let victim = members
        .iter()
        .find(|(n, _)| n.ends_with("/layer.tar"))
        .unwrap()
        .0
        .clone();
    let bad = replace(&members, &victim, |d| {
        let mut d = d.to_vec();
        d[600] ^= 1;
        d
    });
    let e = open_err(&bad, false, &opts());
    assert!(
        e.to_string().contains("diff_id") && e.to_string().contains(&victim),
        "{e}"
    );
}

#[test]
fn garbage_and_truncated_tars_are_layer_errors() {
    let spec = kesl_scenario();
    let name = format!(
        "blobs/sha256/{}",
        testimage::sha256_hex(&spec.layers[0].blob())
    );
    let o = ImageOptions {
        verify_digests: false,
        ..opts()
    };
    let garbage = replace(&spec.oci_members(), &name, |d| {
        let mut d = d.to_vec();
        d[..512].fill(b'z');
        d
    });
    let e = open_err(&garbage, true, &o);
    assert!(matches!(e, ImageError::Layer { index: 0, .. }), "{e}");
    assert!(e.to_string().contains("corrupt tar"), "{e}");
    // Cut inside the data of the last file: an entry past the end.
    let big = ImageSpec::new().layer(Layer::new("0").file("big", vec![7u8; 100_000]));
    let members = big.docker_save_members();
    let victim = members
        .iter()
        .find(|(n, _)| n.ends_with("/layer.tar"))
        .unwrap()
        .0
        .clone();
    let cut = replace(&members, &victim, |d| d[..50_000].to_vec());
    let e = open_err(&cut, true, &o);
    assert!(
        e.to_string().contains("entry `big`") && e.to_string().contains("past the end"),
        "{e}"
    );
}

#[test]
fn metadata_errors_name_the_file() {
    let spec = kesl_scenario();
    let e = open_err(
        &replace(&spec.docker_save_members(), "manifest.json", |_| {
            b"[{".to_vec()
        }),
        false,
        &opts(),
    );
    assert!(
        e.to_string().starts_with("manifest.json: invalid JSON"),
        "{e}"
    );
    let e = open_err(
        &replace(&spec.oci_members(), "index.json", |_| {
            b"{\"manifests\": 3}".to_vec()
        }),
        true,
        &opts(),
    );
    assert!(e.to_string().starts_with("index.json: invalid JSON"), "{e}");
    let e = open_err(
        &replace(&spec.docker_save_members(), "manifest.json", |_| {
            b"[]".to_vec()
        }),
        false,
        &opts(),
    );
    assert_eq!(e.to_string(), "manifest.json: lists no images");
    // A config whose name is its digest, rewritten: the digest catches it.
    let members = spec.docker_save_members();
    let cfg = members
        .iter()
        .find(|(n, _)| n.ends_with(".json") && n != "manifest.json")
        .unwrap()
        .0
        .clone();
    let e = open_err(&replace(&members, &cfg, |_| b"{}".to_vec()), false, &opts());
    assert!(
        matches!(e, ImageError::DigestMismatch { .. }) && e.to_string().starts_with(&cfg),
        "{e}"
    );
    // A layer path in the manifest that climbs out of the image.
    let evil = replace(&members, "manifest.json", |d| {
        String::from_utf8_lossy(d)
            .replacen("\"Layers\":[\"", "\"Layers\":[\"../../etc/passwd\",\"", 1)
            .into_bytes()
    });
    let e = open_err(&evil, true, &opts());
    assert!(
        e.to_string()
            .starts_with("../../etc/passwd: path climbs out"),
        "{e}"
    );
    // Neither kind of image.
    let e = open_err(&[("hello.txt".to_owned(), b"hi".to_vec())], false, &opts());
    assert!(
        matches!(e, ImageError::NotAnImage { .. }) && e.to_string().contains("no index.json"),
        "{e}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.tar");
    std::fs::write(&junk, vec![b'x'; 2048]).unwrap();
    let e = Image::open(&junk, &opts()).unwrap_err();
    assert!(e.to_string().contains("not a readable tar archive"), "{e}");
}

#[test]
fn reference_picks_an_image_by_tag() {
    let spec = kesl_scenario();
    let o = |r: &str| ImageOptions {
        reference: Some(r.into()),
        ..opts()
    };
    let (_t, path) = materialise(&spec.docker_save_members(), false);
    assert!(Image::open(&path, &o("uproot-test:latest")).is_ok());
    let e = Image::open(&path, &o("alpine:3")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "manifest.json: no image tagged `alpine:3` (tags: uproot-test:latest)"
    );
    let (_t, path) = materialise(&spec.oci_members(), true);
    assert!(Image::open(&path, &o("uproot-test:latest")).is_ok());
    assert!(Image::open(&path, &o("nope"))
        .unwrap_err()
        .to_string()
        .contains("no image named `nope`"));
}

#[test]
fn builder_is_deterministic() {
    let a = kesl_scenario()
        .compress_all(Compression::Gzip)
        .oci_members();
    let b = kesl_scenario()
        .compress_all(Compression::Gzip)
        .oci_members();
    assert_eq!(a, b);
    let tmp = tempfile::tempdir().unwrap();
    let (p, q) = (tmp.path().join("a.tar"), tmp.path().join("b.tar"));
    write_tar(&p, &a).unwrap();
    write_tar(&q, &b).unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), std::fs::read(&q).unwrap());
    assert!(Path::new(&p).exists());
}

/// A small deterministic fuzz run over the fuzz target's body: byte flips,
/// cuts and splices of real layers and archives must never panic.
#[test]
fn mutated_layers_and_archives_never_panic() {
    let spec = kesl_scenario();
    let tmp = tempfile::tempdir().unwrap();
    let arch = tmp.path().join("a.tar");
    write_tar(&arch, &spec.docker_save_members()).unwrap();
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for comp in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let mut s = vec![3u8];
        s.extend(spec.layers[1].clone().compressed(comp).blob());
        seeds.push(s);
    }
    let mut whole = vec![0u8];
    whole.extend(std::fs::read(&arch).unwrap());
    seeds.push(whole);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n.max(1) as u64) as usize
    };
    let mut opened = 0;
    for seed in &seeds {
        assert!(testimage::fuzz_image(seed), "the unmutated seed opens");
        for _ in 0..150 {
            let mut d = seed.clone();
            match rnd(4) {
                0 => {
                    for _ in 0..1 + rnd(8) {
                        let i = 1 + rnd(d.len() - 1);
                        d[i] = rnd(256) as u8;
                    }
                }
                1 => d.truncate(1 + rnd(d.len() - 1)),
                2 => {
                    // Overwrite a header-sized window with another part of the input.
                    let (a, b) = (1 + rnd(d.len() - 1), 1 + rnd(d.len() - 1));
                    let n = 512.min(d.len() - a.max(b));
                    let chunk = d[b..b + n].to_vec();
                    d[a..a + n].copy_from_slice(&chunk);
                }
                _ => {
                    let i = 1 + rnd(d.len() - 1);
                    d.splice(i..i, std::iter::repeat_n(rnd(256) as u8, 1 + rnd(600)));
                }
            }
            opened += usize::from(testimage::fuzz_image(&d));
        }
    }
    // Some mutants must get past the metadata into the layer code.
    assert!(opened > 20, "{opened} of 600 mutants opened");
}

/// Archives written by other tools (umoci and skopeo; see
/// tests/fixtures/make-interop.sh): a legacy docker-archive whose
/// `<id>/layer.tar` are symlinks, and an oci-archive with gzip layers and
/// whiteouts umoci computed.
#[test]
fn archives_written_by_umoci_and_skopeo() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (file, format, compression) in [
        (
            "interop-docker.tar",
            ImageFormat::DockerArchive,
            Compression::None,
        ),
        (
            "interop-oci.tar",
            ImageFormat::OciArchive,
            Compression::Gzip,
        ),
    ] {
        let img = Image::open(dir.join(file), &opts()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(img.format(), format, "{file}");
        let layers = img.layers();
        assert_eq!(layers.len(), 2, "{file}");
        assert!(
            layers.iter().all(|l| l.compression == compression),
            "{file}"
        );
        assert_eq!(layers[0].created_by.as_deref(), Some("install kesl"));
        assert_eq!(layers[1].created_by.as_deref(), Some("purge kesl"));
        assert!(missing(&img, "/opt/kaspersky"), "{file}");
        assert_eq!(
            names(&img, "/usr/share/app"),
            ["b", "c", "escape"],
            "{file}"
        );
        assert_eq!(
            read(&img, "/var/opt/kaspersky/kesl/common/kesl.ini"),
            "[General]\nUSE_KSN=yes\n"
        );
        assert_eq!(img.layer_of("/var/opt/kaspersky/kesl"), Some(0), "{file}");
        assert_eq!(img.layer_of("/usr/share/app/c"), Some(1), "{file}");
        assert_eq!(
            img.lstat("/etc/os-release").unwrap().id,
            img.lstat("/etc/os-release.hardlink").unwrap().id
        );
        assert!(
            img.warnings()
                .iter()
                .any(|w| w.contains("usr/share/app/escape")),
            "{file}"
        );
        // Both name the same image: the config digest is the image ID.
        assert_eq!(
            img.config().config_digest.as_deref(),
            Some("sha256:ba1e1a39d0a3b55d5b84abe1e0044638e44fd4b731bc550be0568dd4afeb6390")
        );
    }
}

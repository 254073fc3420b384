//! The deep sweep on `fixtures/roots/deep-embedded`, which
//! `scripts/fixtures/pe/build.sh` makes from memtest86+'s real UEFI PE images
//! signed with osslsigncode, and on hostile trees made here.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use uproot_collect::deep::pe::{self, parse_pkcs7_signed_data, read_pe_signature, PeError};
use uproot_collect::deep::{enclosing_product, sweep, sweep_with_stats, DeepOptions};
use uproot_collect::{Output, Root};
use uproot_inventory::CodeSigner;

const KAV: &str = "/Program Files/OtherVendor/engine/kavbase.dll";
const APP: &str = "/Program Files/OtherVendor/app.exe";
const UNSIGNED: &str = "/Program Files/OtherVendor/unsigned.dll";
const AVP: &str = "/Program Files (x86)/Kaspersky Lab/Kaspersky 21.9/avp.exe";
const KLIF: &str = "/Windows/System32/drivers/klif.sys";
const AO_KASPERSKY: &str = "C=RU, O=AO Kaspersky Lab, CN=AO Kaspersky Lab";
const KASPERSKY_JSC: &str = "C=RU, O=Kaspersky Lab JSC, CN=Kaspersky Lab JSC";
const OTHER_VENDOR: &str = "C=US, O=Other Vendor Inc, CN=Other Vendor Inc";
const TEST_CA: &str = "C=US, O=Uproot Test PKI, CN=Uproot Test Code Signing CA";
const TEST_ROOT: &str = "C=US, O=Uproot Test PKI, CN=Uproot Test Root CA";
const MAX: u64 = pe::DEFAULT_MAX_SIGNATURE_BYTES;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/roots")
        .join(name)
}

fn opts(globs: &[&str]) -> DeepOptions {
    DeepOptions {
        name_globs: globs.iter().map(|s| s.to_string()).collect(),
        ..DeepOptions::default()
    }
}

fn sweep_fixture(globs: &[&str]) -> Output {
    let root = Root::new(fixture("deep-embedded"), false).unwrap();
    sweep(&root, &opts(globs), &|_| {})
}

fn signers<'a>(out: &'a Output, path: &str) -> Vec<&'a CodeSigner> {
    out.inventory
        .signers
        .iter()
        .filter(|s| s.path == path)
        .collect()
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture("deep-embedded").join(rel.trim_start_matches('/'))).unwrap()
}

#[test]
fn kaspersky_signed_dll_in_another_vendors_folder() {
    let out = sweep_fixture(&[]);
    let s = signers(&out, KAV);
    assert_eq!(s.len(), 1, "{s:?}");
    let s = s[0];
    assert_eq!(s.format, "authenticode");
    let subject = s.subject.as_deref().unwrap();
    assert!(subject.contains("O=AO Kaspersky Lab"), "{subject}");
    assert_eq!(subject, AO_KASPERSKY);
    assert_eq!(s.chain, [AO_KASPERSKY, TEST_CA, TEST_ROOT]);
    assert_eq!(s.enclosing.as_deref(), Some("/Program Files/OtherVendor"));
    assert_eq!(s.team_id, None);
}

#[test]
fn timestamp_authority_is_not_taken_for_the_signer() {
    // kavbase.dll carries an RFC 3161 timestamp from "Uproot Test
    // Timestamping Authority"; the signer is still the code-signing leaf.
    let sig = read_pe_signature(&mut Cursor::new(read(KAV)), MAX)
        .unwrap()
        .unwrap();
    assert_eq!(sig.signer_subject, AO_KASPERSKY);
    assert_eq!(sig.signer_issuer, TEST_CA);
    assert_eq!(sig.signer_serial, "7e:57:01:01");
    assert!(sig.nested.is_empty());
    assert!(!sig.all_subjects.iter().any(|s| s.contains("Timestamping")));
}

#[test]
fn benign_signer_is_reported_with_its_own_subject() {
    let out = sweep_fixture(&[]);
    let s = signers(&out, APP);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].subject.as_deref(), Some(OTHER_VENDOR));
    assert_eq!(s[0].chain, [OTHER_VENDOR, TEST_CA, TEST_ROOT]);
    assert_eq!(
        s[0].enclosing.as_deref(),
        Some("/Program Files/OtherVendor")
    );
}

#[test]
fn unsigned_pe_has_no_signer() {
    let out = sweep_fixture(&[]);
    assert!(signers(&out, UNSIGNED).is_empty());
    assert!(signers(&out, KLIF).is_empty());
    for p in [UNSIGNED, KLIF] {
        assert!(read_pe_signature(&mut Cursor::new(read(p)), MAX)
            .unwrap()
            .is_none());
        assert!(!out.errors.iter().any(|e| e.source == p), "{p}");
    }
}

#[test]
fn dual_signed_pe32_reports_both_signatures_in_order() {
    let out = sweep_fixture(&[]);
    let s = signers(&out, AVP);
    let subjects: Vec<_> = s.iter().map(|s| s.subject.as_deref().unwrap()).collect();
    assert_eq!(subjects, [KASPERSKY_JSC, AO_KASPERSKY]);
    for s in s {
        assert_eq!(
            s.enclosing.as_deref(),
            Some("/Program Files (x86)/Kaspersky Lab")
        );
        assert_eq!(s.chain[1..], [TEST_CA, TEST_ROOT]);
    }
    let sig = read_pe_signature(&mut Cursor::new(read(AVP)), MAX)
        .unwrap()
        .unwrap();
    assert_eq!(sig.nested.len(), 1);
    assert_eq!(sig.nested[0].signer_subject, AO_KASPERSKY);
    assert_eq!(sig.flatten().len(), 2);
}

#[test]
fn klif_sys_is_found_by_name_glob_and_only_inside_the_root() {
    let out = sweep_fixture(&["KLIF.SYS", "kav*.dll", "avp.exe", "kavremover.exe"]);
    let files: Vec<_> = out
        .inventory
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(files, [AVP, KAV, KLIF]);
    let klif = out.inventory.files.iter().find(|f| f.path == KLIF).unwrap();
    assert_eq!(klif.file_type, "file");
    assert_eq!(
        klif.size,
        Some(
            std::fs::metadata(fixture("deep-embedded").join(&KLIF[1..]))
                .unwrap()
                .len()
        )
    );
    // Without globs, no file entries.
    assert!(sweep_fixture(&[]).inventory.files.is_empty());
}

#[test]
fn symlink_escapes_are_not_followed() {
    // plugins -> ../../../deep-outside (a signed outside.dll and a klif.sys),
    // link.dll -> ../../../deep-outside/outside.dll, Windows/Temp/host-root -> /
    let out = sweep_fixture(&[
        "klif.sys",
        "outside.dll",
        "plugins",
        "link.dll",
        "host-root",
    ]);
    for s in &out.inventory.signers {
        assert!(
            !s.path.contains("plugins")
                && !s.path.contains("link.dll")
                && !s.path.contains("host-root"),
            "{s:?}"
        );
    }
    // The links themselves are reported by name, as links.
    let links: Vec<_> = out
        .inventory
        .files
        .iter()
        .filter(|f| f.file_type == "symlink")
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        links,
        [
            "/Program Files/OtherVendor/link.dll",
            "/Program Files/OtherVendor/plugins",
            "/Windows/Temp/host-root"
        ]
    );
    assert_eq!(
        out.inventory
            .files
            .iter()
            .filter(|f| f.path.ends_with("klif.sys"))
            .count(),
        1
    );
    assert!(
        out.errors.iter().all(|e| e.source.starts_with("/hostile/")),
        "{:?}",
        out.errors
    );
}

#[test]
fn start_path_that_is_a_symlink_is_resolved_inside_the_root() {
    // `--path "/Program Files/OtherVendor/plugins"` resolves with chroot
    // semantics to /deep-outside inside the root, which does not exist.
    let root = Root::new(fixture("deep-embedded"), false).unwrap();
    let o = DeepOptions {
        paths: vec![
            "/Program Files/OtherVendor/plugins".into(),
            "/Windows/Temp/host-root".into(),
        ],
        ..opts(&["klif.sys"])
    };
    let (out, stats) = sweep_with_stats(&root, &o, &|_| {});
    assert!(out
        .inventory
        .signers
        .iter()
        .all(|s| !s.path.contains("outside")));
    let errors: Vec<_> = out
        .errors
        .iter()
        .filter(|e| !e.source.starts_with("/hostile/"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].source, "/Program Files/OtherVendor/plugins");
    assert_eq!(errors[0].message, "not found");
    // host-root -> "/" is the fixture root itself: swept once, as the root.
    assert!(stats.files > 10);
    assert_eq!(out.inventory.files.len(), 1);
}

#[test]
fn hostile_pes_are_errors_naming_the_file() {
    let out = sweep_fixture(&[]);
    let want = [
        ("/hostile/lfanew-past-eof.dll", "e_lfanew"),
        ("/hostile/pkcs7-garbled.dll", "ContentInfo"),
        ("/hostile/pkcs7-not-signeddata.dll", "not signedData"),
        ("/hostile/secdir-huge.dll", "over the 16777216-byte limit"),
        ("/hostile/secdir-past-eof.dll", "past the end of the file"),
        ("/hostile/truncated-headers.dll", "truncated COFF header"),
        (
            "/hostile/truncated-signature.dll",
            "past the end of the file",
        ),
        ("/hostile/wincert-length.dll", "dwLength"),
    ];
    let got: Vec<_> = out.errors.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(got, want.iter().map(|w| w.0).collect::<Vec<_>>());
    for ((path, msg), e) in want.iter().zip(&out.errors) {
        assert!(e.message.starts_with("Authenticode signature: "), "{e:?}");
        assert!(e.message.contains(msg), "{path}: {}", e.message);
        assert!(signers(&out, path).is_empty());
    }
    // The compact copy (headers + certificate table only) still names its signer.
    assert_eq!(
        signers(&out, "/hostile/compact-signed.dll")[0]
            .subject
            .as_deref(),
        Some(OTHER_VENDOR)
    );
}

#[test]
fn huge_security_directory_is_refused_without_reading_it() {
    let e = read_pe_signature(&mut Cursor::new(read("/hostile/secdir-huge.dll")), MAX).unwrap_err();
    assert!(
        matches!(
            e,
            PeError::TooLarge {
                size: 0xffff_ffff,
                ..
            }
        ),
        "{e}"
    );
}

/// Every truncation and many single-byte corruptions of a real signed PE:
/// an error or a result, never a panic.
#[test]
fn mutated_signed_pe_never_panics() {
    let good = read(APP);
    let table_at = good.len() - 4096; // the table is at the end; cover its neighbourhood
    let mut cuts: Vec<usize> = (0..1024).collect();
    cuts.extend((table_at..good.len()).step_by(13));
    for cut in cuts {
        let _ = read_pe_signature(&mut Cursor::new(&good[..cut]), MAX);
    }
    let mut outcomes = [0usize; 2];
    for i in (0..1024).chain((table_at..good.len()).step_by(5)) {
        for v in [0x00, 0xff, 0x80, 0x7f] {
            let mut m = good.clone();
            m[i] = v;
            outcomes[read_pe_signature(&mut Cursor::new(m), MAX).is_ok() as usize] += 1;
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn pkcs7_parser_on_the_extracted_signature_and_on_garbage() {
    // The same bytes osslsigncode extract-signature gives: the WIN_CERTIFICATE body.
    let b = read(KAV);
    let lfanew = u32::from_le_bytes(b[0x3c..0x40].try_into().unwrap()) as usize;
    let dirs = lfanew + 24 + 112; // PE32+
    let off = u32::from_le_bytes(b[dirs + 32..dirs + 36].try_into().unwrap()) as usize;
    let len = u32::from_le_bytes(b[off..off + 4].try_into().unwrap()) as usize;
    let sig = parse_pkcs7_signed_data(&b[off + 8..off + len]).unwrap();
    assert_eq!(sig.signer_subject, AO_KASPERSKY);
    for junk in [
        &b""[..],
        &[0x30],
        &[0x30, 0x80, 0, 0],
        &[0x30, 0x03, 0x06, 0x01, 0x00],
        &[0xff; 64],
    ] {
        assert!(parse_pkcs7_signed_data(junk).is_err());
    }
    // Every prefix of the DER: an error, not a panic.
    let der = &b[off + 8..off + len];
    for cut in (0..der.len()).step_by(7) {
        assert!(parse_pkcs7_signed_data(&der[..cut]).is_err(), "{cut}");
    }
}

/// Splits `path<TAB>value` lines, skipping `#` comments.
fn expected(name: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(fixture("deep-embedded").join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (p, v) = l.split_once('\t').unwrap();
            (p.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn signer_subjects_match_osslsigncode_verify() {
    let want = expected("EXPECTED_osslsigncode.tsv");
    assert_eq!(want.len(), 4);
    let out = sweep_fixture(&[]);
    let got: Vec<(String, String)> = out
        .inventory
        .signers
        .iter()
        .filter(|s| !s.path.starts_with("/hostile/"))
        .map(|s| (s.path.clone(), s.subject.clone().unwrap()))
        .collect();
    let sorted = |mut v: Vec<(String, String)>| {
        v.sort_by(|a, b| a.0.cmp(&b.0)); // stable: keeps signature order per file
        v
    };
    assert_eq!(sorted(got), sorted(want));
}

#[test]
fn certificate_bags_match_openssl_pkcs7_print_certs() {
    let want = expected("EXPECTED_openssl.tsv");
    let paths: BTreeSet<&str> = want.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths.len(), 3);
    for p in paths {
        let sig = read_pe_signature(&mut Cursor::new(read(p)), MAX)
            .unwrap()
            .unwrap();
        let mine: BTreeSet<&str> = sig.all_subjects.iter().map(String::as_str).collect();
        let theirs: BTreeSet<&str> = want
            .iter()
            .filter(|(q, _)| q == p)
            .map(|(_, s)| s.as_str())
            .collect();
        assert_eq!(mine, theirs, "{p}");
        assert_eq!(sig.all_subjects.len(), theirs.len(), "{p}");
    }
}

#[test]
fn progress_is_reported_and_counts_add_up() {
    let root = Root::new(fixture("deep-embedded"), false).unwrap();
    let calls = AtomicU64::new(0);
    let last = AtomicU64::new(0);
    let o = DeepOptions {
        progress_every: 5,
        ..opts(&[])
    };
    let (out, stats) = sweep_with_stats(&root, &o, &|n| {
        calls.fetch_add(1, Ordering::Relaxed);
        last.fetch_max(n, Ordering::Relaxed);
    });
    let on_disk = walk_count(&fixture("deep-embedded"));
    assert_eq!(stats.files, on_disk);
    assert_eq!(last.load(Ordering::Relaxed), on_disk);
    assert_eq!(calls.load(Ordering::Relaxed), on_disk / 5 + 1);
    assert_eq!(stats.symlinks, 3);
    assert_eq!(stats.signatures as usize, out.inventory.signers.len());
    assert_eq!(stats.signatures, 5); // kavbase, app, avp x2, hostile/compact-signed
    assert_eq!(stats.pe, 14); // 5 real images + 9 under hostile/
}

fn walk_count(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                walk_count(&e.path())
            } else {
                t.is_file() as u64
            }
        })
        .sum()
}

#[test]
fn output_is_deterministic_across_thread_counts() {
    let root = Root::new(fixture("deep-embedded"), false).unwrap();
    let run = |threads| {
        let out = sweep(
            &root,
            &DeepOptions {
                threads,
                ..opts(&["*.dll"])
            },
            &|_| {},
        );
        (out.inventory, out.errors)
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(0));
}

#[test]
fn sub_paths_and_missing_paths() {
    let root = Root::new(fixture("deep-embedded"), false).unwrap();
    let o = DeepOptions {
        paths: vec!["/Windows".into(), "/no/such/dir".into(), KAV.into()],
        ..opts(&["klif.sys"])
    };
    let out = sweep(&root, &o, &|_| {});
    // A file given as a start path is swept too.
    assert_eq!(out.inventory.signers.len(), 1);
    assert_eq!(out.inventory.signers[0].path, KAV);
    assert_eq!(out.inventory.files.len(), 1);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].source, "/no/such/dir");
}

#[test]
fn depth_limit_fifo_and_overlapping_paths() {
    let t = tempfile::tempdir().unwrap();
    let mut deep = t.path().to_path_buf();
    for i in 0..6 {
        deep.push(format!("d{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("klif.sys"), b"MZ").unwrap();
    let fifo = t.path().join("d0/klif.sys");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::copy(
        fixture("deep-embedded").join(&KAV[1..]),
        t.path().join("d0/d1/k.dll"),
    )
    .unwrap();
    let root = Root::new(t.path(), false).unwrap();
    let o = DeepOptions {
        max_depth: 3,
        paths: vec!["/".into(), "/d0".into(), "/d0/d1".into()],
        ..opts(&["klif.sys"])
    };
    let (out, stats) = sweep_with_stats(&root, &o, &|_| {});
    // The fifo is neither opened nor reported; the too-deep klif.sys is not reached.
    assert!(out.inventory.files.is_empty(), "{:?}", out.inventory.files);
    assert_eq!(stats.skipped, 1);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(out.errors[0].message.contains("deeper than 3 levels"));
    // Overlapping start paths do not report a file twice.
    assert_eq!(out.inventory.signers.len(), 1);
    assert_eq!(out.inventory.signers[0].path, "/d0/d1/k.dll");
    assert_eq!(
        out.inventory.signers[0].enclosing.as_deref(),
        Some("/d0/d1")
    );
}

#[test]
fn directory_entry_cap_is_an_error_not_a_stop() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..20 {
        std::fs::write(t.path().join(format!("f{i}")), b"x").unwrap();
    }
    let root = Root::new(t.path(), false).unwrap();
    let o = DeepOptions {
        max_dir_entries: 8,
        ..opts(&[])
    };
    let (out, stats) = sweep_with_stats(&root, &o, &|_| {});
    assert_eq!(stats.files, 8);
    assert!(out.errors[0].message.contains("more than 8 entries"));
}

#[test]
fn live_root_skips_pseudo_filesystems() {
    let root = Root::new("/", true).unwrap();
    let o = DeepOptions {
        paths: vec!["/proc".into(), "/sys".into(), "/dev".into()],
        ..opts(&["*"])
    };
    let (out, stats) = sweep_with_stats(&root, &o, &|_| {});
    assert_eq!(stats.files, 0);
    assert!(out.inventory.files.is_empty());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
}

#[test]
fn enclosing_product_examples() {
    assert_eq!(
        enclosing_product(KAV).as_deref(),
        Some("/Program Files/OtherVendor")
    );
    assert_eq!(
        enclosing_product(AVP).as_deref(),
        Some("/Program Files (x86)/Kaspersky Lab")
    );
    // A driver in the shared OS tree belongs to whoever signed it: no product directory.
    assert_eq!(enclosing_product(KLIF), None);
    assert_eq!(
        enclosing_product("/ProgramData/Kaspersky Lab/AVP21.25/Bases/klids.sys").as_deref(),
        Some("/ProgramData/Kaspersky Lab")
    );
}

/// The Mach-O branch, on the macOS fixture (binaries written by
/// `scripts/fixtures/macos`, with Kaspersky's Team ID 2Y8XE5CQ94).
#[test]
fn macho_signers_carry_team_id_and_bundle() {
    let root = Root::new(fixture("macos-kaspersky"), false).unwrap();
    let (out, stats) = sweep_with_stats(&root, &opts(&[]), &|_| {});
    assert!(stats.macho >= 2, "{stats:?}");
    let kav = signers(&out, "/Applications/Kaspersky.app/Contents/MacOS/kav");
    assert_eq!(kav.len(), 1, "{:?}", out.inventory.signers);
    assert_eq!(kav[0].format, "apple");
    assert_eq!(kav[0].team_id.as_deref(), Some("2Y8XE5CQ94"));
    assert_eq!(kav[0].subject.as_deref(), Some("com.kaspersky.kav"));
    // The app's own executable: the bundle is the product, not a host of it.
    assert_eq!(kav[0].enclosing, None);
    let kext = signers(&out, "/Library/Extensions/klif.kext/Contents/MacOS/klif");
    assert_eq!(kext.len(), 1);
    assert_eq!(kext[0].enclosing, None);
    assert!(out.inventory.signers.iter().all(|s| s.format == "apple"));
}

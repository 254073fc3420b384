//! Real third-party package databases from `shared/corpora`, each compared
//! with the answer of the upstream tool (`dpkg-query`, `pacman -Q`, the file
//! itself for apk). The corpus must be present: a missing corpus fails loudly.

mod common;

use common::{corpora, read};
use std::path::Path;

use uproot_collect::{apk, dpkg, pacman, CollectOptions, Collector, Output, Root};

/// Lines of an EXPECTED file, without `#` comments, split on `|` into the first `n` columns.
fn expected(rel: &str, n: usize) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = read(rel)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('|').take(n).map(|s| s.trim().to_owned()).collect())
        .collect();
    v.sort();
    v
}

/// Extracts one file from a txtar archive (trivy keeps its fixtures that way).
fn txtar_file(archive: &str, name: &str) -> String {
    let marker = format!("-- {name} --\n");
    let start = archive.find(&marker).expect("txtar section") + marker.len();
    let rest = &archive[start..];
    rest[..rest.find("\n-- ").map(|i| i + 1).unwrap_or(rest.len())].to_owned()
}

#[test]
fn trivy_ubuntu_status_equals_dpkg_query_including_rc() {
    let archive = read("trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar");
    let text = txtar_file(&archive, "var/lib/dpkg/status");
    let (pkgs, errs) = dpkg::parse_status(&text, "/var/lib/dpkg/status", false);
    assert!(errs.is_empty(), "{errs:?}");
    let mut got: Vec<Vec<String>> = pkgs
        .iter()
        .map(|p| {
            let abbrev = if p.is_config_only() { "rc" } else { "ii" };
            vec![
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
                abbrev.to_owned(),
            ]
        })
        .collect();
    got.sort();
    assert_eq!(got, expected("trivy/EXPECTED_dpkg-query_valid.txt", 4));
    // trivy's own test asserts 90: it drops git (rc). We keep it, as dpkg-query does, marked as a leftover.
    assert_eq!(pkgs.len(), 91);
    assert!(pkgs.iter().any(|p| p.name == "git" && p.is_config_only()));
}

#[test]
fn scalibr_dpkg_valid_equals_dpkg_query() {
    let text = read("osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/valid");
    let (pkgs, errs) = dpkg::parse_status(&text, "/s", false);
    assert!(errs.is_empty(), "{errs:?}");
    let mut got: Vec<Vec<String>> = pkgs
        .iter()
        .map(|p| vec![p.name.clone(), p.version.clone()])
        .collect();
    got.sort();
    assert_eq!(
        got,
        expected("osv-scalibr/EXPECTED_dpkg-query_dpkg_valid.txt", 2)
    );
}

#[test]
fn syft_status_d_equals_dpkg_query() {
    let base = corpora().join("syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d");
    for case in ["single", "multiple", "deinstall"] {
        let text = read_file_or_dir(&base.join(case));
        let (pkgs, errs) = dpkg::parse_status(&text, "/s", true);
        // syft's `multiple` opens with two broken stanzas (`Package:` empty, and one without
        // Version) that dpkg-query skips with a warning; we report each, naming the line.
        let want_errs: &[&str] = if case == "multiple" {
            &[
                "line 1: stanza has no or an empty Package field",
                "line 3: package no-version: no Version field",
            ]
        } else {
            &[]
        };
        assert_eq!(errs, want_errs, "{case}");
        let mut got: Vec<Vec<String>> = pkgs
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.version.clone(),
                    p.arch.clone().unwrap_or_default(),
                    if p.is_config_only() { "rc" } else { "ii" }.into(),
                ]
            })
            .collect();
        got.sort();
        let mut want = expected(&format!("syft/EXPECTED_dpkg-query_status.d_{case}.txt"), 4);
        if case == "multiple" {
            // Where we differ from dpkg-query, on purpose: dpkg-query aborts on the first broken
            // stanza and lists nothing from this file. A scanner must not go blind because one
            // entry is damaged, so we keep the two intact packages and report the two broken ones.
            assert!(want.is_empty(), "dpkg-query's answer changed: {want:?}");
            want = vec![
                vec![
                    "tzdata".into(),
                    "2020a-0+deb10u1".into(),
                    "all".into(),
                    "ii".into(),
                ],
                vec![
                    "util-linux".into(),
                    "2.33.1-0.1".into(),
                    "amd64".into(),
                    "ii".into(),
                ],
            ];
        }
        assert_eq!(got, want, "{case}");
    }
}

fn read_file_or_dir(p: &Path) -> String {
    if p.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        names
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap() + "\n")
            .collect()
    } else {
        std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }
}

#[test]
fn apk_databases_equal_their_stanzas() {
    for (db, exp) in [
        (
            "trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk",
            "trivy/EXPECTED_apk_PVA.txt",
        ),
        (
            "osv-scalibr/extractor/filesystem/os/apk/testdata/installed",
            "osv-scalibr/EXPECTED_apk_installed_PVA.txt",
        ),
        (
            "syft/syft/pkg/cataloger/alpine/testdata/multiple-2/lib/apk/db/installed",
            "syft/EXPECTED_apk_multiple-2_PVA.txt",
        ),
    ] {
        let (pkgs, errs) = apk::parse_installed(&read(db), "/lib/apk/db/installed");
        let mut got: Vec<Vec<String>> = pkgs
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.version.clone(),
                    p.arch.clone().unwrap_or_default(),
                ]
            })
            .collect();
        // A stanza without a version is an error naming it, not a package.
        let all = expected(exp, 3);
        let mut want: Vec<Vec<String>> = all.iter().filter(|r| !r[1].is_empty()).cloned().collect();
        assert_eq!(errs.len(), all.len() - want.len(), "{db}: {errs:?}");
        got.sort();
        want.sort();
        assert_eq!(got, want, "{db}");
    }
}

#[test]
fn pacman_local_equals_pacman_q_and_flags_the_corrupt_desc() {
    let base = corpora().join("syft/syft/pkg/cataloger/arch/testdata/installed");
    let root = Root::new(&base, false).unwrap();
    let mut out = Output::default();
    pacman::Pacman.collect(&root, &CollectOptions::default(), &mut out);
    let mut got: Vec<String> = out
        .inventory
        .packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    got.sort();
    let want: Vec<String> = read("syft/EXPECTED_pacman-Q_arch_installed.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(got, want);
    assert!(
        out.errors
            .iter()
            .any(|e| e.source.contains("corrupt-0.2.1-3/desc")),
        "{:?}",
        out.errors
    );
}

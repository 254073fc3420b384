//! The signed record through the public API: build, sign, check, and every
//! way a record can be tampered with.

use std::collections::BTreeMap;

use uproot_evidence::{
    canonical, check, compare, keys, replacement, sign, Artifact, CheckError, ExpectedSigner,
    HostKey, HostStatus, Inputs, Payload, Verdict,
};
use uproot_inventory::{Host, Inventory, Service};
use uproot_matcher::{Evidence, Finding};
use uproot_report::{CatalogInfo, Report};

fn finding(id: &str, product: &str, kind: &str, remnant: bool, key: &str) -> Finding {
    Finding {
        id: id.into(),
        vendor: "kaspersky".into(),
        vendor_name: "AO Kaspersky Lab".into(),
        product: product.into(),
        product_name: product.into(),
        kind: kind.into(),
        indicator: format!("kaspersky.{product}.{kind}"),
        confidence: "official".into(),
        indicator_source: "test".into(),
        summary: format!("{kind} {key} — ünïcode \"quoted\""),
        evidence: Evidence {
            source: "/var/lib/dpkg/status".into(),
            key: key.into(),
            detail: BTreeMap::new(),
        },
        remnant,
        embedded_in: None,
        severity: "high".into(),
        authorities: vec![],
        condition: None,
        action: "remove".into(),
        also_matched: vec![],
        layer: None,
    }
}

fn report(findings: Vec<Finding>, inv: Inventory) -> Report {
    let host = Host {
        hostname: "kesl-host".into(),
        os: "linux".into(),
        root: "/mnt/image".into(),
        machine_id: Some("0123456789abcdef0123456789abcdef".into()),
        ..Host::default()
    };
    let info = CatalogInfo {
        version: "2026.11.28".into(),
        overlays: vec![],
    };
    Report::new(
        host,
        info,
        inv,
        findings,
        vec![],
        "2026-11-28T00:00:00Z".into(),
    )
}

fn clamav() -> Inventory {
    let mut inv = Inventory::default();
    inv.services.push(Service {
        name: "clamav-daemon.service".into(),
        scope: "system".into(),
        exec: Some("/usr/sbin/clamd --foreground=true".into()),
        description: Some("Clam AntiVirus userspace daemon".into()),
        enabled: true,
        start: None,
        location: "/usr/lib/systemd/system/clamav-daemon.service".into(),
    });
    inv
}

fn record(before: &Report, after: &Report, key: &HostKey) -> (Payload, String) {
    let v = compare(before, after);
    let r = replacement(after);
    let payload = Payload::build(
        Inputs {
            before: (before, Artifact::of(None, before.to_json().as_bytes())),
            after: (
                after,
                Artifact::of(None, after.to_json().as_bytes()),
                "rescan",
            ),
            action_log: Some(Artifact::of_log(None, b"{\"step\":1}\n{\"step\":2}\n")),
            verification: &v,
            replacement: &r,
            warnings: vec![],
            created_at: "2026-11-29T00:00:00Z".into(),
        },
        key,
    );
    let text = sign(&payload, key);
    (payload, text)
}

fn key(seed: u8) -> HostKey {
    HostKey::from_secret([seed; 32], ".")
}

#[test]
fn a_signed_record_checks_and_says_what_happened() {
    let before = report(
        vec![
            finding("pkg", "kesl", "package", false, "kesl"),
            finding("svc", "kesl", "service", false, "kesl.service"),
        ],
        Inventory::default(),
    );
    let after = report(vec![], clamav());
    let k = key(1);
    let (payload, text) = record(&before, &after, &k);
    let checked = check(&text, None).expect("checks");
    assert_eq!(checked.payload, payload);
    assert_eq!(checked.fingerprint, k.fingerprint());
    assert_eq!(payload.summary.status, HostStatus::Clean);
    assert!(payload.summary.passed);
    assert_eq!(payload.summary.counts.removed, 2);
    assert_eq!(payload.action_log.as_ref().unwrap().lines, Some(2));
    assert!(payload.host_findings.is_empty());
    // With the right expected key, in every accepted form.
    for exp in [
        ExpectedSigner::Key(k.verifying_key()),
        ExpectedSigner::Fingerprint(k.fingerprint()),
    ] {
        check(&text, Some(&exp)).expect("expected signer");
    }
    // The file is its own canonical form.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(canonical::pretty(&v), text);
}

#[test]
fn removal_without_replacement_is_its_own_finding() {
    let before = report(
        vec![finding("pkg", "kesl", "package", false, "kesl")],
        Inventory::default(),
    );
    let after = report(vec![], Inventory::default());
    let (payload, text) = record(&before, &after, &key(2));
    assert_eq!(payload.summary.status, HostStatus::UnprotectedAfterRemoval);
    assert!(!payload.summary.passed);
    assert_eq!(payload.host_findings.len(), 1);
    assert_eq!(payload.host_findings[0].kind, "unprotected-after-removal");
    assert_eq!(payload.verdicts[0].verdict, Verdict::Removed);
    check(&text, None).unwrap();
    // Still affected and unprotected: a different, milder host finding.
    let after = report(
        vec![finding("pkg", "kesl", "package", false, "kesl")],
        Inventory::default(),
    );
    let (payload, _) = record(&before, &after, &key(2));
    assert_eq!(payload.summary.status, HostStatus::Affected);
    assert_eq!(payload.host_findings[0].kind, "no-replacement-protection");
}

#[test]
fn every_single_byte_change_fails_the_check() {
    let before = report(
        vec![
            finding("pkg", "kesl", "package", false, "kesl"),
            finding("dir", "kesl", "file", false, "/opt/kaspersky/kesl"),
        ],
        Inventory::default(),
    );
    let after = report(
        vec![finding("dir", "kesl", "file", false, "/opt/kaspersky/kesl")],
        clamav(),
    );
    let (_, text) = record(&before, &after, &key(3));
    check(&text, None).unwrap();
    let bytes = text.as_bytes();
    let mut failures = 0;
    for i in 0..bytes.len() {
        for replacement in [b' ', b'0'] {
            if bytes[i] == replacement {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let Ok(s) = String::from_utf8(changed) else {
                continue;
            };
            assert!(
                check(&s, None).is_err(),
                "changing byte {i} ({:?}) to {:?} was not detected",
                bytes[i] as char,
                replacement as char
            );
            failures += 1;
        }
    }
    assert!(failures > bytes.len(), "{failures}");
    // Dropping or adding a byte, too.
    assert!(check(&text[..text.len() - 1], None).is_err());
    assert!(check(&format!("{text}\n"), None).is_err());
    assert!(check(&format!(" {text}"), None).is_err());
}

#[test]
fn tampering_is_reported_by_kind() {
    let before = report(
        vec![finding("pkg", "kesl", "package", false, "kesl")],
        Inventory::default(),
    );
    let after = report(
        vec![finding("pkg", "kesl", "package", false, "kesl")],
        Inventory::default(),
    );
    let k = key(4);
    let (mut payload, text) = record(&before, &after, &k);
    // A value inside the payload: the digest no longer matches.
    let edited = text.replacen("\"still-present\"", "\"removed\"", 1);
    assert_ne!(edited, text);
    assert!(matches!(
        check(&edited, None),
        Err(CheckError::Digest { .. })
    ));
    // Reformatted JSON: same content, other bytes.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let compact = serde_json::to_string(&v).unwrap();
    assert!(matches!(
        check(&compact, None),
        Err(CheckError::NotCanonical(_))
    ));
    // Digest recomputed but not re-signed: the signature fails.
    let mut v2 = v.clone();
    v2["payload"]["summary"]["passed"] = serde_json::Value::Bool(true);
    let digest =
        uproot_evidence::canonical::sha256_hex(canonical::compact(&v2["payload"]).as_bytes());
    v2["signature"]["payload_sha256"] = digest.into();
    assert_eq!(
        check(&canonical::pretty(&v2), None).unwrap_err(),
        CheckError::Signature
    );
    // Re-signed by another key: fine on its own, wrong against the pinned key.
    let other = key(5);
    let (_, forged) = record(&before, &after, &other);
    check(&forged, None).unwrap();
    let err = check(&forged, Some(&ExpectedSigner::Key(k.verifying_key()))).unwrap_err();
    assert!(matches!(err, CheckError::WrongKey { .. }), "{err}");
    // A signature block swapped in from another record.
    let mut mixed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let forged_v: serde_json::Value = serde_json::from_str(&forged).unwrap();
    mixed["signature"] = forged_v["signature"].clone();
    assert!(check(&canonical::pretty(&mixed), None).is_err());
    // A validly signed record whose summary lies about the verdicts.
    payload.summary.passed = true;
    payload.summary.status = HostStatus::Clean;
    let lying = sign(&payload, &k);
    assert!(matches!(
        check(&lying, None),
        Err(CheckError::Inconsistent(_))
    ));
    // Not a record at all.
    assert!(matches!(check("[]", None), Err(CheckError::Malformed(_))));
    assert!(matches!(check("{", None), Err(CheckError::Malformed(_))));
}

#[test]
fn the_signed_message_is_the_context_plus_canonical_payload() {
    let before = report(vec![], Inventory::default());
    let k = key(6);
    let (_, text) = record(&before, &before, &k);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let msg = uproot_evidence::signed_message(&v["payload"]);
    assert!(msg.starts_with(b"uproot.evidence/1\n{\""));
    let sig_hex = v["signature"]["value"].as_str().unwrap();
    let sig = canonical::unhex(sig_hex).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
    k.verifying_key().verify_strict(&msg, &sig).unwrap();
    assert_eq!(
        keys::fingerprint(&k.verifying_key()),
        v["signature"]["fingerprint"]
    );
}

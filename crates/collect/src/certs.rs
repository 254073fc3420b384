//! CA certificate stores: the system bundles, the `ca-certificates` inputs,
//! locally added anchors, and NSS `cert9.db` databases (Chromium on Linux and
//! Firefox profiles keep their own trust there).
//!
//! A root CA that a covered product planted lets it intercept TLS, and it
//! outlives an uninstall, so every store is parsed and matched on subject and
//! issuer; the thumbprint alone is useless because Kaspersky generates the
//! root per install.

use std::collections::HashSet;

use sha1::Digest as _;
use uproot_inventory::Certificate;
use x509_parser::prelude::*;

use crate::root::{join, EntryType};
use crate::{users, CollectOptions, Collector, Output, Root};

/// The CA-store collector.
pub struct CaStores;

/// Directories whose certificate files are trust inputs or outputs.
const CERT_DIRS: &[&str] = &[
    "/etc/ssl/certs",
    "/usr/local/share/ca-certificates",
    "/usr/share/ca-certificates",
    "/etc/pki/ca-trust/source/anchors",
    "/etc/pki/ca-trust/extracted/pem",
    "/etc/pki/tls/certs",
    "/etc/ca-certificates/trust-source/anchors",
    "/usr/share/pki/trust/anchors",
];
const MAX_DEPTH: usize = 4;

impl Collector for CaStores {
    fn name(&self) -> &'static str {
        "certs"
    }

    fn collect(&self, root: &Root, _opts: &CollectOptions, out: &mut Output) {
        let mut seen: HashSet<String> = HashSet::new();
        for dir in CERT_DIRS {
            walk(root, dir, 0, &mut seen, out);
        }
        for db in nss_databases(root) {
            read_nss(root, &db, out);
        }
    }
}

fn walk(root: &Root, dir: &str, depth: usize, seen: &mut HashSet<String>, out: &mut Output) {
    let entries = match root.read_dir(dir) {
        Ok(e) => e,
        Err(e) => return out.error_unless_missing(e),
    };
    for e in entries {
        let path = join(dir, &e.name);
        let Ok(real) = root.canonical(&path) else {
            continue;
        }; // dangling or escaping link: nothing to read
        if !seen.insert(real.clone()) {
            continue;
        }
        let is_dir = e.file_type == EntryType::Dir
            || (e.file_type == EntryType::Symlink && root.is_dir(&path));
        if is_dir {
            if depth < MAX_DEPTH {
                walk(root, &path, depth + 1, seen, out);
            }
        } else if looks_like_cert_file(&e.name) {
            // Report where the certificate really lives, not the hash link that led to it,
            // because that file is what removal must delete.
            read_cert_file(root, &real, out);
        }
    }
}

fn looks_like_cert_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".pem", ".crt", ".cer", ".der"]
        .iter()
        .any(|s| lower.ends_with(s))
        || lower
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ext.len() == 1 && ext.chars().all(|c| c.is_ascii_digit()))
}

fn read_cert_file(root: &Root, path: &str, out: &mut Output) {
    let bytes = match root.read_limited(path, 32 << 20) {
        Ok(b) => b,
        Err(e) => return out.error_unless_missing(e),
    };
    let (certs, errors) = parse_store_bytes(&bytes, path);
    if certs.is_empty() && errors.is_empty() && !bytes.iter().all(u8::is_ascii_whitespace) {
        out.error(path, "no certificate found (neither PEM nor DER)");
    }
    out.inventory.certificates.extend(certs);
    for e in errors {
        out.error(path, e);
    }
}

/// Parses a PEM bundle or a single DER certificate. Returns the certificates
/// that parsed and one message per block that did not.
pub fn parse_store_bytes(bytes: &[u8], location: &str) -> (Vec<Certificate>, Vec<String>) {
    let mut certs = Vec::new();
    let mut errors = Vec::new();
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        for (i, pem) in x509_parser::pem::Pem::iter_from_buffer(bytes).enumerate() {
            match pem {
                Ok(p) if p.label == "CERTIFICATE" || p.label == "TRUSTED CERTIFICATE" => {
                    match certificate(&p.contents, location) {
                        Ok(c) => certs.push(c),
                        Err(e) => errors.push(format!("PEM block {}: {e}", i + 1)),
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    errors.push(format!("PEM block {}: {e}", i + 1));
                    break;
                }
            }
        }
    } else if bytes.first() == Some(&0x30) {
        match certificate(bytes, location) {
            Ok(c) => certs.push(c),
            Err(e) => errors.push(e),
        }
    }
    (certs, errors)
}

/// Parses one DER certificate into the inventory record.
pub fn certificate(der: &[u8], location: &str) -> Result<Certificate, String> {
    let (_, x) = X509Certificate::from_der(der)
        .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
    let is_ca = x
        .basic_constraints()
        .ok()
        .flatten()
        .map(|bc| bc.value.ca)
        .unwrap_or(false);
    Ok(Certificate {
        subject: x.subject().to_string(),
        issuer: x.issuer().to_string(),
        serial: x.raw_serial_as_string().replace(':', ""),
        sha256: hex(&sha2::Sha256::digest(der)),
        sha1: hex(&sha1::Sha1::digest(der)),
        not_after: x.validity().not_after.to_datetime().to_string(),
        is_ca,
        location: location.to_owned(),
    })
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn nss_databases(root: &Root) -> Vec<String> {
    let mut dbs = vec!["/etc/pki/nssdb/cert9.db".to_owned()];
    for home in users::homes(root) {
        dbs.push(join(&home, ".pki/nssdb/cert9.db"));
        for base in [".mozilla/firefox", "snap/firefox/common/.mozilla/firefox"] {
            let dir = join(&home, base);
            if let Ok(es) = root.read_dir(&dir) {
                dbs.extend(
                    es.into_iter()
                        .filter(|e| e.file_type == EntryType::Dir)
                        .map(|e| join(&join(&dir, &e.name), "cert9.db")),
                );
            }
        }
    }
    dbs.retain(|d| root.exists(d));
    dbs
}

/// NSS keeps each PKCS#11 object as a row of `nssPublic`; column `a11` is
/// `CKA_VALUE`, which for certificate objects is the DER.
fn read_nss(root: &Root, path: &str, out: &mut Output) {
    let conn = match crate::sqlite::open_readonly(root, path) {
        Ok(c) => c,
        Err(e) => return out.error(path, e),
    };
    let rows: Result<Vec<Vec<u8>>, rusqlite::Error> = conn
        .prepare("SELECT a11 FROM nssPublic WHERE a11 IS NOT NULL")
        .and_then(|mut st| st.query_map([], |r| r.get::<_, Vec<u8>>(0))?.collect());
    match rows {
        Ok(values) => {
            for der in values.iter().filter(|v| v.first() == Some(&0x30)) {
                if let Ok(c) = certificate(der, path) {
                    out.inventory.certificates.push(c);
                }
            }
        }
        Err(e) => out.error(path, format!("not a readable NSS cert9.db: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(p: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../../shared/corpora/x509/{p}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{path}: {e} (shared/corpora must be beside the repo)"))
    }

    fn expected(p: &str) -> Vec<String> {
        let text = String::from_utf8(corpus(p)).unwrap();
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| l.split('|').next().unwrap().replace(':', "").to_lowercase())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn debian_bundle_matches_openssl_fingerprints() {
        let (certs, errs) = parse_store_bytes(
            &corpus("debian-ca-certificates-20230311+deb12u1.crt"),
            "/bundle",
        );
        assert!(errs.is_empty(), "{errs:?}");
        let mut got: Vec<String> = certs.iter().map(|c| c.sha256.clone()).collect();
        got.sort();
        assert_eq!(got, expected("EXPECTED_openssl_debian.txt"));
    }

    #[test]
    fn certifi_bundle_matches_openssl_fingerprints() {
        let (certs, errs) = parse_store_bytes(&corpus("certifi-2026.05.20-cacert.pem"), "/bundle");
        assert!(errs.is_empty(), "{errs:?}");
        let mut got: Vec<String> = certs.iter().map(|c| c.sha256.clone()).collect();
        got.sort();
        assert_eq!(got, expected("EXPECTED_openssl_certifi.txt"));
    }

    #[test]
    fn garbage_pem_is_an_error_not_a_panic() {
        let (certs, errs) = parse_store_bytes(
            b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n",
            "/x",
        );
        assert!(certs.is_empty());
        assert_eq!(errs.len(), 1, "{errs:?}");
    }
}

//! Certificate stores in the registry: the machine's `ROOT`, `AuthRoot` and `CA`
//! stores (and their Group Policy and Active Directory copies), and each user's
//! `Root` and `CA`.
//!
//! A product that inspects TLS plants its root CA in `ROOT`; it stays trusted
//! after the product is gone, so every store is read and each certificate is
//! matched on subject and issuer (the thumbprint is per install).
//!
//! Each certificate is a key named by its SHA-1 thumbprint with a `Blob` value:
//! a run of properties `{u32 id, u32 reserved (1), u32 length, bytes}` as
//! `CertSerializeCertificateStoreElement` writes them. Property 0x20
//! (`CERT_CERT_PROP_ID`) holds the DER; 0x0b is the friendly name. Lengths are
//! checked against what is left, so a lying length is an error, not a read
//! past the end.

use uproot_inventory::Certificate;

use super::hive::{Hive, HiveError};
use super::source::Hives;
use crate::{CollectOptions, Collector, Output, Root};

/// The registry certificate-store collector.
pub struct SystemCertificates;

/// Stores in SOFTWARE, as paths of their `Certificates` parents.
pub const MACHINE_STORES: &[&str] = &[
    "Microsoft\\SystemCertificates\\ROOT",
    "Microsoft\\SystemCertificates\\AuthRoot",
    "Microsoft\\SystemCertificates\\CA",
    "Policies\\Microsoft\\SystemCertificates\\Root",
    "Policies\\Microsoft\\SystemCertificates\\CA",
    "Microsoft\\EnterpriseCertificates\\Root",
    "Microsoft\\EnterpriseCertificates\\CA",
];
/// Stores in each NTUSER.DAT.
pub const USER_STORES: &[&str] = &[
    "Software\\Microsoft\\SystemCertificates\\Root",
    "Software\\Microsoft\\SystemCertificates\\CA",
    "Software\\Policies\\Microsoft\\SystemCertificates\\Root",
    "Software\\Policies\\Microsoft\\SystemCertificates\\CA",
];
/// `CERT_CERT_PROP_ID`: the encoded certificate.
pub const CERT_PROP_ID: u32 = 0x20;
/// `CERT_FRIENDLY_NAME_PROP_ID`.
pub const FRIENDLY_NAME_PROP_ID: u32 = 0x0b;
/// Properties read from one blob.
const MAX_PROPERTIES: usize = 256;

impl Collector for SystemCertificates {
    fn name(&self) -> &'static str {
        "windows-certs"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        let mut hives = Hives::new(root);
        collect_from(&mut hives, opts, out);
        hives.report(out);
    }
}

/// Reads the machine and per-user certificate stores from already-open hives.
pub fn collect_from(hives: &mut Hives, _opts: &CollectOptions, out: &mut Output) {
    let (software, users) = hives.software_and_users(out);
    if let Some(h) = software {
        for store in MACHINE_STORES {
            read_into(h, store, out);
        }
    }
    for u in users.iter_mut() {
        for store in USER_STORES {
            read_into(&mut u.hive, store, out);
        }
    }
}

fn read_into(hive: &mut Hive, store: &str, out: &mut Output) {
    match read_store(hive, store) {
        Ok((certs, errors)) => {
            out.inventory.certificates.extend(certs);
            for (loc, msg) in errors {
                out.error(loc, msg);
            }
        }
        Err(e) => out.error(hive.location(), format!("{store}: {e}")),
    }
}

/// Reads every certificate of the store at `store` (the key above
/// `Certificates`). Returns the certificates and `(location, message)` for each
/// entry that did not parse. A missing store is empty.
#[allow(clippy::type_complexity)]
pub fn read_store(
    hive: &mut Hive,
    store: &str,
) -> Result<(Vec<Certificate>, Vec<(String, String)>), HiveError> {
    let Some(certs) = hive.key(&format!("{store}\\Certificates"))? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for entry in hive.subkeys(&certs)? {
        let location = format!("{}\\{}", hive.location(), entry.path());
        let Some(blob) = entry.bytes("Blob") else {
            continue; // entries can carry only properties (e.g. disallowed-use flags)
        };
        match parse_cert_blob(&blob).and_then(|der| crate::certs::certificate(&der, &location)) {
            Ok(c) => found.push(c),
            Err(e) => errors.push((location, format!("certificate blob: {e}"))),
        }
    }
    Ok((found, errors))
}

/// Splits a serialized store element into `(property id, bytes)`.
pub fn blob_properties(blob: &[u8]) -> Result<Vec<(u32, &[u8])>, String> {
    let mut props = Vec::new();
    let mut rest = blob;
    while rest.len() >= 12 {
        if props.len() >= MAX_PROPERTIES {
            return Err(format!("more than {MAX_PROPERTIES} properties"));
        }
        let word = |i: usize| u32::from_le_bytes(rest[i..i + 4].try_into().expect("4 bytes"));
        let (id, len) = (word(0), word(8));
        let body = &rest[12..];
        if len as usize > body.len() {
            return Err(format!(
                "property {id:#x} claims {len} bytes but only {} remain",
                body.len()
            ));
        }
        props.push((id, &body[..len as usize]));
        rest = &body[len as usize..];
    }
    Ok(props)
}

/// The DER certificate inside a `Blob` (property 0x20). A value that is itself a
/// DER certificate (starts with a SEQUENCE and has no properties) is returned as is.
pub fn parse_cert_blob(blob: &[u8]) -> Result<Vec<u8>, String> {
    match blob_properties(blob) {
        Ok(props) => match props.iter().find(|(id, _)| *id == CERT_PROP_ID) {
            Some((_, der)) => Ok(der.to_vec()),
            None if blob.first() == Some(&0x30) => Ok(blob.to_vec()),
            None => Err(format!(
                "no certificate property (0x20) among {} properties",
                props.len()
            )),
        },
        Err(_) if blob.first() == Some(&0x30) => Ok(blob.to_vec()),
        Err(e) => Err(e),
    }
}

/// The friendly name (property 0x0b, UTF-16LE) Windows shows for the certificate.
pub fn friendly_name(blob: &[u8]) -> Option<String> {
    let props = blob_properties(blob).ok()?;
    let (_, b) = props.iter().find(|(id, _)| *id == FRIENDLY_NAME_PROP_ID)?;
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let s = String::from_utf16_lossy(&units);
    Some(s.trim_end_matches('\0').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lying_lengths_are_errors() {
        let mut b = Vec::new();
        b.extend_from_slice(&0x20u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&[0x30, 0x82]);
        assert!(blob_properties(&b)
            .unwrap_err()
            .contains("claims 4294967295 bytes"));
        assert!(parse_cert_blob(&b).is_err());
        assert!(parse_cert_blob(&[]).is_err());
    }
}

//! Catalog updates from the fleet server. The server only relays the
//! bundle; this host trusts it because the signature verifies against its
//! own trusted keys, checked here before the bytes are handed on.

use uproot_bundle::{TrustedKeys, VerifiedBundle};

use crate::client::Client;
use crate::error::{Error, Result};

/// A bundle fetched from the server that verified.
#[derive(Debug, Clone)]
pub struct FetchedBundle {
    /// The bundle file, for `uproot_bundle::install` (which verifies it
    /// again, and refuses downgrades).
    pub bytes: Vec<u8>,
    /// What verification found.
    pub bundle: VerifiedBundle,
}

/// `GET /api/v1/catalog/bundle` and verify it against `trusted`.
/// `Ok(None)` when the server publishes no bundle; [`Error::Bundle`] when
/// the bundle is unsigned, signed by an untrusted key, tampered with or
/// malformed.
pub fn fetch_catalog_bundle(
    client: &Client,
    token: &str,
    trusted: &TrustedKeys,
) -> Result<Option<FetchedBundle>> {
    let Some(bytes) = client.get_catalog_bundle(token)? else {
        return Ok(None);
    };
    let bundle = uproot_bundle::verify(&bytes, trusted).map_err(|source| Error::Bundle {
        url: format!("{}/api/v1/catalog/bundle", client.server()),
        source,
    })?;
    Ok(Some(FetchedBundle { bytes, bundle }))
}

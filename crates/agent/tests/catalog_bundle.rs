//! `fetch_catalog_bundle`: the bundle the server relays is verified against
//! this host's trusted keys before it is handed on.

mod common;

use std::path::Path;

use common::{Reply, TestServer};
use uproot_agent::{fetch_catalog_bundle, CatalogFetch, Client, Error, FetchedBundle, Timeouts};
use uproot_bundle::{keygen, pack, PackOptions, SecretKey, TrustedKeys};

/// The repository catalog at a version newer than the built-in one, packed.
fn bundle(tmp: &Path, key: &SecretKey) -> Vec<u8> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    let dir = tmp.join("catalog");
    std::fs::create_dir_all(dir.join("vendors")).unwrap();
    std::fs::copy(src.join("authorities.toml"), dir.join("authorities.toml")).unwrap();
    for e in std::fs::read_dir(src.join("vendors")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("vendors").join(e.file_name())).unwrap();
    }
    let builtin = uproot_bundle::Catalog::builtin().unwrap().version();
    let cat = std::fs::read_to_string(src.join("catalog.toml"))
        .unwrap()
        .replace(&format!("\"{builtin}\""), "\"2099.1.1\"");
    std::fs::write(dir.join("catalog.toml"), cat).unwrap();
    pack(&dir, key, &PackOptions::default()).unwrap()
}

/// A 200 with `body`, and an ETag when given.
fn ok(body: &str, etag: Option<&str>) -> Reply {
    Reply {
        status: 200,
        headers: etag
            .map(|t| ("ETag".into(), t.into()))
            .into_iter()
            .collect(),
        body: body.to_owned(),
        delay: std::time::Duration::ZERO,
    }
}

fn fetched(r: uproot_agent::Result<CatalogFetch>) -> FetchedBundle {
    match r.unwrap() {
        CatalogFetch::Fetched(f) => *f,
        other => panic!("expected a bundle, got {other:?}"),
    }
}

fn key(tmp: &Path, name: &str) -> (SecretKey, TrustedKeys) {
    let info = keygen(&tmp.join(name)).unwrap();
    (
        SecretKey::load(&info.secret_path, None).unwrap(),
        TrustedKeys::from_file(&info.public_path).unwrap(),
    )
}

#[test]
fn a_bundle_is_fetched_with_the_host_token_and_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let (sk, trusted) = key(tmp.path(), "k");
    let (_, other) = key(tmp.path(), "other");
    let bytes = bundle(tmp.path(), &sk);
    let body = String::from_utf8(bytes.clone()).unwrap();
    let server = TestServer::start(move |_| ok(&body, None));
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();

    let got = fetched(fetch_catalog_bundle(&client, "uph_t", &trusted, None));
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.bundle.version.to_string(), "2099.1.1");
    let seen = server.seen();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/api/v1/catalog/bundle");
    assert_eq!(seen[0].header("authorization"), Some("Bearer uph_t"));
    assert_eq!(seen[0].header("if-none-match"), None);

    // Signed by a key this host does not trust: refused.
    let err = fetch_catalog_bundle(&client, "uph_t", &other, None).unwrap_err();
    assert!(matches!(err, Error::Bundle { .. }), "{err}");
}

#[test]
fn a_tampered_bundle_is_refused_and_404_means_none() {
    let tmp = tempfile::tempdir().unwrap();
    let (sk, trusted) = key(tmp.path(), "k");
    let body = String::from_utf8(bundle(tmp.path(), &sk))
        .unwrap()
        .replacen("Kaspersky", "Kaspersk7", 1);
    let server = TestServer::start(move |_| ok(&body, None));
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();
    let err = fetch_catalog_bundle(&client, "uph_t", &trusted, None).unwrap_err();
    assert!(matches!(err, Error::Bundle { .. }), "{err}");

    server.set_responder(|_| Reply::error(404, "no catalog bundle is published"));
    assert!(matches!(
        fetch_catalog_bundle(&client, "uph_t", &trusted, None).unwrap(),
        CatalogFetch::NotPublished
    ));
    server.set_responder(|_| Reply::error(401, "unknown token"));
    let err = fetch_catalog_bundle(&client, "uph_t", &trusted, None).unwrap_err();
    assert!(matches!(err, Error::Server { status: 401, .. }), "{err}");
}

/// The ETag round trip: the tag the server sent is sent back, a 304 means
/// nothing is downloaded, and a tag the server no longer has gets the body.
#[test]
fn a_known_etag_turns_the_check_into_a_304() {
    let tmp = tempfile::tempdir().unwrap();
    let (sk, trusted) = key(tmp.path(), "k");
    let body = String::from_utf8(bundle(tmp.path(), &sk)).unwrap();
    let tag = "\"sha256:0123\"";
    let server = TestServer::start(move |req| {
        if req.header("if-none-match") == Some(tag) {
            return Reply {
                status: 304,
                ..ok("", Some(tag))
            };
        }
        ok(&body, Some(tag))
    });
    let client = Client::new(&server.url(), None, Timeouts::default()).unwrap();
    let first = fetched(fetch_catalog_bundle(&client, "uph_t", &trusted, None));
    assert_eq!(first.etag.as_deref(), Some(tag));
    let again = fetch_catalog_bundle(&client, "uph_t", &trusted, first.etag.as_deref()).unwrap();
    assert!(matches!(again, CatalogFetch::Unchanged), "{again:?}");
    assert_eq!(server.seen()[1].header("if-none-match"), Some(tag));
    let stale = fetch_catalog_bundle(&client, "uph_t", &trusted, Some("\"sha256:old\""));
    assert_eq!(fetched(stale).bundle.version.to_string(), "2099.1.1");

    // The agent keeps the tag, with the version it named, between runs.
    let dir = tmp.path().join("agent");
    std::fs::create_dir_all(&dir).unwrap();
    assert_eq!(uproot_agent::known_catalog_etag(&dir), None);
    let k = uproot_agent::KnownBundle {
        etag: tag.into(),
        version: "2099.1.1".into(),
    };
    uproot_agent::remember_catalog_etag(&dir, Some(&k)).unwrap();
    assert_eq!(uproot_agent::known_catalog_etag(&dir), Some(k));
    std::fs::write(uproot_agent::catalog_etag_path(&dir), "garbage").unwrap();
    assert_eq!(uproot_agent::known_catalog_etag(&dir), None);
    uproot_agent::remember_catalog_etag(&dir, None).unwrap();
    assert!(!uproot_agent::catalog_etag_path(&dir).exists());
}

//! Who is calling: host tokens (`uph_…`), API tokens (`upa_…`) and
//! dashboard sessions (cookie [`SESSION_COOKIE`]).
//!
//! Tokens are 32 random bytes in hex behind a kind prefix. They are stored
//! as SHA-256 hex: a high-entropy secret needs no slow hash, and a lookup
//! by hash is one indexed query. Status codes follow the contract: no or
//! unknown credentials → 401; a valid credential of the wrong kind or role
//! → 403.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use sha2::{Digest, Sha256};
use uproot_fleet::Role;

use crate::error::ApiError;
use crate::AppState;

/// Name of the dashboard session cookie. Its value is a random token; the
/// store keeps `hash_token(value)`.
pub const SESSION_COOKIE: &str = "uproot_session";
/// Header a cookie-authenticated API write must carry, equal to the
/// session's `csrf` value.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Prefix of host tokens.
pub const HOST_PREFIX: &str = "uph_";
/// Prefix of API tokens.
pub const API_PREFIX: &str = "upa_";
/// Prefix of enrollment secrets.
pub const ENROLL_PREFIX: &str = "upe_";

/// A new random token: `prefix` and 64 hex digits.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    let mut s = String::with_capacity(prefix.len() + 64);
    s.push_str(prefix);
    push_hex(&mut s, &bytes);
    s
}

/// SHA-256 hex of a token, the form stored.
pub fn hash_token(token: &str) -> String {
    let mut s = String::with_capacity(64);
    push_hex(&mut s, &Sha256::digest(token.as_bytes()));
    s
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
}

/// Compares without an early exit, so timing does not reveal a prefix.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// An enrolled host, by its `uph_` token.
#[derive(Debug, Clone, Copy)]
pub struct HostPrincipal {
    /// Host id.
    pub host_id: i64,
}

/// An admin or auditor (API token or dashboard session).
#[derive(Debug, Clone)]
pub struct Reader {
    /// Role.
    pub role: Role,
    /// Audit name: the user name, or `token:` and the start of the token's hash.
    pub actor: String,
}

/// An admin (API token or dashboard session).
#[derive(Debug, Clone)]
pub struct Admin {
    /// Audit name, as for [`Reader`].
    pub actor: String,
}

impl FromRequestParts<AppState> for HostPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
        let hash = hash_token(token);
        if token.starts_with(HOST_PREFIX) {
            if let Some(host_id) = state.store.host_by_token_hash(&hash).await? {
                return Ok(HostPrincipal { host_id });
            }
        } else if token.starts_with(API_PREFIX)
            && state.store.api_token_role(&hash).await?.is_some()
        {
            return Err(ApiError::forbidden(
                "an API token cannot submit reports; use the host's token",
            ));
        }
        Err(ApiError::unauthorized("unknown token"))
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = bearer(parts) {
            return reader_by_token(token, state).await;
        }
        if let Some(value) = cookie(parts, SESSION_COOKIE) {
            let now = uproot_report::rfc3339_now();
            if let Some(s) = state.store.session(&hash_token(value), &now).await? {
                check_csrf(parts, &s.csrf)?;
                return Ok(Reader {
                    role: s.role,
                    actor: s.username,
                });
            }
            return Err(ApiError::unauthorized(
                "session expired or unknown; log in again",
            ));
        }
        Err(ApiError::unauthorized(
            "missing credentials: send Authorization: Bearer upa_… or log in",
        ))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let r = Reader::from_request_parts(parts, state).await?;
        match r.role {
            Role::Admin => Ok(Admin { actor: r.actor }),
            Role::Auditor => Err(ApiError::forbidden("auditors have read-only access")),
        }
    }
}

async fn reader_by_token(token: &str, state: &AppState) -> Result<Reader, ApiError> {
    let hash = hash_token(token);
    if token.starts_with(API_PREFIX) {
        if let Some(role) = state.store.api_token_role(&hash).await? {
            return Ok(Reader {
                role,
                actor: format!("token:{}", &hash[..12]),
            });
        }
    } else if token.starts_with(HOST_PREFIX)
        && state.store.host_by_token_hash(&hash).await?.is_some()
    {
        return Err(ApiError::forbidden("a host token can only submit reports"));
    }
    Err(ApiError::unauthorized("unknown token"))
}

/// A browser sends the session cookie with any request, including one a
/// hostile page makes; a write must also prove it read the session's CSRF
/// value.
fn check_csrf(parts: &Parts, csrf: &str) -> Result<(), ApiError> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if constant_time_eq(sent.as_bytes(), csrf.as_bytes()) && !csrf.is_empty() {
        Ok(())
    } else {
        Err(ApiError::forbidden("missing or wrong X-CSRF-Token"))
    }
}

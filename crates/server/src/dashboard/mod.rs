//! Server-rendered dashboard (login, overview, directives, hosts, findings,
//! waivers, exports).
//!
//! Pages are minijinja templates embedded in the binary; `.html` templates
//! auto-escape every value, and nothing from a host is ever marked safe, so
//! evidence strings (package names, display names, paths) render as text.
//! There is no JavaScript: charts are inline SVG computed here, and every
//! change is a plain form POST that carries the session's CSRF token.

mod cache;
mod chart;
mod pages;
mod render;
mod session;
mod time;
mod waivers;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::AppState;

pub use session::Viewer;

/// The dashboard's routes, mounted at `/`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/directives", get(pages::directives))
        .route("/directives/{name}", get(pages::directive))
        .route("/hosts", get(pages::hosts))
        .route("/hosts/{id}", get(pages::host))
        .route("/findings", get(pages::findings))
        .route("/waivers", get(waivers::list).post(waivers::create))
        .route("/waivers/{id}/approve", post(waivers::approve))
        .route("/waivers/{id}/expire", post(waivers::expire))
        .route("/exports", get(pages::exports))
        .layer(Extension(Arc::new(cache::Cache::default())))
}

/// Percent-encodes a query-string component (RFC 3986 unreserved kept).
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path?k=v&…` with the empty values left out.
pub(crate) fn url_with(path: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_values() {
        assert_eq!(
            url_with("/x", &[("a", "b c&d"), ("e", ""), ("f", "é")]),
            "/x?a=b%20c%26d&f=%C3%A9"
        );
        assert_eq!(url_with("/x", &[("a", "")]), "/x");
    }
}

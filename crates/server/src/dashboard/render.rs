//! Templates, the HTML response and the dashboard's error page.

use std::sync::OnceLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{Environment, Value};

/// Every template, embedded so the binary is self-contained. The `.html`
/// suffix is what turns minijinja's auto-escaping on.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "overview.html",
        include_str!("../../templates/overview.html"),
    ),
    (
        "directives.html",
        include_str!("../../templates/directives.html"),
    ),
    (
        "directive.html",
        include_str!("../../templates/directive.html"),
    ),
    ("hosts.html", include_str!("../../templates/hosts.html")),
    ("host.html", include_str!("../../templates/host.html")),
    (
        "findings.html",
        include_str!("../../templates/findings.html"),
    ),
    ("waivers.html", include_str!("../../templates/waivers.html")),
    ("exports.html", include_str!("../../templates/exports.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
];

/// Inline styles only, no scripts: the policy forbids any script at all, so
/// even a missed escape could not run one.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The templates are compiled into the binary and covered by the
            // unit test below, so a syntax error cannot reach a release.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("embedded template {name}: {e}"));
        }
        env.add_filter("when", when);
        env.add_filter("pct", |s: String| super::encode_component(&s));
        env
    })
}

/// `2026-11-29T02:52:38Z` → `2026-11-29 02:52` (UTC).
fn when(value: Option<String>) -> String {
    match value {
        Some(v) if v.len() >= 16 && v.as_bytes()[10] == b'T' => {
            format!("{} {}", &v[..10], &v[11..16])
        }
        Some(v) => v,
        None => String::new(),
    }
}

/// Renders template `name` into a response with `status`.
pub(crate) fn page(status: StatusCode, name: &str, ctx: Value) -> Response {
    let html = env().get_template(name).and_then(|t| t.render(ctx));
    match html {
        Ok(html) => html_response(status, html),
        Err(e) => {
            eprintln!("uproot serve: dashboard template {name}: {e:#}");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Error</title><p>Internal error.</p>".into(),
            )
        }
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages show fleet data behind a login: never keep them in a cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A dashboard error: a status and a message for the person looking.
#[derive(Debug)]
pub(crate) struct DashError {
    pub status: StatusCode,
    pub message: String,
}

impl DashError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> DashError {
        DashError {
            status,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> DashError {
        DashError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn bad_request(message: impl Into<String>) -> DashError {
        DashError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> DashError {
        DashError::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<uproot_fleet::Error> for DashError {
    fn from(e: uproot_fleet::Error) -> DashError {
        use uproot_fleet::ErrorKind;
        match e.kind() {
            ErrorKind::NotFound => DashError::not_found(e.to_string()),
            ErrorKind::Invalid => DashError::bad_request(e.to_string()),
            _ => {
                // Database details are for the operator's log, not the page.
                eprintln!("uproot serve: dashboard: {e}");
                DashError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl IntoResponse for DashError {
    fn into_response(self) -> Response {
        let title = self
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .to_string();
        page(
            self.status,
            "error.html",
            minijinja::context! { title, message => self.message, code => self.status.as_u16() },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile_and_escape() {
        let env = env();
        for (name, _) in TEMPLATES {
            env.get_template(name).unwrap();
        }
        let t = env
            .template_from_named_str("probe.html", "{{ v }}")
            .unwrap();
        let out = t
            .render(minijinja::context! { v => "<script>alert(1)</script>" })
            .unwrap();
        assert_eq!(out, "&lt;script&gt;alert(1)&lt;&#x2f;script&gt;");
    }

    #[test]
    fn when_shortens_instants() {
        assert_eq!(
            when(Some("2026-11-29T02:52:38Z".into())),
            "2026-11-29 02:52"
        );
        assert_eq!(when(Some("2026-11-29".into())), "2026-11-29");
        assert_eq!(when(None), "");
    }
}

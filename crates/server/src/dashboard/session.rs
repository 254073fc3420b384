//! Logins, sessions and the checks every write makes.
//!
//! The cookie carries 32 random bytes; the store keeps only their SHA-256,
//! so a leaked database does not hand out live sessions. Each session also
//! has its own CSRF token that every form echoes.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use uproot_fleet::{Role, Session};

use super::render::{page, DashError};
use super::time;
use crate::auth::{constant_time_eq, hash_token, SESSION_COOKIE};
use crate::{password, AppState};

/// How long a login lasts.
const SESSION_SECS: i64 = 12 * 3600;

/// The one answer to every failed login, so it does not tell whether the
/// user exists.
const LOGIN_FAILED: &str = "Invalid username or password.";

/// Password checks allowed at once: argon2 takes tens of milliseconds and
/// ~19 MiB per check, so a burst of logins must queue, not exhaust memory.
static VERIFY_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The logged-in person looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// The session's CSRF token.
    pub csrf: String,
    session_hash: String,
}

impl Viewer {
    /// Whether this viewer may change things.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// What the base template needs to know about the viewer.
    pub(crate) fn context(&self) -> minijinja::Value {
        minijinja::context! {
            username => self.username,
            role => self.role.as_str(),
            csrf => self.csrf,
            admin => self.is_admin(),
        }
    }

    /// The checks before any change: the form's CSRF token matches the
    /// session's, and the viewer is an admin.
    pub(crate) fn authorize_write(&self, csrf: &str) -> Result<(), DashError> {
        self.check_csrf(csrf)?;
        if !self.is_admin() {
            return Err(DashError::forbidden(
                "Auditors have read-only access; this change needs an admin.",
            ));
        }
        Ok(())
    }

    fn check_csrf(&self, csrf: &str) -> Result<(), DashError> {
        if csrf.is_empty() || !constant_time_eq(csrf.as_bytes(), self.csrf.as_bytes()) {
            return Err(DashError::forbidden(
                "The form's security token is missing or stale. Reload the page and try again.",
            ));
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        if parts.method != Method::GET && parts.method != Method::HEAD {
            same_origin(&parts.headers).map_err(IntoResponse::into_response)?;
        }
        let Some(value) = session_cookie(&parts.headers) else {
            return Err(to_login(parts));
        };
        let session_hash = hash_token(value);
        match state.store.session(&session_hash, &time::now()).await {
            Ok(Some(s)) => Ok(Viewer {
                username: s.username,
                role: s.role,
                csrf: s.csrf,
                session_hash,
            }),
            Ok(None) => Err(to_login(parts)),
            Err(e) => Err(DashError::from(e).into_response()),
        }
    }
}

/// Sends a visitor without a session to the login page, remembering where
/// they were going.
fn to_login(parts: &Parts) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    let target = if parts.method == Method::GET && next != "/" {
        super::url_with("/login", &[("next", &next)])
    } else {
        "/login".to_string()
    };
    Redirect::to(&target).into_response()
}

/// The session cookie's value, if sent.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A browser always sends `Origin` on a form POST; one naming another site
/// is a cross-site request whatever the cookie says. (Non-browser clients
/// send none and are judged by the CSRF token alone.) Behind a reverse
/// proxy that rewrites `Host`, the proxy's `X-Forwarded-Host` names the
/// site; a cross-site form cannot set that header, so trusting it is safe.
fn same_origin(headers: &HeaderMap) -> Result<(), DashError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let origin_host = origin
        .split_once("://")
        .map_or("", |(_, rest)| rest.trim_end_matches('/'));
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let host = text(header::HOST.as_str());
    let forwarded = text("x-forwarded-host").and_then(|v| v.split(',').next());
    let matches = [host, forwarded]
        .into_iter()
        .flatten()
        .any(|h| !origin_host.is_empty() && origin_host.eq_ignore_ascii_case(h.trim()));
    if matches {
        Ok(())
    } else {
        Err(DashError::forbidden(
            "Cross-site form submission refused: the page's origin does not match this \
             server's host. (Behind a reverse proxy, forward the original Host header or \
             set X-Forwarded-Host.)",
        ))
    }
}

fn random_hex() -> Result<String, DashError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        eprintln!("uproot serve: no randomness for a session: {e}");
        DashError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Only local paths are followed after a login, so `next` cannot send
/// anyone to another site (`//evil`, `/\evil`, `https://…`).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/login")
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/",
    }
}

/// Query of `GET /login`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`.
pub(crate) async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if let Some(value) = session_cookie(&headers) {
        if let Ok(Some(_)) = state.store.session(&hash_token(value), &time::now()).await {
            return Redirect::to(safe_next(q.next.as_deref())).into_response();
        }
    }
    login_page(StatusCode::OK, "", safe_next(q.next.as_deref()), None)
}

fn login_page(status: StatusCode, username: &str, next: &str, error: Option<&str>) -> Response {
    page(
        status,
        "login.html",
        minijinja::context! { username, next, error },
    )
}

/// Form of `POST /login`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`.
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, DashError> {
    same_origin(&headers)?;
    let next = safe_next(form.next.as_deref()).to_string();
    let username = form.username.trim().to_string();
    let user = if username.is_empty() {
        None
    } else {
        state.store.user(&username).await?
    };
    let ok = check_password(
        form.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            let detail = serde_json::json!({ "reason": "bad username or password" });
            state
                .store
                .record(
                    &username_for_audit(&username),
                    "login.failed",
                    "dashboard",
                    detail,
                )
                .await?;
            return Ok(login_page(
                StatusCode::UNAUTHORIZED,
                &username,
                &next,
                Some(LOGIN_FAILED),
            ));
        }
    };
    let token = random_hex()?;
    let session = Session {
        username: user.username.clone(),
        role: user.role,
        csrf: random_hex()?,
        expires_at: time::rfc3339(time::now_secs() + SESSION_SECS),
    };
    state
        .store
        .create_session(&hash_token(&token), &session)
        .await?;
    let detail = serde_json::json!({ "role": user.role.as_str() });
    state
        .store
        .record(&user.username, "login", "dashboard", detail)
        .await?;
    let mut resp = Redirect::to(&next).into_response();
    set_cookie(
        &mut resp,
        &cookie_header(&token, SESSION_SECS, state.settings.secure_cookies),
    );
    Ok(resp)
}

/// Audit rows name the attempted user, bounded and printable, because a
/// failed-login field is attacker-controlled text.
fn username_for_audit(username: &str) -> String {
    let clean: String = username
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if clean.is_empty() {
        "anonymous".into()
    } else {
        format!("login:{clean}")
    }
}

/// Verifies off the async runtime. Without a user, verifies against a
/// dummy hash, so an unknown name costs as much time as a wrong password.
async fn check_password(password: String, phc: Option<String>) -> bool {
    let Ok(_slot) = VERIFY_SLOTS.acquire().await else {
        return false;
    };
    let known = phc.is_some();
    let phc = phc.unwrap_or_else(|| password::dummy_hash().to_string());
    let ok = tokio::task::spawn_blocking(move || password::verify(&password, &phc))
        .await
        .unwrap_or(false);
    ok && known
}

fn cookie_header(value: &str, max_age: i64, secure: bool) -> String {
    let mut c =
        format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

fn set_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Form of `POST /logout`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogoutForm {
    csrf: String,
}

/// `POST /logout`: any role may end its own session.
pub(crate) async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<LogoutForm>,
) -> Result<Response, DashError> {
    viewer.check_csrf(&form.csrf)?;
    state.store.delete_session(&viewer.session_hash).await?;
    state
        .store
        .record(
            &viewer.username,
            "logout",
            "dashboard",
            serde_json::json!({}),
        )
        .await?;
    let mut resp = Redirect::to("/login").into_response();
    set_cookie(
        &mut resp,
        &cookie_header("", 0, state.settings.secure_cookies),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_local() {
        assert_eq!(safe_next(Some("/hosts/3")), "/hosts/3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/login")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookie_flags() {
        let c = cookie_header("abc", 60, true);
        assert_eq!(
            c,
            "uproot_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure"
        );
        assert!(!cookie_header("abc", 60, false).contains("Secure"));
    }

    #[test]
    fn origin_check() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8470"));
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8470"),
        );
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(same_origin(&h).is_err());
    }
}

//! The route table. [`router`] is built from [`ROUTES`], and a test checks
//! that `openapi.json` documents exactly these, so the two cannot drift.

use axum::routing::{any, get, post, MethodRouter};
use axum::Router;

use crate::{api, ingest, AppState};

/// Every API route as (method, path), in axum's path syntax (which is also
/// OpenAPI's).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("POST", "/api/v1/enroll"),
    ("POST", "/api/v1/reports"),
    ("GET", "/api/v1/reports/{report_id}"),
    ("GET", "/api/v1/hosts"),
    ("GET", "/api/v1/hosts/{id}"),
    ("GET", "/api/v1/findings"),
    ("GET", "/api/v1/waivers"),
    ("POST", "/api/v1/waivers"),
    ("POST", "/api/v1/waivers/{id}/approve"),
    ("POST", "/api/v1/waivers/{id}/expire"),
    ("GET", "/api/v1/directives"),
    ("POST", "/api/v1/directives"),
    ("GET", "/api/v1/compliance"),
    ("GET", "/api/v1/export/compliance.csv"),
    ("GET", "/api/v1/export/compliance.json"),
    ("GET", "/api/v1/audit"),
    ("POST", "/api/v1/tokens"),
    ("POST", "/api/v1/rematch"),
    ("GET", "/api/v1/catalog/bundle"),
];

fn handler(method: &str, path: &str) -> MethodRouter<AppState> {
    match (method, path) {
        ("GET", "/healthz") => get(api::healthz),
        ("POST", "/api/v1/enroll") => post(api::enroll),
        ("POST", "/api/v1/reports") => post(ingest::post_report),
        ("GET", "/api/v1/reports/{report_id}") => get(api::report),
        ("GET", "/api/v1/hosts") => get(api::hosts),
        ("GET", "/api/v1/hosts/{id}") => get(api::host),
        ("GET", "/api/v1/findings") => get(api::findings),
        ("GET", "/api/v1/waivers") => get(api::waivers),
        ("POST", "/api/v1/waivers") => post(api::add_waiver),
        ("POST", "/api/v1/waivers/{id}/approve") => post(api::approve_waiver),
        ("POST", "/api/v1/waivers/{id}/expire") => post(api::expire_waiver),
        ("GET", "/api/v1/directives") => get(api::directives),
        ("POST", "/api/v1/directives") => post(api::add_directive),
        ("GET", "/api/v1/compliance") => get(api::compliance),
        ("GET", "/api/v1/export/compliance.csv") => get(api::export_csv),
        ("GET", "/api/v1/export/compliance.json") => get(api::export_json),
        ("GET", "/api/v1/audit") => get(api::audit),
        ("POST", "/api/v1/tokens") => post(api::create_token),
        ("POST", "/api/v1/rematch") => post(api::rematch),
        ("GET", "/api/v1/catalog/bundle") => get(api::catalog_bundle),
        _ => unreachable!("ROUTES lists {method} {path} without a handler"),
    }
}

/// The whole application: `/api/v1`, `/healthz` and the dashboard at `/`.
pub fn router(state: AppState) -> Router {
    ROUTES
        .iter()
        .fold(Router::new(), |r, (m, p)| r.route(p, handler(m, p)))
        // Not a route: unknown API paths get the API's JSON 404, not the
        // dashboard's page.
        .route("/api/v1/{*rest}", any(api_not_found))
        .merge(crate::dashboard::router())
        .with_state(state)
}

async fn api_not_found(uri: axum::http::Uri) -> crate::ApiError {
    crate::ApiError::not_found(format!("no such API route: {}", uri.path()))
}

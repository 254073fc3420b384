//! `/api/v1` handlers other than report ingest.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use uproot_fleet::{
    Compliance, Directive, FindingFilter, HostFacts, HostFilter, NewWaiver, Page, Role,
};

use crate::auth::{self, Admin, Reader};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

/// `GET /healthz`.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

// --- parameter checking ----------------------------------------------------

/// A query value, with an empty one (`?host=`, as forms send) read as absent.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn number<T: std::str::FromStr>(name: &str, v: &Option<String>) -> ApiResult<Option<T>> {
    present(v)
        .map(|s| {
            s.parse()
                .map_err(|_| ApiError::bad_request(format!("{name}: not a valid number: {s:?}")))
        })
        .transpose()
}

fn one_of(name: &str, v: &Option<String>, allowed: &[&str]) -> ApiResult<Option<String>> {
    match present(v) {
        None => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(Some(s.to_owned())),
        Some(s) => Err(ApiError::bad_request(format!(
            "{name}: {s:?} is not one of {}",
            allowed.join(", ")
        ))),
    }
}

fn page(limit: &Option<String>, offset: &Option<String>) -> ApiResult<Page> {
    let limit = number::<u32>("limit", limit)?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit: must be between 1 and 1000"));
    }
    Ok(Page {
        limit,
        offset: number::<u64>("offset", offset)?.unwrap_or(0),
    })
}

/// A real `YYYY-MM-DD` day: 2023-02-30 would be stored, then break every
/// deadline computed from it. The catalog's own check, shared.
fn is_date(s: &str) -> bool {
    uproot_catalog::is_date(s)
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`, as the store's `YYYY-MM-DDTHH:MM:SSZ`.
/// A bare date means its last second (`end_of_day`) or its first.
pub(crate) fn instant(name: &str, s: &str, end_of_day: bool) -> ApiResult<String> {
    let bad = || {
        ApiError::bad_request(format!(
            "{name}: want YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, got {s:?}"
        ))
    };
    if is_date(s) {
        let t = if end_of_day { "23:59:59" } else { "00:00:00" };
        return Ok(format!("{s}T{t}Z"));
    }
    let b = s.as_bytes();
    if b.len() != 20 || !s.get(..10).is_some_and(is_date) || b[10] != b'T' || b[19] != b'Z' {
        return Err(bad());
    }
    let hms: Vec<u32> = s[11..19]
        .split(':')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<ApiResult<_>>()?;
    match hms[..] {
        [h, m, sec] if h < 24 && m < 60 && sec < 61 && s[11..19].len() == 8 => Ok(s.to_owned()),
        _ => Err(bad()),
    }
}

fn text(name: &str, v: &str, max: usize) -> ApiResult<()> {
    if v.trim().is_empty() {
        return Err(ApiError::bad_request(format!("{name}: must not be empty")));
    }
    if v.len() > max {
        return Err(ApiError::bad_request(format!(
            "{name}: longer than {max} bytes"
        )));
    }
    Ok(())
}

// --- enrollment --------------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct EnrollReq {
    secret: String,
    host: HostFacts,
}

/// `POST /api/v1/enroll`.
pub(crate) async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollReq>,
) -> ApiResult<Json<Value>> {
    text("host.name", &req.host.name, 255)?;
    text("host.os", &req.host.os, 64)?;
    if let Some(m) = &req.host.machine_id {
        text("host.machine_id", m, 255)?;
    }
    let Some(want) = state.store.setting("enroll_secret_hash").await? else {
        return Err(ApiError::unauthorized(
            "enrollment is closed: no enroll secret is set on the server",
        ));
    };
    let got = auth::hash_token(req.secret.trim());
    if !auth::constant_time_eq(got.as_bytes(), want.as_bytes()) {
        return Err(ApiError::unauthorized("wrong enroll secret"));
    }
    let token = auth::new_token(auth::HOST_PREFIX);
    let host_id = state
        .store
        .enroll_host(&req.host, &auth::hash_token(&token))
        .await?;
    Ok(Json(json!({ "host_id": host_id, "token": token })))
}

// --- hosts, findings, reports ---------------------------------------------

#[derive(Deserialize)]
pub(crate) struct HostsQuery {
    name: Option<String>,
    status: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /api/v1/hosts`.
pub(crate) async fn hosts(
    State(state): State<AppState>,
    _: Reader,
    ApiQuery(q): ApiQuery<HostsQuery>,
) -> ApiResult<Json<Value>> {
    let filter = HostFilter {
        name: present(&q.name).map(str::to_owned),
        status: one_of("status", &q.status, &["affected", "clean", "waived"])?,
    };
    let page = page(&q.limit, &q.offset)?;
    let (hosts, total) = state.store.host_summaries(&filter, page).await?;
    Ok(Json(json!({
        "hosts": hosts, "total": total, "limit": page.limit, "offset": page.offset,
    })))
}

/// `GET /api/v1/hosts/{id}`.
pub(crate) async fn host(
    State(state): State<AppState>,
    _: Reader,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let host = state
        .store
        .host(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no host {id}")))?;
    let filter = FindingFilter {
        host: Some(id),
        ..FindingFilter::default()
    };
    let findings = state.store.findings(&filter).await?;
    let reports = state
        .store
        .reports_for_host(
            id,
            Page {
                limit: 20,
                offset: 0,
            },
        )
        .await?;
    Ok(Json(
        json!({ "host": host, "findings": findings, "reports": reports }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct FindingsQuery {
    status: Option<String>,
    vendor: Option<String>,
    host: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /api/v1/findings`.
pub(crate) async fn findings(
    State(state): State<AppState>,
    _: Reader,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> ApiResult<Json<Value>> {
    use uproot_fleet::state::{OPEN, REOPENED, RESOLVED, WAIVED};
    let filter = FindingFilter {
        status: one_of("status", &q.status, &[OPEN, RESOLVED, REOPENED, WAIVED])?,
        vendor: present(&q.vendor).map(str::to_owned),
        host: number("host", &q.host)?,
    };
    let page = page(&q.limit, &q.offset)?;
    let (findings, total) = state.store.findings_page(&filter, page).await?;
    Ok(Json(json!({
        "findings": findings, "total": total, "limit": page.limit, "offset": page.offset,
    })))
}

/// `GET /api/v1/reports/{report_id}`: the stored document, gzip-encoded
/// when the client accepts it (it is stored that way).
pub(crate) async fn report(
    State(state): State<AppState>,
    _: Reader,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let gz = state
        .store
        .report_body(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no report {id}")))?;
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let json = HeaderValue::from_static("application/json");
    if accepts_gzip {
        let h = [
            (header::CONTENT_TYPE, json),
            (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
        ];
        return Ok((h, gz).into_response());
    }
    let raw = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .map(|_| out)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, json)], raw).into_response())
}

// --- catalog bundle ------------------------------------------------------------

/// `GET /api/v1/catalog/bundle`: the signed catalog bundle for agents, as
/// bytes. The server does not vouch for it: each agent verifies the
/// signature against its own trusted keys before using it. With an `ETag`,
/// so an agent that has it already gets `304 Not Modified`.
pub(crate) async fn catalog_bundle(
    State(state): State<AppState>,
    _: crate::auth::HostPrincipal,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let Some(path) = state.settings.catalog_bundle.clone() else {
        return Err(ApiError::not_found("no catalog bundle is published"));
    };
    let published = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || state.published_bundle(&path))
    }
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?
    .ok_or_else(|| ApiError::not_found("no catalog bundle is published"))?;
    let etag = HeaderValue::from_str(&published.etag).map_err(ApiError::internal)?;
    // Agents must ask again each time (the file may be replaced at any
    // moment), but may keep the body and revalidate.
    let no_cache = HeaderValue::from_static("no-cache");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| crate::bundle::none_match(v, &published.etag));
    if unchanged {
        return Ok((
            axum::http::StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, no_cache)],
        )
            .into_response());
    }
    let json = HeaderValue::from_static("application/json");
    Ok((
        [
            (header::CONTENT_TYPE, json),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, no_cache),
        ],
        published.bytes,
    )
        .into_response())
}

// --- waivers -----------------------------------------------------------------

/// `GET /api/v1/waivers`.
pub(crate) async fn waivers(State(state): State<AppState>, _: Reader) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "waivers": state.store.waivers().await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaiverReq {
    scope_kind: String,
    scope_value: String,
    justification: String,
    #[serde(default)]
    mitigations: String,
    #[serde(default)]
    directive: Option<String>,
    expires_at: String,
    #[serde(default)]
    requested_by: Option<String>,
}

/// `POST /api/v1/waivers`: a pending waiver.
pub(crate) async fn add_waiver(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(req): ApiJson<WaiverReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if !["finding", "host", "product", "vendor"].contains(&req.scope_kind.as_str()) {
        return Err(ApiError::bad_request(
            "scope_kind: must be one of finding, host, product, vendor",
        ));
    }
    text("scope_value", &req.scope_value, 512)?;
    text("justification", &req.justification, 16 << 10)?;
    let now = uproot_report::rfc3339_now();
    let expires_at = instant("expires_at", &req.expires_at, true)?;
    if expires_at <= now {
        return Err(ApiError::bad_request("expires_at: must be in the future"));
    }
    let waiver = NewWaiver {
        scope_kind: req.scope_kind,
        scope_value: req.scope_value,
        justification: req.justification,
        mitigations: req.mitigations,
        directive: req.directive.filter(|d| !d.trim().is_empty()),
        requested_by: req.requested_by.unwrap_or(admin.actor),
        created_at: now,
        expires_at,
    };
    let id = state.store.add_waiver(&waiver).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "status": uproot_fleet::waiver_status::PENDING })),
    ))
}

/// `POST /api/v1/waivers/{id}/approve`.
pub(crate) async fn approve_waiver(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let now = uproot_report::rfc3339_now();
    state.store.approve_waiver(id, &admin.actor, &now).await?;
    Ok(Json(
        json!({ "id": id, "status": uproot_fleet::waiver_status::APPROVED }),
    ))
}

/// `POST /api/v1/waivers/{id}/expire`.
pub(crate) async fn expire_waiver(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let now = uproot_report::rfc3339_now();
    state.store.expire_waiver(id, &admin.actor, &now).await?;
    Ok(Json(
        json!({ "id": id, "status": uproot_fleet::waiver_status::EXPIRED }),
    ))
}

// --- directives and compliance ---------------------------------------------

/// `GET /api/v1/directives`.
pub(crate) async fn directives(State(state): State<AppState>, _: Reader) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "directives": state.store.directives().await? }),
    ))
}

/// `POST /api/v1/directives`.
pub(crate) async fn add_directive(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(mut d): ApiJson<Directive>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let slug = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    if d.name.is_empty() || d.name.len() > 64 || !d.name.chars().all(slug) {
        return Err(ApiError::bad_request(
            "name: 1-64 characters of a-z, 0-9, '-', '_' or '.'",
        ));
    }
    text("title", &d.title, 512)?;
    if !is_date(&d.issued) {
        return Err(ApiError::bad_request("issued: want YYYY-MM-DD"));
    }
    if d.vendors.is_empty() {
        return Err(ApiError::bad_request(
            "vendors: list at least one vendor id",
        ));
    }
    if d.milestones.is_empty() {
        return Err(ApiError::bad_request("milestones: list at least one"));
    }
    d.builtin = false;
    let id = state.store.add_directive(&d, &admin.actor).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "name": d.name })),
    ))
}

#[derive(Deserialize)]
pub(crate) struct ComplianceQuery {
    directive: Option<String>,
    as_of: Option<String>,
}

async fn compute_compliance(state: &AppState, q: &ComplianceQuery) -> ApiResult<Compliance> {
    let Some(directive) = present(&q.directive) else {
        let names: Vec<String> = state
            .store
            .directives()
            .await?
            .into_iter()
            .map(|d| d.name)
            .collect();
        return Err(ApiError::bad_request(format!(
            "missing query parameter directive (one of: {})",
            names.join(", ")
        )));
    };
    let as_of = match present(&q.as_of) {
        Some(s) => instant("as_of", s, true)?,
        None => uproot_report::rfc3339_now(),
    };
    Ok(state
        .store
        .compliance(directive, &as_of, state.settings.grace_days)
        .await?)
}

/// Encodes a compliance document on a blocking thread: at 100k hosts it
/// is megabytes of JSON or CSV, whose encoding (and freeing the host rows)
/// would otherwise hold an async worker, and the dashboard pages queued on
/// it, for a few hundred milliseconds. Returns the body and the document
/// without its host rows (for headers and the audit trail).
async fn encode_off_runtime(
    mut c: Compliance,
    encode: fn(&Compliance) -> Result<Vec<u8>, serde_json::Error>,
) -> ApiResult<(Vec<u8>, Compliance)> {
    tokio::task::spawn_blocking(move || {
        let body = encode(&c)?;
        c.hosts = Vec::new();
        Ok::<_, serde_json::Error>((body, c))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// `GET /api/v1/compliance`.
pub(crate) async fn compliance(
    State(state): State<AppState>,
    _: Reader,
    ApiQuery(q): ApiQuery<ComplianceQuery>,
) -> ApiResult<Response> {
    let c = compute_compliance(&state, &q).await?;
    // The same compact JSON as axum's `Json`, encoded off the workers.
    let (body, _) = encode_off_runtime(c, serde_json::to_vec).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

async fn record_export(state: &AppState, who: &Reader, c: &Compliance, format: &str) {
    let detail = json!({ "format": format, "as_of": c.as_of, "role": who.role.as_str() });
    let subject = format!("directive:{}", c.directive.name);
    if let Err(e) = state
        .store
        .record(&who.actor, "export.compliance", &subject, detail)
        .await
    {
        eprintln!("uproot serve: could not audit an export: {e}");
    }
}

/// `GET /api/v1/export/compliance.json`: the compliance document as a
/// download.
pub(crate) async fn export_json(
    State(state): State<AppState>,
    who: Reader,
    ApiQuery(q): ApiQuery<ComplianceQuery>,
) -> ApiResult<Response> {
    let c = compute_compliance(&state, &q).await?;
    let (body, c) = encode_off_runtime(c, serde_json::to_vec_pretty).await?;
    record_export(&state, &who, &c, "json").await;
    Ok(download(&c, "json", "application/json", body))
}

/// `GET /api/v1/export/compliance.csv`: one row per host.
pub(crate) async fn export_csv(
    State(state): State<AppState>,
    who: Reader,
    ApiQuery(q): ApiQuery<ComplianceQuery>,
) -> ApiResult<Response> {
    let c = compute_compliance(&state, &q).await?;
    let (body, c) = encode_off_runtime(c, |c| Ok(compliance_csv(c).into_bytes())).await?;
    record_export(&state, &who, &c, "csv").await;
    Ok(download(&c, "csv", "text/csv; charset=utf-8", body))
}

fn download(c: &Compliance, ext: &str, mime: &'static str, body: Vec<u8>) -> Response {
    let day = c.as_of.get(..10).unwrap_or("now");
    let safe: String = c
        .directive
        .name
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(*ch))
        .collect();
    let disp = format!("attachment; filename=\"compliance-{safe}-{day}.{ext}\"");
    let disp = HeaderValue::from_str(&disp).unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CONTENT_DISPOSITION, disp),
        ],
        body,
    )
        .into_response()
}

/// Columns of the CSV export.
pub const CSV_HEADER: &str =
    "directive,as_of,host_id,host,first_seen,deadline,status,open,waived,resolved";

/// The CSV export: RFC 4180 quoting, and host-supplied text that a
/// spreadsheet would run as a formula prefixed with `'`.
pub fn compliance_csv(c: &Compliance) -> String {
    let mut out = String::with_capacity(64 * (c.hosts.len() + 1));
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for h in &c.hosts {
        let row = [
            csv_field(&c.directive.name),
            csv_field(&c.as_of),
            h.host_id.to_string(),
            csv_field(&h.name),
            csv_field(&h.first_seen),
            csv_field(&h.deadline),
            csv_field(&h.status),
            h.open.to_string(),
            h.waived.to_string(),
            h.resolved.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

// --- audit, tokens, rematch ----------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    since: Option<String>,
}

/// `GET /api/v1/audit`.
pub(crate) async fn audit(
    State(state): State<AppState>,
    _: Reader,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let since = match present(&q.since) {
        Some(s) => instant("since", s, false)?,
        None => "1970-01-01T00:00:00Z".to_owned(),
    };
    Ok(Json(json!({ "audit": state.store.audit(&since).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenReq {
    role: String,
    #[serde(default)]
    label: String,
}

/// `POST /api/v1/tokens`: a new API token, shown once.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(req): ApiJson<TokenReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let role = Role::parse(&req.role)
        .ok_or_else(|| ApiError::bad_request("role: must be admin or auditor"))?;
    if req.label.len() > 256 {
        return Err(ApiError::bad_request("label: longer than 256 bytes"));
    }
    let token = auth::new_token(auth::API_PREFIX);
    let id = state
        .store
        .create_api_token(role, &auth::hash_token(&token), &req.label, &admin.actor)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "token": token, "role": role, "label": req.label })),
    ))
}

/// `POST /api/v1/rematch`: match every host's latest stored inventory with
/// the server's catalog again.
pub(crate) async fn rematch(State(state): State<AppState>, admin: Admin) -> ApiResult<Json<Value>> {
    let r = crate::tasks::rematch(&state, &admin.actor).await?;
    Ok(Json(json!(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(
            instant("a", "2026-01-31", true).unwrap(),
            "2026-01-31T23:59:59Z"
        );
        assert_eq!(
            instant("a", "2026-01-31", false).unwrap(),
            "2026-01-31T00:00:00Z"
        );
        assert_eq!(
            instant("a", "2026-01-31T10:11:12Z", true).unwrap(),
            "2026-01-31T10:11:12Z"
        );
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2026-02-30T10:11:12Z",
            "2026-01-3\u{e9}10:11:12Z",
            "yesterday",
            "2026-01-31T10:11Z",
            "2026-01-31T25:00:00Z",
        ] {
            assert!(instant("a", bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}

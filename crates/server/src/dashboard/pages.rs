//! The read-only pages: overview, directives, hosts, host detail, findings
//! and exports.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use minijinja::context;
use serde::{Deserialize, Serialize};
use uproot_fleet::{
    BurndownPoint, Compliance, Directive, FindingFilter, HostCompliance, HostFilter, Page,
    TrackedFinding,
};

use super::cache::Cache;
use super::render::{page, DashError};
use super::session::Viewer;
use super::{chart, time, url_with};
use crate::AppState;

/// Rows per page in listings.
const PER_PAGE: u32 = 50;
/// The directive shown when none is chosen.
const DEFAULT_DIRECTIVE: &str = "bod-17-01";

/// A page number from the query (1-based), as a store page.
fn page_of(n: Option<u64>) -> (u64, Page) {
    let n = n.unwrap_or(1).max(1);
    let offset = (n - 1).saturating_mul(u64::from(PER_PAGE));
    (
        n,
        Page {
            limit: PER_PAGE,
            offset,
        },
    )
}

/// Previous/next links for a listing of `total` rows.
#[derive(Debug, Serialize)]
struct Pager {
    page: u64,
    pages: u64,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
}

fn pager(path: &str, params: &[(&str, &str)], page: u64, total: u64) -> Pager {
    let pages = total.div_ceil(u64::from(PER_PAGE)).max(1);
    let link = |p: u64| {
        let p = p.to_string();
        let mut all = params.to_vec();
        all.push(("page", &p));
        url_with(path, &all)
    };
    Pager {
        page,
        pages,
        total,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    }
}

/// An empty query field means "no filter".
fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

async fn find_directive(
    state: &AppState,
    name: &str,
) -> Result<(Directive, Vec<Directive>), DashError> {
    let all = state.store.directives().await?;
    let found = all
        .iter()
        .find(|d| d.name == name)
        .cloned()
        .ok_or_else(|| DashError::not_found(format!("No directive named {name:?}.")))?;
    Ok((found, all))
}

/// Compliance totals and milestones (no per-host rows) with `directive` now
/// (`as_of: None`) or at `as_of`, through the cache. The summary is a few
/// grouped queries, fast cold at 100k hosts; the cache spares repeated
/// views even that.
async fn compliance(
    state: &AppState,
    cache: &Arc<Cache>,
    directive: &str,
    as_of: Option<&str>,
) -> Result<Arc<Compliance>, DashError> {
    let key = format!("compliance|{directive}|{}", as_of.unwrap_or("now"));
    let (store, name, grace) = (
        state.store.clone(),
        directive.to_string(),
        state.settings.grace_days,
    );
    let as_of = as_of.map(str::to_string);
    let value = cache
        .get(key, move || async move {
            let at = as_of.unwrap_or_else(time::now);
            store.compliance_summary(&name, &at, grace).await
        })
        .await?;
    Ok(value)
}

/// Daily counts for the burndown chart, through the cache.
async fn burndown(
    state: &AppState,
    cache: &Arc<Cache>,
    directive: &str,
    from: &str,
    to: &str,
) -> Result<Arc<Vec<BurndownPoint>>, DashError> {
    let key = format!("burndown|{directive}|{from}|{to}");
    let store = state.store.clone();
    let (name, from, to) = (directive.to_string(), from.to_string(), to.to_string());
    let value = cache
        .get(key, move || async move {
            store.burndown(Some(&name), &from, &to).await
        })
        .await?;
    Ok(value)
}

/// A milestone for display, with the fleet figures at its due date.
#[derive(Debug, Serialize)]
struct MilestoneView {
    name: String,
    day: u32,
    due: String,
    passed: bool,
    /// Days until due (negative: days since).
    days_left: i64,
    /// Days since due (negative: days until).
    days_ago: i64,
    /// Hosts affected at the due date (passed) or now (upcoming).
    affected: u64,
    overdue: u64,
    clean: u64,
    waived: u64,
    scanned: u64,
}

fn milestone_views(c: &Compliance, at_due: &[Option<Arc<Compliance>>]) -> Vec<MilestoneView> {
    let today = time::now_secs().div_euclid(86_400);
    c.milestones
        .iter()
        .zip(at_due)
        .map(|(m, then)| {
            let t = &then.as_deref().unwrap_or(c).totals;
            MilestoneView {
                name: m.name.clone(),
                day: m.day,
                due: m.due.clone(),
                passed: m.passed,
                days_left: time::days_of_date(&m.due).map_or(0, |d| d - today),
                days_ago: time::days_of_date(&m.due).map_or(0, |d| today - d),
                affected: t.affected,
                overdue: t.overdue,
                clean: t.clean,
                waived: t.waived,
                scanned: t.scanned,
            }
        })
        .collect()
}

/// Query of `GET /`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OverviewQuery {
    directive: Option<String>,
    days: Option<i64>,
}

/// `GET /`: fleet totals for one directive and the burndown chart.
pub(crate) async fn overview(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<Cache>>,
    viewer: Viewer,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, DashError> {
    let name = non_empty(&q.directive).unwrap_or_else(|| DEFAULT_DIRECTIVE.into());
    let (directive, directives) = find_directive(&state, &name).await?;
    let compliance = compliance(&state, &cache, &directive.name, None).await?;
    let days = q.days.unwrap_or(90).clamp(7, 730);
    let today = time::now_secs().div_euclid(86_400);
    let (from, to) = (
        time::date_of_days(today - days + 1),
        time::date_of_days(today),
    );
    let points = burndown(&state, &cache, &directive.name, &from, &to).await?;
    let chart = chart::burndown(&points);
    let milestones = milestone_views(&compliance, &vec![None; compliance.milestones.len()]);
    Ok(page(
        StatusCode::OK,
        "overview.html",
        context! {
            me => viewer.context(),
            nav => "overview",
            directives => directives,
            directive => directive,
            totals => compliance.totals.clone(),
            milestones,
            chart,
            days,
            from,
            to,
            as_of => compliance.as_of.clone(),
        },
    ))
}

/// `GET /directives`.
pub(crate) async fn directives(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, DashError> {
    #[derive(Serialize)]
    struct Row {
        d: Directive,
        due: Vec<(String, String)>,
    }
    let rows: Vec<Row> = state
        .store
        .directives()
        .await?
        .into_iter()
        .map(|d| {
            let issued = time::days_of_date(&d.issued);
            let due = d
                .milestones
                .iter()
                .map(|m| {
                    let date = issued
                        .map_or_else(String::new, |i| time::date_of_days(i + i64::from(m.day)));
                    (m.name.clone(), date)
                })
                .collect();
            Row { d, due }
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        "directives.html",
        context! { me => viewer.context(), nav => "directives", rows },
    ))
}

/// Query of `GET /directives/{name}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DirectiveQuery {
    status: Option<String>,
    page: Option<u64>,
}

/// Host statuses with respect to a directive, worst first.
const HOST_STATUSES: [&str; 5] = ["overdue", "affected", "not-scanned", "waived", "clean"];

/// Hosts per status, from the totals (which partition the hosts).
fn by_status(t: &uproot_fleet::ComplianceTotals) -> BTreeMap<String, u64> {
    [
        ("overdue", t.overdue),
        ("affected", t.affected),
        ("not-scanned", t.hosts.saturating_sub(t.scanned)),
        ("waived", t.waived),
        ("clean", t.clean),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `GET /directives/{name}`: milestones with their status and the hosts.
pub(crate) async fn directive(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<Cache>>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(q): Query<DirectiveQuery>,
) -> Result<Response, DashError> {
    let (directive, _) = find_directive(&state, &name).await?;
    let grace = state.settings.grace_days;
    let compliance = compliance(&state, &cache, &directive.name, None).await?;
    let by_status = by_status(&compliance.totals);
    let status = non_empty(&q.status);
    let total = match &status {
        None => compliance
            .totals
            .hosts
            .saturating_sub(compliance.totals.clean),
        Some(s) if HOST_STATUSES.contains(&s.as_str()) => by_status[s.as_str()],
        Some(s) => {
            return Err(DashError::bad_request(format!(
                "Unknown host status {s:?}."
            )))
        }
    };
    // A passed milestone is judged by the fleet as it stood on its due date.
    let due = async {
        let mut at_due = Vec::with_capacity(compliance.milestones.len());
        for m in &compliance.milestones {
            let end = time::parse_instant(&m.due, true).filter(|_| m.passed);
            at_due.push(match end {
                Some(end) => {
                    Some(self::compliance(&state, &cache, &directive.name, Some(&end)).await?)
                }
                None => None,
            });
        }
        Ok::<_, DashError>(at_due)
    };
    // Only the page shown is read, at the moment the cached totals
    // describe; concurrently with the milestones (a cold page waits for
    // the slower of the two, not their sum).
    let (n, pg) = page_of(q.page);
    let shown = async {
        let rows = state
            .store
            .compliance_hosts(
                &directive.name,
                &compliance.as_of,
                grace,
                status.as_deref(),
                pg,
            )
            .await?;
        Ok::<Vec<HostCompliance>, DashError>(rows)
    };
    let (at_due, shown) = tokio::try_join!(due, shown)?;
    let milestones = milestone_views(&compliance, &at_due);
    let path = format!("/directives/{}", super::encode_component(&directive.name));
    let st = status.clone().unwrap_or_default();
    Ok(page(
        StatusCode::OK,
        "directive.html",
        context! {
            me => viewer.context(),
            nav => "directives",
            directive,
            path => path.clone(),
            totals => compliance.totals.clone(),
            grace_days => grace,
            milestones,
            by_status,
            status => st.clone(),
            hosts => shown,
            pager => pager(&path, &[("status", &st)], n, total),
            as_of => compliance.as_of.clone(),
        },
    ))
}

/// Query of `GET /hosts`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HostsQuery {
    name: Option<String>,
    status: Option<String>,
    page: Option<u64>,
}

/// `GET /hosts`: paginated, filtered by name substring and status.
pub(crate) async fn hosts(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<HostsQuery>,
) -> Result<Response, DashError> {
    let filter = HostFilter {
        name: non_empty(&q.name),
        status: non_empty(&q.status),
    };
    if let Some(s) = &filter.status {
        if !["affected", "clean", "waived"].contains(&s.as_str()) {
            return Err(DashError::bad_request(format!(
                "Unknown host status {s:?}."
            )));
        }
    }
    let (n, pg) = page_of(q.page);
    let (rows, total) = state.store.host_summaries(&filter, pg).await?;
    let name = filter.name.clone().unwrap_or_default();
    let status = filter.status.clone().unwrap_or_default();
    Ok(page(
        StatusCode::OK,
        "hosts.html",
        context! {
            me => viewer.context(),
            nav => "hosts",
            rows,
            name => name.clone(),
            status => status.clone(),
            pager => pager("/hosts", &[("name", &name), ("status", &status)], n, total),
        },
    ))
}

/// The parts of a stored report the host page shows. Everything else in
/// the document (the inventory) is skipped while parsing.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct ReportView {
    generated_at: String,
    tool: ToolView,
    host: HostView,
    catalog: CatalogView,
    summary: uproot_report::Summary,
    findings: Vec<FindingView>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct ToolView {
    version: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct HostView {
    hostname: String,
    os: String,
    pretty_name: Option<String>,
    kernel: Option<String>,
    machine_id: Option<String>,
    live: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct CatalogView {
    version: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct FindingView {
    id: String,
    vendor_name: String,
    product_name: String,
    summary: String,
    confidence: String,
    remnant: bool,
    action: String,
    evidence: EvidenceView,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct EvidenceView {
    detail: BTreeMap<String, String>,
}

/// Inflates and parses a stored report, bounded by the server's report
/// size limit.
fn parse_report(body_gz: &[u8], limit: usize) -> Result<ReportView, String> {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(body_gz)
        .take(limit as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cannot inflate the stored report: {e}"))?;
    if json.len() > limit {
        return Err("the stored report is larger than the report size limit".into());
    }
    serde_json::from_slice(&json).map_err(|e| format!("cannot parse the stored report: {e}"))
}

/// A tracked finding with what the latest report says about it.
#[derive(Debug, Serialize)]
struct FindingRow {
    t: TrackedFinding,
    product_name: String,
    summary: String,
    detail: Vec<(String, String)>,
    waivable: bool,
    waive_url: String,
}

/// The scope value that names one host's finding in a waiver.
pub(crate) fn finding_scope_value(t: &TrackedFinding) -> String {
    t.finding_id.clone()
}

/// `GET /hosts/{id}`: findings with evidence, the latest report, history.
pub(crate) async fn host(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, DashError> {
    let id: i64 = id
        .parse()
        .map_err(|_| DashError::not_found("No such host."))?;
    let host = state
        .store
        .host(id)
        .await?
        .ok_or_else(|| DashError::not_found("No such host."))?;
    let filter = FindingFilter {
        host: Some(id),
        ..FindingFilter::default()
    };
    let all = Page {
        limit: 1000,
        offset: 0,
    };
    let (tracked, total_findings) = state.store.findings_page(&filter, all).await?;
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
    let (latest, latest_error) = match reports.first() {
        Some(meta) => match state.store.report_body(&meta.report_id).await? {
            Some(gz) => {
                let limit = state.settings.max_report_bytes;
                match tokio::task::spawn_blocking(move || parse_report(&gz, limit)).await {
                    Ok(Ok(r)) => (Some(r), None),
                    Ok(Err(e)) => (None, Some(e)),
                    Err(e) => (None, Some(format!("cannot read the stored report: {e}"))),
                }
            }
            None => (None, Some("the report body is not stored".to_string())),
        },
        None => (None, None),
    };
    let rows = finding_rows(tracked, latest.as_ref());
    Ok(page(
        StatusCode::OK,
        "host.html",
        context! {
            me => viewer.context(),
            nav => "hosts",
            host,
            findings => rows,
            total_findings,
            latest,
            latest_meta => reports.first(),
            latest_error,
            reports,
        },
    ))
}

fn finding_rows(tracked: Vec<TrackedFinding>, latest: Option<&ReportView>) -> Vec<FindingRow> {
    let by_id: BTreeMap<&str, &FindingView> = latest
        .map(|r| r.findings.iter().map(|f| (f.id.as_str(), f)).collect())
        .unwrap_or_default();
    tracked
        .into_iter()
        .map(|t| {
            let seen = by_id.get(t.finding_id.as_str());
            let waivable = t.state == "open" || t.state == "reopened";
            let waive_url = url_with(
                "/waivers",
                &[
                    ("scope_kind", "finding"),
                    ("scope_value", &finding_scope_value(&t)),
                    ("host", &t.host_id.to_string()),
                ],
            ) + "#new";
            FindingRow {
                product_name: seen.map_or_else(|| t.product.clone(), |f| f.product_name.clone()),
                summary: seen.map(|f| f.summary.clone()).unwrap_or_default(),
                detail: seen
                    .map(|f| {
                        f.evidence
                            .detail
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                waivable,
                waive_url,
                t,
            }
        })
        .collect()
}

/// Query of `GET /findings`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FindingsQuery {
    status: Option<String>,
    vendor: Option<String>,
    host: Option<String>,
    page: Option<u64>,
}

/// `GET /findings`: filtered by state, vendor and host; paginated.
pub(crate) async fn findings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<FindingsQuery>,
) -> Result<Response, DashError> {
    let status = non_empty(&q.status);
    if let Some(s) = &status {
        if !["open", "resolved", "reopened", "waived"].contains(&s.as_str()) {
            return Err(DashError::bad_request(format!(
                "Unknown finding state {s:?}."
            )));
        }
    }
    let host_text = non_empty(&q.host);
    let host =
        match &host_text {
            Some(h) => Some(h.parse::<i64>().map_err(|_| {
                DashError::bad_request("The host filter takes a host id (a number).")
            })?),
            None => None,
        };
    let filter = FindingFilter {
        status,
        vendor: non_empty(&q.vendor),
        host,
    };
    let (n, pg) = page_of(q.page);
    let (rows, total) = state.store.findings_page(&filter, pg).await?;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for r in &rows {
        if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(r.host_id.to_string())
        {
            let name = state
                .store
                .host(r.host_id)
                .await?
                .map_or_else(|| format!("host {}", r.host_id), |h| h.name);
            slot.insert(name);
        }
    }
    let status = filter.status.clone().unwrap_or_default();
    let vendor = filter.vendor.clone().unwrap_or_default();
    let host = host_text.unwrap_or_default();
    Ok(page(
        StatusCode::OK,
        "findings.html",
        context! {
            me => viewer.context(),
            nav => "findings",
            rows,
            names,
            status => status.clone(),
            vendor => vendor.clone(),
            host => host.clone(),
            pager => pager(
                "/findings",
                &[("status", &status), ("vendor", &vendor), ("host", &host)],
                n,
                total,
            ),
        },
    ))
}

/// Query of `GET /exports`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExportsQuery {
    directive: Option<String>,
    as_of: Option<String>,
}

/// `GET /exports`: links to the compliance exports for a directive and a
/// date, with that date's totals as a preview.
pub(crate) async fn exports(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<Cache>>,
    viewer: Viewer,
    Query(q): Query<ExportsQuery>,
) -> Result<Response, DashError> {
    let name = non_empty(&q.directive).unwrap_or_else(|| DEFAULT_DIRECTIVE.into());
    let (directive, directives) = find_directive(&state, &name).await?;
    let today = time::date_of_days(time::now_secs().div_euclid(86_400));
    let date = non_empty(&q.as_of).unwrap_or_else(|| today.clone());
    let as_of = time::parse_instant(&date, true).ok_or_else(|| {
        DashError::bad_request("The date must look like 2026-11-30 (or 2026-11-30T12:00).")
    })?;
    let compliance = compliance(&state, &cache, &directive.name, Some(&as_of)).await?;
    let params = [
        ("directive", directive.name.as_str()),
        ("as_of", as_of.as_str()),
    ];
    let csv = url_with("/api/v1/export/compliance.csv", &params);
    let json = url_with("/api/v1/export/compliance.json", &params);
    let api = url_with("/api/v1/compliance", &params);
    Ok(page(
        StatusCode::OK,
        "exports.html",
        context! {
            me => viewer.context(),
            nav => "exports",
            directives,
            directive,
            date,
            today,
            as_of,
            totals => compliance.totals.clone(),
            csv,
            json,
            api,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_keep_filters() {
        let p = pager("/hosts", &[("name", "web 1"), ("status", "")], 2, 120);
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev.as_deref(), Some("/hosts?name=web%201&page=1"));
        assert_eq!(p.next.as_deref(), Some("/hosts?name=web%201&page=3"));
        let p = pager("/hosts", &[], 1, 0);
        assert_eq!((p.pages, p.prev, p.next), (1, None, None));
    }

    #[test]
    fn parses_only_what_it_shows() {
        use std::io::Write;
        let doc = serde_json::json!({
            "schema": "uproot.report/1",
            "generated_at": "2026-11-29T00:00:00Z",
            "tool": {"name": "uproot", "version": "0.1.0"},
            "host": {"hostname": "web1", "os": "linux", "root": "/", "live": true},
            "catalog": {"version": "2026.11.28"},
            "summary": {"findings": 1, "remnants": 0, "by_vendor": {}, "by_severity": {},
                        "packages_installed": 1500, "errors": 0},
            "inventory": {"packages": [{"name": "x"}]},
            "findings": [{"id": "f1", "product_name": "KESL",
                          "evidence": {"source": "s", "key": "k", "detail": {"version": "12"}}}],
            "errors": []
        });
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(doc.to_string().as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let r = parse_report(&gz, 1 << 20).unwrap();
        assert_eq!(r.host.hostname, "web1");
        assert_eq!(r.summary.packages_installed, 1500);
        assert_eq!(r.findings[0].evidence.detail["version"], "12");
        assert!(parse_report(&gz, 10).is_err());
    }
}

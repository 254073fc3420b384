//! The phases: enroll, post reports, fill a fleet, query it.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use flate2::{Compress, Compression};
use hyper::{Method, StatusCode};
use serde::Serialize;

use crate::client::{Conn, Response, Target};
use crate::gen::{Body, Generator, HostSpec};
use crate::stats::Samples;
use crate::Error;

/// An enrolled simulated host.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolled {
    /// Fleet index (see [`Generator::host`]).
    pub index: usize,
    /// Server's host id.
    pub host_id: i64,
    /// Host token.
    pub token: String,
}

fn enroll_body(secret: &str, h: &HostSpec) -> Bytes {
    Bytes::from(
        serde_json::json!({
            "secret": secret,
            "host": {"name": h.hostname, "machine_id": h.machine_id, "os": "linux"}
        })
        .to_string(),
    )
}

/// Seconds from a `Retry-After` header, bounded so a bad value cannot stall a run.
fn retry_after(r: &Response) -> Duration {
    let secs = r
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(1.0);
    Duration::from_secs_f64(secs.clamp(0.05, 5.0))
}

/// Enrolls one host, retrying on 503 and transport errors for up to `patience`.
async fn enroll_one(
    conn: &mut Conn,
    secret: &str,
    h: &HostSpec,
    samples: &mut Samples,
    patience: Duration,
) -> Result<Enrolled, Error> {
    let give_up = Instant::now() + patience;
    loop {
        let t0 = Instant::now();
        let r = conn
            .send(
                Method::POST,
                "/api/v1/enroll",
                &[("content-type", "application/json")],
                enroll_body(secret, h),
            )
            .await;
        let us = t0.elapsed().as_micros();
        match r {
            Ok(r) if r.status == StatusCode::OK => {
                samples.record("200", us);
                let v: serde_json::Value = serde_json::from_slice(&r.body)?;
                let (Some(id), Some(tok)) = (v["host_id"].as_i64(), v["token"].as_str()) else {
                    return Err(Error::Protocol(format!("enroll answer: {v}")));
                };
                return Ok(Enrolled {
                    index: h.index,
                    host_id: id,
                    token: tok.to_owned(),
                });
            }
            Ok(r) if r.status == StatusCode::SERVICE_UNAVAILABLE && Instant::now() < give_up => {
                samples.record("503", us);
                tokio::time::sleep(retry_after(&r)).await;
            }
            Ok(r) => {
                samples.record(r.status.as_str(), us);
                return Err(Error::Protocol(format!(
                    "enroll: {} {}",
                    r.status,
                    String::from_utf8_lossy(&r.body)
                )));
            }
            Err(e) if Instant::now() < give_up => {
                samples.record("conn-error", us);
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Enrolls hosts `range` with `concurrency` connections.
pub async fn enroll(
    target: &Target,
    secret: &str,
    gen: &Generator,
    range: Range<usize>,
    concurrency: usize,
) -> Result<(Vec<Enrolled>, Samples), Error> {
    let hosts: Arc<Vec<HostSpec>> = Arc::new(range.map(|i| gen.host(i)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (hosts, next, target, secret) = (
            hosts.clone(),
            next.clone(),
            target.clone(),
            secret.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(target);
            let mut samples = Samples::default();
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(h) = hosts.get(i) else { break };
                out.push(
                    enroll_one(&mut conn, &secret, h, &mut samples, Duration::from_secs(60))
                        .await?,
                );
            }
            Ok::<_, Error>((out, samples))
        }));
    }
    let mut all = Vec::new();
    let mut samples = Samples::default();
    for t in tasks {
        let (e, s) = t.await.map_err(|e| Error::Protocol(e.to_string()))??;
        all.extend(e);
        samples.merge(s);
    }
    all.sort_by_key(|e| e.index);
    Ok((all, samples))
}

/// What the report phase does.
#[derive(Debug, Clone)]
pub struct PostPlan {
    /// Concurrent agents (connections).
    pub agents: usize,
    /// Stop starting reports after this long.
    pub duration: Option<Duration>,
    /// Stop after this many reports.
    pub reports: Option<u64>,
    /// Bodies built per host before the clock starts.
    pub prebuild: usize,
    /// Sequence number of each host's first report (distinct per phase).
    pub first_seq: u64,
    /// Compute report ids locally (for the fault test).
    pub want_ids: bool,
    /// Spooling agents: a report whose POST failed is kept and retried
    /// (with backoff) until this long after the phase ends.
    pub spool_for: Option<Duration>,
    /// Counts 202s as they arrive (to act in the middle of a run).
    pub progress: Option<Arc<AtomicU64>>,
    /// Open-loop pacing: reports per second over all agents (each agent
    /// sends on its own fixed schedule). None: every agent sends again as
    /// soon as its last report was answered (closed loop, saturation).
    pub rate: Option<f64>,
}

/// A report the server accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// Host index.
    pub host: usize,
    /// Id the server returned.
    pub report_id: String,
    /// The server said it was a redelivery.
    pub duplicate: bool,
    /// Delivered on a retry after a failed POST.
    pub retried: bool,
}

/// What the report phase did.
#[derive(Debug, Default)]
pub struct PostOutcome {
    /// Every POST attempt.
    pub samples: Samples,
    /// 202s.
    pub accepted: Vec<Accepted>,
    /// Reports never delivered: (host, locally computed id if asked).
    pub undelivered: Vec<(usize, Option<String>)>,
    /// Ids computed locally for every report made (when `want_ids`).
    pub made: Vec<(usize, String)>,
    /// Time from first POST to last answer.
    pub elapsed: Duration,
    /// Bodies built during the timed phase because the pre-built ones ran out.
    pub built_live: u64,
    /// Mean gzip body size.
    pub mean_gz_bytes: f64,
    /// Mean uncompressed body size.
    pub mean_plain_bytes: f64,
}

struct HostQueue {
    spec: HostSpec,
    token: String,
    next_seq: u64,
    ready: VecDeque<Body>,
}

/// Builds `per_host` bodies for every host, on all cores.
fn prebuild(gen: &Generator, hosts: &mut [HostQueue], per_host: usize, want_ids: bool) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = hosts.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for part in hosts.chunks_mut(chunk) {
            s.spawn(move || {
                let mut c = Compress::new(Compression::fast(), false);
                for h in part {
                    for _ in 0..per_host {
                        let b = gen.body(&h.spec, h.next_seq, want_ids, &mut c);
                        h.next_seq += 1;
                        h.ready.push_back(b);
                    }
                }
            });
        }
    });
}

/// Posts reports from `hosts` through `plan.agents` connections.
pub async fn post(
    target: &Target,
    gen: Arc<Generator>,
    hosts: &[Enrolled],
    plan: &PostPlan,
) -> Result<PostOutcome, Error> {
    let mut queues: Vec<HostQueue> = hosts
        .iter()
        .map(|e| HostQueue {
            spec: gen.host(e.index),
            token: e.token.clone(),
            next_seq: plan.first_seq,
            ready: VecDeque::new(),
        })
        .collect();
    prebuild(&gen, &mut queues, plan.prebuild, plan.want_ids);
    let agents = plan.agents.max(1).min(queues.len().max(1));
    let mut per_agent: Vec<Vec<HostQueue>> = (0..agents).map(|_| Vec::new()).collect();
    for (i, q) in queues.into_iter().enumerate() {
        per_agent[i % agents].push(q);
    }
    let remaining = Arc::new(AtomicI64::new(plan.reports.map_or(i64::MAX, |r| r as i64)));
    let built_live = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = plan.duration.map(|d| start + d);
    let mut tasks = Vec::new();
    for (ai, qs) in per_agent.into_iter().enumerate() {
        let mut ctx = AgentCtx {
            target: target.clone(),
            gen: gen.clone(),
            remaining: remaining.clone(),
            built_live: built_live.clone(),
            deadline,
            spool_for: plan.spool_for,
            want_ids: plan.want_ids,
            progress: plan.progress.clone(),
            interval: plan
                .rate
                .map(|r| Duration::from_secs_f64(agents as f64 / r.max(0.001))),
            start,
            offset: Duration::ZERO,
        };
        // Stagger the agents' schedules over one interval.
        if let Some(i) = ctx.interval {
            ctx.offset = i.mul_f64(ai as f64 / agents as f64);
        }
        tasks.push(tokio::spawn(agent(ctx, qs)));
    }
    let mut out = PostOutcome::default();
    let (mut gz, mut plain, mut n) = (0u64, 0u64, 0u64);
    for t in tasks {
        let a = t.await.map_err(|e| Error::Protocol(e.to_string()))?;
        out.samples.merge(a.samples);
        out.accepted.extend(a.accepted);
        out.undelivered.extend(a.undelivered);
        out.made.extend(a.made);
        gz += a.gz_bytes;
        plain += a.plain_bytes;
        n += a.bodies;
    }
    out.elapsed = start.elapsed();
    out.built_live = built_live.load(Ordering::Relaxed);
    if n > 0 {
        out.mean_gz_bytes = gz as f64 / n as f64;
        out.mean_plain_bytes = plain as f64 / n as f64;
    }
    Ok(out)
}

struct AgentCtx {
    target: Target,
    gen: Arc<Generator>,
    remaining: Arc<AtomicI64>,
    built_live: Arc<AtomicU64>,
    deadline: Option<Instant>,
    interval: Option<Duration>,
    start: Instant,
    offset: Duration,
    spool_for: Option<Duration>,
    want_ids: bool,
    progress: Option<Arc<AtomicU64>>,
}

#[derive(Default)]
struct AgentResult {
    samples: Samples,
    accepted: Vec<Accepted>,
    undelivered: Vec<(usize, Option<String>)>,
    made: Vec<(usize, String)>,
    gz_bytes: u64,
    plain_bytes: u64,
    bodies: u64,
}

enum Delivery {
    Accepted {
        id: String,
        duplicate: bool,
        retried: bool,
    },
    Failed,
}

async fn agent(ctx: AgentCtx, mut hosts: Vec<HostQueue>) -> AgentResult {
    let mut conn = Conn::new(ctx.target.clone());
    let mut res = AgentResult::default();
    let mut c = Compress::new(Compression::fast(), false);
    let mut turn = 0usize;
    while !hosts.is_empty() {
        if ctx.deadline.is_some_and(|d| Instant::now() >= d)
            || ctx.remaining.fetch_sub(1, Ordering::Relaxed) <= 0
        {
            break;
        }
        let slot = turn % hosts.len();
        let h = &mut hosts[slot];
        if let Some(i) = ctx.interval {
            let due = ctx.start + ctx.offset + i.mul_f64(turn as f64);
            tokio::time::sleep_until(due.into()).await;
            if ctx.deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        turn += 1;
        let body = match h.ready.pop_front() {
            Some(b) => b,
            None => {
                ctx.built_live.fetch_add(1, Ordering::Relaxed);
                let b = ctx.gen.body(&h.spec, h.next_seq, ctx.want_ids, &mut c);
                h.next_seq += 1;
                b
            }
        };
        res.gz_bytes += body.gz.len() as u64;
        res.plain_bytes += body.plain_len;
        res.bodies += 1;
        if let Some(id) = &body.report_id {
            res.made.push((h.spec.index, id.clone()));
        }
        let index = h.spec.index;
        let token = h.token.clone();
        match deliver(&ctx, &mut conn, &token, &body, &mut res.samples).await {
            Delivery::Accepted {
                id,
                duplicate,
                retried,
            } => {
                if let Some(p) = &ctx.progress {
                    p.fetch_add(1, Ordering::Relaxed);
                }
                res.accepted.push(Accepted {
                    host: index,
                    report_id: id,
                    duplicate,
                    retried,
                })
            }
            Delivery::Failed => res.undelivered.push((index, body.report_id.clone())),
        }
    }
    res
}

/// POSTs one body; retries 503s (after `Retry-After`) and, for spooling
/// agents, transport errors with capped exponential backoff.
async fn deliver(
    ctx: &AgentCtx,
    conn: &mut Conn,
    token: &str,
    body: &Body,
    samples: &mut Samples,
) -> Delivery {
    let auth = format!("Bearer {token}");
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
        ("authorization", auth.as_str()),
    ];
    // Spooling agents keep a report until `spool_for` after the phase ends;
    // others retry 503s a little past the end and transport errors thrice.
    let base = ctx
        .deadline
        .unwrap_or_else(Instant::now)
        .max(Instant::now());
    let until = base + ctx.spool_for.unwrap_or(Duration::from_secs(5));
    let spooling = ctx.spool_for.is_some();
    let mut backoff = Duration::from_millis(50);
    let mut retried = false;
    let mut transport_failures = 0u32;
    loop {
        let t0 = Instant::now();
        let r = conn
            .send(Method::POST, "/api/v1/reports", &headers, body.gz.clone())
            .await;
        let us = t0.elapsed().as_micros();
        let wait = match r {
            Ok(r) if r.status == StatusCode::ACCEPTED => {
                samples.record("202", us);
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
                return Delivery::Accepted {
                    id: v["report_id"].as_str().unwrap_or_default().to_owned(),
                    duplicate: v["duplicate"].as_bool().unwrap_or(false),
                    retried,
                };
            }
            Ok(r) if r.status == StatusCode::SERVICE_UNAVAILABLE => {
                samples.record("503", us);
                retry_after(&r)
            }
            Ok(r) if r.status.is_server_error() && spooling => {
                samples.record(r.status.as_str(), us);
                backoff
            }
            Ok(r) => {
                samples.record(r.status.as_str(), us);
                return Delivery::Failed;
            }
            Err(_) => {
                samples.record("conn-error", us);
                transport_failures += 1;
                if !spooling && transport_failures >= 3 {
                    return Delivery::Failed;
                }
                backoff
            }
        };
        if Instant::now() + wait > until {
            return Delivery::Failed;
        }
        retried = true;
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

/// What a fleet fill did.
#[derive(Debug, Default)]
pub struct FillOutcome {
    /// Enrollments.
    pub enroll: Samples,
    /// Report POSTs.
    pub post: Samples,
    /// Hosts enrolled and reported.
    pub hosts: Vec<Enrolled>,
    /// Wall time.
    pub elapsed: Duration,
    /// Reports accepted.
    pub accepted: u64,
}

/// Enrolls hosts `range` and posts one report for each, with `concurrency`
/// connections, as fast as the server takes them.
pub async fn fill(
    target: &Target,
    secret: &str,
    gen: Arc<Generator>,
    range: Range<usize>,
    concurrency: usize,
    progress: bool,
) -> Result<FillOutcome, Error> {
    let next = Arc::new(AtomicUsize::new(range.start));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = range.end;
    let total = range.len() as u64;
    let ticker = progress.then(|| {
        let done = done.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let d = done.load(Ordering::Relaxed);
                let s = start.elapsed().as_secs_f64();
                eprintln!(
                    "fill: {d}/{total} hosts in {s:.0} s ({:.0}/s)",
                    d as f64 / s
                );
            }
        })
    });
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (next, done, target, secret, gen, errors) = (
            next.clone(),
            done.clone(),
            target.clone(),
            secret.to_owned(),
            gen.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(target.clone());
            let mut c = Compress::new(Compression::fast(), false);
            let mut enroll_s = Samples::default();
            let mut post_s = Samples::default();
            let mut hosts = Vec::new();
            let ctx = AgentCtx {
                target,
                gen: gen.clone(),
                remaining: Arc::new(AtomicI64::new(i64::MAX)),
                built_live: Arc::new(AtomicU64::new(0)),
                deadline: None,
                spool_for: Some(Duration::from_secs(120)),
                want_ids: false,
                progress: None,
                interval: None,
                start: Instant::now(),
                offset: Duration::ZERO,
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                let spec = gen.host(i);
                let e = match enroll_one(
                    &mut conn,
                    &secret,
                    &spec,
                    &mut enroll_s,
                    Duration::from_secs(120),
                )
                .await
                {
                    Ok(e) => e,
                    Err(e) => {
                        errors
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(e.to_string());
                        continue;
                    }
                };
                let body = gen.body(&spec, 0, false, &mut c);
                if let Delivery::Accepted { .. } =
                    deliver(&ctx, &mut conn, &e.token, &body, &mut post_s).await
                {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                hosts.push(e);
            }
            (enroll_s, post_s, hosts)
        }));
    }
    let mut out = FillOutcome::default();
    for t in tasks {
        let (e, p, h) = t.await.map_err(|e| Error::Protocol(e.to_string()))?;
        out.enroll.merge(e);
        out.post.merge(p);
        out.hosts.extend(h);
    }
    if let Some(t) = ticker {
        t.abort();
    }
    out.elapsed = start.elapsed();
    out.accepted = done.load(Ordering::Relaxed);
    out.hosts.sort_by_key(|e| e.index);
    let errors = errors.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(first) = errors.first() {
        eprintln!("fill: {} enrollments failed, first: {first}", errors.len());
    }
    Ok(out)
}

/// What the query phase does.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    /// Requests in all.
    pub requests: usize,
    /// Concurrent readers.
    pub concurrency: usize,
    /// Admin or auditor API token.
    pub token: String,
    /// Dashboard session cookie (`name=value`); without one the dashboard
    /// pages are requested with the bearer token.
    pub cookie: Option<String>,
    /// Host ids to open.
    pub host_ids: Vec<i64>,
    /// Directive for the compliance page.
    pub directive: String,
    /// Only routes whose name contains one of these (all when empty).
    pub only: Vec<String>,
}

/// The routes the query phase reads, by name and path.
fn query_route(plan: &QueryPlan, n: u64) -> (&'static str, String, bool) {
    let r = crate::gen_rand(n);
    let hosts = plan.host_ids.len().max(1) as u64;
    let id = plan
        .host_ids
        .get((r % hosts) as usize)
        .copied()
        .unwrap_or(1);
    let offset = (r >> 20) % hosts;
    match n % 8 {
        0 => (
            "api hosts page",
            format!("/api/v1/hosts?limit=50&offset={offset}"),
            false,
        ),
        1 => ("api host detail", format!("/api/v1/hosts/{id}"), false),
        2 => (
            "api findings open",
            "/api/v1/findings?status=open&limit=50".into(),
            false,
        ),
        3 => (
            "api compliance",
            format!("/api/v1/compliance?directive={}", plan.directive),
            false,
        ),
        4 => ("dash overview", "/".into(), true),
        5 => ("dash hosts", "/hosts".into(), true),
        6 => ("dash hosts page", format!("/hosts?offset={offset}"), true),
        _ => ("dash host detail", format!("/hosts/{id}"), true),
    }
}

/// Reads dashboard and API pages; latency per route.
pub async fn query(target: &Target, plan: &QueryPlan) -> Result<BTreeMap<String, Samples>, Error> {
    let next = Arc::new(AtomicU64::new(0));
    let plan = Arc::new(plan.clone());
    let mut tasks = Vec::new();
    for _ in 0..plan.concurrency.max(1) {
        let (next, plan, target) = (next.clone(), plan.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(target);
            let mut per: BTreeMap<String, Samples> = BTreeMap::new();
            let auth = format!("Bearer {}", plan.token);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= plan.requests as u64 {
                    break;
                }
                // Walk n*8+j so a filtered route list still gets distinct
                // random offsets and hosts.
                let mut k = n * 8 + n % 8;
                let (name, path, dash) = loop {
                    let r = query_route(&plan, k);
                    if plan.only.is_empty() || plan.only.iter().any(|o| r.0.contains(o.as_str())) {
                        break r;
                    }
                    k += 1;
                };
                let mut headers = vec![(
                    "accept",
                    if dash {
                        "text/html"
                    } else {
                        "application/json"
                    },
                )];
                match (&plan.cookie, dash) {
                    (Some(c), true) => headers.push(("cookie", c.as_str())),
                    _ => headers.push(("authorization", auth.as_str())),
                }
                let t0 = Instant::now();
                let r = conn.send(Method::GET, &path, &headers, Bytes::new()).await;
                let us = t0.elapsed().as_micros();
                let outcome = match &r {
                    Ok(r) => r.status.as_str().to_owned(),
                    Err(_) => "conn-error".to_owned(),
                };
                per.entry(name.to_owned()).or_default().record(&outcome, us);
            }
            per
        }));
    }
    let mut all: BTreeMap<String, Samples> = BTreeMap::new();
    for t in tasks {
        for (k, v) in t.await.map_err(|e| Error::Protocol(e.to_string()))? {
            all.entry(k).or_default().merge(v);
        }
    }
    Ok(all)
}

/// Logs in to the dashboard with a form POST and returns the session cookie.
pub async fn login(
    target: &Target,
    path: &str,
    user: &str,
    password: &str,
) -> Result<String, Error> {
    let mut conn = Conn::new(target.clone());
    let form = format!(
        "username={}&password={}",
        urlencode(user),
        urlencode(password)
    );
    let r = conn
        .send(
            Method::POST,
            path,
            &[("content-type", "application/x-www-form-urlencoded")],
            Bytes::from(form),
        )
        .await?;
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.contains('=') && !c.ends_with('='))
        .map(str::to_owned)
        .ok_or_else(|| Error::Protocol(format!("login at {path}: {} without a cookie", r.status)))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

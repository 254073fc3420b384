//! The generator against a stub server that speaks the enroll/report
//! contract and checks every body is a gzipped `uproot.report/1` of the
//! posting host.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use uproot_loadgen::run::{self, PostPlan, QueryPlan};
use uproot_loadgen::{Generator, Pools, Profile, Target};

#[derive(Default)]
struct Stub {
    /// token -> machine id
    tokens: HashMap<String, String>,
    /// report id -> times received
    reports: HashMap<String, u32>,
    /// Answer 503 to every third report.
    busy: bool,
    n: u64,
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut().insert("retry-after", "0".parse().unwrap());
    }
    r
}

async fn handle(
    state: Arc<Mutex<Stub>>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("Bearer ")
        .to_owned();
    let gz = req.headers().get("content-encoding").is_some();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let mut s = state.lock().unwrap();
    Ok(match path.as_str() {
        "/api/v1/enroll" => {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["secret"], "s3cret");
            let id = s.tokens.len() as i64 + 1;
            let token = format!("uph_{id}");
            s.tokens.insert(
                token.clone(),
                v["host"]["machine_id"].as_str().unwrap().into(),
            );
            reply(
                StatusCode::OK,
                format!(r#"{{"host_id":{id},"token":"{token}"}}"#),
            )
        }
        "/api/v1/reports" => {
            s.n += 1;
            if s.busy && s.n % 3 == 0 {
                return Ok(reply(StatusCode::SERVICE_UNAVAILABLE, "{}".into()));
            }
            assert!(gz);
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .unwrap();
            let r: uproot_report::Report = serde_json::from_slice(&plain).unwrap();
            let Some(mid) = s.tokens.get(&auth) else {
                return Ok(reply(StatusCode::UNAUTHORIZED, "{}".into()));
            };
            assert_eq!(r.host.machine_id.as_deref(), Some(mid.as_str()));
            let id = format!("sha256:{:x}", Sha256::digest(&plain));
            let n = s.reports.entry(id.clone()).or_default();
            *n += 1;
            let dup = *n > 1;
            reply(
                StatusCode::ACCEPTED,
                format!(
                    r#"{{"report_id":"{id}","duplicate":{dup},"opened":0,"resolved":0,"reopened":0}}"#
                ),
            )
        }
        _ => reply(StatusCode::OK, "[]".into()),
    })
}

async fn stub(busy: bool) -> (String, Arc<Mutex<Stub>>) {
    let state = Arc::new(Mutex::new(Stub {
        busy,
        ..Stub::default()
    }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let st = state.clone();
    tokio::spawn(async move {
        loop {
            let (sock, _) = l.accept().await.unwrap();
            let st = st.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| handle(st.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(sock), svc)
                    .await;
            });
        }
    });
    (url, state)
}

fn generator() -> Arc<Generator> {
    let p = Profile {
        packages: 400,
        services: 50,
        certificates: 60,
        finding_every: 3,
        ..Profile::default()
    };
    Arc::new(Generator::new(&Pools::builtin(), p).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_post_distinct_reports_and_retry_503() {
    let (url, state) = stub(true).await;
    let target = Target::parse(&url).unwrap();
    let gen = generator();
    let (hosts, _) = run::enroll(&target, "s3cret", &gen, 0..12, 4)
        .await
        .unwrap();
    assert_eq!(hosts.len(), 12);
    let plan = PostPlan {
        agents: 6,
        duration: None,
        reports: Some(60),
        prebuild: 3,
        first_seq: 1,
        want_ids: true,
        spool_for: None,
        progress: None,
        rate: None,
    };
    let out = run::post(&target, gen, &hosts, &plan).await.unwrap();
    assert_eq!(out.accepted.len(), 60);
    assert!(out.undelivered.is_empty());
    assert!(out.samples.outcomes.get("503").copied().unwrap_or(0) > 0);
    let s = state.lock().unwrap();
    assert_eq!(s.reports.len(), 60, "every report distinct");
    assert!(s.reports.values().all(|&n| n == 1));
    for (_, id) in &out.made {
        assert!(
            s.reports.contains_key(id),
            "local id {id} matches the server's"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spooling_agents_deliver_after_the_server_comes_back() {
    // Reserve a port, keep it closed for a while, then start the server on it.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let (url, state) = stub(false).await;
    let target = Target::parse(&url).unwrap();
    let gen = generator();
    let (hosts, _) = run::enroll(&target, "s3cret", &gen, 0..4, 2).await.unwrap();
    target.set(&down).unwrap();
    let t2 = target.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        t2.set(&url).unwrap();
    });
    let plan = PostPlan {
        agents: 4,
        duration: None,
        reports: Some(8),
        prebuild: 2,
        first_seq: 1,
        want_ids: true,
        spool_for: Some(Duration::from_secs(20)),
        progress: None,
        rate: None,
    };
    let out = run::post(&target, gen, &hosts, &plan).await.unwrap();
    assert_eq!(out.accepted.len(), 8);
    assert!(out.accepted.iter().any(|a| a.retried));
    assert!(out.samples.outcomes["conn-error"] > 0);
    assert_eq!(state.lock().unwrap().reports.len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_and_fill_phases_run() {
    let (url, state) = stub(false).await;
    let target = Target::parse(&url).unwrap();
    let gen = generator();
    let out = run::fill(&target, "s3cret", gen, 0..20, 4, false)
        .await
        .unwrap();
    assert_eq!(out.accepted, 20);
    assert_eq!(state.lock().unwrap().reports.len(), 20);
    let plan = QueryPlan {
        requests: 40,
        concurrency: 2,
        token: "upa_x".into(),
        cookie: None,
        host_ids: out.hosts.iter().map(|h| h.host_id).collect(),
        directive: "bod-17-01".into(),
        only: vec![],
    };
    let per = run::query(&target, &plan).await.unwrap();
    assert_eq!(per.len(), 8);
    assert_eq!(per.values().map(|s| s.micros.len()).sum::<usize>(), 40);
}

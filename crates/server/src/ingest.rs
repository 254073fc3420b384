//! `POST /api/v1/reports`: bounded read, bounded gunzip, header-only parse,
//! and one batching writer that commits many reports per transaction.
//!
//! The request task does the CPU work (on a bounded set of blocking
//! threads) and hands a [`Submission`] to the writer over a bounded queue;
//! the writer commits up to `ingest_batch` submissions with one
//! [`Store::ingest_batch`] call (one fsync) and answers each request. A 202
//! is sent only after that call returned, so a crash at any moment loses no
//! acknowledged report: before the commit nothing was acknowledged, after
//! it the report is on disk.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use uproot_fleet::{Ingest, Store, Submission};

use crate::auth::HostPrincipal;
use crate::error::ApiError;
use crate::{AppState, Settings};

/// The only document schema `POST /reports` accepts.
pub const REPORT_SCHEMA: &str = "uproot.report/1";

/// How long the writer waits for more reports to fill a batch after the
/// first arrived. Under load batches fill while the previous one commits;
/// this only bounds the extra latency when the server is nearly idle.
const BATCH_WINDOW: Duration = Duration::from_millis(2);

/// Handle to the writer task.
pub(crate) struct IngestQueue {
    tx: mpsc::Sender<Job>,
}

struct Job {
    sub: Submission,
    reply: oneshot::Sender<Result<Ingest, ApiError>>,
}

impl IngestQueue {
    /// Starts the writer task (inside a Tokio runtime).
    pub(crate) fn start(store: Arc<dyn Store>, settings: &Settings) -> IngestQueue {
        let (tx, rx) = mpsc::channel(settings.ingest_queue.max(1));
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..settings.ingest_writers.max(1) {
            tokio::spawn(writer(
                store.clone(),
                rx.clone(),
                settings.ingest_batch.max(1),
            ));
        }
        IngestQueue { tx }
    }

    /// Queues `sub` and waits for its commit.
    async fn submit(&self, sub: Submission) -> Result<Ingest, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.tx.try_send(Job { sub, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                ApiError::unavailable("ingest queue full; retry later", 2)
            }
            mpsc::error::TrySendError::Closed(_) => {
                ApiError::unavailable("server is shutting down", 5)
            }
        })?;
        answer
            .await
            .map_err(|_| ApiError::unavailable("ingest writer stopped", 5))?
    }
}

/// One writer: takes a batch off the shared queue (holding the queue only
/// while gathering, so another writer can gather the next batch while this
/// one commits) and commits it.
async fn writer(
    store: Arc<dyn Store>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>,
    max: usize,
) {
    let mut jobs = Vec::with_capacity(max);
    loop {
        {
            let mut rx = rx.lock().await;
            if rx.recv_many(&mut jobs, max).await == 0 {
                return;
            }
            let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
            while jobs.len() < max {
                let room = max - jobs.len();
                let more = rx.recv_many(&mut jobs, room);
                match tokio::time::timeout_at(deadline, more).await {
                    Ok(n) if n > 0 => {}
                    _ => break,
                }
            }
        }
        commit(store.as_ref(), &mut jobs).await;
    }
}

async fn commit(store: &dyn Store, jobs: &mut Vec<Job>) {
    let (subs, replies): (Vec<Submission>, Vec<_>) =
        jobs.drain(..).map(|j| (j.sub, j.reply)).unzip();
    match store.ingest_batch(&subs).await {
        Ok(results) if results.len() == subs.len() => {
            for (r, reply) in results.into_iter().zip(replies) {
                let _ = reply.send(r.map_err(ApiError::from));
            }
        }
        Ok(results) => {
            let e = ApiError::internal(format!(
                "ingest_batch returned {} results for {} reports",
                results.len(),
                subs.len()
            ));
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
        // One bad submission must not keep failing the reports batched with
        // it: retry one by one, so each gets its own answer.
        Err(e) if subs.len() > 1 => {
            eprintln!(
                "uproot serve: batch of {} failed ({e}); retrying singly",
                subs.len()
            );
            for (sub, reply) in subs.into_iter().zip(replies) {
                let r = single(store, sub).await;
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            eprintln!("uproot serve: ingest failed: {e}");
            for reply in replies {
                let _ = reply.send(Err(ApiError::unavailable("storage error; retry later", 5)));
            }
        }
    }
}

async fn single(store: &dyn Store, sub: Submission) -> Result<Ingest, ApiError> {
    match store.ingest_batch(std::slice::from_ref(&sub)).await {
        Ok(mut r) if r.len() == 1 => r.remove(0).map_err(ApiError::from),
        Ok(_) => Err(ApiError::internal("ingest_batch result count")),
        Err(e) => {
            eprintln!("uproot serve: ingest of {} failed: {e}", sub.report_id);
            Err(ApiError::unavailable("storage error; retry later", 5))
        }
    }
}

/// The parts of a report ingest needs. Everything else, above all the
/// inventory, is skipped without being built.
#[derive(Debug, Deserialize)]
struct Header {
    schema: String,
    generated_at: String,
    host: HeaderHost,
    catalog: HeaderCatalog,
    summary: uproot_report::Summary,
    findings: Vec<uproot_matcher::Finding>,
    #[serde(default)]
    #[allow(dead_code)]
    inventory: serde::de::IgnoredAny,
}

#[derive(Debug, Deserialize)]
struct HeaderHost {
    #[serde(default)]
    machine_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct HeaderCatalog {
    version: String,
}

#[derive(Deserialize)]
struct SchemaOnly {
    schema: String,
}

/// A parsed, hashed, compressed report, before it is tied to a host.
struct Prepared {
    report_id: String,
    header: Header,
    body_gz: Vec<u8>,
}

fn is_gzip(headers: &HeaderMap) -> Result<bool, ApiError> {
    let Some(v) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(false);
    };
    match v
        .to_str()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "gzip" | "x-gzip" => Ok(true),
        "identity" | "" => Ok(false),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Encoding {other:?} (use gzip or identity)"),
        )),
    }
}

/// Reads at most `max` bytes; a larger body is refused before it is all read.
pub(crate) async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    max: usize,
) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::too_large(format!("request body exceeds {max} bytes"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match Limited::new(body, max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(ApiError::bad_request(format!(
            "could not read the body: {e}"
        ))),
    }
}

/// The uncompressed size a gzip stream declares (its last four bytes, the
/// size modulo 2^32). Only a capacity hint: it may lie, and the cap on the
/// real output is what bounds memory.
fn declared_size(gz: &[u8]) -> Option<usize> {
    let tail: [u8; 4] = gz.get(gz.len().checked_sub(4)?..)?.try_into().ok()?;
    Some(u32::from_le_bytes(tail) as usize)
}

fn gunzip(bytes: &[u8], max: usize) -> Result<Vec<u8>, ApiError> {
    let hint = declared_size(bytes).unwrap_or(bytes.len().saturating_mul(4));
    // One byte more than the content, so read_to_end sees the end without
    // growing (and copying) the buffer.
    let mut out = Vec::with_capacity(hint.saturating_add(1).min(max.saturating_add(1)));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::bad_request(format!("invalid gzip body: {e}")))?;
    if out.len() > max {
        return Err(ApiError::too_large(format!(
            "report exceeds {max} bytes after decompression"
        )));
    }
    Ok(out)
}

fn parse_header(raw: &[u8]) -> Result<Header, ApiError> {
    match serde_json::from_slice::<Header>(raw) {
        Ok(h) if h.schema == REPORT_SCHEMA => Ok(h),
        Ok(h) => Err(wrong_schema(&h.schema)),
        Err(e) => match serde_json::from_slice::<SchemaOnly>(raw) {
            Ok(s) if s.schema != REPORT_SCHEMA => Err(wrong_schema(&s.schema)),
            _ => Err(ApiError::bad_request(format!("malformed report: {e}"))),
        },
    }
}

fn wrong_schema(got: &str) -> ApiError {
    ApiError::bad_request(format!(
        "unsupported schema {got:?} (want {REPORT_SCHEMA:?})"
    ))
}

/// The CPU part of ingest: decompress, hash, parse, compress.
fn prepare(body: Bytes, gzip: bool, max_report: usize) -> Result<Prepared, ApiError> {
    let raw_owned;
    let raw: &[u8] = if gzip {
        raw_owned = gunzip(&body, max_report)?;
        &raw_owned
    } else {
        if body.len() > max_report {
            return Err(ApiError::too_large(format!(
                "report exceeds {max_report} bytes"
            )));
        }
        &body
    };
    let header = parse_header(raw)?;
    let report_id = uproot_fleet::report_id_of_bytes(raw);
    let body_gz = if gzip {
        body.to_vec()
    } else {
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(raw.len() / 4),
            flate2::Compression::fast(),
        );
        enc.write_all(raw)
            .and_then(|()| enc.finish())
            .map_err(ApiError::internal)?
    };
    Ok(Prepared {
        report_id,
        header,
        body_gz,
    })
}

/// `POST /api/v1/reports`.
pub(crate) async fn post_report(
    State(state): State<AppState>,
    host: HostPrincipal,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let gzip = is_gzip(&headers)?;
    let bytes = read_limited(&headers, body, state.settings.max_body_bytes).await?;
    let max_report = state.settings.max_report_bytes;
    let permit = state
        .cpu()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let prepared = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        prepare(bytes, gzip, max_report)
    })
    .await
    .map_err(ApiError::internal)??;
    if let Some(mid) = prepared.header.host.machine_id.as_deref() {
        check_machine_id(&state, host.host_id, mid).await?;
    }
    let Prepared {
        report_id,
        header,
        body_gz,
    } = prepared;
    let sub = Submission {
        host_id: host.host_id,
        report_id: report_id.clone(),
        generated_at: header.generated_at,
        catalog_version: header.catalog.version,
        findings: header.findings,
        summary: header.summary,
        body_gz,
    };
    let ingest = state.ingest().submit(sub).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "report_id": report_id,
            "duplicate": ingest.duplicate,
            "opened": ingest.opened,
            "resolved": ingest.resolved,
            "reopened": ingest.reopened,
        })),
    ))
}

async fn check_machine_id(state: &AppState, host_id: i64, mid: &str) -> Result<(), ApiError> {
    let host = state
        .store
        .host(host_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the token's host no longer exists"))?;
    match host.machine_id.as_deref() {
        Some(enrolled) if enrolled != mid => Err(ApiError::forbidden(format!(
            "report is for machine {mid:?}, but this token belongs to host {host_id}"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(n: u8) -> Submission {
        Submission {
            host_id: 1,
            report_id: format!("sha256:{n:064x}"),
            generated_at: "2026-11-01T00:00:00Z".into(),
            catalog_version: "test".into(),
            findings: vec![],
            summary: uproot_report::Summary::default(),
            body_gz: vec![],
        }
    }

    #[tokio::test]
    async fn a_full_queue_answers_503_with_retry_after() {
        let (tx, mut rx) = mpsc::channel(2);
        let q = IngestQueue { tx };
        // Two submissions wait in the queue (nobody commits them)...
        let pending: Vec<_> = (0..2)
            .map(|n| {
                let (reply, _answer) = oneshot::channel();
                q.tx.try_send(Job {
                    sub: submission(n),
                    reply,
                })
                .unwrap();
            })
            .collect();
        assert_eq!(pending.len(), 2);
        // ...so the third is refused at once rather than queued without bound.
        let e = q.submit(submission(3)).await.unwrap_err();
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        let resp = axum::response::IntoResponse::into_response(e);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "2");
        rx.close();
    }

    #[test]
    fn gzip_bomb_is_cut_at_the_cap() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b' '; 10 << 20]).unwrap();
        let gz = enc.finish().unwrap();
        assert!(gz.len() < 100 << 10);
        let e = gunzip(&gz, 1 << 20).unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(gunzip(&gz, 10 << 20).unwrap().len(), 10 << 20);
    }

    #[test]
    fn schema_is_checked_even_when_the_rest_differs() {
        let e = parse_header(br#"{"schema":"other/2","x":1}"#).unwrap_err();
        assert!(e.message.contains("unsupported schema"), "{}", e.message);
        let e = parse_header(b"{not json").unwrap_err();
        assert!(e.message.starts_with("malformed report"), "{}", e.message);
    }
}

//! The HTTP side: enrollment and report submission (ureq, rustls with ring).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::error::{Error, Result};

/// What the agent tells the server about itself when it enrolls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    /// Host name.
    pub name: String,
    /// `/etc/machine-id` or the platform's equivalent; the server checks that
    /// later reports carry the same one.
    pub machine_id: Option<String>,
    /// `linux`, `windows` or `macos`.
    pub os: String,
}

/// Connection and whole-request timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect (and TLS handshake start).
    pub connect: Duration,
    /// The whole exchange, upload of a large report included.
    pub overall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            overall: Duration::from_secs(120),
        }
    }
}

/// How the server answered one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 202: durably stored. Delete the spool file.
    Accepted {
        /// The id the server stored it under.
        report_id: Option<String>,
        /// The server already had it.
        duplicate: bool,
    },
    /// A 4xx that retrying cannot fix (bad document, too large, wrong host).
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The server's `error` message.
        message: String,
    },
    /// Unreachable, 5xx, 401/408/429: keep the report and try again later.
    Retry {
        /// Why, for the log.
        reason: String,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
}

/// A client for one fleet server.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    server: String,
}

#[derive(Deserialize)]
struct EnrollReply {
    host_id: i64,
    token: String,
}

#[derive(Deserialize)]
struct ErrorReply {
    error: String,
}

#[derive(Deserialize)]
struct AcceptReply {
    report_id: Option<String>,
    #[serde(default)]
    duplicate: bool,
}

impl Client {
    /// A client for `server` (`http://` or `https://` base URL). With
    /// `ca_cert`, the PEM certificates in it are trusted besides the webpki
    /// (Mozilla) roots.
    pub fn new(server: &str, ca_cert: Option<&Path>, timeouts: Timeouts) -> Result<Client> {
        let server = normalize_server(server)?;
        let roots = match ca_cert {
            None => RootCerts::WebPki,
            Some(path) => RootCerts::new_with_certs(&roots_with(path)?),
        };
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(timeouts.connect))
            .timeout_global(Some(timeouts.overall))
            .http_status_as_error(false)
            // A redirect would resend the host token somewhere else.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("uproot-agent/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(Client {
            agent: config.into(),
            server,
        })
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// `POST /api/v1/enroll`: trades the enrollment secret for a host id and token.
    pub fn enroll(&self, secret: &str, facts: &HostFacts) -> Result<(i64, String)> {
        let url = format!("{}/api/v1/enroll", self.server);
        let body = serde_json::json!({ "secret": secret, "host": facts });
        let transport = |e: ureq::Error| Error::Transport {
            url: url.clone(),
            message: e.to_string(),
        };
        let mut resp = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(transport)?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(transport)?;
        if !(200..300).contains(&status) {
            return Err(Error::Server {
                url,
                status,
                message: error_message(&text),
            });
        }
        let reply: EnrollReply = serde_json::from_str(&text).map_err(|e| Error::Server {
            url: url.clone(),
            status,
            message: format!("unexpected enroll reply ({e}): {}", snippet(&text)),
        })?;
        Ok((reply.host_id, reply.token))
    }

    /// `GET /api/v1/catalog/bundle` with the host token: the published
    /// bundle's bytes, unverified (see [`crate::fetch_catalog_bundle`]).
    /// With `if_none_match` (the ETag of the bundle this host has), a server
    /// whose bundle is unchanged answers 304 and nothing is downloaded.
    pub fn get_catalog_bundle(
        &self,
        token: &str,
        if_none_match: Option<&str>,
    ) -> Result<BundleResponse> {
        let url = format!("{}/api/v1/catalog/bundle", self.server);
        let transport = |e: ureq::Error| Error::Transport {
            url: url.clone(),
            message: e.to_string(),
        };
        let mut req = self
            .agent
            .get(&url)
            .header("Authorization", format!("Bearer {token}"));
        if let Some(tag) = if_none_match {
            req = req.header("If-None-Match", tag);
        }
        let mut resp = req.call().map_err(transport)?;
        let status = resp.status().as_u16();
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // One more byte than a bundle may have, so an oversized one is
        // refused by verification instead of cut to a valid-looking prefix.
        let limit = uproot_bundle::MAX_BUNDLE_BYTES as u64 + 1;
        let body = resp.body_mut().with_config().limit(limit).read_to_vec();
        match status {
            200 => Ok(BundleResponse::Bundle {
                bytes: body.map_err(transport)?,
                etag,
            }),
            304 => Ok(BundleResponse::Unchanged),
            404 => Ok(BundleResponse::NotPublished),
            _ => Err(Error::Server {
                url: url.clone(),
                status,
                message: error_message(&String::from_utf8_lossy(&body.unwrap_or_default())),
            }),
        }
    }

    /// `POST /api/v1/reports` with a gzip-compressed `uproot.report/1` body.
    pub fn submit(&self, token: &str, gz_body: &[u8]) -> Outcome {
        let url = format!("{}/api/v1/reports", self.server);
        let sent = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .header("Authorization", format!("Bearer {token}"))
            .send(gz_body);
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Retry {
                    reason: format!("{url}: {e}"),
                    retry_after: None,
                }
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        classify(status, retry_after, &text)
    }
}

/// Maps a submission's status to what the spool does with the report.
fn classify(status: u16, retry_after: Option<Duration>, text: &str) -> Outcome {
    match status {
        202 => {
            let reply: Option<AcceptReply> = serde_json::from_str(text).ok();
            Outcome::Accepted {
                report_id: reply.as_ref().and_then(|r| r.report_id.clone()),
                duplicate: reply.is_some_and(|r| r.duplicate),
            }
        }
        // Token revoked or not yet known, slow client, rate limit: the report
        // itself is fine, so it waits.
        401 | 408 | 429 => Outcome::Retry {
            reason: format!("server answered {status}: {}", error_message(text)),
            retry_after,
        },
        400..=499 => Outcome::Rejected {
            status,
            message: error_message(text),
        },
        _ => Outcome::Retry {
            reason: format!("server answered {status}: {}", error_message(text)),
            retry_after,
        },
    }
}

/// `Retry-After` in seconds (the form the server sends; an HTTP-date is ignored).
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn error_message(text: &str) -> String {
    match serde_json::from_str::<ErrorReply>(text) {
        Ok(e) => e.error,
        Err(_) if text.trim().is_empty() => "(no message)".to_owned(),
        Err(_) => snippet(text),
    }
}

fn snippet(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_owned(),
    }
}

fn normalize_server(server: &str) -> Result<String> {
    let s = server.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(s.to_owned()),
        _ => Err(Error::Config(format!(
            "server URL {server:?} must start with https:// or http:// and name a host"
        ))),
    }
}

/// The private CA's certificates plus the webpki roots.
fn roots_with(path: &Path) -> Result<Vec<Certificate<'static>>> {
    let pem = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::Invalid {
                    path: path.to_owned(),
                    message: format!("not a PEM certificate file: {e}"),
                })
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::Invalid {
            path: path.to_owned(),
            message: "no PEM certificate in file".to_owned(),
        });
    }
    certs.extend(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| Certificate::from_der(c.as_ref())),
    );
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_spool_actions() {
        assert!(matches!(
            classify(202, None, "{}"),
            Outcome::Accepted { .. }
        ));
        for s in [401, 408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(s, None, ""), Outcome::Retry { .. }),
                "{s}"
            );
        }
        for s in [400, 403, 404, 413, 415, 422] {
            assert!(
                matches!(classify(s, None, ""), Outcome::Rejected { .. }),
                "{s}"
            );
        }
        let r = classify(400, None, r#"{"error":"bad field host.os"}"#);
        assert_eq!(
            r,
            Outcome::Rejected {
                status: 400,
                message: "bad field host.os".into()
            }
        );
    }

    #[test]
    fn server_urls_are_checked() {
        assert_eq!(
            normalize_server("https://fleet.example/").unwrap(),
            "https://fleet.example"
        );
        assert!(normalize_server("fleet.example").is_err());
        assert!(normalize_server("https://").is_err());
    }
}

/// What `GET /api/v1/catalog/bundle` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleResponse {
    /// 404: the server publishes no bundle.
    NotPublished,
    /// 304: the bundle named by `If-None-Match` is still the published one.
    Unchanged,
    /// 200: the bundle, unverified, and its ETag when the server sent one.
    Bundle {
        /// The file's bytes.
        bytes: Vec<u8>,
        /// The server's entity tag for it.
        etag: Option<String>,
    },
}

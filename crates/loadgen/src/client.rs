//! One keep-alive HTTP/1 connection per simulated agent, as a real agent
//! has, reconnecting after the server closes it or dies.

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::Error;

/// Where the server is. Clones share one address, so every agent follows
/// a server restarted on another port.
#[derive(Debug, Clone)]
pub struct Target {
    authority: Arc<RwLock<String>>,
}

impl Target {
    /// From `http://host:port` (a trailing slash or path is ignored).
    pub fn parse(url: &str) -> Result<Target, Error> {
        Ok(Target {
            authority: Arc::new(RwLock::new(authority_of(url)?)),
        })
    }

    /// Moves every clone to `url`.
    pub fn set(&self, url: &str) -> Result<(), Error> {
        let a = authority_of(url)?;
        *self.authority.write().unwrap_or_else(|e| e.into_inner()) = a;
        Ok(())
    }

    /// `host:port`.
    pub fn authority(&self) -> String {
        self.authority
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn authority_of(url: &str) -> Result<String, Error> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::Usage(format!("only http:// servers are supported: {url}")))?;
    Ok(rest.split('/').next().unwrap_or(rest).to_owned())
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// A connection that reconnects on demand.
pub struct Conn {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// Not connected yet; the first request connects.
    pub fn new(target: Target) -> Conn {
        Conn {
            target,
            sender: None,
        }
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Error> {
        if self.sender.as_ref().is_some_and(|s| !s.is_closed()) {
            return Ok(self.sender.as_mut().expect("checked"));
        }
        let stream = TcpStream::connect(self.target.authority()).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(self.sender.insert(sender))
    }

    /// Sends one request. On a transport error the connection is dropped so
    /// the next call reconnects.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Response, Error> {
        let r = self.try_send(method, path, headers, body).await;
        if r.is_err() {
            self.sender = None;
        }
        r
    }

    async fn try_send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Response, Error> {
        let authority = self.target.authority();
        let sender = self.connect().await?;
        sender.ready().await?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", authority)
            .body(Full::new(body))
            .map_err(|e| Error::Usage(e.to_string()))?;
        for (k, v) in headers {
            let v = HeaderValue::from_str(v).map_err(|e| Error::Usage(e.to_string()))?;
            req.headers_mut().insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes())
                    .map_err(|e| Error::Usage(e.to_string()))?,
                v,
            );
        }
        let resp = sender.send_request(req).await?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Response {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

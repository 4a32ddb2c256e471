//! Forwards a request to its ProxyPass upstream and streams the answer back: hyper-util's pooled
//! client (HTTP/1.1 upstreams, `https://` over rustls with SNI and the system roots or
//! `SSLProxyCACertificateFile`), hop-by-hop headers removed both ways, X-Forwarded-*, Host
//! (preserved or the upstream's), ProxyPassReverse, WebSocket tunnels, and httpd's answers to
//! failures: 503 refused (and the worker's `retry=` pause), 502 bad response, 504 timeout.

use super::proxy_map;
use super::upstreams::ClientKey;
pub use super::upstreams::Upstreams;
use crate::config::model::{ProxyPass, ProxyReverse};
use crate::serve::body::{self, Body, BoxError};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A vhost's proxy settings, prepared at plan time.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    /// Server-level entries (main server's first), then `<Location>` ones.
    pub passes: Vec<ProxyPass>,
    pub reverses: Vec<ProxyReverse>,
    pub preserve_host: bool,
    pub add_headers: bool,
    /// ProxyTimeout, else Timeout, else 60 s.
    pub timeout: Duration,
    pub ssl_proxy: bool,
    pub ca_file: Option<PathBuf>,
    /// The vhost's ServerName, for X-Forwarded-Server and logs.
    pub server_name: String,
}

/// Headers that belong to one connection, never forwarded (RFC 9110 section 7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

/// Removes hop-by-hop headers and those Connection names; `keep_upgrade` for tunnels.
fn strip_hop_by_hop(h: &mut HeaderMap, keep_upgrade: bool) {
    let named: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(*n);
    }
    if keep_upgrade {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

fn append(h: &mut HeaderMap, name: &'static str, value: &str) {
    let joined = match h.get(name).and_then(|v| v.to_str().ok()) {
        Some(old) if !old.is_empty() => format!("{old}, {value}"),
        _ => value.to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&joined) {
        h.insert(name, v);
    }
}

/// What a forward needs to know about the request beyond its parts.
pub struct Forward<'a> {
    pub url: String,
    pub pass: &'a ProxyPass,
    pub rules: &'a Rules,
    pub client_ip: SocketAddr,
    /// The Host the client sent (or the HTTP/2 authority), byte for byte.
    pub client_host: Option<String>,
    /// `scheme://host[:port]` of this server as the client named it.
    pub origin: &'a str,
    /// Where a WebSocket tunnel runs, so a graceful stop waits for it.
    pub tasks: &'a tokio_util::task::TaskTracker,
}

/// Marks an answer the proxy made itself (the backend was not reached or failed), with the
/// reason shown on the page: the service answers it as any error, through ErrorDocument.
#[derive(Clone, Debug)]
pub struct Failure(pub String);

fn failure(status: StatusCode, why: &str) -> Response<Body> {
    let html = super::pages::status_page(status, why);
    let mut r = Response::new(body::full(html));
    r.extensions_mut().insert(Failure(why.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=iso-8859-1"),
    );
    r
}

/// Sends the request upstream and streams the response back.
pub async fn forward<B>(
    upstreams: &Upstreams,
    f: Forward<'_>,
    mut parts: Parts,
    body: B,
) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let vhost = &f.rules.server_name;
    let uri: Uri = match f.url.parse() {
        Ok(u) => u,
        Err(_) => {
            tracing::error!(vhost = %vhost, upstream = %f.url, "AH00898: DNS lookup failure for the ProxyPass target: the URL does not parse");
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "DNS lookup failure for the ProxyPass target",
            );
        }
    };
    let Some(authority) = uri.authority().map(|a| a.to_string()) else {
        return failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the ProxyPass target has no host",
        );
    };
    let https = uri.scheme_str() == Some("https") || uri.scheme_str() == Some("wss");
    if https && !f.rules.ssl_proxy {
        tracing::error!(vhost = %vhost, upstream = %f.url, "AH00961: SSL Proxy requested but not enabled [Hint: SSLProxyEngine]");
        return failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SSL Proxy requested but not enabled (SSLProxyEngine)",
        );
    }
    if upstreams.is_down(&authority) {
        return failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "the backend is in error state (retry pending)",
        );
    }
    let params = &f.pass.params;
    let upgrade = upgrade_wanted(&parts.headers, params.upgrade.as_deref());
    let client_upgrade = if upgrade.is_some() {
        parts.extensions.remove::<hyper::upgrade::OnUpgrade>()
    } else {
        None
    };

    // Headers sent upstream.
    let mut h = std::mem::take(&mut parts.headers);
    strip_hop_by_hop(&mut h, upgrade.is_some());
    if let Some(proto) = &upgrade
        && let Ok(v) = HeaderValue::from_str(proto)
    {
        h.insert(header::UPGRADE, v);
    }
    h.remove(header::HOST);
    let host_value = match (&f.client_host, f.rules.preserve_host) {
        (Some(client), true) => client.clone(),
        _ => f
            .pass
            .target
            .as_ref()
            .map(|t| t.authority())
            .unwrap_or(authority.clone()),
    };
    if let Ok(v) = HeaderValue::from_str(&host_value) {
        h.insert(header::HOST, v);
    }
    if f.rules.add_headers {
        // `::ffff:a.b.c.d` on a dual-stack socket is the IPv4 client the logs name.
        let client = f.client_ip.ip().to_canonical().to_string();
        append(&mut h, "x-forwarded-for", &client);
        if let Some(ch) = &f.client_host {
            append(&mut h, "x-forwarded-host", ch);
        }
        append(&mut h, "x-forwarded-server", &f.rules.server_name);
    }
    let mut req = Request::new(body.map_err(Into::into).boxed_unsync());
    *req.method_mut() = parts.method.clone();
    *req.uri_mut() = uri;
    *req.headers_mut() = h;

    let sni = match (https, f.rules.preserve_host, &f.client_host) {
        (true, true, Some(host)) => Some(
            host.rsplit_once(':')
                .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                .map(|(h, _)| h.to_string())
                .unwrap_or_else(|| host.clone()),
        ),
        _ => None,
    };
    let key = ClientKey {
        ca_file: f.rules.ca_file.clone(),
        sni,
        connect_timeout: params.connection_timeout.or(Some(f.rules.timeout)),
        tcp_keepalive: params.keepalive.unwrap_or(false),
    };
    let client = match upstreams.client(&key) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(vhost = %vhost, upstream = %f.url, error = %e, "cannot set up the proxy client");
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the proxy client cannot be set up",
            );
        }
    };
    let timeout = params.timeout.unwrap_or(f.rules.timeout);
    // `max=`: the request holds its place until its response body is done.
    let permit = match params.max {
        Some(max) if max > 0 => match upstreams.admit(&authority, max, timeout).await {
            Some(p) => Some(p),
            None => {
                tracing::error!(vhost = %vhost, upstream = %f.url, max, "AH00941: no free connection to the backend within the timeout (max=)");
                return failure(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the backend is busy (all of its max= connections are in use)",
                );
            }
        },
        _ => None,
    };
    let resp = match tokio::time::timeout(timeout, client.request(req)).await {
        Err(_) => {
            tracing::error!(vhost = %vhost, upstream = %f.url, "AH01102: timeout reading status line from the backend");
            return failure(
                StatusCode::GATEWAY_TIMEOUT,
                "the backend did not answer in time",
            );
        }
        Ok(Err(e)) if e.is_connect() => {
            tracing::error!(vhost = %vhost, upstream = %f.url, error = %e, "AH00957: attempt to connect to the backend failed");
            upstreams.mark_down(&authority, params.retry.unwrap_or(Duration::from_secs(60)));
            return failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "the backend refused the connection",
            );
        }
        Ok(Err(e)) if crate::server::conn_io::body_limit_in(&e).is_some() => {
            let (status, why) = match crate::server::conn_io::body_limit_in(&e) {
                Some(crate::server::conn_io::BodyLimit::TooLarge) => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the request body is larger than LimitRequestBody",
                ),
                Some(crate::server::conn_io::BodyLimit::Malformed) => {
                    (StatusCode::BAD_REQUEST, "the request body is malformed")
                }
                _ => (
                    StatusCode::REQUEST_TIMEOUT,
                    "the client stopped sending its request body",
                ),
            };
            tracing::info!(vhost = %vhost, upstream = %f.url, error = %e, "the request body could not be read for the backend");
            return failure(status, why);
        }
        Ok(Err(e)) => {
            tracing::error!(vhost = %vhost, upstream = %f.url, error = %e, "AH01102: error reading status line from the backend");
            return failure(
                StatusCode::BAD_GATEWAY,
                "the backend sent an invalid response",
            );
        }
        Ok(Ok(r)) => r,
    };
    let (mut rparts, rbody) = resp.into_parts();
    if let Some(why) = bad_framing(&rparts.headers) {
        // The body is dropped unread, so the connection is not pooled again.
        tracing::error!(vhost = %vhost, upstream = %f.url, why, "the backend's response framing is ambiguous");
        return failure(
            StatusCode::BAD_GATEWAY,
            "the backend sent an invalid response",
        );
    }
    if rparts.status == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(client_side) = client_upgrade {
            let upstream_side = hyper::upgrade::on(Response::from_parts(rparts.clone(), ()));
            f.tasks.spawn(async move {
                tunnel(client_side, upstream_side).await;
                drop(permit);
            });
            let mut r = Response::new(body::empty());
            *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            strip_hop_by_hop(&mut rparts.headers, true);
            if let Some(p) = &upgrade
                && let Ok(v) = HeaderValue::from_str(p)
            {
                rparts.headers.insert(header::UPGRADE, v);
            }
            *r.headers_mut() = rparts.headers;
            return r;
        }
        return failure(
            StatusCode::BAD_GATEWAY,
            "the backend switched protocols unasked",
        );
    }
    strip_hop_by_hop(&mut rparts.headers, false);
    // The client's connection has its own version; the upstream's is not ours to repeat.
    rparts.version = hyper::Version::default();
    for name in [
        header::LOCATION,
        header::CONTENT_LOCATION,
        HeaderName::from_static("uri"),
    ] {
        let new = rparts
            .headers
            .get(&name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| proxy_map::reverse(v, &f.rules.reverses, f.origin));
        if let Some(v) = new.and_then(|n| HeaderValue::from_str(&n).ok()) {
            rparts.headers.insert(name, v);
        }
    }
    let body = rbody.map_err(std::io::Error::other).boxed_unsync();
    let body = match permit {
        Some(p) => Holding {
            inner: body,
            _permit: p,
        }
        .boxed_unsync(),
        None => body,
    };
    Response::from_parts(rparts, body)
}

/// A response body that keeps its `max=` place until it is finished or dropped.
struct Holding {
    inner: Body,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl hyper::body::Body for Holding {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A response whose length a peer could read differently (RFC 9112 §6.1, §6.3): a transfer
/// coding other than a final `chunked` (hyper would read it until the close), or both a
/// coding and a Content-Length.
fn bad_framing(h: &HeaderMap) -> Option<&'static str> {
    let mut codings = h.get_all(header::TRANSFER_ENCODING).iter().peekable();
    codings.peek()?;
    let last = codings
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .last();
    if !last.is_some_and(|c| c.eq_ignore_ascii_case("chunked")) {
        return Some("a transfer coding other than chunked");
    }
    if h.contains_key(header::CONTENT_LENGTH) {
        return Some("both Transfer-Encoding and Content-Length");
    }
    None
}

/// The protocol to tunnel, when the client asks for one this ProxyPass allows (`upgrade=`).
fn upgrade_wanted(h: &HeaderMap, allowed: Option<&str>) -> Option<String> {
    let allowed = allowed?;
    let asked = h.get(header::UPGRADE)?.to_str().ok()?;
    let conn_upgrade = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
        });
    (conn_upgrade && (allowed == "*" || asked.eq_ignore_ascii_case(allowed)))
        .then(|| asked.to_string())
}

async fn tunnel(client: hyper::upgrade::OnUpgrade, upstream: hyper::upgrade::OnUpgrade) {
    let (Ok(c), Ok(u)) = (client.await, upstream.await) else {
        return;
    };
    let mut c = TokioIo::new(c);
    let mut u = TokioIo::new(u);
    let _ = tokio::io::copy_bidirectional(&mut c, &mut u).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_go() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, X-Secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("te", HeaderValue::from_static("trailers"));
        h.insert("proxy-authorization", HeaderValue::from_static("Basic x"));
        h.insert("upgrade", HeaderValue::from_static("websocket"));
        h.insert("accept", HeaderValue::from_static("*/*"));
        strip_hop_by_hop(&mut h, false);
        let left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["accept"]);
    }

    #[test]
    fn ambiguous_framing_is_refused() {
        let mut h = HeaderMap::new();
        assert_eq!(bad_framing(&h), None);
        h.insert(
            "transfer-encoding",
            HeaderValue::from_static("gzip, chunked"),
        );
        assert_eq!(bad_framing(&h), None);
        h.insert("content-length", HeaderValue::from_static("5"));
        assert!(bad_framing(&h).is_some());
        h.remove("content-length");
        h.insert("transfer-encoding", HeaderValue::from_static("foo"));
        assert!(bad_framing(&h).is_some());
    }

    #[test]
    fn forwarded_headers_append() {
        let mut h = HeaderMap::new();
        append(&mut h, "x-forwarded-for", "10.0.0.1");
        append(&mut h, "x-forwarded-for", "127.0.0.1");
        assert_eq!(h.get("x-forwarded-for").unwrap(), "10.0.0.1, 127.0.0.1");
    }
}

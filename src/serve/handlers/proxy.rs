//! Forwards a request to its ProxyPass upstream and streams the answer back: hyper-util's pooled
//! client (HTTP/1.1 upstreams, `https://` over rustls with SNI and the system roots or
//! `SSLProxyCACertificateFile`), hop-by-hop headers removed both ways, X-Forwarded-*, Host
//! (preserved or the upstream's), ProxyPassReverse, WebSocket tunnels, and httpd's answers to
//! failures: 503 refused (and the worker's `retry=` pause), 502 bad response, 504 timeout.

use super::proxy_back;
use super::upstreams::ClientKey;
pub use super::upstreams::Upstreams;
use crate::config::model::{ProxyPass, ProxyReverse};
use crate::serve::body::{self, Body, BoxError};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode, Uri};
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
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
];

/// Removes hop-by-hop headers and those Connection names; `keep_upgrade` for tunnels.
pub(super) fn strip_hop_by_hop(h: &mut HeaderMap, keep_upgrade: bool) {
    if h.contains_key(header::CONNECTION) {
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
    }
    for n in &HOP_BY_HOP {
        h.remove(n);
    }
    if keep_upgrade {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// Adds `value` to the comma-separated list in `name` (the list starts with it when absent).
fn append(h: &mut HeaderMap, name: HeaderName, value: &str) {
    let joined = match h.get(&name).and_then(|v| v.to_str().ok()) {
        Some(old) if !old.is_empty() => HeaderValue::from_str(&format!("{old}, {value}")),
        _ => HeaderValue::from_str(value),
    };
    if let Ok(v) = joined {
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

pub(super) fn failure(status: StatusCode, why: &str) -> Response<Body> {
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

/// Forwards one request to its backend and gives the backend's answer (hop-by-hop headers
/// out, ProxyPassReverse applied), a WebSocket tunnel, or the proxy's own error, marked
/// `Failure`: the steps are the target, the headers sent, the pooled client, the exchange
/// within the timeouts, and the answer taken back.
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
    let (uri, authority, https) = match target(&f) {
        Ok(t) => t,
        Err((status, why)) => return failure(status, why),
    };
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
    let headers = upstream_headers(std::mem::take(&mut parts.headers), &f, &upgrade, &authority);
    let mut req = Request::new(body.map_err(Into::into).boxed_unsync());
    *req.method_mut() = parts.method.clone();
    *req.uri_mut() = uri;
    *req.headers_mut() = headers;
    let client = match client_for(upstreams, &f, https) {
        Ok(c) => c,
        Err((status, why)) => return failure(status, why),
    };
    let timeout = params.timeout.unwrap_or(f.rules.timeout);
    // `max=`: the request holds its place until its response body is done.
    let permit = match params.max {
        Some(max) if max > 0 => match upstreams.admit(&authority, max, timeout).await {
            Some(p) => Some(p),
            None => {
                tracing::error!(vhost = %f.rules.server_name, upstream = %f.url, max, "AH00941: no free connection to the backend within the timeout (max=)");
                return failure(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the backend is busy (all of its max= connections are in use)",
                );
            }
        },
        _ => None,
    };
    let resp = match exchange(upstreams, &client, req, timeout, &f, &authority).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let back = Back {
        client_upgrade,
        upgrade,
        permit,
    };
    proxy_back::answer(resp, &f, back)
}

/// A status and the reason shown on the proxy's own error page.
type Refusal = (StatusCode, &'static str);

/// The backend URL, its authority, and whether it is reached over TLS.
fn target(f: &Forward<'_>) -> Result<(Uri, String, bool), Refusal> {
    let vhost = &f.rules.server_name;
    let Ok(uri) = f.url.parse::<Uri>() else {
        tracing::error!(vhost = %vhost, upstream = %f.url, "AH00898: DNS lookup failure for the ProxyPass target: the URL does not parse");
        return Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            "DNS lookup failure for the ProxyPass target",
        ));
    };
    let Some(authority) = uri.authority().map(|a| a.to_string()) else {
        return Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            "the ProxyPass target has no host",
        ));
    };
    let https = uri.scheme_str() == Some("https") || uri.scheme_str() == Some("wss");
    if https && !f.rules.ssl_proxy {
        tracing::error!(vhost = %vhost, upstream = %f.url, "AH00961: SSL Proxy requested but not enabled [Hint: SSLProxyEngine]");
        return Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            "SSL Proxy requested but not enabled (SSLProxyEngine)",
        ));
    }
    Ok((uri, authority, https))
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_SERVER: HeaderName = HeaderName::from_static("x-forwarded-server");

/// The client's headers as the backend gets them: hop-by-hop ones out (Upgrade kept for a
/// tunnel it may open), Host (the backend's, or the client's with ProxyPreserveHost), and
/// X-Forwarded-For/-Host/-Server unless `ProxyAddHeaders off`.
fn upstream_headers(
    mut h: HeaderMap,
    f: &Forward<'_>,
    upgrade: &Option<String>,
    authority: &str,
) -> HeaderMap {
    strip_hop_by_hop(&mut h, upgrade.is_some());
    if let Some(proto) = upgrade
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
            .unwrap_or_else(|| authority.to_string()),
    };
    if let Ok(v) = HeaderValue::from_str(&host_value) {
        h.insert(header::HOST, v);
    }
    if f.rules.add_headers {
        // `::ffff:a.b.c.d` on a dual-stack socket is the IPv4 client the logs name.
        let client = f.client_ip.ip().to_canonical().to_string();
        append(&mut h, X_FORWARDED_FOR, &client);
        if let Some(ch) = &f.client_host {
            append(&mut h, X_FORWARDED_HOST, ch);
        }
        append(&mut h, X_FORWARDED_SERVER, &f.rules.server_name);
    }
    h
}

/// The pooled client for this backend's TLS and connection settings (SNI is the client's host
/// with ProxyPreserveHost over TLS).
fn client_for(
    upstreams: &Upstreams,
    f: &Forward<'_>,
    https: bool,
) -> Result<super::upstreams::UpClient, Refusal> {
    let sni = match (https, f.rules.preserve_host, &f.client_host) {
        (true, true, Some(host)) => Some(
            host.rsplit_once(':')
                .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                .map(|(h, _)| h.to_string())
                .unwrap_or_else(|| host.clone()),
        ),
        _ => None,
    };
    let params = &f.pass.params;
    let key = ClientKey {
        ca_file: f.rules.ca_file.clone(),
        sni,
        connect_timeout: params.connection_timeout.or(Some(f.rules.timeout)),
        tcp_keepalive: params.keepalive.unwrap_or(false),
    };
    upstreams.client(&key).map_err(|e| {
        tracing::error!(vhost = %f.rules.server_name, upstream = %f.url, error = %e, "cannot set up the proxy client");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the proxy client cannot be set up",
        )
    })
}

/// Sends the request and waits for the backend's head within `timeout`; every failure is the
/// status httpd gives it (504, 503 with the backend marked down for `retry=`, 413/400/408 when
/// the client's body failed, else 502).
async fn exchange(
    upstreams: &Upstreams,
    client: &super::upstreams::UpClient,
    req: Request<super::upstreams::UpBody>,
    timeout: Duration,
    f: &Forward<'_>,
    authority: &str,
) -> Result<Response<hyper::body::Incoming>, Response<Body>> {
    use crate::server::conn_io::{BodyLimit, body_limit_in};
    let vhost = &f.rules.server_name;
    match tokio::time::timeout(timeout, client.request(req)).await {
        Err(_) => {
            tracing::error!(vhost = %vhost, upstream = %f.url, "AH01102: timeout reading status line from the backend");
            Err(failure(
                StatusCode::GATEWAY_TIMEOUT,
                "the backend did not answer in time",
            ))
        }
        Ok(Err(e)) if e.is_connect() => {
            tracing::error!(vhost = %vhost, upstream = %f.url, error = %e, "AH00957: attempt to connect to the backend failed");
            let retry = f.pass.params.retry.unwrap_or(Duration::from_secs(60));
            upstreams.mark_down(authority, retry);
            Err(failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "the backend refused the connection",
            ))
        }
        Ok(Err(e)) if body_limit_in(&e).is_some() => {
            let (status, why) = match body_limit_in(&e) {
                Some(BodyLimit::TooLarge) => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the request body is larger than LimitRequestBody",
                ),
                Some(BodyLimit::Malformed) => {
                    (StatusCode::BAD_REQUEST, "the request body is malformed")
                }
                _ => (
                    StatusCode::REQUEST_TIMEOUT,
                    "the client stopped sending its request body",
                ),
            };
            tracing::info!(vhost = %vhost, upstream = %f.url, error = %e, "the request body could not be read for the backend");
            Err(failure(status, why))
        }
        Ok(Err(e)) => {
            tracing::error!(vhost = %vhost, upstream = %f.url, error = %e, "AH01102: error reading status line from the backend");
            Err(failure(
                StatusCode::BAD_GATEWAY,
                "the backend sent an invalid response",
            ))
        }
        Ok(Ok(r)) => Ok(r),
    }
}

/// What the answer's side needs from the request's: the client's upgrade, the protocol asked
/// for, and the `max=` place.
pub(super) struct Back {
    pub client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    pub upgrade: Option<String>,
    pub permit: Option<tokio::sync::OwnedSemaphorePermit>,
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
    fn forwarded_headers_append() {
        let mut h = HeaderMap::new();
        append(&mut h, X_FORWARDED_FOR, "10.0.0.1");
        append(&mut h, X_FORWARDED_FOR, "127.0.0.1");
        assert_eq!(h.get("x-forwarded-for").unwrap(), "10.0.0.1, 127.0.0.1");
    }
}

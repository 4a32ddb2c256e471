//! One request's whole journey, top to bottom, as named steps: `arrival` (the vhost and the
//! TLS checks), the clean path, `translate` (SetEnvIf, mod_rewrite), then the proxy or the
//! static handler, each behind the access checks, and `errors` for every error page; the
//! `journey` carries what the response's last touches (mod_headers) need.

use crate::log::access::Logged;
use crate::log::format::Record;
use crate::prepare::generation::Generation;
use crate::serve::arrival::{self, Arrival, raw_host};
use crate::serve::body::{self, Body, BoxError};
use crate::serve::errors::{error_response, page, site_error};
use crate::serve::handlers::mapping::{self, Reject, Settings};
use crate::serve::handlers::md_pages;
use crate::serve::handlers::proxy;
use crate::serve::handlers::proxy_map::{self, ProxyMatch};
use crate::serve::handlers::static_files::{self, Resolved, Served};
use crate::serve::journey::{Journey, finish_headers, request_headers};
use crate::serve::router::{self, Target};
use crate::serve::service_access::check_access;
use crate::serve::site::Site;
use crate::serve::translate::{self, Translated};
use crate::server::limits::{self, ConnLimits};
use http_body_util::BodyExt;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode, Version};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio_util::task::TaskTracker;

/// What a connection knows about itself, fixed at accept and handshake time.
#[derive(Clone, Debug)]
pub struct Conn {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub tls: Option<TlsConn>,
    /// The limits of the address's default vhost, fixed when the connection was accepted.
    pub limits: Arc<ConnLimits>,
    /// Where work that outlives a request (a WebSocket tunnel) runs, so a stop waits for it.
    pub tasks: TaskTracker,
}

/// The handshake's facts.
#[derive(Clone, Debug)]
pub struct TlsConn {
    /// The SNI name as the client sent it.
    pub sni: Option<String>,
}

/// Serves one request; never fails (every failure is a response).
pub async fn handle<B>(
    req: Request<B>,
    conn: Arc<Conn>,
    generation: Arc<Generation>,
) -> Result<Response<Body>, std::convert::Infallible>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let version = req.version();
    let head_only = req.method() == Method::HEAD;
    let started = Instant::now();
    // Only requests that may be logged pay for collecting what a log line names.
    let record = generation
        .logs_any
        .then(|| log_record(&req, &conn, &generation));
    let mut out = Journey::default();
    let mut resp = match limits::check_head(&conn.limits, req.method(), req.uri(), req.headers()) {
        None => respond(req, &conn, &generation, &mut out).await,
        Some((status, why)) => page(status, why, req.method()),
    };
    // HEAD answers carry the headers a GET would, never a body (hyper's HTTP/2 server would
    // send redirect, error and proxied bodies as they are).
    if head_only {
        let known = hyper::body::Body::size_hint(resp.body()).exact();
        if let (Some(n @ 1..), false) = (known, resp.headers().contains_key(header::CONTENT_LENGTH))
        {
            resp.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        resp = resp.map(|_| body::empty());
    }
    let target = out.target;
    finish_headers(&mut resp, &conn, &generation, &out);
    resp.headers_mut()
        .insert(header::SERVER, generation.banner.clone());
    // After a bad request the rest of an HTTP/1 connection cannot be trusted.
    let fatal = matches!(
        resp.status(),
        StatusCode::BAD_REQUEST
            | StatusCode::URI_TOO_LONG
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::REQUEST_TIMEOUT
    );
    if fatal && version < Version::HTTP_2 {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let site = match target {
        Some(t) => generation.site(t),
        None => generation.site(match generation.plan.chain_for(conn.local) {
            Some(c) => Target::Vhost(generation.plan.chains[c].default_vhost()),
            None => Target::Main,
        }),
    };
    let Some(mut record) = record.filter(|_| !site.access.is_empty()) else {
        return Ok(resp);
    };
    record.status = resp.status().as_u16();
    record.server_name = site.name.clone();
    record.response_headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    record.bytes_out = 17
        + record
            .response_headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum::<usize>() as u64;
    let logs = site.access.clone();
    Ok(resp.map(|b| Logged::new(b, record, logs, started).boxed_unsync()))
}

/// What the access log needs from the request, taken before the request is consumed.
fn log_record<B>(req: &Request<B>, conn: &Conn, generation: &Generation) -> Record {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let request_headers = if generation.logs_want_request_headers {
        headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let length: u64 = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bytes_in = req.uri().to_string().len() as u64
        + 16
        + headers
            .iter()
            .map(|(k, v)| (k.as_str().len() + v.len() + 4) as u64)
            .sum::<u64>()
        + length;
    Record {
        remote_ip: conn.remote.ip().to_canonical().to_string(),
        local_ip: conn.local.ip().to_canonical().to_string(),
        local_port: conn.local.port(),
        start: Some(SystemTime::now()),
        method: req.method().to_string(),
        uri: req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().map(str::to_string),
        protocol: match req.version() {
            Version::HTTP_2 => "HTTP/2.0",
            Version::HTTP_10 => "HTTP/1.0",
            Version::HTTP_09 => "HTTP/0.9",
            _ => "HTTP/1.1",
        }
        .to_string(),
        host: host
            .and_then(|h| router::normalize_host(&h).ok().flatten())
            .map(|h| h.name),
        request_headers,
        bytes_in,
        ..Record::default()
    }
}

async fn respond<B>(
    request: Request<B>,
    conn: &Conn,
    generation: &Arc<Generation>,
    out: &mut Journey,
) -> Response<Body>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    let req = &parts;
    if let Some(r) = md_pages::early(req, generation) {
        return r;
    }
    let Arrival { site, origin } = match arrival::arrive(req, conn, generation, out).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let sni = conn.tls.as_ref().is_some_and(|t| t.sni.is_some());
    if let Some(r) = md_pages::unavailable(site, sni, &req.method) {
        return r;
    }
    if req.uri.path() == "*" && req.method == Method::OPTIONS {
        let mut r = Response::new(body::empty());
        r.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
        );
        return r;
    }
    let path = match mapping::clean_path(req.uri.path()) {
        Ok(p) => p,
        Err(Reject::BadRequest) => {
            let early = arrival::early(req, &origin);
            return site_error(site, &early, StatusCode::BAD_REQUEST, "").await;
        }
        Err(Reject::NotFound) => {
            let early = arrival::early(req, &origin);
            return site_error(site, &early, StatusCode::NOT_FOUND, "").await;
        }
    };
    let t = match translate::translate(req, conn, generation, site, path, &origin, out).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    // ProxyPass is matched on the normalised path, so `..` can never step out of its prefix.
    if t.fixed.is_none() {
        let normal = mapping::encode_segments(&t.path.segments, t.path.trailing_slash);
        if let ProxyMatch::Forward { url, pass } =
            proxy_map::find(&site.proxy.passes, &normal, t.query.as_deref())
        {
            let to = Proxied {
                url,
                pass,
                site,
                origin: &origin,
            };
            // On the heap: the proxy's future is large, and a static request need not carry it.
            return Box::pin(proxy_request(parts, body, conn, generation, to, &t, out)).await;
        }
    }
    static_request(&parts, conn, generation, site, t, &origin, out).await
}

/// Where a request is proxied to, and from which vhost.
struct Proxied<'a> {
    url: String,
    pass: &'a crate::config::model::ProxyPass,
    site: &'a Site,
    origin: &'a str,
}

/// The proxy handler behind the access checks and the body limit; the proxy's own errors are
/// pages like any other (ErrorDocument 503 for a backend that is down, ServerSignature), as
/// httpd's ap_die makes them.
async fn proxy_request<B>(
    mut parts: Parts,
    body: B,
    conn: &Conn,
    generation: &Generation,
    to: Proxied<'_>,
    t: &Translated,
    out: &mut Journey,
) -> Response<Body>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let site = to.site;
    let settings = site.sections.settings(None, &t.path, t.vars.as_ref());
    out.settings = Some(settings.clone());
    let sreq = static_files::Request {
        method: &parts.method,
        headers: &parts.headers,
        path: &t.path,
        query: t.query.as_deref(),
        origin: to.origin,
        vars: t.vars.as_ref(),
    };
    if let Some(denied) = check_access(site, &settings, conn, &parts, t.vars.as_ref(), &sreq).await
    {
        return denied;
    }
    let limit = body_limit(&settings);
    if declared_length(&parts).is_some_and(|n| limit != 0 && n > limit) {
        return error_response(site, &sreq, StatusCode::PAYLOAD_TOO_LARGE, &settings, "").await;
    }
    let body = crate::server::conn_io::RequestBody::new(body, conn.limits.timeout, limit);
    let f = proxy::Forward {
        url: to.url,
        pass: to.pass,
        rules: &site.proxy,
        client_ip: conn.remote,
        client_host: raw_host(&parts).ok().flatten(),
        origin: to.origin,
        tasks: &conn.tasks,
    };
    let method = parts.method.clone();
    if !settings.dir.request_headers.is_empty() {
        request_headers(&mut parts, conn, &settings, out);
    }
    let r = proxy::forward(&generation.upstreams, f, parts, body).await;
    match r.extensions().get::<proxy::Failure>() {
        Some(proxy::Failure(why)) => {
            let none = hyper::HeaderMap::new();
            let ereq = static_files::Request {
                method: &method,
                headers: &none,
                path: &t.path,
                query: t.query.as_deref(),
                origin: to.origin,
                vars: t.vars.as_ref(),
            };
            error_response(site, &ereq, r.status(), &settings, why).await
        }
        None => static_files::handled(r),
    }
}

/// mod_alias's mapping (or the rewrite's target), the access checks and the body limit, then
/// the default handler; its errors through ErrorDocument.
async fn static_request(
    req: &Parts,
    conn: &Conn,
    generation: &Generation,
    site: &Site,
    t: Translated,
    origin: &str,
    out: &mut Journey,
) -> Response<Body> {
    let sreq = static_files::Request {
        method: &req.method,
        headers: &req.headers,
        path: &t.path,
        query: t.query.as_deref(),
        origin,
        vars: t.vars.as_ref(),
    };
    let resolved = match t.fixed {
        None => static_files::resolve(site, &sreq),
        Some((root, file)) => {
            let fs_path = file.unwrap_or_else(|| {
                t.path
                    .segments
                    .iter()
                    .fold(root.path.clone(), |p, s| p.join(s))
            });
            let settings = site.settings(&fs_path, &t.path, t.vars.as_ref());
            Resolved::Target {
                root,
                fs_path,
                settings,
            }
        }
    };
    let served = match resolved {
        Resolved::Done(s) => s,
        Resolved::Target {
            root,
            fs_path,
            settings,
        } => {
            out.settings = Some(settings.clone());
            if let Some(denied) =
                check_access(site, &settings, conn, req, t.vars.as_ref(), &sreq).await
            {
                return denied;
            }
            let handler = settings.dir.handler.as_ref().map(|h| h.value.as_str());
            if handler.is_some_and(|h| h.eq_ignore_ascii_case("md-status")) {
                return md_pages::md_status(req, generation);
            }
            let limit = body_limit(&settings);
            if declared_length(req).is_some_and(|n| limit != 0 && n > limit) {
                return error_response(site, &sreq, StatusCode::PAYLOAD_TOO_LARGE, &settings, "")
                    .await;
            }
            static_files::serve_target(site, &sreq, root, fs_path, settings).await
        }
    };
    match served {
        Served::Done(r) => r,
        Served::Error {
            status,
            settings,
            allow,
            len_for_416,
            detail,
        } => {
            let mut r = error_response(site, &sreq, status, &settings, &detail).await;
            if allow {
                r.headers_mut().insert(
                    header::ALLOW,
                    HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
                );
            }
            if let Some(len) = len_for_416
                && let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}"))
            {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    }
}

/// `LimitRequestBody` where the request ended (httpd 2.4.54's default: 1 GiB; 0: unlimited).
fn body_limit(settings: &Settings) -> u64 {
    settings
        .dir
        .limit_request_body
        .as_ref()
        .map_or(1 << 30, |l| l.value)
}

/// The request's `Content-Length`, when it has one.
fn declared_length(req: &Parts) -> Option<u64> {
    req.headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

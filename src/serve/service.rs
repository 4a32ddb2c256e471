//! One request's whole journey, top to bottom: the host it names (absolute URI, `:authority` or
//! Host; normalised, 400 when malformed or missing on HTTP/1.1), the vhost httpd would pick in
//! the connection's chain, the TLS checks (400 / 403 / 421), then static files, and error pages
//! with `ErrorDocument`.

use crate::config::model::ErrorDocument;
use crate::log::access::Logged;
use crate::log::format::Record;
use crate::plan::ChainId;
use crate::prepare::generation::Generation;
use crate::serve::body::BoxError;
use crate::serve::body::{self, Body};
use crate::serve::handlers::headers::{self, Table};
use crate::serve::handlers::mapping::{self, CleanPath, Reject, Settings};
use crate::serve::handlers::pages;
use crate::serve::handlers::proxy;
use crate::serve::handlers::proxy_map::{self, ProxyMatch};
use crate::serve::handlers::reqvars::RequestVars;
use crate::serve::handlers::rewrite::{self, Outcome};
use crate::serve::handlers::static_files::{self, Handled, Resolved, Served};
use crate::serve::router::{self, Host, Target, TlsVerdict};
use crate::serve::service_access::check_access;
use crate::serve::site::Site;
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

/// The host a request names: the absolute URI's (HTTP/1) or `:authority` (HTTP/2), else the
/// Host header. Two Host headers are malformed, as httpd's merged value would be, and so is an
/// HTTP/2 `host` that disagrees with `:authority`.
fn raw_host(req: &Parts) -> Result<Option<String>, router::BadHost> {
    if let Some(a) = req.uri.authority() {
        // HTTP/2: a `host` field naming something else makes the request malformed (RFC 9113
        // §8.3.1); in HTTP/1 the absolute URI's authority simply wins (RFC 9112 §3.2.2).
        let disagrees = req.version == Version::HTTP_2
            && req
                .headers
                .get_all(header::HOST)
                .iter()
                .any(|h| !h.as_bytes().eq_ignore_ascii_case(a.as_str().as_bytes()));
        if disagrees {
            return Err(router::BadHost(":authority and host differ"));
        }
        return Ok(Some(a.as_str().to_string()));
    }
    let mut hosts = req.headers.get_all(header::HOST).iter();
    let first = hosts.next();
    if hosts.next().is_some() {
        return Err(router::BadHost("more than one Host header"));
    }
    match first {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.to_string()))
            .map_err(|_| router::BadHost("Host is not text")),
    }
}

/// What the journey learnt on the way, for the response's last touches.
#[derive(Default)]
pub struct Journey {
    target: Option<Target>,
    /// The directory settings in force where the request ended (mod_headers' rules).
    settings: Option<Arc<Settings>>,
    /// The request's environment after SetEnvIf (mod_headers' `env=` and `%{VAR}e`).
    env: crate::serve::handlers::reqvars::Env,
    /// Request headers kept for `Header echo`.
    request_headers: Option<hyper::HeaderMap>,
    started: Option<SystemTime>,
}

/// The environment as httpd's fixups leave it: SetEnvIf's variables, mod_ssl's `HTTPS`, then
/// mod_env's table laid over them: the directory's SetEnv/PassEnv in merge order, an UnsetEnv
/// taking out what an earlier SetEnv gave (never a SetEnvIf variable, as in httpd).
fn fixup_env(
    conn: &Conn,
    settings: &Settings,
    out: &Journey,
) -> crate::serve::handlers::reqvars::Env {
    let mut env = out.env.clone();
    if conn.tls.is_some() {
        env.insert("HTTPS".into(), "on".into());
    }
    let mut table = crate::serve::handlers::reqvars::Env::default();
    for (k, v) in &settings.dir.env {
        match v {
            Some(v) => table.insert(k.clone(), v.clone()),
            None => table.remove(k),
        };
    }
    env.extend(table);
    env
}

/// Runs mod_headers rules on `target` with the fixup environment and the request's time.
fn run_header_rules<'r>(
    rules: impl IntoIterator<Item = &'r headers::HeaderRule>,
    target: &mut hyper::HeaderMap,
    request_headers: &hyper::HeaderMap,
    env: &crate::serve::handlers::reqvars::Env,
    out: &Journey,
) {
    let lookup = |k: &str| env.get(k).cloned();
    let no_ssl = |_: &str| None;
    let started = out.started.unwrap_or_else(SystemTime::now);
    let ctx = headers::Context {
        env: &lookup,
        request_headers,
        request_time: started,
        elapsed: started.elapsed().unwrap_or_default(),
        ssl_var: &no_ssl,
    };
    headers::apply(rules, target, &ctx);
}

/// mod_headers' Header rules on the way out: `onsuccess` rules for what a handler produced,
/// `always` rules for every response.
fn finish_headers(resp: &mut Response<Body>, conn: &Conn, generation: &Generation, out: &Journey) {
    let Some(t) = out.target else { return };
    let site = generation.site(t);
    let settings = out.settings.as_ref().unwrap_or(site.sections.base());
    let rules = &settings.dir.headers;
    if rules.is_empty() {
        return;
    }
    let env = fixup_env(conn, settings, out);
    let handled = resp.extensions().get::<Handled>().is_some();
    let chosen = rules.iter().filter(|r| handled || r.table == Table::Always);
    let empty = hyper::HeaderMap::new();
    let request_headers = out.request_headers.as_ref().unwrap_or(&empty);
    run_header_rules(chosen, resp.headers_mut(), request_headers, &env, out);
}

/// The request's variables, for SetEnvIf, mod_rewrite and Require expr.
fn request_vars(req: &Parts, conn: &Conn, site: &Site, root: &std::path::Path) -> RequestVars {
    RequestVars {
        method: req.method.to_string(),
        raw_path: req.uri.path().to_string(),
        query: req.uri.query().map(str::to_string),
        protocol: match req.version {
            Version::HTTP_2 => "HTTP/2.0",
            Version::HTTP_10 => "HTTP/1.0",
            _ => "HTTP/1.1",
        },
        headers: req.headers.clone(),
        remote_ip: conn.remote.ip().to_canonical().to_string(),
        remote_port: conn.remote.port(),
        local_ip: conn.local.ip().to_canonical().to_string(),
        local_port: conn.local.port(),
        https: conn.tls.is_some(),
        server_name: site.name.clone(),
        server_admin: site.admin.clone().unwrap_or_default(),
        document_root: root.to_string_lossy().into_owned(),
        env: Default::default(),
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
    let plan = &generation.plan;
    let (parts, body) = request.into_parts();
    let req = &parts;
    // httpd's per-connection step, against the generation in service now (a reload between
    // two keep-alive requests applies to the second): the chain for the local address, and
    // the member the handshake picked from the SNI.
    let chain = plan.chain_for(conn.local);
    let handshake = match (&conn.tls, chain) {
        (Some(t), Some(c)) => Some((
            router::handshake_member(plan, c, t.sni.as_deref()),
            t.sni.is_some(),
        )),
        _ => None,
    };
    let host = match raw_host(req).and_then(|h| match h {
        Some(h) => router::normalize_host(&h),
        None => Ok(None),
    }) {
        Ok(h) => h,
        Err(router::BadHost(why)) => return page(StatusCode::BAD_REQUEST, why, &req.method),
    };
    if host.is_none() && req.version >= Version::HTTP_11 {
        return page(StatusCode::BAD_REQUEST, "", &req.method);
    }
    let route = router::route(plan, chain, host.as_ref());
    out.target = Some(route.target);
    out.started = Some(SystemTime::now());
    let site = generation.site(route.target);
    let origin = origin(conn, host.as_ref(), site);
    let root = CleanPath {
        segments: Vec::new(),
        trailing_slash: true,
    };
    let early = static_files::Request {
        method: &req.method,
        headers: &req.headers,
        path: &root,
        query: None,
        origin: &origin,
        vars: None,
    };
    if host.is_some() && !route.matched && strict_host_check(generation, chain) {
        return site_error(site, &early, StatusCode::BAD_REQUEST, "").await;
    }
    if let (Some((handshake, sni_sent)), Some(c), Some(tls)) = (handshake, chain, &conn.tls) {
        let member = route.member.unwrap_or(0);
        match router::tls_verdict(plan, c, handshake, sni_sent, member, host.is_some()) {
            TlsVerdict::Serve => {}
            TlsVerdict::SniWithoutHost => {
                tracing::info!(
                    sni = tls.sni.as_deref().unwrap_or(""),
                    "AH02031: Hostname provided via SNI, but no hostname provided in HTTP request"
                );
                return site_error(site, &early, StatusCode::BAD_REQUEST, "").await;
            }
            TlsVerdict::StrictSni => {
                tracing::info!(
                    "AH02033: No hostname was provided via SNI for a name based virtual host"
                );
                return site_error(site, &early, StatusCode::FORBIDDEN, "The client software did not provide a hostname using Server Name Indication (SNI), which is required to access this server.").await;
            }
            TlsVerdict::Misdirected => {
                let handshake_name = &plan.vhost(plan.chains[c].members[handshake].vhost).name;
                tracing::info!(sni = tls.sni.as_deref().unwrap_or("(default host as no SNI was provided)"), handshake = %handshake_name, host = host.as_ref().map(|h| h.name.as_str()).unwrap_or(""), "AH02032: hostnames select vhosts with no compatible TLS setup");
                return site_error(site, &early, StatusCode::MISDIRECTED_REQUEST, "").await;
            }
        }
    }
    let raw_path = req.uri.path();
    if raw_path == "*" && req.method == Method::OPTIONS {
        let mut r = Response::new(body::empty());
        r.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
        );
        return r;
    }
    let path = match mapping::clean_path(raw_path) {
        Ok(p) => p,
        Err(Reject::BadRequest) => {
            return site_error(site, &early, StatusCode::BAD_REQUEST, "").await;
        }
        Err(Reject::NotFound) => return site_error(site, &early, StatusCode::NOT_FOUND, "").await,
    };
    // post_read_request: mod_setenvif; translate_name: mod_rewrite, before mod_alias.
    let needs_vars = !site.set_env_if.is_empty() || !site.rewrite.is_empty() || site.uses_expr;
    let mut vars = None;
    if needs_vars {
        let mut v = request_vars(req, conn, site, &site.roots[0].path);
        v.set_env_if(&site.set_env_if);
        out.env = v.env.clone();
        vars = Some(v);
    }
    if site.echoes_headers {
        out.request_headers = Some(req.headers.clone());
    }
    let mut fixed_target = None;
    let mut path = path;
    let mut query = req.uri.query().map(str::to_string);
    if !site.rewrite.is_empty()
        && let (Some(v), Some(t)) = (vars.take(), out.target)
    {
        let (outcome, v) = run_rewrite(generation, t, &path, query.as_deref(), v, &origin).await;
        vars = v;
        let (new_path, new_query, file) = match outcome {
            Outcome::Unchanged => (None, None, None),
            Outcome::Redirect { status, location } => {
                let sig = static_files::signature(site, site.sections.base(), &origin);
                return static_files::redirect(status, &location, &sig);
            }
            Outcome::Status(code) => {
                let status =
                    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return site_error(site, &early, status, "").await;
            }
            // Served from DocumentRoot + path: Alias and ProxyPass do not see it (no [PT]).
            Outcome::Rewritten { path, query } => (Some(path), query, None),
            // A filesystem path httpd's prefix_stat took as one.
            Outcome::File { path, query } => (Some(path.clone()), query, Some(path)),
        };
        if let Some(p) = new_path {
            let Ok(clean) = mapping::clean_path(&encode_path(&p)) else {
                return site_error(site, &early, StatusCode::BAD_REQUEST, "").await;
            };
            let root = match file {
                None => site.roots[0].clone(),
                Some(_) => crate::serve::site::Root { path: "/".into() },
            };
            fixed_target = Some((root, file.map(std::path::PathBuf::from)));
            path = clean;
            query = new_query;
        }
    }
    let sreq = static_files::Request {
        method: &req.method,
        headers: &req.headers,
        path: &path,
        query: query.as_deref(),
        origin: &origin,
        vars: vars.as_ref(),
    };
    // ProxyPass is matched on the normalised path, so `..` can never step out of its prefix.
    let normal = mapping::encode_segments(&path.segments, path.trailing_slash);
    if fixed_target.is_none()
        && let ProxyMatch::Forward { url, pass } =
            proxy_map::find(&site.proxy.passes, &normal, query.as_deref())
    {
        let settings = site.sections.settings(None, &path, vars.as_ref());
        out.settings = Some(settings.clone());
        if let Some(denied) = check_access(site, &settings, conn, req, vars.as_ref(), &sreq).await {
            return denied;
        }
        let limit = body_limit(&settings);
        if declared_length(req).is_some_and(|n| limit != 0 && n > limit) {
            return error_response(site, &sreq, StatusCode::PAYLOAD_TOO_LARGE, &settings, "").await;
        }
        let body = crate::server::conn_io::RequestBody::new(body, conn.limits.timeout, limit);
        let client_host = raw_host(req).ok().flatten();
        let f = proxy::Forward {
            url,
            pass,
            rules: &site.proxy,
            client_ip: conn.remote,
            client_host,
            origin: &origin,
            tasks: &conn.tasks,
        };
        let method = req.method.clone();
        let mut parts = parts;
        if !settings.dir.request_headers.is_empty() {
            request_headers(&mut parts, conn, &settings, out);
        }
        let r = proxy::forward(&generation.upstreams, f, parts, body).await;
        // The proxy's own errors are pages like any other (ErrorDocument 503 for a backend
        // that is down, ServerSignature), as httpd's ap_die makes them.
        return match r.extensions().get::<proxy::Failure>() {
            Some(proxy::Failure(why)) => {
                let none = hyper::HeaderMap::new();
                let ereq = static_files::Request {
                    method: &method,
                    headers: &none,
                    path: &path,
                    query: query.as_deref(),
                    origin: &origin,
                    vars: vars.as_ref(),
                };
                error_response(site, &ereq, r.status(), &settings, why).await
            }
            None => static_files::handled(r),
        };
    }
    let resolved = match fixed_target {
        None => static_files::resolve(site, &sreq),
        Some((root, file)) => {
            let fs_path = file.unwrap_or_else(|| {
                path.segments
                    .iter()
                    .fold(root.path.clone(), |p, s| p.join(s))
            });
            let settings = site.settings(&fs_path, &path, vars.as_ref());
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
                check_access(site, &settings, conn, req, vars.as_ref(), &sreq).await
            {
                return denied;
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

/// A decoded path back to a URL path (spaces and `%` escaped, so it decodes to itself).
fn encode_path(p: &str) -> String {
    p.replace('%', "%25")
        .replace(' ', "%20")
        .replace('?', "%3F")
        .replace('#', "%23")
}

/// mod_rewrite off the async runtime (its conditions may look at the filesystem); the
/// request's variables go to the blocking thread and come back with the outcome.
async fn run_rewrite(
    generation: &Arc<Generation>,
    target: Target,
    path: &CleanPath,
    query: Option<&str>,
    vars: RequestVars,
    origin: &str,
) -> (Outcome, Option<RequestVars>) {
    let generation = generation.clone();
    let (url, query, origin) = (path.as_url(), query.map(str::to_string), origin.to_string());
    tokio::task::spawn_blocking(move || {
        let rules = &generation.site(target).rewrite;
        let outcome = rewrite::run(rules, &url, query.as_deref(), &vars, &origin);
        (outcome, Some(vars))
    })
    .await
    .unwrap_or((Outcome::Status(500), None))
}

/// mod_headers' RequestHeader rules on what goes upstream.
fn request_headers(parts: &mut Parts, conn: &Conn, settings: &Settings, out: &Journey) {
    let env = fixup_env(conn, settings, out);
    let original = parts.headers.clone();
    let rules = &settings.dir.request_headers;
    run_header_rules(rules, &mut parts.headers, &original, &env, out);
}

/// StrictHostCheck ON, globally or in the connection's default vhost (httpd 2.4.49+).
fn strict_host_check(generation: &Generation, chain: Option<ChainId>) -> bool {
    let plan = &generation.plan;
    let on = |c: &crate::config::model::ServerConf| {
        c.strict_host_check.as_ref().is_some_and(|s| s.value)
    };
    match chain {
        Some(c) => on(&plan.vhost(plan.chains[c].default_vhost()).conf),
        None => on(&plan.main.conf),
    }
}

/// `scheme://host[:port]` for self-referencing URLs: the Host as the client gave it, else the
/// vhost's name and the local port.
fn origin(conn: &Conn, host: Option<&Host>, site: &Site) -> String {
    let scheme = if conn.tls.is_some() { "https" } else { "http" };
    let default_port = if conn.tls.is_some() { 443 } else { 80 };
    match host {
        Some(h) => match h.port {
            Some(p) if p != 0 => format!("{scheme}://{}:{p}", router::url_host(&h.name)),
            _ => format!("{scheme}://{}", router::url_host(&h.name)),
        },
        None if conn.local.port() == default_port => {
            format!("{scheme}://{}", router::url_host(&site.name))
        }
        None => format!(
            "{scheme}://{}:{}",
            router::url_host(&site.name),
            conn.local.port()
        ),
    }
}

/// A server-written page for a status.
fn page(status: StatusCode, detail: &str, method: &Method) -> Response<Body> {
    signed_page(status, detail, method, "")
}

/// A server-written page ending with a ServerSignature line (`signature` may be empty).
fn signed_page(
    status: StatusCode,
    detail: &str,
    method: &Method,
    signature: &str,
) -> Response<Body> {
    let html = pages::signed_status_page(status, detail, signature);
    let len = html.len();
    let mut r = Response::new(if method == Method::HEAD {
        body::empty()
    } else {
        body::full(html)
    });
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=iso-8859-1"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

/// An error found before the path was mapped, through the vhost's server-level `ErrorDocument`.
async fn site_error(
    site: &Site,
    req: &static_files::Request<'_>,
    status: StatusCode,
    detail: &str,
) -> Response<Body> {
    let settings = site.settings(&site.roots[0].path, req.path, req.vars);
    error_response(site, req, status, &settings, detail).await
}

/// An error status, through `ErrorDocument` when one is set for it.
pub(crate) async fn error_response(
    site: &Site,
    req: &static_files::Request<'_>,
    status: StatusCode,
    settings: &Settings,
    detail: &str,
) -> Response<Body> {
    match settings.error_documents.get(&status.as_u16()) {
        Some(ErrorDocument::Url(url)) => static_files::redirect(
            302,
            url,
            &static_files::signature(site, settings, req.origin),
        ),
        Some(ErrorDocument::Text(text)) => {
            let mut r = Response::new(body::full(text.clone()));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=iso-8859-1"),
            );
            r
        }
        Some(ErrorDocument::LocalPath(p)) => {
            let local = p.split('?').next().unwrap_or(p);
            if let Ok(path) = mapping::clean_path(local) {
                let get = Method::GET;
                let none = hyper::HeaderMap::new();
                let sub = static_files::Request {
                    method: &get,
                    headers: &none,
                    path: &path,
                    query: None,
                    origin: req.origin,
                    vars: req.vars,
                };
                if let Served::Done(mut r) = Box::pin(static_files::serve(site, &sub)).await
                    && r.status() == StatusCode::OK
                {
                    *r.status_mut() = status;
                    r.headers_mut().remove(header::ETAG);
                    r.headers_mut().remove(header::LAST_MODIFIED);
                    r.headers_mut().remove(header::ACCEPT_RANGES);
                    return r;
                }
            }
            let sig = static_files::signature(site, settings, req.origin);
            signed_page(status, detail, req.method, &sig)
        }
        Some(ErrorDocument::Default) | None => {
            let sig = static_files::signature(site, settings, req.origin);
            signed_page(status, detail, req.method, &sig)
        }
    }
}

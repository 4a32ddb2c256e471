//! Takes a request as it arrived on a connection and gives the vhost that answers it, as
//! httpd's post-read step decides: the host it names (absolute URI, `:authority` or Host;
//! normalised; 400 when malformed or missing on HTTP/1.1), the vhost in the connection's chain,
//! StrictHostCheck, then the TLS checks (SNI without Host 400, strict SNI 403, another TLS
//! setup than the handshake's 421); and the origin self-referencing URLs are built on.

use crate::plan::ChainId;
use crate::prepare::generation::Generation;
use crate::serve::body::Body;
use crate::serve::errors::{page, site_error};
use crate::serve::handlers::mapping::CleanPath;
use crate::serve::handlers::static_files;
use crate::serve::journey::Journey;
use crate::serve::router::{self, Host, TlsVerdict};
use crate::serve::service::Conn;
use crate::serve::site::Site;
use hyper::header;
use hyper::http::request::Parts;
use hyper::{Response, StatusCode, Version};
use std::time::SystemTime;

/// The vhost a request reached, and `scheme://host[:port]` as the client named this server.
pub struct Arrival<'g> {
    pub site: &'g Site,
    pub origin: String,
}

/// The path of errors found before the request's own path is known.
static ROOT: CleanPath = CleanPath {
    segments: Vec::new(),
    trailing_slash: true,
};

/// The request as an error page found before its path was mapped sees it.
pub fn early<'a>(req: &'a Parts, origin: &'a str) -> static_files::Request<'a> {
    static_files::Request {
        method: &req.method,
        headers: &req.headers,
        path: &ROOT,
        query: None,
        origin,
        vars: None,
    }
}

/// httpd's per-connection step against the generation in service now (a reload between two
/// keep-alive requests applies to the second), then the per-request vhost choice and checks.
pub async fn arrive<'g>(
    req: &Parts,
    conn: &Conn,
    generation: &'g Generation,
    out: &mut Journey,
) -> Result<Arrival<'g>, Response<Body>> {
    let plan = &generation.plan;
    // The chain for the local address, and the member the handshake picked from the SNI.
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
        Err(router::BadHost(why)) => return Err(page(StatusCode::BAD_REQUEST, why, &req.method)),
    };
    if host.is_none() && req.version >= Version::HTTP_11 {
        return Err(page(StatusCode::BAD_REQUEST, "", &req.method));
    }
    let route = router::route(plan, chain, host.as_ref());
    out.target = Some(route.target);
    out.started = Some(SystemTime::now());
    let site = generation.site(route.target);
    let origin = origin(conn, host.as_ref(), site);
    let early = early(req, &origin);
    if host.is_some() && !route.matched && strict_host_check(generation, chain) {
        return Err(site_error(site, &early, StatusCode::BAD_REQUEST, "").await);
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
                return Err(site_error(site, &early, StatusCode::BAD_REQUEST, "").await);
            }
            TlsVerdict::StrictSni => {
                tracing::info!(
                    "AH02033: No hostname was provided via SNI for a name based virtual host"
                );
                return Err(site_error(site, &early, StatusCode::FORBIDDEN, "The client software did not provide a hostname using Server Name Indication (SNI), which is required to access this server.").await);
            }
            TlsVerdict::Misdirected => {
                let handshake_name = &plan.vhost(plan.chains[c].members[handshake].vhost).name;
                tracing::info!(sni = tls.sni.as_deref().unwrap_or("(default host as no SNI was provided)"), handshake = %handshake_name, host = host.as_ref().map(|h| h.name.as_str()).unwrap_or(""), "AH02032: hostnames select vhosts with no compatible TLS setup");
                return Err(site_error(site, &early, StatusCode::MISDIRECTED_REQUEST, "").await);
            }
        }
    }
    Ok(Arrival { site, origin })
}

/// The host a request names: the absolute URI's (HTTP/1) or `:authority` (HTTP/2), else the
/// Host header. Two Host headers are malformed, as httpd's merged value would be, and so is an
/// HTTP/2 `host` that disagrees with `:authority`.
pub fn raw_host(req: &Parts) -> Result<Option<String>, router::BadHost> {
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

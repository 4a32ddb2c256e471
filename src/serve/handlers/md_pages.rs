//! Takes a request and the generation in service and gives mod_md's answers: the http-01
//! key authorization for `/.well-known/acme-challenge/<token>` (any vhost, any port, before
//! vhost checks), `/.httpd/certificate-status` (MDCertificateStatus), the `md-status`
//! handler's JSON, and the 503 httpd sends while a vhost has only the fallback certificate.

use crate::md::{live, status};
use crate::prepare::generation::Generation;
use crate::serve::arrival::raw_host;
use crate::serve::body::{self, Body};
use crate::serve::errors::page;
use crate::serve::site::Site;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Response, StatusCode};

const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge/";
const CERT_STATUS: &str = "/.httpd/certificate-status";

/// The request's host name, lowercased, without port.
fn host(req: &Parts) -> Option<String> {
    let h = raw_host(req).ok()??;
    let name = match h.rsplit_once(':') {
        Some((n, p)) if !n.ends_with(']') || p.chars().all(|c| c.is_ascii_digit()) => n,
        _ => h.as_str(),
    };
    Some(name.trim_end_matches('.').to_ascii_lowercase())
}

fn not_get(req: &Parts) -> Response<Body> {
    page(StatusCode::NOT_IMPLEMENTED, "", &req.method)
}

fn json(v: &serde_json::Value, method: &Method) -> Response<Body> {
    let text = serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let len = text.len();
    let mut r = Response::new(if method == Method::HEAD {
        body::empty()
    } else {
        body::full(text)
    });
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

/// Answers mod_md gives before any vhost is chosen; `None`: not one of them.
pub fn early(req: &Parts, generation: &Generation) -> Option<Response<Body>> {
    let path = req.uri.path();
    if generation.plan.md.domains.is_empty() {
        return None;
    }
    if let Some(token) = path.strip_prefix(CHALLENGE_PREFIX) {
        if token.is_empty() || token.contains('/') {
            return None;
        }
        let answer = live::http_answer(&host(req)?)?;
        if req.method != Method::GET {
            return Some(not_get(req));
        }
        // As mod_md: the key authorization, no Content-Type.
        let len = answer.len();
        let mut r = Response::new(body::full(answer));
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        return Some(r);
    }
    if path == CERT_STATUS {
        let v = status::certificate_status(&generation.plan, &generation.certs, &host(req)?)?;
        if req.method != Method::GET {
            return Some(not_get(req));
        }
        return Some(json(&v, &req.method));
    }
    None
}

/// httpd's answer on a vhost serving only the self-signed fallback to a client that sent
/// SNI (it could not have verified the handshake): 503 until the certificate is obtained.
pub fn unavailable(site: &Site, sni: bool, method: &Method) -> Option<Response<Body>> {
    let slot = site.md_slot.as_ref()?;
    if !sni || !slot.facts.load().is_self_signed_fallback() {
        return None;
    }
    let mut r = page(
        StatusCode::SERVICE_UNAVAILABLE,
        "The certificate for this site is being obtained; please try again later.",
        method,
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    Some(r)
}

/// The `md-status` handler: every managed domain, or the one the last path segment names.
pub fn md_status(req: &Parts, generation: &Generation) -> Response<Body> {
    if req.method != Method::GET && req.method != Method::HEAD {
        return not_get(req);
    }
    let last = req
        .uri
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let plan = &generation.plan;
    let named = plan
        .md
        .domains
        .iter()
        .any(|m| m.name == last || m.domains.iter().any(|d| d == last));
    let rest = if named { last } else { "" };
    match status::md_status(plan, &generation.certs, rest) {
        Some(v) => json(&v, &req.method),
        None => page(StatusCode::NOT_FOUND, "", &req.method),
    }
}

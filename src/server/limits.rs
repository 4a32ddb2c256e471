//! Takes a server's connection settings (`Timeout`, `KeepAlive*`, `LimitRequest*`, the MPM's
//! `MaxRequestWorkers`) and gives the limits a connection runs under, with httpd's defaults;
//! and judges a request head against them (414 / 400), as httpd's protocol reader does.

use crate::config::model::ServerConf;
use hyper::{HeaderMap, Method, StatusCode, Uri};
use std::time::Duration;

/// What one connection may take, fixed when it is accepted (from the default vhost of its
/// address, as httpd reads these before the Host header is known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// `Timeout` (60 s): the TLS handshake, the request head, each body read, each send.
    pub timeout: Duration,
    /// `KeepAlive` (On).
    pub keep_alive: bool,
    /// `KeepAliveTimeout` (5 s): how long an idle connection waits for its next request.
    pub keep_alive_timeout: Duration,
    /// `MaxKeepAliveRequests` (100; 0 is unlimited).
    pub max_keep_alive_requests: u32,
    /// `LimitRequestLine` (8190).
    pub line: usize,
    /// `LimitRequestFieldSize` (8190).
    pub field_size: usize,
    /// `LimitRequestFields` (100; 0 is unlimited).
    pub fields: usize,
}

/// httpd's `DEFAULT_LIMIT_REQUEST_LINE` and `DEFAULT_LIMIT_REQUEST_FIELDSIZE`.
pub const DEFAULT_LIMIT: usize = 8190;
/// The whole head is never buffered past this much, whatever the per-field limits allow.
pub const HEAD_FLOOR: usize = 128 * 1024;

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            timeout: Duration::from_secs(60),
            keep_alive: true,
            keep_alive_timeout: Duration::from_secs(5),
            max_keep_alive_requests: 100,
            line: DEFAULT_LIMIT,
            field_size: DEFAULT_LIMIT,
            fields: 100,
        }
    }
}

impl ConnLimits {
    /// The limits a server's (merged) settings give.
    pub fn of(conf: &ServerConf) -> ConnLimits {
        let d = ConnLimits::default();
        let c = &conf.conn;
        ConnLimits {
            timeout: c.timeout.as_ref().map_or(d.timeout, |t| t.value),
            keep_alive: c.keep_alive.as_ref().is_none_or(|k| k.value),
            keep_alive_timeout: c
                .keep_alive_timeout
                .as_ref()
                .map_or(d.keep_alive_timeout, |t| t.value),
            max_keep_alive_requests: c
                .max_keep_alive_requests
                .as_ref()
                .map_or(d.max_keep_alive_requests, |m| m.value),
            line: c
                .limit_request_line
                .as_ref()
                .map_or(d.line, |v| v.value as usize),
            field_size: c
                .limit_request_field_size
                .as_ref()
                .map_or(d.field_size, |v| v.value as usize),
            fields: c
                .limit_request_fields
                .as_ref()
                .map_or(d.fields, |v| v.value as usize),
        }
    }

    /// The most a request head may take in the read buffer (hyper answers 431 past it): room
    /// for the request line and two fields at their limits, and never less than `HEAD_FLOOR`
    /// (which is above hyper's minimum buffer of 8192).
    pub fn head_bytes(&self) -> usize {
        (self.line + 2 * (self.field_size + 2) + 1024).max(HEAD_FLOOR)
    }

    /// The field count hyper's parser must allow so that ours decides (httpd says 400 past
    /// `LimitRequestFields`); `None` keeps hyper's default of 100, which answers 431 beyond.
    pub fn parser_fields(&self) -> Option<usize> {
        match self.fields {
            0 => Some(10_000),
            n if n > 100 => Some(n + 1),
            _ => None,
        }
    }
}

/// Judges a parsed request head as httpd's `ap_read_request` would: a request line over
/// `LimitRequestLine` is 414, a field over `LimitRequestFieldSize` or more fields than
/// `LimitRequestFields` is 400, and so is a body chunked twice (a smuggling shape). `None`
/// when the head is fine.
pub fn check_head(
    limits: &ConnLimits,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<(StatusCode, &'static str)> {
    // "METHOD SP target SP HTTP/x.y"
    let target = match (uri.scheme_str(), uri.authority()) {
        (Some(s), Some(a)) => {
            s.len() + 3 + a.as_str().len() + uri.path_and_query().map_or(0, |p| p.as_str().len())
        }
        _ => uri.path_and_query().map_or(1, |p| p.as_str().len()),
    };
    if method.as_str().len() + 1 + target + 9 > limits.line {
        return Some((
            StatusCode::URI_TOO_LONG,
            "The requested URL's length exceeds the capacity limit for this server.",
        ));
    }
    // A body chunked twice (RFC 9112 §6.1) would be decoded once here and twice by a peer.
    // (With both Content-Length and Transfer-Encoding, hyper drops the length, frames by
    // chunks and closes the connection after the answer, so nothing is smuggled past it.)
    let te = headers.get_all(hyper::header::TRANSFER_ENCODING);
    if te.iter().next().is_some() {
        let chunked = te
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("").split(','))
            .filter(|c| c.trim().eq_ignore_ascii_case("chunked"))
            .count();
        if chunked > 1 {
            return Some((
                StatusCode::BAD_REQUEST,
                "The request body is chunked more than once.",
            ));
        }
    }
    if limits.fields != 0 && headers.len() > limits.fields {
        return Some((
            StatusCode::BAD_REQUEST,
            "The number of request header fields exceeds this server's limit.",
        ));
    }
    // "Name: value"
    let too_long = headers
        .iter()
        .any(|(k, v)| k.as_str().len() + 2 + v.len() > limits.field_size);
    if too_long {
        return Some((
            StatusCode::BAD_REQUEST,
            "Size of a request header field exceeds server limit.",
        ));
    }
    None
}

/// The connection cap: what the descriptor limit leaves room for (a reserve kept for files,
/// logs and upstreams), and `MaxRequestWorkers` times `AsyncRequestWorkerFactor + 1` (the event
/// MPM's bound on connections) when the configuration sets it.
pub fn connection_cap(fd_limit: u64, workers: Option<(u64, u64)>) -> usize {
    let by_fds = fd_limit.saturating_sub(64).max(16);
    let by_workers = workers.map_or(u64::MAX, |(w, factor)| w.saturating_mul(factor + 1));
    usize::try_from(by_fds.min(by_workers)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(text: &str) -> ConnLimits {
        let loaded = crate::config::loader::load_text(
            std::path::Path::new("t.conf"),
            text,
            &crate::config::loader::LoadOptions::new("/".into()),
        );
        let (model, diags) =
            crate::config::build::build(&loaded, std::path::Path::new("/"), &Default::default());
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        ConnLimits::of(&model.main)
    }

    #[test]
    fn httpd_defaults_and_directives() {
        assert_eq!(limits(""), ConnLimits::default());
        let l = limits(
            "Timeout 3\nKeepAlive Off\nKeepAliveTimeout 2\nMaxKeepAliveRequests 0\n\
             LimitRequestLine 100\nLimitRequestFieldSize 50\nLimitRequestFields 3\n",
        );
        assert_eq!(l.timeout, Duration::from_secs(3));
        assert!(!l.keep_alive);
        assert_eq!(l.keep_alive_timeout, Duration::from_secs(2));
        assert_eq!(
            (l.max_keep_alive_requests, l.line, l.field_size, l.fields),
            (0, 100, 50, 3)
        );
        assert_eq!(l.head_bytes(), HEAD_FLOOR);
        assert_eq!(l.parser_fields(), None);
        assert_eq!(limits("LimitRequestFields 0").parser_fields(), Some(10_000));
    }

    #[test]
    fn heads_over_their_limits() {
        let l = ConnLimits {
            line: 40,
            field_size: 20,
            fields: 2,
            ..ConnLimits::default()
        };
        let ok: Uri = "/short".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("host", "a.test".parse().unwrap());
        assert_eq!(check_head(&l, &Method::GET, &ok, &h), None);
        let long: Uri = format!("/{}", "a".repeat(30)).parse().unwrap();
        assert_eq!(
            check_head(&l, &Method::GET, &long, &h).map(|r| r.0),
            Some(StatusCode::URI_TOO_LONG)
        );
        let abs: Uri = "http://a.test/123456789012345678".parse().unwrap();
        assert_eq!(
            check_head(&l, &Method::GET, &abs, &h).map(|r| r.0),
            Some(StatusCode::URI_TOO_LONG)
        );
        h.insert("x-a", "b".repeat(15).parse().unwrap());
        assert_eq!(check_head(&l, &Method::GET, &ok, &h), None);
        h.insert("x-a", "b".repeat(16).parse().unwrap());
        assert_eq!(
            check_head(&l, &Method::GET, &ok, &h).map(|r| r.1),
            Some("Size of a request header field exceeds server limit.")
        );
        h.insert("x-a", "b".parse().unwrap());
        let mut framed = h.clone();
        framed.insert("transfer-encoding", "chunked".parse().unwrap());
        let d = ConnLimits::default();
        assert_eq!(check_head(&d, &Method::POST, &ok, &framed), None);
        framed.append("transfer-encoding", "chunked".parse().unwrap());
        assert!(
            check_head(&d, &Method::POST, &ok, &framed).is_some(),
            "chunked twice"
        );
        h.insert("x-b", "b".parse().unwrap());
        assert_eq!(
            check_head(&l, &Method::GET, &ok, &h).map(|r| r.0),
            Some(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn connection_cap_leaves_descriptors_spare() {
        assert_eq!(connection_cap(1024, None), 960);
        assert_eq!(connection_cap(1024, Some((150, 2))), 450);
        assert_eq!(connection_cap(10, None), 16);
    }
}

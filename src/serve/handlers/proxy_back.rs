//! Takes the backend's answer to a forwarded request and gives the client's response: framing
//! a peer could read two ways refused (502, the connection not pooled again), a `101` turned
//! into a tunnel the graceful stop waits for, hop-by-hop headers out, ProxyPassReverse on
//! Location, Content-Location and URI, and the `max=` place held until the body is done.

use super::proxy::{Back, Forward, failure, strip_hop_by_hop};
use super::proxy_map;
use crate::serve::body::{self, Body};
use http_body_util::BodyExt;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;

/// The client's response to the backend's answer `resp`.
pub(super) fn answer(
    resp: Response<hyper::body::Incoming>,
    f: &Forward<'_>,
    back: Back,
) -> Response<Body> {
    let (mut rparts, rbody) = resp.into_parts();
    if let Some(why) = bad_framing(&rparts.headers) {
        // The body is dropped unread, so the connection is not pooled again.
        tracing::error!(vhost = %f.rules.server_name, upstream = %f.url, why, "the backend's response framing is ambiguous");
        return failure(
            StatusCode::BAD_GATEWAY,
            "the backend sent an invalid response",
        );
    }
    if rparts.status == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client_side) = back.client_upgrade else {
            return failure(
                StatusCode::BAD_GATEWAY,
                "the backend switched protocols unasked",
            );
        };
        let upstream_side = hyper::upgrade::on(Response::from_parts(rparts.clone(), ()));
        let permit = back.permit;
        f.tasks.spawn(async move {
            tunnel(client_side, upstream_side).await;
            drop(permit);
        });
        let mut r = Response::new(body::empty());
        *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        strip_hop_by_hop(&mut rparts.headers, true);
        if let Some(p) = &back.upgrade
            && let Ok(v) = HeaderValue::from_str(p)
        {
            rparts.headers.insert(header::UPGRADE, v);
        }
        *r.headers_mut() = rparts.headers;
        return r;
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
    let body = match back.permit {
        // The `max=` place is held until the body is done.
        Some(permit) => body::Guarded {
            inner: body,
            guard: permit,
        }
        .boxed_unsync(),
        None => body,
    };
    Response::from_parts(rparts, body)
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
}

//! Takes a file's content (in memory or open on disk), its validators and type headers, and
//! the request, and gives the default handler's answer: 304 or 412 by the preconditions, then
//! the whole file, one range, or multipart/byteranges (capped by MaxRanges), or 416; HEAD gets
//! the headers alone.

use super::conditional::{self, FileHeaders, Precondition, Ranges, Validators};
use super::file_body::{self, Segment};
use super::mapping::Settings;
use super::mime::TypeHeaders;
use super::static_files::{Request, Served, error, handled};
use crate::serve::body::{self, Body};
use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Response, StatusCode};
use std::sync::Arc;

/// A file's bytes: in memory (small files) or an open file to stream from.
pub(super) enum Content {
    Memory(Bytes),
    Disk(std::fs::File),
}

impl Content {
    /// An open file's content: read whole when small (so the answer needs no further hop off
    /// the runtime, and can be cached), else kept open to stream; and its length.
    pub(super) fn load(
        mut f: std::fs::File,
        m: &std::fs::Metadata,
    ) -> std::io::Result<(Content, u64)> {
        use std::io::Read;
        if m.len() > super::file_cache::MAX_ENTRY {
            return Ok((Content::Disk(f), m.len()));
        }
        let mut buf = Vec::with_capacity(m.len() as usize);
        f.read_to_end(&mut buf)?;
        // What was read is what is served: a file that grew or shrank meanwhile is served as
        // read, and its changed identity makes the next request read it again.
        let len = buf.len() as u64;
        Ok((Content::Memory(Bytes::from(buf)), len))
    }

    /// `len` bytes from `start`, as a body.
    async fn range(self, start: u64, len: u64) -> std::io::Result<Body> {
        match self {
            Content::Memory(b) => {
                let (s, e) = (start as usize, (start + len) as usize);
                Ok(body::full(b.slice(s.min(b.len())..e.min(b.len()))))
            }
            Content::Disk(f) => Ok(file_body::range(f, start, len)),
        }
    }

    fn parts(self, segments: Vec<Segment>) -> Body {
        match self {
            Content::Memory(b) => {
                let mut out = Vec::new();
                for seg in segments {
                    match seg {
                        Segment::Bytes(x) => out.extend_from_slice(&x),
                        Segment::Range(s, e) => out.extend_from_slice(
                            &b[(s as usize).min(b.len())..((e + 1) as usize).min(b.len())],
                        ),
                    }
                }
                body::full(out)
            }
            Content::Disk(f) => file_body::multipart(f, segments),
        }
    }
}

/// The answer for a file that passed the access checks.
pub(super) async fn send_file(
    content: Content,
    fh: &FileHeaders,
    th: TypeHeaders,
    req: &Request<'_>,
    settings: Arc<Settings>,
) -> Served {
    let mut headers = validator_headers(fh, th.encoding, th.vary);
    match conditional::preconditions(req.method, req.headers, &fh.validators) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            let mut r = handled(Response::new(body::empty()));
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            *r.headers_mut() = headers;
            return Served::Done(r);
        }
        Precondition::Failed => return error(StatusCode::PRECONDITION_FAILED, settings),
    }
    let cap = settings
        .dir
        .max_ranges
        .as_ref()
        .map_or(conditional::MAX_RANGES, |m| m.value);
    let ranges = conditional::ranges_capped(req.method, req.headers, fh.len, &fh.validators, cap);
    let head = *req.method == Method::HEAD;
    let Some((status, body, length)) =
        ranged(content, ranges, fh, th.content_type, &mut headers, head).await
    else {
        return Served::Error {
            status: StatusCode::RANGE_NOT_SATISFIABLE,
            settings,
            allow: false,
            len_for_416: Some(fh.len),
            detail: String::new(),
        };
    };
    let Ok(body) = body else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, settings);
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    let mut r = handled(Response::new(body));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    Served::Done(r)
}

/// ETag, Last-Modified, Accept-Ranges, Content-Encoding and Vary: what a 304 carries too.
fn validator_headers(fh: &FileHeaders, encoding: Option<HeaderValue>, vary: bool) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(8);
    if let Some(etag) = &fh.etag {
        headers.insert(header::ETAG, etag.clone());
    }
    if let Some(lm) = &fh.last_modified {
        headers.insert(header::LAST_MODIFIED, lm.clone());
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(enc) = encoding {
        headers.insert(header::CONTENT_ENCODING, enc);
    }
    if vary {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    headers
}

/// The status, body (empty for HEAD) and length for the ranges asked, with Content-Type and
/// Content-Range set; `None` when no range can be satisfied.
async fn ranged(
    content: Content,
    ranges: Ranges,
    fh: &FileHeaders,
    mime: HeaderValue,
    headers: &mut HeaderMap,
    head: bool,
) -> Option<(StatusCode, std::io::Result<Body>, u64)> {
    let len = fh.len;
    let (status, start, count) = match ranges {
        Ranges::Unsatisfiable => return None,
        Ranges::Full => (StatusCode::OK, 0, len),
        Ranges::Partial(parts) if parts.len() == 1 => {
            let (s, e) = parts[0];
            if let Ok(cr) = HeaderValue::from_str(&format!("bytes {s}-{e}/{len}")) {
                headers.insert(header::CONTENT_RANGE, cr);
            }
            (StatusCode::PARTIAL_CONTENT, s, e - s + 1)
        }
        Ranges::Partial(parts) => {
            let boundary = boundary(&fh.validators);
            let mime = mime.to_str().unwrap_or("application/octet-stream");
            let (segments, total) = multipart(&parts, len, mime, &boundary);
            if let Ok(ct) =
                HeaderValue::from_str(&format!("multipart/byteranges; boundary={boundary}"))
            {
                headers.insert(header::CONTENT_TYPE, ct);
            }
            let body = if head {
                body::empty()
            } else {
                content.parts(segments)
            };
            return Some((StatusCode::PARTIAL_CONTENT, Ok(body), total));
        }
    };
    headers.insert(header::CONTENT_TYPE, mime);
    let body = if head {
        Ok(body::empty())
    } else {
        content.range(start, count).await
    };
    Some((status, body, count))
}

fn boundary(v: &Validators) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.etag.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

fn multipart(parts: &[(u64, u64)], len: u64, mime: &str, boundary: &str) -> (Vec<Segment>, u64) {
    let mut segs = Vec::new();
    let mut total = 0u64;
    for &(s, e) in parts {
        let head = format!(
            "\r\n--{boundary}\r\nContent-Type: {mime}\r\nContent-Range: bytes {s}-{e}/{len}\r\n\r\n"
        );
        total += head.len() as u64 + (e - s + 1);
        segs.push(Segment::Bytes(Bytes::from(head)));
        segs.push(Segment::Range(s, e));
    }
    let tail = format!("\r\n--{boundary}--\r\n");
    total += tail.len() as u64;
    segs.push(Segment::Bytes(Bytes::from(tail)));
    (segs, total)
}

//! Pure RFC 9110 logic for static responses: the validators of a file (strong ETag,
//! Last-Modified), the precondition verdict (If-Match, If-Unmodified-Since, If-None-Match,
//! If-Modified-Since, in the RFC's order), and the Range decision (If-Range, single and multiple
//! ranges, overlapping ranges merged, a cap on parts, 416).

use hyper::Method;
use hyper::header::{
    HeaderMap, HeaderValue, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE,
    IF_UNMODIFIED_SINCE, RANGE,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// At most this many parts after merging; more is served as the whole file (RFC 9110 allows it).
pub const MAX_RANGES: usize = 16;

/// What a file is compared by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validators {
    /// A strong ETag, quoted: `"size-mtime"` in hex, as httpd's `FileETag MTime Size`.
    pub etag: String,
    /// Whole seconds, as HTTP dates carry.
    pub last_modified: SystemTime,
}

impl Validators {
    pub fn new(len: u64, modified: SystemTime) -> Self {
        let since = modified.duration_since(UNIX_EPOCH).unwrap_or_default();
        let micros = since.as_micros();
        Validators {
            etag: format!("\"{len:x}-{micros:x}\""),
            last_modified: UNIX_EPOCH + Duration::from_secs(since.as_secs()),
        }
    }
}

/// One version of a file's validators and the response headers they make, built once (for a
/// cached file, once for as long as it is unchanged).
#[derive(Clone, Debug)]
pub struct FileHeaders {
    pub len: u64,
    pub validators: Validators,
    pub etag: Option<HeaderValue>,
    pub last_modified: Option<HeaderValue>,
}

impl FileHeaders {
    pub fn new(len: u64, modified: SystemTime) -> Self {
        let validators = Validators::new(len, modified);
        FileHeaders {
            len,
            etag: HeaderValue::from_str(&validators.etag).ok(),
            last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(
                validators.last_modified,
            ))
            .ok(),
            validators,
        }
    }

    /// The same file's headers for a representation in another content coding (a
    /// precompressed sibling's): its ETag names the coding, so no cache mixes the two up.
    pub fn coded(mut self, token: &str) -> Self {
        let tag = self.validators.etag.trim_end_matches('"');
        self.validators.etag = format!("{tag}-{token}\"");
        self.etag = HeaderValue::from_str(&self.validators.etag).ok();
        self
    }
}

/// The outcome of the preconditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    Proceed,
    NotModified,
    Failed,
}

fn header<'a>(h: &'a HeaderMap, name: &hyper::header::HeaderName) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The entity tags of an If-Match / If-None-Match list; `None` for `*`.
fn tags(list: &str) -> Option<Vec<(bool, &str)>> {
    if list.trim() == "*" {
        return None;
    }
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| match t.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, t),
            })
            .collect(),
    )
}

fn date(v: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(v.trim()).ok()
}

/// RFC 9110 section 13.2.2, steps 1 to 4.
pub fn preconditions(method: &Method, h: &HeaderMap, v: &Validators) -> Precondition {
    let get_or_head = method == Method::GET || method == Method::HEAD;
    if let Some(im) = header(h, &IF_MATCH) {
        let ok = match tags(im) {
            None => true,
            Some(list) => list.iter().any(|(weak, t)| !weak && *t == v.etag),
        };
        if !ok {
            return Precondition::Failed;
        }
    } else if let Some(d) = header(h, &IF_UNMODIFIED_SINCE).and_then(date)
        && v.last_modified > d
    {
        return Precondition::Failed;
    }
    if let Some(inm) = header(h, &IF_NONE_MATCH) {
        let matched = match tags(inm) {
            None => true,
            Some(list) => list.iter().any(|(_, t)| *t == v.etag),
        };
        if matched {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if get_or_head
        && let Some(d) = header(h, &IF_MODIFIED_SINCE).and_then(date)
        && v.last_modified <= d
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

/// What to send of the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ranges {
    Full,
    /// Inclusive byte ranges, sorted and merged.
    Partial(Vec<(u64, u64)>),
    Unsatisfiable,
}

/// RFC 9110 section 14: only for GET; If-Range must hold; bad syntax means the whole file.
pub fn ranges(method: &Method, h: &HeaderMap, len: u64, v: &Validators) -> Ranges {
    ranges_capped(method, h, len, v, MAX_RANGES)
}

/// As [`ranges`], with `MaxRanges`: more than `cap` parts after merging is the whole file, and
/// a cap of 0 (`MaxRanges none`) ignores Range altogether.
pub fn ranges_capped(
    method: &Method,
    h: &HeaderMap,
    len: u64,
    v: &Validators,
    cap: usize,
) -> Ranges {
    if method != Method::GET || cap == 0 {
        return Ranges::Full;
    }
    let Some(spec) = header(h, &RANGE) else {
        return Ranges::Full;
    };
    if let Some(ir) = header(h, &IF_RANGE) {
        let ir = ir.trim();
        let holds = if ir.starts_with('"') {
            ir == v.etag
        } else {
            date(ir).is_some_and(|d| d == v.last_modified)
        };
        if !holds {
            return Ranges::Full;
        }
    }
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return Ranges::Full;
    };
    let mut parts = Vec::new();
    for item in set.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((a, b)) = item.split_once('-') else {
            return Ranges::Full;
        };
        let (a, b) = (a.trim(), b.trim());
        let range = if a.is_empty() {
            let Ok(n) = b.parse::<u64>() else {
                return Ranges::Full;
            };
            if n == 0 {
                continue;
            }
            (len.saturating_sub(n), len.saturating_sub(1))
        } else {
            let Ok(start) = a.parse::<u64>() else {
                return Ranges::Full;
            };
            let end = if b.is_empty() {
                len.saturating_sub(1)
            } else {
                let Ok(end) = b.parse::<u64>() else {
                    return Ranges::Full;
                };
                if end < start {
                    return Ranges::Full;
                }
                end.min(len.saturating_sub(1))
            };
            if start >= len {
                continue;
            }
            (start, end)
        };
        if len > 0 {
            parts.push(range);
        }
    }
    if parts.is_empty() {
        return Ranges::Unsatisfiable;
    }
    parts.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(parts.len());
    for (s, e) in parts {
        match merged.last_mut() {
            Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    if merged.len() > cap {
        return Ranges::Full;
    }
    Ranges::Partial(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn v() -> Validators {
        Validators::new(1000, UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    }

    fn h(pairs: &[(hyper::header::HeaderName, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, val) in pairs {
            m.append(k.clone(), HeaderValue::from_str(val).unwrap());
        }
        m
    }

    #[test]
    fn precondition_order() {
        let v = v();
        let lm = httpdate::fmt_http_date(v.last_modified);
        let old = httpdate::fmt_http_date(v.last_modified - Duration::from_secs(10));
        let g = Method::GET;
        assert_eq!(
            preconditions(&g, &h(&[(IF_NONE_MATCH, &v.etag)]), &v),
            Precondition::NotModified
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_NONE_MATCH, &format!("W/{}", v.etag))]), &v),
            Precondition::NotModified
        );
        assert_eq!(
            preconditions(&Method::POST, &h(&[(IF_NONE_MATCH, "*")]), &v),
            Precondition::Failed
        );
        assert_eq!(
            preconditions(
                &g,
                &h(&[(IF_NONE_MATCH, "\"other\""), (IF_MODIFIED_SINCE, &lm)]),
                &v
            ),
            Precondition::Proceed
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_MODIFIED_SINCE, &lm)]), &v),
            Precondition::NotModified
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_MODIFIED_SINCE, &old)]), &v),
            Precondition::Proceed
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_MATCH, "\"nope\"")]), &v),
            Precondition::Failed
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_MATCH, &format!("W/{}", v.etag))]), &v),
            Precondition::Failed
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_MATCH, &v.etag)]), &v),
            Precondition::Proceed
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_MATCH, "*"), (IF_UNMODIFIED_SINCE, &old)]), &v),
            Precondition::Proceed
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_UNMODIFIED_SINCE, &old)]), &v),
            Precondition::Failed
        );
        assert_eq!(
            preconditions(&g, &h(&[(IF_UNMODIFIED_SINCE, "garbage")]), &v),
            Precondition::Proceed
        );
    }

    #[test]
    fn range_cases() {
        let v = v();
        let g = Method::GET;
        let r = |s: &str| ranges(&g, &h(&[(RANGE, s)]), 1000, &v);
        assert_eq!(r("bytes=0-99"), Ranges::Partial(vec![(0, 99)]));
        assert_eq!(r("bytes=-100"), Ranges::Partial(vec![(900, 999)]));
        assert_eq!(r("bytes=990-"), Ranges::Partial(vec![(990, 999)]));
        assert_eq!(r("bytes=990-5000"), Ranges::Partial(vec![(990, 999)]));
        assert_eq!(
            r("bytes=0-10,5-20,21-30,100-200"),
            Ranges::Partial(vec![(0, 30), (100, 200)])
        );
        assert_eq!(r("bytes=1000-"), Ranges::Unsatisfiable);
        assert_eq!(r("bytes=-0"), Ranges::Unsatisfiable);
        assert_eq!(r("bytes=5-1"), Ranges::Full);
        assert_eq!(r("items=0-1"), Ranges::Full);
        assert_eq!(r("bytes=a-b"), Ranges::Full);
        let many: Vec<String> = (0..40)
            .map(|i| format!("{}-{}", i * 20, i * 20 + 1))
            .collect();
        assert_eq!(r(&format!("bytes={}", many.join(","))), Ranges::Full);
        assert_eq!(
            ranges(&Method::HEAD, &h(&[(RANGE, "bytes=0-1")]), 1000, &v),
            Ranges::Full
        );
        assert_eq!(
            ranges(
                &g,
                &h(&[(RANGE, "bytes=0-1"), (IF_RANGE, "\"stale\"")]),
                1000,
                &v
            ),
            Ranges::Full
        );
        assert_eq!(
            ranges(
                &g,
                &h(&[(RANGE, "bytes=0-1"), (IF_RANGE, &v.etag)]),
                1000,
                &v
            ),
            Ranges::Partial(vec![(0, 1)])
        );
        let lm = httpdate::fmt_http_date(v.last_modified);
        assert_eq!(
            ranges(&g, &h(&[(RANGE, "bytes=0-1"), (IF_RANGE, &lm)]), 1000, &v),
            Ranges::Partial(vec![(0, 1)])
        );
        assert_eq!(
            ranges(&g, &h(&[(RANGE, "bytes=0-1")]), 0, &v),
            Ranges::Unsatisfiable
        );
    }
}

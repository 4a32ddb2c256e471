//! Takes a file found beneath its root and the codings `Precompressed` names, and gives its
//! precompressed siblings (`f.br`, `f.gz`: regular files, reached by the same symlink rules, no
//! older than `f`); and, purely, which one a request's Accept-Encoding lets us send.

use super::beneath::RootDir;
use super::conditional::FileHeaders;
use super::file_cache::Stamp;
use super::file_response::Content;
use crate::config::model::Coding;
use hyper::header::{self, HeaderMap};
use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// A sibling that may be sent instead of its file.
pub(super) struct Sibling {
    pub coding: Coding,
    pub content: Content,
    pub headers: FileHeaders,
}

/// Whether the client takes `coding` (RFC 9110 §12.5.3): named with a weight above zero
/// (`x-gzip` is `gzip`), or not named and `*` is.
pub fn accepts(h: &HeaderMap, coding: Coding) -> bool {
    let mut star = None;
    for item in h
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, v)| v.trim().parse::<f32>().unwrap_or(0.0));
        let named = name.eq_ignore_ascii_case(coding.token())
            || (coding == Coding::Gzip && name.eq_ignore_ascii_case("x-gzip"));
        if named {
            return q > 0.0;
        }
        if name == "*" {
            star = Some(q > 0.0);
        }
    }
    star.unwrap_or(false)
}

/// The first of `variants` (kept in the server's order of preference) the client accepts.
pub fn choose<T>(variants: &[T], coding: impl Fn(&T) -> Coding, h: &HeaderMap) -> Option<usize> {
    if variants.is_empty() {
        return None;
    }
    variants.iter().position(|v| accepts(h, coding(v)))
}

/// The siblings of `file` (at `rel` beneath `dir`, `meta` its metadata) for `codings`, and
/// what their answer depends on: each sibling, and the directory, whose mtime changes when a
/// sibling is added or removed. A sibling older than its file is stale and left out.
pub(super) fn probe(
    dir: &RootDir,
    rel: &Path,
    file: &Path,
    meta: &Metadata,
    codings: &[Coding],
    follow: bool,
) -> (Vec<Sibling>, Vec<Stamp>) {
    let mut found = Vec::new();
    let mut stamps = Vec::new();
    if codings.is_empty() {
        return (found, stamps);
    }
    if let Some(parent) = file.parent()
        && let Ok(m) = std::fs::metadata(parent)
    {
        stamps.push(Stamp::new(parent.to_path_buf(), &m));
    }
    let modified = meta.modified().ok();
    for &coding in codings {
        let with = |p: &Path| {
            let mut s = p.as_os_str().to_owned();
            s.push(coding.suffix());
            PathBuf::from(s)
        };
        let Ok(f) = dir.open_file(&with(rel), follow) else {
            continue;
        };
        let Ok(m) = f.metadata() else { continue };
        if !m.is_file() {
            continue;
        }
        let sibling_time = m.modified().ok();
        if sibling_time < modified {
            tracing::debug!(file = %file.display(), coding = coding.token(), "a precompressed sibling older than its file is not sent");
            continue;
        }
        let Ok((content, len)) = Content::load(f, &m) else {
            continue;
        };
        let at = sibling_time.unwrap_or(std::time::UNIX_EPOCH);
        stamps.push(Stamp::new(with(file), &m));
        found.push(Sibling {
            coding,
            content,
            headers: FileHeaders::new(len, at).coded(coding.token()),
        });
    }
    (found, stamps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn asking(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_encoding_as_rfc_9110_reads_it() {
        let h = asking("gzip, deflate, br;q=0.5");
        assert!(accepts(&h, Coding::Gzip) && accepts(&h, Coding::Br));
        let h = asking("gzip;q=0, br");
        assert!(!accepts(&h, Coding::Gzip) && accepts(&h, Coding::Br));
        let h = asking("X-GZIP");
        assert!(accepts(&h, Coding::Gzip) && !accepts(&h, Coding::Br));
        let h = asking("*;q=0.1, br;q=0");
        assert!(accepts(&h, Coding::Gzip) && !accepts(&h, Coding::Br));
        let h = asking("identity");
        assert!(!accepts(&h, Coding::Gzip));
        assert!(
            !accepts(&HeaderMap::new(), Coding::Br),
            "no header: identity only"
        );
        let h = asking("gzip;q=nonsense");
        assert!(
            !accepts(&h, Coding::Gzip),
            "an unreadable weight is no consent"
        );
    }

    #[test]
    fn the_servers_order_decides_among_accepted() {
        let order = [Coding::Br, Coding::Gzip];
        let pick = |v: &str| choose(&order, |c| *c, &asking(v));
        assert_eq!(pick("gzip, br"), Some(0));
        assert_eq!(pick("gzip"), Some(1));
        assert_eq!(pick("deflate"), None);
    }
}

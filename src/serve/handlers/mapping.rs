//! Pure URL-to-file mapping for one vhost: the request path decoded once and normalised (never
//! above the root: `..` that would climb is refused, NUL, backslashes and encoded slashes never
//! reach the filesystem), `Redirect` (which beats `Alias`), `Alias`, DocumentRoot; and the
//! per-directory settings in force (server, `<Directory>` by depth, `<Location>` in order).

use crate::config::model::{DirConf, DirectoryIndex, ErrorDocument, OptFlags};
use crate::plan::dirmerge::merge_dir;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Why a path is refused before the filesystem is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    BadRequest,
    NotFound,
}

/// A decoded, normalised request path: its segments and whether it ended with `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CleanPath {
    pub segments: Vec<String>,
    pub trailing_slash: bool,
}

impl CleanPath {
    pub fn as_url(&self) -> String {
        let mut s = String::from("/");
        s.push_str(&self.segments.join("/"));
        if self.trailing_slash && !self.segments.is_empty() {
            s.push('/');
        }
        s
    }
}

/// Decodes once and removes dot segments; `..` above the root is a bad request.
pub fn clean_path(raw: &str) -> Result<CleanPath, Reject> {
    if !raw.starts_with('/') {
        return Err(Reject::BadRequest);
    }
    // httpd's ap_unescape_url: a `%` not followed by two hex digits is a bad request
    // (`.%%32%65`, CVE-2021-42013's shape, is never decoded twice into `..`).
    let b = raw.as_bytes();
    let bad_escape = b.iter().enumerate().any(|(i, &c)| {
        c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if bad_escape {
        return Err(Reject::BadRequest);
    }
    let lower = raw.to_ascii_lowercase();
    if lower.contains("%2f") {
        return Err(Reject::NotFound); // httpd: AllowEncodedSlashes Off
    }
    let bytes: Vec<u8> = percent_decode_str(raw).collect();
    if bytes.contains(&0) || bytes.contains(&b'\\') {
        return Err(Reject::BadRequest);
    }
    let decoded = String::from_utf8(bytes).map_err(|_| Reject::BadRequest)?;
    let mut segments: Vec<String> = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(Reject::BadRequest);
                }
            }
            s => segments.push(s.to_string()),
        }
    }
    let last = decoded.rsplit('/').next().unwrap_or("");
    let trailing_slash = decoded.ends_with('/') || last == "." || last == "..";
    Ok(CleanPath {
        segments,
        trailing_slash,
    })
}

/// Segment-wise prefix match (`/app` matches `/app` and `/app/x`, not `/apps`): the rest.
pub fn prefix_match<'a>(prefix: &str, path: &'a CleanPath) -> Option<&'a [String]> {
    let want: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    if want.len() > path.segments.len() || want.iter().zip(&path.segments).any(|(a, b)| a != b) {
        return None;
    }
    // A prefix ending in `/` needs the request to have it too.
    if prefix.ends_with('/')
        && prefix.len() > 1
        && want.len() == path.segments.len()
        && !path.trailing_slash
    {
        return None;
    }
    Some(&path.segments[want.len()..])
}

const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'%');

/// Segments back to an encoded URL path.
pub fn encode_segments(segs: &[String], trailing: bool) -> String {
    let mut s = String::new();
    for seg in segs {
        s.push('/');
        s.push_str(&utf8_percent_encode(seg, PATH).to_string());
    }
    if trailing || segs.is_empty() {
        s.push('/');
    }
    s
}

/// A redirect rule ready to match.
#[derive(Clone, Debug)]
pub struct RedirectRule {
    /// The URL-path prefix (`Redirect`), or the regex as written (`RedirectMatch`).
    pub prefix: String,
    /// `RedirectMatch`: matched against the decoded URL-path; `$N` in the target.
    pub regex: Option<crate::regex::Pattern>,
    pub status: u16,
    pub target: Option<String>,
}

/// An alias ready to match.
#[derive(Clone, Debug)]
pub struct AliasTarget {
    pub prefix: String,
    pub path: PathBuf,
}

/// What a URL maps to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapped {
    /// Status and Location (absent for 410 and other non-3xx statuses).
    Redirect(u16, Option<String>),
    /// A path under a filesystem root (the DocumentRoot or an Alias target).
    File { root: usize, rest: Vec<String> },
}

/// `Redirect` first (whatever the order), then `Alias`, then the DocumentRoot (root 0; alias
/// `i` is root `i + 1`). `origin` is `scheme://host[:port]` for targets that start with `/`.
pub fn map(
    path: &CleanPath,
    query: Option<&str>,
    redirects: &[RedirectRule],
    aliases: &[AliasTarget],
    origin: &str,
) -> Mapped {
    for r in redirects {
        if let Some(re) = &r.regex {
            let Some(caps) = re.captures(&path.as_url()) else {
                continue;
            };
            let location = r.target.as_ref().map(|t| {
                let found = substitute(t, &caps);
                let mut loc = if found.starts_with('/') {
                    format!("{origin}{found}")
                } else {
                    found
                };
                if let Some(q) = query.filter(|_| !loc.contains('?')) {
                    loc.push('?');
                    loc.push_str(q);
                }
                loc
            });
            return Mapped::Redirect(r.status, location);
        }
        if let Some(rest) = prefix_match(&r.prefix, path) {
            let location = r.target.as_ref().map(|t| {
                let mut loc = if t.starts_with('/') {
                    format!("{origin}{t}")
                } else {
                    t.clone()
                };
                // The rest of the path is appended as it was, as mod_alias does.
                if rest.is_empty() {
                    if path.trailing_slash && !r.prefix.ends_with('/') {
                        loc.push('/');
                    }
                } else {
                    loc.push_str(&encode_segments(rest, path.trailing_slash));
                }
                if let Some(q) = query {
                    loc.push('?');
                    loc.push_str(q);
                }
                loc
            });
            return Mapped::Redirect(r.status, location);
        }
    }
    for (i, a) in aliases.iter().enumerate() {
        if let Some(rest) = prefix_match(&a.prefix, path) {
            return Mapped::File {
                root: i + 1,
                rest: rest.to_vec(),
            };
        }
    }
    Mapped::File {
        root: 0,
        rest: path.segments.clone(),
    }
}

/// httpd's `ap_pregsub`: `$0`..`$9` (and `&`) are match groups, `\\c` is `c`.
pub fn substitute(template: &str, caps: &[Option<String>]) -> String {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('$', Some(d)) if d.is_ascii_digit() => {
                chars.next();
                let n = d as usize - '0' as usize;
                out.push_str(caps.get(n).and_then(|g| g.as_deref()).unwrap_or(""));
            }
            ('&', _) => out.push_str(caps.first().and_then(|g| g.as_deref()).unwrap_or("")),
            ('\\', Some(n)) if n == '$' || n == '&' || n == '\\' => {
                chars.next();
                out.push(n);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Per-directory settings in force for one request: the sections that apply merged in httpd's
/// order (see `site::Site::settings`).
#[derive(Clone, Debug)]
pub struct Settings {
    pub options: OptFlags,
    /// `None`: DirectoryIndex disabled.
    pub index: Option<Vec<String>>,
    pub error_documents: BTreeMap<u16, ErrorDocument>,
    /// Everything else, merged (access, headers, MIME, environment).
    pub dir: DirConf,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            options: OptFlags(0),
            index: Some(vec!["index.html".to_string()]),
            error_documents: BTreeMap::new(),
            dir: DirConf::default(),
        }
    }
}

impl Settings {
    /// Applies one context's directives on top.
    pub fn apply(&mut self, d: &DirConf) {
        if let Some(o) = &d.options {
            self.options = o.value.apply(self.options);
        }
        if let Some(i) = &d.directory_index {
            self.index = match &i.value {
                DirectoryIndex::Disabled => None,
                DirectoryIndex::Files(f) => Some(f.clone()),
            };
        }
        for (code, doc) in &d.error_documents {
            self.error_documents.insert(*code, doc.value.clone());
        }
        self.dir = merge_dir(d, &self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> CleanPath {
        clean_path(s).unwrap()
    }

    #[test]
    fn traversal_never_escapes() {
        assert_eq!(c("/a/./b/../c/").segments, vec!["a", "c"]);
        assert!(c("/a/b/..").trailing_slash);
        assert_eq!(clean_path("/../etc/passwd"), Err(Reject::BadRequest));
        assert_eq!(clean_path("/a/%2e%2e/%2e%2e/etc"), Err(Reject::BadRequest));
        assert_eq!(
            c("/%252e%252e/x").segments,
            vec!["%2e%2e", "x"],
            "decoded once only"
        );
        assert_eq!(clean_path("/a%2fb"), Err(Reject::NotFound));
        assert_eq!(clean_path("/a%00b"), Err(Reject::BadRequest));
        assert_eq!(clean_path("/.%%32%65/x"), Err(Reject::BadRequest));
        assert_eq!(clean_path("/a%2"), Err(Reject::BadRequest));
        assert_eq!(clean_path("/a%zz"), Err(Reject::BadRequest));
        assert_eq!(clean_path("/a\\..\\b"), Err(Reject::BadRequest));
        assert_eq!(clean_path("/a%5c..%5cb"), Err(Reject::BadRequest));
        assert_eq!(
            clean_path("/%c0%ae%c0%ae/x"),
            Err(Reject::BadRequest),
            "overlong UTF-8 is not valid UTF-8"
        );
        assert_eq!(clean_path("relative"), Err(Reject::BadRequest));
        assert_eq!(c("//a//b").segments, vec!["a", "b"]);
        assert_eq!(c("/caf%C3%A9").segments, vec!["café"]);
    }

    #[test]
    fn prefixes_match_whole_segments() {
        assert_eq!(prefix_match("/app", &c("/app")), Some(&[][..]));
        assert_eq!(
            prefix_match("/app", &c("/app/x")).map(<[String]>::len),
            Some(1)
        );
        assert_eq!(prefix_match("/app", &c("/apps")), None);
        assert_eq!(prefix_match("/app/", &c("/app")), None);
        assert_eq!(prefix_match("/app/", &c("/app/")), Some(&[][..]));
        assert_eq!(
            prefix_match("/", &c("/anything")).map(<[String]>::len),
            Some(1)
        );
    }

    #[test]
    fn redirect_beats_alias_and_appends_rest_and_query() {
        let redirects = vec![RedirectRule {
            regex: None,
            prefix: "/old".into(),
            status: 301,
            target: Some("/new".into()),
        }];
        let aliases = vec![AliasTarget {
            prefix: "/old".into(),
            path: "/x".into(),
        }];
        let m = map(
            &c("/old/a b"),
            Some("q=1"),
            &redirects,
            &aliases,
            "http://h:8080",
        );
        assert_eq!(
            m,
            Mapped::Redirect(301, Some("http://h:8080/new/a%20b?q=1".into()))
        );
        let m = map(&c("/old"), None, &redirects, &aliases, "http://h");
        assert_eq!(m, Mapped::Redirect(301, Some("http://h/new".into())));
        let gone = vec![RedirectRule {
            regex: None,
            prefix: "/g".into(),
            status: 410,
            target: None,
        }];
        assert_eq!(
            map(&c("/g/x"), None, &gone, &[], "http://h"),
            Mapped::Redirect(410, None)
        );
        assert_eq!(
            map(&c("/old/f"), None, &[], &aliases, "http://h"),
            Mapped::File {
                root: 1,
                rest: vec!["f".into()]
            }
        );
        let matched = vec![RedirectRule {
            regex: Some(crate::regex::Pattern::new("^/blog/(\\d+)/(.*)$", false).unwrap()),
            prefix: String::new(),
            status: 301,
            target: Some("/posts/$2?id=$1".into()),
        }];
        assert_eq!(
            map(&c("/blog/7/a"), Some("x=1"), &matched, &[], "http://h"),
            Mapped::Redirect(301, Some("http://h/posts/a?id=7".into())),
            "RedirectMatch: $N from the match; a target with '?' keeps its own query"
        );
        assert_eq!(
            map(&c("/blog/x"), None, &matched, &[], "http://h"),
            Mapped::File {
                root: 0,
                rest: vec!["blog".into(), "x".into()]
            }
        );
        assert_eq!(
            map(&c("/f"), None, &[], &aliases, "http://h"),
            Mapped::File {
                root: 0,
                rest: vec!["f".into()]
            }
        );
    }

    use proptest::strategy::Strategy;

    /// Segments that have broken path handling somewhere.
    const TRICKS: &[&str] = &[
        "..",
        ".",
        "%2e%2e",
        "%2E.",
        ".%2e",
        "%252e%252e",
        "%%32%65",
        "%c0%ae",
        "..\\",
        "%5c",
        "%2f",
        "%00",
        "",
        "a",
        "b c",
        "%",
        "c:",
        "~",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Whatever the path, what `clean_path` accepts joins onto a root as plain components
        /// only: it never climbs, never restarts at `/`, never holds a NUL or a separator.
        #[test]
        fn a_clean_path_never_leaves_its_root(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(TRICKS.to_vec()).prop_map(str::to_string),
                "[a-z%./\\\\]{0,6}",
            ],
            0..12,
        )) {
            let raw = format!("/{}", parts.join("/"));
            if let Ok(p) = clean_path(&raw) {
                let root = std::path::Path::new("/srv/root");
                let joined = p.segments.iter().fold(root.to_path_buf(), |acc, s| acc.join(s));
                proptest::prop_assert!(joined.starts_with(root));
                for seg in &p.segments {
                    let mut comps = std::path::Path::new(seg).components();
                    proptest::prop_assert!(
                        matches!(comps.next(), Some(std::path::Component::Normal(_)))
                            && comps.next().is_none(),
                        "segment {:?} of {:?}", seg, raw
                    );
                    proptest::prop_assert!(!seg.contains('\0'));
                }
            }
        }
    }
}

//! Pure ProxyPass mapping, as mod_proxy does it: entries in config order (the main server's,
//! then the vhost's, then `<Location>` ones), the first match wins, `!` stops the search; a
//! prefix matches whole segments (any run of `/` matches any run of `/`), and the rest of the
//! path is appended to the target as is, with the query unless `noquery`. Also the
//! ProxyPassReverse rewrite of Location-like response headers.

use crate::config::model::{ProxyPass, ProxyReverse};

/// What the ProxyPass list says about a path.
#[derive(Debug, PartialEq, Eq)]
pub enum ProxyMatch<'a> {
    /// No entry matched: serve locally.
    None,
    /// A `!` entry matched first: serve locally.
    Excluded,
    /// Forward to this URL (it may not parse: `/mis/ http://b:18099` + `z`).
    Forward { url: String, pass: &'a ProxyPass },
}

/// httpd's `alias_match`: how many bytes of `uri` the prefix covers, if it matches.
pub fn alias_match(uri: &str, prefix: &str) -> Option<usize> {
    let (u, p) = (uri.as_bytes(), prefix.as_bytes());
    let (mut i, mut j) = (0, 0);
    while j < p.len() {
        if p[j] == b'/' {
            if u.get(i) != Some(&b'/') {
                return None;
            }
            while p.get(j) == Some(&b'/') {
                j += 1;
            }
            while u.get(i) == Some(&b'/') {
                i += 1;
            }
        } else {
            if u.get(i) != Some(&p[j]) {
                return None;
            }
            i += 1;
            j += 1;
        }
    }
    // The last segment of the prefix must end at a '/' or at the end of the path.
    if !prefix.ends_with('/') && i < u.len() && u[i] != b'/' {
        return None;
    }
    Some(i)
}

/// The first entry matching `path` (already normalised); `query` as received.
pub fn find<'a>(passes: &'a [ProxyPass], path: &str, query: Option<&str>) -> ProxyMatch<'a> {
    for pass in passes {
        let Some(used) = alias_match(path, &pass.path) else {
            continue;
        };
        let Some(up) = &pass.target else {
            return ProxyMatch::Excluded;
        };
        let mut url = format!(
            "{}://{}{}{}",
            up.scheme,
            up.authority_as_written(),
            up.path,
            &path[used..]
        );
        if let Some(q) = query.filter(|_| !pass.params.noquery) {
            url.push('?');
            url.push_str(q);
        }
        return ProxyMatch::Forward { url, pass };
    }
    ProxyMatch::None
}

/// ProxyPassReverse: a header value starting with a rule's URL is rewritten to this server's
/// `origin` (`scheme://host[:port]`) and the rule's path.
pub fn reverse(value: &str, rules: &[ProxyReverse], origin: &str) -> Option<String> {
    rules.iter().find_map(|r| {
        let rest = value.strip_prefix(r.url.as_str())?;
        let mut path = r.path.clone();
        if path.ends_with('/') && rest.starts_with('/') {
            path.pop();
        }
        Some(format!("{origin}{path}{rest}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::ProxyParams;
    use crate::config::proxy::parse_upstream;
    use crate::config::source::Span;

    fn pass(path: &str, target: &str, noquery: bool) -> ProxyPass {
        let target = (target != "!").then(|| parse_upstream(target).unwrap());
        ProxyPass {
            span: Span::default(),
            path: path.into(),
            target,
            params: ProxyParams {
                noquery,
                ..Default::default()
            },
        }
    }

    fn url(passes: &[ProxyPass], path: &str, q: Option<&str>) -> Option<String> {
        match find(passes, path, q) {
            ProxyMatch::Forward { url, .. } => Some(url),
            ProxyMatch::Excluded => Some("!".into()),
            ProxyMatch::None => None,
        }
    }

    /// The trailing-slash table of the httpd manual and the spec, every combination.
    #[test]
    fn trailing_slash_table() {
        let cases: &[(&str, &str, &str, Option<&str>)] = &[
            ("/app/", "http://b/", "/app/x", Some("http://b/x")),
            ("/app/", "http://b/", "/app/", Some("http://b/")),
            ("/app/", "http://b/", "/app", None),
            ("/app/", "http://b/", "/apps/x", None),
            ("/app", "http://b/", "/app/y", Some("http://b//y")),
            ("/app", "http://b/", "/app", Some("http://b/")),
            ("/app", "http://b/", "/apps", None),
            ("/app", "http://b", "/app/y", Some("http://b/y")),
            ("/app", "http://b", "/app", Some("http://b")),
            ("/app/", "http://b", "/app/z", Some("http://bz")),
            ("/mis/", "http://b:18099", "/mis/z", Some("http://b:18099z")),
            (
                "/",
                "http://b/",
                "/anything/at/all",
                Some("http://b/anything/at/all"),
            ),
            ("/a//b/", "http://b/c/", "/a/b/d", Some("http://b/c/d")),
            ("/a/b/", "http://b/c/", "/a//b//d", Some("http://b/c/d")),
        ];
        for (prefix, target, path, want) in cases {
            let p = [pass(prefix, target, false)];
            assert_eq!(
                url(&p, path, None).as_deref(),
                *want,
                "ProxyPass {prefix} {target} with {path}"
            );
        }
    }

    #[test]
    fn order_exclusions_and_query() {
        let passes = [
            pass("/app/static", "!", false),
            pass("/app/", "http://127.0.0.1:9099/", false),
            pass("/nq/", "http://n/", true),
        ];
        assert_eq!(url(&passes, "/app/static/f", None).as_deref(), Some("!"));
        assert_eq!(url(&passes, "/app/static", None).as_deref(), Some("!"));
        assert_eq!(
            url(&passes, "/app/staticx", Some("q=1")).as_deref(),
            Some("http://127.0.0.1:9099/staticx?q=1")
        );
        assert_eq!(
            url(&passes, "/app/x", Some("q=1")).as_deref(),
            Some("http://127.0.0.1:9099/x?q=1")
        );
        assert_eq!(
            url(&passes, "/nq/x", Some("q=1")).as_deref(),
            Some("http://n/x")
        );
        assert_eq!(url(&passes, "/other", None), None);
        let first_wins = [
            pass("/a/", "http://one/", false),
            pass("/a/b/", "http://two/", false),
        ];
        assert_eq!(
            url(&first_wins, "/a/b/c", None).as_deref(),
            Some("http://one/b/c"),
            "config order, not longest prefix"
        );
    }

    #[test]
    fn reverse_rewrites_location() {
        let rules = [ProxyReverse {
            span: Span::default(),
            path: "/app/".into(),
            url: "http://127.0.0.1:9099/".into(),
        }];
        assert_eq!(
            reverse("http://127.0.0.1:9099/landed", &rules, "http://px.example").as_deref(),
            Some("http://px.example/app/landed")
        );
        assert_eq!(
            reverse("http://elsewhere/x", &rules, "http://px.example"),
            None
        );
    }
}

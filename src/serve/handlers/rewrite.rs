//! Takes a virtual host's parsed `RewriteCond`/`RewriteRule` list (mod_rewrite, server context)
//! and one request's URL-path, query and variables, and gives what httpd 2.4 would do with it:
//! nothing, an internal rewrite to another path and query, a redirect, or a bare status.

#[path = "rewrite_parse.rs"]
mod parse;

use parse::{CondTest, StrOp};
pub use parse::{RewriteCond, RewriteRule, parse_cond, parse_rule};

/// What rules may look at for one request.
pub trait Vars {
    /// A server variable by name: SERVER_NAME, SERVER_PORT, HTTP_HOST, HTTPS ("on"/"off"),
    /// REQUEST_SCHEME, REQUEST_METHOD, REMOTE_ADDR, THE_REQUEST, SERVER_ADDR, DOCUMENT_ROOT,
    /// HTTP_USER_AGENT, HTTP_REFERER, HTTP_COOKIE, TIME..., `HTTP:<header>` for any request
    /// header, `ENV:<name>`, `SSL:<name>`. Plain names come upper-cased, the `HTTP:`/`ENV:`/`SSL:`
    /// prefix upper-cased and the rest as written (httpd looks headers and notes up
    /// case-insensitively). Unknown -> "" as httpd. REQUEST_URI,
    /// QUERY_STRING and REQUEST_FILENAME/SCRIPT_FILENAME are answered here, not asked: in server
    /// context httpd gives the URL-path being rewritten for the filename and the current query.
    fn var(&self, name: &str) -> String;
    /// `-f`, `-s` and `-d` follow symbolic links (stat); `-l` does not (lstat).
    fn is_file(&self, path: &str) -> bool;
    fn is_dir(&self, path: &str) -> bool;
    fn size(&self, path: &str) -> Option<u64>;
    fn is_symlink(&self, path: &str) -> bool;
    /// Whether `host:port` is this virtual host, for reducing an absolute substitution without
    /// `[R]` to a local path (httpd's `ap_matches_request_vhost`: the `<VirtualHost>` address
    /// with its port, or ServerName/ServerAlias when ServerName names that port explicitly).
    /// The default `false` redirects instead, which is what httpd does for the usual
    /// `ServerName example.com` without a port.
    fn is_own_host(&self, host: &str, port: u16) -> bool {
        let _ = (host, port);
        false
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No rule changed anything.
    Unchanged,
    /// Serve this URL path (and query) instead (internal rewrite). The path is in the same
    /// %-decoded form as the one given to `run`; the query is as the rules left it. httpd maps
    /// it to DocumentRoot + path directly: Alias and ScriptAlias do not see it (that is [PT]).
    Rewritten { path: String, query: Option<String> },
    /// Serve this filesystem path: httpd's prefix_stat, for a result whose first segment
    /// exists on disk (`RewriteRule ^/icons/(.*) /usr/share/icons/$1`) when the substitution
    /// writes that segment literally or the path starts with DOCUMENT_ROOT (2.4.60+).
    /// `<Directory>` access rules still apply to it.
    File { path: String, query: Option<String> },
    /// Send this status with a Location. With `[NE]` the location is sent as the substitution
    /// made it, which may hold spaces or non-ASCII bytes, as httpd sends it (never control
    /// characters: httpd answers 500 for those, and so does `run`).
    Redirect { status: u16, location: String },
    /// 403 (F), 410 (G), or another non-3xx status from R=code; also 403 when a substitution's
    /// first '?' came from an expansion (httpd 2.4.60+ without UnsafeAllow3F, CVE-2024-38474)
    /// and 500 when the rewritten URL grows past twice the request-line limit.
    Status(u16),
}

/// httpd's `2 * LimitRequestLine` (default 8190) guard against runaway rewriting.
const MAX_URL: usize = 2 * 8190;

/// One request's rewriting state (httpd's `r->filename`, `r->args`, `r->status`).
struct State<'a> {
    vars: &'a dyn Vars,
    uri: &'a str,
    filename: String,
    args: Option<String>,
    status: Option<u16>,
    /// The substitution as written of the last rule that substituted, and whether an
    /// absolute URL was reduced to a path (both for prefix_stat).
    lastsub: &'a str,
    reduced: bool,
    rule_caps: Option<Vec<Option<String>>>,
    cond_caps: Option<Vec<Option<String>>>,
}

enum Applied {
    NoMatch,
    /// Matched; `true` when it substituted (not `-`).
    Matched(bool),
    Status(u16),
}

/// Runs `rules` in order for one request. `path` is the %-decoded URL-path (httpd's `r->uri`),
/// `query` the raw query string; `origin` is "scheme://host[:port]" for making a path
/// substitution absolute in a redirect.
pub fn run(
    rules: &[RewriteRule],
    path: &str,
    query: Option<&str>,
    vars: &dyn Vars,
    origin: &str,
) -> Outcome {
    if !path.starts_with('/') {
        return Outcome::Unchanged;
    }
    let mut st = State {
        vars,
        uri: path,
        filename: path.to_string(),
        args: query.map(str::to_string),
        status: None,
        lastsub: "",
        reduced: false,
        rule_caps: None,
        cond_caps: None,
    };
    let mut changed = None;
    for rule in rules {
        match apply(rule, &mut st, origin) {
            Applied::NoMatch => continue,
            Applied::Status(code) => return Outcome::Status(code),
            Applied::Matched(subst) => {
                if st.filename.len() > MAX_URL {
                    return Outcome::Status(500);
                }
                if subst {
                    changed = Some(rule.noescape);
                }
                if rule.last {
                    break;
                }
            }
        }
    }
    let Some(noescape) = changed else {
        return Outcome::Unchanged;
    };
    let Some(scheme_len) = absolute_scheme_len(&st.filename) else {
        return local(st);
    };
    let mut location = if noescape {
        st.filename
    } else {
        escape_absolute_uri(&st.filename, scheme_len)
    };
    if let Some(args) = &st.args {
        location.push('?');
        if noescape || query == Some(args.as_str()) {
            location.push_str(args);
        } else {
            location.push_str(&escape_uri(args));
        }
    }
    // httpd refuses to send a header with control characters (possible with NE): 500.
    if location.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Outcome::Status(500);
    }
    let status = st.status.filter(|s| (300..400).contains(s)).unwrap_or(302);
    Outcome::Redirect { status, location }
}

/// A local result: a filesystem path when httpd's prefix_stat takes it as one, else a URL-path.
fn local(st: State) -> Outcome {
    let (path, query) = (st.filename, st.args);
    let end = path.get(1..).and_then(|p| p.find('/'));
    let seg = &path[..end.map_or(path.len(), |i| i + 1)];
    if !st.reduced && (st.vars.is_dir(seg) || st.vars.is_file(seg)) {
        let root = st.vars.var("DOCUMENT_ROOT");
        if st.lastsub.starts_with(seg) || (!root.is_empty() && path.starts_with(&root)) {
            return Outcome::File { path, query };
        }
    }
    Outcome::Rewritten { path, query }
}

/// httpd's `apply_rewrite_rule` in server context.
fn apply<'a>(rule: &'a RewriteRule, st: &mut State<'a>, origin: &str) -> Applied {
    let caps = rule.pattern.captures(&st.filename);
    if caps.is_some() == rule.negate {
        return Applied::NoMatch;
    }
    st.rule_caps = caps;
    st.cond_caps = None;
    if !conds_hold(&rule.conds, st) {
        return Applied::NoMatch;
    }
    let subst = match &rule.subst {
        _ if rule.status_only => return Applied::Status(rule.code),
        None => return Applied::Matched(false),
        Some(s) => s,
    };
    let (new, unsafe_qmark) = expand(subst, st);
    if unsafe_qmark {
        return Applied::Status(403);
    }
    st.filename = new;
    st.lastsub = subst;
    split_query(st, rule);
    if absolute_scheme_len(&st.filename).is_none() && !st.filename.starts_with('/') {
        st.filename.insert(0, '/');
    }
    if rule.redirect {
        if absolute_scheme_len(&st.filename).is_none() {
            st.filename = format!("{}{}", origin.trim_end_matches('/'), st.filename);
        }
        st.status = Some(rule.code);
        return Applied::Matched(true);
    }
    reduce(st, origin);
    if absolute_scheme_len(&st.filename).is_some() {
        st.status = Some(rule.code);
    }
    Applied::Matched(true)
}

/// The conditions in order; `[OR]` joins a condition with the next (`A [OR] B` then `C` is
/// `(A || B) && C`), and once one of an OR chain holds the rest of the chain is not evaluated.
fn conds_hold(conds: &[RewriteCond], st: &mut State) -> bool {
    let mut i = 0;
    while i < conds.len() {
        let ok = cond_holds(&conds[i], st);
        if conds[i].ornext {
            if ok {
                while i < conds.len() && conds[i].ornext {
                    i += 1;
                }
            }
        } else if !ok {
            return false;
        }
        i += 1;
    }
    true
}

fn cond_holds(c: &RewriteCond, st: &mut State) -> bool {
    let (input, _) = expand(&c.input, st);
    let v = st.vars;
    let ok = match &c.test {
        CondTest::Regex(p) => match p.captures(&input) {
            Some(caps) => {
                if !c.negate {
                    st.cond_caps = Some(caps);
                }
                true
            }
            None => false,
        },
        CondTest::Str(op, text) => {
            let ord = if c.nocase {
                input.to_ascii_lowercase().cmp(&text.to_ascii_lowercase())
            } else {
                // httpd's compare_lexicography: the shorter string is the smaller one.
                input
                    .len()
                    .cmp(&text.len())
                    .then_with(|| input.as_bytes().cmp(text.as_bytes()))
            };
            op_holds(*op, ord)
        }
        CondTest::Int(op, n) => op_holds(*op, parse::atoi(&input).cmp(n)),
        CondTest::File => v.is_file(&input),
        CondTest::NonEmpty => v.is_file(&input) && v.size(&input).is_some_and(|s| s > 0),
        CondTest::Dir => v.is_dir(&input),
        CondTest::Link => v.is_symlink(&input),
    };
    ok != c.negate
}

fn op_holds(op: StrOp, ord: std::cmp::Ordering) -> bool {
    match op {
        StrOp::Lt => ord.is_lt(),
        StrOp::Le => ord.is_le(),
        StrOp::Eq => ord.is_eq(),
        StrOp::Ge => ord.is_ge(),
        StrOp::Gt => ord.is_gt(),
    }
}

/// httpd's `do_expand`: `\c` is `c`, `%{VAR}`, `${map:key|default}` (no maps here: the default
/// or ""), `$N` from the rule's match and `%N` from the last matching condition. The flag tells
/// whether the result's first '?' came out of an expansion rather than the text as written.
fn expand(input: &str, st: &State) -> (String, bool) {
    let mut out = String::with_capacity(input.len());
    let mut qmark: Option<bool> = None;
    let mut rest = input;
    while let Some(at) = rest.find(['\\', '$', '%']) {
        literal(&mut out, &mut qmark, &rest[..at]);
        let b = rest.as_bytes();
        let (piece, used) = match (b[at], b.get(at + 1)) {
            (b'\\', Some(_)) => {
                let len = rest[at + 1..].chars().next().map_or(1, char::len_utf8);
                literal(&mut out, &mut qmark, &rest[at + 1..at + 1 + len]);
                rest = &rest[at + 1 + len..];
                continue;
            }
            (c, Some(b'{')) => match unnested(&rest[at + 2..], b'}') {
                None => (None, 2),
                Some(end) => {
                    let inner = &rest[at + 2..at + 2 + end];
                    if c == b'%' {
                        (Some(variable(inner, st)), end + 3)
                    } else {
                        match map_default(inner) {
                            None => (None, 2),
                            Some(dflt) => (Some(expand(dflt, st).0), end + 3),
                        }
                    }
                }
            },
            (c @ (b'$' | b'%'), Some(d)) if d.is_ascii_digit() => {
                let caps = if c == b'$' {
                    &st.rule_caps
                } else {
                    &st.cond_caps
                };
                let n = usize::from(d - b'0');
                let text = caps.as_ref().and_then(|v| v.get(n).cloned().flatten());
                (Some(text.unwrap_or_default()), 2)
            }
            _ => (None, 1),
        };
        match piece {
            Some(p) => {
                if qmark.is_none() && p.contains('?') {
                    qmark = Some(true);
                }
                out.push_str(&p);
            }
            None => literal(&mut out, &mut qmark, &rest[at..at + used]),
        }
        rest = &rest[at + used..];
    }
    literal(&mut out, &mut qmark, rest);
    (out, qmark == Some(true))
}

fn literal(out: &mut String, qmark: &mut Option<bool>, text: &str) {
    if qmark.is_none() && text.contains('?') {
        *qmark = Some(false);
    }
    out.push_str(text);
}

/// The offset of the first `want` in `s` outside braces opened in `s` (so `}` finds the brace
/// closing one opened just before `s`).
fn unnested(s: &str, want: u8) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s.bytes().enumerate() {
        match c {
            _ if c == want && depth == 0 => return Some(i),
            b'{' => depth += 1,
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// `map:key|default` → the default ("" without one); `None` when there is no ':' (not a map).
fn map_default(inner: &str) -> Option<&str> {
    let key = &inner[unnested(inner, b':')? + 1..];
    Some(unnested(key, b'|').map_or("", |p| &key[p + 1..]))
}

/// httpd's `lookup_variable` naming: `ENV:`/`SSL:`/`HTTP:` prefixes, otherwise upper-cased.
fn variable(name: &str, st: &State) -> String {
    let b = name.as_bytes();
    if b.len() < 4 {
        return String::new();
    }
    if b[3] == b':' {
        let prefix = name[..3].to_ascii_uppercase();
        return match prefix.as_str() {
            "ENV" | "SSL" if b.len() > 4 => st.vars.var(&format!("{prefix}:{}", &name[4..])),
            _ => String::new(),
        };
    }
    if b.len() > 4 && b[4] == b':' {
        return match name[..4].eq_ignore_ascii_case("HTTP") && b.len() > 5 {
            true => st.vars.var(&format!("HTTP:{}", &name[5..])),
            false => String::new(),
        };
    }
    match name.to_ascii_uppercase().as_str() {
        "REQUEST_URI" => st.uri.to_string(),
        "QUERY_STRING" => st.args.clone().unwrap_or_default(),
        "REQUEST_FILENAME" | "SCRIPT_FILENAME" => st.filename.clone(),
        upper => st.vars.var(upper),
    }
}

/// httpd's `splitout_queryargs`: the substitution's `?query` replaces the query (QSA: goes in
/// front of it), a lone `?` drops it, QSD drops the original; schemes without queries lose it.
fn split_query(st: &mut State, rule: &RewriteRule) {
    if absolute_scheme_len(&st.filename).is_some() && !takes_query(&st.filename) {
        st.args = None;
        return;
    }
    if rule.qsdiscard {
        st.args = None;
    }
    let Some(q) = st.filename.find('?') else {
        return;
    };
    let new = st.filename[q + 1..].to_string();
    st.filename.truncate(q);
    let mut args = match st.args.take() {
        Some(old) if rule.qsappend => match new.is_empty() {
            true => old,
            false => format!("{new}&{old}"),
        },
        None if rule.qsappend && !new.is_empty() => format!("{new}&"),
        None if rule.qsappend => return,
        _ => new,
    };
    if args.ends_with('&') {
        args.pop();
    }
    st.args = (!args.is_empty()).then_some(args);
}

/// httpd's `reduce_uri`: `scheme://host[:port]/path` naming this server, in the request's own
/// scheme, becomes `/path`.
fn reduce(st: &mut State, origin: &str) {
    let scheme = origin.split("://").next().unwrap_or("http");
    let (f, l) = (st.filename.as_bytes(), scheme.len());
    if f.len() <= l + 3 || !f[..l].eq_ignore_ascii_case(scheme.as_bytes()) || f[l..l + 3] != *b"://"
    {
        return;
    }
    let hostport = &st.filename[l + 3..];
    let (authority, url) = match hostport.find('/') {
        Some(p) => (&hostport[..p], &hostport[p..]),
        None => (hostport, "/"),
    };
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, u16::try_from(parse::atoi(p)).unwrap_or(0)),
        None if scheme.eq_ignore_ascii_case("https") => (authority, 443),
        None => (authority, 80),
    };
    if st.vars.is_own_host(host, port) {
        st.filename = url.to_string();
        st.reduced = true;
    }
}

/// httpd's `is_absolute_uri`: the length of `scheme://` (or `mailto:`, `news:`) when `uri`
/// starts with one of the schemes mod_rewrite knows.
fn absolute_scheme_len(uri: &str) -> Option<usize> {
    const SCHEMES: &str = "ajp:// balancer:// ftp:// fcgi:// gopher:// http:// https:// h2:// \
                           h2c:// ldap:// mailto: news: nntp:// scgi:// ws:// wss://";
    if uri.starts_with('/') || uri.len() <= 5 {
        return None;
    }
    let head = uri.as_bytes();
    SCHEMES
        .split_whitespace()
        .find(|s| head.len() >= s.len() && head[..s.len()].eq_ignore_ascii_case(s.as_bytes()))
        .map(str::len)
}

/// Whether the absolute URI's scheme carries a query string (so mod_rewrite splits it off).
fn takes_query(uri: &str) -> bool {
    let lower = uri.get(..7).unwrap_or(uri).to_ascii_lowercase();
    !["ftp://", "gopher:", "ldap://", "news:", "nntp://"]
        .iter()
        .any(|s| lower.starts_with(s))
}

/// httpd's `ap_escape_uri`: every byte but alphanumerics and `$-_.+!*'(),:;@&=/~` as `%xx`.
fn escape_uri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"$-_.+!*'(),:;@&=/~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// httpd's `escape_absolute_uri`: the scheme and authority stay, the rest is escaped (for
/// `ldap://` each `?`-separated part on its own).
fn escape_absolute_uri(uri: &str, scheme_len: usize) -> String {
    let mut cut = scheme_len;
    if uri[..scheme_len].ends_with('/') {
        match uri[scheme_len..].find('/') {
            Some(p) if scheme_len + p + 1 < uri.len() => cut = scheme_len + p + 1,
            _ => return uri.to_string(),
        }
        if uri[..4].eq_ignore_ascii_case("ldap") {
            let parts: Vec<String> = uri[cut..].splitn(5, '?').map(escape_uri).collect();
            return format!("{}{}", &uri[..cut], parts.join("?"));
        }
    }
    format!("{}{}", &uri[..cut], escape_uri(&uri[cut..]))
}

#[cfg(test)]
#[path = "rewrite_tests.rs"]
mod tests;

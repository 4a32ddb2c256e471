//! Takes the arguments of a `RewriteCond` or `RewriteRule` line (server context) and gives the
//! parsed condition or rule, or an error worded as httpd 2.4 words it; `rewrite.rs` runs them.

use crate::regex::Pattern;

/// What a condition compares its expanded TestString with.
#[derive(Clone, Debug)]
pub(super) enum CondTest {
    Regex(Pattern),
    /// `<`, `<=`, `=`, `>=`, `>`: the wanted ordering of TestString against the text.
    Str(StrOp, String),
    /// `-lt -le -eq -gt -ge` (`-ne` is `-eq` negated): C `atoi` on both sides.
    Int(StrOp, i64),
    /// `-f`: a regular file.
    File,
    /// `-s`: a regular file with a size above zero.
    NonEmpty,
    /// `-d`: a directory.
    Dir,
    /// `-l`, `-L`, `-h`: a symbolic link.
    Link,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StrOp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

/// One `RewriteCond TestString CondPattern [flags]`.
#[derive(Clone, Debug)]
pub struct RewriteCond {
    /// The TestString as written (expanded per request).
    pub(super) input: String,
    pub(super) test: CondTest,
    /// `!` before the pattern (`-ne` flips it too).
    pub(super) negate: bool,
    /// `[NC]`; only kept where httpd honours it (regex and string comparisons).
    pub(super) nocase: bool,
    /// `[OR]`: this condition or the next.
    pub(super) ornext: bool,
}

/// One `RewriteRule Pattern Substitution [flags]` with the conditions written before it.
#[derive(Clone, Debug)]
pub struct RewriteRule {
    pub(super) pattern: Pattern,
    /// `!Pattern`: the rule applies when the pattern does not match (then no `$N`).
    pub(super) negate: bool,
    /// `None` for `-` (no substitution).
    pub(super) subst: Option<String>,
    pub(super) conds: Vec<RewriteCond>,
    /// `[L]` or `[END]`: no further rule runs.
    pub(super) last: bool,
    /// `[R]`: redirect, with `code` as its status.
    pub(super) redirect: bool,
    /// F, G, or R with a code outside 300-399: the rule answers `code` and drops the substitution.
    pub(super) status_only: bool,
    /// httpd's forced_responsecode: 302 unless R=, F or G set it.
    pub(super) code: u16,
    pub(super) noescape: bool,
    pub(super) qsappend: bool,
    pub(super) qsdiscard: bool,
}

/// Status codes httpd knows (others are refused by `R=`), from `ap_index_of_response`.
const KNOWN_STATUS: &[u16] = &[
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304,
    305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415,
    416, 417, 421, 422, 423, 424, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507,
    508, 510, 511,
];

/// httpd's rule flags this server does not implement: (lowercase spellings, what it does).
const REFUSED: &[(&[&str], &str)] = &[
    (&["p", "proxy"], "proxy"),
    (&["pt", "passthrough"], "passthrough"),
    (&["c", "chain"], "chain"),
    (&["n", "next"], "next round"),
    (&["s", "skip"], "skip"),
    (&["e", "env"], "set environment variable"),
    (&["co", "cookie"], "set cookie"),
    (&["t", "type"], "force MIME type"),
    (&["h", "handler"], "force handler"),
    (&["b", "backrefescaping"], "escape back-references"),
    (
        &["bnp", "backrefnoplus"],
        "escape back-references without '+'",
    ),
    (&["bctls"], "escape control characters"),
    (&["bne"], "exempt characters from [B]"),
    (&["dpi", "discardpath"], "discard PATH_INFO"),
    (&["ns", "nosubreq"], "skip on subrequests"),
    (&["qsl", "qslast"], "split the query at the last '?'"),
    (&["unsafeallow3f"], "allow a '?' from a decoded %3f"),
    (
        &["unsafeprefixstat"],
        "allow a filesystem path from a back-reference",
    ),
];

/// Splits `args` as httpd's own argument-line parser does: two required, the optional third
/// must be `[...]`; words after the third are ignored, as httpd ignores them.
fn split_args<'a>(args: &[&'a str]) -> Result<(&'a str, &'a str, Option<&'a str>), String> {
    match args {
        [] => Err("bad argument line: at least two arguments required".into()),
        [one] => Err(format!(
            "bad argument line '{one}': at least two arguments required"
        )),
        [a, b] => Ok((a, b, None)),
        [a, b, f, ..] => {
            if f.len() < 2 || !f.starts_with('[') || !f.ends_with(']') {
                return Err(format!(
                    "bad flag delimiters: the flags '{f}' must be one word starting with '[' and ending with ']' (no spaces, or quote them)"
                ));
            }
            Ok((a, b, Some(f)))
        }
    }
}

/// The `key[=value]` items of a `[...]` field, trimmed; an empty item is httpd's "unknown flag ''".
fn flag_items(field: &str) -> Result<Vec<(&str, &str)>, String> {
    let inner = &field[1..field.len() - 1];
    inner
        .split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return Err("unknown flag ''".to_string());
            }
            Ok(match item.split_once('=') {
                Some((k, v)) => (k, v),
                None => (item, ""),
            })
        })
        .collect()
}

/// C `atoi`: leading blanks, a sign, digits; anything else ends it (0 when no digits).
pub(super) fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if neg { -n } else { n }
}

fn regex(text: &str, nocase: bool) -> Result<Pattern, String> {
    Pattern::new(text, nocase)
        .map_err(|e| format!("cannot compile regular expression '{text}': {e}"))
}

/// `RewriteCond TestString CondPattern [flags]`, the arguments after the directive name.
pub fn parse_cond(args: &[&str]) -> Result<RewriteCond, String> {
    let (input, pattern, flags) = split_args(args)?;
    let (mut nocase, mut ornext) = (false, false);
    for (key, _) in flags.map(flag_items).transpose()?.unwrap_or_default() {
        match key.to_ascii_lowercase().as_str() {
            "nc" | "nocase" => nocase = true,
            "or" | "ornext" => ornext = true,
            "nv" | "novary" => {}
            _ => return Err(format!("unknown flag '{key}'")),
        }
    }
    if input.eq_ignore_ascii_case("expr") {
        return Err("`RewriteCond expr ...` (an ap_expr condition) is not supported; write the test with a %{VAR} TestString".into());
    }
    let upper = input.to_ascii_uppercase();
    if upper.contains("%{LA-U:") || upper.contains("%{LA-F:") {
        return Err("look-ahead variables %{LA-U:...} and %{LA-F:...} are not supported".into());
    }
    let (mut negate, p) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let b = p.as_bytes();
    let int = |op| CondTest::Int(op, atoi(&p[3..]));
    let test = match b {
        [b'-', c] => match c {
            b'f' => CondTest::File,
            b's' => CondTest::NonEmpty,
            b'd' => CondTest::Dir,
            b'l' | b'L' | b'h' => CondTest::Link,
            b'x' | b'U' | b'F' => {
                return Err(format!(
                    "the -{} file test is not supported (only -f, -s, -d and -l)",
                    *c as char
                ));
            }
            _ => CondTest::Regex(regex(p, nocase)?),
        },
        [b'-', b'l', b't', _, ..] => int(StrOp::Lt),
        [b'-', b'l', b'e', _, ..] => int(StrOp::Le),
        [b'-', b'e', b'q', _, ..] => int(StrOp::Eq),
        [b'-', b'g', b'e', _, ..] => int(StrOp::Ge),
        [b'-', b'g', b't', _, ..] => int(StrOp::Gt),
        [b'-', b'n', b'e', _, ..] => {
            negate = !negate;
            int(StrOp::Eq)
        }
        [b'>', b'=', ..] => CondTest::Str(StrOp::Ge, p[2..].to_string()),
        [b'>', _, ..] => CondTest::Str(StrOp::Gt, p[1..].to_string()),
        [b'<', b'=', ..] => CondTest::Str(StrOp::Le, p[2..].to_string()),
        [b'<', _, ..] => CondTest::Str(StrOp::Lt, p[1..].to_string()),
        [b'=', ..] if b.len() >= 2 => {
            let text = if &p[1..] == "\"\"" { "" } else { &p[1..] };
            CondTest::Str(StrOp::Eq, text.to_string())
        }
        _ => CondTest::Regex(regex(p, nocase)?),
    };
    let nocase = nocase && matches!(test, CondTest::Regex(_) | CondTest::Str(..));
    Ok(RewriteCond {
        input: input.to_string(),
        test,
        negate,
        nocase,
        ornext,
    })
}

/// `RewriteRule Pattern Substitution [flags]`, the arguments after the directive name, with the
/// `RewriteCond`s written before it.
pub fn parse_rule(args: &[&str], conds: Vec<RewriteCond>) -> Result<RewriteRule, String> {
    let (pattern, subst, flags) = split_args(args)?;
    let (mut last, mut noescape, mut qsappend, mut qsdiscard, mut nocase) = Default::default();
    let (mut redirect, mut status_only, mut code) = (false, false, 302);
    for (key, val) in flags.map(flag_items).transpose()?.unwrap_or_default() {
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "l" | "last" | "end" => last = true,
            "ne" | "noescape" => noescape = true,
            "qsa" | "qsappend" => qsappend = true,
            "qsd" | "qsdiscard" => qsdiscard = true,
            "nc" | "nocase" => nocase = true,
            "f" | "forbidden" => (status_only, code) = (true, 403),
            "g" | "gone" => (status_only, code) = (true, 410),
            "r" | "redirect" => {
                redirect = true;
                if let Some(c) = redirect_code(val)? {
                    code = c;
                    status_only |= !(300..400).contains(&c);
                }
            }
            _ => {
                return Err(
                    match REFUSED
                        .iter()
                        .find(|(names, _)| names.contains(&lower.as_str()))
                    {
                        Some((_, what)) => format!(
                            "flag '{key}' ({what}) is not supported; supported flags: L, END, R[=code], NE, QSA, QSD, NC, F, G"
                        ),
                        None => format!("unknown flag '{key}'"),
                    },
                );
            }
        }
    }
    let (negate, pattern) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    Ok(RewriteRule {
        pattern: regex(pattern, nocase)?,
        negate,
        subst: (subst != "-").then(|| subst.to_string()),
        conds,
        last,
        redirect,
        status_only,
        code,
        noescape,
        qsappend,
        qsdiscard,
    })
}

/// The status of `R=permanent|temp|seeother|NNN`; `None` (302 stays) for an empty value or a
/// word httpd does not know (its status 0 redirects with 302 too).
fn redirect_code(val: &str) -> Result<Option<u16>, String> {
    Ok(match val.to_ascii_lowercase().as_str() {
        "permanent" => Some(301),
        "temp" => Some(302),
        "seeother" => Some(303),
        v if v.starts_with(|c: char| c.is_ascii_digit()) => {
            let n = u16::try_from(atoi(v)).unwrap_or(0);
            if !KNOWN_STATUS.contains(&n) {
                return Err(format!("invalid HTTP response code '{val}' for flag 'R'"));
            }
            if n < 300 {
                return Err(format!(
                    "R={val}: a 1xx or 2xx status is not supported (use 300-399 to redirect, or a 4xx/5xx status)"
                ));
            }
            Some(n)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(line: &str) -> Result<RewriteCond, String> {
        parse_cond(&line.split(' ').collect::<Vec<_>>())
    }

    fn rule(line: &str) -> Result<RewriteRule, String> {
        parse_rule(&line.split(' ').collect::<Vec<_>>(), Vec::new())
    }

    #[test]
    fn cond_pattern_kinds() {
        let c = cond("%{SERVER_NAME} =www.example.com [OR]").unwrap();
        assert!(matches!(&c.test, CondTest::Str(StrOp::Eq, s) if s == "www.example.com"));
        assert!(c.ornext && !c.negate);
        assert!(
            matches!(cond("%{QUERY_STRING} =\"\"").unwrap().test, CondTest::Str(StrOp::Eq, ref s) if s.is_empty())
        );
        assert!(matches!(cond("x >=b").unwrap().test, CondTest::Str(StrOp::Ge, ref s) if s == "b"));
        assert!(matches!(cond("x <b").unwrap().test, CondTest::Str(StrOp::Lt, ref s) if s == "b"));
        assert!(matches!(
            cond("x -gt5").unwrap().test,
            CondTest::Int(StrOp::Gt, 5)
        ));
        let ne = cond("x !-ne7").unwrap();
        assert!(matches!(ne.test, CondTest::Int(StrOp::Eq, 7)) && !ne.negate);
        let f = cond("%{DOCUMENT_ROOT}%{REQUEST_URI} !-f").unwrap();
        assert!(matches!(f.test, CondTest::File) && f.negate);
        assert!(matches!(cond("x -d").unwrap().test, CondTest::Dir));
        assert!(matches!(cond("x -s").unwrap().test, CondTest::NonEmpty));
        assert!(matches!(cond("x -L").unwrap().test, CondTest::Link));
        // Too short to be an operator: a regex, as in httpd.
        assert!(matches!(cond("x =").unwrap().test, CondTest::Regex(_)));
        assert!(matches!(cond("x -lt").unwrap().test, CondTest::Regex(_)));
        assert!(matches!(cond("x -fx").unwrap().test, CondTest::Regex(_)));
        // NC is dropped where httpd ignores it.
        assert!(!cond("x -f [NC]").unwrap().nocase);
        assert!(cond("x ^a [nocase,NV]").unwrap().nocase);
    }

    #[test]
    fn cond_errors() {
        assert!(cond("x").unwrap_err().starts_with("bad argument line"));
        assert_eq!(cond("x y [X]").unwrap_err(), "unknown flag 'X'");
        assert!(
            cond("x y [NC")
                .unwrap_err()
                .starts_with("bad flag delimiters")
        );
        assert!(
            cond("x (")
                .unwrap_err()
                .starts_with("cannot compile regular expression '('")
        );
        for t in ["-x", "-U", "-F", "!-F"] {
            assert!(
                cond(&format!("x {t}"))
                    .unwrap_err()
                    .contains("not supported"),
                "{t}"
            );
        }
        assert!(cond("expr \"true\"").is_err());
        assert!(cond("%{LA-U:REMOTE_USER} ^a").is_err());
    }

    #[test]
    fn rule_flags() {
        let r = rule("^ https://%{SERVER_NAME}%{REQUEST_URI} [END,NE,R=permanent]").unwrap();
        assert!(r.last && r.noescape && r.redirect && !r.status_only && r.code == 301);
        assert_eq!(rule("^/x /y [R]").unwrap().code, 302);
        assert_eq!(rule("^/x /y [redirect=seeother,last]").unwrap().code, 303);
        assert_eq!(rule("^/x /y [r=Temp]").unwrap().code, 302);
        assert_eq!(rule("^/x /y [R=308]").unwrap().code, 308);
        assert_eq!(rule("^/x /y [R=nonsense]").unwrap().code, 302);
        let gone = rule("^/x /y [R=410]").unwrap();
        assert!(gone.status_only && gone.code == 410);
        let f = rule("^/x - [F]").unwrap();
        assert!(f.status_only && f.code == 403 && f.subst.is_none());
        assert_eq!(rule("^/x - [gone]").unwrap().code, 410);
        let q = rule("^/x /y [QSA,qsdiscard,NC]").unwrap();
        assert!(q.qsappend && q.qsdiscard && q.pattern.is_match("/X"));
        assert!(rule("!^/x /y").unwrap().negate);
        // httpd ignores words after the flags.
        assert!(rule("^/x /y [L] junk").unwrap().last);
        assert!(
            parse_rule(&["^/x", "/y", "[ R=301 , L ]"], vec![])
                .unwrap()
                .last
        );
    }

    #[test]
    fn rule_errors() {
        for f in [
            "P",
            "PT",
            "C",
            "N",
            "S=1",
            "E=a:b",
            "CO=a:b:c",
            "T=text/plain",
            "H=x",
            "B",
            "BNP",
            "DPI",
            "QSL",
            "UnsafeAllow3F",
            "NS",
        ] {
            let e = rule(&format!("^/x /y [{f}]")).unwrap_err();
            let name = f.split('=').next().unwrap();
            assert!(
                e.starts_with(&format!("flag '{name}'")) && e.contains("not supported"),
                "{e}"
            );
        }
        assert_eq!(rule("^/x /y [Bogus]").unwrap_err(), "unknown flag 'Bogus'");
        assert_eq!(
            parse_rule(&["^/x", "/y", "[R =301]"], vec![]).unwrap_err(),
            "unknown flag 'R '"
        );
        assert_eq!(rule("^/x /y [L,]").unwrap_err(), "unknown flag ''");
        assert_eq!(rule("^/x /y []").unwrap_err(), "unknown flag ''");
        assert!(
            rule("^/x /y [R=301,")
                .unwrap_err()
                .starts_with("bad flag delimiters")
        );
        assert!(
            rule("^/x /y L]")
                .unwrap_err()
                .starts_with("bad flag delimiters")
        );
        assert_eq!(
            rule("^/x /y [R=299]").unwrap_err(),
            "invalid HTTP response code '299' for flag 'R'"
        );
        assert!(rule("^/x /y [R=200]").is_err());
        assert!(
            rule("^/x( /y")
                .unwrap_err()
                .starts_with("cannot compile regular expression '^/x('")
        );
        assert!(rule("^/x").unwrap_err().starts_with("bad argument line"));
    }

    #[test]
    fn atoi_is_c() {
        assert_eq!(atoi(" 42abc"), 42);
        assert_eq!(atoi("-7"), -7);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(""), 0);
    }
}

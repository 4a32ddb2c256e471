//! Takes the arguments of mod_headers' `Header` and `RequestHeader` lines and gives rules; applies
//! rules in order to a header map (response headers for `Header`, request headers for
//! `RequestHeader`), reading env vars, SSL vars and request times from a [`Context`].

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::header::{HeaderMap, HeaderName, HeaderValue};

use crate::regex::Pattern;

/// httpd's table for a `Header` rule: `onsuccess` (the default) or `always` (error responses
/// too). `RequestHeader` rules carry `OnSuccess`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    OnSuccess,
    Always,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Set,
    Append,
    Add,
    Merge,
    SetIfEmpty,
    Unset,
    Echo,
    Edit,
    EditAll,
}

/// `env=VAR`: the rule applies when VAR is set (even to ""); `env=!VAR`: when it is not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    Env { name: String, negate: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Time,
    Elapsed,
    Env(String),
    Ssl(String),
    LoadAvg,
}

/// A value (or an edit's replacement): literal text and `%` specifiers.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Format(Vec<Piece>);

#[derive(Clone, Debug)]
pub struct HeaderRule {
    pub table: Table,
    pub action: Action,
    /// The header name as written, up to any `:`; for echo, the regex as written.
    pub name: String,
    /// The value of set/append/add/merge/setifempty; the replacement of edit/edit*.
    pub value: Option<Format>,
    /// The regex of echo (matched caseless: hyper gives names in lower case) and of edit.
    pub pattern: Option<Pattern>,
    pub condition: Option<Condition>,
    key: Option<HeaderName>,
    /// The edit regex again, compiled for match offsets (which `Pattern` does not give).
    finder: Option<Arc<pcre2::bytes::Regex>>,
}

/// What values and conditions may read.
pub struct Context<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub request_headers: &'a HeaderMap,
    pub request_time: SystemTime,
    pub elapsed: Duration,
    pub ssl_var: &'a dyn Fn(&str) -> Option<String>,
}

const FIRST_ARG: &str = "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', \
                         'unset', 'echo', 'note', 'edit', or 'edit*'.";
const MISSING_ENV: &str = "error: missing environment variable name. envclause should be in the \
                           form env=envar ";

/// One `Header` line's arguments (after the directive name).
pub fn parse_header(args: &[&str]) -> Result<HeaderRule, String> {
    match args.first() {
        Some(a) if a.eq_ignore_ascii_case("always") => parse(true, Table::Always, &args[1..]),
        Some(a) if a.eq_ignore_ascii_case("onsuccess") => parse(true, Table::OnSuccess, &args[1..]),
        _ => parse(true, Table::OnSuccess, args),
    }
}

/// One `RequestHeader` line's arguments (after the directive name).
pub fn parse_request_header(args: &[&str]) -> Result<HeaderRule, String> {
    parse(false, Table::OnSuccess, args)
}

/// The checks of httpd's `header_inout_cmd`, in its order.
fn parse(response: bool, table: Table, args: &[&str]) -> Result<HeaderRule, String> {
    let directive = if response { "Header" } else { "RequestHeader" };
    if args.len() > 5 {
        return Err(format!("{directive} has too many arguments"));
    }
    let arg = |i: usize| args.get(i).copied();
    let (hdr, mut value, subs, mut clause) = (arg(1).unwrap_or(""), arg(2), arg(3), arg(4));
    let action = match arg(0).unwrap_or("").to_ascii_lowercase().as_str() {
        "set" => Action::Set,
        "setifempty" => Action::SetIfEmpty,
        "add" => Action::Add,
        "append" => Action::Append,
        "merge" => Action::Merge,
        "unset" => Action::Unset,
        "echo" => Action::Echo,
        "edit" => Action::Edit,
        "edit*" => Action::EditAll,
        "note" if !response => {
            return Err("RequestHeader does not support the 'note' action".into());
        }
        "note" => return Err(refused("Header note")),
        _ => return Err(FIRST_ARG.into()),
    };
    let (mut pattern, mut finder, mut source) = (None, None, value);
    if matches!(action, Action::Edit | Action::EditAll) {
        let (Some(re), Some(replacement)) = (value, subs) else {
            return Err("Header edit requires a match and a substitution".into());
        };
        let bad = "Header edit regex could not be compiled";
        pattern = Some(Pattern::new(re, false).map_err(|_| bad)?);
        let built = pcre2::bytes::RegexBuilder::new().utf(true).build(re);
        finder = Some(Arc::new(built.map_err(|_| bad)?));
        source = Some(replacement);
    } else if clause.is_some() {
        return Err("Too many arguments to directive".into());
    } else {
        clause = subs;
    }
    if matches!(action, Action::Unset | Action::Echo) {
        source = None;
        if let Some(v) = value.take() {
            if clause.is_some() && action == Action::Echo {
                return Err("Header echo takes two arguments".into());
            } else if clause.is_some() {
                return Err("header unset takes two arguments".into());
            }
            clause = Some(v);
        }
    } else if value.is_none() {
        return Err("Header requires three arguments".into());
    }
    if action == Action::Echo {
        if !response {
            return Err("Header echo only valid on Header directives".into());
        }
        let p = Pattern::new(hdr, true).map_err(|_| "Header echo regex could not be compiled")?;
        pattern = Some(p);
    }
    let condition = clause.map(|c| parse_condition(directive, c)).transpose()?;
    let (name, key) = if action == Action::Echo {
        (hdr.to_string(), None)
    } else {
        let name = hdr.split(':').next().unwrap_or("");
        let key = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("'{name}' is not a valid header name"))?;
        (name.to_string(), Some(key))
    };
    // httpd tests for `expr=` here case-sensitively (`EXPR=x` is a literal value).
    if source.is_some_and(|s| s.starts_with("expr=")) {
        return Err(refused(&format!("{directive} ... expr=<value>")));
    }
    let value = source.map(parse_format).transpose()?;
    Ok(HeaderRule {
        table,
        action,
        name,
        value,
        pattern,
        condition,
        key,
        finder,
    })
}

fn refused(what: &str) -> String {
    format!("{what} is not supported yet")
}

fn parse_condition(directive: &str, clause: &str) -> Result<Condition, String> {
    let prefixed = |p: &str| {
        let head = clause.get(..p.len())?;
        head.eq_ignore_ascii_case(p).then(|| &clause[p.len()..])
    };
    match (prefixed("env="), prefixed("expr=")) {
        (Some("" | "!"), _) => Err(MISSING_ENV.into()),
        // One `!` negates: `env=!!X` tests a variable named `!X`, as in httpd.
        (Some(var), _) => {
            let (name, negate) = (
                var.strip_prefix('!').unwrap_or(var).into(),
                var.starts_with('!'),
            );
            Ok(Condition::Env { name, negate })
        }
        (None, Some(_)) => Err(refused(&format!("{directive} ... expr=<condition>"))),
        _ if clause.eq_ignore_ascii_case("early") => {
            Err(refused(&format!("{directive} ... early")))
        }
        _ => Err(format!("Unknown parameter: {clause}")),
    }
}

/// httpd's value syntax: `\n`, `\r`, `\t`, `\\` escapes; `%%` and a trailing `%` are `%`;
/// `%t`, `%D`, `%l`, `%{VAR}e`, `%{VAR}s` (any may take a `{}` argument, ignored if unused).
fn parse_format(s: &str) -> Result<Format, String> {
    let mut pieces = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let literal = match (c, chars.peek()) {
            ('\\', Some('\\')) => Some(('\\', true)),
            ('\\', Some('r')) => Some(('\r', true)),
            ('\\', Some('n')) => Some(('\n', true)),
            ('\\', Some('t')) => Some(('\t', true)),
            ('%', None | Some('%')) => Some(('%', true)),
            ('%', _) => None,
            _ => Some((c, false)),
        };
        if let Some((ch, escape)) = literal {
            if escape {
                chars.next();
            }
            match pieces.last_mut() {
                Some(Piece::Text(text)) => text.push(ch),
                _ => pieces.push(Piece::Text(ch.into())),
            }
            continue;
        }
        let mut arg = String::new();
        if chars.next_if_eq(&'{').is_some() {
            arg = chars.by_ref().take_while(|&c| c != '}').collect();
        }
        let piece = match chars.next() {
            Some('t') => Piece::Time,
            Some('D') => Piece::Elapsed,
            Some('e') => Piece::Env(arg),
            Some('s') => Piece::Ssl(arg),
            Some('l') => Piece::LoadAvg,
            Some(c @ ('i' | 'b')) => return Err(refused(&format!("%{c} (idle/busy workers)"))),
            c => {
                let tag = c.map(String::from).unwrap_or_default();
                return Err(format!("Unrecognized header format %{tag}"));
            }
        };
        pieces.push(piece);
    }
    Ok(Format(pieces))
}

impl Format {
    /// The value for one request: `(null)` for an unset variable (or an empty SSL one);
    /// newlines in variables become spaces, as httpd's `unwrap_header` does.
    pub fn render(&self, ctx: &Context) -> String {
        let var = |v: Option<String>| v.map_or("(null)".into(), |v| v.replace(['\r', '\n'], " "));
        let mut out = String::new();
        for piece in &self.0 {
            out += &match piece {
                Piece::Text(t) => t.clone(),
                Piece::Time => {
                    let since = ctx.request_time.duration_since(UNIX_EPOCH);
                    format!("t={}", since.unwrap_or_default().as_micros())
                }
                Piece::Elapsed => format!("D={}", ctx.elapsed.as_micros()),
                Piece::Env(name) => var((ctx.env)(name)),
                Piece::Ssl(name) => var((ctx.ssl_var)(name).filter(|v| !v.is_empty())),
                Piece::LoadAvg => load_average(),
            };
        }
        out
    }
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let words = text.split_whitespace().take(3);
    let loads: Vec<f64> = words.flat_map(|w| w.parse()).collect();
    match loads.as_slice() {
        [a, b, c] => format!("l={a:.2}/{b:.2}/{c:.2}"),
        _ => "l=-1.00/-1.00/-1.00".to_string(),
    }
}

/// Applies rules in order to `headers` (response headers for Header, request headers for
/// RequestHeader). A result that is not a valid header value leaves the header as it was.
pub fn apply<'r>(
    rules: impl IntoIterator<Item = &'r HeaderRule>,
    headers: &mut HeaderMap,
    ctx: &Context,
) {
    for rule in rules {
        if let Some(Condition::Env { name, negate }) = &rule.condition
            && (ctx.env)(name).is_some() == *negate
        {
            continue;
        }
        rule.run(headers, ctx);
    }
}

impl HeaderRule {
    fn run(&self, headers: &mut HeaderMap, ctx: &Context) {
        let text = self.value.as_ref().map_or(String::new(), |f| f.render(ctx));
        let new = HeaderValue::from_bytes(text.as_bytes());
        match (self.action, &self.key, new) {
            (Action::Echo, ..) => {
                let Some(pattern) = &self.pattern else { return };
                for (name, value) in ctx.request_headers {
                    if pattern.is_match(name.as_str()) {
                        _ = headers.try_append(name, value.clone());
                    }
                }
            }
            (Action::Unset, Some(key), _) => _ = headers.remove(key),
            (Action::Set, Some(key), Ok(v)) => _ = headers.try_insert(key, v),
            (Action::SetIfEmpty, Some(key), Ok(v)) if !headers.contains_key(key) => {
                _ = headers.try_insert(key, v)
            }
            (Action::Add, Some(key), Ok(v)) => _ = headers.try_append(key, v),
            (Action::Append | Action::Merge, Some(key), Ok(v)) => match headers.get_mut(key) {
                None => _ = headers.try_append(key, v),
                Some(first) if self.action == Action::Merge && has_token(first, &v) => {}
                Some(first) => {
                    let joined = [first.as_bytes(), b", ", v.as_bytes()].concat();
                    if let Ok(joined) = HeaderValue::from_bytes(&joined) {
                        *first = joined;
                    }
                }
            },
            (Action::Edit | Action::EditAll, Some(key), _) if headers.contains_key(key) => {
                let Some(re) = &self.finder else { return };
                let old: Vec<HeaderValue> = headers.get_all(key).iter().cloned().collect();
                headers.remove(key);
                let all = self.action == Action::EditAll;
                for v in old {
                    let edited = std::str::from_utf8(v.as_bytes()).ok().and_then(|s| {
                        HeaderValue::from_bytes(edit(re, s, &text, all).as_bytes()).ok()
                    });
                    _ = headers.try_append(key, edited.unwrap_or(v));
                }
            }
            _ => {}
        }
    }
}

/// httpd's merge test: is `new` one of the comma-separated tokens of `old`, byte for byte
/// (case matters; leading blanks skipped, trailing kept; no split inside double quotes)?
fn has_token(old: &HeaderValue, new: &HeaderValue) -> bool {
    let (old, mut i) = (old.as_bytes(), 0);
    while i < old.len() {
        while old.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let (start, mut quoted) = (i, false);
        while old.get(i).is_some_and(|&b| quoted || b != b',') {
            quoted ^= old[i] == b'"';
            i += 1;
        }
        if old.get(start..i) == Some(new.as_bytes()) {
            return true;
        }
        i += 1;
    }
    false
}

/// Replaces the first match (edit*: every match) of `re` in `value` by `replacement`, where
/// `$0`..`$9` are groups and `\c` is `c`. As in httpd, the search after a match starts a new
/// subject (so `^` matches again); on an empty match, where httpd recurses until it crashes,
/// edit* copies one character and goes on.
fn edit(re: &pcre2::bytes::Regex, value: &str, replacement: &str, all: bool) -> String {
    let (mut out, mut rest, mut locs) = (String::new(), value, re.capture_locations());
    while let Ok(Some(_)) = re.captures_read(&mut locs, rest.as_bytes()) {
        let Some((start, end)) = locs.get(0) else {
            break;
        };
        out += rest.get(..start).unwrap_or("");
        let mut chars = replacement.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek().and_then(|d| d.to_digit(10))) {
                ('$', Some(n)) => {
                    chars.next();
                    let group = locs.get(n as usize).and_then(|(s, e)| rest.get(s..e));
                    out += group.unwrap_or("");
                }
                ('\\', _) if chars.peek().is_some() => out.extend(chars.next()),
                _ => out.push(c),
            }
        }
        rest = rest.get(end..).unwrap_or("");
        if !all {
            break;
        }
        if start == end {
            let mut step = rest.chars();
            let Some(c) = step.next() else { return out };
            out.push(c);
            rest = step.as_str();
        }
    }
    out + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<&str> {
        line.split('|').collect()
    }

    /// `RequestHeader a|b|c` or (by default) `Header a|b|c`: arguments split at `|`.
    fn rule(line: &str) -> Result<HeaderRule, String> {
        match line.strip_prefix("RequestHeader ") {
            Some(args) => parse_request_header(&words(args)),
            None => parse_header(&words(line.strip_prefix("Header ").unwrap_or(line))),
        }
    }

    /// `RULE && RULE => name: value # value`: the rules run on empty response headers (with
    /// request headers `req`) must leave exactly those values of `name`.
    fn check(case: &str, req: &HeaderMap) {
        let (rules, want) = case.split_once(" => ").unwrap();
        let rules: Vec<HeaderRule> = rules.split(" && ").map(|l| rule(l).unwrap()).collect();
        let env = |k: &str| {
            let vars = [
                ("FOO", "bar"),
                ("EMPTY", ""),
                ("NL", "a\r\nb"),
                ("BAD", "a\u{1}b"),
            ];
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let ssl = |k: &str| (k == "SSL_PROTOCOL").then(|| "TLSv1.3".to_string());
        let ctx = Context {
            env: &env,
            request_headers: req,
            request_time: UNIX_EPOCH + Duration::from_micros(991424704447256),
            elapsed: Duration::from_micros(3775428),
            ssl_var: &ssl,
        };
        let mut headers = HeaderMap::new();
        apply(&rules, &mut headers, &ctx);
        let (name, want) = want.split_once(": ").unwrap();
        let got: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(got.join(" # "), want, "{case}");
    }

    #[test]
    fn parses_every_action_and_table() {
        for (line, action) in [
            ("set|X-A:|v", Action::Set),
            ("SETIFEMPTY|X-A|v", Action::SetIfEmpty),
            ("add|X-A|v", Action::Add),
            ("Append|X-A|v", Action::Append),
            ("merge|X-A|v", Action::Merge),
            ("unset|X-A", Action::Unset),
            ("edit|X-A|v|w", Action::Edit),
            ("edit*|X-A|v|w", Action::EditAll),
        ] {
            let r = rule(line).unwrap();
            assert_eq!(
                (r.action, r.table, r.name.as_str()),
                (action, Table::OnSuccess, "X-A")
            );
            assert_eq!(
                rule(&format!("RequestHeader {line}")).unwrap().action,
                action
            );
        }
        let r = rule("ALWAYS|echo|^TS").unwrap();
        let got = (r.table, r.action, r.name.as_str(), r.value);
        assert_eq!(got, (Table::Always, Action::Echo, "^TS", None));
        assert_eq!(rule("onsuccess|unset|X").unwrap().table, Table::OnSuccess);
        let cond = |c: &str| rule(&format!("set|X|y|{c}")).unwrap().condition;
        let env = |name: &str, negate| {
            Some(Condition::Env {
                name: name.into(),
                negate,
            })
        };
        assert_eq!(cond("env=HTTPS"), env("HTTPS", false));
        assert_eq!(cond("ENV=!HTTPS"), env("HTTPS", true));
        assert_eq!(cond("env=!!X"), env("!X", true));
    }

    #[test]
    fn parse_errors_as_httpd_words_them() {
        let first = format!("=> {FIRST_ARG}");
        let missing = format!("=> {MISSING_ENV}");
        for case in [
            &format!("bogus|X|y {first}"),
            &format!(" {first}"),
            &format!("always {first}"),
            &format!("RequestHeader always|set|X|y {first}"),
            "set|X => Header requires three arguments",
            "set => Header requires three arguments",
            "edit|X|a => Header edit requires a match and a substitution",
            "always|set|X|y|a|b|c => Header has too many arguments",
            "RequestHeader set|X|y|a|b|c => RequestHeader has too many arguments",
            "set|X|y|env=A|z => Too many arguments to directive",
            "unset|X|env=A|y => header unset takes two arguments",
            "echo|X|env=A|y => Header echo takes two arguments",
            "set|X|y|z => Unknown parameter: z",
            "unset|X|y => Unknown parameter: y",
            "edit|X|a|b|c => Unknown parameter: c",
            "edit|X|(|b => Header edit regex could not be compiled",
            "echo|( => Header echo regex could not be compiled",
            "RequestHeader echo|X => Header echo only valid on Header directives",
            "RequestHeader note|X => RequestHeader does not support the 'note' action",
            &format!("set|X|y|env= {missing}"),
            &format!("set|X|y|env=! {missing}"),
            "set|X|%L => Unrecognized header format %L",
            "set|X|%{abc} => Unrecognized header format %",
            "set|X|a%/ => Unrecognized header format %/",
            "edit|X|a|%Q => Unrecognized header format %Q",
            "set|X Y|v => 'X Y' is not a valid header name",
            "set|X|y|early => Header ... early is not supported yet",
            "RequestHeader set|X|y|EXPR=true => RequestHeader ... expr=<condition> is not supported yet",
            "set|X|expr=%{REQUEST_URI} => Header ... expr=<value> is not supported yet",
            "note|X|n => Header note is not supported yet",
            "set|X|%{X}i => %i (idle/busy workers) is not supported yet",
            "add|X|%b => %b (idle/busy workers) is not supported yet",
        ] {
            let (line, message) = case.split_once(" => ").unwrap();
            assert_eq!(rule(line.trim()).unwrap_err(), message, "{case}");
        }
    }

    #[test]
    fn applies_like_mod_headers() {
        let none = HeaderMap::new();
        for case in [
            // Values: escapes, %-specifiers, unset variables, newlines in variables.
            "set|F|%D %t/%{FOO}e/%{NOPE}e/%{NL}e/%{SSL_PROTOCOL}s/%{X}s/%%/%{EMPTY}e/\\t\\\\\\x/% => f: D=3775428 t=991424704447256/bar/(null)/a  b/TLSv1.3/(null)/%//\t\\\\x/%",
            "set|L|%l && edit|L|^l=(-?[0-9]+\\.[0-9]{2}/){2}-?[0-9]+\\.[0-9]{2}$|ok => l: ok",
            "set|X|EXPR=a => x: EXPR=a",
            "set|X-A|1 && add|x-a|2 && set|X-A|3 => x-a: 3",
            "add|X-A|1 && add|x-a|2 && add|x-a|3 => x-a: 1 # 2 # 3",
            "add|X-A|1 && add|x-a|2 && unset|X-A => x-a: ",
            "set|E| && setifempty|e|v => e: ",
            "setifempty|n|v => n: v",
            "append|m|v && unset|m => m: ",
            "append|A|z => a: z",
            "add|A|1 && add|A|2 && append|A|z => a: 1, z # 2",
            // Merge compares whole tokens, byte for byte; quoted commas do not split.
            r#"set|M|a, "b, c", d && merge|M|"b, c" => m: a, "b, c", d"#,
            r#"set|M|a, "b, c", d && merge|M|c => m: a, "b, c", d, c"#,
            "set|M|a,  d && merge|M|d => m: a,  d",
            "set|M|a , b && merge|M|a => m: a , b, a",
            "set|M|A && merge|M|a => m: A, a",
            "merge|M|x && merge|M|x => m: x",
            // Edit: $n groups, \c escapes, % in the replacement; edit* restarts after a match.
            r"set|R|abcb && edit|R|(b)|[$1&\$1$9\x] => r: a[b&$1x]cb",
            "set|R|abcb && edit*|R|(b)|<%{FOO}e> => r: a<bar>c<bar>",
            "set|R|aaa && edit*|R|^a|b => r: bbb",
            "set|R|abab && edit*|R|(?<=a)b|X => r: aXaX",
            "set|R|abc && edit|R|x*|- => r: -abc",
            "set|R|abc && edit*|R|x*|- => r: -a-b-c-",
            "set|R|ab && edit*|R|$|! => r: ab!",
            "set|R|abc && edit|R|z|- => r: abc",
            "add|R|a, b && add|R|c && edit|R|^(.)|<$1> => r: <a>, b # <c>",
            "edit|R|a|b => r: ",
            "set|Set-Cookie|id=1 && edit|Set-Cookie|^(.*)$|$1; HttpOnly => set-cookie: id=1; HttpOnly",
            // Conditions: set-but-empty counts as set.
            "set|C|1|env=EMPTY && add|C|2|env=!EMPTY && add|C|3|env=!NOPE && add|C|4|env=NOPE => c: 1 # 3",
            "set|C|x && unset|C|env=FOO => c: ",
            // Invalid results leave the header as it was.
            r"set|X|old && set|X|a\nb => x: old",
            "add|X|%{BAD}e => x: ",
            "set|Y|1 && append|Y|%{BAD}e && edit|Y|1|%{BAD}e => y: 1",
            "always|set|Strict-Transport-Security|max-age=31536000; includeSubDomains => strict-transport-security: max-age=31536000; includeSubDomains",
            "RequestHeader set|X-Forwarded-Proto|http && RequestHeader set|X-Forwarded-Proto|https => x-forwarded-proto: https",
        ] {
            check(case, &none);
        }
    }

    #[test]
    fn echo_copies_matching_request_headers() {
        let mut req = HeaderMap::new();
        for (k, v) in [
            ("ts-one", "1"),
            ("x-ts", "2"),
            ("accept", "*/*"),
            ("ts-one", "3"),
        ] {
            req.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        check("echo|^TS => ts-one: 1 # 3", &req);
        check("echo|^TS => x-ts: ", &req);
        check("set|Accept|old && echo|Accept => accept: old # */*", &req);
    }
}

//! Takes the text of `Require expr` and gives a small subset of httpd's ap_expr, evaluated
//! against request variables; anything outside the subset is refused with a message naming it.
//!
//! The subset: `true`, `false`, `!`, `&&`, `||`, parentheses; words that are `'...'`/`"..."`
//! strings (with `%{VAR}` inside), `%{VAR}` or digits; `==` (`=`), `!=`, `<`, `<=`, `>`, `>=`
//! (string order), `=~`/`!~` against `/re/` or `m#re#` (flag `i`), `-ipmatch`, `-strmatch`,
//! `-strcmatch`, `-fnmatch`, and the unary `-n`, `-z`, `-R`. Variables are those in [`VARS`].

use super::ip::{self, IpMatch};
use crate::regex::Pattern;

/// The `%{NAME}` variables accepted (names are case-insensitive). `REMOTE_ADDR`,
/// `CONN_REMOTE_ADDR`, `REQUEST_METHOD`, `REMOTE_USER` and `IPV6` come from the request
/// itself; the caller's lookup gives the others (httpd's values; `None` is the empty string).
#[rustfmt::skip]
pub const VARS: &[&str] = &[
    "REMOTE_ADDR", "CONN_REMOTE_ADDR", "REQUEST_METHOD", "REMOTE_USER", "IPV6", "REQUEST_URI",
    "REQUEST_SCHEME", "QUERY_STRING", "THE_REQUEST", "DOCUMENT_URI", "HTTP_HOST",
    "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_COOKIE", "HTTP_ACCEPT", "HTTP_FORWARDED",
    "HTTP_PROXY_CONNECTION", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
    "SERVER_ADMIN", "HTTPS",
];

/// One piece of a word: literal text or a variable (its name upper-cased).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Var(String),
}

/// A string-valued word: its pieces concatenated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word(pub Vec<Part>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `-strmatch` (glob), `-strcmatch` (glob, any case), `-fnmatch` (glob, `/` not wild).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glob {
    Str,
    StrCase,
    Path,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Bool(bool),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Word, Cmp, Word),
    /// `word =~ re` (`negate`: `!~`).
    Regex {
        word: Word,
        re: Pattern,
        negate: bool,
    },
    IpMatch(Word, IpMatch),
    Glob(Word, Glob, Word),
    /// `-n word` (`true`) or `-z word` (`false`).
    NonEmpty(Word, bool),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(Word),
    Regex(String, bool),
    Op(String),
    Dash(String),
    Open,
    Close,
    Not,
    And,
    Or,
    True,
    False,
}

fn var_name(inner: &str) -> Result<String, String> {
    if inner.contains(':') {
        return Err(format!(
            "'%{{{inner}}}': %{{func:arg}} lookups are not supported by this server's Require expr"
        ));
    }
    let up = inner.to_ascii_uppercase();
    if VARS.contains(&up.as_str()) {
        Ok(up)
    } else {
        Err(format!(
            "variable '{inner}' is not supported by this server's Require expr (supported: {})",
            VARS.join(", ")
        ))
    }
}

/// `%{NAME}` at the start of `s`: the variable and the bytes it used.
fn take_var(s: &str) -> Result<(String, usize), String> {
    let end = s
        .find('}')
        .ok_or_else(|| format!("unterminated variable near '{s}'"))?;
    Ok((var_name(&s[2..end])?, end + 1))
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let after_match = matches!(toks.last(), Some(Tok::Op(o)) if o == "=~" || o == "!~");
        if after_match
            && (c == b'/' || (c == b'm' && b.get(i + 1).is_some_and(u8::is_ascii_punctuation)))
        {
            let (delim, start) = if c == b'/' {
                ('/', i + 1)
            } else {
                (char::from(b[i + 1]), i + 2)
            };
            let len = text[start..]
                .find(delim)
                .ok_or_else(|| format!("unterminated regular expression near '{rest}'"))?;
            let mut next = start + len + 1;
            let caseless = b.get(next) == Some(&b'i');
            if caseless {
                next += 1;
            }
            toks.push(Tok::Regex(text[start..start + len].to_string(), caseless));
            i = next;
            continue;
        }
        let two = rest.get(..2).unwrap_or("");
        let (tok, used) = match two {
            "&&" => (Tok::And, 2),
            "||" => (Tok::Or, 2),
            "==" | "!=" | "<=" | ">=" | "=~" | "!~" => (Tok::Op(two.to_string()), 2),
            "%{" => {
                let (name, used) = take_var(rest)?;
                (Tok::Word(Word(vec![Part::Var(name)])), used)
            }
            _ => match c {
                b'(' => (Tok::Open, 1),
                b')' => (Tok::Close, 1),
                b'!' => (Tok::Not, 1),
                b'=' => (Tok::Op("==".into()), 1),
                b'<' | b'>' => (Tok::Op(char::from(c).to_string()), 1),
                b'\'' | b'"' => string(rest)?,
                b'-' => {
                    let n = rest[1..]
                        .bytes()
                        .take_while(u8::is_ascii_alphabetic)
                        .count();
                    (Tok::Dash(rest[1..1 + n].to_string()), 1 + n)
                }
                b'0'..=b'9' => {
                    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
                    (Tok::Word(Word(vec![Part::Lit(rest[..n].to_string())])), n)
                }
                _ if c.is_ascii_alphabetic() || c == b'_' => {
                    let n = rest
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                        .count();
                    match &rest[..n] {
                        "true" => (Tok::True, n),
                        "false" => (Tok::False, n),
                        w => {
                            return Err(format!(
                                "'{w}' is not supported by this server's Require expr (functions, 'in' lists and bare words are not; quote strings)"
                            ));
                        }
                    }
                }
                _ => {
                    let near = rest.chars().next().unwrap_or(' ');
                    return Err(format!("Parse error near '{near}'"));
                }
            },
        };
        toks.push(tok);
        i += used;
    }
    Ok(toks)
}

/// A quoted string with `%{VAR}` inside and `\x` escapes: the word and the bytes it used.
fn string(s: &str) -> Result<(Tok, usize), String> {
    let q = s.as_bytes()[0];
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 1;
    while i < s.len() {
        let c = s.as_bytes()[i];
        if c == q {
            if !lit.is_empty() || parts.is_empty() {
                parts.push(Part::Lit(lit));
            }
            return Ok((Tok::Word(Word(parts)), i + 1));
        }
        if s[i..].starts_with("%{") {
            let (name, used) = take_var(&s[i..])?;
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            parts.push(Part::Var(name));
            i += used;
            continue;
        }
        let at = if c == b'\\' && i + 1 < s.len() {
            i + 1
        } else {
            i
        };
        let ch = s[at..].chars().next().unwrap_or('\\');
        lit.push(match (at > i, ch) {
            (true, 'n') => '\n',
            (true, 'r') => '\r',
            (true, 't') => '\t',
            (true, 'b') => '\x08',
            (true, 'f') => '\x0c',
            _ => ch,
        });
        i = at + ch.len_utf8();
    }
    Err(format!("unterminated string near {s}"))
}

fn describe(t: &Tok) -> String {
    let fixed = match t {
        Tok::Word(_) => "a string or variable",
        Tok::Regex(r, _) => return format!("regex /{r}/"),
        Tok::Op(o) => return format!("'{o}'"),
        Tok::Dash(d) => return format!("'-{d}'"),
        Tok::Open => "'('",
        Tok::Close => "')'",
        Tok::Not => "'!'",
        Tok::And => "'&&'",
        Tok::Or => "'||'",
        Tok::True => "'true'",
        Tok::False => "'false'",
    };
    fixed.to_string()
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }
    fn word(&mut self) -> Result<Word, String> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w),
            Some(t) => Err(format!(
                "syntax error: expected a string, variable or number, found {}",
                describe(&t)
            )),
            None => Err("syntax error, unexpected end of expression".into()),
        }
    }
    fn unary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Not) => Ok(Expr::Not(Box::new(self.unary()?))),
            Some(Tok::True) => Ok(Expr::Bool(true)),
            Some(Tok::False) => Ok(Expr::Bool(false)),
            Some(Tok::Open) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::Close) => Ok(e),
                    _ => Err("syntax error: missing ')'".into()),
                }
            }
            Some(Tok::Dash(op)) => match op.as_str() {
                "n" | "z" => Ok(Expr::NonEmpty(self.word()?, op == "n")),
                "R" => {
                    let addr = Word(vec![Part::Var("REMOTE_ADDR".into())]);
                    Ok(Expr::IpMatch(addr, self.subnet("-R")?))
                }
                _ => Err(format!(
                    "unary operator '-{op}' is not supported by this server's Require expr"
                )),
            },
            Some(Tok::Word(w)) => self.binary(w),
            Some(t) => Err(format!("syntax error near {}", describe(&t))),
            None => Err("syntax error, unexpected end of expression".into()),
        }
    }
    fn subnet(&mut self, op: &str) -> Result<IpMatch, String> {
        match self.word()?.0.as_slice() {
            [Part::Lit(s)] => {
                ip::parse_word(s).map_err(|_| "parsing of subnet/netmask failed".to_string())
            }
            _ => Err(format!("{op} requires subnet/netmask as constant argument")),
        }
    }
    fn binary(&mut self, left: Word) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Op(op)) => {
                let c = match op.as_str() {
                    "==" => Some(Cmp::Eq),
                    "!=" => Some(Cmp::Ne),
                    "<" => Some(Cmp::Lt),
                    "<=" => Some(Cmp::Le),
                    ">" => Some(Cmp::Gt),
                    ">=" => Some(Cmp::Ge),
                    _ => None,
                };
                if let Some(c) = c {
                    return Ok(Expr::Compare(left, c, self.word()?));
                }
                let Some(Tok::Regex(re, caseless)) = self.next() else {
                    return Err(format!("syntax error: {op} needs /regex/ or m#regex#"));
                };
                let re = Pattern::new(&re, caseless)
                    .map_err(|_| "Failed to compile regular expression".to_string())?;
                Ok(Expr::Regex {
                    word: left,
                    re,
                    negate: op == "!~",
                })
            }
            Some(Tok::Dash(op)) => match op.as_str() {
                "ipmatch" => Ok(Expr::IpMatch(left, self.subnet("-ipmatch")?)),
                "strmatch" => Ok(Expr::Glob(left, Glob::Str, self.word()?)),
                "strcmatch" => Ok(Expr::Glob(left, Glob::StrCase, self.word()?)),
                "fnmatch" => Ok(Expr::Glob(left, Glob::Path, self.word()?)),
                _ => Err(format!(
                    "binary operator '-{op}' is not supported by this server's Require expr"
                )),
            },
            Some(t) => Err(format!(
                "syntax error: expected an operator, found {}",
                describe(&t)
            )),
            None => Err("syntax error, unexpected end of expression".into()),
        }
    }
}

/// Parses one expression; the error says what is wrong or unsupported.
pub fn parse(text: &str) -> Result<Expr, String> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
    };
    let e = p.or()?;
    match p.peek() {
        None => Ok(e),
        Some(t) => Err(format!(
            "syntax error: unexpected {} after the expression",
            describe(t)
        )),
    }
}

impl Word {
    fn eval(&self, var: &dyn Fn(&str) -> String) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.clone(),
                Part::Var(v) => var(v),
            })
            .collect()
    }
    fn has_var(&self, name: &str) -> bool {
        self.0
            .iter()
            .any(|p| matches!(p, Part::Var(v) if v == name))
    }
}

impl Expr {
    /// The truth of the expression; `var` gives a variable's value by upper-case name.
    pub fn eval(&self, var: &dyn Fn(&str) -> String) -> bool {
        match self {
            Expr::Bool(b) => *b,
            Expr::Not(e) => !e.eval(var),
            Expr::And(a, b) => a.eval(var) && b.eval(var),
            Expr::Or(a, b) => a.eval(var) || b.eval(var),
            Expr::Compare(a, c, b) => {
                let o = a.eval(var).as_bytes().cmp(b.eval(var).as_bytes());
                match c {
                    Cmp::Eq => o.is_eq(),
                    Cmp::Ne => o.is_ne(),
                    Cmp::Lt => o.is_lt(),
                    Cmp::Le => o.is_le(),
                    Cmp::Gt => o.is_gt(),
                    Cmp::Ge => o.is_ge(),
                }
            }
            Expr::Regex { word, re, negate } => re.is_match(&word.eval(var)) != *negate,
            Expr::IpMatch(w, m) => w.eval(var).parse().is_ok_and(|a| m.matches(a)),
            Expr::Glob(w, g, p) => glob(&p.eval(var), &w.eval(var), *g),
            Expr::NonEmpty(w, want) => w.eval(var).is_empty() != *want,
        }
    }

    /// Whether it reads `%{REMOTE_USER}` (then a false result means "no user yet").
    pub fn uses_remote_user(&self) -> bool {
        match self {
            Expr::Bool(_) => false,
            Expr::Not(e) => e.uses_remote_user(),
            Expr::And(a, b) | Expr::Or(a, b) => a.uses_remote_user() || b.uses_remote_user(),
            Expr::Compare(a, _, b) | Expr::Glob(a, _, b) => {
                a.has_var("REMOTE_USER") || b.has_var("REMOTE_USER")
            }
            Expr::Regex { word, .. } | Expr::IpMatch(word, _) | Expr::NonEmpty(word, _) => {
                word.has_var("REMOTE_USER")
            }
        }
    }
}

/// `apr_fnmatch` with `APR_FNM_PATHNAME` (`<Files>` and `<Directory>` wildcards).
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    glob(pattern, text, Glob::Path)
}

/// `apr_fnmatch`: `*`, `?`, `[...]` (`!`/`^` negates, ranges), `\` escapes.
fn glob(pat: &str, s: &str, mode: Glob) -> bool {
    let fold = |c: char| {
        if mode == Glob::StrCase {
            c.to_ascii_lowercase()
        } else {
            c
        }
    };
    let p: Vec<char> = pat.chars().map(fold).collect();
    let t: Vec<char> = s.chars().map(fold).collect();
    glob_at(&p, &t, mode == Glob::Path)
}

fn glob_at(p: &[char], t: &[char], path: bool) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len())
            .take_while(|&i| i == 0 || !(path && t[i - 1] == '/'))
            .any(|i| glob_at(&p[1..], &t[i..], path)),
        Some('?') => {
            t.first().is_some_and(|c| !(path && *c == '/')) && glob_at(&p[1..], &t[1..], path)
        }
        Some('[') => match (
            t.first(),
            bracket(&p[1..], t.first().copied().unwrap_or('\0')),
        ) {
            (Some(c), Some((hit, used))) => {
                hit && !(path && *c == '/') && glob_at(&p[1 + used..], &t[1..], path)
            }
            (Some('['), None) => glob_at(&p[1..], &t[1..], path),
            _ => false,
        },
        Some('\\') if p.len() > 1 => t.first() == Some(&p[1]) && glob_at(&p[2..], &t[1..], path),
        Some(c) => t.first() == Some(c) && glob_at(&p[1..], &t[1..], path),
    }
}

/// A bracket expression after its `[`: whether `c` is in it and how many chars it used;
/// `None` when it has no closing `]` (then `[` is literal).
fn bracket(p: &[char], c: char) -> Option<(bool, usize)> {
    let negate = matches!(p.first(), Some('!' | '^'));
    let mut i = usize::from(negate);
    let mut hit = false;
    let mut first = true;
    loop {
        let mut lo = *p.get(i)?;
        if lo == ']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if lo == '\\' {
            i += 1;
            lo = *p.get(i)?;
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|h| *h != ']') {
            let mut j = i + 2;
            if p[j] == '\\' {
                j += 1;
            }
            let hi = *p.get(j)?;
            hit |= lo <= c && c <= hi;
            i = j + 1;
        } else {
            hit |= lo == c;
            i += 1;
        }
    }
}

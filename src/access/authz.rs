//! Takes `Require [not] provider args...` lines and their `<RequireAll|Any|None>` containers
//! (mod_authz_core with the providers of mod_authz_host, mod_authz_user, mod_authz_groupfile)
//! and gives their tree, httpd's configuration-time checks of it, and its result for a request
//! (`apply_authz_sections`).

use super::expr::{self, Expr};
pub use super::ip::IpMatch;
use super::ip::{self, IpError};
use super::{Client, User};
use std::net::IpAddr;

/// One provider with its parsed arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    AllGranted,
    AllDenied,
    Ip(Vec<IpMatch>),
    /// Names or domain suffixes matched against the double-reverse-resolved client name.
    Host(Vec<String>),
    Local,
    /// Granted when any of these request environment variables is set.
    Env(Vec<String>),
    /// Method names, `HEAD` already folded into `GET` as httpd does.
    Method(Vec<String>),
    ValidUser,
    User(Vec<String>),
    Group(Vec<String>),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Provider { negate: bool, provider: Provider },
    Section(Section),
}

/// `<RequireAny>` (also the implicit list of a `<Directory>`), `<RequireAll>`, `<RequireNone>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Any,
    All,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub kind: Kind,
    pub items: Vec<Node>,
}

/// A provider's or a section's verdict (`authz_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthzResult {
    Granted,
    Denied,
    /// Denied for now, but an authenticated user could change that.
    DeniedNoUser,
    Neutral,
}

/// The methods `ap_method_number_of` knows (case-sensitive); `HEAD` counts as `GET`.
#[rustfmt::skip]
const METHODS: &[&str] = &[
    "GET", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PROPFIND",
    "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "VERSION-CONTROL", "CHECKOUT",
    "UNCHECKOUT", "CHECKIN", "UPDATE", "LABEL", "REPORT", "MKWORKSPACE", "MKACTIVITY",
    "BASELINE-CONTROL", "MERGE",
];

/// Providers httpd has in other modules; named so the error says "not supported" rather than
/// "unknown".
#[rustfmt::skip]
const ELSEWHERE: &[&str] = &[
    "forward-dns", "file-owner", "file-group", "dbm-group", "dbd-group", "ldap-user",
    "ldap-group", "ldap-dn", "ldap-attribute", "ldap-filter", "ssl-verify-client",
];

fn words_no_expr(name: &str, args: &[&str]) -> Result<Vec<String>, String> {
    if let Some(w) = args.iter().find(|w| w.contains("%{")) {
        return Err(format!(
            "'Require {name}' with an expression argument ({w}) is not supported by this server"
        ));
    }
    Ok(args.iter().map(|w| w.to_string()).collect())
}

/// One `Require` line, its words after the directive name (unquoted); the errors are
/// httpd's texts where httpd refuses the line too.
pub fn parse_require(args: &[&str]) -> Result<Node, String> {
    let (negate, rest) = match args.first() {
        Some(w) if w.eq_ignore_ascii_case("not") => (true, &args[1..]),
        _ => (false, args),
    };
    let name = rest.first().copied().unwrap_or("");
    let a = rest.get(1..).unwrap_or(&[]);
    let provider = match name {
        "all" => match a {
            [w] if w.eq_ignore_ascii_case("granted") => Provider::AllGranted,
            [w] if w.eq_ignore_ascii_case("denied") => Provider::AllDenied,
            _ => return Err("Argument for 'Require all' must be 'granted' or 'denied'".into()),
        },
        "ip" => {
            if a.is_empty() {
                return Err("'require ip' requires an argument".into());
            }
            let mut list = Vec::new();
            for w in a {
                list.push(ip::parse_word(w).map_err(|e| match e {
                    IpError::NotIp => format!("ip address '{w}' appears to be invalid"),
                    e => format!("ip address '{w}' appears to be invalid: {}", e.message()),
                })?);
            }
            Provider::Ip(list)
        }
        "host" => {
            // mod_authz_host ignores everything from a '#' on.
            let line = a.join(" ");
            let line = line.split('#').next().unwrap_or("");
            let names: Vec<&str> = line.split_whitespace().collect();
            Provider::Host(words_no_expr(name, &names)?)
        }
        "local" => Provider::Local,
        "env" => Provider::Env(a.iter().map(|w| w.to_string()).collect()),
        "method" => {
            let mut list = Vec::new();
            for w in a {
                let m = if *w == "HEAD" { "GET" } else { w };
                if !METHODS.contains(&m) {
                    return Err(format!("Invalid Method '{w}'"));
                }
                list.push(m.to_string());
            }
            Provider::Method(list)
        }
        "valid-user" => Provider::ValidUser,
        "user" => Provider::User(words_no_expr(name, a)?),
        "group" => Provider::Group(words_no_expr(name, a)?),
        "expr" => {
            let line = a.join(" ");
            let text = match line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
                Some(inner) => inner,
                None => &line,
            };
            let e = expr::parse(text)
                .map_err(|e| format!("Cannot parse expression in require line: {e}"))?;
            Provider::Expr(e)
        }
        n if ELSEWHERE.contains(&n) => {
            return Err(format!(
                "The '{n}' Authz provider is not supported by this server"
            ));
        }
        n => return Err(format!("Unknown Authz provider: {n}")),
    };
    Ok(Node::Provider { negate, provider })
}

fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::Any => "<RequireAny>",
        Kind::All => "<RequireAll>",
        Kind::None => "<RequireNone>",
    }
}

/// httpd's configuration-time rules for the whole tree of one `<Directory>`, `<Location>` or
/// similar section (its implicit `<RequireAny>`), in httpd's order: first what `Require` and
/// the containers refuse while being read (a negation directly inside `<RequireAny>` or
/// `<RequireNone>`, an empty container), then the check after reading (a `<RequireAll>`, or
/// the section itself, whose every member is negative — after httpd's own flattening of
/// nested `<RequireAll>`s and of `<RequireNone>` into its parent).
///
/// Give it the section's whole tree once; a container checked alone can be misjudged
/// (`<RequireAll><RequireAll>Require not ip X</RequireAll>Require all granted</RequireAll>`
/// is accepted by httpd).
pub fn check_section(s: &Section) -> Result<(), String> {
    check_reading(s)?;
    only_negative(&normalize(s), true)
}

fn check_reading(s: &Section) -> Result<(), String> {
    let or_like = s.kind != Kind::All;
    for item in &s.items {
        match item {
            Node::Provider { negate: true, .. } if or_like => {
                return Err(format!(
                    "negative Require directive has no effect in {} directive",
                    label(s.kind)
                ));
            }
            Node::Provider { .. } => {}
            Node::Section(c) => {
                check_reading(c)?;
                if c.items.is_empty() {
                    return Err(format!(
                        "{} directive contains no authorization directives",
                        label(c.kind)
                    ));
                }
                if c.kind == Kind::None && or_like {
                    return Err(format!(
                        "{} directive has no effect in {} directive",
                        label(c.kind),
                        label(s.kind)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The shape httpd checks: `and` (else or), `negate`, children (`None` for a provider).
struct Shape {
    and: bool,
    negate: bool,
    kids: Option<Vec<Shape>>,
}

/// The tree as httpd stores it: a non-negated container of the same logic as its parent is
/// merged into the parent while reading.
fn normalize(s: &Section) -> Shape {
    let and = s.kind == Kind::All;
    let mut kids = Vec::new();
    for item in &s.items {
        match item {
            Node::Provider { negate, .. } => kids.push(Shape {
                and: false,
                negate: *negate,
                kids: None,
            }),
            Node::Section(c) => {
                let child = normalize(c);
                match child.kids {
                    Some(grand) if !child.negate && child.and == and => kids.extend(grand),
                    _ => kids.push(child),
                }
            }
        }
    }
    Shape {
        and,
        negate: s.kind == Kind::None,
        kids: Some(kids),
    }
}

/// `authz_core_check_section`: after applying De Morgan to negated children of the other
/// logic, some member must be positive.
fn only_negative(s: &Shape, is_conf: bool) -> Result<(), String> {
    let kids = s.kids.as_deref().unwrap_or(&[]);
    let mut positive = false;
    for child in kids {
        if let Some(grand) = &child.kids {
            only_negative(child, false)?;
            if child.negate && child.and != s.and {
                // Its members join this section with their negation flipped.
                positive |= grand.iter().any(|g| g.negate);
                continue;
            }
        }
        positive |= !child.negate;
    }
    if positive {
        return Ok(());
    }
    let what = if is_conf {
        "<Directory>, <Location>, or similar".to_string()
    } else {
        format!(
            "<Require{}>",
            match (s.and, s.negate) {
                (true, false) => "All",
                (true, true) => "NotAll",
                (false, false) => "Any",
                (false, true) => "None",
            }
        )
    };
    Err(format!(
        "{what} directive contains only negative authorization directives"
    ))
}

/// What a provider sees of the request.
pub struct Ctx<'a> {
    pub client: &'a Client<'a>,
    pub user: Option<&'a User<'a>>,
}

impl Provider {
    fn check(&self, cx: &Ctx) -> AuthzResult {
        use AuthzResult::*;
        let grant = |b: bool| if b { Granted } else { Denied };
        let c = cx.client;
        match self {
            Provider::AllGranted => Granted,
            Provider::AllDenied => Denied,
            Provider::Ip(list) => grant(list.iter().any(|m| m.matches(c.ip))),
            Provider::Host(names) => grant(
                c.remote_host
                    .is_some_and(|h| names.iter().any(|n| ip::in_domain(n, h))),
            ),
            Provider::Local => grant(ip::is_local(c.ip, c.local_ip)),
            Provider::Env(vars) => grant(vars.iter().any(|v| (c.env)(v).is_some())),
            Provider::Method(list) => {
                let m = if c.method == "HEAD" { "GET" } else { c.method };
                grant(list.iter().any(|x| x == m))
            }
            Provider::ValidUser => match cx.user {
                Some(_) => Granted,
                None => DeniedNoUser,
            },
            Provider::User(names) => match cx.user {
                Some(u) => grant(names.iter().any(|n| n == u.name)),
                None => DeniedNoUser,
            },
            Provider::Group(groups) => match cx.user {
                Some(u) => grant(groups.iter().any(|g| (u.groups)(g))),
                None => DeniedNoUser,
            },
            Provider::Expr(e) => {
                let var = |name: &str| expr_var(cx, name);
                match (e.eval(&var), e.uses_remote_user()) {
                    (true, _) => Granted,
                    (false, true) => DeniedNoUser,
                    (false, false) => Denied,
                }
            }
        }
    }
}

fn expr_var(cx: &Ctx, name: &str) -> String {
    let c = cx.client;
    match name {
        "REMOTE_ADDR" | "CONN_REMOTE_ADDR" => c.ip.to_string(),
        "REQUEST_METHOD" => c.method.to_string(),
        "REMOTE_USER" => cx.user.map(|u| u.name.to_string()).unwrap_or_default(),
        "IPV6" => match ip::canonical(c.ip) {
            IpAddr::V6(_) => "on".into(),
            IpAddr::V4(_) => "off".into(),
        },
        other => (c.expr_var)(other).unwrap_or_default(),
    }
}

fn negated(r: AuthzResult) -> AuthzResult {
    match r {
        AuthzResult::Granted => AuthzResult::Denied,
        AuthzResult::Denied | AuthzResult::DeniedNoUser => AuthzResult::Neutral,
        AuthzResult::Neutral => AuthzResult::Neutral,
    }
}

impl Node {
    pub fn evaluate(&self, cx: &Ctx) -> AuthzResult {
        match self {
            Node::Provider { negate, provider } => {
                let r = provider.check(cx);
                if *negate { negated(r) } else { r }
            }
            Node::Section(s) => s.evaluate(cx),
        }
    }
}

impl Section {
    /// `apply_authz_sections`: all-of or any-of the members; a negated result never grants.
    pub fn evaluate(&self, cx: &Ctx) -> AuthzResult {
        use AuthzResult::*;
        let and = self.kind == Kind::All;
        let mut result = Neutral;
        for item in &self.items {
            let r = item.evaluate(cx);
            if r == Neutral {
                continue;
            }
            if and {
                if r == Denied {
                    result = Denied;
                    break;
                }
                if (r == DeniedNoUser && result != Denied) || result == Neutral {
                    result = r;
                }
            } else {
                if r == Granted {
                    result = Granted;
                    break;
                }
                if (r == DeniedNoUser && result == Denied) || result == Neutral {
                    result = r;
                }
            }
        }
        if self.kind == Kind::None {
            negated(result)
        } else {
            result
        }
    }

    /// Whether any `Require expr` is in the tree.
    pub fn uses_expr(&self) -> bool {
        self.items.iter().any(|n| match n {
            Node::Provider { provider, .. } => matches!(provider, Provider::Expr(_)),
            Node::Section(s) => s.uses_expr(),
        })
    }

    /// Whether any `Require host` (negated or not) is in the tree.
    pub fn uses_host(&self) -> bool {
        self.items.iter().any(|n| match n {
            Node::Provider { provider, .. } => matches!(provider, Provider::Host(_)),
            Node::Section(s) => s.uses_host(),
        })
    }
}

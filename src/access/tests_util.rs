//! Test helpers: takes config text (the access directives of sections) and request facts and
//! gives trees, merged configs and decisions as status codes, mirroring the Apache 2.4.71
//! setup the expected values were taken from.

use super::authz::{self, Kind, Node, Section};
use super::compat::{self, Compat};
use super::{AccessConf, Client, Decision, Merging, decide, merge};

/// Splits a line into words; `"..."` is one word without its quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').expect("closing quote");
            out.push(r[..end].to_string());
            rest = r[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// One section's access directives (one per line) as httpd would read them, with the
/// configuration-time checks applied to its tree.
pub fn conf(src: &str) -> Result<AccessConf, String> {
    let mut c = AccessConf::default();
    let mut stack: Vec<Section> = Vec::new();
    for line in src.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let w = words(line);
        let args: Vec<&str> = w[1..].iter().map(String::as_str).collect();
        let open = |kind| Section {
            kind,
            items: Vec::new(),
        };
        let node = match w[0].to_ascii_lowercase().as_str() {
            "<requireall>" => {
                stack.push(open(Kind::All));
                continue;
            }
            "<requireany>" => {
                stack.push(open(Kind::Any));
                continue;
            }
            "<requirenone>" => {
                stack.push(open(Kind::None));
                continue;
            }
            "</requireall>" | "</requireany>" | "</requirenone>" => {
                Node::Section(stack.pop().expect("open container"))
            }
            "require" => authz::parse_require(&args)?,
            "authmerging" => {
                c.merging = match args[0].to_ascii_lowercase().as_str() {
                    "off" => Merging::Off,
                    "and" => Merging::And,
                    "or" => Merging::Or,
                    _ => return Err("AuthMerging must be one of: Off | And | Or".into()),
                };
                continue;
            }
            "order" => {
                compat_of(&mut c).order = compat::parse_order(args[0])?;
                continue;
            }
            "allow" => {
                let specs = compat::parse_allow_deny(&args)?;
                compat_of(&mut c).allow.extend(specs);
                continue;
            }
            "deny" => {
                let specs = compat::parse_allow_deny(&args)?;
                compat_of(&mut c).deny.extend(specs);
                continue;
            }
            "satisfy" => {
                compat_of(&mut c).satisfy_any = compat::parse_satisfy(args[0])?;
                continue;
            }
            "authtype" => {
                let none = args[0].eq_ignore_ascii_case("none");
                c.auth_type = Some((!none).then(|| args[0].to_string()));
                continue;
            }
            "authname" => {
                c.auth_name = Some(args[0].to_string());
                continue;
            }
            "authzsendforbiddenonfailure" => {
                c.forbidden_on_fail = Some(args[0].eq_ignore_ascii_case("on"));
                continue;
            }
            other => panic!("unknown directive {other}"),
        };
        match stack.last_mut() {
            Some(top) => top.items.push(node),
            None => c
                .authz
                .get_or_insert_with(|| Section {
                    kind: Kind::Any,
                    items: Vec::new(),
                })
                .items
                .push(node),
        }
    }
    if let Some(tree) = &c.authz {
        authz::check_section(tree)?;
    }
    Ok(c)
}

fn compat_of(c: &mut AccessConf) -> &mut Compat {
    c.compat.get_or_insert_with(Compat::default)
}

/// The Require tree of `src` (must be valid).
pub fn tree(src: &str) -> Section {
    conf(src).unwrap().authz.unwrap()
}

/// A request as the Apache runs saw it.
#[derive(Clone)]
pub struct Req {
    pub ip: &'static str,
    pub local: &'static str,
    pub method: &'static str,
    pub env: Vec<&'static str>,
    pub host: Option<&'static str>,
    pub vars: Vec<(&'static str, &'static str)>,
}

/// From `ip` (127.0.0.x or ::1) as curl made it against 127.0.0.1 / [::1]: SetEnvIf set
/// GOOD for 127.0.0.2 and .3; only 127.0.0.1 reverse-resolves (to `localhost`).
pub fn req(ip: &'static str) -> Req {
    Req {
        ip,
        local: if ip == "::1" { "::1" } else { "127.0.0.1" },
        method: "GET",
        env: if ip == "127.0.0.2" || ip == "127.0.0.3" {
            vec!["GOOD"]
        } else {
            vec![]
        },
        host: (ip == "127.0.0.1").then_some("localhost"),
        vars: vec![("REQUEST_URI", "/")],
    }
}

impl Req {
    pub fn method(mut self, m: &'static str) -> Req {
        self.method = m;
        self
    }
    pub fn var(mut self, k: &'static str, v: &'static str) -> Req {
        self.vars.retain(|(n, _)| *n != k);
        self.vars.push((k, v));
        self
    }
    pub fn with<R>(&self, f: impl FnOnce(&Client) -> R) -> R {
        let env = |n: &str| self.env.contains(&n).then(|| "1".to_string());
        let vars = |n: &str| {
            self.vars
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        };
        let c = Client {
            ip: self.ip.parse().unwrap(),
            local_ip: self.local.parse().unwrap(),
            method: self.method,
            env: &env,
            remote_host: self.host,
            expr_var: &vars,
        };
        f(&c)
    }
}

/// alice:apw (groups admins, staff) and bob:bpw (staff).
pub fn check_password(user: &str, pass: &str) -> bool {
    matches!((user, pass), ("alice", "apw") | ("bob", "bpw"))
}

pub fn in_group(user: &str, group: &str) -> bool {
    matches!(
        (user, group),
        ("alice", "admins") | ("alice", "staff") | ("bob", "staff")
    )
}

/// The decision as a status code, and how often credentials were asked for.
pub fn status_calls(c: &AccessConf, r: &Req, creds: Option<(&str, &str)>) -> (u16, u32) {
    let mut calls = 0;
    let d = r.with(|client| {
        let mut auth = || {
            calls += 1;
            creds
                .filter(|(u, p)| check_password(u, p))
                .map(|(u, _)| u.to_string())
        };
        decide(c, client, &mut auth, &in_group)
    });
    let code = match d {
        Decision::Allow => 200,
        Decision::Forbidden => 403,
        Decision::AuthRequired => 401,
        Decision::Misconfigured(_) => 500,
    };
    (code, calls)
}

pub fn status(c: &AccessConf, r: &Req, creds: Option<(&str, &str)>) -> u16 {
    status_calls(c, r, creds).0
}

/// The test server's `<Directory />` (Require all denied) and DocumentRoot (Require all
/// granted) merged with each section in `sections`, outermost first.
pub fn served(sections: &[&str]) -> AccessConf {
    let mut c = merge(
        &conf("Require all denied").unwrap(),
        &conf("Require all granted").unwrap(),
    );
    for s in sections {
        c = merge(&c, &conf(s).unwrap());
    }
    c
}

pub const CLIENTS: [&str; 6] = [
    "127.0.0.1",
    "127.0.0.2",
    "127.0.0.3",
    "127.0.0.4",
    "127.0.0.5",
    "::1",
];

/// Status codes for the six test clients, as the Apache runs printed them.
pub fn row(c: &AccessConf, method: &'static str, creds: Option<(&str, &str)>) -> [u16; 6] {
    CLIENTS.map(|ip| status(c, &req(ip).method(method), creds))
}

//! Takes mod_access_compat's `Order`, `Allow from`, `Deny from` and `Satisfy` arguments and
//! gives one section's host-based access rules and their verdict for a client
//! (`check_dir_access`).

use super::Client;
use super::ip::{self, IpError, IpMatch};

/// `Order`; httpd's default is `Deny,Allow`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    DenyAllow,
    AllowDeny,
    MutualFailure,
}

/// One word after `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostSpec {
    All,
    Ip(IpMatch),
    /// `env=VAR`: the variable is set.
    Env(String),
    /// `env=!VAR`: the variable is not set.
    NotEnv(String),
    /// A host name or domain suffix, matched against the double-reverse-resolved client name.
    Host(String),
}

/// What one section said with mod_access_compat's directives. httpd has no merge for these:
/// the innermost section that uses any of them replaces the whole set (see `super::merge`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compat {
    pub order: Order,
    pub allow: Vec<HostSpec>,
    pub deny: Vec<HostSpec>,
    /// `Satisfy Any`; `Satisfy All` and no `Satisfy` are the same.
    pub satisfy_any: bool,
}

pub fn parse_order(arg: &str) -> Result<Order, String> {
    match arg.to_ascii_lowercase().as_str() {
        "allow,deny" => Ok(Order::AllowDeny),
        "deny,allow" => Ok(Order::DenyAllow),
        "mutual-failure" => Ok(Order::MutualFailure),
        _ => Err("unknown order".into()),
    }
}

/// `Satisfy`: `true` for Any.
pub fn parse_satisfy(arg: &str) -> Result<bool, String> {
    if arg.eq_ignore_ascii_case("any") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case("all") {
        Ok(false)
    } else {
        Err("Satisfy either 'any' or 'all'.".into())
    }
}

/// The arguments of `Allow` or `Deny`, `from` first.
pub fn parse_allow_deny(args: &[&str]) -> Result<Vec<HostSpec>, String> {
    let Some((from, wheres)) = args.split_first() else {
        return Err(NEEDS_TWO.into());
    };
    if !from.eq_ignore_ascii_case("from") {
        return Err("allow and deny must be followed by 'from'".into());
    }
    if wheres.is_empty() {
        return Err(NEEDS_TWO.into());
    }
    wheres.iter().map(|w| parse_where(w)).collect()
}

const NEEDS_TWO: &str = "Allow and Deny require at least two arguments, 'from' followed by hostnames or IP-address wildcards";

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn parse_where(w: &str) -> Result<HostSpec, String> {
    if let Some(var) = strip_prefix_ci(w, "env=!") {
        return Ok(HostSpec::NotEnv(var.to_string()));
    }
    if let Some(var) = strip_prefix_ci(w, "env=") {
        return Ok(HostSpec::Env(var.to_string()));
    }
    if w.eq_ignore_ascii_case("all") {
        return Ok(HostSpec::All);
    }
    if let Some((addr, mask)) = w.split_once('/') {
        return match ip::parse_subnet(addr, Some(mask)) {
            Ok(m) => Ok(HostSpec::Ip(m)),
            Err(IpError::NotIp) => Err("An IP address was expected".into()),
            Err(e) => Err(e.message().into()),
        };
    }
    match ip::parse_subnet(w, None) {
        Ok(m) => Ok(HostSpec::Ip(m)),
        Err(IpError::NotIp) if w.contains('#') => Err("No comments are allowed here".into()),
        Err(IpError::NotIp) => Ok(HostSpec::Host(w.to_string())),
        Err(e) => Err(e.message().into()),
    }
}

/// `find_allowdeny`: does any entry match the client?
fn find(list: &[HostSpec], c: &Client) -> bool {
    list.iter().any(|spec| match spec {
        HostSpec::All => true,
        HostSpec::Ip(m) => m.matches(c.ip),
        HostSpec::Env(v) => (c.env)(v).is_some(),
        HostSpec::NotEnv(v) => (c.env)(v).is_none(),
        HostSpec::Host(d) => c.remote_host.is_some_and(|h| ip::in_domain(d, h)),
    })
}

impl Compat {
    /// `check_dir_access`: `true` is OK, `false` is 403 (before `Satisfy` is considered).
    pub fn allows(&self, c: &Client) -> bool {
        match self.order {
            Order::AllowDeny => find(&self.allow, c) && !find(&self.deny, c),
            Order::DenyAllow => !find(&self.deny, c) || find(&self.allow, c),
            Order::MutualFailure => find(&self.allow, c) && !find(&self.deny, c),
        }
    }

    /// Whether any `Allow from`/`Deny from` names a host.
    pub fn uses_host(&self) -> bool {
        self.allow
            .iter()
            .chain(&self.deny)
            .any(|s| matches!(s, HostSpec::Host(_)))
    }
}

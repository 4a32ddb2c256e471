//! Pure request routing, httpd 2.4's rules: Host normalisation and strict checks (`fix_hostname`),
//! the vhost a request goes to within its connection's chain, and the TLS verdict (SNI without
//! Host, `SSLStrictSNIVHostCheck`, and the 2.4.64+ "secure" 421 rule).

use crate::plan::{ChainId, Plan, VhostId};
use std::net::{IpAddr, Ipv6Addr};

/// A request's host, normalised for matching; the port is kept for self-referencing URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub port: Option<u16>,
}

/// Why a Host value gets 400.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadHost(pub &'static str);

/// httpd's `fix_hostname` with `HttpProtocolOptions Strict` (the default). `Ok(None)`: empty.
pub fn normalize_host(raw: &str) -> Result<Option<Host>, BadHost> {
    let raw = raw.trim_matches([' ', '\t']);
    if raw.is_empty() {
        return Ok(None);
    }
    let (name, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or(BadHost("unclosed IPv6 literal"))?;
        let ip: Ipv6Addr = inside
            .parse()
            .map_err(|_| BadHost("malformed IPv6 literal"))?;
        let port = match after {
            "" => None,
            p => Some(parse_port(
                p.strip_prefix(':')
                    .ok_or(BadHost("text after IPv6 literal"))?,
            )?),
        };
        return Ok(Some(Host {
            name: ip.to_string(),
            port,
        }));
    } else {
        match raw.rsplit_once(':') {
            Some((n, p)) => (n, Some(parse_port(p)?)),
            None => (raw, None),
        }
    };
    let mut name = name.to_ascii_lowercase();
    if name.ends_with('.') {
        name.pop();
    }
    if name.is_empty() {
        return Err(BadHost("empty host name"));
    }
    if name.contains(['/', '\\']) || name.contains("..") {
        return Err(BadHost("'/', '\\' or '..' in the host name"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(BadHost("character not allowed in a host name"));
    }
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let parts: Vec<&str> = name.split('.').collect();
        let ok = parts.len() == 4
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.len() <= 3
                    && (p.len() == 1 || !p.starts_with('0'))
                    && p.parse::<u8>().is_ok()
            });
        if !ok {
            return Err(BadHost("malformed numeric host"));
        }
    } else if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(BadHost("top-level label starts with a digit"));
    }
    Ok(Some(Host { name, port }))
}

fn parse_port(p: &str) -> Result<u16, BadHost> {
    if p.is_empty() {
        return Ok(0);
    }
    if !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadHost("port is not a number"));
    }
    match p.parse() {
        Ok(0) => Err(BadHost("port 0")),
        Ok(n) => Ok(n),
        Err(_) => Err(BadHost("port out of range")),
    }
}

/// Which server answers: the main server or one vhost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Main,
    Vhost(VhostId),
}

/// The result of the per-request name step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub target: Target,
    /// The member of the chain (index) that answers, when there is a chain.
    pub member: Option<usize>,
    /// Whether the host is one of the answering server's names (false: the chain's default by
    /// fallback, or a name the only vhost or the main server does not have): StrictHostCheck's
    /// question.
    pub matched: bool,
}

/// httpd's name step: within the connection's chain, the first vhost in file order whose names
/// match the host; else the chain's default; no chain: the main server.
pub fn route(plan: &Plan, chain: Option<ChainId>, host: Option<&Host>) -> Route {
    let Some(c) = chain else {
        // The main server has no aliases (httpd allows ServerAlias only in <VirtualHost>).
        let matched = host.is_some_and(|h| plan.main.name.eq_ignore_ascii_case(&h.name));
        return Route {
            target: Target::Main,
            member: None,
            matched,
        };
    };
    let chain = &plan.chains[c];
    // A chain of one has only its default to give, but whether the host is its name still
    // counts for StrictHostCheck.
    let found = host.and_then(|h| chain.names.lookup_host(&h.name));
    let member = found.unwrap_or(0);
    Route {
        target: Target::Vhost(chain.members[member].vhost),
        member: Some(member),
        matched: found.is_some(),
    }
}

/// The member a TLS handshake picks: the SNI walk (a trailing dot never matches, as in httpd),
/// else the default (first) vhost. `sni` as the client sent it.
pub fn handshake_member(plan: &Plan, chain: ChainId, sni: Option<&str>) -> usize {
    let chain = &plan.chains[chain];
    match sni {
        Some(s) if chain.is_name_based() && !s.ends_with('.') => {
            chain.names.lookup_sni(&s.to_ascii_lowercase()).unwrap_or(0)
        }
        _ => 0,
    }
}

/// What the TLS rules say about a request on a TLS connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVerdict {
    Serve,
    /// AH02031: SNI given but the request names no host.
    SniWithoutHost,
    /// SSLStrictSNIVHostCheck: a name-based address and a client without SNI.
    StrictSni,
    /// AH02032: the request's vhost has another TLS setup than the handshake's.
    Misdirected,
}

/// httpd's `ssl_hook_ReadReq` checks, in its order, with the 2.4.64+ "secure" policy.
pub fn tls_verdict(
    plan: &Plan,
    chain: ChainId,
    handshake: usize,
    sni_sent: bool,
    request: usize,
    host_sent: bool,
) -> TlsVerdict {
    let c = &plan.chains[chain];
    if sni_sent && !host_sent {
        return TlsVerdict::SniWithoutHost;
    }
    let strict = |m: usize| {
        plan.vhost(c.members[m].vhost)
            .tls
            .as_ref()
            .is_some_and(|t| t.strict_sni)
    };
    if !sni_sent && c.is_name_based() && (strict(0) || strict(request)) {
        return TlsVerdict::StrictSni;
    }
    if request != handshake && c.members[request].tls != c.members[handshake].tls {
        return TlsVerdict::Misdirected;
    }
    TlsVerdict::Serve
}

/// IPv6 literals print bracketed in URLs.
pub fn url_host(name: &str) -> String {
    if name.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6()) {
        format!("[{name}]")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Result<Option<(String, Option<u16>)>, BadHost> {
        normalize_host(s).map(|h| h.map(|h| (h.name, h.port)))
    }

    #[test]
    fn host_normalisation_matches_httpd() {
        assert_eq!(
            n("B.TEST.:9999").unwrap(),
            Some(("b.test".into(), Some(9999)))
        );
        assert_eq!(n("[::1]").unwrap(), Some(("::1".into(), None)));
        assert_eq!(
            n("[2001:DB8::1]:80").unwrap(),
            Some(("2001:db8::1".into(), Some(80)))
        );
        assert_eq!(n("").unwrap(), None);
        assert_eq!(n("127.0.0.1").unwrap(), Some(("127.0.0.1".into(), None)));
        for bad in [
            "[::1",
            "b..test",
            "b.test/x",
            "b\\test",
            "12345",
            "1.2.3",
            "01.2.3.4",
            "a.1com",
            "a b",
            "b.test, b.test",
            "::1",
            "a.test:x",
            "a.test:99999",
        ] {
            assert!(normalize_host(bad).is_err(), "{bad} must be rejected");
        }
        assert!(normalize_host("under_score.test").is_ok());
    }
}

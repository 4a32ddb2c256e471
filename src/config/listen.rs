//! Directive handlers for addresses: `Listen` (with duplicate and overlap checks) and the
//! address list of `<VirtualHost addr[:port] ...>`.

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::model::{Listen, VhostAddr};
use super::server::{parse_port, split_host_port};
use std::net::IpAddr;

type R = Result<(), Diagnostic>;

/// Parses `[ip:]port`, `[v6]:port` or `*:port`.
pub fn parse_listen_addr(text: &str) -> Result<(Option<IpAddr>, u16), String> {
    if !text.contains(':') {
        return Ok((None, parse_port(text)?));
    }
    let (host, port) = split_host_port(text)?;
    let port = port.ok_or_else(|| "Port must be specified".to_string())?;
    if host == "*" || host.is_empty() {
        return Ok((None, port));
    }
    let ip: IpAddr = host
        .parse()
        .map_err(|_| format!("Invalid address or port: '{host}' is not a numeric IP address"))?;
    Ok((
        if ip.is_unspecified() && ip.is_ipv4() {
            None
        } else {
            Some(ip)
        },
        port,
    ))
}

pub fn listen(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let (ip, port) = parse_listen_addr(&w.text).map_err(|e| {
        Diagnostic::error(w.span, e)
            .with_help("write Listen 443, Listen 127.0.0.1:8443 or Listen [::1]:8443")
    })?;
    let protocol = d.args.get(1).map(|p| p.text.to_ascii_lowercase());
    if let Some(p) = &protocol
        && p != "http"
        && p != "https"
    {
        b.warn(
            Diagnostic::warning(
                d.args[1].span,
                format!("unknown Listen protocol '{p}'; this server speaks http and https"),
            )
            .with_help("use 'http' or 'https', or leave it out"),
        );
    }
    let new = Listen {
        ip,
        port,
        protocol,
        span: w.span,
    };
    for old in &b.model.listens {
        if old.port != port {
            continue;
        }
        if old.ip == ip {
            return Err(Diagnostic::error(
                w.span,
                "Cannot define multiple Listeners on the same IP:port",
            )
            .with_note(old.span, "first defined here")
            .with_help("remove one of the two Listen lines"));
        }
        if old.ip.is_none() || ip.is_none() {
            return Err(Diagnostic::error(w.span, format!("Listen {} overlaps Listen on all addresses for port {port}: the second bind would fail with 'Address already in use'", w.text))
                .with_note(old.span, "the other Listen is here")
                .with_help("keep either the all-addresses Listen or the specific ones, not both"));
        }
    }
    b.model.listens.push(new);
    Ok(())
}

/// One `<VirtualHost>` address; a hostname yields every address it resolves to.
pub fn parse_vhost_addr(
    text: &str,
    resolve: &dyn Fn(&str) -> Vec<IpAddr>,
) -> Result<Vec<VhostAddr>, String> {
    let (host, port) = match text.strip_suffix(":*") {
        Some(h) if !h.ends_with(':') || h.ends_with("]") => (h, None),
        Some(_) => return Err(format!("Invalid address or port: '{text}'")),
        None => {
            let (h, p) =
                split_host_port(text).map_err(|e| format!("Invalid address or port: {e}"))?;
            (h, p)
        }
    };
    let no_port = port.is_none() && !text.ends_with(":*");
    if host.is_empty() {
        return Err(format!("Invalid address or port: '{text}' has no address"));
    }
    if host == "*" || host.eq_ignore_ascii_case("_default_") {
        return Ok(vec![VhostAddr {
            ip: None,
            port,
            host: None,
            no_port,
        }]);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![VhostAddr {
            ip: Some(ip),
            port,
            host: None,
            no_port,
        }]);
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
    {
        return Err(format!(
            "Invalid address or port: '{host}' is neither an IP address nor a host name"
        ));
    }
    let mut ips = resolve(host);
    ips.sort();
    ips.dedup();
    if ips.is_empty() {
        return Err(format!(
            "AH00547: Could not resolve host name {host} -- ignoring!"
        ));
    }
    Ok(ips
        .into_iter()
        .map(|ip| VhostAddr {
            ip: Some(ip),
            port,
            host: Some(host.to_string()),
            no_port,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Vec<IpAddr> {
        Vec::new()
    }

    #[test]
    fn listen_forms() {
        assert_eq!(parse_listen_addr("80").unwrap(), (None, 80));
        assert_eq!(parse_listen_addr("*:443").unwrap(), (None, 443));
        assert_eq!(parse_listen_addr("0.0.0.0:443").unwrap(), (None, 443));
        assert_eq!(
            parse_listen_addr("[::1]:8443").unwrap(),
            (Some("::1".parse().unwrap()), 8443)
        );
        assert!(
            parse_listen_addr("99999")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_listen_addr("0").is_err());
        assert!(parse_listen_addr("http").is_err());
        assert!(parse_listen_addr("127.0.0.1:").is_err());
        assert!(parse_listen_addr("::1:80").is_err());
    }

    #[test]
    fn vhost_addresses() {
        let a = parse_vhost_addr("*:443", &none).unwrap();
        assert_eq!(
            a[0],
            VhostAddr {
                ip: None,
                port: Some(443),
                host: None,
                no_port: false
            }
        );
        let a = parse_vhost_addr("_default_:*", &none).unwrap();
        assert_eq!(
            a[0],
            VhostAddr {
                ip: None,
                port: None,
                host: None,
                no_port: false
            }
        );
        let a = parse_vhost_addr("10.0.0.2", &none).unwrap();
        assert_eq!((a[0].port, a[0].no_port), (None, true));
        let a = parse_vhost_addr("[2001:db8::1]:80", &none).unwrap();
        assert_eq!(a[0].ip, Some("2001:db8::1".parse().unwrap()));
        assert!(parse_vhost_addr("*:-1", &none).is_err());
        assert!(
            parse_vhost_addr("nowhere.invalid:80", &none)
                .unwrap_err()
                .starts_with("AH00547")
        );
        let two = |_: &str| vec!["127.0.0.2".parse().unwrap(), "127.0.0.1".parse().unwrap()];
        assert_eq!(parse_vhost_addr("db.local:80", &two).unwrap().len(), 2);
    }
}

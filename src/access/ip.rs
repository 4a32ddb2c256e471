//! Takes address text as `Require ip`, `Allow from` and `-ipmatch` write it and gives APR's
//! subnet (`apr_ipsubnet_create`/`apr_ipsubnet_test` rules), plus the host-name suffix test
//! (`in_domain`) and the `Require local` test.

use std::net::IpAddr;

/// One parsed `apr_ipsubnet_t`: the network (already masked) and its mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpMatch {
    V4 { net: u32, mask: u32 },
    V6 { net: u128, mask: u128 },
}

/// Why `apr_ipsubnet_create` refused its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpError {
    /// APR_EINVAL: the text looks nothing like an address (so `Allow from` takes it as a host).
    NotIp,
    /// APR_EBADIP.
    BadIp,
    /// APR_EBADMASK.
    BadMask,
}

impl IpError {
    /// `apr_strerror`'s text.
    pub fn message(self) -> &'static str {
        match self {
            IpError::NotIp => "Invalid argument",
            IpError::BadIp => "The specified IP address is invalid.",
            IpError::BadMask => "The specified network mask is invalid.",
        }
    }
}

/// apr's `looks_like_ip`: any `:` means IPv6; otherwise only digits and dots.
fn looks_like_ip(s: &str) -> bool {
    !s.is_empty() && (s.contains(':') || s.bytes().all(|b| b == b'.' || b.is_ascii_digit()))
}

/// apr's `inet_pton4`: exactly four decimal parts of at most 255 (leading zeros allowed).
fn inet_pton4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut v = 0u32;
    for p in parts {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = p.bytes().try_fold(0u32, |n, b| {
            let n = n * 10 + u32::from(b - b'0');
            (n <= 255).then_some(n)
        })?;
        v = (v << 8) | n;
    }
    Some(v)
}

/// apr's `parse_network`: the legacy partial form `10.1` / `10.1.` meaning 10.1.0.0/16.
fn parse_network(s: &str) -> Result<(u32, u32), IpError> {
    if s.len() > "255.255.255.255".len() {
        return Err(IpError::BadIp);
    }
    let (mut net, mut mask, mut shift) = (0u32, 0u32, 24i32);
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || shift < 0 {
            return Err(IpError::BadIp);
        }
        let octet: u32 = rest[..digits].parse().map_err(|_| IpError::BadIp)?;
        rest = &rest[digits..];
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else if !rest.is_empty() {
            return Err(IpError::BadIp);
        }
        if octet > 255 {
            return Err(IpError::BadIp);
        }
        net |= octet << shift;
        mask |= 0xFF << shift;
        shift -= 8;
    }
    Ok((net, mask))
}

/// C's `strtol(s, &end, 10)` with `*end == '\0'`: the whole text is one optionally signed
/// decimal number (leading white space allowed).
fn strtol_whole(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        // strtol consumed nothing: `end` is the start, so only an empty text ends there.
        return s.is_empty().then_some(0);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if neg { -n } else { n })
}

fn prefix_mask(bits: u32, width: u32) -> u128 {
    if bits == 0 {
        0
    } else {
        (u128::MAX << (128 - bits)) >> (128 - width)
    }
}

/// `apr_ipsubnet_create(addr, mask)`: an address, a partial IPv4 network (only without a
/// mask), `addr/bits`, or (IPv4) `addr/a.b.c.d`. IPv4-mapped IPv6 text is refused.
pub fn parse_subnet(addr: &str, mask: Option<&str>) -> Result<IpMatch, IpError> {
    if !looks_like_ip(addr) {
        return Err(IpError::NotIp);
    }
    let mut m = if let Ok(v6) = addr.parse::<std::net::Ipv6Addr>() {
        if v6.to_ipv4_mapped().is_some() {
            return Err(IpError::BadIp);
        }
        IpMatch::V6 {
            net: u128::from(v6),
            mask: u128::MAX,
        }
    } else if let Some(v4) = inet_pton4(addr) {
        IpMatch::V4 {
            net: v4,
            mask: u32::MAX,
        }
    } else if mask.is_none() {
        let (net, mask) = parse_network(addr)?;
        IpMatch::V4 { net, mask }
    } else {
        return Err(IpError::BadIp);
    };
    if let Some(mask_text) = mask {
        let width = match m {
            IpMatch::V4 { .. } => 32,
            IpMatch::V6 { .. } => 128,
        };
        let bits = strtol_whole(mask_text).filter(|b| *b > 0 && *b <= i64::from(width));
        m = match (m, bits) {
            (IpMatch::V4 { net, .. }, Some(b)) => IpMatch::V4 {
                net,
                mask: prefix_mask(b as u32, 32) as u32,
            },
            (IpMatch::V6 { net, .. }, Some(b)) => IpMatch::V6 {
                net,
                mask: prefix_mask(b as u32, 128),
            },
            (IpMatch::V4 { net, .. }, None) => IpMatch::V4 {
                net,
                mask: inet_pton4(mask_text).ok_or(IpError::BadMask)?,
            },
            (IpMatch::V6 { .. }, None) => return Err(IpError::BadMask),
        };
    }
    Ok(match m {
        IpMatch::V4 { net, mask } => IpMatch::V4 {
            net: net & mask,
            mask,
        },
        IpMatch::V6 { net, mask } => IpMatch::V6 {
            net: net & mask,
            mask,
        },
    })
}

/// `addr` or `addr/mask` as one word.
pub fn parse_word(word: &str) -> Result<IpMatch, IpError> {
    match word.split_once('/') {
        Some((a, m)) => parse_subnet(a, Some(m)),
        None => parse_subnet(word, None),
    }
}

impl IpMatch {
    /// `apr_ipsubnet_test`: an IPv4-mapped client matches IPv4 subnets only.
    pub fn matches(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self, ip) {
            (IpMatch::V4 { net, mask }, IpAddr::V4(a)) => u32::from(a) & mask == *net,
            (IpMatch::V6 { net, mask }, IpAddr::V6(a)) => u128::from(a) & mask == *net,
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// `Require local`: 127.0.0.0/8, ::1, or the address the connection came in on.
pub fn is_local(client: IpAddr, local: IpAddr) -> bool {
    let c = canonical(client);
    canonical(local) == c
        || match c {
            IpAddr::V4(a) => a.octets()[0] == 127,
            IpAddr::V6(a) => a.is_loopback(),
        }
}

/// httpd's `in_domain`: `host` ends with `domain` (case-insensitively) at a label boundary,
/// or is it.
pub fn in_domain(domain: &str, host: &str) -> bool {
    let (d, h) = (domain.as_bytes(), host.as_bytes());
    if h.len() < d.len() || !h[h.len() - d.len()..].eq_ignore_ascii_case(d) {
        return false;
    }
    h.len() == d.len() || d.first() == Some(&b'.') || h[h.len() - d.len() - 1] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn subnet_forms_as_apr_parses_them() {
        // Each verified with `Require ip` on Apache 2.4.71 (-t).
        for ok in [
            "10.1",
            "10.1.",
            "10",
            "010.1.2.3",
            "1.2.3.4/255.0.255.0",
            "::1",
            "::1/128",
        ] {
            assert!(parse_word(ok).is_ok(), "{ok}");
        }
        let bad = [
            ("1.2.3.4/0", IpError::BadMask),
            ("0.0.0.0/0", IpError::BadMask),
            ("10.1/16", IpError::BadIp),
            ("10..1", IpError::BadIp),
            ("1.2.3.4.5", IpError::BadIp),
            ("::ffff:1.2.3.4", IpError::BadIp),
            ("::ffff:0:0/96", IpError::BadIp),
            ("1.2.3.256", IpError::BadIp),
            ("abc", IpError::NotIp),
            ("1.2.3.4/33", IpError::BadMask),
            ("::1/255.0.0.0", IpError::BadMask),
            ("2001:db8::/129", IpError::BadMask),
            ("1.2.3.4/abc", IpError::BadMask),
            ("1.2.3.4/", IpError::BadMask),
            ("/8", IpError::NotIp),
        ];
        for (w, e) in bad {
            assert_eq!(parse_word(w), Err(e), "{w}");
        }
    }

    #[test]
    fn matching() {
        let m = |w: &str, a: &str| parse_word(w).unwrap().matches(ip(a));
        assert!(m("127.0.0.0/255.0.0.0", "127.9.9.9"));
        assert!(!m("127.0.0.0/255.0.0.0", "::1"));
        assert!(m("127.0", "127.0.200.1"));
        assert!(!m("127.0", "127.1.0.1"));
        assert!(m("127.0.0.0/30", "127.0.0.3"));
        assert!(!m("127.0.0.0/30", "127.0.0.4"));
        assert!(m("::1/128", "::1"));
        assert!(!m("::1", "127.0.0.1"));
        assert!(m("10.0.0.0/8", "::ffff:10.1.2.3"));
        assert!(m("2001:db8::/32", "2001:db8:1::5"));
        assert!(m("1.2.3.4/255.0.255.0", "1.9.3.9"));
        assert!(m("010.1.2.3", "10.1.2.3"));
    }

    #[test]
    fn local_and_domains() {
        assert!(is_local(ip("127.0.0.5"), ip("127.0.0.1")));
        assert!(is_local(ip("::1"), ip("::1")));
        assert!(is_local(ip("::ffff:127.0.0.1"), ip("10.0.0.1")));
        assert!(is_local(ip("10.0.0.1"), ip("::ffff:10.0.0.1")));
        assert!(!is_local(ip("10.0.0.2"), ip("10.0.0.1")));
        assert!(in_domain("example.com", "www.EXAMPLE.com"));
        assert!(in_domain("example.com", "example.com"));
        assert!(!in_domain("example.com", "badexample.com"));
        assert!(in_domain(".example.com", "a.example.com"));
        assert!(!in_domain("www.example.com", "example.com"));
    }
}

//! Takes the checked plan and one URL (with the SNI a client would send and the local address
//! it would reach) and gives `server -E`: the socket and address chain, the certificate sent
//! and the rule that chose it, the vhost the Host reaches, the 421/403/400 decision, and the
//! route (file, redirect, alias or upstream URL); and whether a browser gets the site without
//! a warning. Pure: the same rules `serve` runs, applied to values; nothing is served.

use super::certinfo::{self, Roots};
use super::{NameRule, covered};
use crate::config::source::SourceMap;
use crate::plan::cert_facts::CertFacts;
use crate::plan::{Chain, ChainId, Plan};
use crate::serve::router::{self, Target, TlsVerdict};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::SystemTime;

/// The SNI the explained client sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sni {
    /// The URL's host, as browsers do (none for an IP address).
    FromUrl,
    Name(String),
    Without,
}

/// One request to explain.
#[derive(Clone, Debug)]
pub struct Ask {
    pub url: String,
    pub sni: Sni,
    /// `ip` or `ip:port` the connection reaches; by default the URL's IP, else the address
    /// the listeners on the URL's port bind.
    pub local: Option<String>,
}

/// What `-E` prints, and whether a browser would get the site without a warning.
#[derive(Clone, Debug)]
pub struct Explanation {
    pub text: String,
    pub ok: bool,
}

/// The checked plan and what judging certificates needs.
pub struct Context<'a> {
    pub plan: &'a Plan,
    pub sources: &'a SourceMap,
    pub facts: &'a [Option<CertFacts>],
    pub roots: &'a Roots,
    pub now: SystemTime,
}

pub(super) struct Out {
    text: String,
    ok: bool,
}

impl Out {
    pub(super) fn line(&mut self, head: &str, body: impl AsRef<str>) {
        let _ = writeln!(self.text, "{head:<12} {}", body.as_ref());
    }
    pub(super) fn problem(&mut self, head: &str, body: impl AsRef<str>) {
        self.ok = false;
        self.line(head, body);
    }
}

/// Explains `ask` against the plan; `Err` for a URL or address that cannot be read.
pub fn explain(cx: &Context<'_>, ask: &Ask) -> Result<Explanation, String> {
    let uri: hyper::Uri = ask
        .url
        .parse()
        .map_err(|e| format!("'{}' is not a URL: {e}", ask.url))?;
    let tls = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(format!("'{}' must start with http:// or https://", ask.url)),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| format!("'{}' names no host", ask.url))?;
    let host_text = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let host_ip: Option<IpAddr> = host_text.parse().ok();
    let mut o = Out {
        text: String::new(),
        ok: true,
    };
    o.line("Request", format!("GET {}", ask.url));
    let plan = cx.plan;
    let local = local_address(plan, ask.local.as_deref(), host_ip, port)?;
    let Some(listener) = plan
        .listeners
        .iter()
        .find(|l| l.port == local.port() && (l.ip.is_none() || l.ip == Some(local.ip())))
    else {
        o.problem(
            "Socket",
            format!("nothing listens on {local}: the browser cannot connect"),
        );
        return Ok(Explanation {
            text: o.text,
            ok: o.ok,
        });
    };
    let assumed = if ask.local.is_none() && host_ip.is_none() {
        " (the address the URL's name resolves to is assumed to be this; --local to choose)"
    } else {
        ""
    };
    let proto = listener.protocol.clone().unwrap_or_else(|| {
        if listener.port == 443 {
            "https"
        } else {
            "http"
        }
        .into()
    });
    o.line(
        "Socket",
        format!(
            "{local}{assumed}: Listen at {} ({proto})",
            cx.sources.file_line(listener.span)
        ),
    );
    let chain = plan.chain_for(local);
    match chain {
        Some(c) => {
            let ch = &plan.chains[c];
            let d = plan.vhost(ch.default_vhost());
            let kind = if ch.is_name_based() {
                format!("name-based, {} vhosts", ch.members.len())
            } else {
                "one vhost".to_string()
            };
            o.line(
                "Address",
                format!(
                    "{} ({kind}); default vhost {} ({})",
                    ch.key.show(),
                    d.name,
                    at(cx, d.span)
                ),
            );
        }
        None => o.line(
            "Address",
            "no <VirtualHost> covers it: the main server answers",
        ),
    }
    let chain_tls = chain.map_or(
        plan.main.tls.as_ref().is_some_and(|t| t.cert.is_some()),
        |c| plan.chains[c].tls,
    );
    if tls != chain_tls {
        if tls {
            o.problem(
                "TLS",
                "this address does not speak TLS: the browser reports a protocol error",
            );
        } else {
            o.problem("TLS", "plain HTTP sent to a TLS address: 400 Bad Request (httpd's \"speaking plain HTTP to an SSL-enabled server port\")");
        }
        return Ok(Explanation {
            text: o.text,
            ok: o.ok,
        });
    }
    let sni = match &ask.sni {
        Sni::FromUrl if host_ip.is_none() => Some(host_text.to_string()),
        Sni::FromUrl | Sni::Without => None,
        Sni::Name(n) => Some(n.clone()),
    };
    let handshake = match (tls, chain) {
        (true, Some(c)) => Some(handshake(cx, &mut o, c, sni.as_deref(), host_text)),
        (true, None) => {
            o.line(
                "Handshake",
                format!(
                    "SNI {} -> the main server's certificate (no <VirtualHost> on this address; SNI not consulted)",
                    sni.as_deref().unwrap_or("(none)")
                ),
            );
            match plan.main.tls.as_ref().and_then(|t| t.cert) {
                Some(cert) => certificate(cx, &mut o, cert, host_text),
                None => o.problem("Certificate", "none: the handshake fails"),
            }
            None
        }
        _ => None,
    };
    // The vhost by Host, as browsers send it.
    let host_header = if port == if tls { 443 } else { 80 } {
        host_text.to_string()
    } else {
        format!("{}:{port}", authority.host())
    };
    let host = match router::normalize_host(&host_header) {
        Ok(Some(h)) => h,
        Ok(None) | Err(_) => {
            o.problem(
                "Host",
                format!("'{host_header}' is not a valid Host: 400 Bad Request"),
            );
            return Ok(Explanation {
                text: o.text,
                ok: o.ok,
            });
        }
    };
    let route = router::route(plan, chain, Some(&host));
    let vhost = match route.target {
        Target::Main => &plan.main,
        Target::Vhost(id) => plan.vhost(id),
    };
    let rule = match (chain, route.member) {
        (Some(c), Some(m)) => host_rule(plan, &plan.chains[c], m, route.matched, &host.name),
        _ => if route.matched {
            "its ServerName"
        } else {
            "no name matches"
        }
        .to_string(),
    };
    o.line(
        "Host",
        format!(
            "{host_header} -> vhost {} ({}): {rule}",
            vhost.name,
            at(cx, vhost.span)
        ),
    );
    if let (Some((member, sni_sent)), Some(c), Some(m)) = (handshake, chain, route.member) {
        match router::tls_verdict(plan, c, member, sni_sent, m, true) {
            TlsVerdict::Serve if sni_sent && fallback_only(cx, vhost) => o.problem(
                "Verdict",
                "503 Service Unavailable: the vhost has only its managed domain's fallback certificate until the CA issues one (as httpd)",
            ),
            TlsVerdict::Serve => {
                o.line("Verdict", "served: the vhost has the handshake's TLS setup")
            }
            TlsVerdict::StrictSni => o.problem(
                "Verdict",
                "403 Forbidden: SSLStrictSNIVHostCheck on, and the client sent no SNI",
            ),
            TlsVerdict::SniWithoutHost => {
                o.problem("Verdict", "400 Bad Request: SNI without a Host")
            }
            TlsVerdict::Misdirected => {
                let hv = plan.vhost(plan.chains[c].members[member].vhost);
                o.problem("Verdict", format!("421 Misdirected Request: the handshake chose {} (SNI), whose certificate or TLS settings differ from {}'s", hv.name, vhost.name));
            }
        }
    }
    super::route::route_line(&mut o, cx, vhost, &uri, tls, &host_header);
    let verdict = if o.ok {
        "a browser gets this site without a warning"
    } else {
        "a browser does not get this site cleanly (see above)"
    };
    o.line("Browser", verdict);
    Ok(Explanation {
        text: o.text,
        ok: o.ok,
    })
}

fn at(cx: &Context<'_>, span: Option<crate::config::source::Span>) -> String {
    span.map_or_else(|| "main server".to_string(), |s| cx.sources.file_line(s))
}

/// The local address: `--local`, else the URL's IP, else what the URL's port is bound to.
fn local_address(
    plan: &Plan,
    local: Option<&str>,
    host_ip: Option<IpAddr>,
    port: u16,
) -> Result<SocketAddr, String> {
    if let Some(l) = local {
        if let Ok(a) = l.parse::<SocketAddr>() {
            return Ok(a);
        }
        return l
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, port))
            .map_err(|_| format!("--local '{l}' is not an IP address or ip:port"));
    }
    if let Some(ip) = host_ip {
        return Ok(SocketAddr::new(ip, port));
    }
    let ip = plan
        .listeners
        .iter()
        .find(|l| l.port == port)
        .and_then(|l| l.ip)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    Ok(SocketAddr::new(ip, port))
}

/// The handshake: the member the SNI picks, the certificate sent and why, and whether it
/// covers the URL's host, is in date and leads to a trusted root.
fn handshake(
    cx: &Context<'_>,
    o: &mut Out,
    c: ChainId,
    sni: Option<&str>,
    host: &str,
) -> (usize, bool) {
    let plan = cx.plan;
    let chain = &plan.chains[c];
    let member = router::handshake_member(plan, c, sni);
    let why = match sni {
        None => "no SNI: the default vhost's certificate".to_string(),
        Some(_) if !chain.is_name_based() => "the address's only vhost (SNI not consulted)".to_string(),
        Some(s) if s.ends_with('.') => "an SNI name ending in '.' matches no vhost (as in httpd): the default vhost's certificate".to_string(),
        Some(s) => {
            let r: NameRule = super::name_rule(plan, chain, s);
            match r.cert_rule {
                "sni-exact" => format!("SNI {s} is a name of vhost {}", plan.vhost(chain.members[member].vhost).name),
                "sni-wildcard" => format!("SNI {s} matches a wildcard ServerAlias of vhost {}", plan.vhost(chain.members[member].vhost).name),
                "shared-default" => format!("SNI {s} names vhost {}, which has no certificate of its own: the address's default", plan.vhost(chain.members[member].vhost).name),
                _ => format!("no vhost here names {s}: the default vhost's certificate"),
            }
        }
    };
    let vh = plan.vhost(chain.members[member].vhost);
    o.line(
        "Handshake",
        format!(
            "SNI {} -> vhost {} ({}): {why}",
            sni.unwrap_or("(none)"),
            vh.name,
            at(cx, vh.span)
        ),
    );
    match chain.members[member].cert().or(chain.default_cert) {
        Some(cert) => certificate(cx, o, cert, host),
        None => o.problem("Certificate", "none: the handshake fails"),
    }
    (member, sni.is_some())
}

/// Does the vhost serve only mod_md's self-signed fallback (so requests naming it get 503)?
fn fallback_only(cx: &Context<'_>, vhost: &crate::plan::Vhost) -> bool {
    let cert = vhost.tls.as_ref().and_then(|t| t.cert);
    cert.filter(|&c| cx.plan.certs[c].managed.is_some())
        .and_then(|c| cx.facts.get(c).and_then(Option::as_ref))
        .is_some_and(|f| f.is_self_signed_fallback())
}

/// The certificate sent, and whether a browser accepts it for `host`: it covers the name, is
/// in date, and its chain leads to a trusted root.
fn certificate(cx: &Context<'_>, o: &mut Out, cert: crate::plan::CertId, host: &str) {
    let plan = cx.plan;
    let spec = &plan.certs[cert];
    let Some(f) = cx.facts.get(cert).and_then(Option::as_ref) else {
        return o.problem(
            "Certificate",
            format!(
                "{} could not be loaded (see -t)",
                plan.show_path(&spec.cert_file)
            ),
        );
    };
    o.line(
        "Certificate",
        format!(
            "{} ({}): {}, names {}, not after {}",
            plan.show_path(&spec.cert_file),
            cx.sources.file_line(spec.span),
            f.subject,
            f.names().join(", "),
            f.not_after
        ),
    );
    if let Some(m) = spec.managed.and_then(|i| plan.md.domains.get(i)) {
        let what = match super::managed::state(m, cx.facts) {
            super::managed::State::Fallback => "no certificate from the CA yet: this is the self-signed fallback, and a request naming the site gets 503".to_string(),
            super::managed::State::StandIn(_) => "no certificate from the CA yet: the vhost's own SSLCertificateFile stands in".to_string(),
            super::managed::State::NotDriven(why) => format!("not obtained here ({why})"),
            super::managed::State::Certified(_, due) => format!("renewed automatically from {}", crate::md::status::date(due)),
        };
        o.line("", format!("managed domain {} (MDomain): {what}", m.name));
    }
    match covered(cx.facts, cert, host) {
        Some("yes") => o.line("", format!("covers {host}")),
        _ => o.problem(
            "",
            format!("does NOT cover {host}: the browser warns of a name mismatch"),
        ),
    }
    let now = cx
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let left = f.not_after_unix - now;
    if left < 0 {
        o.problem("", "has expired: the browser refuses it");
    } else if f.not_before_unix > now {
        o.problem("", "is not valid yet: the browser refuses it");
    } else if left < super::hazards::EXPIRY_WARNING_DAYS * 86_400 && spec.managed.is_none() {
        o.line("", format!("expires in {} day(s): renew it", left / 86_400));
    }
    let info = certinfo::infos(std::slice::from_ref(&Some(f.clone())), cx.roots, cx.now);
    if !info
        .first()
        .and_then(Option::as_ref)
        .is_some_and(|i| i.complete)
    {
        o.problem(
            "",
            "the chain sent does not lead to a root this machine trusts: the browser warns unless it trusts the issuer",
        );
    }
}

fn host_rule(plan: &Plan, chain: &Chain, member: usize, matched: bool, name: &str) -> String {
    if !matched {
        return "no vhost here names it: the address's default (first) vhost".to_string();
    }
    match super::how_named(plan.vhost(chain.members[member].vhost), name) {
        super::Named::ServerName => "its ServerName".to_string(),
        super::Named::ServerAlias => "its ServerAlias".to_string(),
        super::Named::Wildcard(w) => format!("its wildcard ServerAlias {w}"),
        super::Named::Address => "a name on its <VirtualHost> line".to_string(),
    }
}

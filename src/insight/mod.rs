//! Takes the checked plan and gives what no other server tells before deploy: the plan as
//! JSON (`json`), certificate details (`certinfo`), hazard reports (`hazards`) and, per name
//! on each address, which certificate a browser gets, which vhost answers, and why.

pub mod certinfo;
pub mod diff;
pub mod explain;
pub mod hazards;
pub mod json;
pub mod managed;
mod route;

use crate::config::diag::Diagnostic;
use crate::config::source::SourceMap;
use crate::plan::cert_facts::CertFacts;
use crate::plan::coverage::{Coverage, check_name};
use crate::plan::{CertId, Chain, Plan};

/// A finding with the report it belongs to (`coverage`, `coalescing`, `exposure`, `expiry`,
/// `consolidation`).
#[derive(Clone, Debug)]
pub struct Finding {
    pub kind: &'static str,
    pub diag: Diagnostic,
}

/// For one name on one address: the member whose certificate a handshake naming it gets,
/// that certificate, the vhost a request naming it reaches, and the rules that decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameRule {
    /// The chain member chosen by SNI (the handshake).
    pub handshake: usize,
    pub cert: Option<CertId>,
    /// `no-tls`, `only-vhost`, `sni-exact`, `sni-wildcard`, `shared-default`, `default`.
    pub cert_rule: &'static str,
    /// The chain member chosen by Host.
    pub member: usize,
    /// `only-vhost`, `server-name`, `server-alias`, `wildcard-alias`, `default`.
    pub vhost_rule: &'static str,
}

/// A name a client could send for `name` (a glob alias stands for its one-label matches).
pub fn concrete(name: &str) -> String {
    name.replace(['*', '?'], "a").to_ascii_lowercase()
}

/// How `name` is served on `chain`: the pure rules of `serve::router` applied to it.
pub fn name_rule(plan: &Plan, chain: &Chain, name: &str) -> NameRule {
    let probe = concrete(name);
    if !chain.is_name_based() {
        return NameRule {
            handshake: 0,
            cert: chain.members[0].cert(),
            cert_rule: if chain.tls { "only-vhost" } else { "no-tls" },
            member: 0,
            vhost_rule: "only-vhost",
        };
    }
    let by_sni = chain.names.lookup_sni(&probe);
    let by_host = chain.names.lookup_host(&probe);
    let how = |m: Option<usize>| match m {
        None => "default",
        Some(m) => match how_named(plan.vhost(chain.members[m].vhost), &probe) {
            Named::ServerName => "server-name",
            Named::ServerAlias => "server-alias",
            Named::Wildcard(_) => "wildcard-alias",
            Named::Address => "address-name",
        },
    };
    let handshake = by_sni.unwrap_or(0);
    let m = &chain.members[handshake];
    let cert_rule = if !chain.tls {
        "no-tls"
    } else if by_sni.is_none() {
        "default"
    } else if m.shares_default {
        "shared-default"
    } else if how(by_sni) == "wildcard-alias" {
        "sni-wildcard"
    } else {
        "sni-exact"
    };
    NameRule {
        handshake,
        cert: if chain.tls {
            m.cert().or(chain.default_cert)
        } else {
            None
        },
        cert_rule,
        member: by_host.unwrap_or(0),
        vhost_rule: how(by_host),
    }
}

/// How a vhost that a lookup found names `name` (lowercase).
pub enum Named<'a> {
    ServerName,
    ServerAlias,
    /// The wildcard ServerAlias that matches it.
    Wildcard(&'a str),
    /// A name written on its `<VirtualHost>` line.
    Address,
}

pub fn how_named<'a>(v: &'a crate::plan::Vhost, name: &str) -> Named<'a> {
    if v.name.eq_ignore_ascii_case(name) {
        Named::ServerName
    } else if v.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)) {
        Named::ServerAlias
    } else if let Some(w) = v
        .wild_aliases
        .iter()
        .find(|w| crate::plan::names::glob_match(&w.to_ascii_lowercase(), name))
    {
        Named::Wildcard(w)
    } else {
        Named::Address
    }
}

/// Whether certificate `cert` covers `name` (`yes`, `no`, `partly`, `invalid`); `None` when
/// it was not loaded.
pub fn covered(facts: &[Option<CertFacts>], cert: CertId, name: &str) -> Option<&'static str> {
    let f = facts.get(cert)?.as_ref()?;
    let ee = webpki::EndEntityCert::try_from(f.leaf()).ok()?;
    Some(match check_name(&ee, name) {
        Coverage::Covered => "yes",
        Coverage::NotCovered => "no",
        Coverage::Partly { .. } => "partly",
        Coverage::Invalid(_) => "invalid",
    })
}

/// Every name written for the vhosts of `chain`, with the member that wrote it.
pub fn chain_names(plan: &Plan, chain: &Chain) -> Vec<(usize, String)> {
    chain
        .members
        .iter()
        .enumerate()
        .flat_map(|(idx, m)| {
            let v = plan.vhost(m.vhost);
            std::iter::once(v.name.clone())
                .chain(v.aliases.iter().cloned())
                .chain(v.wild_aliases.iter().cloned())
                .map(move |n| (idx, n))
        })
        .collect()
}

/// The hazard reports for `-S`, after the plan: one line per finding, by report.
pub fn report_text(findings: &[Finding], sources: &SourceMap) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (kind, title) in [
        ("expiry", "Expiry"),
        ("exposure", "Default-certificate exposure"),
        ("coalescing", "Connection coalescing"),
        ("consolidation", "Consolidation"),
    ] {
        let of: Vec<&Finding> = findings.iter().filter(|f| f.kind == kind).collect();
        if of.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:");
        for f in of {
            let place = f
                .diag
                .span
                .map_or_else(|| "-".to_string(), |s| sources.file_line(s));
            let _ = writeln!(
                out,
                "         {place}: {}: {}",
                f.diag.severity.label(),
                f.diag.message
            );
        }
    }
    out
}

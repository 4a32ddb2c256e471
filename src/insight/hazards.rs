//! Takes the plan and its certificate facts and gives the hazard reports `-t` and `-S` show:
//! expiry (within 30 days a warning, expired an error), default-certificate exposure per TLS
//! address, HTTP/2 connection coalescing that ends in 421, and consolidation (the names no
//! certificate on an address covers, and one certificate that would cover them all).

use super::{Finding, chain_names, concrete, covered, name_rule};
use crate::config::diag::Diagnostic;
use crate::config::source::Span;
use crate::plan::cert_facts::CertFacts;
use crate::plan::names::is_wild;
use crate::plan::{Chain, Plan, Vhost};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

/// Certificates expiring within this many days are reported.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Every hazard of the plan, in report order.
pub fn hazards(plan: &Plan, facts: &[Option<CertFacts>], now: SystemTime) -> Vec<Finding> {
    let mut out = expiry(plan, facts, now);
    for chain in plan.chains.iter().filter(|c| c.tls) {
        out.extend(exposure(plan, facts, chain));
        out.extend(coalescing(plan, facts, chain));
        out.extend(consolidation(plan, facts, chain));
    }
    out
}

fn finding(kind: &'static str, diag: Diagnostic) -> Finding {
    Finding { kind, diag }
}

fn expiry(plan: &Plan, facts: &[Option<CertFacts>], now: SystemTime) -> Vec<Finding> {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut out = Vec::new();
    for (id, f) in facts.iter().enumerate() {
        let Some(f) = f else { continue };
        let spec = &plan.certs[id];
        // A managed domain's certificate is renewed in the background (`-S` shows when):
        // only one inside MDWarnWindow (renewal has not succeeded) is reported, as a warning.
        if let Some(m) = spec
            .managed
            .and_then(|m| plan.md.domains.get(m))
            .filter(|m| m.driven())
        {
            if crate::md::drive::in_warn_window(m, f, now) {
                out.push(finding(
                    "expiry",
                    Diagnostic::warning(
                        spec.span,
                        format!("managed domain {}: its certificate expires on {} (inside MDWarnWindow {}) and has not been renewed", m.name, f.not_after, m.warn_window.show()),
                    )
                    .with_help("see the error log (or /md-status) for why renewal fails; the server keeps trying"),
                ));
            }
            continue;
        }
        let what = format!(
            "certificate {} ({})",
            plan.show_path(&spec.cert_file),
            f.subject
        );
        let left = f.not_after_unix - now;
        if left < 0 {
            out.push(finding(
                "expiry",
                Diagnostic::error(spec.span, format!("{what} expired on {}", f.not_after))
                    .with_help("renew it and reload: browsers refuse an expired certificate for every name it serves"),
            ));
        } else if left < EXPIRY_WARNING_DAYS * 86_400 {
            let days = left / 86_400;
            out.push(finding(
                "expiry",
                Diagnostic::warning(
                    spec.span,
                    format!("{what} expires on {}, in {days} day(s)", f.not_after),
                )
                .with_help("renew it now (certbot renew, or your CA), then reload"),
            ));
        }
    }
    out
}

/// Where a vhost writes `name` (its ServerName or a ServerAlias), else its section.
fn name_span(v: &Vhost, name: &str) -> Option<Span> {
    if v.name.eq_ignore_ascii_case(name) {
        return v.name_span.or(v.span);
    }
    v.conf
        .aliases
        .iter()
        .find(|a| a.value.eq_ignore_ascii_case(name))
        .map(|a| a.span)
        .or(v.span)
}

fn at(span: Option<Span>, d: impl FnOnce(Span) -> Diagnostic) -> Option<Diagnostic> {
    span.map(d)
}

/// What a client without SNI, or naming no vhost here, receives on one TLS address.
fn exposure(plan: &Plan, facts: &[Option<CertFacts>], chain: &Chain) -> Option<Finding> {
    let cert = chain.default_cert?;
    let f = facts.get(cert)?.as_ref()?;
    let default = plan.vhost(chain.default_vhost());
    let names = f.names();
    let reveals = if names.is_empty() {
        "no names".to_string()
    } else {
        names.join(", ")
    };
    let strict = default.tls.as_ref().is_some_and(|t| t.strict_sni);
    let after = if strict {
        " (SSLStrictSNIVHostCheck then answers 403, but the certificate has been sent)"
    } else {
        ""
    };
    let span = default.span.or(default.name_span);
    at(span, |s| {
        Diagnostic::note(
            s,
            format!(
                "on {}, a client without SNI or naming no vhost here receives {} (default vhost {}){after}, which reveals: {reveals}",
                chain.key.show(),
                plan.show_path(&plan.certs[cert].cert_file),
                default.name
            ),
        )
        .with_help("if those names should not be seen by scanners of this address, put first a catch-all vhost whose certificate names nothing sensitive")
    })
    .map(|d| finding("exposure", d))
}

/// Names one vhost's certificate covers that another vhost on the same address serves with
/// another TLS setup: a browser reusing the connection (HTTP/2 coalescing) gets 421. Only
/// handshakes that offer h2 (`Protocols`) make such connections.
fn coalescing(plan: &Plan, facts: &[Option<CertFacts>], chain: &Chain) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (n_idx, name) in chain_names(plan, chain) {
        let n = &chain.members[n_idx];
        for m in &chain.members {
            let (Some(km), Some(kn)) = (m.tls, n.tls) else {
                continue;
            };
            // Only connections that speak HTTP/2 are reused for other names.
            let h2 = km.handshake.alpn().iter().any(|p| p == b"h2");
            if km == kn || !h2 || covered(facts, km.cert, &name) != Some("yes") {
                continue;
            }
            if !seen.insert((n_idx, name.clone())) {
                break;
            }
            let (vm, vn) = (plan.vhost(m.vhost), plan.vhost(n.vhost));
            let what = if km.cert == kn.cert {
                "the same certificate with other TLS settings (SSLProtocol, SSLCipherSuite, Protocols, SSLSessionTickets)".to_string()
            } else {
                format!(
                    "{} for {}",
                    plan.show_path(&plan.certs[km.cert].cert_file),
                    vm.name
                )
            };
            if let Some(d) = at(name_span(vn, &name), |s| {
                Diagnostic::warning(
                    s,
                    format!(
                        "{name}{} is also covered by {what} on {}: a browser holding an HTTP/2 connection made for {} may send {name}'s requests on it, get 421 Misdirected Request and have to reconnect",
                        if vn.name.eq_ignore_ascii_case(&name) { String::new() } else { format!(" (vhost {})", vn.name) },
                        chain.key.show(),
                        vm.name
                    ),
                )
                .with_help("give vhosts whose certificates cover each other's names one certificate and the same TLS settings, or certificates that do not overlap")
            }) {
                out.push(finding("coalescing", d));
            }
            break;
        }
    }
    out
}

/// On one TLS address: the names no certificate present there covers, and the one
/// certificate (wildcards where two or more names share a parent) that would cover them all.
fn consolidation(plan: &Plan, facts: &[Option<CertFacts>], chain: &Chain) -> Option<Finding> {
    // Only vhosts with TLS here, and only when every certificate here could be read (the
    // errors say what is wrong with the others).
    let names: Vec<(usize, String)> = chain_names(plan, chain)
        .into_iter()
        .filter(|(idx, _)| plan.vhost(chain.members[*idx].vhost).tls.is_some())
        .collect();
    let certs: BTreeSet<usize> = chain.members.iter().filter_map(|m| m.cert()).collect();
    if certs
        .iter()
        .any(|&c| facts.get(c).is_none_or(Option::is_none))
    {
        return None;
    }
    let mut uncovered: Vec<&str> = Vec::new();
    let mut missed_by_own = false;
    for (_, name) in &names {
        let r = name_rule(plan, chain, name);
        if r.cert
            .is_some_and(|c| covered(facts, c, name) != Some("yes"))
        {
            missed_by_own = true;
        }
        if !certs
            .iter()
            .any(|&c| covered(facts, c, name) == Some("yes"))
            && !uncovered.contains(&name.as_str())
        {
            uncovered.push(name);
        }
    }
    if !missed_by_own {
        return None;
    }
    let sans = one_certificate(names.iter().map(|(_, n)| n.as_str()));
    let default = plan.vhost(chain.default_vhost());
    let lead = if uncovered.is_empty() {
        "every name here is covered by some certificate present, but not always by the one its handshake gets".to_string()
    } else {
        format!(
            "{} name(s) no certificate here covers: {}",
            uncovered.len(),
            uncovered.join(", ")
        )
    };
    at(default.span.or(default.name_span), |s| {
        Diagnostic::note(
            s,
            format!(
                "on {}, {lead}; one certificate with subjectAltName {} would cover all {} name(s), and every vhost here could share it (no SNI needed)",
                chain.key.show(),
                sans.iter().map(|n| format!("DNS:{n}")).collect::<Vec<_>>().join(", "),
                names.len()
            ),
        )
        .with_help("or give each uncovered vhost its own certificate (chosen by SNI)")
    })
    .map(|d| finding("consolidation", d))
}

/// The fewest subjectAltName entries covering `names`: names sharing a parent domain (two or
/// more, one label below it) become `*.parent`; a wildcard alias keeps its pattern; the rest
/// stay as they are. Sorted.
pub fn one_certificate<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut exact = BTreeSet::new();
    let mut wild = BTreeSet::new();
    for n in names {
        let n = n.to_ascii_lowercase();
        if is_wild(&n) {
            match n.strip_prefix("*.") {
                Some(rest) if !is_wild(rest) => {
                    wild.insert(rest.to_string());
                }
                _ => {
                    // Other globs: their one-label matches, as far as a certificate can.
                    let c = concrete(&n);
                    if let Some((_, parent)) = c.split_once('.') {
                        wild.insert(parent.to_string());
                    }
                }
            }
        } else {
            exact.insert(n);
        }
    }
    let mut by_parent: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in &exact {
        if let Some((_, parent)) = n.split_once('.')
            && parent.contains('.')
        {
            by_parent
                .entry(parent.to_string())
                .or_default()
                .push(n.clone());
        }
    }
    for (parent, kids) in by_parent {
        if kids.len() >= 2 {
            wild.insert(parent);
        }
    }
    let mut out: BTreeSet<String> = wild.iter().map(|p| format!("*.{p}")).collect();
    for n in exact {
        let under_wild = n
            .split_once('.')
            .is_some_and(|(_, parent)| wild.contains(parent));
        if !under_wild {
            out.insert(n);
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_certificate_uses_wildcards_where_names_share_a_parent() {
        let names = [
            "a.example.com",
            "b.example.com",
            "example.com",
            "shop.other.org",
            "*.w.test",
            "x.w.test",
            "c.deep.example.com",
        ];
        assert_eq!(
            one_certificate(names.into_iter()),
            [
                "*.example.com",
                "*.w.test",
                "c.deep.example.com",
                "example.com",
                "shop.other.org"
            ]
        );
    }
}

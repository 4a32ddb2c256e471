//! Takes the plan's managed domains and what was loaded for them (from the store, else the
//! fallback) and gives their state for `-S` (text) and `-S -j` (JSON): names, CA, key type,
//! challenges, the certificate served and when its renewal starts.

use crate::config::md::RenewMode;
use crate::config::source::SourceMap;
use crate::md::drive::due;
use crate::plan::Plan;
use crate::plan::cert_facts::CertFacts;
use crate::plan::managed::Managed;
use serde_json::{Value, json};
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where a managed domain stands.
pub enum State<'a> {
    /// Not obtained or renewed here (`MDRenewMode manual`, or no vhost uses it).
    NotDriven(&'static str),
    /// No certificate yet: the self-signed fallback (503 to clients naming the site).
    Fallback,
    /// No certificate yet: a member vhost's own SSLCertificateFile is served meanwhile.
    StandIn(&'a CertFacts),
    /// Its certificate, and when renewal starts (unix seconds).
    Certified(&'a CertFacts, i64),
}

pub fn state<'a>(m: &Managed, facts: &'a [Option<CertFacts>]) -> State<'a> {
    let f = m.cert.and_then(|c| facts.get(c)).and_then(Option::as_ref);
    match f {
        Some(f) if f.is_self_signed_fallback() => State::Fallback,
        Some(f) if f.fallback => State::StandIn(f),
        Some(f) if m.driven() => State::Certified(f, due(m, f)),
        _ if m.renew_mode == RenewMode::Manual => {
            State::NotDriven("MDRenewMode manual: renewed by hand")
        }
        Some(f) => State::Certified(f, due(m, f)),
        None if m.vhosts.is_empty() => State::NotDriven("no vhost uses it"),
        None => State::NotDriven("no SSL vhost uses it"),
    }
}

fn day(unix: i64) -> String {
    let t = UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    httpdate::fmt_http_date(t)
}

/// The `-S` section.
pub fn text(
    plan: &Plan,
    sources: &SourceMap,
    facts: &[Option<CertFacts>],
    now: SystemTime,
) -> String {
    let mut out = String::new();
    if plan.md.domains.is_empty() {
        return out;
    }
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "Managed domains (store {}):",
        plan.show_path(&plan.md.store)
    );
    for m in &plan.md.domains {
        let _ = writeln!(
            out,
            "{:<22} {} ({})",
            m.name,
            m.domains.join(" "),
            sources.file_line(m.span)
        );
        let _ = writeln!(
            out,
            "                 CA {}, key {}, challenges {}",
            m.ca,
            m.key.show(),
            if m.challenges.is_empty() {
                "none usable".to_string()
            } else {
                m.challenges.join(" ")
            }
        );
        let line = match state(m, facts) {
            State::NotDriven(why) => format!("not obtained here: {why}"),
            State::Fallback => "no certificate yet: the self-signed fallback is served (clients naming the site get 503) until the CA issues one".to_string(),
            State::StandIn(f) => format!("no certificate yet: the vhost's own certificate ({}) is served until the CA issues one", f.subject),
            State::Certified(f, due) if due <= now => format!("certificate valid until {}; renewal due now", f.not_after),
            State::Certified(f, due) => format!("certificate valid until {}; renewal from {}", f.not_after, day(due)),
        };
        let _ = writeln!(out, "                 {line}");
    }
    out
}

/// The `-S -j` entries.
pub fn json(plan: &Plan, sources: &SourceMap, facts: &[Option<CertFacts>]) -> Value {
    Value::Array(
        plan.md
            .domains
            .iter()
            .map(|m| {
                let (st, until, renew) = match state(m, facts) {
                    State::NotDriven(_) => ("not-driven", None, None),
                    State::Fallback => ("fallback", None, None),
                    State::StandIn(_) => ("stand-in", None, None),
                    State::Certified(f, due) => {
                        ("certified", Some(f.not_after.clone()), Some(day(due)))
                    }
                };
                json!({
                    "name": m.name,
                    "domains": m.domains,
                    "at": sources.file_line(m.span),
                    "ca": m.ca,
                    "key_type": m.key.show(),
                    "challenges": m.challenges,
                    "renew_window": m.renew_window.show(),
                    "certificate": m.cert,
                    "vhosts": m.vhosts,
                    "state": st,
                    "not_after": until,
                    "renew_from": renew,
                })
            })
            .collect(),
    )
}

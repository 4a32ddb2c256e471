//! Takes the managed domains, their slots and what the background work recorded and gives
//! mod_md's status JSON: `md-status` (`{"version", "managed-domains": [...]}` or one domain)
//! and `/.httpd/certificate-status` (MDCertificateStatus), with httpd's field names.

use super::live;
use crate::plan::Plan;
use crate::plan::cert_facts::CertFacts;
use crate::plan::managed::Managed;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the background work says about one domain.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub renewing: bool,
    pub errors: u32,
    /// The last failure, when the last attempt failed.
    pub last: Option<String>,
    pub next_run: Option<i64>,
    log: VecDeque<(i64, &'static str, String)>,
}

impl Status {
    pub fn log(&mut self, kind: &'static str, detail: &str) {
        if self.log.len() == 20 {
            self.log.pop_front();
        }
        self.log.push_back((now(), kind, detail.to_string()));
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn all() -> &'static Mutex<HashMap<String, Status>> {
    static ALL: OnceLock<Mutex<HashMap<String, Status>>> = OnceLock::new();
    ALL.get_or_init(Default::default)
}

pub fn update(name: &str, f: impl FnOnce(&mut Status)) {
    let mut a = all().lock().unwrap_or_else(|p| p.into_inner());
    f(a.entry(name.to_string()).or_default());
}

fn get(name: &str) -> Status {
    let a = all().lock().unwrap_or_else(|p| p.into_inner());
    a.get(name).cloned().unwrap_or_default()
}

/// RFC 822 time, as mod_md writes it.
pub fn date(unix: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix.max(0) as u64))
}

fn serial(f: &CertFacts) -> String {
    x509_parser::parse_x509_certificate(f.leaf().as_ref())
        .map(|(_, c)| c.raw_serial().iter().map(|b| format!("{b:02X}")).collect())
        .unwrap_or_default()
}

fn valid(f: &CertFacts) -> Value {
    json!({ "from": date(f.not_before_unix), "until": date(f.not_after_unix) })
}

/// One certificate as mod_md describes it.
fn cert_json(f: &CertFacts) -> Value {
    json!({
        "valid": valid(f),
        "serial": serial(f),
        "sha256-fingerprint": crate::insight::certinfo::fingerprint(f.leaf().as_ref()).replace(':', "").to_ascii_lowercase(),
    })
}

/// The certificate a domain serves now: its slot's when the server runs, else `facts`.
fn current(plan: &Plan, m: &Managed, facts: &[Option<CertFacts>]) -> Option<CertFacts> {
    let spec = plan.certs.get(m.cert?)?;
    match live::find_slot(&spec.cert_file) {
        Some(s) => Some((*s.facts.load_full()).clone()),
        None => facts.get(m.cert?)?.clone(),
    }
}

/// A domain's `md-status` object.
pub fn domain_json(plan: &Plan, m: &Managed, facts: &[Option<CertFacts>]) -> Value {
    let cur = current(plan, m, facts);
    let st = get(&m.name);
    let spec = m.key.tag();
    let mut o = json!({
        "name": m.name,
        "domains": m.domains,
        "contacts": m.contacts,
        "transitive": u8::from(m.members_auto),
        "ca": { "proto": "ACME", "urls": [m.ca], "agreement": if m.agreement { "accepted" } else { "" } },
        "renew-mode": match m.renew_mode { crate::config::md::RenewMode::Manual => 0, crate::config::md::RenewMode::Auto => 1, crate::config::md::RenewMode::Always => 2 },
        "renew-window": m.renew_window.show(),
        "warn-window": m.warn_window.show(),
        "must-staple": false,
        "challenges": m.challenges,
        "watched": m.driven(),
    });
    match cur.as_ref().filter(|f| !f.fallback) {
        Some(f) => {
            o["state"] = json!(2);
            o["cert"] = json!({ spec: cert_json(f), "valid": valid(f) });
            let due = super::drive::due(m, f);
            o["renew-at"] = json!(date(due));
            o["renew"] = json!(now() >= due || st.renewing);
        }
        None => {
            o["state"] = json!(1);
            o["state-descr"] = json!(format!("certificate({spec}) is missing"));
            o["renew"] = json!(true);
            if let Some(f) = &cur {
                o["fallback"] = json!({ "subject": f.subject, "valid": valid(f) });
            }
        }
    }
    if st.errors > 0 || st.renewing || !st.log.is_empty() {
        let mut r = json!({
            "name": m.name,
            "errors": st.errors,
            "activity": if st.renewing { "obtaining a certificate" } else { "" },
            "log": st.log.iter().rev().map(|(when, kind, detail)| json!({ "when": date(*when), "type": kind, "detail": detail })).collect::<Vec<_>>(),
        });
        if let Some(n) = st.next_run {
            r["next-run"] = json!(date(n));
        }
        if let Some(why) = &st.last {
            r["last"] = json!({ "status": 1, "status-description": "error", "detail": why });
        }
        o["renewal"] = r;
    }
    o
}

/// `GET /md-status` (`rest` empty) or `/md-status/<name or domain>`; `None`: no such domain.
pub fn md_status(plan: &Plan, facts: &[Option<CertFacts>], rest: &str) -> Option<Value> {
    let rest = rest.trim_matches('/').to_ascii_lowercase();
    if rest.is_empty() {
        let mut list: Vec<&Managed> = plan.md.domains.iter().collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        return Some(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "managed-domains": list.iter().map(|m| domain_json(plan, m, facts)).collect::<Vec<_>>(),
        }));
    }
    let m = plan
        .md
        .domains
        .iter()
        .find(|m| m.name == rest || m.domains.contains(&rest))?;
    Some(domain_json(plan, m, facts))
}

/// `GET /.httpd/certificate-status` on a name of a domain with MDCertificateStatus on.
pub fn certificate_status(plan: &Plan, facts: &[Option<CertFacts>], host: &str) -> Option<Value> {
    let host = host.to_ascii_lowercase();
    let m = plan
        .md
        .domains
        .iter()
        .find(|m| m.cert_status && m.domains.contains(&host))?;
    let cur = current(plan, m, facts).filter(|f| !f.fallback)?;
    let spec = m.key.tag();
    Some(json!({
        "valid": valid(&cur),
        spec: cert_json(&cur),
        "renewal": { "cert": {} },
    }))
}

//! Takes the checked plan (sockets, chains, vhosts, certificate facts, findings) and gives
//! `server -S -j`: the whole plan as JSON in a stable, documented shape (`docs/plan-json.md`),
//! keys sorted, every place as `file:line`.

use super::certinfo::CertInfo;
use super::{Finding, name_rule};
use crate::config::source::{SourceMap, Span};
use crate::plan::cert_facts::CertFacts;
use crate::plan::{Chain, ChainKey, Plan, Vhost};
use serde_json::{Value, json};

/// The schema's name and version: a consumer checks it before reading the rest.
pub const SCHEMA: &str = "vhostd-plan/1";

/// What the JSON is made of.
pub struct Inputs<'a> {
    pub plan: &'a Plan,
    pub sources: &'a SourceMap,
    pub facts: &'a [Option<CertFacts>],
    pub info: &'a [Option<CertInfo>],
    pub findings: &'a [Finding],
}

/// The plan as JSON.
pub fn plan_json(i: &Inputs<'_>) -> Value {
    let plan = i.plan;
    json!({
        "schema": SCHEMA,
        "server_root": plan.server_root.display().to_string(),
        "listeners": plan.listeners.iter().map(|l| {
            let key = ChainKey { ip: l.ip, port: Some(l.port) };
            json!({
                "address": key.show(),
                "port": l.port,
                "protocol": l.protocol.clone().unwrap_or_else(|| if l.port == 443 { "https" } else { "http" }.to_string()),
                "at": i.sources.file_line(l.span),
                "main_server_answers": plan.listener_reaches_main(l),
            })
        }).collect::<Vec<_>>(),
        "main_server": vhost(i, &plan.main, None),
        "vhosts": plan.vhosts.iter().enumerate().map(|(id, v)| vhost(i, v, Some(id))).collect::<Vec<_>>(),
        "chains": plan.chains.iter().map(|c| chain(i, c)).collect::<Vec<_>>(),
        "managed_domains": super::managed::json(plan, i.sources, i.facts),
        "certificates": plan.certs.iter().enumerate().map(|(id, spec)| {
            let facts = i.facts.get(id).and_then(Option::as_ref);
            let info = i.info.get(id).and_then(Option::as_ref);
            json!({
                "id": id,
                "file": plan.show_path(&spec.cert_file),
                "key_file": spec.key_file.as_ref().map(|k| plan.show_path(k)),
                "chain_file": spec.chain_file.as_ref().map(|k| plan.show_path(k)),
                "at": i.sources.file_line(spec.span),
                "loaded": facts.is_some(),
                "managed": spec.managed.and_then(|m| plan.md.domains.get(m)).map(|m| m.name.clone()),
                "subject": facts.map(|f| f.subject.clone()),
                "dns_names": facts.map(|f| f.dns_names.clone()).unwrap_or_default(),
                "ip_names": facts.map(|f| f.ip_names.clone()).unwrap_or_default(),
                "not_before": info.map(|x| x.not_before.clone()),
                "not_after": facts.map(|f| f.not_after.clone()),
                "key_type": info.map(|x| x.key_type.clone()),
                "sha256": info.map(|x| x.sha256.clone()),
                "chain": info.map(|x| json!({
                    "length": x.chain_len,
                    "last_issuer": x.last_issuer,
                    "complete": x.complete,
                })),
            })
        }).collect::<Vec<_>>(),
        "findings": i.findings.iter().map(|f| json!({
            "kind": f.kind,
            "severity": f.diag.severity.label(),
            "at": at(i.sources, f.diag.span),
            "message": f.diag.message,
            "help": f.diag.help,
        })).collect::<Vec<_>>(),
    })
}

fn at(sources: &SourceMap, span: Option<Span>) -> Option<String> {
    span.map(|s| sources.file_line(s))
}

fn vhost(i: &Inputs<'_>, v: &Vhost, id: Option<usize>) -> Value {
    json!({
        "id": id,
        "at": at(i.sources, v.span),
        "server_name": v.name,
        "server_name_at": at(i.sources, v.name_span),
        "aliases": v.aliases,
        "wild_aliases": v.wild_aliases,
        "addresses": v.addrs.iter().map(ChainKey::show).collect::<Vec<_>>(),
        "document_root": i.plan.show_path(&v.document_root),
        "tls": v.tls.as_ref().map(|t| json!({
            "certificate": t.cert,
            "protocols": t.protocols.names(),
            "strict_sni": t.strict_sni,
        })),
    })
}

/// One address: its vhosts in order (the first is the default) and, for each name a client
/// may send, the certificate it gets, the vhost that answers, and why.
fn chain(i: &Inputs<'_>, c: &Chain) -> Value {
    let plan = i.plan;
    let names: Vec<Value> = super::chain_names(plan, c)
        .into_iter()
        .map(|(idx, name)| {
            let r = name_rule(plan, c, &name);
            json!({
                "name": name,
                "written_by": c.members[idx].vhost,
                "certificate": r.cert,
                "certificate_rule": r.cert_rule,
                "vhost": c.members[r.member].vhost,
                "vhost_rule": r.vhost_rule,
                "covered": r.cert.and_then(|cert| super::covered(i.facts, cert, &name)),
            })
        })
        .collect();
    json!({
        "address": c.key.show(),
        "tls": c.tls,
        "name_based": c.is_name_based(),
        "default_vhost": c.default_vhost(),
        "default_certificate": c.default_cert,
        "members": c.members.iter().map(|m| json!({
            "vhost": m.vhost,
            "certificate": m.cert(),
            "shares_default_certificate": m.shares_default,
        })).collect::<Vec<_>>(),
        "names": names,
    })
}

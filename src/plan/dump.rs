//! Takes the plan (and the loaded certificate facts and coverage findings) and gives the `-S`
//! text: httpd's "VirtualHost configuration:" block line for line, its run settings, then what
//! httpd lacks: listeners, per TLS chain the default certificate and who shares it, SNI
//! certificates, and coverage.

use super::{Chain, Plan};
use crate::config::diag::Diagnostic;
use crate::config::source::SourceMap;
use crate::plan::cert_facts::CertFacts;
use std::fmt::Write as _;

/// The whole `-S` output.
pub fn dump(
    plan: &Plan,
    sources: &SourceMap,
    facts: &[Option<CertFacts>],
    coverage: &[Diagnostic],
) -> String {
    let mut out = String::new();
    vhosts(&mut out, plan, sources);
    run_settings(&mut out, plan);
    listeners(&mut out, plan, sources);
    tls(&mut out, plan, sources, facts);
    coverage_lines(&mut out, plan, sources, coverage);
    out
}

fn at(sources: &SourceMap, span: Option<crate::config::source::Span>) -> String {
    span.map(|s| sources.file_line(s))
        .unwrap_or_else(|| "main server".to_string())
}

fn port_of(chain: &Chain) -> String {
    chain
        .key
        .port
        .map(|p| p.to_string())
        .unwrap_or_else(|| "*".to_string())
}

fn vhosts(out: &mut String, plan: &Plan, sources: &SourceMap) {
    out.push_str("VirtualHost configuration:\n");
    for chain in &plan.chains {
        let addr = chain.key.show();
        if !chain.is_name_based() {
            let v = plan.vhost(chain.default_vhost());
            let _ = writeln!(out, "{addr:<22} {} ({})", v.name, at(sources, v.span));
            continue;
        }
        let _ = writeln!(out, "{addr:<22} is a NameVirtualHost");
        let d = plan.vhost(chain.default_vhost());
        let _ = writeln!(
            out,
            "         default server {} ({})",
            d.name,
            at(sources, d.span)
        );
        for m in &chain.members {
            let v = plan.vhost(m.vhost);
            let _ = writeln!(
                out,
                "         port {} namevhost {} ({})",
                port_of(chain),
                v.name,
                at(sources, v.span)
            );
            for a in &v.aliases {
                let _ = writeln!(out, "                 alias {a}");
            }
            for a in &v.wild_aliases {
                let _ = writeln!(out, "                 wild alias {a}");
            }
        }
    }
}

fn run_settings(out: &mut String, plan: &Plan) {
    let m = &plan.model;
    let _ = writeln!(out, "ServerRoot: \"{}\"", plan.server_root.display());
    let _ = writeln!(
        out,
        "Main DocumentRoot: \"{}\"",
        plan.main.document_root.display()
    );
    let error_log = plan
        .main
        .conf
        .log
        .error_log
        .as_ref()
        .map(|e| e.value.clone())
        .unwrap_or_else(|| "/dev/stderr".to_string());
    let _ = writeln!(out, "Main ErrorLog: \"{error_log}\"");
    let pid = m
        .pid_file
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_else(|| plan.server_root.join("logs/httpd.pid"));
    let _ = writeln!(out, "PidFile: \"{}\"", pid.display());
    let dump = [
        ("DUMP_VHOSTS".to_string(), None),
        ("DUMP_RUN_CFG".to_string(), None),
    ];
    for (k, v) in dump.iter().chain(
        m.defines
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
            .iter(),
    ) {
        match v {
            Some(v) => {
                let _ = writeln!(out, "Define: {k}={v}");
            }
            None => {
                let _ = writeln!(out, "Define: {k}");
            }
        }
    }
    if let Some(u) = &m.user {
        let _ = writeln!(out, "User: name=\"{}\"", u.value);
    }
    if let Some(g) = &m.group {
        let _ = writeln!(out, "Group: name=\"{}\"", g.value);
    }
}

fn listeners(out: &mut String, plan: &Plan, sources: &SourceMap) {
    out.push_str("Listeners:\n");
    for l in &plan.listeners {
        let addr = match l.ip {
            Some(std::net::IpAddr::V6(ip)) => format!("[{ip}]:{}", l.port),
            Some(ip) => format!("{ip}:{}", l.port),
            None => format!("*:{}", l.port),
        };
        let proto = l
            .protocol
            .as_deref()
            .unwrap_or(if l.port == 443 { "https" } else { "http" });
        let main = if plan.listener_reaches_main(l) {
            ", main server where no vhost matches"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{addr:<22} {proto} ({}){main}",
            sources.file_line(l.span)
        );
    }
}

fn cert_lines(out: &mut String, facts: Option<&CertFacts>, indent: &str) {
    match facts {
        Some(f) => {
            let _ = writeln!(out, "{indent}subject: {}", f.subject);
            let names = f.names();
            let _ = writeln!(
                out,
                "{indent}names: {}",
                if names.is_empty() {
                    "(no subjectAltName)".to_string()
                } else {
                    names.join(", ")
                }
            );
            let _ = writeln!(out, "{indent}not after: {}", f.not_after);
        }
        None => {
            let _ = writeln!(out, "{indent}(not loaded: see the errors)");
        }
    }
}

fn tls(out: &mut String, plan: &Plan, sources: &SourceMap, facts: &[Option<CertFacts>]) {
    let tls_chains: Vec<&Chain> = plan.chains.iter().filter(|c| c.tls).collect();
    let main_tls = plan
        .main
        .tls
        .as_ref()
        .and_then(|t| t.cert)
        .filter(|_| plan.main_reachable());
    if tls_chains.is_empty() && main_tls.is_none() {
        return;
    }
    out.push_str("TLS certificates:\n");
    for chain in tls_chains {
        let addr = chain.key.show();
        let Some(default) = chain.default_cert else {
            let _ = writeln!(out, "{addr:<22} no certificate (see the errors)");
            continue;
        };
        let lead = format!("{addr:<22} default certificate");
        cert_block(out, plan, sources, facts, &lead, "", default);
        for (i, m) in chain.members.iter().enumerate() {
            let v = plan.vhost(m.vhost);
            let head = format!("         port {} namevhost {}", port_of(chain), v.name);
            let proto = v.tls.as_ref().map(|t| t.protocols).unwrap_or_default();
            let proto = if proto == Default::default() {
                String::new()
            } else {
                format!(" [{}]", proto.names().join(" "))
            };
            match m.cert() {
                Some(_) if i == 0 => {
                    let _ = writeln!(out, "{head}: the default certificate{proto}");
                }
                Some(c) if c == default && m.shares_default => {
                    let _ = writeln!(
                        out,
                        "{head}: shares the default certificate (none of its own){proto}"
                    );
                }
                Some(c) if c == default => {
                    let _ = writeln!(
                        out,
                        "{head}: shares the default certificate (same files){proto}"
                    );
                }
                Some(c) => {
                    let lead = format!("{head}: own certificate");
                    cert_block(
                        out,
                        plan,
                        sources,
                        facts,
                        &lead,
                        &format!(", chosen by SNI{proto}"),
                        c,
                    );
                }
                None => {
                    let _ = writeln!(out, "{head}: no certificate");
                }
            }
        }
    }
    if let Some(c) = main_tls {
        let lead = format!("{:<22} main server certificate", "main server");
        cert_block(out, plan, sources, facts, &lead, "", c);
    }
}

/// `<lead> <file> (<where it is named>)<tail>`, then the certificate's facts.
fn cert_block(
    out: &mut String,
    plan: &Plan,
    sources: &SourceMap,
    facts: &[Option<CertFacts>],
    lead: &str,
    tail: &str,
    cert: super::CertId,
) {
    let spec = &plan.certs[cert];
    let _ = writeln!(
        out,
        "{lead} {} ({}){tail}",
        plan.show_path(&spec.cert_file),
        sources.file_line(spec.span)
    );
    cert_lines(
        out,
        facts.get(cert).and_then(Option::as_ref),
        "                 ",
    );
}

fn coverage_lines(out: &mut String, plan: &Plan, sources: &SourceMap, coverage: &[Diagnostic]) {
    if plan.certs.is_empty() {
        return;
    }
    if coverage.is_empty() {
        out.push_str("Coverage: every ServerName and ServerAlias is covered by the certificate it receives\n");
        return;
    }
    out.push_str("Coverage:\n");
    for d in coverage {
        let _ = writeln!(
            out,
            "         {}: {}: {}",
            at(sources, d.span),
            d.severity.label(),
            d.message
        );
    }
}

//! Takes the plan and the loaded certificate facts and gives the coverage findings: for each
//! ServerName and ServerAlias, the certificate a client naming it by SNI receives, and whether
//! that certificate covers the name under RFC 6125, using rustls-webpki's check (the clients').

use super::names::is_wild;
use super::{CertId, Chain, Plan, Vhost};
use crate::config::diag::Diagnostic;
use crate::config::source::Span;
use crate::plan::cert_facts::CertFacts;
use rustls_pki_types::ServerName;
use webpki::EndEntityCert;

/// How well a certificate covers a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    Covered,
    NotCovered,
    /// A wildcard alias whose one-label matches are covered but whose longer matches are not.
    Partly {
        example: String,
    },
    /// Not a name any certificate can carry.
    Invalid(String),
}

/// Checks one (possibly glob) name against a parsed certificate.
pub fn check_name(cert: &EndEntityCert<'_>, name: &str) -> Coverage {
    if !is_wild(name) {
        return check_exact(cert, name);
    }
    // A glob: its one-label form must be covered, and `*` can also span dots.
    let one = name.replace(['*', '?'], "a");
    match check_exact(cert, &one) {
        Coverage::Covered if name.contains('*') => {
            let deep = name.replacen('*', "a.b", 1).replace(['*', '?'], "a");
            match check_exact(cert, &deep) {
                Coverage::Covered => Coverage::Covered,
                _ => Coverage::Partly { example: deep },
            }
        }
        other => other,
    }
}

fn check_exact(cert: &EndEntityCert<'_>, name: &str) -> Coverage {
    let ascii = if name.is_ascii() {
        name.to_string()
    } else {
        match idna::domain_to_ascii(name) {
            Ok(a) => a,
            Err(_) => {
                return Coverage::Invalid(format!(
                    "'{name}' is not a valid internationalised name"
                ));
            }
        }
    };
    let server_name = match ServerName::try_from(ascii.as_str()) {
        Ok(s) => s,
        Err(_) => return Coverage::Invalid(format!("'{name}' is not a valid DNS name")),
    };
    match cert.verify_is_valid_for_subject_name(&server_name) {
        Ok(()) => Coverage::Covered,
        Err(_) => Coverage::NotCovered,
    }
}

/// One name to judge: its vhost, where it is written, the certificate it receives, and the
/// address whose default certificate that is when it is shared.
struct Subject<'a> {
    vhost: &'a Vhost,
    name: String,
    span: Span,
    cert: CertId,
    shared_on: Option<String>,
}

/// Every coverage finding of the plan.
pub fn coverage(plan: &Plan, facts: &[Option<CertFacts>]) -> Vec<Diagnostic> {
    let parsed: Vec<Option<EndEntityCert<'_>>> = facts
        .iter()
        .map(|f| {
            f.as_ref()
                .and_then(|f| EndEntityCert::try_from(f.leaf()).ok())
        })
        .collect();
    let mut subjects = Vec::new();
    if let Some(cert) = plan
        .main
        .tls
        .as_ref()
        .and_then(|t| t.cert)
        .filter(|_| plan.main_reachable())
    {
        for (name, span) in names_with_spans(&plan.main) {
            subjects.push(Subject {
                vhost: &plan.main,
                name,
                span,
                cert,
                shared_on: None,
            });
        }
    }
    for chain in plan.chains.iter().filter(|c| c.tls) {
        for (idx, m) in chain.members.iter().enumerate() {
            let vhost = plan.vhost(m.vhost);
            if vhost.tls.is_none() {
                continue;
            }
            for (name, span) in names_with_spans(vhost) {
                let Some(cert) = cert_for_name(chain, idx, &name) else {
                    continue;
                };
                let shared_on =
                    (idx != 0 && chain.default_cert == Some(cert)).then(|| chain.key.show());
                subjects.push(Subject {
                    vhost,
                    name,
                    span,
                    cert,
                    shared_on,
                });
            }
        }
    }
    subjects
        .iter()
        .filter_map(|s| {
            let (Some(ee), Some(f)) = (&parsed[s.cert], &facts[s.cert]) else {
                return None;
            };
            finding(plan, s, f, check_name(ee, &s.name))
        })
        .collect()
}

/// The certificate a client naming `name` gets on this chain: the SNI walk's vhost's, or the
/// default (a glob alias is judged with its own vhost's certificate).
fn cert_for_name(chain: &Chain, member: usize, name: &str) -> Option<CertId> {
    if !chain.is_name_based() || is_wild(name) {
        return chain.members[member].cert();
    }
    let found = chain
        .names
        .lookup_sni(&name.to_ascii_lowercase())
        .unwrap_or(0);
    chain.members[found].cert().or(chain.default_cert)
}

/// The names a vhost answers to, with where each was written.
fn names_with_spans(v: &Vhost) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let here = v.name_span.or(v.span).unwrap_or_default();
    out.push((v.name.clone(), here));
    for a in &v.conf.aliases {
        out.push((a.value.clone(), a.span));
    }
    out
}

fn finding(plan: &Plan, s: &Subject<'_>, f: &CertFacts, result: Coverage) -> Option<Diagnostic> {
    let file = plan.show_path(&plan.certs[s.cert].cert_file);
    let names = f.names();
    let covers = if names.is_empty() {
        "no names (it has no subjectAltName)".to_string()
    } else {
        names.join(", ")
    };
    let (name, vhost) = (&s.name, &s.vhost.name);
    let managed = plan.certs[s.cert]
        .managed
        .and_then(|i| plan.md.domains.get(i));
    if let Some(m) = managed
        && result == Coverage::NotCovered
    {
        let lower = name.to_ascii_lowercase();
        if m.domains.contains(&lower) && m.driven() {
            return Some(
                Diagnostic::note(s.span, format!("name {name} (vhost {vhost}) is not in the certificate stored for managed domain {} yet", m.name))
                    .with_help("nothing to do: a certificate naming it is obtained as soon as the server runs this configuration (-S shows the domain's state)"),
            );
        }
        return Some(
            Diagnostic::warning(s.span, format!("name {name} (vhost {vhost}) is not covered by the certificate of managed domain {}, which covers: {covers}", m.name))
                .with_help(format!("add {name} to the MDomain {} line (or write MDMembers auto)", m.name)),
        );
    }
    let fix = match &s.shared_on {
        Some(addr) => format!(
            "add {name} to the subjectAltName of the shared certificate {file} (it belongs to the first vhost on {addr}), or give this vhost its own SSLCertificateFile, which SNI clients will get"
        ),
        None => format!(
            "add {name} to the subjectAltName of {file}, or use a certificate that names it"
        ),
    };
    let (msg, help) = match result {
        Coverage::Covered => return None,
        Coverage::NotCovered => (format!("name {name} (vhost {vhost}) is not covered by certificate {file}, which covers: {covers}"), fix),
        Coverage::Partly { example } => (
            format!("wildcard alias {name} (vhost {vhost}) is only partly covered by certificate {file} ({covers}): it also matches names such as {example}, which a one-label certificate wildcard does not cover"),
            "clients naming deeper subdomains get a name-mismatch warning; list those names in the certificate or narrow the alias".to_string(),
        ),
        Coverage::Invalid(why) => (format!("name {name} (vhost {vhost}): {why}, so no certificate can cover it"), "write the name as clients send it, in ASCII".to_string()),
    };
    Some(Diagnostic::warning(s.span, msg).with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(names: &[&str]) -> rustls_pki_types::CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn wildcard_apex_multilabel_and_idn() {
        let der = cert(&["*.example.com", "xn--bcher-kva.example"]);
        let ee = EndEntityCert::try_from(&der).unwrap();
        assert_eq!(check_name(&ee, "www.example.com"), Coverage::Covered);
        assert_eq!(check_name(&ee, "WWW.Example.COM"), Coverage::Covered);
        assert_eq!(check_name(&ee, "example.com"), Coverage::NotCovered);
        assert_eq!(check_name(&ee, "a.b.example.com"), Coverage::NotCovered);
        assert_eq!(check_name(&ee, "bücher.example"), Coverage::Covered);
        assert_eq!(check_name(&ee, "xn--bcher-kva.example"), Coverage::Covered);
        assert_eq!(
            check_name(&ee, "*.example.com"),
            Coverage::Partly {
                example: "a.b.example.com".into()
            }
        );
        assert_eq!(check_name(&ee, "?.example.com"), Coverage::Covered);
        assert_eq!(check_name(&ee, "*.other.com"), Coverage::NotCovered);
        assert!(matches!(check_name(&ee, "bad name"), Coverage::Invalid(_)));
    }
}

//! Takes the plan's certificate list and reads every certificate and key file (the only IO
//! before serving): gives, per certificate, its facts (subject, names, validity) and a rustls
//! `CertifiedKey` ready for handshakes, or a diagnostic naming the file and what to do.

use crate::config::diag::Diagnostic;
use crate::config::source::Span;
use crate::plan::cert_facts::CertFacts;
use crate::plan::{CertSpec, Plan};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Loads every certificate of the plan; the list lines up with `plan.certs`.
pub fn load_all(plan: &Plan, now: SystemTime) -> (Vec<Option<CertFacts>>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let show = |p: &Path| plan.show_path(p);
    let mut facts: Vec<Option<CertFacts>> = Vec::with_capacity(plan.certs.len());
    for spec in &plan.certs {
        // A managed domain's comes after the static ones (which may stand in for it).
        let f = match spec.managed.and_then(|i| plan.md.domains.get(i)) {
            Some(m) => crate::md::store::current_or_fallback(&plan.md, m, &facts, now, &mut diags),
            None => load(spec, now, &show, &mut diags),
        };
        facts.push(f);
    }
    (facts, diags)
}

/// Reads, checks and prepares one certificate and key pair.
pub fn load(
    spec: &CertSpec,
    now: SystemTime,
    show: &dyn Fn(&Path) -> String,
    diags: &mut Vec<Diagnostic>,
) -> Option<CertFacts> {
    let cert_bytes = read(
        &spec.cert_file,
        "SSLCertificateFile",
        spec.span,
        show,
        diags,
    )?;
    let mut chain = read_certs(&cert_bytes, &spec.cert_file, spec.span, show, diags)?;
    if let Some(chain_file) = &spec.chain_file {
        let bytes = read(
            chain_file,
            "SSLCertificateChainFile",
            spec.span,
            show,
            diags,
        )?;
        chain.extend(read_certs(&bytes, chain_file, spec.span, show, diags)?);
    }
    let (key_path, key_span) = match (&spec.key_file, spec.key_span) {
        (Some(k), Some(s)) => (k.as_path(), s),
        _ => (spec.cert_file.as_path(), spec.span),
    };
    let key_bytes = if spec.key_file.is_some() {
        read(key_path, "SSLCertificateKeyFile", key_span, show, diags)?
    } else {
        cert_bytes.clone()
    };
    let key = match PrivateKeyDer::from_pem_slice(&key_bytes) {
        Ok(k) => k,
        Err(e) => {
            let what = match e {
                pem::Error::NoItemsFound => "no private key found (expected a PEM block such as -----BEGIN PRIVATE KEY-----)".to_string(),
                other => format!("the private key is not valid PEM: {}", pem_error(&other)),
            };
            let help = if spec.key_file.is_none() {
                "add SSLCertificateKeyFile naming the key file, or append the key to the certificate file"
            } else {
                "point SSLCertificateKeyFile at the PEM key (PKCS#8, PKCS#1 RSA or SEC1 EC) of this certificate"
            };
            diags.push(
                Diagnostic::error(key_span, format!("{}: {what}", show(key_path))).with_help(help),
            );
            return None;
        }
    };
    let parsed: Vec<_> = chain
        .iter()
        .map(|c| x509_parser::parse_x509_certificate(c.as_ref()).map(|(_, x)| x))
        .collect();
    let Some(Ok(leaf)) = parsed.first() else {
        diags.push(
            Diagnostic::error(
                spec.span,
                format!(
                    "{}: the first certificate cannot be parsed as X.509",
                    show(&spec.cert_file)
                ),
            )
            .with_help("regenerate the certificate; the file is damaged"),
        );
        return None;
    };
    let subject = leaf.subject().to_string();
    if !check_chain_order(spec, &parsed, show, diags) {
        return None;
    }
    let validity = leaf.validity();
    let not_before_unix = validity.not_before.timestamp();
    let now_unix = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // Expiry (past, or within 30 days) is a hazard report: `insight::hazards`.
    if now_unix < not_before_unix {
        diags.push(
            Diagnostic::warning(
                spec.span,
                format!(
                    "certificate {} ({subject}) is not valid before {}",
                    show(&spec.cert_file),
                    show_time(&validity.not_before)
                ),
            )
            .with_help("check the machine's clock, or the certificate's dates"),
        );
    }
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let certified = match CertifiedKey::from_der(chain.clone(), key, &provider) {
        Ok(c) => c,
        Err(rustls::Error::InconsistentKeys(_)) => {
            diags.push(
                Diagnostic::error(key_span, format!("certificate {} ({subject}) and key {} do not match", show(&spec.cert_file), show(key_path)))
                    .with_note(spec.span, "the certificate is named here")
                    .with_help("use the key the certificate was issued for (compare `openssl x509 -pubkey` and `openssl pkey -pubout`)"),
            );
            return None;
        }
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    key_span,
                    format!("{}: unusable private key: {e}", show(key_path)),
                )
                .with_help("use an RSA (2048+ bits), ECDSA P-256/P-384 or Ed25519 key in PEM"),
            );
            return None;
        }
    };
    Some(describe(leaf, Arc::new(certified)))
}

/// What a leaf says about itself, with its prepared key pair.
fn describe(
    leaf: &x509_parser::certificate::X509Certificate<'_>,
    certified: Arc<CertifiedKey>,
) -> CertFacts {
    let (dns_names, ip_names) = names_of(leaf);
    let validity = leaf.validity();
    CertFacts {
        subject: leaf.subject().to_string(),
        dns_names,
        ip_names,
        not_after: show_time(&validity.not_after),
        not_after_unix: validity.not_after.timestamp(),
        not_before_unix: validity.not_before.timestamp(),
        certified,
        fallback: false,
    }
}

/// The facts of a certificate chain and key in PEM (a managed domain's, from the store or
/// just issued); an error says what is wrong with them.
pub fn facts_of_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertFacts, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not a PEM certificate chain: {}", pem_error(&e)))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("not a PEM private key: {}", pem_error(&e)))?;
    let Some(first) = chain.first() else {
        return Err("no certificate in the file".into());
    };
    let (_, leaf) = x509_parser::parse_x509_certificate(first.as_ref())
        .map_err(|_| "the certificate cannot be parsed as X.509".to_string())?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let certified = CertifiedKey::from_der(chain.clone(), key, &provider)
        .map_err(|e| format!("certificate and key do not go together: {e}"))?;
    Ok(describe(&leaf, Arc::new(certified)))
}

fn read(
    path: &Path,
    directive: &str,
    span: Span,
    show: &dyn Fn(&Path) -> String,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) if b.iter().all(|c| c.is_ascii_whitespace()) => {
            diags.push(
                Diagnostic::error(
                    span,
                    format!(
                        "{directive}: file '{}' does not exist or is empty",
                        show(path)
                    ),
                )
                .with_help("point it at a PEM file"),
            );
            None
        }
        Ok(b) => Some(b),
        Err(e) => {
            diags.push(Diagnostic::error(span, format!("{directive} \"{}\": {e}", show(path)))
                .with_help("check the path (relative paths start at ServerRoot) and the file's permissions"));
            None
        }
    }
}

fn pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => {
            format!("missing '{}'", String::from_utf8_lossy(end_marker))
        }
        pem::Error::IllegalSectionStart { line } => {
            format!("bad line '{}'", String::from_utf8_lossy(line))
        }
        pem::Error::Base64Decode(_) => "the base64 text is damaged".to_string(),
        other => other.to_string(),
    }
}

/// Certificates from PEM (or a single DER certificate, which httpd also accepts).
fn read_certs(
    bytes: &[u8],
    path: &Path,
    span: Span,
    show: &dyn Fn(&Path) -> String,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    for item in CertificateDer::pem_slice_iter(bytes) {
        match item {
            Ok(c) => out.push(c),
            Err(e) => {
                diags.push(Diagnostic::error(span, format!("{}: not a valid PEM certificate file: {}", show(path), pem_error(&e)))
                    .with_help("the file must hold -----BEGIN CERTIFICATE----- blocks, server certificate first"));
                return None;
            }
        }
    }
    if out.is_empty() {
        if x509_parser::parse_x509_certificate(bytes).is_ok() {
            return Some(vec![CertificateDer::from(bytes.to_vec())]);
        }
        diags.push(
            Diagnostic::error(
                span,
                format!("{}: no certificate found in the file", show(path)),
            )
            .with_help(
                "expected a PEM file with -----BEGIN CERTIFICATE-----; is this the key file?",
            ),
        );
        return None;
    }
    Some(out)
}

type Parsed<'a> = Result<
    x509_parser::certificate::X509Certificate<'a>,
    x509_parser::nom::Err<x509_parser::error::X509Error>,
>;

/// Each certificate must be issued by the next one: server certificate first. False if not.
fn check_chain_order(
    spec: &CertSpec,
    parsed: &[Parsed<'_>],
    show: &dyn Fn(&Path) -> String,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let certs: Vec<_> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
    if certs.len() != parsed.len() {
        diags.push(
            Diagnostic::error(
                spec.span,
                format!(
                    "{}: a certificate in the chain cannot be parsed",
                    show(&spec.cert_file)
                ),
            )
            .with_help("regenerate the chain file; one of its blocks is damaged"),
        );
        return false;
    }
    for (i, pair) in certs.windows(2).enumerate() {
        if pair[0].issuer().as_raw() != pair[1].subject().as_raw() {
            let first_is_ca = certs[0].is_ca() && certs.iter().any(|c| !c.is_ca());
            let what = if first_is_ca {
                "the server certificate must come first".to_string()
            } else {
                format!(
                    "certificate {} ({}) is not issued by certificate {} ({})",
                    i + 1,
                    pair[0].subject(),
                    i + 2,
                    pair[1].subject()
                )
            };
            diags.push(Diagnostic::error(spec.span, format!("{}: bad chain order: {what}", show(&spec.cert_file)))
                .with_help("put the server certificate first, then each intermediate in order, each followed by its issuer"));
            return false;
        }
    }
    true
}

fn names_of(cert: &x509_parser::certificate::X509Certificate<'_>) -> (Vec<String>, Vec<String>) {
    use x509_parser::extensions::GeneralName;
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => dns.push(d.to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => ips.push(
                        std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).unwrap_or_default())
                            .to_string(),
                    ),
                    16 => ips.push(
                        std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())
                            .to_string(),
                    ),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    (dns, ips)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn show_time(t: &x509_parser::time::ASN1Time) -> String {
    let d = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        d.year(),
        d.month() as u8,
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

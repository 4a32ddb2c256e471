//! Takes a loaded certificate's facts (its chain as served) and gives what the insight tools
//! show beyond them: validity start, key type, SHA-256 fingerprint, and whether the chain as
//! sent leads a client to a root of the system's trust store.

use crate::plan::cert_facts::CertFacts;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What `-S -j` and the reports add to a certificate's facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_before: String,
    /// `ECDSA P-256`, `RSA 2048`, `Ed25519`, ...
    pub key_type: String,
    /// Of the leaf's DER, as `AB:CD:...` (what `openssl x509 -fingerprint -sha256` prints).
    pub sha256: String,
    /// Certificates sent, leaf first.
    pub chain_len: usize,
    /// The issuer of the last certificate sent.
    pub last_issuer: String,
    /// A client with the system's roots can build a path from what is sent (name aside).
    pub complete: bool,
}

/// The system's trust anchors (for the "complete" check), read once per report.
pub struct Roots {
    ders: Vec<CertificateDer<'static>>,
}

impl Roots {
    pub fn system() -> Roots {
        Roots {
            ders: rustls_native_certs::load_native_certs().certs,
        }
    }

    /// No roots at all: every chain is incomplete (tests, or a machine without a store).
    pub fn none() -> Roots {
        Roots { ders: Vec::new() }
    }

    /// These roots and the certificates of a PEM file (an internal CA, `-E --ca`).
    pub fn with_pem_file(mut self, path: &std::path::Path) -> Result<Roots, String> {
        use rustls_pki_types::pem::PemObject;
        let certs =
            CertificateDer::pem_file_iter(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for c in certs {
            self.ders
                .push(c.map_err(|e| format!("{}: {e}", path.display()))?);
        }
        Ok(self)
    }

    fn anchors(&self) -> Vec<TrustAnchor<'_>> {
        self.ders
            .iter()
            .filter_map(|d| webpki::anchor_from_trusted_cert(d).ok())
            .collect()
    }
}

/// Every certificate's info, lined up with `facts`.
pub fn infos(facts: &[Option<CertFacts>], roots: &Roots, now: SystemTime) -> Vec<Option<CertInfo>> {
    let anchors = roots.anchors();
    facts
        .iter()
        .map(|f| f.as_ref().and_then(|f| judged(f, &anchors, now)))
        .collect()
}

/// One certificate's info.
pub fn info(f: &CertFacts, roots: &Roots, now: SystemTime) -> Option<CertInfo> {
    judged(f, &roots.anchors(), now)
}

fn judged(f: &CertFacts, anchors: &[TrustAnchor<'_>], now: SystemTime) -> Option<CertInfo> {
    let chain = &f.certified.cert;
    let (_, leaf) = x509_parser::parse_x509_certificate(f.leaf().as_ref()).ok()?;
    let last_issuer = chain
        .last()
        .and_then(|c| x509_parser::parse_x509_certificate(c.as_ref()).ok())
        .map(|(_, c)| c.issuer().to_string())
        .unwrap_or_default();
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let complete = webpki::EndEntityCert::try_from(f.leaf()).is_ok_and(|ee| {
        let time =
            UnixTime::since_unix_epoch(now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO));
        ee.verify_for_usage(
            provider.signature_verification_algorithms.all,
            anchors,
            &chain[1..],
            time,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .is_ok()
    });
    Some(CertInfo {
        not_before: crate::prepare::certs::show_time(&leaf.validity().not_before),
        key_type: key_type(&leaf),
        sha256: fingerprint(f.leaf().as_ref()),
        chain_len: chain.len(),
        last_issuer,
        complete,
    })
}

fn key_type(cert: &x509_parser::certificate::X509Certificate<'_>) -> String {
    use x509_parser::public_key::PublicKey;
    const ED25519: &str = "1.3.101.112";
    let spki = cert.public_key();
    if spki.algorithm.algorithm.to_id_string() == ED25519 {
        return "Ed25519".to_string();
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(r)) => format!("RSA {}", r.key_size()),
        Ok(PublicKey::EC(p)) => match p.key_size() {
            256 => "ECDSA P-256".to_string(),
            384 => "ECDSA P-384".to_string(),
            n @ 521..=528 => format!("ECDSA P-521 ({n} bits)"),
            n => format!("ECDSA ({n} bits)"),
        },
        _ => spki.algorithm.algorithm.to_id_string(),
    }
}

/// SHA-256 of `der` through the TLS provider's own hash (the one its SHA-256 suites use).
pub fn fingerprint(der: &[u8]) -> String {
    let suite = rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let Some(s) = suite.tls13() else {
        return String::new();
    };
    let digest = s.common.hash_provider.hash(der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

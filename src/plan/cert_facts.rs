//! What one certificate says about itself (subject, names, validity) with its prepared rustls
//! key pair: a value the plan's dump and coverage read, made by `prepare::certs`.

use rustls::sign::CertifiedKey;
use rustls_pki_types::CertificateDer;
use std::sync::Arc;

/// What a certificate says about itself, and the prepared key pair.
#[derive(Clone, Debug)]
pub struct CertFacts {
    /// Subject DN, as `CN=..., O=...`.
    pub subject: String,
    pub dns_names: Vec<String>,
    pub ip_names: Vec<String>,
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_after: String,
    pub not_after_unix: i64,
    pub not_before_unix: i64,
    pub certified: Arc<CertifiedKey>,
    /// Served in place of a managed domain's certificate not obtained yet (mod_md's
    /// self-signed fallback, or a member vhost's own SSLCertificateFile).
    pub fallback: bool,
}

impl CertFacts {
    /// Certificates in the chain sent to clients (leaf first).
    pub fn chain_len(&self) -> usize {
        self.certified.cert.len()
    }
    pub fn leaf(&self) -> &CertificateDer<'static> {
        &self.certified.cert[0]
    }
    /// mod_md's self-signed stand-in (not a member vhost's own certificate).
    pub fn is_self_signed_fallback(&self) -> bool {
        self.fallback && self.subject.ends_with(crate::md::keys::FALLBACK_SUBJECT)
    }
    /// The names clients check: SAN DNS names, else (no SAN at all) the subject CN.
    pub fn names(&self) -> Vec<String> {
        let mut all = self.dns_names.clone();
        all.extend(self.ip_names.iter().cloned());
        all
    }
}

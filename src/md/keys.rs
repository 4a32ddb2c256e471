//! Takes a managed domain's names and key type and gives the keys and certificates mod_md
//! makes itself: a new private key, the CSR for the CA, the self-signed fallback served until
//! a first certificate exists, and the tls-alpn-01 challenge certificate (RFC 8737).

use crate::config::md::KeySpec;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SerialNumber};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The subject of the fallback certificate (mod_md's says "Apache Managed Domain Fallback").
pub const FALLBACK_SUBJECT: &str = "Managed Domain Fallback";

/// A new private key of the configured type.
pub fn new_key(spec: KeySpec) -> Result<KeyPair, String> {
    let r = match spec {
        KeySpec::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeySpec::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeySpec::Rsa(bits) => {
            let size = match bits {
                3072 => rcgen::RsaKeySize::_3072,
                4096 => rcgen::RsaKeySize::_4096,
                _ => rcgen::RsaKeySize::_2048,
            };
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size)
        }
    };
    r.map_err(|e| format!("cannot make a {} key: {e}", spec.show()))
}

/// The certificate signing request for every name of the domain (DER).
pub fn csr(names: &[String], key: &KeyPair) -> Result<Vec<u8>, String> {
    let mut params = CertificateParams::new(names.to_vec()).map_err(|e| e.to_string())?;
    params.distinguished_name = DistinguishedName::new();
    params
        .serialize_request(key)
        .map(|c| c.der().to_vec())
        .map_err(|e| format!("cannot make the CSR: {e}"))
}

fn at(t: SystemTime) -> time::OffsetDateTime {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn self_signed(
    names: &[String],
    subject: &str,
    (now, valid): (SystemTime, Duration),
    key: &KeyPair,
    extra: Option<rcgen::CustomExtension>,
) -> Result<rcgen::Certificate, String> {
    let mut params = CertificateParams::new(names.to_vec()).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, subject);
    params.distinguished_name = dn;
    params.not_before = at(now);
    params.not_after = at(now + valid);
    let serial: [u8; 16] = rand_bytes();
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.custom_extensions.extend(extra);
    params
        .self_signed(key)
        .map_err(|e| format!("cannot make a certificate: {e}"))
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // aws-lc's generator; a failure leaves a fixed serial, which is harmless for these.
    let _ = rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut out);
    out[0] &= 0x7f;
    out
}

/// Certificate and key as PEM.
pub struct Pems {
    pub cert: String,
    pub key: String,
}

/// mod_md's fallback: self-signed for every name of the domain, 14 days, served (with 503
/// answers) until the CA has issued a certificate.
pub fn fallback(names: &[String], spec: KeySpec, now: SystemTime) -> Result<Pems, String> {
    let key = new_key(spec)?;
    let cert = self_signed(
        names,
        FALLBACK_SUBJECT,
        (now, Duration::from_secs(14 * 86400)),
        &key,
        None,
    )?;
    Ok(Pems {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// The tls-alpn-01 answer for one name: a self-signed certificate for it alone with the
/// critical acmeIdentifier extension holding SHA-256 of the key authorization.
pub fn alpn_challenge(domain: &str, digest: &[u8]) -> Result<Arc<CertifiedKey>, String> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let ext = rcgen::CustomExtension::new_acme_identifier(digest);
    let cert = self_signed(
        &[domain.to_string()],
        "tls-alpn-01-challenge",
        (SystemTime::now(), Duration::from_secs(7 * 86400)),
        &key,
        Some(ext),
    )?;
    // Not `from_der`: its consistency check parses the certificate with webpki, which
    // refuses the critical acmeIdentifier extension it does not know.
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signer = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(key.serialize_der().into()))
        .map_err(|e| format!("unusable challenge key: {e}"))?;
    Ok(Arc::new(CertifiedKey::new(
        vec![cert.der().clone()],
        signer,
    )))
}

/// A rustls key pair from DER.
pub fn certified(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<CertifiedKey>, String> {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    CertifiedKey::from_der(chain, key, &provider)
        .map(Arc::new)
        .map_err(|e| format!("unusable certificate and key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_certificate_carries_the_critical_acme_identifier() {
        let digest = [7u8; 32];
        let c = alpn_challenge("a.test", &digest).expect("cert");
        let (_, x) = x509_parser::parse_x509_certificate(c.cert[0].as_ref()).expect("x509");
        let ext = x
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
            .expect("acmeIdentifier");
        assert!(ext.critical);
        assert_eq!(ext.value, [&[0x04, 0x20][..], &digest[..]].concat());
        let san = x.subject_alternative_name().expect("san").expect("san");
        assert_eq!(san.value.general_names.len(), 1);
    }

    #[test]
    fn the_fallback_is_self_signed_for_every_name_for_fourteen_days() {
        let names = vec!["a.test".to_string(), "www.a.test".to_string()];
        let now = UNIX_EPOCH + Duration::from_secs(1_780_272_000);
        let p = fallback(&names, KeySpec::Rsa(2048), now).expect("fallback");
        let f = crate::prepare::certs::facts_of_pem(p.cert.as_bytes(), p.key.as_bytes())
            .expect("facts");
        assert_eq!(f.subject, format!("CN={FALLBACK_SUBJECT}"));
        assert_eq!(f.dns_names, names);
        assert_eq!(f.not_after_unix - f.not_before_unix, 14 * 86400);
        let csr = csr(&names, &new_key(KeySpec::P256).expect("key")).expect("csr");
        assert!(!csr.is_empty());
    }
}

//! Takes a managed domain and the store and gives a newly issued certificate chain and key
//! (PEM) from its ACME CA (RFC 8555, through instant-acme): the account (created once, kept
//! in the store), an order for every name, each authorization answered by http-01 or
//! tls-alpn-01 as the domain allows, then a CSR and the download. Runs in the background.

use super::{keys, live, store};
use crate::plan::managed::{Managed, MdPlan};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use std::sync::Arc;
use std::time::Duration;

/// A newly issued pair.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Why an attempt failed, said so an admin can act on it.
pub type Failure = String;

async fn account(md: &MdPlan, m: &Managed) -> Result<Account, Failure> {
    let builder = || {
        match &md.ca_file {
        Some(p) => Account::builder_with_root(p).map_err(|e| {
            format!("MDCACertificateFile {}: {e} (it must hold the PEM certificate of the CA's TLS root)", p.display())
        }),
        None => Account::builder().map_err(|e| format!("cannot set up the HTTPS client: {e}")),
    }
    };
    let path = store::account_file(&md.store, &m.ca);
    let read = blocking({
        let path = path.clone();
        move || Ok(std::fs::read(path).ok())
    })
    .await?;
    if let Some(bytes) = read
        && let Ok(creds) = serde_json::from_slice::<AccountCredentials>(&bytes)
    {
        return builder()?.from_credentials(creds).await.map_err(|e| {
            format!("reaching {}: {e} (check MDCertificateAuthority, and that this machine reaches the CA)", m.ca)
        });
    }
    if !m.agreement {
        return Err(format!(
            "the CA {} requires accepting its terms of service: write MDCertificateAgreement accepted",
            m.ca
        ));
    }
    let contacts: Vec<&str> = m.contacts.iter().map(String::as_str).collect();
    let (account, creds) = builder()?
        .create(
            &NewAccount {
                contact: &contacts,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            m.ca.clone(),
            None,
        )
        .await
        .map_err(|e| {
            format!("registering an account with {}: {e} (check MDCertificateAuthority, and that this machine reaches the CA: DNS, firewall, MDCACertificateFile for a private CA)", m.ca)
        })?;
    let json = serde_json::to_vec(&creds).map_err(|e| e.to_string())?;
    blocking(move || {
        store::write_account(&path, &json)
            .map_err(|e| format!("storing the ACME account in {}: {e}", path.display()))
    })
    .await?;
    Ok(account)
}

/// File IO and key generation off the serving threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("background task failed: {e}"))?
}

/// Clears the pending answers when the attempt ends, however it ends.
struct Answers(Vec<String>);

impl Drop for Answers {
    fn drop(&mut self) {
        live::clear(&self.0);
    }
}

/// The TLS configuration answering a tls-alpn-01 validation (RFC 8737).
fn alpn_config(domain: &str, digest: &[u8]) -> Result<Arc<rustls::ServerConfig>, Failure> {
    let cert = keys::alpn_challenge(domain, digest)?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let mut c = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(crate::prepare::tls::Chosen::Fixed(cert)));
    c.alpn_protocols = vec![ACME_TLS.to_vec()];
    Ok(Arc::new(c))
}

/// The ALPN protocol of tls-alpn-01.
pub const ACME_TLS: &[u8] = b"acme-tls/1";

/// One attempt: account, order, challenges, CSR, certificate.
pub async fn obtain(
    md: &MdPlan,
    m: &Managed,
    log: &(dyn Fn(&str) + Sync),
) -> Result<Issued, Failure> {
    let account = account(md, m).await?;
    let ids: Vec<Identifier> = m
        .domains
        .iter()
        .map(|d| Identifier::Dns(d.clone()))
        .collect();
    let mut order = match account.new_order(&NewOrder::new(&ids)).await {
        Ok(o) => o,
        Err(e) if e.to_string().contains("accountDoesNotExist") => {
            // The CA forgot the account (a test CA restarted, or it was deactivated).
            let stale = store::account_file(&md.store, &m.ca);
            let _ = blocking(move || Ok(std::fs::remove_file(stale))).await;
            return Err(format!(
                "{} does not know the stored ACME account; a new one is registered on the next attempt",
                m.ca
            ));
        }
        Err(e) => return Err(format!("new order at {}: {e}", m.ca)),
    };
    let _answers = Answers(m.domains.clone());
    let mut authorizations = order.authorizations();
    while let Some(next) = authorizations.next().await {
        let mut authz = next.map_err(|e| format!("reading an authorization: {e}"))?;
        match authz.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => {
                return Err(format!(
                    "authorization for {} is {other:?}",
                    authz.identifier()
                ));
            }
        }
        let domain = authz.identifier().to_string();
        let offered: Vec<ChallengeType> =
            authz.challenges.iter().map(|c| c.r#type.clone()).collect();
        let pick = m.challenges.iter().find_map(|c| {
            let t = match c.as_str() {
                "http-01" => ChallengeType::Http01,
                _ => ChallengeType::TlsAlpn01,
            };
            offered.contains(&t).then_some(t)
        });
        let Some(kind) = pick else {
            return Err(format!(
                "the CA offers none of the challenge types this configuration can answer for {domain} ({}); it offers {offered:?}",
                m.challenges.join(", ")
            ));
        };
        let mut challenge = authz
            .challenge(kind.clone())
            .ok_or_else(|| format!("challenge {kind:?} vanished for {domain}"))?;
        let key_auth = challenge.key_authorization();
        match kind {
            ChallengeType::Http01 => live::set_http(&domain, key_auth.as_str().to_string()),
            _ => live::set_alpn(&domain, alpn_config(&domain, key_auth.digest().as_ref())?),
        }
        let name = if kind == ChallengeType::Http01 {
            "http-01"
        } else {
            "tls-alpn-01"
        };
        log(&format!("answering {name} for {domain}"));
        challenge.set_ready().await.map_err(|e| {
            format!("telling the CA the {kind:?} answer for {domain} is ready: {e}")
        })?;
    }
    let retry = RetryPolicy::new()
        .initial_delay(Duration::from_millis(250))
        .backoff(1.5)
        .timeout(Duration::from_secs(90));
    let status = order.poll_ready(&retry).await.map_err(|e| {
        format!("the CA did not validate the names: {e}. Check that every name of the MDomain resolves to this server and that ports 80 (http-01) or 443 (tls-alpn-01) reach it")
    })?;
    if status != OrderStatus::Ready {
        let mut why = Vec::new();
        let mut again = order.authorizations();
        while let Some(Ok(a)) = again.next().await {
            for c in a.challenges.iter().filter_map(|c| c.error.as_ref()) {
                why.push(format!("{}: {c}", a.identifier()));
            }
        }
        return Err(format!(
            "the CA refused the order ({status:?}): {}. Check that every name resolves to this server and the challenge ports reach it",
            why.join("; ")
        ));
    }
    let (spec, names) = (m.key, m.domains.clone());
    let (key, csr) = blocking(move || {
        let key = keys::new_key(spec)?;
        let csr = keys::csr(&names, &key)?;
        Ok((key, csr))
    })
    .await?;
    order
        .finalize_csr(&csr)
        .await
        .map_err(|e| format!("finalizing the order: {e}"))?;
    let cert_pem = order
        .poll_certificate(&retry)
        .await
        .map_err(|e| format!("downloading the certificate: {e}"))?;
    Ok(Issued {
        cert_pem,
        key_pem: key.serialize_pem(),
    })
}

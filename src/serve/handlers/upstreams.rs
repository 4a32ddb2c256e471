//! The upstream side of the proxy: one pooled hyper-util client per TLS profile (CA file,
//! SNI override, connect timeout, TCP keep-alive), built with hyper-rustls; the `retry=` error
//! state and the `max=` admission per upstream. Shared by every generation, so pools survive
//! reloads.

use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request body sent upstream.
pub type UpBody =
    http_body_util::combinators::UnsyncBoxBody<bytes::Bytes, crate::serve::body::BoxError>;

pub type UpClient = Client<HttpsConnector<HttpConnector>, UpBody>;

/// The pooled clients, shared by every generation so pools survive reloads.
#[derive(Default)]
pub struct Upstreams {
    clients: Mutex<HashMap<ClientKey, UpClient>>,
    /// Upstreams in error state (refused connections) until the instant, per `retry=`.
    down: Mutex<HashMap<String, Instant>>,
    /// `max=`: how many requests may use an upstream at once.
    limits: Mutex<HashMap<(String, u32), Arc<tokio::sync::Semaphore>>>,
}

/// One pool per TLS profile and connect timeout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey {
    pub ca_file: Option<PathBuf>,
    pub sni: Option<String>,
    pub connect_timeout: Option<Duration>,
    /// `keepalive=On`: TCP keep-alive probes on upstream connections.
    pub tcp_keepalive: bool,
}

impl Upstreams {
    pub fn client(&self, key: &ClientKey) -> Result<UpClient, String> {
        let mut map = self
            .clients
            .lock()
            .map_err(|_| "proxy client table poisoned".to_string())?;
        if let Some(c) = map.get(key) {
            return Ok(c.clone());
        }
        let c = build_client(key)?;
        map.insert(key.clone(), c.clone());
        Ok(c)
    }

    /// A place among an upstream's `max` concurrent requests, waiting at most `wait`.
    pub async fn admit(
        &self,
        upstream: &str,
        max: u32,
        wait: Duration,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let sem = {
            let mut limits = self.limits.lock().ok()?;
            limits
                .entry((upstream.to_string(), max))
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(max as usize)))
                .clone()
        };
        tokio::time::timeout(wait, sem.acquire_owned())
            .await
            .ok()?
            .ok()
    }

    pub fn is_down(&self, upstream: &str) -> bool {
        let Ok(mut down) = self.down.lock() else {
            return false;
        };
        match down.get(upstream) {
            Some(until) if Instant::now() < *until => true,
            Some(_) => {
                down.remove(upstream);
                false
            }
            None => false,
        }
    }

    pub fn mark_down(&self, upstream: &str, retry: Duration) {
        if retry.is_zero() {
            return;
        }
        if let Ok(mut down) = self.down.lock() {
            down.insert(upstream.to_string(), Instant::now() + retry);
        }
    }
}

fn build_client(key: &ClientKey) -> Result<UpClient, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    match &key.ca_file {
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("SSLProxyCACertificateFile {}: {e}", path.display()))?;
            for c in certs.flatten() {
                let _ = roots.add(c);
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(key.connect_timeout);
    if key.tcp_keepalive {
        http.set_keepalive(Some(Duration::from_secs(60)));
    }
    let builder = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    let connector = match &key.sni {
        Some(name) => {
            let name = rustls_pki_types::ServerName::try_from(name.clone())
                .map_err(|e| format!("SNI {name}: {e}"))?;
            builder
                .with_server_name_resolver(FixedServerNameResolver::new(name))
                .enable_http1()
                .wrap_connector(http)
        }
        None => builder.enable_http1().wrap_connector(http),
    };
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .build(connector))
}

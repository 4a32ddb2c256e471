//! The process-wide state the background work shares with the handshake and request paths:
//! per managed domain the certificate served now (swapped in place when a new one is issued,
//! so the next handshake gets it without a reload) and its status, and the challenge answers
//! pending for the CA (http-01 key authorizations, tls-alpn-01 configurations).

use crate::plan::cert_facts::CertFacts;
use arc_swap::ArcSwap;
use rustls::ServerConfig;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// What a managed domain serves now.
pub struct Slot {
    pub facts: ArcSwap<CertFacts>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({})", self.facts.load().subject)
    }
}

impl Slot {
    /// Serves `facts` from the next handshake on.
    pub fn install(&self, facts: CertFacts) {
        self.facts.store(Arc::new(facts));
    }
}

fn slots() -> &'static Mutex<HashMap<PathBuf, Arc<Slot>>> {
    static SLOTS: OnceLock<Mutex<HashMap<PathBuf, Arc<Slot>>>> = OnceLock::new();
    SLOTS.get_or_init(Default::default)
}

/// The slot of the managed certificate stored at `cert_file`, created with `loaded` or kept
/// (a generation prepared from the store never replaces a newer certificate the background
/// work installed meanwhile, nor a real one with a fallback).
pub fn slot(cert_file: &Path, loaded: &CertFacts) -> Arc<Slot> {
    let mut all = slots().lock().unwrap_or_else(|p| p.into_inner());
    let s = all
        .entry(cert_file.to_path_buf())
        .or_insert_with(|| {
            Arc::new(Slot {
                facts: ArcSwap::from_pointee(loaded.clone()),
            })
        })
        .clone();
    // Compare-and-swap, so a certificate the background work installs meanwhile is never
    // replaced by this older view of the store.
    s.facts.rcu(|now| {
        let newer = if now.fallback != loaded.fallback {
            now.fallback
        } else {
            loaded.not_after_unix > now.not_after_unix
        };
        if newer {
            Arc::new(loaded.clone())
        } else {
            now.clone()
        }
    });
    s
}

/// The slot of a managed certificate, if a generation has made it.
pub fn find_slot(cert_file: &Path) -> Option<Arc<Slot>> {
    let all = slots().lock().unwrap_or_else(|p| p.into_inner());
    all.get(cert_file).cloned()
}

#[derive(Default)]
struct Pending {
    /// Host name: key authorization.
    http: HashMap<String, String>,
    /// Host name: the handshake answering the CA.
    alpn: HashMap<String, Arc<ServerConfig>>,
}

fn pending() -> &'static RwLock<Pending> {
    static PENDING: OnceLock<RwLock<Pending>> = OnceLock::new();
    PENDING.get_or_init(Default::default)
}

/// The http-01 answer for a request to `/.well-known/acme-challenge/<token>` on `host`.
/// Like mod_md, the token is not compared: one challenge per name is pending at a time.
pub fn http_answer(host: &str) -> Option<String> {
    let p = pending().read().unwrap_or_else(|p| p.into_inner());
    if p.http.is_empty() {
        return None;
    }
    p.http.get(&host.to_ascii_lowercase()).cloned()
}

/// The TLS configuration answering a tls-alpn-01 validation of `sni`.
pub fn alpn_answer(sni: &str) -> Option<Arc<ServerConfig>> {
    let p = pending().read().unwrap_or_else(|p| p.into_inner());
    p.alpn.get(&sni.to_ascii_lowercase()).cloned()
}

pub fn set_http(host: &str, key_auth: String) {
    let mut p = pending().write().unwrap_or_else(|p| p.into_inner());
    p.http.insert(host.to_ascii_lowercase(), key_auth);
}

pub fn set_alpn(host: &str, config: Arc<ServerConfig>) {
    let mut p = pending().write().unwrap_or_else(|p| p.into_inner());
    p.alpn.insert(host.to_ascii_lowercase(), config);
}

/// Forgets every answer for these names (the order is over, whatever its outcome).
pub fn clear(hosts: &[String]) {
    let mut p = pending().write().unwrap_or_else(|p| p.into_inner());
    for h in hosts {
        p.http.remove(h);
        p.alpn.remove(h);
    }
}

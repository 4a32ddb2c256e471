//! Takes the plan and its loaded certificates and gives the rustls server configurations, one
//! per distinct TLS setup (certificate and key, protocols) of each chain, prepared once per plan
//! and sharing one session cache across reloads;
//! and reads the raw SNI name from a ClientHello (rustls drops a trailing dot; httpd does not
//! match such a name, so we look at the bytes ourselves).

use crate::config::model::Protocols;
use crate::plan::cert_facts::CertFacts;
use crate::plan::{Plan, TlsKey};
use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::sync::Arc;

/// Always presents one certificate: the choice was made before the handshake, from the SNI
/// (see `router::handshake_member`), so the resolver only hands it to rustls. A managed
/// domain's is read from its slot at each handshake, so a renewal is served at once.
pub enum Chosen {
    Fixed(Arc<CertifiedKey>),
    Live(Arc<crate::md::live::Slot>),
}

impl std::fmt::Debug for Chosen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Chosen::Fixed(_) => "Chosen::Fixed",
            Chosen::Live(_) => "Chosen::Live",
        })
    }
}

impl ResolvesServerCert for Chosen {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(match self {
            Chosen::Fixed(c) => c.clone(),
            Chosen::Live(slot) => slot.facts.load().certified.clone(),
        })
    }
}

/// The prepared TLS configurations of a generation.
#[derive(Default)]
pub struct TlsConfigs {
    /// Per chain (same index as `plan.chains`): one config per TLS setup of its members.
    pub chains: Vec<HashMap<TlsKey, Arc<ServerConfig>>>,
    /// The main server's, when it speaks TLS.
    pub main: Option<Arc<ServerConfig>>,
}

/// Builds every configuration; a certificate that did not load leaves its setups out (the
/// check has already reported it, and a plan with errors is never served).
pub fn prepare(plan: &Plan, certs: &[Option<CertFacts>]) -> Result<TlsConfigs, String> {
    let mut built: HashMap<TlsKey, Arc<ServerConfig>> = HashMap::new();
    let mut config_for = |key: TlsKey| -> Result<Option<Arc<ServerConfig>>, String> {
        if let Some(c) = built.get(&key) {
            return Ok(Some(c.clone()));
        }
        let Some(Some(facts)) = certs.get(key.cert) else {
            return Ok(None);
        };
        let chosen = match plan.certs.get(key.cert) {
            Some(spec) if spec.managed.is_some() => {
                Chosen::Live(crate::md::live::slot(&spec.cert_file, facts))
            }
            _ => Chosen::Fixed(facts.certified.clone()),
        };
        let c = Arc::new(server_config(chosen, &key)?);
        built.insert(key, c.clone());
        Ok(Some(c))
    };
    let mut chains = Vec::with_capacity(plan.chains.len());
    for chain in &plan.chains {
        let mut map = HashMap::new();
        for key in chain.members.iter().filter_map(|m| m.tls) {
            if let Some(c) = config_for(key)? {
                map.insert(key, c);
            }
        }
        chains.push(map);
    }
    let main = match plan.main.tls.as_ref().and_then(|t| {
        t.cert.map(|cert| TlsKey {
            cert,
            protocols: t.protocols,
            handshake: t.handshake,
        })
    }) {
        Some(key) => config_for(key)?,
        None => None,
    };
    Ok(TlsConfigs { chains, main })
}

fn server_config(cert: Chosen, key: &TlsKey) -> Result<ServerConfig, String> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    let hs = &key.handshake;
    let (tls12, tls13) = (hs.tls12_suites(), hs.tls13_suites());
    if tls12.is_some() || tls13.is_some() {
        let all = std::mem::take(&mut provider.cipher_suites);
        let name = |s: &rustls::SupportedCipherSuite| format!("{:?}", s.suite());
        let pick = |wanted: Option<Vec<&str>>, v13: bool| -> Vec<rustls::SupportedCipherSuite> {
            let of_version: Vec<_> = all
                .iter()
                .filter(|s| matches!(s, rustls::SupportedCipherSuite::Tls13(_)) == v13)
                .cloned()
                .collect();
            match wanted {
                None => of_version,
                Some(w) => w
                    .iter()
                    .filter_map(|n| of_version.iter().find(|s| name(s) == *n).cloned())
                    .collect(),
            }
        };
        provider.cipher_suites = pick(tls13, true);
        provider.cipher_suites.extend(pick(tls12, false));
    }
    let has = |v13: bool| {
        provider
            .cipher_suites
            .iter()
            .any(|s| matches!(s, rustls::SupportedCipherSuite::Tls13(_)) == v13)
    };
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    if key.protocols.has(Protocols::TLSV1_3) && has(true) {
        versions.push(&rustls::version::TLS13);
    }
    if key.protocols.has(Protocols::TLSV1_2) && has(false) {
        versions.push(&rustls::version::TLS12);
    }
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&versions)
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(cert));
    config.alpn_protocols = hs.alpn();
    config.ignore_client_order = hs.honor_order;
    config.session_storage = sessions();
    if hs.no_tickets {
        config.send_tls13_tickets = 0;
    }
    Ok(config)
}

/// The TLS sessions every configuration of every generation keeps, so a reload does not make
/// every client do a full handshake again. Sharing is safe: rustls resumes a session only for
/// the same SNI name and cipher suite, and one name has one TLS setup within a generation.
fn sessions() -> Arc<dyn rustls::server::StoresServerSessions> {
    static SESSIONS: std::sync::OnceLock<Arc<rustls::server::ServerSessionMemoryCache>> =
        std::sync::OnceLock::new();
    SESSIONS
        .get_or_init(|| rustls::server::ServerSessionMemoryCache::new(16 * 1024))
        .clone()
}

/// What the first bytes of a connection say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hello {
    /// A complete ClientHello; the server name exactly as sent, if any.
    Sni(Option<String>),
    /// Not enough bytes yet.
    NeedMore,
    /// Not a TLS handshake (plain HTTP on a TLS port, say).
    NotTls,
    /// A handshake we cannot read in one record; rustls will judge it.
    Unknown,
}

/// Parses the SNI extension out of the first TLS record, without consuming anything.
pub fn read_hello(buf: &[u8]) -> Hello {
    let Some(&first) = buf.first() else {
        return Hello::NeedMore;
    };
    if first != 0x16 {
        return Hello::NotTls;
    }
    if buf.len() < 5 {
        return Hello::NeedMore;
    }
    let record_len = usize::from(u16::from_be_bytes([buf[3], buf[4]]));
    if buf.len() < 5 + record_len {
        return Hello::NeedMore;
    }
    parse_client_hello(&buf[5..5 + record_len]).unwrap_or(Hello::Unknown)
}

fn parse_client_hello(rec: &[u8]) -> Option<Hello> {
    let mut r = Reader(rec);
    if r.u8()? != 1 {
        return None;
    }
    let len = r.u24()?;
    let mut body = Reader(r.take(len)?);
    body.take(2 + 32)?;
    let sid = usize::from(body.u8()?);
    body.take(sid)?;
    let suites = usize::from(body.u16()?);
    body.take(suites)?;
    let comp = usize::from(body.u8()?);
    body.take(comp)?;
    if body.0.is_empty() {
        return Some(Hello::Sni(None));
    }
    let ext_len = usize::from(body.u16()?);
    let mut exts = Reader(body.take(ext_len)?);
    while !exts.0.is_empty() {
        let kind = exts.u16()?;
        let len = usize::from(exts.u16()?);
        let data = exts.take(len)?;
        if kind == 0 {
            let mut d = Reader(data);
            let list = usize::from(d.u16()?);
            let mut l = Reader(d.take(list)?);
            while !l.0.is_empty() {
                let name_type = l.u8()?;
                let n = usize::from(l.u16()?);
                let name = l.take(n)?;
                if name_type == 0 {
                    return Some(Hello::Sni(Some(String::from_utf8_lossy(name).into_owned())));
                }
            }
        }
    }
    Some(Hello::Sni(None))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello as rustls' client writes it, captured through an in-memory connection.
    fn hello(sni: &str) -> Vec<u8> {
        let roots = rustls::RootCertStore::empty();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls_pki_types::ServerName::try_from(sni.to_string()).unwrap();
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let mut out = Vec::new();
        conn.write_tls(&mut out).unwrap();
        out
    }

    /// A rustls config for one vhost's TLS settings, as `prepare` builds it.
    fn config_for(conf: &str) -> ServerConfig {
        let text = format!("Listen 8443 https\n{conf}\n");
        let loaded = crate::config::loader::load_text(
            std::path::Path::new("t.conf"),
            &text,
            &crate::config::loader::LoadOptions::new("/".into()),
        );
        let (model, diags) =
            crate::config::build::build(&loaded, std::path::Path::new("/"), &Default::default());
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let certified = CertifiedKey::from_der(
            vec![cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            &provider,
        )
        .unwrap();
        let tls = TlsKey {
            cert: 0,
            protocols: model
                .main
                .tls
                .protocols
                .as_ref()
                .map(|p| p.value)
                .unwrap_or_default(),
            handshake: crate::plan::Handshake::of(&model.main),
        };
        server_config(Chosen::Fixed(Arc::new(certified)), &tls).unwrap()
    }

    fn suites(c: &ServerConfig) -> Vec<String> {
        c.crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect()
    }

    #[test]
    fn vhost_tls_options_shape_the_rustls_config() {
        let c = config_for("");
        assert_eq!(c.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(!c.ignore_client_order && c.send_tls13_tickets > 0);
        assert_eq!(suites(&c).len(), 9);
        let c = config_for(
            "SSLCipherSuite ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256\n\
             SSLCipherSuite TLSv1.3 TLS_CHACHA20_POLY1305_SHA256\n\
             SSLHonorCipherOrder on\nSSLSessionTickets off\nProtocols http/1.1 h2",
        );
        assert_eq!(
            suites(&c),
            [
                "TLS13_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
            ]
        );
        assert_eq!(c.alpn_protocols, [b"http/1.1".to_vec(), b"h2".to_vec()]);
        assert!(c.ignore_client_order && c.send_tls13_tickets == 0);
        let c =
            config_for("SSLProtocol -all +TLSv1.2\nSSLCipherSuite ECDHE-ECDSA-AES256-GCM-SHA384");
        let tls12: Vec<String> = suites(&c)
            .into_iter()
            .filter(|s| !s.starts_with("TLS13"))
            .collect();
        assert_eq!(tls12, ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]);
    }

    #[test]
    fn reads_the_sni_from_a_real_client_hello() {
        let bytes = hello("Shop.Example.test");
        assert_eq!(
            read_hello(&bytes),
            Hello::Sni(Some("Shop.Example.test".into()))
        );
        assert_eq!(read_hello(&bytes[..3]), Hello::NeedMore);
        assert_eq!(read_hello(&bytes[..bytes.len() - 1]), Hello::NeedMore);
        assert_eq!(read_hello(b"GET / HTTP/1.1\r\n"), Hello::NotTls);
        assert_eq!(read_hello(&[0x16, 3, 1, 0, 4, 1, 0, 0, 9]), Hello::Unknown);
    }
}

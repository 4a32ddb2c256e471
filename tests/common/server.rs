//! Test servers and clients: a config template with `{P0}`, `{P1}`... filled with ports bound
//! on loopback by the test itself, certificates from rcgen, sites whose index names them; and
//! HTTP/1.1 and HTTP/2 clients over TCP or rustls (with or without SNI, verified or recording
//! the certificate), plus raw-bytes requests.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{HeaderMap, Request};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vhostd::prepare::generation::Generation;
use vhostd::server::runtime::Server;

/// A running server and what the test needs to talk to it.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub ports: Vec<u16>,
    pub server: Arc<Server>,
}

impl TestServer {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn addr(&self, ip: &str, port_index: usize) -> SocketAddr {
        format!("{ip}:{}", self.ports[port_index])
            .parse()
            .expect("addr")
    }
    pub async fn stop(self) {
        self.server.stop(Some(Duration::from_secs(5))).await;
    }
}

/// Writes `htdocs/<site>/index.html` with body `site=<site>` for each site.
pub fn make_sites(root: &Path, sites: &[&str]) {
    for s in sites {
        let d = root.join("htdocs").join(s);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("index.html"), format!("site={s}")).expect("write");
    }
}

/// Binds `binds` (`ip` strings; `ip@N` reuses port N of an earlier bind), fills `{PN}` and
/// `{ROOT}` in the template, makes certificates and sites, checks and starts the server.
pub async fn start(template: &str, binds: &[&str], certs: &str, sites: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ports: Vec<u16> = Vec::new();
    let mut listeners = Vec::new();
    for b in binds {
        let (ip, port) = match b.split_once('@') {
            Some((ip, n)) => (ip, ports[n.parse::<usize>().expect("index")]),
            None => (*b, 0),
        };
        let l = std::net::TcpListener::bind((ip, port)).expect("bind loopback");
        let p = l.local_addr().expect("addr").port();
        if port == 0 {
            ports.push(p);
        }
        l.set_nonblocking(true).expect("nonblocking");
        listeners.push(tokio::net::TcpListener::from_std(l).expect("tokio listener"));
    }
    let mut conf = template.replace("{ROOT}", &dir.path().display().to_string());
    for (i, p) in ports.iter().enumerate() {
        conf = conf.replace(&format!("{{P{i}}}"), &p.to_string());
    }
    std::fs::write(dir.path().join("main.conf"), conf).expect("write conf");
    super::make_certs(dir.path(), certs);
    make_sites(dir.path(), sites);
    let mut checked = super::run_check(dir.path(), "main.conf", &[]);
    checked.diags.items.retain(|d| d.is_error());
    assert!(checked.ok(), "{}", checked.diags.render(&checked.sources));
    let generation = Generation::prepare(checked).expect("prepare");
    let keys = generation
        .plan
        .listeners
        .iter()
        .map(vhostd::server::runtime::key_of);
    let bound = keys.zip(listeners).collect();
    let server = Server::start(generation, bound);
    TestServer { dir, ports, server }
}

/// Accepts any certificate (to see which one a server presents).
#[derive(Debug)]
struct Record(Arc<rustls::crypto::CryptoProvider>);

/// A verifier that accepts any certificate, for tests that drive rustls by hand.
#[allow(dead_code)]
pub struct AcceptAny;

/// A client configuration that trusts any certificate and offers `alpn`.
#[allow(dead_code)]
pub fn accept_any_client(alpn: &[&[u8]]) -> ClientConfig {
    let mut config = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(AcceptAny::new()))
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

#[allow(dead_code)]
impl AcceptAny {
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> impl ServerCertVerifier {
        Record(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
    }
}

impl ServerCertVerifier for Record {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// How to connect.
#[derive(Clone, Debug, Default)]
pub struct Tls {
    /// `None`: no SNI at all.
    pub sni: Option<String>,
    /// Verify against this CA file for this name (as a browser would); else accept anything.
    pub verify: Option<(std::path::PathBuf, String)>,
    pub h2: bool,
}

pub fn sni(name: &str) -> Option<Tls> {
    Some(Tls {
        sni: Some(name.to_string()),
        ..Tls::default()
    })
}

pub fn no_sni() -> Option<Tls> {
    Some(Tls::default())
}

/// One response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub version: hyper::Version,
    /// The DNS names of the certificate the server presented.
    pub cert_names: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

fn client_config(t: &Tls) -> ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let mut cfg = match &t.verify {
        Some((ca, _)) => {
            let mut roots = rustls::RootCertStore::empty();
            use rustls::pki_types::pem::PemObject;
            roots
                .add(CertificateDer::from_pem_file(ca).expect("ca"))
                .expect("add ca");
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Record(provider)))
            .with_no_client_auth(),
    };
    cfg.alpn_protocols = if t.h2 {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    cfg.enable_sni = t.sni.is_some();
    cfg
}

/// The DNS names of a DER certificate.
pub fn names_of(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                out.push(d.to_string());
            }
        }
    }
    out
}

/// Where a request goes: `(path, Host header)`; `None` host sends none (HTTP/1) or uses the
/// SNI name or "localhost" as `:authority` (HTTP/2).
pub type Req<'a> = (&'a str, Option<&'a str>);

/// Sends `reqs` in order on one connection; `Err` when the connection or handshake fails.
pub async fn fetch(
    addr: SocketAddr,
    tls: Option<Tls>,
    reqs: &[Req<'_>],
) -> Result<Vec<Reply>, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    match tls {
        None => exchange(tcp, false, Vec::new(), reqs, "http").await,
        Some(t) => {
            let name_text = t
                .verify
                .as_ref()
                .map(|(_, n)| n.clone())
                .or(t.sni.clone())
                .unwrap_or_else(|| "no-sni.invalid".to_string());
            let name = ServerName::try_from(name_text).map_err(|e| e.to_string())?;
            let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(&t)));
            let stream = connector
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())?;
            let names = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| names_of(c))
                .unwrap_or_default();
            exchange(stream, t.h2, names, reqs, "https").await
        }
    }
}

/// Sends `reqs` as HTTP/2 with prior knowledge on a plain connection (h2c).
#[allow(dead_code)]
pub async fn fetch_h2c(addr: SocketAddr, reqs: &[Req<'_>]) -> Result<Vec<Reply>, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    exchange(tcp, true, Vec::new(), reqs, "http").await
}

async fn exchange<S>(
    io: S,
    h2: bool,
    cert_names: Vec<String>,
    reqs: &[Req<'_>],
    scheme: &str,
) -> Result<Vec<Reply>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    let mut out = Vec::new();
    if h2 {
        let (mut send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        for (path, host) in reqs {
            let uri = format!("{scheme}://{}{path}", host.unwrap_or("localhost"));
            let req = Request::get(uri)
                .body(Empty::<Bytes>::new())
                .map_err(|e| e.to_string())?;
            out.push(
                collect(
                    send.send_request(req).await.map_err(|e| e.to_string())?,
                    &cert_names,
                )
                .await?,
            );
        }
    } else {
        let (mut send, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        for (path, host) in reqs {
            let mut b = Request::get(*path);
            if let Some(h) = host {
                b = b.header("host", *h);
            }
            let req = b.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
            send.ready()
                .await
                .map_err(|e| format!("connection closed before request {}: {e}", out.len() + 1))?;
            out.push(
                collect(
                    send.send_request(req).await.map_err(|e| {
                        format!("request {} of {}: {e:?}", out.len() + 1, reqs.len())
                    })?,
                    &cert_names,
                )
                .await?,
            );
        }
    }
    Ok(out)
}

async fn collect(
    resp: hyper::Response<hyper::body::Incoming>,
    cert_names: &[String],
) -> Result<Reply, String> {
    let (parts, body) = resp.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes()
        .to_vec();
    Ok(Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        version: parts.version,
        cert_names: cert_names.to_vec(),
    })
}

/// One request; panics when the connection fails.
pub async fn get(addr: SocketAddr, tls: Option<Tls>, path: &str, host: Option<&str>) -> Reply {
    let mut r = fetch(addr, tls, &[(path, host)])
        .await
        .unwrap_or_else(|e| panic!("request to {addr} failed: {e}"));
    r.remove(0)
}

/// Sends raw bytes (over TLS with `sni` when given) and reads until the server closes or 3 s.
pub async fn raw(addr: SocketAddr, tls: Option<Tls>, bytes: &[u8]) -> String {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let mut buf = Vec::new();
    match tls {
        None => {
            let mut s = tcp;
            s.write_all(bytes).await.expect("write");
            let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf)).await;
        }
        Some(t) => {
            let name = ServerName::try_from(
                t.sni
                    .clone()
                    .unwrap_or_else(|| "no-sni.invalid".to_string()),
            )
            .expect("name");
            let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(&t)));
            let mut s = connector.connect(name, tcp).await.expect("handshake");
            s.write_all(bytes).await.expect("write");
            let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf)).await;
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The status code of a raw response.
pub fn status_of(raw: &str) -> u16 {
    raw.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The body of a raw response.
pub fn body_of(raw: &str) -> &str {
    raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
}

/// Waits (up to 5 s) until something accepts connections on `addr`.
#[allow(dead_code)]
pub async fn wait_for(addr: SocketAddr) {
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

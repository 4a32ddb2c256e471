//! Takes httpd 2.4 configurations using server-wide directives (StrictHostCheck, MaxClients and
//! AsyncRequestWorkerFactor, ProxyTimeout, SSLRequireSSL, AuthBasicProvider,
//! SSLCertificateChainFile, SSLUseStapling), serves them on real sockets and gives assertions
//! on what clients see: 400 for a host no vhost names, connections held back at the cap, a 504
//! after the proxy timeout, 403 over plain HTTP, 401/200 by the user file, and the handshake's
//! chain verified against the root alone (StrictHostCheck, SSLRequireSSL and the user file
//! checked against Apache 2.4.71; OCSP stapling is not implemented, so none is stapled).

mod common;

use common::server::{get, start, status_of};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A GET on a fresh connection: the status and how long the answer took (up to 10 s).
async fn timed_status(addr: SocketAddr, path: &str, host: &str) -> (u16, Duration) {
    let t = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(common::get_req(path, host, "").as_bytes())
        .await
        .expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    (status_of(&String::from_utf8_lossy(&buf)), t.elapsed())
}

#[tokio::test]
async fn strict_host_check_refuses_names_no_vhost_has() {
    // Only the default (first) vhost of an address decides, as in httpd.
    let conf = "ServerName main.test
Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1}
<VirtualHost 127.0.0.1:{P0}>
  ServerName first.test
  StrictHostCheck On
  DocumentRoot htdocs/a
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName second.test
  DocumentRoot htdocs/b
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName third.test
  DocumentRoot htdocs/a
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName fourth.test
  StrictHostCheck On
  DocumentRoot htdocs/b
</VirtualHost>
";
    let s = start(conf, &["127.0.0.1", "127.0.0.1"], "", &["a", "b"]).await;
    let (p0, p1) = (s.addr("127.0.0.1", 0), s.addr("127.0.0.1", 1));
    let status = async |a, host| get(a, None, "/", Some(host)).await.status;
    assert_eq!(status(p0, "first.test").await, 200);
    assert_eq!(status(p0, "second.test").await, 200);
    assert_eq!(status(p0, "other.test").await, 400, "StrictHostCheck On");
    assert_eq!(status(p1, "other.test").await, 200, "not the default vhost");
    s.stop().await;

    // Server-wide: a lone vhost and the main server answer their own names only.
    let conf = "ServerName main.test
StrictHostCheck On
DocumentRoot htdocs/m
Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1}
<VirtualHost 127.0.0.1:{P0}>
  ServerName solo.test
  DocumentRoot htdocs/a
</VirtualHost>
";
    let s = start(conf, &["127.0.0.1", "127.0.0.1"], "", &["a", "m"]).await;
    let (p0, p1) = (s.addr("127.0.0.1", 0), s.addr("127.0.0.1", 1));
    assert_eq!(status(p0, "SOLO.test").await, 200);
    assert_eq!(status(p0, "other.test").await, 400);
    assert_eq!(status(p1, "Main.Test").await, 200, "the main server's name");
    assert_eq!(status(p1, "127.0.0.1").await, 400);
    s.stop().await;
}

/// Sends a keep-alive request and reads its answer, so the connection is accepted and open.
async fn kept_open(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    answered(&mut s, Duration::from_secs(5))
        .await
        .expect("the first connections are served");
    s
}

/// Sends a GET on `s` and waits up to `within` for its whole answer.
async fn answered(s: &mut TcpStream, within: Duration) -> Result<(), &'static str> {
    s.write_all(b"GET / HTTP/1.1\r\nHost: main.test\r\n\r\n")
        .await
        .map_err(|_| "write")?;
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !String::from_utf8_lossy(&buf).ends_with("site=m") {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return Err("closed"),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        Ok(())
    };
    tokio::time::timeout(within, read)
        .await
        .map_err(|_| "no answer in time")?
}

#[tokio::test]
async fn max_clients_and_worker_factor_cap_open_connections() {
    // The event MPM's bound: MaxClients (MaxRequestWorkers) x (AsyncRequestWorkerFactor + 1).
    for (factor, cap) in [(1, 2), (2, 3)] {
        let conf = format!(
            "ServerName main.test
MaxClients 1
AsyncRequestWorkerFactor {factor}
KeepAliveTimeout 30
Timeout 30
DocumentRoot htdocs/m
Listen 127.0.0.1:{{P0}}
"
        );
        let s = start(&conf, &["127.0.0.1"], "", &["m"]).await;
        let a = s.addr("127.0.0.1", 0);
        let mut open = Vec::new();
        for _ in 0..cap {
            open.push(kept_open(a).await);
        }
        // One more connects (the backlog takes it) but waits, unanswered, at the cap...
        let mut waiting = TcpStream::connect(a).await.expect("connect");
        assert_eq!(
            answered(&mut waiting, Duration::from_secs(1)).await,
            Err("no answer in time"),
            "factor {factor}: connection {} is over the cap",
            cap + 1
        );
        // ...until one of the open ones closes; then it is served.
        drop(open.remove(0));
        let mut buf = vec![0u8; 4096];
        let got = tokio::time::timeout(Duration::from_secs(5), waiting.read(&mut buf)).await;
        let n = got.expect("served once a slot is free").expect("read");
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        drop(open);
        s.stop().await;
    }
}

#[tokio::test]
async fn proxy_timeout_bounds_a_backend_that_never_answers() {
    // The kernel completes the TCP handshake for this listener; nobody ever reads or answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let conf = "ServerName main.test
Timeout 30
ProxyTimeout 1
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName front.test
  DocumentRoot htdocs/f
  ProxyPass /silent/ http://127.0.0.1:{SILENT}/
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName patient.test
  DocumentRoot htdocs/f
  ProxyTimeout 2
  ProxyPass /silent/ http://127.0.0.1:{SILENT}/
</VirtualHost>
"
    .replace("{SILENT}", &port.to_string());
    let s = start(&conf, &["127.0.0.1"], "", &["f"]).await;
    let a = s.addr("127.0.0.1", 0);
    let (status, took) = timed_status(a, "/silent/x", "front.test").await;
    assert_eq!(
        status, 504,
        "the main server's ProxyTimeout, not Timeout 30"
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
        "ProxyTimeout 1 answered after {took:?}"
    );
    let (status, took) = timed_status(a, "/silent/x", "patient.test").await;
    assert_eq!(status, 504);
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_millis(3500),
        "the vhost's ProxyTimeout 2 answered after {took:?}"
    );
    s.stop().await;
    drop(silent);
}

/// Writes a root, an intermediate it signs, and leaves it signs: `root.crt`, `inter.crt`,
/// `<name>.crt` (the leaf alone) and `<name>.key`.
fn chain_certs(dir: &Path, leaves: &[&str]) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd,
    };
    let ca = |cn: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = date_time_ymd(2024, 1, 1);
        p.not_after = date_time_ymd(2050, 1, 1);
        p
    };
    let root_key = KeyPair::generate().expect("key");
    let root_params = ca("Chain Test Root");
    let root_cert = root_params.self_signed(&root_key).expect("root");
    std::fs::write(dir.join("root.crt"), root_cert.pem()).expect("write");
    let root = Issuer::new(root_params, root_key);
    let inter_key = KeyPair::generate().expect("key");
    let inter_params = ca("Chain Test Intermediate");
    let inter_cert = inter_params
        .signed_by(&inter_key, &root)
        .expect("intermediate");
    std::fs::write(dir.join("inter.crt"), inter_cert.pem()).expect("write");
    let inter = Issuer::new(inter_params, inter_key);
    for name in leaves {
        let key = KeyPair::generate().expect("key");
        let mut p = CertificateParams::new(vec![name.to_string()]).expect("params");
        p.distinguished_name.push(DnType::CommonName, *name);
        p.not_before = date_time_ymd(2025, 1, 1);
        p.not_after = date_time_ymd(2045, 1, 1);
        let leaf = p.signed_by(&key, &inter).expect("leaf");
        std::fs::write(dir.join(format!("{name}.crt")), leaf.pem()).expect("write");
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).expect("write");
    }
}

/// Verifies as a browser trusting only the root would, noting what the server sent besides
/// its own certificate: `(intermediates, bytes of stapled OCSP response)`.
#[derive(Debug)]
struct Noting {
    inner: Arc<WebPkiServerVerifier>,
    seen: Arc<Mutex<(usize, usize)>>,
}

impl ServerCertVerifier for Noting {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut s) = self.seen.lock() {
            *s = (intermediates.len(), ocsp.len());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, name, ocsp, now)
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A handshake with SNI `name`, verified against `root` only: its outcome and what was noted.
async fn handshake(
    addr: SocketAddr,
    name: &str,
    root: &Path,
) -> (Result<(), String>, usize, usize) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(root).expect("root"))
        .expect("add root");
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("verifier");
    let seen = Arc::new(Mutex::new((0, 0)));
    let verifier = Arc::new(Noting {
        inner,
        seen: seen.clone(),
    });
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let server_name = ServerName::try_from(name.to_string()).expect("name");
    let outcome = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(server_name, tcp)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let (intermediates, ocsp) = *seen.lock().expect("lock");
    (outcome, intermediates, ocsp)
}

/// One site over plain HTTP and two over TLS, sharing a DocumentRoot whose `secure/` needs
/// TLS and whose `members/` needs a user from the file (`{X}`: certificates and htpasswd).
const TLS_CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1} https
<Directory {ROOT}/htdocs/t/secure>
  SSLRequireSSL
</Directory>
<Directory {ROOT}/htdocs/t/members>
  AuthType Basic
  AuthName \"Members only\"
  AuthBasicProvider file
  AuthUserFile {X}/htpasswd
  Require valid-user
</Directory>
<VirtualHost 127.0.0.1:{P0}>
  ServerName plain.test
  DocumentRoot htdocs/t
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName chained.test
  SSLEngine on
  SSLCertificateFile {X}/chained.test.crt
  SSLCertificateKeyFile {X}/chained.test.key
  SSLCertificateChainFile {X}/inter.crt
  SSLUseStapling on
  DocumentRoot htdocs/t
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName bare.test
  SSLEngine on
  SSLCertificateFile {X}/bare.test.crt
  SSLCertificateKeyFile {X}/bare.test.key
  SSLUseStapling off
  DocumentRoot htdocs/t
</VirtualHost>
";

async fn tls_server(x: &Path) -> common::server::TestServer {
    chain_certs(x, &["chained.test", "bare.test"]);
    // bob's password is "secret" ({SHA} is base64 of its SHA-1).
    std::fs::write(
        x.join("htpasswd"),
        "bob:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n",
    )
    .expect("write");
    let conf = TLS_CONF.replace("{X}", &x.display().to_string());
    let s = start(&conf, &["127.0.0.1", "127.0.0.1"], "", &["t"]).await;
    for d in ["secure", "members"] {
        let p = s.root().join("htdocs/t").join(d);
        std::fs::create_dir_all(&p).expect("mkdir");
        std::fs::write(p.join("index.html"), format!("in {d}")).expect("write");
    }
    s
}

#[tokio::test]
async fn chain_file_is_sent_and_stapling_is_not() {
    let x = tempfile::tempdir().expect("tmp");
    let s = tls_server(x.path()).await;
    let a = s.addr("127.0.0.1", 1);
    let root = x.path().join("root.crt");
    // SSLCertificateChainFile: the intermediate follows the leaf, so the root alone verifies it.
    let (outcome, intermediates, ocsp) = handshake(a, "chained.test", &root).await;
    assert_eq!((outcome, intermediates), (Ok(()), 1));
    // SSLUseStapling on: accepted, and (as its warning says) no OCSP response is stapled.
    assert_eq!(ocsp, 0);
    // Without a chain file only the leaf is sent, and the same client cannot verify it.
    let (outcome, intermediates, _) = handshake(a, "bare.test", &root).await;
    assert_eq!(intermediates, 0);
    assert!(
        outcome.as_ref().is_err_and(|e| e.contains("UnknownIssuer")),
        "{outcome:?}"
    );
    s.stop().await;

    // At -t, the one `on` warns (the `off` line is what this server does anyway).
    let text = check_text(x.path(), TLS_CONF);
    let warned: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("warning: SSLUseStapling has no effect"))
        .collect();
    assert_eq!(warned.len(), 1, "{text}");
    assert!(
        warned[0].contains("OCSP stapling") && !warned[0].contains("more line"),
        "{text}"
    );
}

/// The rendered `-t` report for `conf` written as `dir/main.conf` (`{X}` and `{ROOT}`: `dir`).
fn check_text(dir: &Path, conf: &str) -> String {
    let d = dir.display().to_string();
    let conf = conf.replace("{X}", &d).replace("{ROOT}", &d);
    std::fs::create_dir_all(dir.join("htdocs/t")).expect("mkdir");
    std::fs::write(dir.join("main.conf"), conf).expect("write");
    let c = common::run_check(dir, "main.conf", &[]);
    c.diags.render(&c.sources)
}

/// A GET for `/members/` on plain.test with `extra` header lines.
async fn members(addr: SocketAddr, extra: &str) -> String {
    let req = common::get_req("/members/", "plain.test", extra);
    common::server::raw(addr, None, req.as_bytes()).await
}

#[tokio::test]
async fn ssl_require_ssl_and_auth_basic_provider() {
    let x = tempfile::tempdir().expect("tmp");
    let s = tls_server(x.path()).await;
    let (plain, tls) = (s.addr("127.0.0.1", 0), s.addr("127.0.0.1", 1));
    // SSLRequireSSL in a <Directory>: 403 over plain HTTP, served over TLS.
    let r = get(plain, None, "/secure/", Some("plain.test")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = get(
        tls,
        common::server::sni("bare.test"),
        "/secure/",
        Some("bare.test"),
    )
    .await;
    assert_eq!((r.status, r.text()), (200, "in secure".to_string()));
    // AuthBasicProvider file: the credentials are checked against AuthUserFile.
    let r = members(plain, "").await;
    assert_eq!(status_of(&r), 401);
    assert_eq!(
        common::header(&r, "www-authenticate"),
        Some("Basic realm=\"Members only\"")
    );
    // base64("bob:secret") and base64("bob:wrong").
    let r = members(plain, "Authorization: Basic Ym9iOnNlY3JldA==\r\n").await;
    assert_eq!(
        (status_of(&r), common::server::body_of(&r)),
        (200, "in members")
    );
    let r = members(plain, "Authorization: Basic Ym9iOndyb25n\r\n").await;
    assert_eq!(status_of(&r), 401);
    s.stop().await;

    // Providers other than file are refused rather than leaving the space open.
    let dir = tempfile::tempdir().expect("tmp");
    let text = check_text(
        dir.path(),
        "ServerName main.test\nListen 8080\nDocumentRoot htdocs\n<Location /x>\n  AuthType Basic\n  AuthBasicProvider ldap\n  Require valid-user\n</Location>\n",
    );
    assert!(
        text.contains("error:") && text.contains("Unknown Authn provider: ldap"),
        "{text}"
    );
}

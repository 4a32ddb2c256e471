//! Automatic certificates against a real ACME CA on loopback (pebble): a first certificate
//! for three names served to each by SNI (tls-alpn-01, then http-01), a restart that reuses
//! the stored certificate with the CA gone, a CA that is down retried while the server
//! serves, and a renewal swapped in live while a keep-alive connection stays open.

mod common;

use common::pebble::{Pebble, Running};
use common::process::free_port;
use common::server::{Tls, accept_any_client, fetch, get, sni};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NAMES: [&str; 3] = ["a.example.com", "b.example.com", "c.example.com"];

struct Site {
    http: u16,
    https: u16,
}

impl Site {
    fn new() -> Site {
        Site {
            http: free_port(),
            https: free_port(),
        }
    }
    fn tls_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.https))
    }
    fn http_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.http))
    }
}

/// The configuration: one MDomain of three names, one TLS vhost and one plain vhost (with
/// `plain` inside it).
fn write_conf(dir: &Path, site: &Site, ca: &str, extra: &str) {
    write_conf_with(dir, site, ca, extra, "")
}

fn write_conf_with(dir: &Path, site: &Site, ca: &str, extra: &str, plain: &str) {
    std::fs::create_dir_all(dir.join("htdocs")).expect("mkdir");
    std::fs::write(dir.join("htdocs/index.html"), "hello\n").expect("write");
    let conf = format!(
        "ServerRoot {root}\nServerName localhost\nPidFile httpd.pid\nErrorLog error.log\nLogLevel info\n\
         Listen 127.0.0.1:{http} http\nListen 127.0.0.1:{https} https\nDocumentRoot htdocs\n\
         MDPortMap http:{http} https:{https}\nMDCertificateAuthority {ca}\n\
         MDCACertificateFile pebble-ca.pem\nMDCertificateAgreement accepted\n\
         MDContactEmail admin@example.com\nMDRetryDelay 1s\n{extra}\n\
         MDomain a.example.com b.example.com c.example.com\n\
         <VirtualHost *:{https}>\n  ServerName a.example.com\n  ServerAlias b.example.com c.example.com\n  SSLEngine on\n\
           <Location /md-status>\n    SetHandler md-status\n  </Location>\n</VirtualHost>\n\
         <VirtualHost *:{http}>\n  ServerName a.example.com\n{plain}\n</VirtualHost>\n",
        root = dir.display(),
        http = site.http,
        https = site.https,
    );
    std::fs::write(dir.join("main.conf"), conf).expect("write conf");
}

/// Verified against pebble's root for `name` by SNI, as a browser would.
fn verified(root: &Path, name: &str) -> Option<Tls> {
    Some(Tls {
        sni: Some(name.to_string()),
        verify: Some((root.to_path_buf(), name.to_string())),
        h2: false,
    })
}

/// Polls until every name gets a certificate that verifies against pebble's root.
async fn until_issued(site: &Site, root: &Path, run: &Running, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let mut ok = 0;
        for n in NAMES {
            if let Ok(r) = fetch(site.tls_addr(), verified(root, n), &[("/", Some(n))]).await
                && r[0].status == 200
            {
                ok += 1;
            }
        }
        if ok == NAMES.len() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no certificate from pebble in time; error log:\n{}",
            run.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The leaf the server presents for `name` (accepting anything).
async fn leaf(addr: SocketAddr, name: &str) -> Vec<u8> {
    let (_, cert) = open(addr, name).await;
    cert
}

type Sender = http1::SendRequest<http_body_util::Empty<bytes::Bytes>>;

/// A keep-alive HTTP/1.1 connection over TLS (trusting anything) and the leaf it got.
async fn open(addr: SocketAddr, name: &str) -> (Sender, Vec<u8>) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(accept_any_client(&[b"http/1.1"])));
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string()).expect("name");
    let tls = connector
        .connect(server_name, tcp)
        .await
        .expect("handshake");
    let cert = tls.get_ref().1.peer_certificates().expect("certs")[0].to_vec();
    let (sender, conn) = http1::handshake(TokioIo::new(tls)).await.expect("h1");
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("kept connection ended: {e:?}");
        }
    });
    (sender, cert)
}

async fn send(sender: &mut Sender, host: &str) -> u16 {
    sender.ready().await.expect("connection still open");
    let req = hyper::Request::get("/")
        .header("host", host)
        .body(http_body_util::Empty::new())
        .expect("request");
    let resp = sender.send_request(req).await.expect("response");
    resp.status().as_u16()
}

fn subject(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default()
}

async fn md_status(site: &Site) -> serde_json::Value {
    // Without SNI: the fallback's 503 applies only to clients that named the site.
    let r = get(
        site.tls_addr(),
        Some(Tls::default()),
        "/md-status",
        Some("a.example.com"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_slice(&r.body).expect("md-status JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_alpn_01_obtains_one_certificate_for_three_names_and_a_restart_reuses_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let site = Site::new();
    let mut pebble = Pebble::start(dir, site.http, site.https);
    write_conf(
        dir,
        &site,
        &pebble.directory(),
        "MDCAChallenges tls-alpn-01",
    );
    let root = dir.join("pebble-root.pem");
    pebble.root_to(&root);
    let run = Running::start(dir);
    until_issued(&site, &root, &run, Duration::from_secs(60)).await;
    let issued = leaf(site.tls_addr(), "b.example.com").await;
    let names = common::server::names_of(&issued);
    assert_eq!(names, NAMES, "one SAN certificate for the three names");
    let status = md_status(&site).await;
    let md = &status["managed-domains"][0];
    assert_eq!(md["name"], "a.example.com");
    assert_eq!(md["state"], 2, "{status}");
    assert!(
        md["cert"]["secp256r1"]["serial"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{status}"
    );
    let log = md["renewal"]["log"].to_string();
    for n in NAMES {
        assert!(
            log.contains(&format!("answering tls-alpn-01 for {n}")),
            "{log}"
        );
    }
    let store = dir.join("md/domains/a.example.com");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(store.join("privkey.secp256r1.pem"))
            .expect("key stored")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the key is for the owner only");
    let dir_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&store).expect("store").permissions(),
    );
    assert_eq!(
        dir_mode & 0o777,
        0o700,
        "the store's directories are the server's only"
    );
    run.stop();

    // The CA is gone; a restart serves the stored certificate at once.
    pebble.stop();
    std::fs::remove_file(dir.join("error.log")).expect("rotate the log");
    let run = Running::start(dir);
    common::server::wait_for(site.tls_addr()).await;
    for n in NAMES {
        let r = get(site.tls_addr(), verified(&root, n), "/", Some(n)).await;
        assert_eq!(r.status, 200, "{n}");
    }
    assert_eq!(leaf(site.tls_addr(), "a.example.com").await, issued);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = run.log();
    assert!(
        !log.contains("obtaining a certificate"),
        "the CA was not contacted:\n{log}"
    );
}

fn pebble_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("pebble.log")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn http_01_obtains_the_certificate() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let site = Site::new();
    let pebble = Pebble::start(dir, site.http, site.https);
    // The answer comes before the vhost's redirect and access rules, as with mod_md.
    let plain = "  Redirect permanent / https://a.example.com/\n  <Location />\n    Require all denied\n  </Location>";
    write_conf_with(
        dir,
        &site,
        &pebble.directory(),
        "MDCAChallenges http-01",
        plain,
    );
    let root = dir.join("pebble-root.pem");
    pebble.root_to(&root);
    let run = Running::start(dir);
    until_issued(&site, &root, &run, Duration::from_secs(60)).await;
    let status = md_status(&site).await;
    let log = status["managed-domains"][0]["renewal"]["log"].to_string();
    for n in NAMES {
        assert!(log.contains(&format!("answering http-01 for {n}")), "{log}");
    }
    let plog = pebble_log(dir);
    assert!(
        plog.contains("Attempting to validate w/ HTTP"),
        "pebble fetched the answer over HTTP:\n{plog}"
    );
    // No challenge pending: the path is an ordinary one again (the vhost's redirect).
    let r = get(
        site.http_addr(),
        None,
        "/.well-known/acme-challenge/abc",
        Some("a.example.com"),
    )
    .await;
    assert_eq!(r.status, 301);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ca_that_is_down_is_retried_while_the_server_serves() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let site = Site::new();
    let acme_port = free_port();
    let ca = format!("https://localhost:{acme_port}/dir");
    // The CA's TLS files exist, but it is not running yet.
    common::pebble::make_tls(dir);
    write_conf(dir, &site, &ca, "");
    let run = Running::start(dir);
    common::server::wait_for(site.tls_addr()).await;
    // Meanwhile: the fallback certificate, 503 for clients naming the site, plain HTTP served.
    let fallback = leaf(site.tls_addr(), "a.example.com").await;
    assert!(
        subject(&fallback).contains("Managed Domain Fallback"),
        "{}",
        subject(&fallback)
    );
    let r = get(
        site.tls_addr(),
        sni("a.example.com"),
        "/",
        Some("a.example.com"),
    )
    .await;
    assert_eq!(r.status, 503);
    let r = get(site.http_addr(), None, "/", Some("a.example.com")).await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello\n"));
    let dump = common::process::run_server(dir, &["-S", "-f", "main.conf"]);
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(
        dump.contains("no certificate yet: the self-signed fallback is served"),
        "-S says the fallback is served:\n{dump}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = md_status(&site).await;
    let md = &status["managed-domains"][0];
    assert_eq!(md["state"], 1, "{status}");
    assert!(
        md["renewal"]["errors"].as_u64().is_some_and(|n| n >= 2),
        "retried: {status}"
    );
    assert!(run.log().contains("attempt 2 failed"), "{}", run.log());

    // The CA comes up: the next attempt gets the certificate.
    let pebble = Pebble::start_on(dir, site.http, site.https, acme_port);
    let root = dir.join("pebble-root.pem");
    pebble.root_to(&root);
    until_issued(&site, &root, &run, Duration::from_secs(90)).await;
}

/// A certificate for the three names valid from a day ago until `left` from now.
fn seed_store(dir: &Path, left: Duration) -> Vec<u8> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params =
        rcgen::CertificateParams::new(NAMES.map(String::from).to_vec()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "about to expire");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let at = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).expect("time");
    params.not_before = at(now - 86400);
    params.not_after = at(now + left.as_secs() as i64);
    let cert = params.self_signed(&key).expect("cert");
    let store = dir.join("md/domains/a.example.com");
    std::fs::create_dir_all(&store).expect("mkdir");
    std::fs::write(store.join("pubcert.secp256r1.pem"), cert.pem()).expect("write");
    std::fs::write(store.join("privkey.secp256r1.pem"), key.serialize_pem()).expect("write");
    cert.der().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn renewal_inside_the_window_swaps_live_while_a_keep_alive_connection_stays() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let site = Site::new();
    let pebble = Pebble::start(dir, site.http, site.https);
    let root = dir.join("pebble-root.pem");
    pebble.root_to(&root);
    // The window (one day before expiry) opens 12 s from now.
    let old = seed_store(dir, Duration::from_secs(86400 + 12));
    let notify = dir.join("notify.sh");
    std::fs::write(
        &notify,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\n",
            dir.join("notified").display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&notify, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    // KeepAliveTimeout: the kept connection must outlive the wait for the renewal.
    write_conf(
        dir,
        &site,
        &pebble.directory(),
        "MDRenewWindow 1d\nMDNotifyCmd notify.sh\nKeepAliveTimeout 120",
    );
    let run = Running::start(dir);
    common::server::wait_for(site.tls_addr()).await;
    let (mut kept, first) = open(site.tls_addr(), "a.example.com").await;
    assert_eq!(
        first, old,
        "the stored certificate is served before the window opens"
    );
    assert_eq!(send(&mut kept, "a.example.com").await, 200);
    until_issued(&site, &root, &run, Duration::from_secs(60)).await;
    assert_ne!(
        leaf(site.tls_addr(), "c.example.com").await,
        old,
        "new handshakes get the new one"
    );
    // The connection made before the renewal is still served.
    assert_eq!(send(&mut kept, "b.example.com").await, 200);
    let notified = std::fs::read_to_string(dir.join("notified")).unwrap_or_default();
    assert_eq!(
        notified.trim(),
        "a.example.com",
        "MDNotifyCmd ran with the domain's name"
    );
    assert!(
        run.log().contains("is served from the next handshake"),
        "{}",
        run.log()
    );
}

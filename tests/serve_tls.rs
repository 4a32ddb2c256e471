//! TLS with SNI on real sockets (the spec's base TLS config S, T14-T22): which certificate each
//! SNI gets, Host-vs-SNI (421 under httpd 2.4.64+'s "secure" policy), strict SNI (403), SNI
//! without Host (400), plain HTTP on a TLS port, and HTTP/2 (ALPN, :authority, coalescing).

mod common;

use common::server::{Tls, body_of, fetch, get, no_sni, raw, sni, start, status_of};

const S: &str = "ServerName main.test
Listen 127.0.0.1:{P0} https
Listen 127.0.0.2:{P0} https
<VirtualHost *:{P0}>
  ServerName default.test
  SSLEngine on
  SSLCertificateFile default.crt
  SSLCertificateKeyFile default.key
  DocumentRoot htdocs/def
</VirtualHost>
<VirtualHost *:{P0}>
  ServerName a.test
  ServerAlias www.a.test
  SSLEngine on
  SSLCertificateFile a.crt
  SSLCertificateKeyFile a.key
  DocumentRoot htdocs/a
</VirtualHost>
<VirtualHost *:{P0}>
  ServerName b.test
  SSLEngine on
  SSLCertificateFile b.crt
  SSLCertificateKeyFile b.key
  DocumentRoot htdocs/b
</VirtualHost>
<VirtualHost *:{P0}>
  ServerName shared.test
  SSLEngine on
  SSLCertificateFile a.crt
  SSLCertificateKeyFile a.key
  DocumentRoot htdocs/shared
</VirtualHost>
<VirtualHost *:{P0}>
  ServerName x.w.test
  ServerAlias *.w.test
  SSLEngine on
  SSLCertificateFile wild.crt
  SSLCertificateKeyFile wild.key
  DocumentRoot htdocs/w
</VirtualHost>
<VirtualHost *:{P0}>
  ServerName inherit.test
  SSLEngine on
  DocumentRoot htdocs/inherit
</VirtualHost>
<VirtualHost 127.0.0.2:{P0}>
  ServerName s1.test
  SSLStrictSNIVHostCheck on
  SSLEngine on
  SSLCertificateFile default.crt
  SSLCertificateKeyFile default.key
  DocumentRoot htdocs/s1
</VirtualHost>
<VirtualHost 127.0.0.2:{P0}>
  ServerName s2.test
  SSLEngine on
  SSLCertificateFile b.crt
  SSLCertificateKeyFile b.key
  DocumentRoot htdocs/s2
</VirtualHost>
";

const CERTS: &str = "default default.test inherit.test\na a.test www.a.test shared.test\nb b.test s2.test\nwild *.w.test\n";
const SITES: &[&str] = &["def", "a", "b", "shared", "w", "inherit", "s1", "s2"];

async fn s() -> common::server::TestServer {
    start(S, &["127.0.0.1", "127.0.0.2@0"], CERTS, SITES).await
}

fn h2(name: Option<&str>) -> Option<Tls> {
    Some(Tls {
        sni: name.map(str::to_string),
        h2: true,
        ..Tls::default()
    })
}

#[tokio::test]
async fn each_sni_gets_its_certificate() {
    let s = s().await;
    let a = s.addr("127.0.0.1", 0);
    let cert = |r: common::server::Reply| r.cert_names.first().cloned().unwrap_or_default();
    assert_eq!(
        cert(get(a, sni("b.test"), "/", Some("b.test")).await),
        "b.test",
        "T14"
    );
    assert_eq!(
        cert(get(a, sni("WWW.A.TEST"), "/", Some("www.a.test")).await),
        "a.test",
        "T14: case-insensitive"
    );
    assert_eq!(
        cert(get(a, sni("foo.w.test"), "/", Some("foo.w.test")).await),
        "*.w.test",
        "T14: wildcard alias"
    );
    assert_eq!(
        cert(get(a, sni("a.b.w.test"), "/", Some("a.b.w.test")).await),
        "*.w.test",
        "T14: * spans labels"
    );
    assert_eq!(
        cert(get(a, no_sni(), "/", Some("default.test")).await),
        "default.test",
        "T15: no SNI"
    );
    assert_eq!(
        cert(get(a, sni("unknown.test"), "/", Some("default.test")).await),
        "default.test",
        "T15: unknown SNI, no alert"
    );
    let inherit = get(a, sni("inherit.test"), "/", Some("inherit.test")).await;
    assert_eq!(
        (cert(inherit).as_str()),
        "default.test",
        "a vhost without a certificate shares the default"
    );
    s.stop().await;
}

#[tokio::test]
async fn verified_like_a_browser() {
    let s = s().await;
    let a = s.addr("127.0.0.1", 0);
    let ca = s.root().join("ca.crt");
    for (name, site) in [
        ("a.test", "a"),
        ("www.a.test", "a"),
        ("b.test", "b"),
        ("shared.test", "shared"),
        ("x.w.test", "w"),
        ("inherit.test", "inherit"),
        ("default.test", "def"),
    ] {
        let t = Some(Tls {
            sni: Some(name.into()),
            verify: Some((ca.clone(), name.into())),
            h2: false,
        });
        let r = get(a, t, "/", Some(name)).await;
        assert_eq!(
            (r.status, r.text()),
            (200, format!("site={site}")),
            "{name} verifies and serves its site"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn host_and_sni_compatibility() {
    let s = s().await;
    let a = s.addr("127.0.0.1", 0);
    let r = get(a, sni("a.test"), "/", Some("www.a.test")).await;
    assert_eq!(
        (r.status, r.text()),
        (200, "site=a".into()),
        "T16: an alias of the handshake vhost"
    );
    // C5: case and a trailing dot on the Host, case on the SNI, a port on the Host: one vhost.
    for (name, host) in [
        ("A.TEST", "a.test."),
        ("a.test", "A.Test:8443"),
        ("A.Test", "A.TEST"),
    ] {
        let r = get(a, sni(name), "/", Some(host)).await;
        assert_eq!(
            (r.status, r.text()),
            (200, "site=a".into()),
            "C5: SNI {name}, Host {host}"
        );
    }
    let r = get(a, sni("a.test"), "/", Some("b.test")).await;
    assert_eq!(r.status, 421, "T17");
    assert!(r.text().contains("Misdirected Request"));
    let r = get(a, sni("a.test"), "/", Some("shared.test")).await;
    assert_eq!(
        (r.status, r.text()),
        (200, "site=shared".into()),
        "T18: same certificate and key files"
    );
    assert_eq!(
        get(a, sni("a.test"), "/", Some("unknown.test"))
            .await
            .status,
        421,
        "T19: unknown Host is the default vhost, another cert"
    );
    assert_eq!(
        get(a, no_sni(), "/", Some("b.test")).await.status,
        421,
        "T20: 2.4.64+ checks without SNI too"
    );
    assert_eq!(
        get(a, no_sni(), "/", Some("default.test")).await.text(),
        "site=def",
        "T20"
    );
    assert_eq!(
        get(a, no_sni(), "/", Some("inherit.test")).await.text(),
        "site=inherit",
        "sharing the default certificate works without SNI"
    );
    assert_eq!(
        get(a, sni("default.test"), "/", Some("inherit.test"))
            .await
            .text(),
        "site=inherit"
    );
    // rustls' client drops a trailing dot before sending SNI, so this is SNI a.test; the raw
    // trailing-dot case is tested with openssl below.
    assert_eq!(
        get(a, sni("a.test."), "/", Some("default.test"))
            .await
            .status,
        421
    );
    s.stop().await;
}

#[tokio::test]
async fn strict_sni_and_sni_without_host() {
    let s = s().await;
    let two = s.addr("127.0.0.2", 0);
    let r = get(two, no_sni(), "/", Some("s2.test")).await;
    assert_eq!(r.status, 403, "T21: strict SNI on in the default vhost");
    assert!(r.text().contains("Server Name Indication"), "{}", r.text());
    let r = get(two, sni("s2.test"), "/", Some("s2.test")).await;
    assert_eq!(
        (r.status, r.text(), r.cert_names[0].as_str()),
        (200, "site=s2".into(), "b.test"),
        "T21"
    );
    let a = s.addr("127.0.0.1", 0);
    let r = raw(a, sni("a.test"), b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(status_of(&r), 400, "T22: SNI but no Host (AH02031)");
    let r = raw(a, no_sni(), b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!((status_of(&r), body_of(&r)), (200, "site=def"), "T22");
    s.stop().await;
}

#[tokio::test]
async fn plain_http_on_the_tls_port_gets_a_400_page() {
    let s = s().await;
    let r = raw(
        s.addr("127.0.0.1", 0),
        None,
        b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&r), 400, "{r}");
    assert!(
        r.contains("speaking plain HTTP to an SSL-enabled server port"),
        "{r}"
    );
    s.stop().await;
}

#[tokio::test]
async fn http2_by_alpn_authority_and_coalescing() {
    let s = s().await;
    let a = s.addr("127.0.0.1", 0);
    let r = get(a, h2(Some("b.test")), "/", Some("b.test")).await;
    assert_eq!(
        (r.version, r.text()),
        (hyper::Version::HTTP_2, "site=b".into())
    );
    // A browser coalesces requests for names the presented certificate covers onto one
    // connection: shared.test shares a.test's certificate, b.test does not.
    let replies = fetch(
        a,
        h2(Some("a.test")),
        &[
            ("/", Some("a.test")),
            ("/", Some("shared.test")),
            ("/", Some("b.test")),
            ("/", Some("www.a.test")),
        ],
    )
    .await
    .expect("h2");
    let got: Vec<(u16, String)> = replies.iter().map(|r| (r.status, r.text())).collect();
    assert_eq!(got[0], (200, "site=a".into()));
    assert_eq!(got[1], (200, "site=shared".into()));
    assert_eq!(got[2].0, 421);
    assert_eq!(got[3], (200, "site=a".into()));
    let r = get(a, h2(None), "/", Some("b.test")).await;
    assert_eq!(
        r.status, 421,
        "HTTP/2 without SNI: the default vhost's handshake"
    );
    let two = s.addr("127.0.0.2", 0);
    assert_eq!(
        get(two, h2(None), "/", Some("s1.test")).await.status,
        403,
        "strict SNI over HTTP/2"
    );
    s.stop().await;
}

/// The raw SNI as openssl sends it: a trailing dot never matches (httpd), so the default
/// certificate is presented.
#[tokio::test]
async fn trailing_dot_sni_gets_the_default_certificate() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        panic!("openssl is needed for this test");
    }
    let s = s().await;
    let port = s.ports[0];
    let names = move |servername: Option<&str>| {
        let mut cmd = std::process::Command::new("openssl");
        cmd.args(["s_client", "-connect", &format!("127.0.0.1:{port}")]);
        match servername {
            Some(n) => cmd.args(["-servername", n]),
            None => cmd.arg("-noservername"),
        };
        cmd.stdin(std::process::Stdio::null());
        let out = cmd.output().expect("openssl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.trim_start().starts_with("subject="))
            .unwrap_or("")
            .to_string()
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send((names(Some("a.test.")), names(Some("a.test")), names(None)));
    });
    let (dot, plain, none) = rx.await.expect("openssl thread");
    assert!(dot.contains("default.test"), "SNI a.test. : {dot}");
    assert!(
        plain.contains("CN=a.test") || plain.contains("CN = a.test"),
        "SNI a.test : {plain}"
    );
    assert!(none.contains("default.test"), "no SNI : {none}");
    s.stop().await;
}

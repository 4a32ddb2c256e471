//! httpd's per-request decisions on a TLS address, driven through the service without sockets
//! (`common::harness`): the handshake's facts (SNI or none) against the Host, giving the site,
//! 421 for a vhost with another certificate, 400 for SNI without a Host, 403 under
//! `SSLStrictSNIVHostCheck`, and the chain's default for an unknown name.

mod common;

use bytes::Bytes;
use common::harness::{Harness, tls};
use http_body_util::Full;
use hyper::{Request, Version};

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P1} https
<VirtualHost 127.0.0.1:{P1}>
  ServerName a.test
  ServerAlias *.a.test
  DocumentRoot htdocs/a
  SSLEngine on
  SSLCertificateFile a.crt
  SSLCertificateKeyFile a.key
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName shared.test
  DocumentRoot htdocs/shared
  SSLEngine on
  SSLCertificateFile a.crt
  SSLCertificateKeyFile a.key
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName b.test
  DocumentRoot htdocs/b
  SSLEngine on
  SSLCertificateFile b.crt
  SSLCertificateKeyFile b.key
  SSLStrictSNIVHostCheck on
</VirtualHost>
";

const CERTS: &str = "a a.test *.a.test shared.test\nb b.test\n";

fn get(host: Option<&str>, version: Version) -> Request<Full<Bytes>> {
    let mut b = Request::builder().uri("/").version(version);
    if let Some(h) = host {
        b = b.header("host", h);
    }
    b.body(Full::new(Bytes::new())).expect("request")
}

#[tokio::test]
async fn the_handshake_and_the_host_decide_together() {
    let h = Harness::new(CONF, CERTS, &["a", "shared", "b"]);
    // (SNI, Host) -> (status, body when served)
    let cases: [(Option<&str>, Option<&str>, u16, &str); 8] = [
        (Some("a.test"), Some("a.test"), 200, "site=a"),
        (Some("www.a.test"), Some("www.a.test"), 200, "site=a"),
        // One certificate and one TLS setup: the connection may be reused for shared.test.
        (Some("a.test"), Some("shared.test"), 200, "site=shared"),
        // b.test has its own certificate: a connection made for a.test cannot serve it.
        (Some("a.test"), Some("b.test"), 421, ""),
        (Some("b.test"), Some("b.test"), 200, "site=b"),
        // No SNI: the chain's default (a.test's) handshake; b.test requires SNI.
        (None, Some("b.test"), 403, ""),
        (None, Some("a.test"), 200, "site=a"),
        // An unknown name gets the first vhost, as httpd does.
        (Some("other.test"), Some("other.test"), 200, "site=a"),
    ];
    for (sni, host, status, body) in cases {
        let r = h.send(get(host, Version::HTTP_11), &tls(1, sni)).await;
        assert_eq!(r.status.as_u16(), status, "SNI {sni:?}, Host {host:?}");
        if status == 200 {
            assert_eq!(r.text(), body, "SNI {sni:?}, Host {host:?}");
        }
    }
    // SNI given, but an HTTP/1.0 request without a Host: 400, as httpd's AH02031.
    let r = h
        .send(get(None, Version::HTTP_10), &tls(1, Some("a.test")))
        .await;
    assert_eq!(r.status, 400);
}

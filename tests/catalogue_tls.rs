//! The catalogue's TLS, SNI and Host rows (`spec/reliability.md` §2.C) that `serve_tls.rs`
//! does not already hold (C1-C5, C9 and plain HTTP on the TLS port live there): a malformed
//! or IP-literal SNI (C6), session resumption across vhosts (C7), `:authority` against `host`
//! over HTTP/2 (C10), a ClientHello on the plain port (C11), and old protocols and weak
//! ciphers (C12), driven with `openssl s_client`; after each, an ordinary request gets 200.

mod common;

use common::server::{TestServer, get, sni, start};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0} https
Listen 127.0.0.1:{P1}
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  DocumentRoot htdocs/a
  SSLEngine on
  SSLCertificateFile a.crt
  SSLCertificateKeyFile a.key
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName b.test
  DocumentRoot htdocs/b
  SSLEngine on
  SSLCertificateFile b.crt
  SSLCertificateKeyFile b.key
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName a.test
  DocumentRoot htdocs/a
</VirtualHost>
";

async fn setup() -> TestServer {
    start(
        CONF,
        &["127.0.0.1", "127.0.0.1"],
        "a a.test\nb b.test\n",
        &["a", "b"],
    )
    .await
}

async fn healthy(s: &TestServer) {
    let r = get(s.addr("127.0.0.1", 0), sni("a.test"), "/", Some("a.test")).await;
    assert_eq!((r.status, r.text()), (200, "site=a".to_string()));
}

/// `openssl s_client` with `args`, sending `input`; its stdout and whether it succeeded.
fn s_client(port: u16, args: &[&str], input: &str) -> (String, bool) {
    let mut child = Command::new("openssl")
        .arg("s_client")
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client (install openssl)");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().expect("openssl");
    (
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        out.status.success(),
    )
}

/// An interactive s_client over TLS 1.2 that asks for renegotiation, then sends a request.
fn renegotiate_then_get(port: u16) -> String {
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-tls1_2", "-servername", "a.test"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"R\n");
        std::thread::sleep(std::time::Duration::from_millis(800));
        let _ = stdin.write_all(get_text("a.test").as_bytes());
        std::thread::sleep(std::time::Duration::from_millis(800));
    }
    // A refused renegotiation leaves s_client waiting for a handshake that never comes.
    let _ = child.kill();
    let out = child.wait_with_output().expect("openssl");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn get_text(host: &str) -> String {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

#[tokio::test]
async fn c6_malformed_and_ip_literal_sni() {
    let s = setup().await;
    let port = s.ports[0];
    let outs = tokio::task::spawn_blocking(move || {
        ["x/.y", "127.0.0.1"]
            .map(|name| s_client(port, &["-servername", name, "-quiet"], &get_text("b.test")))
    })
    .await
    .expect("join");
    // A name that is not a DNS name is refused in the handshake (illegal_parameter).
    let (out, ok) = &outs[0];
    assert!(
        !ok || !out.contains("HTTP/1.1"),
        "a malformed SNI got an answer: {out}"
    );
    assert!(out.contains("alert illegal parameter"), "{out}");
    // An IP literal is no name at all (RFC 6066 §3): the default certificate, then Host picks
    // the vhost, and b.test's certificate is not a.test's so that is 421, never b's content.
    let (out, _) = &outs[1];
    assert!(out.contains("HTTP/1.1 421"), "{out}");
    assert!(!out.contains("site=b"), "{out}");
    healthy(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn c7_a_session_never_resumes_on_another_vhost() {
    let s = setup().await;
    let port = s.ports[0];
    let dir = tempfile::tempdir().expect("tmp");
    let sess = dir.path().join("a.sess").display().to_string();
    let verdicts = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for version in ["-tls1_2", "-tls1_3"] {
            let (out, ok) = s_client(
                port,
                &[version, "-servername", "a.test", "-sess_out", &sess],
                &get_text("a.test"),
            );
            assert!(ok, "{out}");
            for (name, host) in [("b.test", "b.test"), ("a.test", "a.test")] {
                let (out, _) = s_client(
                    port,
                    &[version, "-servername", name, "-sess_in", &sess],
                    &get_text(host),
                );
                let reused = out.lines().any(|l| l.starts_with("Reused"));
                seen.push((version, name, reused, out));
            }
        }
        seen
    })
    .await
    .expect("join");
    for (version, name, reused, out) in &verdicts {
        if *name == "b.test" {
            assert!(
                !reused,
                "{version}: a.test's session resumed for b.test:\n{out}"
            );
            assert!(!out.contains("site=a"), "{out}");
        }
    }
    // The sanity check: the same name does resume with TLS 1.2's session cache.
    assert!(
        verdicts
            .iter()
            .any(|(v, n, reused, _)| *v == "-tls1_2" && *n == "a.test" && *reused),
        "no resumption at all, so the test proves nothing"
    );
    healthy(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn c10_authority_and_host_must_agree_over_http2() {
    let s = setup().await;
    // h2c on the plain port.
    let tcp = tokio::net::TcpStream::connect(s.addr("127.0.0.1", 1))
        .await
        .expect("connect");
    disagreeing_authority_and_host(hyper_util::rt::TokioIo::new(tcp), "http").await;
    // h2 over TLS, SNI a.test.
    let config = common::server::accept_any_client(&[b"h2"]);
    let tcp = tokio::net::TcpStream::connect(s.addr("127.0.0.1", 0))
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("a.test").expect("name");
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    disagreeing_authority_and_host(hyper_util::rt::TokioIo::new(tls), "https").await;
    healthy(&s).await;
    s.stop().await;
}

/// One HTTP/2 request with `:authority` a.test and a `host` header b.test: 400, or a stream
/// error (RST_STREAM PROTOCOL_ERROR), never b's answer.
async fn disagreeing_authority_and_host<T>(io: hyper_util::rt::TokioIo<T>, scheme: &str)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    use http_body_util::BodyExt;
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .expect("h2");
    tokio::spawn(conn);
    let req = hyper::Request::get(format!("{scheme}://a.test/"))
        .header("host", "b.test")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    match send.send_request(req).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(status, 400, "{scheme}: {}", String::from_utf8_lossy(&body));
        }
        Err(e) => assert!(!e.is_closed(), "{scheme}: {e}"),
    }
}

#[tokio::test]
async fn c11_a_client_hello_on_the_plain_port() {
    let s = setup().await;
    let hello = {
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("a.test").expect("name");
        let mut c = rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("c");
        let mut out = Vec::new();
        c.write_tls(&mut out).expect("hello");
        out
    };
    let mut tcp = tokio::net::TcpStream::connect(s.addr("127.0.0.1", 1))
        .await
        .expect("connect");
    tcp.write_all(&hello).await.expect("write");
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the plain port hung on a ClientHello");
    let text = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || text.starts_with("HTTP/1.1 400"), "{text}");
    healthy(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn c12_old_protocols_and_weak_ciphers_are_refused() {
    let s = setup().await;
    let port = s.ports[0];
    let results = tokio::task::spawn_blocking(move || {
        let mut r = Vec::new();
        for args in [
            vec!["-tls1"],
            vec!["-tls1_1"],
            vec!["-tls1_2", "-cipher", "RC4:3DES:NULL:EXPORT:DES"],
            vec![
                "-tls1_2",
                "-cipher",
                "AES128-SHA:AES256-SHA:AES128-GCM-SHA256",
            ],
        ] {
            let mut full = args.clone();
            full.extend(["-servername", "a.test"]);
            let (out, ok) = s_client(port, &full, "");
            r.push((
                args.join(" "),
                ok && out.contains("Cipher is") && !out.contains("Cipher is (NONE)"),
                out,
            ));
        }
        r
    })
    .await
    .expect("join");
    for (args, negotiated, out) in results {
        assert!(!negotiated, "`openssl s_client {args}` negotiated:\n{out}");
    }
    // Client-initiated renegotiation ("R" in s_client) is refused: no second handshake, and
    // the request written after it is not answered on that connection.
    let out = tokio::task::spawn_blocking(move || renegotiate_then_get(port))
        .await
        .expect("join");
    let after = out
        .split_once("RENEGOTIATING")
        .map(|(_, a)| a.to_string())
        .unwrap_or_else(|| panic!("s_client did not try to renegotiate: {out}"));
    assert!(
        !after.contains("verify return") && !after.contains("HTTP/1.1 200"),
        "renegotiation went through: {after}"
    );
    healthy(&s).await;
    s.stop().await;
}

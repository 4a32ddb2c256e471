//! TLS sessions across a reload: a client that resumed before a reload still resumes after it
//! (one session cache shared by every configuration and generation), with `openssl s_client`;
//! and still never on another vhost's name.

mod common;

use common::server::start;
use std::io::Write;
use std::process::{Command, Stdio};
use vhostd::server::reload::{self, Outcome, Settings};

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0} https
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
";

/// One TLS 1.2 connection with `s_client` (it leaves when its input ends, before any answer:
/// only the handshake matters here); whether its session was resumed, and what it printed.
fn connect(port: u16, name: &str, sess: &str, out_or_in: &str) -> (bool, String) {
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-tls1_2", "-servername", name, out_or_in, sess])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = write!(
            stdin,
            "GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"
        );
    }
    let out = child.wait_with_output().expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (text.lines().any(|l| l.starts_with("Reused")), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_survive_a_reload_and_stay_with_their_name() {
    let s = start(CONF, &["127.0.0.1"], "a a.test\nb b.test\n", &["a", "b"]).await;
    let port = s.ports[0];
    let dir = tempfile::tempdir().expect("tmp");
    let sess = dir.path().join("a.sess").display().to_string();
    let sess2 = sess.clone();
    let before = tokio::task::spawn_blocking(move || {
        let (_, out) = connect(port, "a.test", &sess2, "-sess_out");
        assert!(out.contains("subject=CN = a.test"), "{out}");
        connect(port, "a.test", &sess2, "-sess_in")
    })
    .await
    .expect("join");
    assert!(
        before.0,
        "no resumption even without a reload:\n{}",
        before.1
    );
    let settings = Settings {
        config: "main.conf".into(),
        server_root: s.root().to_path_buf(),
        defines: Vec::new(),
        display_base: Some(s.root().to_path_buf()),
        hostname: "testhost".into(),
    };
    let out = reload::reload(&s.server, &settings, |_| {
        Err(std::io::Error::other("this reload adds no listener"))
    })
    .await;
    assert!(matches!(out, Outcome::Applied(_)), "{out:?}");
    let (after, cross) = tokio::task::spawn_blocking(move || {
        (
            connect(port, "a.test", &sess, "-sess_in"),
            connect(port, "b.test", &sess, "-sess_in"),
        )
    })
    .await
    .expect("join");
    assert!(
        after.0,
        "the session did not survive the reload:\n{}",
        after.1
    );
    assert!(
        !cross.0,
        "a.test's session resumed for b.test:\n{}",
        cross.1
    );
    s.stop().await;
}

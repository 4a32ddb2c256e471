//! The reload transaction with an injected trigger: a new vhost, a new listener, a removed
//! listener and a rotated certificate take effect; twenty broken configurations are rejected
//! with the old one still answering; clients under load see no failure across 100 reloads;
//! a stop lets in-flight work finish. (Descriptors and memory over 1,000 reloads: reload_soak.rs.)

mod common;

use common::server::{TestServer, Tls, fetch, get, sni, start};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use vhostd::plan::Listener;
use vhostd::server::reload::{self, Outcome, Settings};

const BASE: &str = common::TWO_PORTS;

fn settings(s: &TestServer) -> Settings {
    Settings {
        config: "main.conf".into(),
        server_root: s.root().to_path_buf(),
        defines: Vec::new(),
        display_base: Some(s.root().to_path_buf()),
        hostname: "testhost".into(),
    }
}

/// Sockets the test bound in advance, handed out when a reload adds their port.
#[derive(Default)]
struct Prebound(Mutex<HashMap<u16, std::net::TcpListener>>);

impl Prebound {
    fn port(&self) -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let p = l.local_addr().expect("addr").port();
        l.set_nonblocking(true).expect("nonblocking");
        self.0.lock().expect("lock").insert(p, l);
        p
    }
    fn bind(&self, l: &Listener) -> std::io::Result<tokio::net::TcpListener> {
        match self.0.lock().expect("lock").remove(&l.port) {
            Some(sock) => tokio::net::TcpListener::from_std(sock),
            None => vhostd::server::runtime::bind_one(l),
        }
    }
}

async fn base() -> TestServer {
    start(
        BASE,
        &["127.0.0.1", "127.0.0.1"],
        "a a.test b.test\n",
        &["a", "b"],
    )
    .await
}

fn write_conf(s: &TestServer, text: &str) {
    let mut t = text
        .replace("{P0}", &s.ports[0].to_string())
        .replace("{P1}", &s.ports[1].to_string());
    t = t.replace("{ROOT}", &s.root().display().to_string());
    std::fs::write(s.root().join("main.conf"), t).expect("write conf");
}

async fn do_reload(s: &TestServer, pre: &Prebound) -> Outcome {
    reload::reload(&s.server, &settings(s), |l: &Listener| pre.bind(l)).await
}

#[tokio::test]
async fn a_new_vhost_a_new_listener_a_removed_listener() {
    let s = base().await;
    let pre = Prebound::default();
    let a = s.addr("127.0.0.1", 0);
    assert_eq!(get(a, None, "/", Some("b.test")).await.text(), "site=a");
    let new_port = pre.port();
    let conf = BASE.replace(
        "Listen 127.0.0.1:{P1} https\n",
        &format!("Listen 127.0.0.1:{new_port}\n"),
    ) + "<VirtualHost 127.0.0.1:{P0}>\n  ServerName b.test\n  DocumentRoot htdocs/b\n</VirtualHost>\n"
        + &format!(
            "<VirtualHost 127.0.0.1:{new_port}>\n  ServerName n.test\n  DocumentRoot htdocs/b\n</VirtualHost>\n"
        );
    let conf = conf.replace("<VirtualHost 127.0.0.1:{P1}>\n  ServerName a.test\n  SSLEngine on\n  SSLCertificateFile a.crt\n  SSLCertificateKeyFile a.key\n  DocumentRoot htdocs/a\n</VirtualHost>\n", "");
    write_conf(&s, &conf);
    let out = do_reload(&s, &pre).await;
    assert!(
        matches!(&out, Outcome::Applied(l) if l.contains("1 kept, 1 added, 1 removed")),
        "{out:?}"
    );
    assert_eq!(
        get(a, None, "/", Some("b.test")).await.text(),
        "site=b",
        "the new vhost answers"
    );
    let n: SocketAddr = format!("127.0.0.1:{new_port}").parse().expect("addr");
    assert_eq!(
        get(n, None, "/", Some("n.test")).await.text(),
        "site=b",
        "the new listener answers"
    );
    let old_tls = s.addr("127.0.0.1", 1);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(old_tls).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the removed listener still accepts");
    s.stop().await;
}

#[tokio::test]
async fn a_certificate_rotates_only_whole_and_at_the_next_reload() {
    let s = base().await;
    let pre = Prebound::default();
    let t = s.addr("127.0.0.1", 1);
    assert_eq!(
        get(t, sni("a.test"), "/", Some("a.test")).await.cert_names,
        ["a.test", "b.test"]
    );
    let fresh = tempfile::tempdir().expect("tmp");
    common::make_certs(fresh.path(), "a a.test rotated.test\n");
    let new_crt = std::fs::read(fresh.path().join("a.crt")).expect("read");
    let new_key = std::fs::read(fresh.path().join("a.key")).expect("read");
    let old_names = || async { get(t, sni("a.test"), "/", Some("a.test")).await.cert_names };
    // G3: a certificate caught half-written, then the certificate renewed before its key:
    // each reload is rejected and the old pair keeps being presented.
    std::fs::write(s.root().join("a.crt"), &new_crt[..new_crt.len() / 2]).expect("write");
    let out = do_reload(&s, &pre).await;
    assert!(
        matches!(&out, Outcome::Rejected(w) if w.contains("a.crt")),
        "{out:?}"
    );
    assert_eq!(old_names().await, ["a.test", "b.test"]);
    std::fs::write(s.root().join("a.crt"), &new_crt).expect("write");
    let out = do_reload(&s, &pre).await;
    assert!(
        matches!(&out, Outcome::Rejected(w) if w.contains("do not match")),
        "{out:?}"
    );
    assert_eq!(old_names().await, ["a.test", "b.test"]);
    // G2: the key put in place atomically (write then rename, as certbot's deploy does);
    // nothing changes until the reload.
    std::fs::write(s.root().join("a.key.tmp"), &new_key).expect("write");
    std::fs::rename(s.root().join("a.key.tmp"), s.root().join("a.key")).expect("rename");
    assert_eq!(old_names().await, ["a.test", "b.test"]);
    assert!(matches!(do_reload(&s, &pre).await, Outcome::Applied(_)));
    assert_eq!(
        get(t, sni("a.test"), "/", Some("a.test")).await.cert_names,
        ["a.test", "rotated.test"]
    );
    s.stop().await;
}

#[tokio::test]
async fn twenty_broken_configurations_are_rejected_and_the_old_one_answers() {
    let s = base().await;
    let pre = Prebound::default();
    let a = s.addr("127.0.0.1", 0);
    std::fs::write(s.root().join("garbage.pem"), "not a certificate").expect("write");
    std::fs::write(s.root().join("loop.conf"), "Include loop.conf\n").expect("write");
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = held.local_addr().expect("addr").port();
    let vhost_a = "<VirtualHost 127.0.0.1:{P0}>\n  ServerName a.test\n  DocumentRoot htdocs/a\n</VirtualHost>\n";
    let broken: Vec<(&str, String)> = vec![
        (
            "syntax: unclosed section",
            BASE.replace(
                "</VirtualHost>\n<VirtualHost 127.0.0.1:{P1}>",
                "<VirtualHost 127.0.0.1:{P1}>",
            ),
        ),
        ("unknown directive", format!("{BASE}ServrName x\n")),
        (
            "missing certificate",
            BASE.replace("SSLCertificateFile a.crt", "SSLCertificateFile missing.crt"),
        ),
        (
            "key mismatch",
            BASE.replace("SSLCertificateFile a.crt", "SSLCertificateFile ca.crt"),
        ),
        (
            "garbage certificate",
            BASE.replace("SSLCertificateFile a.crt", "SSLCertificateFile garbage.pem"),
        ),
        (
            "duplicate Listen",
            format!("{BASE}Listen 127.0.0.1:{{P0}}\n"),
        ),
        ("include loop", format!("{BASE}Include loop.conf\n")),
        // G7: with a vhost added too, which must not be applied without its port.
        (
            "port in use",
            format!(
                "{BASE}Listen 127.0.0.1:{busy}\n<VirtualHost 127.0.0.1:{{P0}}>\n  ServerName b.test\n  DocumentRoot htdocs/b\n</VirtualHost>\n"
            ),
        ),
        ("bad port", format!("{BASE}Listen 99999\n")),
        (
            "wildcard ServerName",
            format!("{BASE}<VirtualHost *:{{P0}}>\nServerName *.a.test\n</VirtualHost>\n"),
        ),
        ("missing include", format!("{BASE}Include nowhere/*.conf\n")),
        (
            "TLS without certificate",
            BASE.replace(
                "  SSLCertificateFile a.crt\n  SSLCertificateKeyFile a.key\n",
                "",
            ),
        ),
        (
            "TLS and plain on one address",
            format!(
                "{BASE}<VirtualHost 127.0.0.1:{{P1}}>\nServerName p.test\nSSLEngine off\n</VirtualHost>\n"
            ),
        ),
        (
            "bad SSLProtocol",
            BASE.replace("SSLEngine on", "SSLEngine on\n  SSLProtocol -all"),
        ),
        (
            "unknown module",
            format!("LoadModule php_module x.so\n{BASE}"),
        ),
        (
            "bad ProxyPass",
            BASE.replace(
                "DocumentRoot htdocs/a\n</VirtualHost>\n<VirtualHost",
                "DocumentRoot htdocs/a\n  ProxyPass /x/ ftp://y/\n</VirtualHost>\n<VirtualHost",
            ),
        ),
        (
            "missing main DocumentRoot",
            format!("DocumentRoot missing/dir\n{BASE}"),
        ),
        ("bad IfDefine", format!("{BASE}<IfDefine>\n</IfDefine>\n")),
        ("no Listen", vhost_a.to_string()),
        ("unterminated quote", format!("{BASE}ServerAdmin \"x\n")),
    ];
    assert_eq!(broken.len(), 20);
    for (what, conf) in &broken {
        write_conf(&s, conf);
        let out = do_reload(&s, &pre).await;
        let Outcome::Rejected(why) = &out else {
            panic!("{what}: {out:?}");
        };
        // G1: the log says where, with the file and line of the fault.
        assert!(
            why.contains("main.conf:") || why.contains("loop.conf:"),
            "{what}: no file:line in {why}"
        );
        if *what == "port in use" {
            assert!(
                why.contains(&format!("127.0.0.1:{busy}")) && why.contains("in use"),
                "{why}"
            );
            let r = get(a, None, "/", Some("b.test")).await;
            assert_eq!(
                r.text(),
                "site=a",
                "the new vhost was applied without its port"
            );
        }
        let r = get(a, None, "/", Some("a.test")).await;
        assert_eq!(
            (r.status, r.text()),
            (200, "site=a".to_string()),
            "{what}: the old configuration answers"
        );
        let t = get(s.addr("127.0.0.1", 1), sni("a.test"), "/", Some("a.test")).await;
        assert_eq!(t.status, 200, "{what}: TLS still answers");
    }
    std::fs::remove_file(s.root().join("main.conf")).expect("rm");
    assert!(
        matches!(do_reload(&s, &pre).await, Outcome::Rejected(_)),
        "a deleted config"
    );
    std::fs::write(s.root().join("main.conf"), "").expect("write");
    assert!(
        matches!(do_reload(&s, &pre).await, Outcome::Rejected(_)),
        "an empty config"
    );
    // G8: a config that cannot be read (here a directory in its place; root ignores modes).
    std::fs::remove_file(s.root().join("main.conf")).expect("rm");
    std::fs::create_dir(s.root().join("main.conf")).expect("mkdir");
    assert!(
        matches!(do_reload(&s, &pre).await, Outcome::Rejected(_)),
        "an unreadable config"
    );
    std::fs::remove_dir(s.root().join("main.conf")).expect("rmdir");
    let r = get(a, None, "/", Some("a.test")).await;
    assert_eq!(
        (r.status, r.text()),
        (200, "site=a".to_string()),
        "after a deleted, empty and unreadable config the old one answers"
    );
    write_conf(&s, BASE);
    assert!(
        matches!(do_reload(&s, &pre).await, Outcome::Applied(_)),
        "the next good reload applies"
    );
    drop(held);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_fails_across_100_reloads() {
    let s = base().await;
    let pre = Prebound::default();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (plain, tls) = (s.addr("127.0.0.1", 0), s.addr("127.0.0.1", 1));
    let mut clients = Vec::new();
    for i in 0..4 {
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0u32, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let t = if i % 2 == 0 {
                    None
                } else {
                    Some(Tls {
                        sni: Some("a.test".into()),
                        h2: true,
                        ..Tls::default()
                    })
                };
                let addr = if i % 2 == 0 { plain } else { tls };
                let reqs = vec![("/", Some("a.test")); 20];
                match fetch(addr, t, &reqs).await {
                    Ok(replies) => {
                        for r in replies {
                            if r.status == 200 && r.text() == "site=a" {
                                ok += 1;
                            } else {
                                failed.push(format!("{} {}", r.status, r.text()));
                            }
                        }
                    }
                    Err(e) => failed.push(e),
                }
            }
            (ok, failed)
        }));
    }
    let alias = BASE.replace(
        "ServerName a.test\n  DocumentRoot",
        "ServerName a.test\n  ServerAlias x.test\n  DocumentRoot",
    );
    for i in 0..100 {
        write_conf(&s, if i % 2 == 0 { &alias } else { BASE });
        assert!(
            matches!(do_reload(&s, &pre).await, Outcome::Applied(_)),
            "reload {i}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut total, mut failures) = (0, Vec::new());
    for c in clients {
        let (ok, failed) = c.await.expect("join");
        total += ok;
        failures.extend(failed);
    }
    assert!(
        failures.is_empty(),
        "{} failed requests across 100 reloads (of {}): {:?}",
        failures.len(),
        total + failures.len() as u32,
        &failures[..failures.len().min(5)]
    );
    assert!(total > 100, "the load loop ran only {total} requests");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_lets_a_large_download_finish_and_refuses_new_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = base().await;
    let size: u64 = 64 << 20;
    std::fs::File::create(s.root().join("htdocs/a/big.bin"))
        .expect("create")
        .set_len(size)
        .expect("len");
    let a = s.addr("127.0.0.1", 0);
    let mut tcp = tokio::net::TcpStream::connect(a).await.expect("connect");
    tcp.write_all(b"GET /big.bin HTTP/1.1\r\nHost: a.test\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = tcp.read(&mut buf).await.expect("read") as u64;
    let server = s.server.clone();
    let stopping = tokio::spawn(async move { server.stop(Some(Duration::from_secs(30))).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio::net::TcpStream::connect(a).await.is_err(),
        "a stopping server accepts no new connection"
    );
    loop {
        tokio::time::sleep(Duration::from_micros(200)).await;
        let n = tcp.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    assert!(got > size, "the in-flight download was cut at {got} bytes");
    stopping.await.expect("join");
}

#[tokio::test]
async fn logs_are_reopened_on_reload_so_logrotate_works() {
    let conf = BASE.replace(
        "Listen 127.0.0.1:{P1} https\n",
        "Listen 127.0.0.1:{P1} https\nCustomLog logs/access.log common\n",
    );
    let s = start(
        &conf,
        &["127.0.0.1", "127.0.0.1"],
        "a a.test b.test\n",
        &["a"],
    )
    .await;
    let pre = Prebound::default();
    let a = s.addr("127.0.0.1", 0);
    let wait_lines = |path: std::path::PathBuf, n: usize| async move {
        for _ in 0..50 {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.lines().count() >= n {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        std::fs::read_to_string(&path).unwrap_or_default()
    };
    get(a, None, "/first", Some("a.test")).await;
    let first = wait_lines(s.root().join("logs/access.log"), 1).await;
    assert!(first.contains("\"GET /first HTTP/1.1\" 404"), "{first}");
    std::fs::rename(
        s.root().join("logs/access.log"),
        s.root().join("logs/access.log.1"),
    )
    .expect("rotate");
    write_conf(&s, &conf);
    assert!(matches!(do_reload(&s, &pre).await, Outcome::Applied(_)));
    get(a, None, "/second", Some("a.test")).await;
    let second = wait_lines(s.root().join("logs/access.log"), 1).await;
    assert!(
        second.contains("\"GET /second HTTP/1.1\" 404") && !second.contains("/first"),
        "{second}"
    );
    let rotated = std::fs::read_to_string(s.root().join("logs/access.log.1")).expect("rotated");
    assert_eq!(rotated.lines().count(), 1, "{rotated}");
    s.stop().await;
}

/// G6: a reload that removes a Listen lets a download already running on it finish, while the
/// port takes no new connection.
#[tokio::test]
async fn a_removed_listener_finishes_its_downloads() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = base().await;
    let pre = Prebound::default();
    let size: u64 = 64 << 20;
    std::fs::File::create(s.root().join("htdocs/a/big.bin"))
        .and_then(|f| f.set_len(size))
        .expect("big file");
    let a = s.addr("127.0.0.1", 0);
    let mut tcp = tokio::net::TcpStream::connect(a).await.expect("connect");
    tcp.write_all(b"GET /big.bin HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = tcp.read(&mut buf).await.expect("read") as u64;
    // The plain listener and its vhost go; the TLS one stays.
    let conf = BASE
        .replace("Listen 127.0.0.1:{P0}\n", "")
        .replace(
            "<VirtualHost 127.0.0.1:{P0}>\n  ServerName a.test\n  DocumentRoot htdocs/a\n</VirtualHost>\n",
            "",
        );
    write_conf(&s, &conf);
    let out = do_reload(&s, &pre).await;
    assert!(
        matches!(&out, Outcome::Applied(l) if l.contains("1 removed")),
        "{out:?}"
    );
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(a).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the removed listener still accepts");
    loop {
        let n = tcp.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    assert!(got > size, "the download was cut at {got} of {size} bytes");
    let t = get(s.addr("127.0.0.1", 1), sni("a.test"), "/", Some("a.test")).await;
    assert_eq!(t.status, 200, "the kept listener answers");
    s.stop().await;
}

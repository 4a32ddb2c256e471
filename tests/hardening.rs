//! Hostile clients against a real server on loopback, one test per finding of the hardening
//! issue: half-closed clients, oversized heads, slow heads, idle keep-alive, request bodies
//! over `LimitRequestBody` or stalled past `Timeout`, `<Location>` access over ProxyPass,
//! HEAD bodies over HTTP/2, X-Forwarded-For on dual-stack sockets, tunnels and the graceful
//! stop, HTTP/2 idle and rapid-reset connections, ClientHellos in two segments, and a
//! symlinked DocumentRoot repointed by a deploy.

mod common;

use common::h2frames::{frame, goaway, h2c_open};
use common::server::{TestServer, body_of, get, raw, start, status_of};
use common::upstream::{self, Upstream};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
Timeout 2
KeepAliveTimeout 1
MaxKeepAliveRequests 3
LimitRequestFields 20
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  DocumentRoot htdocs/a
  Redirect /moved http://a.test/elsewhere
  <Location /private/>
    Require all denied
  </Location>
  <Location /app/small/>
    LimitRequestBody 10
  </Location>
  ProxyPass /private/ http://127.0.0.1:{U0}/
  ProxyPass /app/ http://127.0.0.1:{U0}/ timeout=10
  ProxyPass /ws/ http://127.0.0.1:{U0}/ upgrade=websocket
  ProxyPass /dead/ http://127.0.0.1:{DEAD}/ retry=0
</VirtualHost>
";

/// The server, its upstream, and the port its `/dead/` proxy refuses on (held while it runs).
async fn setup() -> (TestServer, Upstream, upstream::DeadPort) {
    let up = upstream::start(None).await;
    let dead = upstream::DeadPort::new();
    let conf = CONF
        .replace("{U0}", &up.addr.port().to_string())
        .replace("{DEAD}", &dead.port().to_string());
    (start(&conf, &["127.0.0.1"], "", &["a"]).await, up, dead)
}

fn req(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: a.test\r\n{extra}Connection: close\r\n\r\n")
}

/// A fresh, ordinary request still works.
async fn healthy(a: SocketAddr) {
    assert_eq!(get(a, None, "/", Some("a.test")).await.status, 200);
}

/// Reads until the server closes (or `limit`), returning what came and when it closed.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Duration>) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match tokio::time::timeout_at(
            tokio::time::Instant::from_std(start + limit),
            s.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, Some(start.elapsed())),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, None),
        }
    }
}

#[tokio::test]
async fn half_closed_clients_are_answered() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    for i in 0..30 {
        let mut c = TcpStream::connect(a).await.expect("connect");
        let text = if i % 2 == 0 {
            req("/", "")
        } else {
            "GET / HTTP/1.0\r\nHost: a.test\r\n\r\n".to_string()
        };
        c.write_all(text.as_bytes()).await.expect("write");
        c.shutdown().await.expect("shutdown(SHUT_WR)");
        let (got, closed) = read_until_closed(&mut c, Duration::from_secs(5)).await;
        let got = String::from_utf8_lossy(&got);
        assert_eq!(status_of(&got), 200, "request {i}: {got:?}");
        assert!(closed.is_some(), "closed after answering");
    }
    s.stop().await;
}

#[tokio::test]
async fn heads_over_their_limits() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let big = format!("X-Big: {}\r\n", "A".repeat(70 * 1024));
    let r = raw(a, None, req("/", &big).as_bytes()).await;
    assert_eq!(
        status_of(&r),
        400,
        "a 70 KB field (LimitRequestFieldSize 8190)"
    );
    assert!(r.contains("Size of a request header field exceeds server limit"));
    let huge = format!("X-Big: {}\r\n", "A".repeat(300 * 1024));
    assert_eq!(
        status_of(&raw(a, None, req("/", &huge).as_bytes()).await),
        431
    );
    let many: String = (0..21).map(|i| format!("X-H{i}: v\r\n")).collect();
    let r = raw(a, None, req("/", &many).as_bytes()).await;
    assert_eq!(status_of(&r), 400, "LimitRequestFields 20: {r}");
    let fine: String = (0..18).map(|i| format!("X-H{i}: v\r\n")).collect();
    assert_eq!(
        status_of(&raw(a, None, req("/", &fine).as_bytes()).await),
        200
    );
    let long = format!("/{}", "a".repeat(16 * 1024));
    let r = raw(a, None, req(&long, "").as_bytes()).await;
    assert_eq!(status_of(&r), 414, "LimitRequestLine 8190");
    assert!(r.to_ascii_lowercase().contains("connection: close"));
    healthy(a).await;
    s.stop().await;
}

#[tokio::test]
async fn slow_heads_are_cut_off_at_timeout() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    // Timeout 2: a head that never ends, trickled a byte at a time (slowloris).
    let mut c = TcpStream::connect(a).await.expect("connect");
    let started = Instant::now();
    c.write_all(b"GET / HTTP/1.1\r\nHost: a.test\r\n")
        .await
        .expect("write");
    let mut cut = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if c.write_all(b"X").await.is_err() {
            cut = Some(started.elapsed());
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(1), c.read(&mut probe)).await
        {
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("the slow head was never cut off");
    assert!(cut < Duration::from_secs(4), "cut after {cut:?}");
    // A connection that sends nothing at all.
    let mut c = TcpStream::connect(a).await.expect("connect");
    let (_, closed) = read_until_closed(&mut c, Duration::from_secs(5)).await;
    let closed = closed.expect("a silent connection stays open");
    assert!(closed >= Duration::from_millis(1500), "{closed:?}");
    healthy(a).await;
    s.stop().await;
}

#[tokio::test]
async fn keep_alive_is_bounded_in_time_and_requests() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    // KeepAliveTimeout 1 (shorter than Timeout 2): an idle connection closes after ~1 s.
    let mut c = TcpStream::connect(a).await.expect("connect");
    c.write_all(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
        .await
        .expect("write");
    let (got, closed) = read_until_closed(&mut c, Duration::from_secs(5)).await;
    assert_eq!(status_of(&String::from_utf8_lossy(&got)), 200);
    let closed = closed.expect("idle keep-alive connection never closed");
    assert!(
        closed >= Duration::from_millis(800) && closed < Duration::from_millis(1900),
        "closed after {closed:?}"
    );
    // MaxKeepAliveRequests 3: the third answer says close, and the connection ends.
    let mut c = TcpStream::connect(a).await.expect("connect");
    let one = b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
    c.write_all(&one.repeat(4)).await.expect("write");
    let (got, closed) = read_until_closed(&mut c, Duration::from_secs(5)).await;
    let got = String::from_utf8_lossy(&got);
    assert_eq!(got.matches("HTTP/1.1 200").count(), 3, "{got}");
    assert!(closed.is_some_and(|d| d < Duration::from_millis(800)));
    assert!(got.to_ascii_lowercase().contains("connection: close"));
    s.stop().await;
}

#[tokio::test]
async fn location_access_control_stops_the_proxy() {
    let (s, up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let r = raw(a, None, req("/private/x", "").as_bytes()).await;
    assert_eq!(status_of(&r), 403, "{r}");
    assert_eq!(
        up.seen.connections.load(Ordering::SeqCst),
        0,
        "backend contacted"
    );
    let r = raw(a, None, req("/app/x", "").as_bytes()).await;
    assert_eq!(status_of(&r), 200, "{r}");
    s.stop().await;
}

#[tokio::test]
async fn request_bodies_are_bounded() {
    let (s, up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let post = |path: &str, extra: &str, body: &str| {
        format!("POST {path} HTTP/1.1\r\nHost: a.test\r\n{extra}Connection: close\r\n\r\n{body}")
    };
    // Declared too large: 413 before any byte is read or forwarded.
    let r = raw(
        a,
        None,
        post("/app/small/x", "Content-Length: 100\r\n", "").as_bytes(),
    )
    .await;
    assert_eq!(status_of(&r), 413, "{r}");
    assert_eq!(up.seen.connections.load(Ordering::SeqCst), 0);
    // Chunked past the limit.
    let chunk = format!("64\r\n{}\r\n0\r\n\r\n", "x".repeat(100));
    let te = "Transfer-Encoding: chunked\r\n";
    let r = raw(a, None, post("/app/small/x", te, &chunk).as_bytes()).await;
    assert_eq!(status_of(&r), 413, "{r}");
    let r = raw(
        a,
        None,
        post("/app/small/x", te, "5\r\nhello\r\n0\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status_of(&r), 200, "within the limit: {r}");
    assert!(body_of(&r).contains("body-bytes: 5"), "{r}");
    // Stalled: Timeout 2 between reads, then 408.
    let mut c = TcpStream::connect(a).await.expect("connect");
    c.write_all(post("/app/x", "Content-Length: 100\r\n", "0123456789").as_bytes())
        .await
        .expect("write");
    let (got, closed) = read_until_closed(&mut c, Duration::from_secs(6)).await;
    let got = String::from_utf8_lossy(&got);
    assert_eq!(status_of(&got), 408, "{got}");
    assert!(
        closed.is_some_and(|d| d < Duration::from_secs(4)),
        "{closed:?}"
    );
    healthy(a).await;
    s.stop().await;
}

/// One HTTP/2 (h2c) request by hyper's client: status, body.
async fn h2(a: SocketAddr, method: &str, path: &str) -> (u16, Vec<u8>) {
    use http_body_util::BodyExt;
    let tcp = TcpStream::connect(a).await.expect("connect");
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("http://a.test{path}"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    let resp = send.send_request(req).await.expect("response");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, body.to_vec())
}

#[tokio::test]
async fn head_over_http2_never_has_a_body() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    for (path, status) in [("/moved", 302), ("/nothing-here", 404), ("/dead/", 503)] {
        let (got, body) = h2(a, "GET", path).await;
        assert_eq!(got, status, "GET {path}");
        assert!(!body.is_empty(), "GET {path} has a page");
        let (got, body) = h2(a, "HEAD", path).await;
        assert_eq!(got, status, "HEAD {path}");
        assert!(body.is_empty(), "HEAD {path} sent {} bytes", body.len());
    }
    s.stop().await;
}

#[tokio::test]
async fn forwarded_for_names_the_ipv4_client_on_a_dual_stack_socket() {
    let up = upstream::start(None).await;
    let conf = "ServerName main.test\nListen {P0}\n<VirtualHost *:{P0}>\n  ServerName a.test\n  \
                DocumentRoot htdocs/a\n  ProxyPass /app/ http://127.0.0.1:{U0}/\n</VirtualHost>\n"
        .replace("{U0}", &up.addr.port().to_string());
    let s = start(&conf, &["::"], "", &["a"]).await;
    let a = s.addr("127.0.0.1", 0);
    let r = raw(a, None, req("/app/x", "").as_bytes()).await;
    assert_eq!(status_of(&r), 200, "{r}");
    assert!(body_of(&r).contains("x-forwarded-for: 127.0.0.1\n"), "{r}");
    s.stop().await;
}

#[tokio::test]
async fn a_graceful_stop_waits_for_open_tunnels() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let mut c = TcpStream::connect(a).await.expect("connect");
    c.write_all(
        b"GET /ws/ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    )
    .await
    .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = c.read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 101"));
    let server = s.server.clone();
    let stopping = tokio::spawn(async move { server.stop(Some(Duration::from_secs(10))).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !stopping.is_finished(),
        "the stop did not wait for the tunnel"
    );
    c.write_all(b"still here").await.expect("write");
    let n = c.read(&mut buf).await.expect("read");
    assert_eq!(&buf[..n], b"still here");
    drop(c);
    tokio::time::timeout(Duration::from_secs(3), stopping)
        .await
        .expect("the stop ends once the tunnel closes")
        .expect("join");
}

#[tokio::test]
async fn http2_idle_connections_get_goaway() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let mut c = TcpStream::connect(a).await.expect("connect");
    let hpack = b"\x82\x86\x84\x01\x06a.test"; // GET http / :authority a.test
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(frame(4, 0, 0, b""));
    out.extend(frame(1, 0x5, 1, hpack));
    c.write_all(&out).await.expect("write");
    let started = Instant::now();
    assert_eq!(
        goaway(&mut c, Duration::from_secs(5)).await,
        Some(0),
        "NO_ERROR"
    );
    let t = started.elapsed();
    assert!(
        t >= Duration::from_millis(800) && t < Duration::from_secs(3),
        "{t:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn http2_rapid_reset_gets_goaway() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let mut c = TcpStream::connect(a).await.expect("connect");
    let hpack = b"\x82\x86\x84\x01\x06a.test";
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(frame(4, 0, 0, b""));
    c.write_all(&out).await.expect("write");
    let mut sent = 0;
    'flood: for batch in 0..100u32 {
        let mut buf = Vec::new();
        for i in 0..100u32 {
            let id = 2 * (batch * 100 + i) + 1;
            buf.extend(frame(1, 0x5, id, hpack));
            buf.extend(frame(3, 0, id, &8u32.to_be_bytes()));
        }
        if c.write_all(&buf).await.is_err() {
            break 'flood;
        }
        sent += 100;
    }
    let code = goaway(&mut c, Duration::from_secs(5)).await;
    assert!(
        code.is_some_and(|c| c == 0xb || c == 0x1),
        "no GOAWAY (ENHANCE_YOUR_CALM / PROTOCOL_ERROR) after {sent} resets: {code:?}"
    );
    healthy(a).await;
    s.stop().await;
}

#[tokio::test]
async fn a_client_hello_in_two_segments_is_served() {
    let s = start(
        "ServerName main.test\nListen 127.0.0.1:{P0} https\n<VirtualHost 127.0.0.1:{P0}>\n  \
         ServerName a.test\n  DocumentRoot htdocs/a\n  SSLEngine on\n  SSLCertificateFile a.crt\n  \
         SSLCertificateKeyFile a.key\n</VirtualHost>\n",
        &["127.0.0.1"],
        "a a.test\n",
        &["a"],
    )
    .await;
    let a = s.addr("127.0.0.1", 0);
    let reply = tokio::task::spawn_blocking(move || split_hello_request(a))
        .await
        .expect("join");
    assert_eq!(status_of(&reply), 200, "{reply}");
    assert!(body_of(&reply).contains("site=a"), "{reply}");
    s.stop().await;
}

/// A TLS 1.3 client whose ClientHello goes out in two TCP segments 50 ms apart.
fn split_hello_request(a: SocketAddr) -> String {
    use std::io::{Read, Write};
    let config = common::server::accept_any_client(&[]);
    let name = rustls::pki_types::ServerName::try_from("a.test").expect("name");
    let mut tls = rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("tls");
    let mut tcp = std::net::TcpStream::connect(a).expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let mut hello = Vec::new();
    tls.write_tls(&mut hello).expect("hello");
    let half = hello.len() / 2;
    tcp.write_all(&hello[..half]).expect("first half");
    std::thread::sleep(Duration::from_millis(50));
    tcp.write_all(&hello[half..]).expect("second half");
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_repointed_document_root_symlink_is_followed_without_a_reload() {
    let dir = tempfile::tempdir().expect("tmp");
    let releases = dir.path().join("releases");
    for n in ["1", "2"] {
        std::fs::create_dir_all(releases.join(n)).expect("mkdir");
        std::fs::write(releases.join(n).join("v.txt"), n).expect("write");
    }
    let current = dir.path().join("current");
    std::os::unix::fs::symlink(releases.join("1"), &current).expect("symlink");
    let conf = format!(
        "ServerName main.test\nListen 127.0.0.1:{{P0}}\n<VirtualHost 127.0.0.1:{{P0}}>\n  \
         ServerName a.test\n  DocumentRoot {}\n  Options -FollowSymLinks\n</VirtualHost>\n",
        current.display()
    );
    let s = start(&conf, &["127.0.0.1"], "", &[]).await;
    let a = s.addr("127.0.0.1", 0);
    assert_eq!(get(a, None, "/v.txt", Some("a.test")).await.text(), "1");
    let next = dir.path().join("next");
    std::os::unix::fs::symlink(releases.join("2"), &next).expect("symlink");
    std::fs::rename(&next, &current).expect("repoint");
    let r = get(a, None, "/v.txt", Some("a.test")).await;
    assert_eq!((r.status, r.text()), (200, "2".to_string()));
    s.stop().await;
}

#[tokio::test]
async fn http2_made_you_reset_gets_goaway() {
    // CVE-2025-8671: valid requests, each followed by a frame the server must reset the
    // stream for (WINDOW_UPDATE of 0); the server's own resets are bounded too.
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let mut c = h2c_open(a).await;
    let hpack = b"\x82\x86\x84\x01\x06a.test";
    let mut buf = Vec::new();
    for i in 0..2000u32 {
        let id = 2 * i + 1;
        buf.extend(frame(1, 0x4, id, hpack)); // END_HEADERS, stream stays open
        buf.extend(frame(8, 0, id, &0u32.to_be_bytes()));
    }
    let _ = c.write_all(&buf).await;
    let code = goaway(&mut c, Duration::from_secs(5)).await;
    assert!(
        code.is_some_and(|c| c != 0),
        "no GOAWAY with an error: {code:?}"
    );
    healthy(a).await;
    s.stop().await;
}

#[tokio::test]
async fn http2_continuation_flood_is_cut_off() {
    // CVE-2024-27316: a header block that never ends.
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let mut c = h2c_open(a).await;
    let mut first = b"\x82\x86\x84\x01\x06a.test".to_vec();
    // Literal header fields without indexing: "x-f: <16 KiB>" repeated in CONTINUATIONs.
    let mut field = vec![0x00, 0x03];
    field.extend(b"x-f");
    field.extend([0x7f, 0x81, 0x7f]); // value length 127 + 16257 = 16384
    field.extend(vec![b'v'; 16384]);
    first.extend(&field);
    let _ = c.write_all(&frame(1, 0, 1, &first)).await;
    let mut sent = first.len();
    let mut cut = false;
    while sent < 4 << 20 {
        if c.write_all(&frame(9, 0, 1, &field)).await.is_err() {
            cut = true;
            break;
        }
        sent += field.len();
    }
    let code = goaway(&mut c, Duration::from_secs(3)).await;
    assert!(
        cut || code.is_some(),
        "4 MiB of header block taken without a GOAWAY or a close"
    );
    healthy(a).await;
    s.stop().await;
}

#[tokio::test]
async fn http2_ping_flood_keeps_memory_flat() {
    let (s, _up, _dead) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let before = common::rss_kib();
    let mut c = h2c_open(a).await;
    let ping = frame(6, 0, 0, &[7u8; 8]);
    let batch = ping.repeat(4096);
    // 400k PINGs, and their PONGs are never read.
    for _ in 0..100 {
        if tokio::time::timeout(Duration::from_secs(2), c.write_all(&batch))
            .await
            .map_or(true, |r| r.is_err())
        {
            break;
        }
    }
    let grown = common::rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "RSS grew {grown} KiB under a PING flood");
    healthy(a).await;
    drop(c);
    s.stop().await;
}

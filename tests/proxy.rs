//! The reverse proxy on real sockets with in-process upstreams: mapping (`!`, trailing slashes,
//! `<Location>`, noquery), headers (Host, X-Forwarded-*, hop-by-hop both ways,
//! ProxyPassReverse), failures (503, 502, 504), streaming (HEAD, chunked and 100 MiB uploads,
//! cancellation), pooling, parallel slow calls, HTTP/2 clients, TLS upstreams, WebSocket, and
//! no forward proxying.

mod common;

use common::{get_req, header, rss_kib};

use common::server::{TestServer, Tls, body_of, fetch, get, raw, sni, start, status_of};
use common::upstream::{self, Upstream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1} https
<VirtualHost 127.0.0.1:{P0}>
  ServerName front.test
  DocumentRoot htdocs/front
  ProxyPass /app/static !
  ProxyPass /app/ http://127.0.0.1:{U0}/ timeout=5
  ProxyPassReverse /app/ http://127.0.0.1:{U0}/
  ProxyPass /dead/ http://127.0.0.1:{DEAD}/ retry=0
  ProxyPass /bad/ http://127.0.0.1:{GARBAGE}/
  ProxyPass /short/ http://127.0.0.1:{U0}/ timeout=1
  ProxyPass /nq/ http://127.0.0.1:{U0}/ noquery
  ProxyPass /one/ http://127.0.0.1:{U0}/ max=1 timeout=5
  ProxyPass /ws/ http://127.0.0.1:{U0}/ upgrade=websocket
  ProxyPass /tls/ https://localhost:{UT}/
  SSLProxyEngine on
  SSLProxyCACertificateFile {UCA}
  <Location /loc>
    ProxyPass http://127.0.0.1:{U0}/echo
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName keep.test
  DocumentRoot htdocs/front
  ProxyPreserveHost On
  ProxyAddHeaders Off
  ProxyPass /tls/ https://localhost:{UT}/
  ProxyPass / http://127.0.0.1:{U0}/
  SSLProxyEngine on
  SSLProxyCACertificateFile {UCA}
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName nossl.test
  DocumentRoot htdocs/front
  ProxyPass /tls/ https://localhost:{UT}/
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName front.test
  DocumentRoot htdocs/front
  SSLEngine on
  SSLCertificateFile front.crt
  SSLCertificateKeyFile front.key
  ProxyPass /app/ http://127.0.0.1:{U0}/
</VirtualHost>
";

struct Setup {
    front: TestServer,
    up: Upstream,
    tls_up: Upstream,
    _certs: tempfile::TempDir,
    _dead: upstream::DeadPort,
}

async fn setup() -> Setup {
    let certs = tempfile::tempdir().expect("tmp");
    common::make_certs(certs.path(), "upstream localhost keep.test\n");
    let up = upstream::start(None).await;
    let tls_up = upstream::start(Some(upstream::tls_config(certs.path(), "upstream"))).await;
    let dead = upstream::DeadPort::new();
    let garbage = upstream::garbage().await;
    let conf = CONF
        .replace("{U0}", &up.addr.port().to_string())
        .replace("{UT}", &tls_up.addr.port().to_string())
        .replace("{UCA}", &certs.path().join("ca.crt").display().to_string())
        .replace("{DEAD}", &dead.port().to_string())
        .replace("{GARBAGE}", &garbage.port().to_string());
    let front = start(
        &conf,
        &["127.0.0.1", "127.0.0.1"],
        "front front.test\n",
        &["front"],
    )
    .await;
    Setup {
        front,
        up,
        tls_up,
        _certs: certs,
        _dead: dead,
    }
}

#[tokio::test]
async fn maps_and_forwards_with_headers() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    let port = s.up.addr.port();
    let r = raw(
        a,
        None,
        get_req(
            "/app/x?q=1",
            "front.test:8080",
            "X-Forwarded-For: 10.9.8.7\r\n",
        )
        .as_bytes(),
    )
    .await;
    let body = body_of(&r);
    assert_eq!(status_of(&r), 200, "{r}");
    assert!(body.starts_with("GET /x?q=1\n"), "{body}");
    assert!(
        body.contains(&format!("host: 127.0.0.1:{port}\n")),
        "{body}"
    );
    assert!(
        body.contains("x-forwarded-for: 10.9.8.7, 127.0.0.1\n"),
        "{body}"
    );
    assert!(
        body.contains("x-forwarded-host: front.test:8080\n"),
        "{body}"
    );
    assert!(body.contains("x-forwarded-server: front.test\n"), "{body}");
    assert_eq!(
        status_of(&raw(a, None, get_req("/app", "front.test", "").as_bytes()).await),
        404,
        "/app does not match /app/"
    );
    assert_eq!(
        status_of(
            &raw(
                a,
                None,
                get_req("/app/static/f", "front.test", "").as_bytes()
            )
            .await
        ),
        404,
        "excluded: served locally"
    );
    let r = raw(a, None, get_req("/nq/x?q=1", "front.test", "").as_bytes()).await;
    assert!(body_of(&r).starts_with("GET /x\n"), "noquery: {r}");
    let r = raw(a, None, get_req("/loc?z=2", "front.test", "").as_bytes()).await;
    assert!(
        body_of(&r).starts_with("GET /echo?z=2\n"),
        "<Location> ProxyPass: {r}"
    );
    let r = raw(
        a,
        None,
        get_req("/app/../app/x", "front.test", "").as_bytes(),
    )
    .await;
    assert!(
        body_of(&r).starts_with("GET /x\n"),
        "matched on the normalised path: {r}"
    );
    let r = raw(
        a,
        None,
        get_req("/app/../secret", "front.test", "").as_bytes(),
    )
    .await;
    assert_eq!(
        status_of(&r),
        404,
        "`..` cannot step out of a ProxyPass prefix: {r}"
    );
    s.front.stop().await;
}

#[tokio::test]
async fn preserve_host_and_no_added_headers() {
    let s = setup().await;
    let r = raw(
        s.front.addr("127.0.0.1", 0),
        None,
        get_req("/p", "Keep.Test:1234", "").as_bytes(),
    )
    .await;
    let body = body_of(&r);
    assert!(
        body.contains("host: Keep.Test:1234\n"),
        "byte for byte: {body}"
    );
    assert!(!body.contains("x-forwarded"), "{body}");
    s.front.stop().await;
}

#[tokio::test]
async fn hop_by_hop_both_ways_and_location_rewrite() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    let r = raw(a, None, get_req("/app/h", "front.test", "Connection: X-Secret\r\nX-Secret: 1\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\n").as_bytes()).await;
    let body = body_of(&r);
    assert!(
        !body.contains("x-secret")
            && !body.contains("te: ")
            && !body.contains("proxy-authorization"),
        "{body}"
    );
    let r = raw(
        a,
        None,
        get_req("/app/redirect", "front.test:9000", "").as_bytes(),
    )
    .await;
    assert_eq!(status_of(&r), 302);
    assert_eq!(
        header(&r, "location"),
        Some("http://front.test:9000/app/landed"),
        "{r}"
    );
    assert!(
        header(&r, "x-up").is_none() && header(&r, "keep-alive").is_none(),
        "{r}"
    );
    s.front.stop().await;
}

#[tokio::test]
async fn failures_as_httpd_answers_them() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    assert_eq!(
        status_of(&raw(a, None, get_req("/dead/", "front.test", "").as_bytes()).await),
        503
    );
    assert_eq!(
        status_of(&raw(a, None, get_req("/bad/", "front.test", "").as_bytes()).await),
        502
    );
    let t = Instant::now();
    assert_eq!(
        status_of(
            &raw(
                a,
                None,
                get_req("/short/slower", "front.test", "").as_bytes()
            )
            .await
        ),
        504
    );
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "timeout=1 answered after {:?}",
        t.elapsed()
    );
    assert_eq!(
        status_of(&raw(a, None, get_req("/tls/x", "nossl.test", "").as_bytes()).await),
        500,
        "https upstream without SSLProxyEngine"
    );
    s.front.stop().await;
}

#[tokio::test]
async fn head_and_chunked_upload() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    let r = raw(
        a,
        None,
        b"HEAD /app/x HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((status_of(&r), body_of(&r)), (200, ""));
    let chunked = b"POST /app/up HTTP/1.1\r\nHost: front.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let r = raw(a, None, chunked).await;
    assert!(
        body_of(&r).starts_with("POST /up\n") && body_of(&r).contains("body-bytes: 11\n"),
        "{r}"
    );
    s.front.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_calls_run_in_parallel_and_connections_are_reused() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    let t = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(async move { get(a, None, "/app/slow", Some("front.test")).await.text() })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.expect("join"), "slow");
    }
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "20 one-second calls took {:?}",
        t.elapsed()
    );
    let before = s.up.seen.connections.load(Ordering::SeqCst);
    let reqs: Vec<(&str, Option<&str>)> =
        (0..1000).map(|_| ("/app/r", Some("front.test"))).collect();
    for (i, chunk) in reqs.chunks(100).enumerate() {
        let replies = fetch(a, None, chunk)
            .await
            .unwrap_or_else(|e| panic!("batch {i}: {e:?}"));
        assert!(replies.iter().all(|r| r.status == 200));
    }
    let used = s.up.seen.connections.load(Ordering::SeqCst) - before;
    assert!(
        used <= 4,
        "1000 sequential requests opened {used} upstream connections"
    );
    s.front.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_upload_streams_through() {
    let s = setup().await;
    let mut tcp = tokio::net::TcpStream::connect(s.front.addr("127.0.0.1", 0))
        .await
        .expect("connect");
    let size: usize = 100 << 20;
    tcp.write_all(format!("PUT /app/upload HTTP/1.1\r\nHost: front.test\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n").as_bytes()).await.expect("write");
    let chunk = vec![b'u'; 256 * 1024];
    let mut sent = 0;
    let (mut base, mut peak) = (0u64, 0u64);
    while sent < size {
        tcp.write_all(&chunk).await.expect("write");
        sent += chunk.len();
        if base == 0 && sent >= 16 << 20 {
            base = rss_kib();
            peak = base;
        } else if base != 0 && (sent / chunk.len()).is_multiple_of(16) {
            peak = peak.max(rss_kib());
        }
    }
    let mut out = String::new();
    tcp.read_to_string(&mut out).await.expect("read");
    assert!(
        out.contains(&format!("body-bytes: {size}\n")),
        "{}",
        &out[..out.len().min(400)]
    );
    let growth = peak.saturating_sub(base) / 1024;
    assert!(
        growth < 20,
        "RSS grew by {growth} MiB during a 100 MiB upload"
    );
    // And a 100 MiB download the other way.
    let r = get(
        s.front.addr("127.0.0.1", 0),
        None,
        "/app/huge",
        Some("front.test"),
    )
    .await;
    assert_eq!(r.body.len(), 1600 * 64 * 1024);
    assert!(r.body.iter().all(|b| *b == b'z'));
    s.front.stop().await;
}

#[tokio::test]
async fn http2_clients_reach_http1_upstreams() {
    let s = setup().await;
    let t = Some(Tls {
        sni: Some("front.test".into()),
        h2: true,
        ..Tls::default()
    });
    let r = get(
        s.front.addr("127.0.0.1", 1),
        t,
        "/app/h2?x=1",
        Some("front.test"),
    )
    .await;
    assert_eq!((r.version, r.status), (hyper::Version::HTTP_2, 200));
    assert!(r.text().starts_with("GET /h2?x=1\n"), "{}", r.text());
    let r = get(
        s.front.addr("127.0.0.1", 1),
        sni("front.test"),
        "/app/h1",
        Some("front.test"),
    )
    .await;
    assert!(r.text().starts_with("GET /h1\n"));
    s.front.stop().await;
}

#[tokio::test]
async fn tls_upstreams_verify_and_send_sni() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    let r = get(a, None, "/tls/secure", Some("front.test")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().starts_with("GET /secure\n"));
    assert_eq!(
        s.tls_up.seen.sni.lock().expect("lock").as_deref(),
        Some("localhost"),
        "SNI is the upstream's host"
    );
    let r = get(a, None, "/tls/kept", Some("keep.test")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        s.tls_up.seen.sni.lock().expect("lock").as_deref(),
        Some("keep.test"),
        "ProxyPreserveHost: SNI is the client's Host"
    );
    s.front.stop().await;
}

#[tokio::test]
async fn websocket_is_tunnelled_both_ways() {
    let s = setup().await;
    let mut tcp = tokio::net::TcpStream::connect(s.front.addr("127.0.0.1", 0))
        .await
        .expect("connect");
    tcp.write_all(b"GET /ws/ws HTTP/1.1\r\nHost: front.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.expect("read");
    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    for msg in [&b"hello"[..], b"second frame"] {
        tcp.write_all(msg).await.expect("write");
        let n = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut buf))
            .await
            .expect("echo in time")
            .expect("read");
        assert_eq!(&buf[..n], msg);
    }
    s.front.stop().await;
}

#[tokio::test]
async fn never_a_forward_proxy() {
    let s = setup().await;
    let r = raw(
        s.front.addr("127.0.0.1", 0),
        None,
        b"GET http://example.com/app/x HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    let body = body_of(&r);
    assert!(body.starts_with("GET /x\n"), "{r}");
    assert!(
        body.contains(&format!("host: 127.0.0.1:{}\n", s.up.addr.port())),
        "the configured upstream, never example.com: {body}"
    );
    let r = raw(s.front.addr("127.0.0.1", 0), None, b"GET http://example.com/elsewhere HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status_of(&r), 404, "no ProxyPass: served locally");
    s.front.stop().await;
}

#[tokio::test]
async fn a_client_that_leaves_cancels_the_upstream_request() {
    let s = setup().await;
    let mut tcp = tokio::net::TcpStream::connect(s.front.addr("127.0.0.1", 0))
        .await
        .expect("connect");
    tcp.write_all(get_req("/app/trickle", "front.test", "").as_bytes())
        .await
        .expect("write");
    let mut buf = vec![0u8; 1024];
    let _ = tcp.read(&mut buf).await.expect("read");
    drop(tcp);
    for _ in 0..50 {
        if s.up.seen.cancelled.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        s.up.seen.cancelled.load(Ordering::SeqCst),
        "the upstream stream was not cancelled"
    );
    s.front.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_lets_in_flight_proxied_requests_finish() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    let calls: Vec<_> = (0..5)
        .map(|_| {
            tokio::spawn(async move { fetch(a, None, &[("/app/slow", Some("front.test"))]).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = s.front.server.clone();
    let stopping = tokio::spawn(async move { server.stop(Some(Duration::from_secs(10))).await });
    for c in calls {
        let r = c
            .await
            .expect("join")
            .expect("the proxied request finished");
        assert_eq!((r[0].status, r[0].text()), (200, "slow".to_string()));
    }
    stopping.await.expect("join");
    assert!(tokio::net::TcpStream::connect(a).await.is_err(), "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_limits_concurrent_requests_to_an_upstream() {
    let s = setup().await;
    let a = s.front.addr("127.0.0.1", 0);
    let t = Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|_| {
            tokio::spawn(async move { get(a, None, "/one/slow", Some("front.test")).await.status })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.expect("join"), 200);
    }
    assert!(
        t.elapsed() >= Duration::from_millis(2900),
        "max=1 let calls overlap: {:?}",
        t.elapsed()
    );
    s.front.stop().await;
}

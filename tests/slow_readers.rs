//! A client that asks for a large file and then stops reading (catalogue D4, the slow-read
//! attack's limit case): once the server's sends have made no progress for `Timeout`, the
//! connection is closed, over HTTP/1.1 and over TLS, and other clients are served meanwhile.

mod common;

use common::server::{get, sni, start};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SIZE: u64 = 64 << 20;

/// Reads whatever is left: the bytes, and whether the stream ended (EOF or reset) rather
/// than the whole file arriving.
async fn drain<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> (u64, bool) {
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0u64;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got += n as u64,
            Err(_) => return (got, false),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_at_timeout() {
    let conf = common::TWO_PORTS.replacen(
        "ServerName main.test\n",
        "ServerName main.test\nTimeout 2\n",
        1,
    );
    let s = start(&conf, &["127.0.0.1", "127.0.0.1"], "a a.test\n", &["a"]).await;
    std::fs::File::create(s.root().join("htdocs/a/big.bin"))
        .and_then(|f| f.set_len(SIZE))
        .expect("big file");
    let request = b"GET /big.bin HTTP/1.1\r\nHost: a.test\r\n\r\n";

    // Plain HTTP/1.1.
    let mut plain = tokio::net::TcpStream::connect(s.addr("127.0.0.1", 0))
        .await
        .expect("connect");
    plain.write_all(request).await.expect("write");
    // Over TLS (the same deadline applies beneath the TLS layer).
    let config = common::server::accept_any_client(&[]);
    let tcp = tokio::net::TcpStream::connect(s.addr("127.0.0.1", 1))
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("a.test").expect("name");
    let mut tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("handshake");
    tls.write_all(request).await.expect("write");
    tls.flush().await.expect("flush");

    // Neither reads; meanwhile another client is served at once.
    let t0 = Instant::now();
    let r = get(s.addr("127.0.0.1", 1), sni("a.test"), "/", Some("a.test")).await;
    assert_eq!(
        (r.status, r.text()),
        (200, "site=a".to_string()),
        "an ordinary request while two downloads are stuck"
    );
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    // Timeout 2 plus a margin: both connections have been closed by now.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (got, ended) = drain(&mut plain).await;
    assert!(
        ended && got < SIZE,
        "plain: {got} of {SIZE} bytes, ended {ended}"
    );
    let (got, ended) = drain(&mut tls).await;
    assert!(
        ended && got < SIZE,
        "TLS: {got} of {SIZE} bytes, ended {ended}"
    );
    s.stop().await;
}

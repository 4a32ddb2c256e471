//! HTTP/2 during a graceful stop (catalogue G9): a connection with a download in progress gets
//! GOAWAY naming the last stream the server took, that stream's data runs to its end, and a
//! stream opened after the GOAWAY is not served.

mod common;

use common::h2frames::{Reader, frame, h2c_open};
use common::server::start;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  DocumentRoot htdocs/a
</VirtualHost>
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_sends_goaway_and_finishes_the_streams_it_took() {
    let s = start(CONF, &["127.0.0.1"], "", &["a"]).await;
    let size: usize = 8 << 20;
    std::fs::File::create(s.root().join("htdocs/a/big.bin"))
        .and_then(|f| f.set_len(size as u64))
        .expect("big file");
    let mut c = h2c_open(s.addr("127.0.0.1", 0)).await;
    // A large window so the download is bounded by the stop, not by flow control.
    let mut out = frame(4, 0, 0, &[0, 4, 0x7f, 0xff, 0xff, 0xff]);
    out.extend(frame(8, 0, 0, &(0x7fff_ffffu32 - 65_535).to_be_bytes()));
    // GET /big.bin, http, :authority a.test (HPACK: indexed method and scheme, literal path).
    let mut hpack = b"\x82\x86\x04\x08/big.bin".to_vec();
    hpack.extend(b"\x01\x06a.test");
    out.extend(frame(1, 0x5, 1, &hpack));
    c.write_all(&out).await.expect("write");

    let mut r = Reader::new();
    let mut data = 0usize;
    // Wait for the download to start, then stop the server.
    while data == 0 {
        let f = r
            .next(&mut c, Duration::from_secs(5))
            .await
            .expect("a frame");
        if f.kind == 0 && f.stream == 1 {
            data += f.payload.len();
        }
    }
    let server = s.server.clone();
    let stopping = tokio::spawn(async move { server.stop(Some(Duration::from_secs(20))).await });
    let (mut last_stream, mut ended) = (None, false);
    while let Some(f) = r.next(&mut c, Duration::from_secs(10)).await {
        match (f.kind, f.stream) {
            (7, 0) if f.payload.len() >= 8 => {
                let p = &f.payload;
                let last = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff;
                // A graceful GOAWAY may first name the highest id, then the real last one;
                // once it names 1, a stream 3 opened now must not be served.
                if last == 1 && last_stream != Some(1) {
                    let _ = c.write_all(&frame(1, 0x5, 3, &hpack)).await;
                }
                last_stream = Some(last);
            }
            (0, 1) => {
                data += f.payload.len();
                if f.flags & 0x1 != 0 {
                    ended = true;
                }
            }
            // As every client does: a PING is answered (the graceful GOAWAY waits for it).
            (6, 0) if f.flags & 0x1 == 0 => {
                let _ = c.write_all(&frame(6, 0x1, 0, &f.payload)).await;
            }
            (1, 3) => panic!("stream 3, opened after the GOAWAY, got a response"),
            _ => {}
        }
    }
    assert_eq!(last_stream, Some(1), "GOAWAY names the stream in flight");
    assert!(ended, "stream 1 ended early, after {data} of {size} bytes");
    assert_eq!(data, size);
    stopping.await.expect("join");
}

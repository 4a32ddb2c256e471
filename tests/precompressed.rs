//! `Precompressed br gzip`: a file's `.br`/`.gz` sibling is sent to clients that accept its
//! coding (server's order of preference, `q=0` respected), with Vary, its own ETag, ranges
//! over the coded bytes; a stale sibling, a file with its own coding, a section with
//! `Precompressed off` and clients that accept neither get the file as it is; siblings added
//! or removed later are seen at once, cached or not. Driven through the service without
//! sockets (`common::harness`), and once by curl on a real socket.

mod common;

use common::harness::{Answer, Harness};
use common::write;
use std::time::Duration;

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName pre.test
  DocumentRoot htdocs/pre
  Precompressed br gzip
  AddEncoding x-gzip .tgz
  <Directory htdocs/pre/plain>
    Precompressed off
  </Directory>
</VirtualHost>
";

async fn get(h: &Harness, path: &str, accept: &str) -> Answer {
    let headers: &[(&str, &str)] = if accept.is_empty() {
        &[]
    } else {
        &[("accept-encoding", accept)]
    };
    h.call("GET", path, "pre.test", headers).await
}

fn coded(a: &Answer) -> (u16, String, Option<&str>, Option<&str>) {
    (
        a.status.as_u16(),
        a.text(),
        a.header("content-encoding"),
        a.header("vary"),
    )
}

/// A site with `app.js` and both siblings, written a little after it.
fn site() -> Harness {
    let h = Harness::new(CONF, "", &["pre"]);
    let docs = h.root().join("htdocs/pre");
    write(&docs, "app.js", b"plain javascript");
    std::thread::sleep(Duration::from_millis(20));
    write(&docs, "app.js.br", b"BR");
    write(&docs, "app.js.gz", b"GZIP");
    h
}

#[tokio::test]
async fn the_preferred_accepted_sibling_is_sent() {
    let h = site();
    for _ in 0..2 {
        // Twice: the first answer is read from disk, the second from the cache.
        let a = get(&h, "/app.js", "gzip, deflate, br").await;
        assert_eq!(
            coded(&a),
            (200, "BR".into(), Some("br"), Some("accept-encoding"))
        );
        assert_eq!(a.header("content-type"), Some("text/javascript"));
        assert_eq!(a.header("content-length"), Some("2"));
        let a = get(&h, "/app.js", "gzip").await;
        assert_eq!(
            coded(&a),
            (200, "GZIP".into(), Some("gzip"), Some("accept-encoding"))
        );
        let a = get(&h, "/app.js", "br;q=0, x-gzip").await;
        assert_eq!(coded(&a).2, Some("gzip"), "q=0 refuses br; x-gzip is gzip");
        let a = get(&h, "/app.js", "").await;
        assert_eq!(
            coded(&a),
            (
                200,
                "plain javascript".into(),
                None,
                Some("accept-encoding")
            ),
            "no Accept-Encoding: the file itself, still marked as varying"
        );
        assert_eq!(
            h.generation.sites[0].files.len(),
            1,
            "kept with its siblings"
        );
    }
}

#[tokio::test]
async fn validators_and_ranges_belong_to_the_coded_bytes() {
    let h = site();
    let plain = get(&h, "/app.js", "").await;
    let br = get(&h, "/app.js", "br").await;
    let tag = br.header("etag").expect("etag").to_string();
    assert_ne!(plain.header("etag"), Some(tag.as_str()));
    assert!(tag.ends_with("-br\""), "{tag}");
    let r = h
        .call(
            "GET",
            "/app.js",
            "pre.test",
            &[("accept-encoding", "br"), ("if-none-match", &tag)],
        )
        .await;
    assert_eq!(r.status, 304);
    assert_eq!(r.header("vary"), Some("accept-encoding"));
    assert_eq!(r.header("content-encoding"), Some("br"));
    // The identity client's copy is not the br one.
    let r = h
        .call("GET", "/app.js", "pre.test", &[("if-none-match", &tag)])
        .await;
    assert_eq!(
        (r.status.as_u16(), r.text()),
        (200, "plain javascript".into())
    );
    let r = h
        .call(
            "GET",
            "/app.js",
            "pre.test",
            &[("accept-encoding", "gzip"), ("range", "bytes=1-2")],
        )
        .await;
    assert_eq!((r.status.as_u16(), r.text()), (206, "ZI".into()));
    assert_eq!(r.header("content-range"), Some("bytes 1-2/4"));
    let r = h
        .call(
            "HEAD",
            "/app.js",
            "pre.test",
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(r.header("content-length"), Some("4"));
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn stale_or_unwanted_siblings_are_not_sent() {
    let h = Harness::new(CONF, "", &["pre"]);
    let docs = h.root().join("htdocs/pre");
    // Older than its file: a build that forgot to recompress.
    write(&docs, "old.css.gz", b"OLD");
    std::thread::sleep(Duration::from_millis(20));
    write(&docs, "old.css", b"new css");
    let a = get(&h, "/old.css", "gzip").await;
    assert_eq!(coded(&a), (200, "new css".into(), None, None));
    // Where Precompressed is off, siblings are plain files like any other.
    write(&docs, "plain/a.txt", b"text");
    std::thread::sleep(Duration::from_millis(20));
    write(&docs, "plain/a.txt.gz", b"GZ");
    let a = get(&h, "/plain/a.txt", "gzip").await;
    assert_eq!(coded(&a), (200, "text".into(), None, None));
    // A file that has a coding of its own is never coded twice.
    write(&docs, "x.tgz", b"tarball");
    std::thread::sleep(Duration::from_millis(20));
    write(&docs, "x.tgz.gz", b"TWICE");
    let a = get(&h, "/x.tgz", "gzip").await;
    assert_eq!(
        coded(&a),
        (200, "tarball".into(), Some("x-gzip"), None),
        "AddEncoding's coding, not a second one"
    );
    // A directory named like a sibling is not one.
    write(&docs, "d.txt", b"d");
    write(&docs, "d.txt.br/inner", b"x");
    let a = get(&h, "/d.txt", "br").await;
    assert_eq!(coded(&a), (200, "d".into(), None, None));
}

#[tokio::test]
async fn siblings_added_or_removed_later_are_seen_at_once() {
    let h = Harness::new(CONF, "", &["pre"]);
    let docs = h.root().join("htdocs/pre");
    write(&docs, "d/index.html", b"index");
    write(&docs, "s.css", b"css");
    for _ in 0..2 {
        assert_eq!(coded(&get(&h, "/s.css", "gzip").await).1, "css");
        assert_eq!(coded(&get(&h, "/d/", "gzip").await).1, "index");
    }
    // Past the clock's tick, so the directories' mtimes move.
    std::thread::sleep(Duration::from_millis(20));
    write(&docs, "s.css.gz", b"GZ");
    write(&docs, "d/index.html.gz", b"IGZ");
    for _ in 0..2 {
        assert_eq!(
            coded(&get(&h, "/s.css", "gzip").await),
            (200, "GZ".into(), Some("gzip"), Some("accept-encoding"))
        );
        assert_eq!(coded(&get(&h, "/d/", "gzip").await).1, "IGZ");
    }
    // Recompressed in place: the sibling's own identity changes.
    std::thread::sleep(Duration::from_millis(20));
    write(&docs, "s.css.gz", b"G2");
    assert_eq!(coded(&get(&h, "/s.css", "gzip").await).1, "G2");
    std::fs::remove_file(docs.join("s.css.gz")).expect("rm");
    assert_eq!(
        coded(&get(&h, "/s.css", "gzip").await),
        (200, "css".into(), None, None)
    );
}

/// A real client on a real socket: curl asks for gzip and br, gets the gzip sibling (written
/// by Python's gzip module, as a build step would) and decodes it to the original bytes.
#[tokio::test]
async fn curl_decodes_what_it_is_sent() {
    let s = common::server::start(CONF, &["127.0.0.1"], "", &["pre"]).await;
    let docs = s.root().join("htdocs/pre");
    let text = "body { color: red }\n".repeat(200);
    write(&docs, "site.css", text.as_bytes());
    std::thread::sleep(Duration::from_millis(20));
    let made = std::process::Command::new("python3")
        .args([
            "-c",
            "import gzip,sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[1]+'.gz','wb').write(gzip.compress(d))",
        ])
        .arg(docs.join("site.css"))
        .status()
        .expect("python3");
    assert!(made.success());
    let gz_len = std::fs::metadata(docs.join("site.css.gz"))
        .expect("gz")
        .len();
    let port = s.addr("127.0.0.1", 0).port();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-s", "--compressed", "-D", "-", "-H", "Host: pre.test"])
            .arg(format!("http://127.0.0.1:{port}/site.css"))
            .output()
            .expect("curl")
    })
    .await
    .expect("join");
    let got = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = got.split_once("\r\n\r\n").expect("head and body");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(
        head.contains(&format!("content-length: {gz_len}")),
        "{head}"
    );
    assert!(head.contains("vary: accept-encoding"), "{head}");
    assert_eq!(body, text, "curl decoded the sibling to the file's bytes");
    s.stop().await;
}

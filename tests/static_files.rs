//! Static files on real sockets: index and DirectoryIndex order, the trailing-slash redirect,
//! listings, Alias, Redirect, ErrorDocument, Require, MIME types, validators and every
//! conditional, ranges (single, multipart, merged, 416, If-Range), HEAD, 405, traversal
//! attempts, symlinks, and a 1 GiB file streamed with flat memory.

mod common;

use common::write;

use common::{get_req, header, rss_kib};

use common::server::{TestServer, body_of, get, raw, start, status_of};

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName files.test
  DocumentRoot htdocs/files
  DirectoryIndex index.htm index.html
  Alias /alias/ {ROOT}/aliased/
  Redirect permanent /old /new
  Redirect gone /gone
  ErrorDocument 404 /errors/404.html
  ErrorDocument 403 \"Go away\"
  ErrorDocument 410 http://elsewhere.test/gone
  ErrorDocument 400 \"Bad, bad request\"
  <Directory {ROOT}/htdocs/files/listed>
    Options +Indexes
  </Directory>
  <Location /private>
    Require all denied
  </Location>
  <Location /few>
    MaxRanges 2
  </Location>
  <Location /few/all>
    MaxRanges unlimited
  </Location>
  <Location /norange>
    MaxRanges none
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName signed.test
  DocumentRoot htdocs/signed
  ServerSignature On
  ServerAdmin admin@signed.test
  Redirect /old /new
  Options +Indexes
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName follow.test
  DocumentRoot htdocs/follow
  Options FollowSymLinks
</VirtualHost>
";

async fn server() -> TestServer {
    let s = start(CONF, &["127.0.0.1"], "", &["files", "follow", "signed"]).await;
    let r = s.root();
    write(r, "htdocs/files/a.txt", "0123456789".repeat(100).as_bytes());
    for dir in ["few", "few/all", "norange"] {
        write(
            r,
            &format!("htdocs/files/{dir}/a.txt"),
            "0123456789".repeat(100).as_bytes(),
        );
    }
    write(r, "htdocs/files/data.json", b"{}");
    write(r, "htdocs/files/sub/index.html", b"sub");
    std::fs::create_dir_all(r.join("htdocs/files/empty")).expect("mkdir");
    write(r, "htdocs/files/listed/<b>&.txt", b"x");
    write(r, "htdocs/files/listed/x y.txt", b"x");
    std::fs::create_dir_all(r.join("htdocs/files/listed/d")).expect("mkdir");
    write(r, "htdocs/files/errors/404.html", b"custom 404");
    write(r, "htdocs/files/private/p.txt", b"secret");
    write(r, "aliased/al.txt", b"aliased");
    write(r, "secret.txt", b"outside the root");
    std::os::unix::fs::symlink(r.join("htdocs/files/a.txt"), r.join("htdocs/files/inside"))
        .expect("symlink");
    std::os::unix::fs::symlink(r.join("secret.txt"), r.join("htdocs/files/outside"))
        .expect("symlink");
    std::os::unix::fs::symlink(r.join("secret.txt"), r.join("htdocs/follow/outside"))
        .expect("symlink");
    std::os::unix::fs::symlink(r.join("htdocs"), r.join("htdocs/files/up")).expect("symlink");
    s
}

async fn req(s: &TestServer, text: &str) -> String {
    raw(s.addr("127.0.0.1", 0), None, text.as_bytes()).await
}

#[tokio::test]
async fn index_slash_redirect_listing_alias() {
    let s = server().await;
    let a = s.addr("127.0.0.1", 0);
    assert_eq!(
        get(a, None, "/", Some("files.test")).await.text(),
        "site=files",
        "index.htm is missing, index.html serves"
    );
    assert_eq!(
        get(a, None, "/sub/", Some("files.test")).await.text(),
        "sub"
    );
    let r = req(&s, &get_req("/sub?x=1", "files.test:9999", "")).await;
    assert_eq!(status_of(&r), 301);
    assert_eq!(
        header(&r, "location"),
        Some("http://files.test:9999/sub/?x=1"),
        "the Host's port is kept"
    );
    let r = get(a, None, "/listed/", Some("files.test")).await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(
        html.contains("&lt;b&gt;&amp;.txt") && !html.contains("<b>&"),
        "names are escaped: {html}"
    );
    assert!(
        html.contains("href=\"x%20y.txt\"") && html.contains("href=\"d/\""),
        "{html}"
    );
    let r = get(a, None, "/empty/", Some("files.test")).await;
    assert_eq!(
        (r.status, r.text()),
        (403, "Go away".into()),
        "no index, no Indexes: 403 through ErrorDocument text"
    );
    assert_eq!(
        get(a, None, "/alias/al.txt", Some("files.test"))
            .await
            .text(),
        "aliased"
    );
    assert_eq!(
        get(a, None, "/alias", Some("files.test")).await.status,
        404,
        "an Alias ending in / needs the slash"
    );
    s.stop().await;
}

#[tokio::test]
async fn redirects_error_documents_and_require() {
    let s = server().await;
    let r = req(&s, &get_req("/old/x%20y?q=1", "files.test", "")).await;
    assert_eq!(
        (status_of(&r), header(&r, "location")),
        (301, Some("http://files.test/new/x%20y?q=1"))
    );
    let r = req(&s, &get_req("/gone/thing", "files.test", "")).await;
    assert_eq!(
        (status_of(&r), header(&r, "location")),
        (302, Some("http://elsewhere.test/gone")),
        "410 through an ErrorDocument URL"
    );
    let r = req(&s, &get_req("/missing.html", "files.test", "")).await;
    assert_eq!(
        (status_of(&r), body_of(&r)),
        (404, "custom 404"),
        "local ErrorDocument keeps the status"
    );
    let r = req(&s, &get_req("/private/p.txt", "files.test", "")).await;
    assert_eq!((status_of(&r), body_of(&r)), (403, "Go away"));
    let r = req(&s, &get_req("/a/../../x", "files.test", "")).await;
    assert_eq!(
        (status_of(&r), body_of(&r)),
        (400, "Bad, bad request"),
        "errors found before mapping use ErrorDocument too"
    );
    let r = req(&s, &get_req("/missing", "follow.test", "")).await;
    assert_eq!(status_of(&r), 404);
    assert!(body_of(&r).contains("<title>404 Not Found</title>"), "{r}");
    s.stop().await;
}

#[tokio::test]
async fn types_validators_and_conditionals() {
    let s = server().await;
    let r = req(&s, &get_req("/a.txt", "files.test", "")).await;
    assert_eq!(status_of(&r), 200);
    assert_eq!(header(&r, "content-type"), Some("text/plain"));
    assert_eq!(header(&r, "content-length"), Some("1000"));
    assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
    let etag = header(&r, "etag").expect("etag").to_string();
    let lm = header(&r, "last-modified")
        .expect("last-modified")
        .to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong ETag: {etag}"
    );
    let r = req(&s, &get_req("/data.json", "files.test", "")).await;
    assert_eq!(header(&r, "content-type"), Some("application/json"));
    let cases = [
        (format!("If-None-Match: {etag}\r\n"), 304),
        (format!("If-None-Match: \"other\", {etag}\r\n"), 304),
        ("If-None-Match: \"other\"\r\n".to_string(), 200),
        (format!("If-Modified-Since: {lm}\r\n"), 304),
        (
            "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n".to_string(),
            200,
        ),
        (
            format!("If-None-Match: \"other\"\r\nIf-Modified-Since: {lm}\r\n"),
            200,
        ),
        ("If-Match: \"other\"\r\n".to_string(), 412),
        (format!("If-Match: {etag}\r\n"), 200),
        (
            "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n".to_string(),
            412,
        ),
        (format!("If-Unmodified-Since: {lm}\r\n"), 200),
    ];
    for (extra, want) in cases {
        let r = req(&s, &get_req("/a.txt", "files.test", &extra)).await;
        assert_eq!(status_of(&r), want, "{extra}");
        if want == 304 {
            assert_eq!(body_of(&r), "", "304 has no body");
            assert_eq!(header(&r, "etag"), Some(etag.as_str()));
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn ranges() {
    let s = server().await;
    let r = req(&s, &get_req("/a.txt", "files.test", "Range: bytes=0-9\r\n")).await;
    assert_eq!(
        (status_of(&r), header(&r, "content-range"), body_of(&r)),
        (206, Some("bytes 0-9/1000"), "0123456789")
    );
    let r = req(&s, &get_req("/a.txt", "files.test", "Range: bytes=-5\r\n")).await;
    assert_eq!(
        (header(&r, "content-range"), body_of(&r)),
        (Some("bytes 995-999/1000"), "56789")
    );
    let r = req(
        &s,
        &get_req("/a.txt", "files.test", "Range: bytes=0-4,3-9\r\n"),
    )
    .await;
    assert_eq!(
        (status_of(&r), header(&r, "content-range")),
        (206, Some("bytes 0-9/1000")),
        "overlapping ranges merge"
    );
    let r = req(
        &s,
        &get_req("/a.txt", "files.test", "Range: bytes=0-1,10-11\r\n"),
    )
    .await;
    assert_eq!(status_of(&r), 206);
    let ct = header(&r, "content-type").expect("type").to_string();
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .expect("multipart")
        .to_string();
    let body = body_of(&r);
    assert_eq!(
        body.matches(&format!("--{boundary}\r\n")).count(),
        2,
        "{body}"
    );
    assert!(
        body.contains("Content-Range: bytes 0-1/1000\r\n\r\n01")
            && body.contains("Content-Range: bytes 10-11/1000\r\n\r\n01"),
        "{body}"
    );
    assert!(body.ends_with(&format!("--{boundary}--\r\n")));
    assert_eq!(
        header(&r, "content-length").map(|l| l.parse::<usize>().unwrap_or(0)),
        Some(body.len()),
        "exact Content-Length"
    );
    let r = req(
        &s,
        &get_req("/a.txt", "files.test", "Range: bytes=5000-\r\n"),
    )
    .await;
    assert_eq!(
        (status_of(&r), header(&r, "content-range")),
        (416, Some("bytes */1000"))
    );
    let r = req(
        &s,
        &get_req(
            "/a.txt",
            "files.test",
            "Range: bytes=0-1\r\nIf-Range: \"stale\"\r\n",
        ),
    )
    .await;
    assert_eq!(
        (status_of(&r), body_of(&r).len()),
        (200, 1000),
        "If-Range that does not hold: the whole file"
    );
    s.stop().await;
}

#[tokio::test]
async fn head_and_methods() {
    let s = server().await;
    let r = req(
        &s,
        "HEAD /a.txt HTTP/1.1\r\nHost: files.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        (status_of(&r), header(&r, "content-length"), body_of(&r)),
        (200, Some("1000"), "")
    );
    // httpd's default handler serves POST like GET, refuses PUT, and tells other methods 404
    // before 405.
    let r = req(&s, "POST /a.txt HTTP/1.1\r\nHost: files.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
    assert_eq!((status_of(&r), body_of(&r).len()), (200, 1000));
    for (line, want) in [
        ("PUT /a.txt", 405),
        ("DELETE /a.txt", 405),
        ("DELETE /missing.txt", 404),
    ] {
        let r = req(
            &s,
            &format!("{line} HTTP/1.1\r\nHost: files.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        )
        .await;
        let allow = (want == 405).then_some("GET, HEAD, POST, OPTIONS");
        assert_eq!(
            (status_of(&r), header(&r, "allow")),
            (want, allow),
            "{line}"
        );
    }
    let r = req(
        &s,
        "OPTIONS * HTTP/1.1\r\nHost: files.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        (status_of(&r), header(&r, "allow")),
        (200, Some("GET, HEAD, POST, OPTIONS"))
    );
    s.stop().await;
}

#[tokio::test]
async fn paths_never_escape_the_root() {
    let s = server().await;
    for (path, want) in [
        ("/../secret.txt", 400),
        ("/sub/../../secret.txt", 400),
        ("/%2e%2e/secret.txt", 400),
        ("/%2E%2E%2Fsecret.txt", 404),
        ("/%252e%252e/secret.txt", 404),
        ("/%c0%ae%c0%ae/secret.txt", 400),
        ("/..%5csecret.txt", 400),
        ("/a.txt%00.html", 400),
        ("/alias/../../secret.txt", 400),
        ("/a.txt/", 404),
    ] {
        let r = req(&s, &get_req(path, "files.test", "")).await;
        assert_eq!(status_of(&r), want, "{path}");
        assert!(!r.contains("outside the root"), "{path} leaked a file");
    }
    let r = req(
        &s,
        "GET /..\\secret.txt HTTP/1.1\r\nHost: files.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(!r.contains("outside the root"));
    s.stop().await;
}

#[tokio::test]
async fn symlinks_stay_inside_unless_follow_symlinks() {
    let s = server().await;
    let a = s.addr("127.0.0.1", 0);
    assert_eq!(
        get(a, None, "/inside", Some("files.test")).await.status,
        200,
        "a link to a file inside the root"
    );
    let r = get(a, None, "/outside", Some("files.test")).await;
    assert_eq!(r.status, 403);
    assert!(!r.text().contains("outside the root"));
    assert_eq!(
        get(a, None, "/up/follow/outside", Some("files.test"))
            .await
            .status,
        403,
        "a link to a directory above"
    );
    assert_eq!(
        get(a, None, "/outside", Some("follow.test")).await.text(),
        "outside the root",
        "Options FollowSymLinks follows"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_streams_with_flat_memory() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = server().await;
    let size: u64 = 1 << 30;
    let f = std::fs::File::create(s.root().join("htdocs/files/big.bin")).expect("create");
    f.set_len(size).expect("sparse file");
    let mut tcp = tokio::net::TcpStream::connect(s.addr("127.0.0.1", 0))
        .await
        .expect("connect");
    tcp.write_all(get_req("/big.bin", "files.test", "").as_bytes())
        .await
        .expect("write");
    let mut buf = vec![0u8; 256 * 1024];
    // The first 128 MiB warm up threads and allocator pools; from then on memory must stay
    // flat for the remaining 896 MiB.
    let (mut total, mut base, mut peak) = (0u64, 0u64, 0u64);
    let mut n_reads = 0u64;
    loop {
        let n = tcp.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        total += n as u64;
        n_reads += 1;
        if base == 0 && total >= 128 << 20 {
            base = rss_kib();
            peak = base;
        } else if base != 0 && n_reads.is_multiple_of(64) {
            peak = peak.max(rss_kib());
        }
    }
    assert!(total > size, "got {total} bytes");
    let growth_mib = peak.saturating_sub(base) / 1024;
    assert!(
        growth_mib < 16,
        "RSS grew by {growth_mib} MiB over the last 896 MiB of a 1 GiB file"
    );
    s.stop().await;
}

/// Files over 256 KiB are streamed from disk rather than read whole: the same answers.
#[tokio::test]
async fn ranges_of_a_streamed_file() {
    let s = server().await;
    let data: Vec<u8> = (0..300 * 1024u32).map(|i| b'a' + (i % 26) as u8).collect();
    write(s.root(), "htdocs/files/large.bin", &data);
    let a = s.addr("127.0.0.1", 0);
    let r = get(a, None, "/large.bin", Some("files.test")).await;
    assert_eq!((r.status, r.body.len()), (200, data.len()));
    assert_eq!(r.body, data);
    let r = raw(
        a,
        None,
        get_req("/large.bin", "files.test", "Range: bytes=270000-270009\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status_of(&r), 206);
    let want: Vec<u8> = data[270000..270010].to_vec();
    assert_eq!(r.as_bytes()[r.len() - 10..], want[..]);
    let r = raw(
        a,
        None,
        get_req(
            "/large.bin",
            "files.test",
            "Range: bytes=0-1,300000-300001\r\n",
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(status_of(&r), 206);
    assert!(
        r.contains("Content-Range: bytes 300000-300001/307200"),
        "{}",
        &r[..r.len().min(600)]
    );
    s.stop().await;
}

/// `n` disjoint one-byte ranges: 0-0, 10-10, 20-20, ...
fn disjoint(n: usize) -> String {
    let parts: Vec<String> = (0..n).map(|i| format!("{0}-{0}", i * 10)).collect();
    format!("Range: bytes={}\r\n", parts.join(","))
}

#[tokio::test]
async fn max_ranges_caps_the_parts_or_ignores_range() {
    let s = server().await;
    let status = |r: &str| r.lines().next().unwrap_or("").to_string();
    for (path, n, want) in [
        ("/a.txt", 16, "206"),
        ("/a.txt", 17, "200"),
        ("/few/a.txt", 2, "206"),
        ("/few/a.txt", 3, "200"),
        ("/few/all/a.txt", 60, "206"),
        ("/norange/a.txt", 1, "200"),
    ] {
        let r = req(&s, &get_req(path, "files.test", &disjoint(n))).await;
        assert!(
            status(&r).contains(want),
            "{path} with {n} ranges: {}",
            status(&r)
        );
        if want == "200" {
            assert!(
                r.ends_with(&"0123456789".repeat(100)),
                "{path}: the whole file"
            );
            assert!(header(&r, "content-range").is_none());
        }
    }
    let r = req(&s, &get_req("/few/all/a.txt", "files.test", &disjoint(60))).await;
    assert_eq!(r.matches("Content-Range: bytes ").count(), 60);
    s.stop().await;
}

/// ServerSignature On: redirect bodies (Redirect, the trailing-slash one) and listings end
/// with the line httpd writes, the listing's without the rule above it.
#[tokio::test]
async fn server_signature_on_redirects_and_listings() {
    let s = server().await;
    write(s.root(), "htdocs/signed/d/f.txt", b"f");
    let line = format!(
        "<address>vhostd/{} (Unix) Server at signed.test Port 80</address>",
        env!("CARGO_PKG_VERSION")
    );
    for path in ["/old", "/d"] {
        let r = req(&s, &get_req(path, "signed.test", "")).await;
        assert!(r.contains(&format!("<hr>\n{line}\n</body>")), "{path}: {r}");
    }
    let r = req(&s, &get_req("/d/", "signed.test", "")).await;
    assert!(r.contains(&format!("</ul>\n{line}\n</body>")), "{r}");
    // Off (the default) elsewhere: no line.
    let r = req(&s, &get_req("/old", "files.test", "")).await;
    assert!(!r.contains("<address>"), "{r}");
    s.stop().await;
}

//! Small files answered from memory stay exactly as fresh as files read from disk: a file
//! replaced by a deploy's rename, rewritten in place, removed, or a directory given a
//! preferred index file is seen on the next request, and validators and ranges work on
//! what the cache holds.

mod common;

use common::server::{TestServer, get, raw, start, status_of};
use common::{get_req, header, write};

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName cache.test
  DocumentRoot htdocs/cache
  DirectoryIndex index.htm index.html
</VirtualHost>
";

async fn text(s: &TestServer, path: &str) -> (u16, String) {
    let r = get(s.addr("127.0.0.1", 0), None, path, Some("cache.test")).await;
    (r.status, r.text())
}

#[tokio::test]
async fn a_cached_file_is_as_fresh_as_the_disk() {
    let s = start(CONF, &["127.0.0.1"], "", &["cache"]).await;
    let docs = s.root().join("htdocs/cache");
    write(&docs, "a.html", b"one");
    for _ in 0..3 {
        assert_eq!(text(&s, "/a.html").await, (200, "one".into()));
    }
    // A deploy writes a new file and renames it over the old one: same size, new inode.
    write(&docs, "a.new", b"two");
    std::fs::rename(docs.join("a.new"), docs.join("a.html")).expect("rename");
    assert_eq!(text(&s, "/a.html").await, (200, "two".into()));
    // Rewritten in place with the same size: a new modification time (past the clock's tick).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    write(&docs, "a.html", b"six");
    assert_eq!(text(&s, "/a.html").await, (200, "six".into()));
    std::fs::remove_file(docs.join("a.html")).expect("rm");
    assert_eq!(text(&s, "/a.html").await.0, 404);
    s.stop().await;
}

#[tokio::test]
async fn a_directory_answer_follows_its_index_files() {
    let s = start(CONF, &["127.0.0.1"], "", &["cache"]).await;
    let docs = s.root().join("htdocs/cache");
    write(&docs, "d/index.html", b"html");
    assert_eq!(text(&s, "/d/").await, (200, "html".into()));
    assert_eq!(text(&s, "/d/").await, (200, "html".into()));
    // index.htm comes first in DirectoryIndex: adding it changes the directory's answer.
    write(&docs, "d/index.htm", b"htm");
    assert_eq!(text(&s, "/d/").await, (200, "htm".into()));
    std::fs::remove_file(docs.join("d/index.htm")).expect("rm");
    assert_eq!(text(&s, "/d/").await, (200, "html".into()));
    // The same path without its slash is still the redirect, not the cached index.
    assert_eq!(text(&s, "/d").await.0, 301);
    s.stop().await;
}

#[tokio::test]
async fn validators_and_ranges_work_on_cached_files() {
    let s = start(CONF, &["127.0.0.1"], "", &["cache"]).await;
    let docs = s.root().join("htdocs/cache");
    write(&docs, "r.txt", b"0123456789");
    let a = s.addr("127.0.0.1", 0);
    let first = raw(a, None, get_req("/r.txt", "cache.test", "").as_bytes()).await;
    let etag = header(&first, "etag").expect("etag").to_string();
    let r = raw(a, None, get_req("/r.txt", "cache.test", "").as_bytes()).await;
    assert_eq!(
        header(&r, "etag"),
        Some(etag.as_str()),
        "the same validators"
    );
    assert_eq!(header(&r, "last-modified"), header(&first, "last-modified"));
    let cond = format!("If-None-Match: {etag}\r\n");
    let r = raw(a, None, get_req("/r.txt", "cache.test", &cond).as_bytes()).await;
    assert_eq!(status_of(&r), 304, "{r}");
    let r = raw(
        a,
        None,
        get_req("/r.txt", "cache.test", "Range: bytes=2-4\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status_of(&r), 206, "{r}");
    assert!(r.ends_with("\r\n\r\n234"), "{r}");
    let head = "HEAD /r.txt HTTP/1.1\r\nHost: cache.test\r\nConnection: close\r\n\r\n";
    let r = raw(a, None, head.as_bytes()).await;
    assert_eq!(header(&r, "content-length"), Some("10"));
    assert!(r.ends_with("\r\n\r\n"), "HEAD has no body: {r}");
    let put =
        "PUT /r.txt HTTP/1.1\r\nHost: cache.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(status_of(&raw(a, None, put.as_bytes()).await), 405);
    s.stop().await;
}

//! Small files answered from memory stay exactly as fresh as files read from disk: a file
//! replaced by a deploy's rename, rewritten in place, removed, or a directory given a
//! preferred index file is seen on the next request, and validators and ranges work on
//! what the cache holds. Driven through the service without sockets (`common::harness`).

mod common;

use common::harness::Harness;
use common::write;

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName cache.test
  DocumentRoot htdocs/cache
  DirectoryIndex index.htm index.html
</VirtualHost>
";

async fn text(h: &Harness, path: &str) -> (u16, String) {
    let r = h.get(path, "cache.test").await;
    (r.status.as_u16(), r.text())
}

/// How many answers the vhost's file cache holds.
fn cached(h: &Harness) -> usize {
    h.generation.sites[0].files.len()
}

#[tokio::test]
async fn a_cached_file_is_as_fresh_as_the_disk() {
    let s = Harness::new(CONF, "", &["cache"]);
    let docs = s.root().join("htdocs/cache");
    write(&docs, "a.html", b"one");
    for _ in 0..3 {
        assert_eq!(text(&s, "/a.html").await, (200, "one".into()));
    }
    assert_eq!(cached(&s), 1, "the file is kept after its first answer");
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
    assert_eq!(cached(&s), 0, "a stale entry is dropped");
}

#[tokio::test]
async fn a_directory_answer_follows_its_index_files() {
    let s = Harness::new(CONF, "", &["cache"]);
    let docs = s.root().join("htdocs/cache");
    write(&docs, "d/index.html", b"html");
    assert_eq!(text(&s, "/d/").await, (200, "html".into()));
    assert_eq!(text(&s, "/d/").await, (200, "html".into()));
    // index.htm comes first in DirectoryIndex: adding it changes the directory's answer (its
    // mtime, once past the clock's tick: a directory's size need not change).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    write(&docs, "d/index.htm", b"htm");
    assert_eq!(text(&s, "/d/").await, (200, "htm".into()));
    std::fs::remove_file(docs.join("d/index.htm")).expect("rm");
    assert_eq!(text(&s, "/d/").await, (200, "html".into()));
    // The same path without its slash is still the redirect, not the cached index.
    assert_eq!(text(&s, "/d").await.0, 301);
}

#[tokio::test]
async fn validators_and_ranges_work_on_cached_files() {
    let s = Harness::new(CONF, "", &["cache"]);
    let docs = s.root().join("htdocs/cache");
    write(&docs, "r.txt", b"0123456789");
    let first = s.get("/r.txt", "cache.test").await;
    let etag = first.header("etag").expect("etag").to_string();
    let r = s.get("/r.txt", "cache.test").await;
    assert_eq!(cached(&s), 1);
    assert_eq!(r.header("etag"), Some(etag.as_str()), "the same validators");
    assert_eq!(r.header("last-modified"), first.header("last-modified"));
    let r = s
        .call("GET", "/r.txt", "cache.test", &[("if-none-match", &etag)])
        .await;
    assert_eq!(r.status, 304);
    let r = s
        .call("GET", "/r.txt", "cache.test", &[("range", "bytes=2-4")])
        .await;
    assert_eq!((r.status.as_u16(), r.text()), (206, "234".into()));
    assert_eq!(r.header("content-range"), Some("bytes 2-4/10"));
    let r = s.call("HEAD", "/r.txt", "cache.test", &[]).await;
    assert_eq!(r.header("content-length"), Some("10"));
    assert!(r.body.is_empty(), "HEAD has no body");
    let r = s.call("PUT", "/r.txt", "cache.test", &[]).await;
    assert_eq!(r.status, 405);
}

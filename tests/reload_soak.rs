//! Descriptors and memory stay flat over 1,000 reloads. A test binary of its own, so that no
//! other test allocates in this process while memory is measured.

mod common;

use common::rss_kib;
use common::server::{TestServer, get, start};
use vhostd::plan::Listener;
use vhostd::reload::{self, Outcome, Settings};

const BASE: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1} https
CustomLog logs/access.log common
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  DocumentRoot htdocs/a
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName a.test
  SSLEngine on
  SSLCertificateFile a.crt
  SSLCertificateKeyFile a.key
  DocumentRoot htdocs/a
</VirtualHost>
";

async fn do_reload(s: &TestServer) -> Outcome {
    let settings = Settings {
        config: "main.conf".into(),
        server_root: s.root().to_path_buf(),
        defines: Vec::new(),
        display_base: None,
        hostname: "testhost".into(),
    };
    reload::reload(&s.server, &settings, |l: &Listener| {
        vhostd::runtime::bind_one(l)
    })
    .await
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptors_and_memory_stay_flat_over_1000_reloads() {
    let s = start(BASE, &["127.0.0.1", "127.0.0.1"], "a a.test\n", &["a"]).await;
    // Warm-up: thread pools, allocator arenas and the upstream and log tables reach their size.
    for i in 0..400 {
        assert!(matches!(do_reload(&s).await, Outcome::Applied(_)));
        if i % 100 == 0 {
            assert_eq!(
                get(s.addr("127.0.0.1", 0), None, "/", Some("a.test"))
                    .await
                    .status,
                200
            );
        }
    }
    let (fd0, rss0) = (fds(), rss_kib());
    for i in 0..1000 {
        assert!(
            matches!(do_reload(&s).await, Outcome::Applied(_)),
            "reload {i}"
        );
        if i % 100 == 0 {
            assert_eq!(
                get(s.addr("127.0.0.1", 0), None, "/", Some("a.test"))
                    .await
                    .status,
                200
            );
        }
    }
    assert_eq!(
        get(s.addr("127.0.0.1", 0), None, "/", Some("a.test"))
            .await
            .text(),
        "site=a"
    );
    let (fd1, rss1) = (fds(), rss_kib());
    assert!(fd1 <= fd0 + 2, "descriptors went from {fd0} to {fd1}");
    assert!(
        rss1 * 100 <= rss0 * 105,
        "RSS went from {rss0} KiB to {rss1} KiB (more than 5 %)"
    );
    s.stop().await;
}

//! Descriptors and memory stay flat over 1,000 reloads. A test binary of its own, so that no
//! other test allocates in this process while memory is measured.

mod common;

use common::rss_kib;
use common::server::{TestServer, get, start};
use vhostd::plan::Listener;
use vhostd::server::reload::{self, Outcome, Settings};

async fn do_reload(s: &TestServer) -> Outcome {
    let settings = Settings {
        config: "main.conf".into(),
        server_root: s.root().to_path_buf(),
        defines: Vec::new(),
        display_base: None,
        hostname: "testhost".into(),
    };
    reload::reload(&s.server, &settings, |l: &Listener| {
        vhostd::server::runtime::bind_one(l)
    })
    .await
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// `n` reloads, with a request every hundred.
async fn reloads(s: &TestServer, n: usize) {
    for i in 0..n {
        assert!(
            matches!(do_reload(s).await, Outcome::Applied(_)),
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptors_and_memory_stay_flat_over_1000_reloads() {
    let conf = format!("CustomLog logs/access.log common\n{}", common::TWO_PORTS);
    let s = start(&conf, &["127.0.0.1", "127.0.0.1"], "a a.test\n", &["a"]).await;
    // Warm-up: thread pools, allocator arenas and the upstream and log tables reach their size.
    reloads(&s, 400).await;
    let (fd0, rss0) = (fds(), rss_kib());
    reloads(&s, 1000).await;
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

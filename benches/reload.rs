//! Criterion bench of a whole reload transaction at scale: a running server with a generated
//! 10,000-vhost, 200-certificate configuration (half TLS) reloads it: read, check, load every
//! certificate, prepare, swap. Target: under 2 s on the 2-core machine.
//! Run: cargo bench --bench reload

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;
use vhostd::prepare::check::{CheckOptions, check};
use vhostd::prepare::generation::Generation;
use vhostd::server::reload::{self, Outcome, Settings};
use vhostd::server::runtime::{self, Server};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(dir.path().join("www")).expect("mkdir");
    common::make_certs(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port")
    };
    let (http, https) = (free(), free());
    std::fs::write(
        dir.path().join("bench.conf"),
        common::config(10_000, http, https),
    )
    .expect("write");
    let settings = Settings {
        config: PathBuf::from("bench.conf"),
        server_root: dir.path().to_path_buf(),
        defines: Vec::new(),
        display_base: None,
        hostname: "bench".into(),
    };
    let server = rt.block_on(async {
        let checked = check(&CheckOptions::new(
            PathBuf::from("bench.conf"),
            dir.path().to_path_buf(),
        ));
        assert!(checked.ok(), "{}", checked.diags.render(&checked.sources));
        let generation = Generation::prepare(checked).expect("prepare");
        let bound = generation
            .plan
            .listeners
            .iter()
            .map(|l| (runtime::key_of(l), runtime::bind_one(l).expect("bind")))
            .collect();
        Server::start(generation, bound)
    });
    let mut group = c.benchmark_group("reload");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("10000 vhosts, 200 certificates", |b| {
        b.iter(|| {
            let out = rt.block_on(reload::reload(&server, &settings, runtime::bind_one));
            assert!(matches!(out, Outcome::Applied(_)), "{out:?}");
        })
    });
    group.finish();
    rt.block_on(server.stop(Some(Duration::from_secs(1))));
}

criterion_group!(benches, bench);
criterion_main!(benches);

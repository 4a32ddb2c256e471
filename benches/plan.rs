//! Criterion bench of the pure pipeline at scale: parse + model + plan + certificate loading +
//! coverage of generated configs with 1,000 to 10,000 vhosts (half TLS, 200 certificates).
//! Run: cargo bench --bench plan   (add -- --quick for a short run)

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
mod common;

use common::{config, make_certs};
use std::path::{Path, PathBuf};
use std::time::Duration;
use vhostd::prepare::check::{CheckOptions, check};

fn run(dir: &Path, file: &str) {
    let opts = CheckOptions::new(PathBuf::from(file), dir.to_path_buf());
    let checked = check(&opts);
    assert!(
        checked.ok() && checked.diags.items.is_empty(),
        "{}",
        checked.diags.render(&checked.sources)
    );
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(dir.path().join("www")).expect("mkdir");
    make_certs(dir.path());
    let mut group = c.benchmark_group("parse+plan+coverage");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for n in [1_000, 2_000, 5_000, 10_000] {
        let file = format!("bench{n}.conf");
        std::fs::write(dir.path().join(&file), config(n, 80, 443)).expect("write");
        group.bench_with_input(BenchmarkId::from_parameter(n), &file, |b, f| {
            b.iter(|| run(dir.path(), f))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

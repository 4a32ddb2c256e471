//! Criterion bench of the pure pipeline at scale: parse + model + plan + certificate loading +
//! coverage of generated configs with 1,000 to 10,000 vhosts (half TLS, 200 certificates).
//! Run: cargo bench --bench plan   (add -- --quick for a short run)

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rcgen::{CertificateParams, KeyPair};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;
use vhostd::check::{CheckOptions, check};

const CERTS: usize = 200;

/// Writes 200 wildcard certificates (`*.gN.bench.test`) and their keys.
fn make_certs(dir: &Path) {
    for g in 0..CERTS {
        let key = KeyPair::generate().expect("key");
        let params = CertificateParams::new(vec![format!("*.g{g}.bench.test")]).expect("params");
        let cert = params.self_signed(&key).expect("cert");
        std::fs::write(dir.join(format!("g{g}.crt")), cert.pem()).expect("write");
        std::fs::write(dir.join(format!("g{g}.key")), key.serialize_pem()).expect("write");
    }
}

/// A config with `n` vhosts: the first half plain on *:80, the second half TLS on *:443,
/// each TLS vhost using one of the 200 certificates, which covers its names.
fn config(n: usize) -> String {
    let mut c = String::from("ServerName bench.test\nListen 80\nListen 443\nDocumentRoot www\n");
    for i in 0..n {
        let g = i % CERTS;
        let tls = i >= n / 2;
        let port = if tls { 443 } else { 80 };
        let _ = write!(
            c,
            "<VirtualHost *:{port}>\n    ServerName s{i}.g{g}.bench.test\n    ServerAlias w{i}.g{g}.bench.test\n    DocumentRoot www\n"
        );
        if tls {
            let _ = write!(
                c,
                "    SSLEngine on\n    SSLCertificateFile g{g}.crt\n    SSLCertificateKeyFile g{g}.key\n"
            );
        }
        c.push_str("</VirtualHost>\n");
    }
    c
}

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
        std::fs::write(dir.path().join(&file), config(n)).expect("write");
        group.bench_with_input(BenchmarkId::from_parameter(n), &file, |b, f| {
            b.iter(|| run(dir.path(), f))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

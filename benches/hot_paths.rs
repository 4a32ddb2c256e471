//! Criterion benches of the pure per-request steps, over a plan of 10,000 vhosts: Host
//! normalisation and vhost choice (exact name, wildcard alias, unknown), certificate choice by
//! SNI among 5,000 TLS vhosts, URL path cleaning, Range parsing, and an access-log line.
//! Run: cargo bench --bench hot_paths   (add -- --quick for a short run)

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
mod common;

use hyper::header::{HeaderMap, HeaderValue, RANGE};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};
use vhostd::log::format::{Format, Record};
use vhostd::plan::Plan;
use vhostd::prepare::check::{CheckOptions, check};
use vhostd::serve::handlers::conditional::{Validators, ranges};
use vhostd::serve::handlers::mapping::clean_path;
use vhostd::serve::router::{handshake_member, normalize_host, route};

const N: usize = 10_000;

/// 10,000 plain vhosts on *:80, each with an exact name and a wildcard alias, plus the 5,000
/// TLS vhosts of the shared generator on *:443 (200 certificates).
fn plan(dir: &std::path::Path) -> Plan {
    common::make_certs(dir);
    std::fs::create_dir(dir.join("www")).expect("mkdir");
    let mut c = common::config(N, 80, 443);
    for i in 0..N {
        let _ = write!(
            c,
            "<VirtualHost *:80>\n  ServerName n{i}.names.test\n  ServerAlias *.w{i}.names.test\n  DocumentRoot www\n</VirtualHost>\n"
        );
    }
    std::fs::write(dir.join("hot.conf"), c).expect("write");
    let checked = check(&CheckOptions::new(
        PathBuf::from("hot.conf"),
        dir.to_path_buf(),
    ));
    assert!(checked.ok(), "{}", checked.diags.render(&checked.sources));
    checked.plan
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = plan(dir.path());
    let http = plan.chain_for("127.0.0.1:80".parse().expect("addr"));
    let https = plan
        .chain_for("127.0.0.1:443".parse().expect("addr"))
        .expect("a TLS chain");
    let mut g = c.benchmark_group("per request");
    g.measurement_time(Duration::from_secs(5));
    for (name, raw) in [
        ("host exact", "n7777.names.test"),
        ("host wildcard", "deep.w7777.names.test:80"),
        ("host unknown", "nowhere.example"),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let host = normalize_host(black_box(raw)).ok().flatten();
                route(&plan, http, host.as_ref())
            })
        });
    }
    g.bench_function("sni among 5,000", |b| {
        b.iter(|| handshake_member(&plan, https, Some(black_box("s7777.g177.bench.test"))))
    });
    g.bench_function("clean path", |b| {
        b.iter(|| clean_path(black_box("/static/css/../img/%7Euser/photo%20one.jpg")))
    });
    let v = Validators::new(1 << 20, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let mut h = HeaderMap::new();
    h.insert(RANGE, HeaderValue::from_static("bytes=0-99,200-299,-500"));
    g.bench_function("range", |b| {
        b.iter(|| ranges(&hyper::Method::GET, black_box(&h), 1 << 20, &v))
    });
    let combined = Format::compile("%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"");
    let record = Record {
        remote_ip: "192.0.2.7".into(),
        start: Some(UNIX_EPOCH + Duration::from_secs(1_780_272_000)),
        method: "GET".into(),
        uri: "/index.html?q=1".into(),
        path: "/index.html".into(),
        query: Some("q=1".into()),
        protocol: "HTTP/1.1".into(),
        status: 200,
        bytes_out: 1234,
        request_headers: vec![
            ("referer".into(), "https://example.test/".into()),
            (
                "user-agent".into(),
                "Mozilla/5.0 (X11; Linux x86_64)".into(),
            ),
        ],
        ..Record::default()
    };
    g.bench_function("combined log line", |b| {
        b.iter(|| combined.render(black_box(&record)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

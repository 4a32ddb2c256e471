//! Full TLS handshakes per second against the release `server`, with one certificate and with
//! 10,000 vhosts each holding its own certificate on one address (clients send a random one of
//! the 10,000 names by SNI), interleaved, with the server's CPU time per handshake from /proc.
//! Run: cargo bench --bench tls_load [-- SECONDS ROUNDS]   (defaults: 5 s, 3 rounds)
//!
//! Both sides use X25519 and ECDSA P-256, TLS 1.3, no resumption: every connection is a full
//! handshake. Loopback only.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::ServerName;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const NAMES: usize = 10_000;

/// Writes a CA, one leaf key, and `n` leaf certificates `s{i}.bench.test` signed by the CA.
fn make_certs(dir: &Path, n: usize) -> Vec<u8> {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("ca");
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().expect("key");
    std::fs::write(dir.join("leaf.key"), leaf_key.serialize_pem()).expect("write");
    for i in 0..n {
        let p = CertificateParams::new(vec![format!("s{i}.bench.test")]).expect("params");
        let c = p.signed_by(&leaf_key, &issuer).expect("sign");
        std::fs::write(dir.join(format!("s{i}.crt")), c.pem()).expect("write");
    }
    ca_cert.der().to_vec()
}

/// One TLS address with `n` vhosts, vhost i serving its own certificate.
fn config(dir: &Path, port: u16, n: usize) -> String {
    let d = dir.display();
    let mut c = format!(
        "ServerName bench.test\nListen 127.0.0.1:{port} https\nDocumentRoot {d}\nPidFile {d}/pid{n}\nErrorLog {d}/error{n}.log\n"
    );
    for i in 0..n {
        let _ = write!(
            c,
            "<VirtualHost 127.0.0.1:{port}>\n  ServerName s{i}.bench.test\n  SSLEngine on\n  SSLCertificateFile {d}/s{i}.crt\n  SSLCertificateKeyFile {d}/leaf.key\n</VirtualHost>\n"
        );
    }
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn start(dir: &Path, n: usize) -> (Child, u16) {
    let port = free_port();
    let file = dir.join(format!("main{n}.conf"));
    std::fs::write(&file, config(dir, port, n)).expect("write");
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("-f")
        .arg(&file)
        .arg("--allow-root")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the server");
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// The CPU time (user + system) a process has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    // SAFETY: sysconf only reads a constant.
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(f.iter().sum::<u64>() * 1_000_000 / tick)
}

fn client(ca: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca.to_vec()))
        .expect("ca");
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider
        .kx_groups
        .retain(|g| g.name() == rustls::NamedGroup::X25519);
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Full handshakes per second for `secs` seconds from `conc` clients, each naming one of
/// `names` vhosts; and the server's CPU per handshake.
async fn measure(
    connector: &tokio_rustls::TlsConnector,
    pid: u32,
    port: u16,
    names: usize,
    secs: u64,
    conc: usize,
) -> (f64, Duration) {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let cpu0 = cpu_time(pid);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conc {
        let (connector, done, failed) = (connector.clone(), done.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = c * 7919;
            while Instant::now() < deadline {
                i = (i + 7919) % names;
                let name = ServerName::try_from(format!("s{i}.bench.test")).expect("name");
                let ok = match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    Ok(tcp) => connector.connect(name, tcp).await.is_ok(),
                    Err(_) => false,
                };
                let n = if ok { &done } else { &failed };
                n.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = t0.elapsed();
    let cpu = cpu_time(pid).saturating_sub(cpu0);
    let n = done.load(Ordering::Relaxed);
    assert_eq!(failed.load(Ordering::Relaxed), 0, "handshakes failed");
    (n as f64 / elapsed.as_secs_f64(), cpu / (n.max(1) as u32))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // cargo passes `--bench`; the rest are ours.
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let secs = args.first().copied().unwrap_or(5);
    let rounds = args.get(1).copied().unwrap_or(3) as usize;
    let dir = tempfile::tempdir().expect("tmp");
    println!("making {NAMES} certificates...");
    let ca = make_certs(dir.path(), NAMES);
    let (mut one, one_port) = start(dir.path(), 1);
    let (mut many, many_port) = start(dir.path(), NAMES);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let connector = client(&ca);
    let (mut rate, mut cpu) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for _ in 0..rounds {
        for (k, (child, port, names)) in [(&one, one_port, 1), (&many, many_port, NAMES)]
            .into_iter()
            .enumerate()
        {
            let (r, c) = rt.block_on(measure(&connector, child.id(), port, names, secs, 2));
            rate[k].push(r);
            cpu[k].push(c.as_secs_f64() * 1e6);
        }
    }
    let _ = (one.kill(), many.kill(), one.wait(), many.wait());
    let [r1, rn] = rate.map(median);
    let [c1, cn] = cpu.map(median);
    println!(
        "{:<44} {:>12} {:>12}",
        "full TLS 1.3 handshakes (median)", "/s", "server us"
    );
    println!("{:<44} {r1:>12.0} {c1:>12.0}", "1 vhost, 1 certificate");
    println!(
        "{:<44} {rn:>12.0} {cn:>12.0}",
        "10,000 vhosts, 10,000 certificates by SNI"
    );
    println!("ratio 10,000 / 1: {:.2} handshakes/s", rn / r1);
}

//! Test support: copies a case folder to a temporary ServerRoot, makes its certificates with
//! rcgen (a test CA, fixed dates), runs the whole check with fixed outside inputs, and
//! compares output with golden files (`BLESS=1` rewrites them).

#![allow(dead_code)]

pub mod h2frames;
pub mod harness;
pub mod pebble;
pub mod process;
pub mod server;
pub mod upstream;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vhostd::prepare::check::{CheckOptions, Checked, check};

/// The time every check runs at: 2026-06-01.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_780_272_000)
}

/// Copies `src` into a fresh temporary directory.
pub fn stage(src: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_dir(src, tmp.path());
    tmp
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read case dir").flatten() {
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// Writes certificates described one per line as `name san... [expired] [reversed]`:
/// `name.crt` and `name.key`, signed by one test CA (`ca.crt`), valid 2025-2045 (expired:
/// 2020-2021; reversed: the file holds the intermediate before the leaf).
pub fn make_certs(dir: &Path, spec: &str) {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.not_before = date_time_ymd(2024, 1, 1);
    ca_params.not_after = date_time_ymd(2050, 1, 1);
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    std::fs::write(dir.join("ca.crt"), ca_cert.pem()).expect("write ca");
    let ca = Issuer::new(ca_params, ca_key);
    for line in spec
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        let name = words[0];
        let expired = words.contains(&"expired");
        // Within 30 days of the tests' `now` (2026-06-01): an expiry warning.
        let soon = words.contains(&"soon");
        let reversed = words.contains(&"reversed");
        let sans: Vec<String> = words[1..]
            .iter()
            .filter(|w| !matches!(**w, "expired" | "reversed" | "soon"))
            .map(|s| s.to_string())
            .collect();
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(sans.clone()).expect("params");
        params.distinguished_name.push(
            DnType::CommonName,
            sans.first().cloned().unwrap_or_else(|| name.to_string()),
        );
        let (from, to) = if expired {
            ((2020, 1, 1), (2021, 1, 1))
        } else if soon {
            ((2025, 1, 1), (2026, 6, 11))
        } else {
            ((2025, 1, 1), (2045, 1, 1))
        };
        params.not_before = date_time_ymd(from.0, from.1, from.2);
        params.not_after = date_time_ymd(to.0, to.1, to.2);
        let pem = if reversed {
            let ikey = KeyPair::generate().expect("key");
            let mut ip = CertificateParams::new(Vec::<String>::new()).expect("params");
            ip.distinguished_name
                .push(DnType::CommonName, "Test Intermediate");
            ip.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let icert = ip.signed_by(&ikey, &ca).expect("intermediate");
            let inter = Issuer::new(ip, ikey);
            let leaf = params.signed_by(&key, &inter).expect("leaf");
            format!("{}{}", icert.pem(), leaf.pem())
        } else {
            params.signed_by(&key, &ca).expect("leaf").pem()
        };
        std::fs::write(dir.join(format!("{name}.crt")), pem).expect("write crt");
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).expect("write key");
    }
}

/// Runs the whole check on `main` inside `root` with fixed outside inputs.
pub fn run_check(root: &Path, main: &str, defines: &[&str]) -> Checked {
    let mut opts = CheckOptions::new(PathBuf::from(main), root.to_path_buf());
    opts.load.defines = defines.iter().map(|s| s.to_string()).collect();
    opts.load.display_base = Some(root.to_path_buf());
    opts.load.env = Box::new(|k| (k == "TEST_ENV_SITE").then(|| "from-env.test".to_string()));
    opts.plan.display_base = Some(root.to_path_buf());
    opts.plan.hostname = "testhost.example".to_string();
    opts.build.resolve_host = Box::new(|h| match h {
        "localhost" => vec!["127.0.0.1".parse().expect("ip")],
        "multi.example" => vec![
            "192.0.2.10".parse().expect("ip"),
            "192.0.2.11".parse().expect("ip"),
        ],
        _ => Vec::new(),
    });
    opts.now = now();
    check(&opts)
}

/// Replaces the temporary root with `$ROOT` so that output is the same everywhere.
pub fn scrub(text: &str, root: &Path) -> String {
    let real = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    text.replace(&real.display().to_string(), "$ROOT")
        .replace(&root.display().to_string(), "$ROOT")
}

/// Compares with a golden file, or rewrites it under `BLESS=1`. Returns a failure text.
pub fn golden(path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, actual).expect("write golden");
        return None;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return None;
    }
    Some(format!(
        "--- {} (expected)\n{expected}\n--- actual\n{actual}\n",
        path.display()
    ))
}

/// This process's resident memory, in KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A GET that closes the connection after the answer.
pub fn get_req(path: &str, host: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")
}

/// A header of a raw response.
pub fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.split("\r\n\r\n").next()?.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A plain and a TLS vhost for a.test on two ports (`{P0}`, `{P1}`): the reload tests' start.
pub const TWO_PORTS: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1} https
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

/// Writes `body` to `rel` under `root`, making its directories.
pub fn write(root: &Path, rel: &str, body: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, body).expect("write");
}

/// Makes a tree readable by Apache's www-data workers (directories 0755, files 0644).
#[allow(dead_code)]
pub fn open_to_all(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            }
            out.push(p);
        }
    }
    let mut all = vec![root.to_path_buf()];
    walk(root, &mut all);
    for e in all {
        let mode = if e.is_dir() { 0o755 } else { 0o644 };
        let _ = std::fs::set_permissions(&e, std::fs::Permissions::from_mode(mode));
    }
}

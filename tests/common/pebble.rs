//! A real ACME CA on loopback for tests: Debian's `pebble` with `pebble-challtestsrv` as its
//! DNS (every name resolves to 127.0.0.1), its HTTPS certificate made at test time by rcgen,
//! its validation ports pointed at the server under test; and the `server` binary run as a
//! process on a generated configuration. Everything is killed on drop.

use super::process::free_port;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running pebble (and its DNS).
pub struct Pebble {
    pub dir: PathBuf,
    pub acme_port: u16,
    pub mgmt_port: u16,
    http_port: u16,
    tls_port: u16,
    children: Vec<Child>,
}

fn need(program: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{program} is not installed: these tests need Debian's pebble package (apt-get install pebble; .ci/run installs it)"
    );
}

/// Writes `pebble-ca.pem` (the trust anchor for pebble's HTTPS) and pebble's own pair.
pub fn make_tls(dir: &Path) {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.distinguished_name
        .push(DnType::CommonName, "pebble test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("ca");
    std::fs::write(dir.join("pebble-ca.pem"), ca_cert.pem()).expect("write");
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("leaf");
    std::fs::write(dir.join("pebble-tls.pem"), leaf.pem()).expect("write");
    std::fs::write(dir.join("pebble-tls.key"), key.serialize_pem()).expect("write");
}

impl Pebble {
    /// Starts pebble with its validations going to `http_port` (http-01) and `tls_port`
    /// (tls-alpn-01) on 127.0.0.1.
    pub fn start(dir: &Path, http_port: u16, tls_port: u16) -> Pebble {
        Self::start_on(dir, http_port, tls_port, free_port())
    }

    /// As `start`, with the ACME directory on `acme_port`.
    pub fn start_on(dir: &Path, http_port: u16, tls_port: u16, acme_port: u16) -> Pebble {
        need("pebble");
        need("pebble-challtestsrv");
        if !dir.join("pebble-ca.pem").exists() {
            make_tls(dir);
        }
        let mut p = Pebble {
            dir: dir.to_path_buf(),
            acme_port,
            mgmt_port: free_port(),
            http_port,
            tls_port,
            children: Vec::new(),
        };
        p.run();
        p
    }

    fn run(&mut self) {
        let dns = free_port();
        let log = |name: &str| {
            std::fs::File::create(self.dir.join(name))
                .map(Stdio::from)
                .unwrap_or(Stdio::null())
        };
        let cts = Command::new("pebble-challtestsrv")
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{}", free_port())])
            .stdout(log("challtestsrv.log"))
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn pebble-challtestsrv");
        self.children.push(cts);
        let config = serde_json::json!({ "pebble": {
            "listenAddress": format!("127.0.0.1:{}", self.acme_port),
            "managementListenAddress": format!("127.0.0.1:{}", self.mgmt_port),
            "certificate": self.dir.join("pebble-tls.pem"),
            "privateKey": self.dir.join("pebble-tls.key"),
            "httpPort": self.http_port,
            "tlsPort": self.tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        let cfg = self.dir.join("pebble.json");
        std::fs::write(&cfg, config.to_string()).expect("write pebble config");
        let pebble = Command::new("pebble")
            .arg("-config")
            .arg(&cfg)
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(log("pebble.log"))
            .stderr(log("pebble.err"))
            .spawn()
            .expect("spawn pebble");
        self.children.push(pebble);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.acme_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "pebble did not start (see {}/pebble.log)",
                self.dir.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The ACME directory URL.
    pub fn directory(&self) -> String {
        format!("https://localhost:{}/dir", self.acme_port)
    }

    /// Pebble's issuing root (it makes a new one each start), written to `file`.
    pub fn root_to(&self, file: &Path) {
        let out = Command::new("curl")
            .args(["-sf", "--cacert"])
            .arg(self.dir.join("pebble-ca.pem"))
            .arg(format!("https://localhost:{}/roots/0", self.mgmt_port))
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "pebble's root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(file, out.stdout).expect("write root");
    }

    /// Stops it (the CA goes down).
    pub fn stop(&mut self) {
        for mut c in self.children.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `server` binary running on `main.conf` in a directory; stopped on drop.
pub struct Running {
    child: Child,
    pub dir: PathBuf,
}

impl Running {
    pub fn start(dir: &Path) -> Running {
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--allow-root", "-f", "main.conf"])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        Running {
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// The error log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) takes plain integers and touches no memory of this process.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.halt();
        }
    }
}

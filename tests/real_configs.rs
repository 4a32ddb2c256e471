//! Takes real-world configurations, unchanged but for addresses, ports and paths (Debian's
//! installed /etc/apache2 tree with ssl and default-ssl enabled as a2enmod/a2ensite do, and the
//! files `certbot --apache` writes), and gives out what the built `server` binary makes of
//! them: the `-t` exit code, the `-S` plan, and the running server's HTTP and HTTPS answers
//! (status, body, Location, HSTS, ALPN).

mod common;

use common::server::{Reply, Tls, get};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Two distinct free loopback ports (bound together, then closed).
fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let b = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    (
        a.local_addr().expect("addr").port(),
        b.local_addr().expect("addr").port(),
    )
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The `server` binary with ServerRoot `root`, main file `file`, environment `env`, run in
/// `cwd`.
fn server_cmd(cwd: &Path, root: &Path, file: &str, env: &[(String, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_server"));
    // Under root a config without User is refused; these configs are about parsing and serving.
    c.arg("--allow-root")
        .arg("-d")
        .arg(root)
        .args(["-f", file])
        .current_dir(cwd);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(mut c: Command, args: &[&str]) -> (Output, String, String) {
    let o = c.args(args).output().expect("run server");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, out, err)
}

/// The server running in the foreground as a child; killed on drop if a test fails first.
struct Running {
    child: Child,
    stderr: PathBuf,
    error_log: PathBuf,
}

impl Running {
    /// Starts the server and waits until every port in `ports` accepts connections.
    fn start(mut c: Command, dir: &Path, error_log: PathBuf, ports: &[u16]) -> Running {
        let stderr = dir.join("server.stderr");
        let f = std::fs::File::create(&stderr).expect("stderr file");
        let child = c
            .stdin(Stdio::null())
            .stdout(f.try_clone().expect("clone"))
            .stderr(f)
            .spawn()
            .expect("spawn server");
        let mut r = Running {
            child,
            stderr,
            error_log,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = r.child.try_wait() {
                panic!("the server exited ({status}) before serving:\n{}", r.logs());
            }
            if ports
                .iter()
                .all(|p| std::net::TcpStream::connect(loopback(*p)).is_ok())
            {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not listen on {ports:?} within 15 s:\n{}",
                r.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn logs(&self) -> String {
        format!(
            "--- stderr\n{}\n--- error log {}\n{}",
            std::fs::read_to_string(&self.stderr).unwrap_or_default(),
            self.error_log.display(),
            std::fs::read_to_string(&self.error_log).unwrap_or_default()
        )
    }

    /// SIGTERM, as `apache2ctl stop` sends; the server must exit 0 within 10 s.
    fn stop(mut self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) takes plain integers and touches no memory of this process.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill {pid}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "stop: {status}\n{}", self.logs());
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within 10 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Copies a tree as `cp -a` would for config files: symlinks stay symlinks (so the copy's
/// `mods-enabled` and `sites-enabled` still point into `*-available`).
fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read dir").flatten() {
        let to = dst.join(e.file_name());
        let ty = e.file_type().expect("file type");
        if ty.is_symlink() {
            let target = std::fs::read_link(e.path()).expect("readlink");
            std::os::unix::fs::symlink(target, &to).expect("symlink");
        } else if ty.is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// `a2enmod`/`a2ensite`: a relative symlink `<etc>/<kind>-enabled/<name>` ->
/// `../<kind>-available/<name>`.
fn enable(etc: &Path, kind: &str, name: &str) {
    let link = etc.join(format!("{kind}-enabled")).join(name);
    assert!(
        etc.join(format!("{kind}-available")).join(name).exists(),
        "{kind}-available/{name} is missing from Debian's tree"
    );
    if std::fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(format!("../{kind}-available/{name}"), &link).expect("symlink");
    }
}

/// Rewrites each line of `file` through `f` (which returns the new line, or `None` to keep
/// it); returns how many lines changed.
fn edit_lines(file: &Path, mut f: impl FnMut(&str) -> Option<String>) -> usize {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut changed = 0;
    let mut out = String::new();
    for line in text.lines() {
        match f(line) {
            Some(new) => {
                changed += 1;
                out.push_str(&new);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    std::fs::write(file, out).expect("write");
    changed
}

/// The first word of a config line, and the indentation before it.
fn directive(line: &str) -> (&str, &str) {
    let t = line.trim_start();
    let indent = &line[..line.len() - t.len()];
    (indent, t.split_whitespace().next().unwrap_or(""))
}

/// Points a Debian site file at `127.0.0.1:<port>` and `docroot`.
fn move_site(file: &Path, port: u16, docroot: &Path) {
    let mut vhosts = 0;
    let mut roots = 0;
    edit_lines(file, |line| match directive(line) {
        (indent, "<VirtualHost") => {
            vhosts += 1;
            Some(format!("{indent}<VirtualHost 127.0.0.1:{port}>"))
        }
        (indent, "DocumentRoot") => {
            roots += 1;
            Some(format!("{indent}DocumentRoot {}", docroot.display()))
        }
        _ => None,
    });
    assert_eq!(
        (vhosts, roots),
        (1, 1),
        "{}: one VirtualHost and one DocumentRoot expected",
        file.display()
    );
}

/// The DNS names in a PEM certificate.
fn dns_names(pem: &Path) -> Vec<String> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_file(pem)
        .map(|der| common::server::names_of(&der))
        .unwrap_or_default()
}

const SNAKEOIL_CRT: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
const SNAKEOIL_KEY: &str = "/etc/ssl/private/ssl-cert-snakeoil.key";

/// The certificate default-ssl.conf serves and a DNS name it covers: Debian's snakeoil pair
/// when it is there and readable, else a self-signed one for `localhost` made here, with the
/// copied default-ssl.conf pointed at it.
fn default_ssl_cert(tmp: &Path, site: &Path) -> (PathBuf, String) {
    let names = dns_names(Path::new(SNAKEOIL_CRT));
    if std::fs::read(SNAKEOIL_KEY).is_ok() && !names.is_empty() {
        return (PathBuf::from(SNAKEOIL_CRT), names[0].clone());
    }
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed");
    let (crt, keyf) = (tmp.join("snakeoil.pem"), tmp.join("snakeoil.key"));
    std::fs::write(&crt, cert.pem()).expect("write");
    std::fs::write(&keyf, key.serialize_pem()).expect("write");
    let changed = edit_lines(site, |line| match directive(line) {
        (indent, "SSLCertificateFile") => {
            Some(format!("{indent}SSLCertificateFile {}", crt.display()))
        }
        (indent, "SSLCertificateKeyFile") => {
            Some(format!("{indent}SSLCertificateKeyFile {}", keyf.display()))
        }
        _ => None,
    });
    assert_eq!(changed, 2, "default-ssl.conf names a certificate and a key");
    (crt, "localhost".to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debian_stock_tree() {
    assert!(
        Path::new("/etc/apache2/apache2.conf").exists(),
        "this test reads Debian's stock configuration: apt-get install apache2 (CI installs it)"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let t = tmp.path();
    let etc = t.join("apache2");
    copy_tree(Path::new("/etc/apache2"), &etc);
    for m in ["ssl.load", "ssl.conf", "socache_shmcb.load"] {
        enable(&etc, "mods", m);
    }
    enable(&etc, "sites", "default-ssl.conf");

    let (p80, p443) = free_ports();
    let moved = edit_lines(&etc.join("ports.conf"), |line| match directive(line) {
        (indent, "Listen") => {
            let port = line.split_whitespace().nth(1).unwrap_or("");
            let new = match port {
                "80" => p80,
                "443" => p443,
                other => panic!("ports.conf: unexpected Listen {other}"),
            };
            Some(format!("{indent}Listen 127.0.0.1:{new}"))
        }
        _ => None,
    });
    assert!(moved >= 2, "ports.conf: Listen 80 and Listen 443 expected");

    // /var/www moves to <tmp>/www: the sites' DocumentRoot and apache2.conf's
    // <Directory /var/www/> that grants access to it.
    let www = t.join("www");
    let docroot = www.join("html");
    if Path::new("/var/www/html/index.html").exists() {
        let copy = common::stage(Path::new("/var/www/html"));
        std::fs::create_dir_all(&www).expect("mkdir");
        copy_tree(copy.path(), &docroot);
    } else {
        std::fs::create_dir_all(&docroot).expect("mkdir");
        std::fs::write(docroot.join("index.html"), "Apache2 Debian Default Page\n").expect("write");
    }
    std::fs::write(
        docroot.join(".htaccess"),
        "# htaccess-marker: never served\n",
    )
    .expect("write");
    let granted = edit_lines(&etc.join("apache2.conf"), |line| {
        (line.trim() == "<Directory /var/www/>").then(|| format!("<Directory {}/>", www.display()))
    });
    assert_eq!(granted, 1, "apache2.conf grants <Directory /var/www/>");
    let sites = etc.join("sites-available");
    move_site(&sites.join("000-default.conf"), p80, &docroot);
    move_site(&sites.join("default-ssl.conf"), p443, &docroot);
    let (cert, cert_name) = default_ssl_cert(t, &sites.join("default-ssl.conf"));

    // What apache2ctl sets from /etc/apache2/envvars.
    let mut env = vec![
        ("APACHE_RUN_USER".to_string(), "www-data".to_string()),
        ("APACHE_RUN_GROUP".to_string(), "www-data".to_string()),
    ];
    for (k, sub) in [
        ("APACHE_PID_FILE", "run/apache2.pid"),
        ("APACHE_RUN_DIR", "run"),
        ("APACHE_LOCK_DIR", "lock"),
        ("APACHE_LOG_DIR", "log"),
    ] {
        let p = t.join(sub);
        if !sub.ends_with(".pid") {
            std::fs::create_dir_all(&p).expect("mkdir");
        }
        env.push((k.to_string(), p.display().to_string()));
    }
    let cmd = || server_cmd(t, &etc, "apache2.conf", &env);

    let (o, _, err) = run(cmd(), &["-t"]);
    assert!(o.status.success(), "server -t on Debian's tree:\n{err}");

    let (o, out, err) = run(cmd(), &["-S"]);
    assert!(o.status.success(), "server -S on Debian's tree:\n{err}");
    let line_of = |file: &str| {
        out.lines().any(|l| {
            l.split(file).nth(1).is_some_and(|rest| {
                rest.strip_prefix(':')
                    .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))
            })
        })
    };
    assert!(
        out.contains(&format!("127.0.0.1:{p80}")) && line_of("sites-enabled/000-default.conf"),
        "-S lists the port-80 vhost with file:line:\n{out}"
    );
    assert!(
        out.contains(&format!("127.0.0.1:{p443}")) && line_of("sites-enabled/default-ssl.conf"),
        "-S lists the default-ssl vhost with file:line:\n{out}"
    );
    let cert_file = cert.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        out.contains(cert_file),
        "-S names the certificate {}:\n{out}",
        cert.display()
    );

    let server = Running::start(cmd(), t, t.join("log/error.log"), &[p80, p443]);
    let page = std::fs::read(docroot.join("index.html")).expect("index");
    assert!(
        String::from_utf8_lossy(&page).contains("Apache2 Debian Default Page"),
        "the docroot holds Debian's default page"
    );
    let https = |sni: bool| {
        Some(Tls {
            sni: sni.then(|| cert_name.clone()),
            verify: Some((cert.clone(), cert_name.clone())),
            h2: false,
        })
    };
    let host = Some(cert_name.as_str());
    let summary = |r: &Reply| (r.status, r.text());
    let want = (200, String::from_utf8_lossy(&page).into_owned());

    let r = get(loopback(p80), None, "/", host).await;
    assert_eq!(summary(&r), want, "HTTP GET / serves Debian's page");
    for sni in [true, false] {
        let r = get(loopback(p443), https(sni), "/", host).await;
        assert_eq!(
            summary(&r),
            want,
            "HTTPS GET / (SNI: {sni}) serves Debian's page"
        );
    }
    let r = get(loopback(p80), None, "/.htaccess", host).await;
    assert_eq!(r.status, 403, "HTTP GET /.htaccess: {}", r.text());
    assert!(!r.text().contains("htaccess-marker"));
    for sni in [true, false] {
        let r = get(loopback(p443), https(sni), "/.htaccess", host).await;
        assert_eq!(
            r.status,
            403,
            "HTTPS GET /.htaccess (SNI: {sni}): {}",
            r.text()
        );
        assert!(!r.text().contains("htaccess-marker"));
    }
    server.stop();
}

/// Certbot's options-ssl-apache.conf, verbatim.
const OPTIONS_SSL_APACHE: &str = r#"# This file contains important security parameters. If you modify this file
# manually, Certbot will be unable to automatically provide future security
# updates. Instead, Certbot will print and log an error message with a path to
# the up-to-date file that you will need to refer to when manually updating
# this file. Contents are based on https://ssl-config.mozilla.org

SSLEngine on

# Intermediate configuration, tweak to your needs
SSLProtocol             all -SSLv2 -SSLv3 -TLSv1 -TLSv1.1
SSLCipherSuite          ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384
SSLHonorCipherOrder     off
SSLSessionTickets       off

SSLOptions +StrictRequire

# Add vhost name to log entries:
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"" vhost_combined
LogFormat "%v %h %l %u %t \"%r\" %>s %b" vhost_common
"#;

/// The ALPN protocol a TLS handshake offering `h2, http/1.1` negotiates, verified against `ca`.
async fn negotiated_alpn(addr: SocketAddr, ca: &Path, name: &str) -> Option<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_file(ca).expect("ca"))
        .expect("add ca");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from(name.to_string()).expect("name");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .expect("handshake");
    tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certbot_output_runs_unchanged() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let (p80, p443) = free_ports();
    let docroot = d.join("www/example.test");
    std::fs::create_dir_all(&docroot).expect("mkdir");
    std::fs::write(docroot.join("index.html"), "site=example.test\n").expect("write");

    // /etc/letsencrypt/live/example.test: the leaf and its CA in fullchain.pem.
    let live = d.join("live/example.test");
    std::fs::create_dir_all(&live).expect("mkdir");
    common::make_certs(&live, "leaf example.test");
    let leaf = std::fs::read_to_string(live.join("leaf.crt")).expect("leaf");
    let ca = std::fs::read_to_string(live.join("ca.crt")).expect("ca");
    std::fs::write(live.join("fullchain.pem"), format!("{leaf}{ca}")).expect("write");
    std::fs::copy(live.join("leaf.key"), live.join("privkey.pem")).expect("copy");
    std::fs::write(d.join("options-ssl-apache.conf"), OPTIONS_SSL_APACHE).expect("write");

    let dir = d.display();
    let root = docroot.display();
    let sites = d.join("sites-enabled");
    std::fs::create_dir_all(&sites).expect("mkdir");
    std::fs::write(
        d.join("main.conf"),
        format!(
            "Listen 127.0.0.1:{p80}\nListen 127.0.0.1:{p443} https\nErrorLog {dir}/logs/error.log\nIncludeOptional sites-enabled/*.conf\n"
        ),
    )
    .expect("write");
    std::fs::write(
        sites.join("000-default.conf"),
        format!(
            "<VirtualHost 127.0.0.1:{p80}>
    ServerName example.test
    DocumentRoot {root}
    RewriteEngine on
    RewriteCond %{{SERVER_NAME}} =example.test
    RewriteRule ^ https://%{{SERVER_NAME}}%{{REQUEST_URI}} [END,NE,R=permanent]
</VirtualHost>
"
        ),
    )
    .expect("write");
    std::fs::write(
        sites.join("000-default-le-ssl.conf"),
        format!(
            "<IfModule mod_ssl.c>
<VirtualHost 127.0.0.1:{p443}>
    ServerName example.test
    DocumentRoot {root}
    Include {dir}/options-ssl-apache.conf
    Header always set Strict-Transport-Security \"max-age=31536000\"
    Protocols h2 http/1.1
    SSLCertificateFile {dir}/live/example.test/fullchain.pem
    SSLCertificateKeyFile {dir}/live/example.test/privkey.pem
</VirtualHost>
</IfModule>
"
        ),
    )
    .expect("write");

    let cmd = || server_cmd(d, d, "main.conf", &[]);
    let (o, _, err) = run(cmd(), &["-t"]);
    assert!(o.status.success(), "server -t on certbot's files:\n{err}");

    let server = Running::start(cmd(), d, d.join("logs/error.log"), &[p80, p443]);
    let r = get(loopback(p80), None, "/some/path?q=1", Some("example.test")).await;
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("https://example.test/some/path?q=1".to_string())),
        "certbot's redirect: {}",
        r.text()
    );

    let ca_file = live.join("ca.crt");
    let tls = |h2: bool| {
        Some(Tls {
            sni: Some("example.test".to_string()),
            verify: Some((ca_file.clone(), "example.test".to_string())),
            h2,
        })
    };
    let hsts = Some("max-age=31536000".to_string());
    let r = get(loopback(p443), tls(false), "/", Some("example.test")).await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "site=example.test\n"),
        "HTTPS GET /"
    );
    assert_eq!(r.header("strict-transport-security"), hsts, "HSTS on a 200");
    let r = get(loopback(p443), tls(false), "/missing", Some("example.test")).await;
    assert_eq!(r.status, 404, "HTTPS GET /missing");
    assert_eq!(
        r.header("strict-transport-security"),
        hsts,
        "Header always: HSTS on a 404 too"
    );

    assert_eq!(
        negotiated_alpn(loopback(p443), &ca_file, "example.test")
            .await
            .as_deref(),
        Some(&b"h2"[..]),
        "offered h2 and http/1.1, `Protocols h2 http/1.1` picks h2"
    );
    let r = get(loopback(p443), tls(true), "/", Some("example.test")).await;
    assert_eq!(
        (r.version, r.status, r.header("strict-transport-security")),
        (hyper::Version::HTTP_2, 200, hsts),
        "GET / over HTTP/2"
    );
    server.stop();
}

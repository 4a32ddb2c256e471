//! Differential test against Apache httpd 2.4 (Debian's apache2, which `.ci/run` installs):
//! the same vhost file served by both, the same matrix of (SNI, Host, path) probes, and the
//! same status, site and certificate expected from each.

mod common;

use common::server::{Reply, Tls, fetch, start};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const APACHE: &str = "/usr/sbin/apache2";

/// The vhost file both servers read; `{P0}` is the HTTPS port, `{P1}` the HTTP port.
const VHOSTS: &str = "Listen 127.0.0.1:{P0} https
Listen 127.0.0.1:{P1}
CustomLog {ROOT}/access_common.log common
CustomLog {ROOT}/access_combined.log combined
<VirtualHost 127.0.0.1:{P0}>
  ServerName default.test
  SSLEngine on
  SSLCertificateFile {ROOT}/default.crt
  SSLCertificateKeyFile {ROOT}/default.key
  DocumentRoot {ROOT}/htdocs/def
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  ServerAlias www.a.test
  SSLEngine on
  SSLCertificateFile {ROOT}/a.crt
  SSLCertificateKeyFile {ROOT}/a.key
  DocumentRoot {ROOT}/htdocs/a
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName b.test
  SSLEngine on
  SSLCertificateFile {ROOT}/b.crt
  SSLCertificateKeyFile {ROOT}/b.key
  DocumentRoot {ROOT}/htdocs/b
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName shared.test
  SSLEngine on
  SSLCertificateFile {ROOT}/a.crt
  SSLCertificateKeyFile {ROOT}/a.key
  DocumentRoot {ROOT}/htdocs/shared
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName x.w.test
  ServerAlias *.w.test
  SSLEngine on
  SSLCertificateFile {ROOT}/wild.crt
  SSLCertificateKeyFile {ROOT}/wild.key
  DocumentRoot {ROOT}/htdocs/w
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName a.test
  ServerAlias www.a.test
  DocumentRoot {ROOT}/htdocs/a
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName b.test
  ServerAlias *.wild.test ?.q.test
  DocumentRoot {ROOT}/htdocs/b
</VirtualHost>
";

const CERTS: &str =
    "default default.test\na a.test www.a.test shared.test\nb b.test\nwild *.w.test\n";
const SITES: &[&str] = &["def", "a", "b", "shared", "w"];

/// The part of a response both servers must agree on.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: u16,
    site: Option<String>,
    location: Option<String>,
    cert: Option<String>,
}

fn seen(r: &Reply) -> Seen {
    let text = r.text();
    Seen {
        status: r.status,
        site: text.starts_with("site=").then_some(text),
        location: r
            .header("location")
            .map(|l| l.replace(|c: char| c.is_ascii_digit(), "")),
        cert: r.cert_names.first().cloned(),
    }
}

async fn probe(https: SocketAddr, http: SocketAddr) -> Vec<(String, Seen)> {
    let snis = [
        None,
        Some("default.test"),
        Some("a.test"),
        Some("WWW.A.TEST"),
        Some("b.test"),
        Some("shared.test"),
        Some("foo.w.test"),
        Some("a.b.w.test"),
        Some("unknown.test"),
    ];
    let hosts = [
        "default.test",
        "a.test",
        "www.a.test",
        "b.test",
        "shared.test",
        "foo.w.test",
        "unknown.test",
        "A.TEST.:443",
    ];
    let mut out = Vec::new();
    for sni in snis {
        for host in hosts {
            let tls = Some(Tls {
                sni: sni.map(str::to_string),
                ..Tls::default()
            });
            let label = format!("https sni={sni:?} host={host}");
            match fetch(https, tls, &[("/", Some(host))]).await {
                Ok(r) => out.push((label, seen(&r[0]))),
                Err(e) => panic!("{label}: {e}"),
            }
        }
    }
    let with_agent = b"GET /sub/?q=1 HTTP/1.1\r\nHost: a.test\r\nReferer: http://r.test/page\r\nUser-Agent: tester/1.0 \"quoted\"\r\nConnection: close\r\n\r\n";
    let r = common::server::raw(http, None, with_agent).await;
    out.push((
        "http with referer and agent".to_string(),
        Seen {
            status: common::server::status_of(&r),
            site: None,
            location: None,
            cert: None,
        },
    ));
    let paths = ["/", "/sub", "/sub/", "/missing", "/../x", "/%2e%2e/x"];
    let hosts = [
        "a.test",
        "b.test",
        "x.y.wild.test",
        "wild.test",
        "z.q.test",
        "zz.q.test",
        "B.TEST.",
        "nowhere.test",
        "b..test",
        "12345",
    ];
    for host in hosts {
        for path in paths {
            let label = format!("http host={host} path={path}");
            let r = fetch(http, None, &[(path, Some(host))])
                .await
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            out.push((label, seen(&r[0])));
        }
    }
    out
}

fn prepare_root(root: &Path) {
    common::make_certs(root, CERTS);
    common::server::make_sites(root, SITES);
    for s in SITES {
        let d = root.join("htdocs").join(s).join("sub");
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("index.html"), format!("site={s}-sub")).expect("write");
    }
    // Apache's workers run as www-data: let them read the tree.
    common::open_to_all(root);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn apache_conf(root: &Path, vhosts: &Path) -> String {
    let m = "/usr/lib/apache2/modules";
    let r = root.display();
    format!(
        "ServerRoot \"{r}/apache\"\nPidFile \"{r}/apache/httpd.pid\"\nDefaultRuntimeDir \"{r}/apache\"\nErrorLog \"{r}/apache/error.log\"\nLogLevel warn\nUser www-data\nGroup www-data\nServerName localhost\n\
LoadModule mpm_event_module {m}/mod_mpm_event.so\nLoadModule authz_core_module {m}/mod_authz_core.so\nLoadModule mime_module {m}/mod_mime.so\nLoadModule dir_module {m}/mod_dir.so\nLoadModule alias_module {m}/mod_alias.so\nLoadModule ssl_module {m}/mod_ssl.so\nLoadModule socache_shmcb_module {m}/mod_socache_shmcb.so\n\
TypesConfig /etc/mime.types\nDirectoryIndex index.html\n\
LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common\nLogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{{Referer}}i\\\" \\\"%{{User-Agent}}i\\\"\" combined\n<Directory />\n    Require all granted\n</Directory>\nInclude \"{}\"\n",
        vhosts.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_answers_as_apache() {
    assert!(
        Path::new(APACHE).exists(),
        "this test needs Apache httpd 2.4: apt-get install apache2 (.ci/run installs it)"
    );
    // Apache on its own root and ports.
    let adir = tempfile::tempdir().expect("tmp");
    let aroot = adir.path();
    prepare_root(aroot);
    std::fs::create_dir_all(aroot.join("apache")).expect("mkdir");
    let (ap0, ap1) = (free_port(), free_port());
    let vhosts = VHOSTS
        .replace("{ROOT}", &aroot.display().to_string())
        .replace("{P0}", &ap0.to_string())
        .replace("{P1}", &ap1.to_string());
    std::fs::write(aroot.join("vhosts.conf"), vhosts).expect("write");
    std::fs::write(
        aroot.join("apache.conf"),
        apache_conf(aroot, &aroot.join("vhosts.conf")),
    )
    .expect("write");
    let out = Command::new(APACHE)
        .args([
            "-f",
            &aroot.join("apache.conf").display().to_string(),
            "-k",
            "start",
        ])
        .output()
        .expect("apache2");
    assert!(
        out.status.success(),
        "apache2 did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let https_a: SocketAddr = format!("127.0.0.1:{ap0}").parse().expect("addr");
    let http_a: SocketAddr = format!("127.0.0.1:{ap1}").parse().expect("addr");
    common::server::wait_for(https_a).await;
    common::server::wait_for(http_a).await;
    let apache = probe(https_a, http_a).await;
    let _ = Command::new(APACHE)
        .args([
            "-f",
            &aroot.join("apache.conf").display().to_string(),
            "-k",
            "stop",
        ])
        .output();

    // Ours on the same vhost file, with its own ports.
    let ours_server = start(
        &VHOSTS.replace("{ROOT}/", ""),
        &["127.0.0.1", "127.0.0.1"],
        CERTS,
        SITES,
    )
    .await;
    prepare_root_sub(ours_server.root());
    let ours = probe(
        ours_server.addr("127.0.0.1", 0),
        ours_server.addr("127.0.0.1", 1),
    )
    .await;
    ours_server.server.stop(Some(Duration::from_secs(5))).await;
    tokio::time::sleep(Duration::from_millis(400)).await; // the log writers flush when idle
    for log in ["access_common.log", "access_combined.log"] {
        // Lines are written as responses finish, so requests on different connections may
        // be logged in either order: both logs are compared in request order.
        let key = |l: &String| -> String {
            let Some(a) = l.find('"') else {
                return l.clone();
            };
            let rest = &l[a + 1..];
            let Some(b) = rest.find("\" ") else {
                return l.clone();
            };
            let status = rest[b + 2..].split_whitespace().next().unwrap_or("");
            format!("{}{status}", &l[..a + b + 2])
        };
        let mut theirs = log_lines(&aroot.join(log));
        let mut mine = log_lines(&ours_server.root().join(log));
        theirs.sort_by_key(key);
        mine.sort_by_key(key);
        assert_eq!(theirs.len(), mine.len(), "{log}: one line per request");
        assert!(theirs.len() > 100, "{log}: {} lines", theirs.len());
        let mut compared = 0;
        for (t, m) in theirs.iter().zip(&mine) {
            // Error pages differ in wording, so lines are compared in full where the body is
            // the same file, and by request and status elsewhere.
            if t.contains("\" 200 ") || t.contains("\" 304 ") {
                assert_eq!(t, m, "{log}");
                compared += 1;
            } else {
                let head = |l: &str| {
                    l.rsplit_once('"')
                        .map(|(a, rest)| {
                            format!("{a}\" {}", rest.split_whitespace().next().unwrap_or(""))
                        })
                        .unwrap_or_default()
                };
                let head = |l: &str| {
                    if log.contains("combined") {
                        l.split(" \"-\"").next().map(head).unwrap_or_default()
                    } else {
                        head(l)
                    }
                };
                assert_eq!(head(t), head(m), "{log}");
            }
        }
        assert!(
            compared >= 30,
            "{log}: only {compared} lines compared in full"
        );
    }

    let mut diffs = Vec::new();
    for ((label, theirs), (_, mine)) in apache.iter().zip(&ours) {
        if theirs != mine {
            diffs.push(format!("{label}\n  apache: {theirs:?}\n  ours:   {mine:?}"));
        }
    }
    assert_eq!(apache.len(), ours.len());
    // The matrix must exercise every kind of answer, or agreeing proves little.
    for status in [200, 301, 400, 404, 421] {
        assert!(
            apache.iter().any(|(_, s)| s.status == status),
            "no probe got {status} from Apache"
        );
    }
    let certs: std::collections::BTreeSet<_> =
        apache.iter().filter_map(|(_, s)| s.cert.clone()).collect();
    assert_eq!(
        certs.len(),
        4,
        "every certificate is presented to some probe: {certs:?}"
    );
    assert!(
        diffs.is_empty(),
        "{} of {} probes differ from Apache:\n{}",
        diffs.len(),
        apache.len(),
        diffs.join("\n")
    );
}

/// A log's lines with the time stamp blanked.
fn log_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| match (l.find('['), l.find(']')) {
            (Some(a), Some(b)) if a < b => format!("{}[T]{}", &l[..a], &l[b + 1..]),
            _ => l.to_string(),
        })
        .collect()
}

fn prepare_root_sub(root: &Path) {
    for s in SITES {
        let d = root.join("htdocs").join(s).join("sub");
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("index.html"), format!("site={s}-sub")).expect("write");
    }
}

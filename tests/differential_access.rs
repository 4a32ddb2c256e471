//! Differential test of access control and mod_headers against Apache httpd 2.4 (Debian's
//! apache2, which `.ci/run` installs): one site file with every access-control form, served by
//! both (with `<If>`/`<ElseIf>`/`<Else>` too); a table of requests (paths, client addresses
//! 127.0.0.1/127.0.0.2, methods, credentials) must get the same status, `WWW-Authenticate` and
//! the headers mod_headers sets.

mod common;

use base64::Engine;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const APACHE: &str = "/usr/sbin/apache2";

/// The site both servers read; `{P0}` is the port, `{D}` the shared data directory.
const SITE: &str = r#"Listen 127.0.0.1:{P0}
SetEnvIf Remote_Addr "^127\.0\.0\.2$" from_two
SetEnvIf User-Agent "^blocked" bad_agent
<VirtualHost 127.0.0.1:{P0}>
  ServerName acl.test
  DocumentRoot {D}/www
  Header always set X-Always "yes"
  Header set X-Success "ok"
  Header set X-Two "two" env=from_two
  Header always set X-Not-Two "not-two" env=!from_two
  <Directory {D}/www>
    AllowOverride None
    Require all granted
  </Directory>
  <FilesMatch "^\.ht">
    Require all denied
  </FilesMatch>
  <Directory {D}/www/denied>
    Require all denied
  </Directory>
  <Directory {D}/www/ip>
    Require ip 127.0.0.2
    <If "%{QUERY_STRING} == 'open'">
      Require all granted
    </If>
  </Directory>
  <Directory {D}/www/notip>
    <RequireAll>
      Require all granted
      Require not ip 127.0.0.2
    </RequireAll>
  </Directory>
  <Directory {D}/www/cidr>
    Require ip 127.0.0.0/31
  </Directory>
  <Directory {D}/www/local>
    Require local
  </Directory>
  <Directory {D}/www/env>
    Require env from_two
  </Directory>
  <Directory {D}/www/agent>
    <RequireAll>
      Require all granted
      Require not env bad_agent
    </RequireAll>
  </Directory>
  <Directory {D}/www/method>
    Require method GET
  </Directory>
  <Directory {D}/www/expr>
    Require expr "%{REMOTE_ADDR} == '127.0.0.2' || %{QUERY_STRING} =~ /^key=1$/"
  </Directory>
  <Directory {D}/www/none>
    <RequireAll>
      Require all granted
      <RequireNone>
        Require ip 127.0.0.2
        Require env bad_agent
      </RequireNone>
    </RequireAll>
  </Directory>
  <Directory {D}/www/order_ad>
    Order allow,deny
    Allow from all
    Deny from 127.0.0.2
  </Directory>
  <Directory {D}/www/order_da>
    Order deny,allow
    Deny from all
    Allow from 127.0.0.0/255.255.255.254
  </Directory>
  <Directory {D}/www/order_env>
    Order deny,allow
    Deny from env=from_two
  </Directory>
  <Directory {D}/www/order_partial>
    Order deny,allow
    Deny from all
    Allow from 127.0.0.2/32 ::1/128
  </Directory>
  <Directory {D}/www/auth>
    AuthType Basic
    AuthName "Members Only"
    AuthUserFile {D}/htpasswd
    Require valid-user
  </Directory>
  <Directory {D}/www/auth_user>
    AuthType Basic
    AuthName "Bob"
    AuthUserFile {D}/htpasswd
    Require user bob
  </Directory>
  <Directory {D}/www/auth_group>
    AuthType Basic
    AuthName "Admins"
    AuthUserFile {D}/htpasswd
    AuthGroupFile {D}/groups
    Require group admins
  </Directory>
  <Directory {D}/www/satisfy>
    Order deny,allow
    Deny from all
    Allow from 127.0.0.2
    AuthType Basic
    AuthName "Either"
    AuthUserFile {D}/htpasswd
    Require valid-user
    Satisfy Any
  </Directory>
  <Location /merged>
    AuthType Basic
    AuthName "Merged"
    AuthUserFile {D}/htpasswd
    AuthMerging And
    Require valid-user
  </Location>
  <Directory {D}/www/merged>
    Require ip 127.0.0.1
  </Directory>
  <Location /loc-denied>
    Require all denied
  </Location>
  <If "%{QUERY_STRING} == 'deny'">
    Require all denied
  </If>
  <ElseIf "%{REMOTE_ADDR} == '127.0.0.2' && %{HTTP_USER_AGENT} =~ /^tester/">
    Header set X-If "elseif"
  </ElseIf>
  <Else>
    Header always set X-If "else"
  </Else>
</VirtualHost>
"#;

const DIRS: &[&str] = &[
    "denied",
    "ip",
    "notip",
    "cidr",
    "local",
    "env",
    "agent",
    "method",
    "expr",
    "none",
    "order_ad",
    "order_da",
    "order_env",
    "order_partial",
    "auth",
    "auth_user",
    "auth_group",
    "satisfy",
    "merged",
    "loc-denied",
];

fn prepare(d: &Path) {
    let www = d.join("www");
    for dir in DIRS {
        std::fs::create_dir_all(www.join(dir)).expect("mkdir");
        std::fs::write(www.join(dir).join("index.html"), format!("in {dir}\n")).expect("write");
    }
    std::fs::write(www.join("index.html"), "top\n").expect("write");
    std::fs::write(www.join(".htaccess"), "secret\n").expect("write");
    std::fs::write(www.join(".htpasswd"), "secret\n").expect("write");
    let bcrypt = bcrypt::hash("carolpw", 5).expect("bcrypt");
    std::fs::write(
        d.join("htpasswd"),
        format!(
            "alice:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/\nbob:{{SHA}}5en6G6MezRroT3XKqkdPOmY/BfQ=\ncarol:{bcrypt}\n"
        ),
    )
    .expect("write");
    std::fs::write(d.join("groups"), "admins: carol alice\nstaff: bob\n").expect("write");
    common::open_to_all(d);
}

/// One request of the table.
struct Probe {
    from: &'static str,
    method: &'static str,
    path: String,
    user: Option<(&'static str, &'static str)>,
    agent: &'static str,
}

fn table() -> Vec<Probe> {
    let mut paths: Vec<String> = DIRS.iter().map(|d| format!("/{d}/")).collect();
    paths.extend(
        [
            "/",
            "/.htaccess",
            "/.htpasswd",
            "/missing",
            "/expr/?key=1",
            "/denied/missing",
            "/?deny",
            "/ip/?open",
            "/auth/?deny",
        ]
        .map(String::from),
    );
    let users = [
        None,
        Some(("alice", "secret")),
        Some(("alice", "wrong")),
        Some(("bob", "secret")),
        Some(("carol", "carolpw")),
        Some(("nobody", "x")),
    ];
    let mut out = Vec::new();
    for path in &paths {
        for from in ["127.0.0.1", "127.0.0.2"] {
            for user in users {
                out.push(Probe {
                    from,
                    method: "GET",
                    path: path.clone(),
                    user,
                    agent: "tester/1.0",
                });
            }
            for (method, agent) in [("POST", "tester/1.0"), ("GET", "blocked/2.0")] {
                out.push(Probe {
                    from,
                    method,
                    path: path.clone(),
                    user: None,
                    agent,
                });
            }
        }
    }
    out
}

/// Sends one request from `p.from` and gives what both servers must agree on.
async fn ask(addr: SocketAddr, p: &Probe) -> String {
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.bind(format!("{}:0", p.from).parse().expect("addr"))
        .expect("bind a loopback alias");
    let mut s = sock.connect(addr).await.expect("connect");
    let auth = p
        .user
        .map(|(u, pw)| {
            let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{pw}"));
            format!("Authorization: Basic {b}\r\n")
        })
        .unwrap_or_default();
    let body = if p.method == "POST" {
        "Content-Length: 0\r\n"
    } else {
        ""
    };
    let req = format!(
        "{} {} HTTP/1.1\r\nHost: acl.test\r\nUser-Agent: {}\r\n{auth}{body}Connection: close\r\n\r\n",
        p.method, p.path, p.agent
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    let status = text.split(' ').nth(1).unwrap_or("?").to_string();
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut shown: Vec<String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| k.starts_with("x-") || k == "www-authenticate")
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    shown.sort();
    format!("{status} {}", shown.join(" | "))
}

async fn run_table(addr: SocketAddr) -> Vec<String> {
    let mut out = Vec::new();
    for p in table() {
        let label = format!(
            "{} {} from {} user={:?} agent={}",
            p.method, p.path, p.from, p.user, p.agent
        );
        out.push(format!("{label} => {}", ask(addr, &p).await));
    }
    out
}

fn apache_conf(d: &Path, site: &Path) -> String {
    let m = "/usr/lib/apache2/modules";
    let r = d.display();
    let mods = [
        "mpm_event",
        "authz_core",
        "authz_host",
        "authz_user",
        "authz_groupfile",
        "authn_core",
        "authn_file",
        "auth_basic",
        "access_compat",
        "setenvif",
        "headers",
        "mime",
        "dir",
        "alias",
        "env",
    ];
    let load: String = mods
        .iter()
        .map(|x| format!("LoadModule {x}_module {m}/mod_{x}.so\n"))
        .collect();
    format!(
        "ServerRoot \"{r}/apache\"\nPidFile \"{r}/apache/httpd.pid\"\nDefaultRuntimeDir \"{r}/apache\"\nErrorLog \"{r}/apache/error.log\"\nLogLevel warn\nUser www-data\nGroup www-data\nServerName localhost\n{load}TypesConfig /etc/mime.types\nDirectoryIndex index.html\nInclude \"{}\"\n",
        site.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_control_as_apache() {
    assert!(
        Path::new(APACHE).exists(),
        "this test needs Apache httpd 2.4: apt-get install apache2 (.ci/run installs it)"
    );
    let data = tempfile::tempdir().expect("tmp");
    let d = data.path();
    prepare(d);
    let dtext = d.display().to_string();

    // Apache on its own port.
    std::fs::create_dir_all(d.join("apache")).expect("mkdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let site = SITE
        .replace("{D}", &dtext)
        .replace("{P0}", &port.to_string());
    std::fs::write(d.join("site.conf"), site).expect("write");
    std::fs::write(d.join("apache.conf"), apache_conf(d, &d.join("site.conf"))).expect("write");
    let conf = d.join("apache.conf").display().to_string();
    let out = Command::new(APACHE)
        .args(["-f", &conf, "-k", "start"])
        .output()
        .expect("apache2");
    assert!(
        out.status.success(),
        "apache2 did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let apache_addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    common::server::wait_for(apache_addr).await;
    let apache = run_table(apache_addr).await;
    let _ = Command::new(APACHE)
        .args(["-f", &conf, "-k", "stop"])
        .output();
    let apache_log = std::fs::read_to_string(d.join("apache/error.log")).unwrap_or_default();

    // Ours on the same site file.
    let ours_server =
        common::server::start(&SITE.replace("{D}", &dtext), &["127.0.0.1"], "", &[]).await;
    let ours = run_table(ours_server.addr("127.0.0.1", 0)).await;
    ours_server.stop().await;

    assert_eq!(apache.len(), ours.len());
    // The table reaches every <If> branch (so agreeing on it means something).
    for want in [
        "GET /?deny from 127.0.0.1 user=None agent=tester/1.0 => 403",
        "GET /ip/?open from 127.0.0.1 user=None agent=tester/1.0 => 200",
        "x-if: elseif",
        "x-if: else",
    ] {
        assert!(
            apache.iter().any(|l| l.contains(want)),
            "no probe shows {want:?}:\n{}",
            apache
                .iter()
                .filter(|l| l.contains("?deny") || l.contains("?open"))
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let differ: Vec<String> = apache
        .iter()
        .zip(&ours)
        .filter(|(a, o)| a != o)
        .map(|(a, o)| format!("apache: {a}\n  ours: {o}"))
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} requests differ:\n{}\nApache's error log:\n{}",
        differ.len(),
        apache.len(),
        differ.join("\n"),
        apache_log.lines().take(20).collect::<Vec<_>>().join("\n")
    );
}

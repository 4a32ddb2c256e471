//! The reload preview against a running server: it records its plan next to its PidFile at
//! start and after each reload; `-t --diff` and `-k reload` say what a reload of an edited
//! configuration would change (a vhost added, the default vhost, a certificate replaced, a
//! name losing coverage); `SSLCoverage strict` refuses a configuration that would serve a
//! name its certificate does not cover, and the running one stays.

mod common;

use common::make_certs;
use common::process::{free_port, signal};
use std::path::Path;
use std::process::Output;

fn server(dir: &Path, args: &[&str]) -> Output {
    common::process::run_server(dir, args)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn conf(port: u16, first: &str, extra: &str) -> String {
    format!(
        "ServerName main.test\nListen 127.0.0.1:{port} https\nPidFile run/server.pid\nErrorLog logs/error.log\n{extra}\
<VirtualHost 127.0.0.1:{port}>\n  ServerName {first}\n  SSLEngine on\n  SSLCertificateFile ab.crt\n  SSLCertificateKeyFile ab.key\n  DocumentRoot htdocs\n</VirtualHost>\n\
<VirtualHost 127.0.0.1:{port}>\n  ServerName b.test\n  SSLEngine on\n  DocumentRoot htdocs\n</VirtualHost>\n"
    )
}

fn record(d: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(d.join("run/server.plan.json")).ok()?;
    serde_json::from_str(&text).ok()
}

#[test]
fn a_reload_is_previewed_against_the_running_plan() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("htdocs")).expect("mkdir");
    make_certs(d, "ab a.test b.test\nother a.test c.test\n");
    let port = free_port();
    std::fs::write(d.join("main.conf"), conf(port, "a.test", "")).expect("conf");
    // Nothing runs yet: no preview, but the check itself passes.
    let o = server(d, &["-t", "--diff", "-f", "main.conf"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("no reload preview: no running server"),
        "{}",
        text(&o)
    );
    let o = server(d, &["-k", "start", "-f", "main.conf"]);
    assert!(o.status.success(), "{}", text(&o));
    common::process::eventually("the plan is recorded", || record(d));
    let pid: u32 = std::fs::read_to_string(d.join("run/server.pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("pid number");
    let o = server(d, &["-t", "--diff", "-f", "main.conf"]);
    assert!(
        text(&o).contains("Reload preview:\nno change"),
        "{}",
        text(&o)
    );
    // The edit: a new first vhost, and the default certificate replaced by one that no longer
    // covers b.test.
    std::fs::copy(d.join("other.crt"), d.join("ab.crt")).expect("cp");
    std::fs::copy(d.join("other.key"), d.join("ab.key")).expect("cp");
    let edited = conf(port, "c.test", "");
    std::fs::write(d.join("main.conf"), &edited).expect("conf");
    let o = server(d, &["-t", "--diff", "-f", "main.conf"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for want in [
        "vhosts:\n  + c.test on 127.0.0.1:",
        "  - a.test on 127.0.0.1:",
        &format!("default vhosts:\n  127.0.0.1:{port}: a.test -> c.test"),
        "certificates:\n  ~ ab.crt replaced (not after 2045-01-01 00:00:00 UTC -> 2045-01-01 00:00:00 UTC; names a.test, b.test -> a.test, c.test)",
        &format!(
            "coverage lost:\n  127.0.0.1:{port} b.test: will get ab.crt, which does not cover it"
        ),
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // -k reload shows the same summary, then the server records the new plan.
    let o = server(d, &["-k", "reload", "-f", "main.conf"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("default vhosts:"), "{}", text(&o));
    common::process::eventually("the reloaded plan is recorded", || {
        record(d).filter(|r| r["vhosts"][0]["server_name"] == "c.test")
    });
    let o = server(d, &["-t", "--diff", "-f", "main.conf"]);
    assert!(text(&o).contains("no change"), "{}", text(&o));
    // SSLCoverage strict: b.test is not covered, so the configuration is refused, and -k
    // reload never signals the running server.
    std::fs::write(
        d.join("main.conf"),
        conf(port, "c.test", "SSLCoverage strict\n"),
    )
    .expect("conf");
    let o = server(d, &["-t", "-f", "main.conf"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("error: name b.test (vhost b.test) is not covered"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("SSLCoverage strict makes this an error"),
        "{}",
        text(&o)
    );
    let o = server(d, &["-k", "reload", "-f", "main.conf"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(
        record(d).map(|r| r["vhosts"][0]["server_name"].clone()),
        Some(serde_json::Value::from("c.test"))
    );
    signal(pid, libc::SIGTERM);
    common::process::eventually("the record is removed at exit", || {
        (!d.join("run/server.plan.json").exists() && !d.join("run/server.pid").exists())
            .then_some(())
    });
}

//! The process identity the binary serves under: started as root with `User nobody` /
//! `Group nogroup` it binds (a port below 1024 too), then serves (and reloads) as that account, so a file only root can
//! read is 403; as root without a User it refuses to start unless `--allow-root`; started as
//! anyone else, `User` is ignored, as httpd ignores it. `-t` run as an account that cannot read a
//! key says so with the file and line.

mod common;

use common::process::{eventually, free_port};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The status line and body of a GET, or None while nothing answers.
fn get(port: u16, path: &str) -> Option<(String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    Some((head.lines().next()?.to_string(), body.to_string()))
}

/// A ServerRoot anyone can read, with `extra` main-server directives.
fn site(d: &Path, port: u16, extra: &str) {
    for sub in ["htdocs/a", "logs", "run"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    std::fs::write(d.join("htdocs/a/index.html"), "site=a").expect("write");
    std::fs::write(
        d.join("main.conf"),
        format!(
            "ServerName main.test\nListen 127.0.0.1:{port}\nPidFile run/server.pid\n\
             ErrorLog logs/error.log\nLogLevel info\n{extra}\n\
             <VirtualHost 127.0.0.1:{port}>\n  ServerName a.test\n  DocumentRoot htdocs/a\n</VirtualHost>\n"
        ),
    )
    .expect("write");
    common::open_to_all(d);
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(d: &Path, args: &[&str]) -> Running {
    Running(
        Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .args(["-f", "main.conf"])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    )
}

/// The real uid the kernel reports for a process.
fn uid_of(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .expect("Uid line");
    // "Uid: real effective saved fs": every one of them must have changed.
    let ids: Vec<u32> = line[4..]
        .split_whitespace()
        .map(|n| n.parse().expect("uid"))
        .collect();
    assert!(ids.iter().all(|&i| i == ids[0]), "mixed ids: {line}");
    ids[0]
}

fn am_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn root_switches_to_user_and_group_after_binding() {
    if !am_root() {
        eprintln!("not root: the switch cannot be tried here (see the non-root test)");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    // A privileged port (below 1024), as 80 and 443 are: only root may bind it.
    let port = (600..1024u16)
        .rev()
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port below 1024");
    site(d, port, "User nobody\nGroup nogroup");
    // Readable by root only: once switched, the server must not be able to read it.
    let secret = d.join("htdocs/a/secret.txt");
    std::fs::write(&secret, "root only").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let server = start(d, &[]);
    let (status, body) = eventually("the server answers", || get(port, "/"));
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "site=a");
    assert_eq!(uid_of(server.0.id()), 65534, "serving as nobody");
    let (status, _) = get(port, "/secret.txt").expect("answer");
    assert!(status.contains(" 403 "), "a root-only file: {status}");

    // A reload reads the new configuration as nobody, and serves it.
    std::fs::create_dir_all(d.join("htdocs/b")).expect("mkdir");
    std::fs::write(d.join("htdocs/b/index.html"), "site=b").expect("write");
    let conf = std::fs::read_to_string(d.join("main.conf")).expect("read");
    std::fs::write(d.join("main.conf"), conf.replace("htdocs/a", "htdocs/b")).expect("write");
    common::open_to_all(d);
    common::process::signal(server.0.id(), libc::SIGHUP);
    eventually("the reloaded site", || {
        get(port, "/").filter(|(_, b)| b == "site=b")
    });
    assert_eq!(uid_of(server.0.id()), 65534);
}

#[test]
fn root_without_user_is_refused_unless_allowed() {
    if !am_root() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    for (extra, why) in [
        ("", "no User directive"),
        ("User root", "User root is root"),
    ] {
        let port = free_port();
        site(d, port, extra);
        let out = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["-f", "main.conf"])
            .current_dir(d)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("refusing to serve as root") && err.contains(why),
            "{err}"
        );
        assert!(err.contains("--allow-root"), "says what to do: {err}");
    }
    let port = free_port();
    site(d, port, "");
    let server = start(d, &["--allow-root"]);
    let (status, _) = eventually("the server answers", || get(port, "/"));
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(uid_of(server.0.id()), 0);
}

#[test]
fn unknown_user_is_an_error_naming_it() {
    if !am_root() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    site(dir.path(), port, "User no-such-account-here");
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["-f", "main.conf"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("User no-such-account-here: no such user"),
        "{err}"
    );
}

#[test]
fn not_root_user_is_ignored() {
    if am_root() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    site(dir.path(), port, "User nobody\nGroup nogroup");
    let server = start(dir.path(), &[]);
    let (status, _) = eventually("the server answers", || get(port, "/"));
    assert!(status.contains(" 200 "), "{status}");
    // SAFETY: getuid has no preconditions.
    assert_eq!(uid_of(server.0.id()), unsafe { libc::getuid() });
}

/// F6: `-t` run as an account that cannot read the key names the file and line and fails,
/// rather than passing and leaving the failure to the start (or to a reload as User).
#[test]
fn a_key_the_checking_account_cannot_read_fails_the_check() {
    if !am_root() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let port = free_port();
    site(d, port, "User nobody\nGroup nogroup");
    common::make_certs(d, "a a.test");
    let conf = std::fs::read_to_string(d.join("main.conf")).expect("read");
    std::fs::write(
        d.join("main.conf"),
        conf.replace(
            "  DocumentRoot htdocs/a\n",
            "  DocumentRoot htdocs/a\n  SSLEngine on\n  SSLCertificateFile a.crt\n  SSLCertificateKeyFile a.key\n",
        ),
    )
    .expect("write");
    common::open_to_all(d);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("a.key"), std::fs::Permissions::from_mode(0o600))
        .expect("chmod");
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_server"))
        .args(["-t", "-f", "main.conf"])
        .current_dir(d)
        .output()
        .expect("setpriv (util-linux)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("main.conf:13:25: error: SSLCertificateKeyFile \"a.key\": Permission denied"),
        "{err}"
    );
    // Root can read it: the same check passes.
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["-t", "-f", "main.conf"])
        .current_dir(d)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_managed_domains_store_is_given_to_user() {
    if !am_root() {
        eprintln!("not root: the switch cannot be tried here");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let port = common::process::free_port();
    // No SSL vhost uses the domain, so nothing is ordered (and nothing leaves loopback).
    site(
        d,
        port,
        "User nobody\nGroup nogroup\nMDCertificateAuthority https://127.0.0.1:9/dir\nMDStoreDir md\nMDomain a.test",
    );
    let old = d.join("md/domains/a.test");
    std::fs::create_dir_all(&old).expect("mkdir");
    std::fs::write(old.join("md.json"), "{}").expect("write");
    let _server = start(d, &[]);
    eventually("the server answers", || get(port, "/"));
    use std::os::unix::fs::MetadataExt;
    for p in [d.join("md"), old.clone(), old.join("md.json")] {
        let m = std::fs::metadata(&p).expect("stat");
        assert_eq!(
            (m.uid(), m.gid()),
            (65534, 65534),
            "{} belongs to User/Group",
            p.display()
        );
    }
}

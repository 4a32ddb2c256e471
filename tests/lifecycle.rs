//! The server as a process, driven the way admins drive httpd: `-k start`, `-k graceful` with a
//! good and a broken configuration, a raw SIGHUP with a broken one (the old configuration keeps
//! serving: our deliberate difference from httpd), `-k stop` letting a download finish, the
//! PidFile written and removed, a stale PidFile detected, and the error log; busy Listen
//! addresses, a second SIGTERM and the drain deadline, and a SIGHUP storm.

mod common;

use common::process::{fd_count, free_port, signal};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The binary, told it may serve as root (CI runs as root; privilege drop has its own test).
fn server(dir: &Path, args: &[&str]) -> Output {
    common::process::run_server(dir, args)
}

fn http_get(port: u16, host: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn body(resp: Option<String>) -> String {
    resp.and_then(|r| r.split_once("\r\n\r\n").map(|(_, b)| b.to_string()))
        .unwrap_or_default()
}

/// The server in the foreground on `main.conf` in `dir`, once it answers on `port`.
fn foreground(dir: &Path, port: u16) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--allow-root", "-f", "main.conf"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    eventually("the server answers", || {
        http_get(port, "a.test", "/").is_some()
    });
    child
}

fn eventually(what: &str, f: impl Fn() -> bool) {
    common::process::eventually(what, || f().then_some(()))
}

fn conf(port: u16, extra: &str) -> String {
    format!(
        "ServerName main.test\nListen 127.0.0.1:{port}\nPidFile run/server.pid\nErrorLog logs/error.log\nLogLevel info\nCustomLog logs/access.log combined\n\
<VirtualHost 127.0.0.1:{port}>\n  ServerName a.test\n  DocumentRoot htdocs/a\n</VirtualHost>\n{extra}"
    )
}

#[test]
fn start_graceful_hup_and_stop_as_an_admin_would() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    for site in ["a", "b"] {
        std::fs::create_dir_all(d.join("htdocs").join(site)).expect("mkdir");
        std::fs::write(
            d.join("htdocs").join(site).join("index.html"),
            format!("site={site}"),
        )
        .expect("write");
    }
    std::fs::File::create(d.join("htdocs/a/big.bin"))
        .expect("create")
        .set_len(32 << 20)
        .expect("len");
    let port = free_port();
    std::fs::write(d.join("main.conf"), conf(port, "")).expect("write");

    let out = server(d, &["-k", "start", "-f", "main.conf"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pid: u32 = std::fs::read_to_string(d.join("run/server.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    eventually("the server answers", || {
        body(http_get(port, "a.test", "/")) == "site=a"
    });
    let out = server(d, &["-k", "start", "-f", "main.conf"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("httpd (pid {pid}) already running"))
    );

    // A good change, through -k graceful.
    std::fs::write(d.join("main.conf"), conf(port, &format!("<VirtualHost 127.0.0.1:{port}>\n  ServerName b.test\n  DocumentRoot htdocs/b\n</VirtualHost>\n"))).expect("write");
    assert!(
        server(d, &["-k", "graceful", "-f", "main.conf"])
            .status
            .success()
    );
    eventually("the new vhost answers", || {
        body(http_get(port, "b.test", "/")) == "site=b"
    });

    // A broken change: -k graceful refuses to signal; a raw HUP is rejected by the server.
    std::fs::write(d.join("main.conf"), conf(port, "ServrName typo\n")).expect("write");
    let out = server(d, &["-k", "graceful", "-f", "main.conf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Invalid command 'ServrName'"));
    signal(pid, libc::SIGHUP);
    eventually("the rejection is logged", || {
        std::fs::read_to_string(d.join("logs/error.log"))
            .unwrap_or_default()
            .contains("reload rejected")
    });
    assert_eq!(
        body(http_get(port, "b.test", "/")),
        "site=b",
        "the old configuration keeps serving"
    );
    let log = std::fs::read_to_string(d.join("logs/error.log")).expect("error log");
    assert!(
        log.contains("reload applied") && log.contains("ServrName"),
        "{log}"
    );

    // -k stop lets an in-flight download finish, then the process is gone with its PidFile.
    std::fs::write(d.join("main.conf"), conf(port, "")).expect("write");
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "GET /big.bin HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut first = [0u8; 4096];
    let mut got = s.read(&mut first).expect("read");
    let stopper = std::thread::spawn({
        let d = d.to_path_buf();
        move || server(&d, &["-k", "stop", "-f", "main.conf"])
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        std::thread::sleep(Duration::from_micros(300));
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => panic!("the download broke: {e}"),
        }
    }
    assert!(got > 32 << 20, "the download was cut at {got} bytes");
    let out = stopper.join().expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the server is still running"
    );
    assert!(
        !d.join("run/server.pid").exists(),
        "the PidFile is removed at exit"
    );
    let access = std::fs::read_to_string(d.join("logs/access.log")).expect("access log");
    assert!(
        access.contains("\"GET /big.bin HTTP/1.1\" 200 33554432 \"-\" \"-\""),
        "{access}"
    );

    // A PidFile naming a dead process is stale.
    std::fs::create_dir_all(d.join("run")).expect("mkdir");
    std::fs::write(d.join("run/server.pid"), format!("{pid}\n")).expect("write");
    let out = server(d, &["-k", "stop", "-f", "main.conf"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not running (stale pid file"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn sigterm_in_the_foreground_exits_zero() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("htdocs/a")).expect("mkdir");
    let port = free_port();
    std::fs::write(d.join("main.conf"), conf(port, "")).expect("write");
    let mut child = foreground(d, port);
    signal(child.id(), libc::SIGTERM);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert!(!d.join("run/server.pid").exists());
}

/// F11: every Listen that cannot be bound is reported with its line, and nothing starts.
#[test]
fn listen_addresses_in_use_are_all_reported() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("htdocs/a")).expect("mkdir");
    let held = [
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
    ];
    let [p1, p2] = held
        .each_ref()
        .map(|l| l.local_addr().expect("addr").port());
    std::fs::write(
        d.join("main.conf"),
        conf(p1, &format!("Listen 127.0.0.1:{p2}\n")),
    )
    .expect("write");
    let out = server(d, &["-f", "main.conf"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (port, line) in [(p1, 2), (p2, 11)] {
        assert!(
            err.contains(&format!(
                "cannot bind 127.0.0.1:{port} (Listen at main.conf:{line}): Address already in use"
            )),
            "{err}"
        );
    }
    assert!(
        !d.join("run/server.pid").exists(),
        "no PidFile for a server that never ran"
    );
}

/// G10: a stop waits for a download a client is slow to take, up to GracefulShutdownTimeout;
/// a second SIGTERM ends it at once. Both exit 0.
#[test]
fn a_second_sigterm_or_the_drain_deadline_ends_a_graceful_stop() {
    for (timeout, second_signal) in [(30, true), (1, false)] {
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        std::fs::create_dir_all(d.join("htdocs/a")).expect("mkdir");
        std::fs::File::create(d.join("htdocs/a/big.bin"))
            .and_then(|f| f.set_len(64 << 20))
            .expect("big file");
        let port = free_port();
        let extra = format!("GracefulShutdownTimeout {timeout}\n");
        std::fs::write(d.join("main.conf"), conf(port, &extra)).expect("write");
        let mut child = foreground(d, port);
        // A download that is started and then not read: the server's send buffer fills.
        let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(
            slow,
            "GET /big.bin HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut first = [0u8; 1024];
        slow.read_exact(&mut first).expect("the download starts");
        let t0 = Instant::now();
        signal(child.id(), libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the stop did not wait for the download"
        );
        if second_signal {
            signal(child.id(), libc::SIGTERM);
        }
        let status = child.wait().expect("wait");
        let took = t0.elapsed();
        assert_eq!(status.code(), Some(0));
        let bound = if second_signal { 3 } else { 4 };
        assert!(
            took < Duration::from_secs(bound),
            "timeout {timeout}, second signal {second_signal}: took {took:?}"
        );
        drop(slow);
    }
}

/// G5: a storm of SIGHUPs coalesces (one reload running, at most one waiting), leaves the
/// descriptor count where it was, and the server answers and stops promptly after it.
#[test]
fn a_hup_storm_coalesces_and_leaks_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("htdocs/a")).expect("mkdir");
    std::fs::write(d.join("htdocs/a/index.html"), "site=a").expect("write");
    let port = free_port();
    std::fs::write(d.join("main.conf"), conf(port, "")).expect("write");
    let mut child = foreground(d, port);
    let fds = || fd_count(child.id());
    // One reload first, so lazily opened descriptors are counted in the baseline.
    signal(child.id(), libc::SIGHUP);
    let log = d.join("logs/error.log");
    let applied = || {
        std::fs::read_to_string(&log)
            .map(|t| t.matches("reload applied").count())
            .unwrap_or(0)
    };
    eventually("the first reload", || applied() == 1);
    let before = fds();
    for _ in 0..10 {
        for _ in 0..20 {
            signal(child.id(), libc::SIGHUP);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    let reloads = applied() - 1;
    eprintln!("200 SIGHUPs: {reloads} reloads");
    assert!(
        // About two per burst: the one running and the one waiting.
        (1..=40).contains(&reloads),
        "200 SIGHUPs ran {reloads} reloads"
    );
    let body = http_get(port, "a.test", "/").expect("an answer after the storm");
    assert!(body.contains("site=a"), "{body}");
    let after = fds();
    assert!(after <= before + 2, "descriptors {before} -> {after}");
    let t0 = Instant::now();
    signal(child.id(), libc::SIGTERM);
    assert_eq!(child.wait().expect("wait").code(), Some(0));
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
}

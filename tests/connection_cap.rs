//! The binary under a small descriptor limit (catalogue D5): at the connection cap (the limit
//! less 64 spare) further clients wait in the listen backlog, the server does not spin, and a
//! waiting client is served as soon as a connection closes.

mod common;

use common::process::{cpu_ticks, eventually, free_port};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The descriptor limit the server runs under (soft and hard, so it cannot raise it).
const LIMIT: u64 = 128;
/// What `vhostd::server::limits::connection_cap` gives for it.
const CAP: usize = 64;

#[test]
fn at_the_cap_clients_wait_and_are_served_when_one_frees() {
    assert_eq!(vhostd::server::limits::connection_cap(LIMIT, None), CAP);
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("htdocs")).expect("mkdir");
    std::fs::write(d.join("htdocs/index.html"), "hello").expect("write");
    let port = free_port();
    std::fs::write(
        d.join("main.conf"),
        format!(
            "ServerName main.test\nListen 127.0.0.1:{port}\nDocumentRoot htdocs\n\
             ErrorLog logs/error.log\nPidFile logs/pid\nTimeout 30\n"
        ),
    )
    .expect("write");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(["--allow-root", "-f", "main.conf"])
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and touches only a struct on this stack.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn");
    let get = |timeout: Duration| -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(timeout)).ok()?;
        s.write_all(b"GET / HTTP/1.1\r\nHost: main.test\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        (!out.is_empty()).then_some(out)
    };
    eventually("the server answers", || get(Duration::from_secs(2)));

    // Fill every slot with a connection that sends nothing (each holds it for Timeout).
    let mut idle: Vec<TcpStream> = (0..CAP)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // One more client: its connection completes in the kernel's backlog, but it is not
    // served while every slot is taken.
    let mut waiting = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    waiting
        .write_all(b"GET / HTTP/1.1\r\nHost: main.test\r\nConnection: close\r\n\r\n")
        .expect("write");
    waiting
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .expect("timeout");
    let before = cpu_ticks(child.id());
    let mut buf = [0u8; 256];
    let early = waiting.read(&mut buf);
    assert!(
        early.is_err(),
        "served past the cap of {CAP}: {early:?} {:?}",
        String::from_utf8_lossy(&buf)
    );
    // Waiting at the cap costs nothing: no accept loop spinning (1.5 s is ~150 ticks).
    let spent = cpu_ticks(child.id()) - before;
    assert!(spent < 30, "{spent} ticks of CPU in 1.5 s at the cap");

    // One connection closes: the waiting client is served.
    drop(idle.pop());
    waiting
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut out = String::new();
    waiting
        .read_to_string(&mut out)
        .expect("answered once a slot frees");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with("hello"), "{out}");
    drop(idle);
    assert!(get(Duration::from_secs(5)).is_some_and(|r| r.contains("200 OK")));
    let _ = child.kill();
    let _ = child.wait();
}

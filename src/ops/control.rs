//! `server -k start|stop|graceful|restart|reload|graceful-stop`, as apachectl does it: the
//! configuration is checked first (a broken one is never signalled to a running server), the
//! running server is found through its PidFile (a file naming a dead process is stale), then
//! it is signalled (TERM, USR1, HUP, HUP, WINCH) or, for start, a detached server is started.

use crate::ops::pidfile;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The `-k` actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Graceful,
    Restart,
    Reload,
    GracefulStop,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "start" => Action::Start,
            "stop" => Action::Stop,
            "graceful" => Action::Graceful,
            "restart" => Action::Restart,
            "reload" => Action::Reload,
            "graceful-stop" => Action::GracefulStop,
            _ => return None,
        })
    }

    fn signal(self) -> libc::c_int {
        match self {
            Action::Start => 0,
            Action::Stop => libc::SIGTERM,
            Action::Graceful => libc::SIGUSR1,
            Action::Restart | Action::Reload => libc::SIGHUP,
            Action::GracefulStop => libc::SIGWINCH,
        }
    }
}

/// Sends a signal to a process.
fn send(pid: u32, sig: libc::c_int) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| std::io::Error::other("pid out of range"))?;
    // SAFETY: kill(2) takes plain integers and has no memory effects on this process.
    let r = unsafe { libc::kill(pid, sig) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The running server's pid, or why there is none (as httpd words it).
fn running(pid_file: &Path) -> Result<u32, String> {
    match pidfile::read(pid_file) {
        None => Err("httpd (no pid file) not running".to_string()),
        Some(pid) if pidfile::alive(pid) => Ok(pid),
        Some(pid) => Err(format!(
            "httpd (pid {pid}?) not running (stale pid file {})",
            pid_file.display()
        )),
    }
}

/// Carries out `action` for an already checked configuration; `args` start a server like this
/// one. Returns the exit code and prints what happened.
pub fn run(action: Action, pid_file: &Path, stderr_log: &Path, args: &[String]) -> u8 {
    match (action, running(pid_file)) {
        (Action::Start, Ok(pid)) => {
            println!("httpd (pid {pid}) already running");
            0
        }
        (Action::Start, Err(_)) => start(pid_file, stderr_log, args),
        (Action::Graceful | Action::Restart | Action::Reload, Err(_)) => {
            println!("httpd not running, trying to start");
            start(pid_file, stderr_log, args)
        }
        (Action::Stop | Action::GracefulStop, Err(why)) => {
            println!("{why}");
            1
        }
        (a, Ok(pid)) => match send(pid, a.signal()) {
            Ok(()) if a == Action::Stop => wait_gone(pid, Duration::from_secs(30)),
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: cannot signal pid {pid}: {e}");
                1
            }
        },
    }
}

/// Starts a detached server (its own process group, no terminal, standard error appended to
/// `stderr_log`) and waits for its PidFile.
fn start(pid_file: &Path, stderr_log: &Path, args: &[String]) -> u8 {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find this program: {e}");
            return 1;
        }
    };
    let log = stderr_log
        .parent()
        .map(std::fs::create_dir_all)
        .transpose()
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(stderr_log)
        });
    let log = match log {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", stderr_log.display());
            return 1;
        }
    };
    let mut child = match Command::new(exe)
        .args(args)
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot start the server: {e}");
            return 1;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            eprintln!("error: the server exited at start ({status}); see the error log");
            return 1;
        }
        if pidfile::read(pid_file) == Some(child.id()) {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "error: the server did not write its PidFile {} in time",
        pid_file.display()
    );
    1
}

fn wait_gone(pid: u32, limit: Duration) -> u8 {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !pidfile::alive(pid) {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "warning: pid {pid} is still running after {}s",
        limit.as_secs()
    );
    1
}

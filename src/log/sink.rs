//! Takes log lines from requests and writes them to a file on a thread of its own: requests
//! only hand a line to a bounded queue (a full queue drops the line, it never waits), the
//! writer buffers and flushes when idle, and a write error (full disk, vanished file) is
//! reported once, not once per line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

/// Lines waiting for the writer before new ones are dropped.
const QUEUE: usize = 16 * 1024;

/// What the writer thread is asked to do.
enum Msg {
    Line(String),
    /// Close the file and open the path again (after logrotate moved it away).
    Reopen,
}

/// One open log file.
pub struct Sink {
    path: PathBuf,
    tx: SyncSender<Msg>,
    dropped: Arc<AtomicU64>,
    warned: AtomicBool,
}

impl Sink {
    /// Opens (appending, creating) `path` and starts its writer.
    pub fn open(path: &Path) -> std::io::Result<Sink> {
        create_parent(path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (tx, rx) = sync_channel(QUEUE);
        let p = path.to_path_buf();
        std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer(file, rx, p))?;
        Ok(Sink {
            path: path.to_path_buf(),
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
            warned: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Asks the writer to reopen the file (a reload does this for every log it keeps).
    pub fn reopen(&self) {
        let _ = self.tx.try_send(Msg::Reopen);
    }

    /// Queues a line (without its newline); never blocks.
    pub fn write(&self, line: String) {
        match self.tx.try_send(Msg::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::error!(log = %self.path.display(), "access log is not keeping up; lines are being dropped rather than delaying requests");
                }
            }
        }
    }
}

fn writer(file: std::fs::File, rx: Receiver<Msg>, path: PathBuf) {
    let shown = path.display().to_string();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
    let mut failing = false;
    loop {
        let line = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Line(l)) => l,
            Ok(Msg::Reopen) => {
                report(out.flush(), &mut failing, &shown);
                // Only a file moved away (logrotate) needs reopening; this also keeps a
                // server that switched to User writing to the file root opened.
                if same_file(out.get_ref(), &path) {
                    continue;
                }
                match std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                {
                    Ok(f) => out = std::io::BufWriter::with_capacity(64 * 1024, f),
                    Err(e) => {
                        tracing::error!(log = %shown, error = %e, "cannot reopen the access log; writing on to the old file")
                    }
                }
                continue;
            }
            Err(RecvTimeoutError::Timeout) => {
                report(out.flush(), &mut failing, &shown);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let r = out
            .write_all(line.as_bytes())
            .and_then(|_| out.write_all(b"\n"));
        report(r, &mut failing, &shown);
    }
    report(out.flush(), &mut failing, &shown);
}

/// Is the open `file` still what `path` names (same device and inode)?
pub fn same_file(file: &std::fs::File, path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Reports the first error of a run of errors, and the recovery.
fn report(r: std::io::Result<()>, failing: &mut bool, shown: &str) {
    match (r, *failing) {
        (Err(e), false) => {
            tracing::error!(log = %shown, error = %e, "cannot write the access log; lines are lost until it works again");
            *failing = true;
        }
        (Ok(()), true) => {
            tracing::info!(log = %shown, "the access log is writable again");
            *failing = false;
        }
        _ => {}
    }
}

/// Creates the directory a log file goes in, when missing (httpd would refuse to start).
pub fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}

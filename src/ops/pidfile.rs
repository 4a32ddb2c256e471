//! The PidFile: where it is (the `PidFile` directive, else `logs/httpd.pid` under ServerRoot),
//! writing it at start, removing it at exit, and reading it back to find a running server
//! (a file naming a process that is gone is stale).

use crate::plan::Plan;
use std::path::{Path, PathBuf};

pub fn path(plan: &Plan) -> PathBuf {
    plan.model
        .pid_file
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_else(|| plan.server_root.join("logs/httpd.pid"))
}

/// Writes this process's id (creating the directory when missing).
pub fn write(p: &Path) -> std::io::Result<()> {
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(p, format!("{}\n", std::process::id()))
}

pub fn remove(p: &Path) {
    if read(p) == Some(std::process::id()) {
        let _ = std::fs::remove_file(p);
    }
}

/// The pid in the file, if the file exists and holds one.
pub fn read(p: &Path) -> Option<u32> {
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

/// Is a process with this pid alive? (`/proc/<pid>` exists.)
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

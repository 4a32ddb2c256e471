//! Takes the plan a server runs (as `-S -j` JSON) and its PidFile's path, and keeps the plan
//! record next to the PidFile (`httpd.pid` -> `httpd.plan.json`): written at start and after
//! every applied reload, removed at exit; read back by `-t --diff` and `-k reload` to preview
//! what a reload of another configuration would change.

use crate::insight::certinfo::Roots;
use crate::insight::diff::{self, Preview};
use crate::prepare::check::Checked;
use std::path::{Path, PathBuf};

/// Where the server running with this PidFile records its plan.
pub fn path(pid_file: &Path) -> PathBuf {
    pid_file.with_extension("plan.json")
}

/// The record of a checked plan (certificate chains are not judged: no trust store is read).
pub fn render(checked: &Checked) -> String {
    serde_json::to_string_pretty(&checked.json(&Roots::none())).unwrap_or_default() + "\n"
}

/// Writes the record: beside it and renamed into place where the directory allows, else over
/// the file in place (after a switch to `User`, only the file itself may be writable).
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    match std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(_) => {
            let _ = std::fs::remove_file(&tmp);
            std::fs::write(path, text)
        }
    }
}

/// Gives the record to the account the server becomes, so reloads can rewrite it.
pub fn hand_to(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
}

pub fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// What reloading the running server (found by `checked`'s PidFile) into `checked` would
/// change; `Err` says why there is nothing to compare with.
pub fn preview(checked: &Checked) -> Result<Preview, String> {
    let pid_file = super::pidfile::path(&checked.plan);
    let at = path(&pid_file);
    let running = super::pidfile::read(&pid_file).filter(|p| super::pidfile::alive(*p));
    let Some(pid) = running else {
        return Err(format!(
            "no running server found through the PidFile {}",
            pid_file.display()
        ));
    };
    let text = std::fs::read_to_string(&at).map_err(|e| {
        format!(
            "the running server (pid {pid}) has no plan record at {}: {e}",
            at.display()
        )
    })?;
    let old: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("the plan record {} cannot be read: {e}", at.display()))?;
    diff::diff(&old, &checked.json(&Roots::none()))
}

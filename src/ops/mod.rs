//! Takes the command line's `-k` verbs and the PidFile and gives httpd's process control:
//! start, stop, graceful, restart, reload, graceful-stop (`control`, `pidfile`).

pub mod control;
pub mod pidfile;

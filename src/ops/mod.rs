//! Takes the command line's `-k` verbs and the PidFile and gives httpd's process control:
//! start, stop, graceful, restart, reload, graceful-stop (`control`, `pidfile`), and the plan
//! record a running server keeps for reload previews (`plan_record`).

pub mod control;
pub mod pidfile;
pub mod plan_record;

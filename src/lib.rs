//! vhostd: an httpd-compatible server for many HTTPS sites on one IP address.
//! conf text -> `config` (tree, model) -> `plan` (sockets, address chains, certificates)
//! -> `certs` (read and check every certificate and key) -> `check` (`-t`) and `plan::dump` (`-S`)
//! -> `generation` (prepared for serving) -> `runtime` (sockets, TLS) -> `service` (one request).

pub mod access;
pub mod body;
pub mod certs;
pub mod check;
pub mod config;
pub mod conn_io;
pub mod control;
pub mod generation;
pub mod handlers;
pub mod limits;
pub mod log;
pub mod pidfile;
pub mod plan;
pub mod privileges;
pub mod regex;
pub mod reload;
pub mod router;
pub mod runtime;
pub mod service;
mod service_access;
pub mod tls;

/// The `Server` response header.
pub const SERVER_NAME: &str = concat!("vhostd/", env!("CARGO_PKG_VERSION"));

//! vhostd: an httpd-compatible server for many HTTPS sites on one IP address.
//! conf text -> `config` (tree, model) -> `plan` (sockets, address chains, certificates)
//! -> `prepare` (read and check every certificate and key, `-t`, the generation prepared for
//! serving) -> `server` (sockets, TLS, connections, reload) -> `serve` (one request: vhost
//! choice, access, static files, proxy); `ops` (`-k` and the PidFile), `log`.

pub mod access;
pub mod config;
pub mod insight;
pub mod log;
pub mod md;
pub mod ops;
pub mod plan;
pub mod prepare;
pub mod regex;
pub mod serve;
pub mod server;

/// The `Server` response header.
pub const SERVER_NAME: &str = concat!("vhostd/", env!("CARGO_PKG_VERSION"));

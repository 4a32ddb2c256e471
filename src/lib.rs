//! vhostd: an httpd-compatible server for many HTTPS sites on one IP address.
//! conf text -> `config` (tree, model) -> `plan` (sockets, address chains, certificates)
//! -> `certs` (read and check every certificate and key) -> `check` (`-t`) and `plan::dump` (`-S`).

pub mod certs;
pub mod check;
pub mod config;
pub mod plan;

//! Logging: access logs (`LogFormat`/`CustomLog`, httpd's format language, written off the
//! request path) and the error log (`ErrorLog`, `LogLevel`, through tracing-subscriber).

pub mod access;
pub mod error;
pub mod format;
pub mod sink;

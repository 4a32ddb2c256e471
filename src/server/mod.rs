//! Takes generations and sockets and runs them: listeners, TLS accept, connections with their
//! limits and deadlines (`runtime`, `conn_io`, `limits`), the reload transaction (`reload`),
//! and the privilege drop after binding (`privileges`).

pub mod conn_io;
pub mod limits;
pub mod privileges;
pub mod reload;
pub mod runtime;

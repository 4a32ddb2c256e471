//! Takes a plan and gives what serving needs, all done before a request arrives: every
//! certificate and key read and checked (`certs`), the whole `-t` check (`check`), rustls
//! configurations (`tls`), and the generation a server runs (`generation`).

pub mod certs;
pub mod check;
pub mod generation;
pub mod tls;

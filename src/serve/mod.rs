//! Takes one request on a connection and gives its response: the vhost and TLS rules
//! (`router`, pure), the request's journey (`service`) in steps (`arrival`, `translate`,
//! access checks in `service_access`, `errors`, `journey`), the vhost as serving needs it
//! (`site`), the handlers (static files, proxy, rewrite, headers) and response bodies (`body`).

pub mod arrival;
pub mod body;
pub mod errors;
pub mod handlers;
pub mod journey;
pub mod router;
pub mod service;
mod service_access;
pub mod site;
pub mod translate;

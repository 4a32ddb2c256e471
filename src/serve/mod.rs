//! Takes one request on a connection and gives its response: the vhost and TLS rules
//! (`router`, pure), the request's journey (`service`), access checks (`service_access`),
//! the handlers (static files, proxy, rewrite, headers) and response bodies (`body`).

pub mod body;
pub mod handlers;
pub mod router;
pub mod service;
mod service_access;
pub mod site;

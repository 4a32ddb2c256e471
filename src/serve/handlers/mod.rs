//! Request handlers: static files (pure mapping and conditionals, then file IO) and the pages
//! the server writes itself.

pub mod beneath;
pub mod conditional;
pub mod dirwalk;
pub mod file_body;
pub mod file_cache;
mod file_response;
pub mod headers;
pub mod mapping;
pub mod md_pages;
pub mod mime;
pub mod pages;
pub mod precompressed;
pub mod proxy;
mod proxy_back;
pub mod proxy_map;
pub mod reqvars;
pub mod rewrite;
pub mod static_files;
pub mod upstreams;

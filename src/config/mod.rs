//! The httpd configuration language: text in, `Model` out (source map, lexer, tree, includes
//! and defines, directive table, one handler file per directive family, diagnostics).

pub mod ast;
pub mod authcfg;
pub mod build;
pub mod ciphers;
pub mod content;
pub mod diag;
pub mod directives;
pub mod files;
pub mod include;
pub mod lexer;
pub mod listen;
pub mod loader;
pub mod log;
pub mod md;
pub mod md_model;
pub mod md_table;
pub mod model;
pub mod proxy;
pub mod sections;
pub mod server;
pub mod source;
pub mod stock;
pub mod tls;
pub mod tls_options;

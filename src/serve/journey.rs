//! Takes what a request's journey learnt (the vhost, the settings where it ended, SetEnvIf's
//! environment, the request headers `Header echo` needs) and gives the response's last touches:
//! mod_env's fixup environment and mod_headers' rules on the way in (RequestHeader, for the
//! proxy) and on the way out (Header `onsuccess` and `always`); also the request's variables.

use crate::prepare::generation::Generation;
use crate::serve::body::Body;
use crate::serve::handlers::headers::{self, Table};
use crate::serve::handlers::mapping::Settings;
use crate::serve::handlers::reqvars::{Env, RequestVars};
use crate::serve::handlers::static_files::Handled;
use crate::serve::router::Target;
use crate::serve::service::Conn;
use crate::serve::site::Site;
use hyper::http::request::Parts;
use hyper::{Response, Version};
use std::sync::Arc;
use std::time::SystemTime;

/// What the journey learnt on the way, for the response's last touches.
#[derive(Default)]
pub struct Journey {
    pub target: Option<Target>,
    /// The directory settings in force where the request ended (mod_headers' rules).
    pub settings: Option<Arc<Settings>>,
    /// The request's environment after SetEnvIf (mod_headers' `env=` and `%{VAR}e`).
    pub env: Env,
    /// Request headers kept for `Header echo`.
    pub request_headers: Option<hyper::HeaderMap>,
    pub started: Option<SystemTime>,
}

/// The environment as httpd's fixups leave it: SetEnvIf's variables, mod_ssl's `HTTPS`, then
/// mod_env's table laid over them: the directory's SetEnv/PassEnv in merge order, an UnsetEnv
/// taking out what an earlier SetEnv gave (never a SetEnvIf variable, as in httpd).
fn fixup_env(conn: &Conn, settings: &Settings, out: &Journey) -> Env {
    let mut env = out.env.clone();
    if conn.tls.is_some() {
        env.insert("HTTPS".into(), "on".into());
    }
    let mut table = Env::default();
    for (k, v) in &settings.dir.env {
        match v {
            Some(v) => table.insert(k.clone(), v.clone()),
            None => table.remove(k),
        };
    }
    env.extend(table);
    env
}

/// Runs mod_headers rules on `target` with the fixup environment and the request's time.
fn run_header_rules<'r>(
    rules: impl IntoIterator<Item = &'r headers::HeaderRule>,
    target: &mut hyper::HeaderMap,
    request_headers: &hyper::HeaderMap,
    env: &Env,
    out: &Journey,
) {
    let lookup = |k: &str| env.get(k).cloned();
    let no_ssl = |_: &str| None;
    let started = out.started.unwrap_or_else(SystemTime::now);
    let ctx = headers::Context {
        env: &lookup,
        request_headers,
        request_time: started,
        elapsed: started.elapsed().unwrap_or_default(),
        ssl_var: &no_ssl,
    };
    headers::apply(rules, target, &ctx);
}

/// mod_headers' Header rules on the way out: `onsuccess` rules for what a handler produced,
/// `always` rules for every response.
pub fn finish_headers(
    resp: &mut Response<Body>,
    conn: &Conn,
    generation: &Generation,
    out: &Journey,
) {
    let Some(t) = out.target else { return };
    let site = generation.site(t);
    let settings = out.settings.as_ref().unwrap_or(site.sections.base());
    let rules = &settings.dir.headers;
    if rules.is_empty() {
        return;
    }
    let env = fixup_env(conn, settings, out);
    let handled = resp.extensions().get::<Handled>().is_some();
    let chosen = rules.iter().filter(|r| handled || r.table == Table::Always);
    let empty = hyper::HeaderMap::new();
    let request_headers = out.request_headers.as_ref().unwrap_or(&empty);
    run_header_rules(chosen, resp.headers_mut(), request_headers, &env, out);
}

/// mod_headers' RequestHeader rules on what goes upstream.
pub fn request_headers(parts: &mut Parts, conn: &Conn, settings: &Settings, out: &Journey) {
    let env = fixup_env(conn, settings, out);
    let original = parts.headers.clone();
    let rules = &settings.dir.request_headers;
    run_header_rules(rules, &mut parts.headers, &original, &env, out);
}

/// The request's variables, for SetEnvIf, mod_rewrite and Require expr.
pub fn request_vars(req: &Parts, conn: &Conn, site: &Site, root: &std::path::Path) -> RequestVars {
    RequestVars {
        method: req.method.to_string(),
        raw_path: req.uri.path().to_string(),
        query: req.uri.query().map(str::to_string),
        protocol: match req.version {
            Version::HTTP_2 => "HTTP/2.0",
            Version::HTTP_10 => "HTTP/1.0",
            _ => "HTTP/1.1",
        },
        headers: req.headers.clone(),
        remote_ip: conn.remote.ip().to_canonical().to_string(),
        remote_port: conn.remote.port(),
        local_ip: conn.local.ip().to_canonical().to_string(),
        local_port: conn.local.port(),
        https: conn.tls.is_some(),
        server_name: site.name.clone(),
        server_admin: site.admin.clone().unwrap_or_default(),
        document_root: root.to_string_lossy().into_owned(),
        env: Default::default(),
    }
}

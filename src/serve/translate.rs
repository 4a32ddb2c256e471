//! Takes a request with its clean path on the vhost it reached and gives what httpd's early
//! hooks leave: post_read_request's mod_setenvif (the request's variables, when something
//! needs them), then translate_name's mod_rewrite (run off the runtime; it may redirect,
//! answer a status, or rewrite the path or point at a file).

use crate::prepare::generation::Generation;
use crate::serve::arrival::early;
use crate::serve::body::Body;
use crate::serve::errors::site_error;
use crate::serve::handlers::mapping::{self, CleanPath};
use crate::serve::handlers::reqvars::RequestVars;
use crate::serve::handlers::rewrite::{self, Outcome};
use crate::serve::handlers::static_files;
use crate::serve::journey::{Journey, request_vars};
use crate::serve::router::Target;
use crate::serve::service::Conn;
use crate::serve::site::{Root, Site};
use hyper::Response;
use hyper::StatusCode;
use hyper::http::request::Parts;
use std::path::PathBuf;
use std::sync::Arc;

/// The request after translation.
pub struct Translated {
    pub path: CleanPath,
    pub query: Option<String>,
    /// The request's variables, when SetEnvIf, mod_rewrite or an expression needs them.
    pub vars: Option<RequestVars>,
    /// After a rewrite: the root to serve from and, for a filesystem target, the file
    /// (Alias and ProxyPass do not see a rewritten path; there is no `[PT]`).
    pub fixed: Option<(Root, Option<PathBuf>)>,
}

pub async fn translate(
    req: &Parts,
    conn: &Conn,
    generation: &Arc<Generation>,
    site: &Site,
    path: CleanPath,
    origin: &str,
    out: &mut Journey,
) -> Result<Translated, Response<Body>> {
    let needs_vars = !site.set_env_if.is_empty() || !site.rewrite.is_empty() || site.uses_expr;
    let mut vars = None;
    if needs_vars {
        let mut v = request_vars(req, conn, site, &site.roots[0].path);
        v.set_env_if(&site.set_env_if);
        out.env = v.env.clone();
        vars = Some(v);
    }
    if site.echoes_headers {
        out.request_headers = Some(req.headers.clone());
    }
    let mut t = Translated {
        path,
        query: req.uri.query().map(str::to_string),
        vars,
        fixed: None,
    };
    if site.rewrite.is_empty() {
        return Ok(t);
    }
    let (Some(v), Some(target)) = (t.vars.take(), out.target) else {
        return Ok(t);
    };
    let (outcome, v) =
        run_rewrite(generation, target, &t.path, t.query.as_deref(), v, origin).await;
    t.vars = v;
    let (new_path, new_query, file) = match outcome {
        Outcome::Unchanged => return Ok(t),
        Outcome::Redirect { status, location } => {
            let sig = static_files::signature(site, site.sections.base(), origin);
            return Err(static_files::redirect(status, &location, &sig));
        }
        Outcome::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Err(site_error(site, &early(req, origin), status, "").await);
        }
        // Served from DocumentRoot + path: Alias and ProxyPass do not see it (no [PT]).
        Outcome::Rewritten { path, query } => (path, query, None),
        // A filesystem path httpd's prefix_stat took as one.
        Outcome::File { path, query } => (path.clone(), query, Some(path)),
    };
    let Ok(clean) = mapping::clean_path(&encode_path(&new_path)) else {
        return Err(site_error(site, &early(req, origin), StatusCode::BAD_REQUEST, "").await);
    };
    let root = match file {
        None => site.roots[0].clone(),
        Some(_) => Root { path: "/".into() },
    };
    t.fixed = Some((root, file.map(PathBuf::from)));
    t.path = clean;
    t.query = new_query;
    Ok(t)
}

/// A decoded path back to a URL path (spaces and `%` escaped, so it decodes to itself).
fn encode_path(p: &str) -> String {
    p.replace('%', "%25")
        .replace(' ', "%20")
        .replace('?', "%3F")
        .replace('#', "%23")
}

/// mod_rewrite off the async runtime (its conditions may look at the filesystem); the
/// request's variables go to the blocking thread and come back with the outcome.
async fn run_rewrite(
    generation: &Arc<Generation>,
    target: Target,
    path: &CleanPath,
    query: Option<&str>,
    vars: RequestVars,
    origin: &str,
) -> (Outcome, Option<RequestVars>) {
    let generation = generation.clone();
    let (url, query, origin) = (path.as_url(), query.map(str::to_string), origin.to_string());
    tokio::task::spawn_blocking(move || {
        let rules = &generation.site(target).rewrite;
        let outcome = rewrite::run(rules, &url, query.as_deref(), &vars, &origin);
        (outcome, Some(vars))
    })
    .await
    .unwrap_or((Outcome::Status(500), None))
}

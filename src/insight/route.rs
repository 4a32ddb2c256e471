//! Takes the vhost a request reached and its URL, and gives `-E`'s route line: the upstream
//! URL after ProxyPass mapping, a Redirect, or the file under the DocumentRoot or an Alias
//! (and what a directory or a missing file answers there).

use super::explain::{Context, Out};
use crate::serve::handlers::mapping::{self, Mapped, Reject};
use crate::serve::handlers::proxy_map::{self, ProxyMatch};
use crate::serve::site::Routes;

/// Where the request goes within the vhost: ProxyPass, then Redirect, Alias, DocumentRoot.
pub(super) fn route_line(
    o: &mut Out,
    cx: &Context<'_>,
    vhost: &crate::plan::Vhost,
    uri: &hyper::Uri,
    tls: bool,
    host_header: &str,
) {
    let routes = Routes::of(vhost);
    let path = match mapping::clean_path(uri.path()) {
        Ok(p) => p,
        Err(Reject::BadRequest) => {
            return o.problem("Route", "400 Bad Request: the path is malformed");
        }
        Err(Reject::NotFound) => {
            return o.problem("Route", "404 Not Found: the path leaves the root");
        }
    };
    let rewrite = vhost.conf.rewrite.engine.as_ref().is_some_and(|e| e.value)
        && !vhost.conf.rewrite.rules.is_empty();
    if rewrite {
        o.line(
            "",
            "note: mod_rewrite rules apply first and may change what follows (not evaluated here)",
        );
    }
    let normal = mapping::encode_segments(&path.segments, path.trailing_slash);
    if let ProxyMatch::Forward { url, pass } =
        proxy_map::find(&routes.proxy.passes, &normal, uri.query())
    {
        return o.line(
            "Route",
            format!(
                "proxied to {url} (ProxyPass at {})",
                cx.sources.file_line(pass.span)
            ),
        );
    }
    let origin = format!("{}://{host_header}", if tls { "https" } else { "http" });
    match mapping::map(
        &path,
        uri.query(),
        &routes.redirects,
        &routes.aliases,
        &origin,
    ) {
        Mapped::Redirect(status, Some(loc)) => {
            o.line("Route", format!("redirect {status} to {loc}"))
        }
        Mapped::Redirect(status, None) => o.line("Route", format!("answered {status} (Redirect)")),
        Mapped::File { root, rest } => {
            let base = &routes.roots[root].path;
            let file = rest.iter().fold(base.clone(), |p, s| p.join(s));
            let via = if root == 0 {
                "DocumentRoot".to_string()
            } else {
                format!("Alias {}", routes.aliases[root - 1].prefix)
            };
            let what = match std::fs::metadata(&file) {
                Ok(m) if m.is_dir() => directory(vhost, &file),
                Ok(_) => "a file".to_string(),
                Err(_) => missing(vhost),
            };
            o.line(
                "Route",
                format!("{} via {via}: {what}", cx.plan.show_path(&file)),
            );
        }
    }
}

/// What a directory answers, by the vhost's DirectoryIndex (a `<Directory>` section may set
/// another).
fn directory(vhost: &crate::plan::Vhost, dir: &std::path::Path) -> String {
    use crate::config::model::DirectoryIndex;
    let names = match vhost.conf.dir.directory_index.as_ref().map(|d| &d.value) {
        Some(DirectoryIndex::Disabled) => Vec::new(),
        Some(DirectoryIndex::Files(f)) => f.clone(),
        None => vec!["index.html".to_string()],
    };
    match names.iter().find(|n| dir.join(n).is_file()) {
        Some(n) => format!("a directory: its DirectoryIndex {n}"),
        None if names.is_empty() => {
            "a directory without DirectoryIndex: a listing with Options Indexes, else 403"
                .to_string()
        }
        None => format!(
            "a directory without {}: a listing with Options Indexes, else 403",
            names.join(" or ")
        ),
    }
}

/// What a missing file answers: 404, through the vhost's ErrorDocument 404 when it has one.
fn missing(vhost: &crate::plan::Vhost) -> String {
    use crate::config::model::ErrorDocument;
    match vhost.conf.dir.error_documents.get(&404).map(|d| &d.value) {
        Some(ErrorDocument::LocalPath(p)) => format!("not there now: 404 with ErrorDocument {p}"),
        Some(ErrorDocument::Url(u)) => format!("not there now: ErrorDocument 404 redirects to {u}"),
        Some(ErrorDocument::Text(_)) => "not there now: 404 with ErrorDocument's text".to_string(),
        _ => "not there now: 404 Not Found".to_string(),
    }
}

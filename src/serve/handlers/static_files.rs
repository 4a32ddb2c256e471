//! Serves files for one vhost: maps the URL (pure, `mapping`), looks the path up off the
//! runtime's workers (symlinks followed only inside the root unless `Options FollowSymLinks`),
//! picks the index or a listing for directories, then answers with validators, preconditions,
//! ranges (single or multipart) and a body streamed in chunks.

use super::beneath::RootDir;
use super::conditional::FileHeaders;
use super::file_cache::{self, Ask, Stamp};
use super::file_response::{Content, send_file};
use super::mapping::{self, CleanPath, Mapped, Settings};
use super::mime::TypeHeaders;
use super::pages;
use crate::config::model::OptFlags;
use crate::serve::body::{self, Body};
use crate::serve::site::{Root, Site};
use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Response, StatusCode};
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What serving gave: a response, or an error status for the caller to render (it applies
/// `ErrorDocument` from `settings`).
pub enum Served {
    Done(Response<Body>),
    Error {
        status: StatusCode,
        settings: Arc<Settings>,
        allow: bool,
        len_for_416: Option<u64>,
        detail: String,
    },
}

/// The request as static serving needs it.
pub struct Request<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
    pub path: &'a CleanPath,
    pub query: Option<&'a str>,
    /// `scheme://host[:port]` as the client named this server.
    pub origin: &'a str,
    /// The request's variables, when `<If>` or other rules need them.
    pub vars: Option<&'a crate::serve::handlers::reqvars::RequestVars>,
}

pub(super) fn error(status: StatusCode, settings: Arc<Settings>) -> Served {
    Served::Error {
        status,
        settings,
        allow: false,
        len_for_416: None,
        detail: String::new(),
    }
}

/// A redirect with httpd's body, ending with `signature` (ServerSignature's line, or empty).
pub fn redirect(status: u16, location: &str, signature: &str) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND);
    let mut r = Response::new(body::full(pages::signed_status_page(
        status, location, signature,
    )));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=iso-8859-1"),
    );
    r
}

/// Where a request for a file ended up before access checks: an answer already (a redirect,
/// a mapping error), or a path with the settings in force there.
pub enum Resolved {
    Done(Served),
    Target {
        root: Root,
        fs_path: PathBuf,
        settings: Arc<Settings>,
    },
}

/// Serves one request from a site (ErrorDocument subrequests: no access checks).
pub async fn serve(site: &Site, req: &Request<'_>) -> Served {
    match resolve(site, req) {
        Resolved::Done(s) => s,
        Resolved::Target {
            root,
            fs_path,
            settings,
        } => serve_target(site, req, root, fs_path, settings).await,
    }
}

/// mod_alias's part of translate_name: `Redirect`/`RedirectMatch`, then `Alias`, then the
/// DocumentRoot; and the sections in force at the path found.
pub fn resolve(site: &Site, req: &Request<'_>) -> Resolved {
    let (root_i, rest) = match mapping::map(
        req.path,
        req.query,
        &site.redirects,
        &site.aliases,
        req.origin,
    ) {
        Mapped::Redirect(status, Some(loc)) => {
            let sig = signature(site, site.sections.base(), req.origin);
            return Resolved::Done(Served::Done(redirect(status, &loc, &sig)));
        }
        Mapped::Redirect(status, None) => {
            return Resolved::Done(error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::GONE),
                site.sections.base().clone(),
            ));
        }
        Mapped::File { root, rest } => (root, rest),
    };
    let root = site.roots[root_i].clone();
    let fs_path = rest.iter().fold(root.path.clone(), |p, s| p.join(s));
    let settings = site.settings(&fs_path, req.path, req.vars);
    Resolved::Target {
        root,
        fs_path,
        settings,
    }
}

/// The default handler for a path that passed the access checks.
pub async fn serve_target(
    site: &Site,
    req: &Request<'_>,
    root: Root,
    fs_path: PathBuf,
    settings: Arc<Settings>,
) -> Served {
    let types = &site.types;
    // httpd's default handler: PUT is refused outright; GET and POST serve the file; other
    // methods learn whether it exists first.
    let not_allowed = |settings| Served::Error {
        status: StatusCode::METHOD_NOT_ALLOWED,
        settings,
        allow: true,
        len_for_416: None,
        detail: req.method.to_string(),
    };
    if *req.method == Method::PUT {
        return not_allowed(settings);
    }
    let other = !matches!(
        *req.method,
        Method::GET | Method::HEAD | Method::POST | Method::OPTIONS
    );
    if *req.method == Method::OPTIONS {
        let mut r = handled(Response::new(body::empty()));
        r.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
        );
        return Served::Done(r);
    }
    let ask = Ask {
        follow: settings.options.contains(OptFlags::FOLLOW_SYMLINKS),
        trailing: req.path.trailing_slash,
        index: settings.index.as_deref(),
    };
    // A small file served lately and still the same file: answered here, no blocking hop.
    if let Some(hit) = site.files.get(&fs_path, &ask) {
        if other {
            return not_allowed(settings);
        }
        let th = hit.types(&settings, || {
            TypeHeaders::of(&hit.file, &settings.dir.mime, types)
        });
        let content = Content::Memory(hit.bytes.clone());
        return send_file(content, &hit.headers, th, req, settings).await;
    }
    let listing = settings.options.contains(OptFlags::INDEXES);
    let (follow, trailing, index) = (ask.follow, ask.trailing, settings.index.clone());
    let path = fs_path.clone();
    let found = tokio::task::spawn_blocking(move || {
        lookup(&root, &path, follow, trailing, index.as_deref(), listing)
    })
    .await;
    match found {
        Ok(Found::File(_) | Found::Listing(_) | Found::AddSlash) if other => not_allowed(settings),
        Ok(Found::File(f)) => {
            let f = *f;
            if let Content::Memory(bytes) = &f.content {
                site.files
                    .put(&fs_path, &ask, &f.path, bytes, &f.headers, f.stamps);
            }
            let th = TypeHeaders::of(&f.path, &settings.dir.mime, types);
            send_file(f.content, &f.headers, th, req, settings).await
        }
        Ok(Found::AddSlash) => {
            let mut loc = format!(
                "{}{}",
                req.origin,
                mapping::encode_segments(&req.path.segments, true)
            );
            if let Some(q) = req.query {
                loc.push('?');
                loc.push_str(q);
            }
            Served::Done(redirect(301, &loc, &signature(site, &settings, req.origin)))
        }
        Ok(Found::Listing(mut entries)) => {
            let ignore = &settings.dir.index_ignore;
            entries
                .retain(|(name, _)| !ignore.iter().any(|p| crate::access::expr::fnmatch(p, name)));
            // mod_autoindex writes the line without the rule above it.
            let sig = signature(site, &settings, req.origin);
            let sig = sig.strip_prefix("<hr>\n").unwrap_or(&sig);
            let html = pages::listing(&req.path.as_url(), &mut entries, sig);
            let mut r = handled(Response::new(if *req.method == Method::HEAD {
                body::empty()
            } else {
                body::full(html.clone())
            }));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html;charset=UTF-8"),
            );
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(html.len()));
            Served::Done(r)
        }
        Ok(Found::Miss(Miss::Forbidden)) => error(StatusCode::FORBIDDEN, settings),
        Ok(Found::Miss(Miss::Absent)) => error(StatusCode::NOT_FOUND, settings),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, settings),
    }
}

/// Marks a response a handler produced (mod_headers' `onsuccess` rules apply to it; error
/// pages and redirects get only the `always` ones).
#[derive(Clone, Copy, Debug)]
pub struct Handled;

pub fn handled(mut r: Response<Body>) -> Response<Body> {
    r.extensions_mut().insert(Handled);
    r
}

enum Found {
    File(Box<FoundFile>),
    AddSlash,
    Listing(Vec<(String, bool)>),
    Miss(Miss),
}

/// A file found beneath its root.
struct FoundFile {
    content: Content,
    headers: FileHeaders,
    /// The file (the index file for a directory).
    path: PathBuf,
    /// What the answer depended on, for the cache.
    stamps: Vec<Stamp>,
}

/// Why there is nothing to serve.
#[derive(Clone, Copy)]
enum Miss {
    Forbidden,
    Absent,
}

fn io_error(e: &std::io::Error) -> Miss {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        Miss::Forbidden
    } else {
        Miss::Absent
    }
}

/// The blocking part: the file beneath its root (see `beneath`), metadata, index or listing.
fn lookup(
    root: &Root,
    path: &Path,
    follow: bool,
    trailing: bool,
    index: Option<&[String]>,
    listing: bool,
) -> Found {
    // The root is taken as it is now (a repointed `current` symlink is followed at once).
    let dir = match RootDir::open(&root.path) {
        Ok(d) => d,
        Err(e) => return Found::Miss(io_error(&e)),
    };
    let Ok(rel) = path.strip_prefix(&root.path) else {
        return Found::Miss(Miss::Forbidden);
    };
    let (file, meta) = match dir
        .open_file(rel, follow)
        .and_then(|f| f.metadata().map(|m| (f, m)))
    {
        Ok(x) => x,
        Err(e) => return Found::Miss(io_error(&e)),
    };
    if meta.is_dir() {
        if !trailing {
            return Found::AddSlash;
        }
        for name in index.unwrap_or(&[]).iter().filter(|n| !n.contains('/')) {
            let Ok(f) = dir.open_file(&rel.join(name), follow) else {
                continue;
            };
            if let Ok(m) = f.metadata()
                && m.is_file()
            {
                let file = path.join(name);
                let stamps = vec![
                    Stamp::new(path.to_path_buf(), &meta),
                    Stamp::new(file.clone(), &m),
                ];
                return read(f, &m, file, stamps);
            }
        }
        if !listing {
            return Found::Miss(Miss::Forbidden);
        }
        return match std::fs::read_dir(path) {
            Ok(rd) => Found::Listing(
                rd.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().into_string().ok()?;
                        let dir = e.file_type().ok()?.is_dir();
                        Some((name, dir))
                    })
                    .collect(),
            ),
            Err(e) => Found::Miss(io_error(&e)),
        };
    }
    if trailing || !meta.is_file() {
        return Found::Miss(Miss::Absent);
    }
    let stamps = vec![Stamp::new(path.to_path_buf(), &meta)];
    read(file, &meta, path.to_path_buf(), stamps)
}

/// Files up to this size are read whole on the blocking thread that opened them, so the
/// response needs no further hop off the runtime, and kept in the cache; larger ones are
/// streamed.
const SMALL: u64 = file_cache::MAX_ENTRY;

/// A small file read whole here; a larger one kept open to stream.
fn read(mut f: std::fs::File, m: &Metadata, path: PathBuf, stamps: Vec<Stamp>) -> Found {
    use std::io::Read;
    let modified = m.modified().unwrap_or(std::time::UNIX_EPOCH);
    let content = if m.len() > SMALL {
        Content::Disk(f)
    } else {
        let mut buf = Vec::with_capacity(m.len() as usize);
        if let Err(e) = f.read_to_end(&mut buf) {
            return Found::Miss(io_error(&e));
        }
        // What was read is what is served: a file that grew or shrank meanwhile is served as
        // read, and its changed identity makes the next request read it again.
        Content::Memory(Bytes::from(buf))
    };
    let len = match &content {
        Content::Memory(b) => b.len() as u64,
        Content::Disk(_) => m.len(),
    };
    Found::File(Box::new(FoundFile {
        content,
        headers: FileHeaders::new(len, modified),
        path,
        stamps,
    }))
}

/// ServerSignature's line for a page written where `settings` are in force (empty when off).
pub fn signature(site: &Site, settings: &Settings, origin: &str) -> String {
    let mode = settings.dir.server_signature.as_ref();
    pages::signature(
        mode.map(|m| m.value.as_str()),
        &site.banner,
        origin,
        site.admin.as_deref(),
    )
}

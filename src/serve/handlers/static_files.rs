//! Serves files for one vhost: maps the URL (pure, `mapping`), looks the path up off the
//! runtime's workers (symlinks followed only inside the root unless `Options FollowSymLinks`),
//! picks the index or a listing for directories, then answers with validators, preconditions,
//! ranges (single or multipart) and a body streamed in chunks.

use super::beneath::RootDir;
use super::conditional::FileHeaders;
use super::file_cache::{Ask, Fill, Stamp, Variant};
use super::file_response::{Content, send_file};
use super::mapping::{self, CleanPath, Mapped, Settings};
use super::mime::TypeHeaders;
use super::pages;
use super::precompressed::{self, Sibling};
use crate::config::model::{Coding, OptFlags};
use crate::serve::body::{self, Body};
use crate::serve::site::{Root, Site};
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
        codings: settings
            .dir
            .precompressed
            .as_ref()
            .map_or(&[], |p| &p.value),
    };
    // A small file served lately and still the same file: answered here, no blocking hop.
    if let Some(hit) = site.files.get(&fs_path, &ask) {
        if other {
            return not_allowed(settings);
        }
        let th = hit.types(&settings, || {
            TypeHeaders::of(&hit.file, &settings.dir.mime, types)
        });
        let (content, fh, th) = match pick(&hit.variants, |v| v.coding, th, req) {
            Pick::AsIs(th) => (Content::Memory(hit.bytes.clone()), &hit.headers, th),
            Pick::Sibling(i, th) => {
                let v = &hit.variants[i];
                (Content::Memory(v.bytes.clone()), &v.headers, th)
            }
        };
        return send_file(content, fh, th, req, settings).await;
    }
    let listing = settings.options.contains(OptFlags::INDEXES);
    let (follow, trailing, index) = (ask.follow, ask.trailing, settings.index.clone());
    let path = fs_path.clone();
    let codings = ask.codings.to_vec();
    let found = tokio::task::spawn_blocking(move || {
        let ask = Ask {
            follow,
            trailing,
            index: index.as_deref(),
            codings: &codings,
        };
        lookup(&root, &path, &ask, listing)
    })
    .await;
    match found {
        Ok(Found::File(_) | Found::Listing(_) | Found::AddSlash) if other => not_allowed(settings),
        Ok(Found::File(f)) => {
            let f = *f;
            keep(site, &fs_path, &ask, &f);
            let th = TypeHeaders::of(&f.path, &settings.dir.mime, types);
            match pick(&f.siblings, |s| s.coding, th, req) {
                Pick::AsIs(th) => send_file(f.content, &f.headers, th, req, settings).await,
                Pick::Sibling(i, th) => {
                    let Some(s) = f.siblings.into_iter().nth(i) else {
                        return error(StatusCode::INTERNAL_SERVER_ERROR, settings);
                    };
                    send_file(s.content, &s.headers, th, req, settings).await
                }
            }
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

/// Which representation of a file to send.
enum Pick {
    AsIs(TypeHeaders),
    /// The sibling at this index, and the headers that name its coding.
    Sibling(usize, TypeHeaders),
}

/// A precompressed sibling the client accepts, else the file as it is; either answer varies
/// by Accept-Encoding when the file has siblings. A file that has a content coding of its own
/// (`AddEncoding`) is always sent as it is.
fn pick<T>(
    siblings: &[T],
    coding: impl Fn(&T) -> Coding,
    th: TypeHeaders,
    req: &Request<'_>,
) -> Pick {
    if siblings.is_empty() || th.encoding.is_some() {
        return Pick::AsIs(th);
    }
    match precompressed::choose(siblings, &coding, req.headers) {
        Some(i) => Pick::Sibling(i, th.varied(Some(coding(&siblings[i])))),
        None => Pick::AsIs(th.varied(None)),
    }
}

/// Keeps a small file just found (and its siblings, all small) in the site's cache.
fn keep(site: &Site, fs_path: &Path, ask: &Ask<'_>, f: &FoundFile) {
    let Content::Memory(bytes) = &f.content else {
        return;
    };
    let mut variants = Vec::with_capacity(f.siblings.len());
    for s in &f.siblings {
        let Content::Memory(b) = &s.content else {
            return;
        };
        variants.push(Variant {
            coding: s.coding,
            bytes: b.clone(),
            headers: s.headers.clone(),
        });
    }
    let fill = Fill {
        file: &f.path,
        bytes,
        headers: &f.headers,
        variants,
        stamps: f.stamps.clone(),
    };
    site.files.put(fs_path, ask, fill);
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
    /// Its precompressed siblings (with `Precompressed`), in order of preference.
    siblings: Vec<Sibling>,
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

/// The blocking part: the file beneath its root (see `beneath`), metadata, index or listing,
/// and the file's precompressed siblings.
fn lookup(root: &Root, path: &Path, ask: &Ask<'_>, listing: bool) -> Found {
    let (follow, trailing, index) = (ask.follow, ask.trailing, ask.index);
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
                let siblings =
                    precompressed::probe(&dir, &rel.join(name), &file, &m, ask.codings, follow);
                return read(f, &m, file, stamps, siblings);
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
    let siblings = precompressed::probe(&dir, rel, path, &meta, ask.codings, follow);
    read(file, &meta, path.to_path_buf(), stamps, siblings)
}

/// A small file read whole here (see `Content::load`); a larger one kept open to stream.
fn read(
    f: std::fs::File,
    m: &Metadata,
    path: PathBuf,
    mut stamps: Vec<Stamp>,
    (siblings, more): (Vec<Sibling>, Vec<Stamp>),
) -> Found {
    let modified = m.modified().unwrap_or(std::time::UNIX_EPOCH);
    let (content, len) = match Content::load(f, m) {
        Ok(x) => x,
        Err(e) => return Found::Miss(io_error(&e)),
    };
    for s in more {
        // An index file's directory is stamped already.
        if !stamps.iter().any(|t| t.path() == s.path()) {
            stamps.push(s);
        }
    }
    Found::File(Box::new(FoundFile {
        content,
        headers: FileHeaders::new(len, modified),
        path,
        siblings,
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

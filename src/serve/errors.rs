//! Takes an error status where a request stopped and gives its page: the vhost's
//! `ErrorDocument` (a text, a URL to redirect to, or a local page served as a subrequest) or
//! httpd's own page with the ServerSignature line.

use crate::config::model::ErrorDocument;
use crate::serve::body::{self, Body};
use crate::serve::handlers::mapping::{self, Settings};
use crate::serve::handlers::pages;
use crate::serve::handlers::static_files::{self, Served};
use crate::serve::site::Site;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Response, StatusCode};

/// A server-written page for a status.
pub fn page(status: StatusCode, detail: &str, method: &Method) -> Response<Body> {
    signed_page(status, detail, method, "")
}

/// A server-written page ending with a ServerSignature line (`signature` may be empty).
pub fn signed_page(
    status: StatusCode,
    detail: &str,
    method: &Method,
    signature: &str,
) -> Response<Body> {
    let html = pages::signed_status_page(status, detail, signature);
    let len = html.len();
    let mut r = Response::new(if method == Method::HEAD {
        body::empty()
    } else {
        body::full(html)
    });
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=iso-8859-1"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

/// An error found before the path was mapped, through the vhost's server-level `ErrorDocument`.
pub async fn site_error(
    site: &Site,
    req: &static_files::Request<'_>,
    status: StatusCode,
    detail: &str,
) -> Response<Body> {
    let settings = site.settings(&site.roots[0].path, req.path, req.vars);
    error_response(site, req, status, &settings, detail).await
}

/// An error status, through `ErrorDocument` when one is set for it. Its work (a local error
/// document is a whole subrequest) lives on the heap, so the future of every request that may
/// end in an error page stays small.
pub async fn error_response(
    site: &Site,
    req: &static_files::Request<'_>,
    status: StatusCode,
    settings: &Settings,
    detail: &str,
) -> Response<Body> {
    Box::pin(document(site, req, status, settings, detail)).await
}

async fn document(
    site: &Site,
    req: &static_files::Request<'_>,
    status: StatusCode,
    settings: &Settings,
    detail: &str,
) -> Response<Body> {
    match settings.error_documents.get(&status.as_u16()) {
        Some(ErrorDocument::Url(url)) => static_files::redirect(
            302,
            url,
            &static_files::signature(site, settings, req.origin),
        ),
        Some(ErrorDocument::Text(text)) => {
            let mut r = Response::new(body::full(text.clone()));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=iso-8859-1"),
            );
            r
        }
        Some(ErrorDocument::LocalPath(p)) => {
            let local = p.split('?').next().unwrap_or(p);
            if let Ok(path) = mapping::clean_path(local) {
                let get = Method::GET;
                let none = hyper::HeaderMap::new();
                let sub = static_files::Request {
                    method: &get,
                    headers: &none,
                    path: &path,
                    query: None,
                    origin: req.origin,
                    vars: req.vars,
                };
                if let Served::Done(mut r) = static_files::serve(site, &sub).await
                    && r.status() == StatusCode::OK
                {
                    *r.status_mut() = status;
                    r.headers_mut().remove(header::ETAG);
                    r.headers_mut().remove(header::LAST_MODIFIED);
                    r.headers_mut().remove(header::ACCEPT_RANGES);
                    return r;
                }
            }
            let sig = static_files::signature(site, settings, req.origin);
            signed_page(status, detail, req.method, &sig)
        }
        Some(ErrorDocument::Default) | None => {
            let sig = static_files::signature(site, settings, req.origin);
            signed_page(status, detail, req.method, &sig)
        }
    }
}

//! Takes one request and the directory settings in force for it and runs httpd's access
//! phases at serve time: `SSLRequireSSL`, then the pure `access::decide` (mod_access_compat,
//! mod_authz_core) with Basic credentials checked against the AuthUserFile off the async
//! runtime; gives nothing (go on) or the 403 / 401 / 500 response.

use crate::access::{self, Client, Decision};
use crate::serve::body::Body;
use crate::serve::handlers::mapping::Settings;
use crate::serve::handlers::reqvars::RequestVars;
use crate::serve::handlers::static_files;
use crate::serve::service::Conn;
use crate::serve::site::Site;
use base64::Engine;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};

/// `user:password` from `Authorization: Basic ...`.
fn basic_credentials(req: &Parts) -> Option<(String, String)> {
    let value = req.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// `None`: the request may go on; else the response that ends it.
pub async fn check_access(
    site: &Site,
    settings: &Settings,
    conn: &Conn,
    req: &Parts,
    vars: Option<&RequestVars>,
    sreq: &static_files::Request<'_>,
) -> Option<Response<Body>> {
    let dir = &settings.dir;
    if dir.require_ssl && conn.tls.is_none() {
        tracing::info!(
            "AH02219: access to {} failed, reason: SSL connection required",
            req.uri.path()
        );
        return Some(deny(site, settings, sreq, StatusCode::FORBIDDEN).await);
    }
    let conf = &dir.access;
    if conf.authz.is_none() && conf.compat.is_none() && conf.auth_type.is_none() {
        return None;
    }
    let none = RequestVars::default();
    let vars = vars.unwrap_or(&none);
    let (mut decision, needed) = decide(site, settings, conn, req, vars, None);
    if needed
        && decision == Decision::AuthRequired
        && let Some((user, pass)) = basic_credentials(req)
    {
        let users = dir.auth_user_file.as_ref().map(|p| p.value.clone());
        let verified = match users.as_ref().and_then(|p| site.auth.users.get(p)) {
            None => {
                let why = "AH01618: user not found: no AuthUserFile is configured";
                return Some(misconfigured(site, settings, sreq, why).await);
            }
            Some(Err(e)) => return Some(misconfigured(site, settings, sreq, e).await),
            Some(Ok(_)) => {
                let auth = site.auth.clone();
                let (path, name) = (users.unwrap_or_default(), user.clone());
                tokio::task::spawn_blocking(move || {
                    auth.users
                        .get(&path)
                        .is_some_and(|u| u.as_ref().is_ok_and(|u| u.check(&name, &pass)))
                })
                .await
                .unwrap_or(false)
            }
        };
        if verified {
            decision = decide(site, settings, conn, req, vars, Some(user)).0;
        } else {
            tracing::info!(user = %user, "AH01617: user: authentication failure (password mismatch or unknown user)");
        }
    }
    match decision {
        Decision::Allow => None,
        Decision::Forbidden => {
            tracing::info!(client = %conn.remote.ip(), "AH01630: client denied by server configuration: {}", req.uri.path());
            Some(deny(site, settings, sreq, StatusCode::FORBIDDEN).await)
        }
        Decision::AuthRequired => {
            let mut r = deny(site, settings, sreq, StatusCode::UNAUTHORIZED).await;
            let realm = conf.auth_name.as_deref().unwrap_or("").replace('"', "\\\"");
            if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            Some(r)
        }
        Decision::Misconfigured(why) => Some(misconfigured(site, settings, sreq, &why).await),
    }
}

/// One run of the access phases; with `user`, as that authenticated user. Also says whether a
/// user was asked for.
fn decide(
    site: &Site,
    settings: &Settings,
    conn: &Conn,
    req: &Parts,
    vars: &RequestVars,
    user: Option<String>,
) -> (Decision, bool) {
    let dir = &settings.dir;
    let env = |k: &str| vars.env.get(k).cloned();
    let expr_var = |k: &str| vars.lookup(k);
    let client = Client {
        ip: conn.remote.ip().to_canonical(),
        local_ip: conn.local.ip().to_canonical(),
        method: req.method.as_str(),
        env: &env,
        remote_host: None,
        expr_var: &expr_var,
    };
    let groups_file = dir
        .auth_group_file
        .as_ref()
        .and_then(|p| site.auth.groups.get(&p.value));
    let in_group = |user: &str, group: &str| {
        groups_file.is_some_and(|g| g.as_ref().is_ok_and(|g| g.contains(group, user)))
    };
    let mut needed = false;
    let d = access::decide(
        &dir.access,
        &client,
        &mut || {
            needed = true;
            user.clone()
        },
        &in_group,
    );
    (d, needed)
}

async fn deny(
    site: &Site,
    settings: &Settings,
    sreq: &static_files::Request<'_>,
    status: StatusCode,
) -> Response<Body> {
    crate::serve::errors::error_response(site, sreq, status, settings, "").await
}

async fn misconfigured(
    site: &Site,
    settings: &Settings,
    sreq: &static_files::Request<'_>,
    why: &str,
) -> Response<Body> {
    tracing::error!("{why}");
    deny(site, settings, sreq, StatusCode::INTERNAL_SERVER_ERROR).await
}

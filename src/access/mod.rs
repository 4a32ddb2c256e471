//! Takes what directory-context sections said about access (`Require` trees, `AuthMerging`,
//! `Order`/`Allow`/`Deny`/`Satisfy`, `AuthType`, `AuthName`) and gives httpd's merge of two
//! such sections and the decision for one request: allow, 403, 401 or a configuration error
//! (`ap_process_request_internal`'s access phases).

pub mod authz;
pub mod compat;
pub mod expr;
pub mod htpasswd;
pub mod ip;

#[cfg(test)]
mod tests_config;
#[cfg(test)]
mod tests_decide;
#[cfg(test)]
mod tests_eval;
#[cfg(test)]
mod tests_util;

use authz::{AuthzResult, Ctx, Kind, Node, Section};
use compat::Compat;
use std::net::IpAddr;

/// `AuthMerging` of one section. Not inherited: each section's own value decides how its
/// `Require` tree joins the enclosing one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Merging {
    /// Not written: a section with `Require` lines replaces the enclosing tree, one without
    /// keeps it.
    #[default]
    Unset,
    /// `AuthMerging Off`: this section's tree (even none at all) replaces the enclosing one.
    Off,
    And,
    Or,
}

/// What ONE directory-context section (or the server level) said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessConf {
    /// The section's `Require` lines: an implicit `<RequireAny>`.
    pub authz: Option<Section>,
    pub merging: Merging,
    /// Present when the section used any mod_access_compat directive.
    pub compat: Option<Compat>,
    /// `AuthType`: `None` not written, `Some(None)` is `AuthType None`, else the type.
    pub auth_type: Option<Option<String>>,
    pub auth_name: Option<String>,
    /// `AuthzSendForbiddenOnFailure`.
    pub forbidden_on_fail: Option<bool>,
}

/// httpd's per-directory merges: `inner` is the later/more specific section.
pub fn merge(outer: &AccessConf, inner: &AccessConf) -> AccessConf {
    let (authz, merging) = merge_authz(outer, inner);
    AccessConf {
        authz,
        merging,
        // mod_access_compat has no merge function: the newer config wins whole.
        compat: inner.compat.clone().or_else(|| outer.compat.clone()),
        auth_type: inner.auth_type.clone().or_else(|| outer.auth_type.clone()),
        auth_name: inner.auth_name.clone().or_else(|| outer.auth_name.clone()),
        forbidden_on_fail: inner.forbidden_on_fail.or(outer.forbidden_on_fail),
    }
}

/// `merge_authz_core_dir_config`.
fn merge_authz(outer: &AccessConf, inner: &AccessConf) -> (Option<Section>, Merging) {
    if inner.merging == Merging::Unset && inner.authz.is_none() && outer.authz.is_some() {
        return (outer.authz.clone(), outer.merging);
    }
    let kind = match inner.merging {
        Merging::And => Kind::All,
        Merging::Or => Kind::Any,
        Merging::Off | Merging::Unset => return (inner.authz.clone(), inner.merging),
    };
    let section = match (&outer.authz, &inner.authz) {
        (Some(b), Some(n)) => Some(Section {
            kind,
            items: vec![Node::Section(b.clone()), Node::Section(n.clone())],
        }),
        (b, n) => n.clone().or_else(|| b.clone()),
    };
    (section, inner.merging)
}

/// What the access phases see of the request.
pub struct Client<'a> {
    pub ip: IpAddr,
    /// The address the connection came in on (`Require local`).
    pub local_ip: IpAddr,
    pub method: &'a str,
    /// The request's environment (after SetEnvIf): `Some` when the variable is set.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The client's name when a double reverse lookup confirmed it; `None` matches no name.
    pub remote_host: Option<&'a str>,
    /// `Require expr` variables by upper-case name (see `expr::VARS`).
    pub expr_var: &'a dyn Fn(&str) -> Option<String>,
}

/// An authenticated user.
pub struct User<'a> {
    pub name: &'a str,
    /// Is the user in this group (`AuthGroupFile`)?
    pub groups: &'a dyn Fn(&str) -> bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Forbidden,
    /// 401 with a challenge (`WWW-Authenticate: Basic realm="<AuthName>"`).
    AuthRequired,
    /// 500: e.g. AuthType not set but a user is needed; the text is httpd's log line.
    Misconfigured(String),
}

/// The effective `AuthType` (`AuthType None` counts as none).
pub fn auth_type(conf: &AccessConf) -> Option<&str> {
    conf.auth_type.as_ref().and_then(|t| t.as_deref())
}

/// The access phases for one request under its merged config. `authenticate` is called at
/// most once, only when a user is needed: it returns the verified user name (None: no or
/// wrong credentials). `groups(user, group)` says whether the user is in the group.
pub fn decide(
    conf: &AccessConf,
    client: &Client,
    authenticate: &mut dyn FnMut() -> Option<String>,
    groups: &dyn Fn(&str, &str) -> bool,
) -> Decision {
    let default = Compat::default();
    let compat = conf.compat.as_ref().unwrap_or(&default);
    // access_checker: mod_access_compat.
    let access_ok = compat.allows(client);
    if compat.satisfy_any && access_ok {
        return Decision::Allow;
    }
    if !compat.satisfy_any && !access_ok {
        return Decision::Forbidden;
    }
    // access_checker_ex: mod_authz_core without a user.
    let Some(tree) = &conf.authz else {
        if auth_type(conf).is_some() {
            return Decision::Misconfigured(
                "AuthType configured with no corresponding authorization directives".into(),
            );
        }
        return Decision::Allow;
    };
    let anonymous = Ctx { client, user: None };
    match tree.evaluate(&anonymous) {
        AuthzResult::Granted => return Decision::Allow,
        AuthzResult::Denied | AuthzResult::Neutral => return Decision::Forbidden,
        AuthzResult::DeniedNoUser => {}
    }
    // check_user_id: mod_authn_core / mod_auth_basic.
    let Some(kind) = auth_type(conf) else {
        return Decision::Misconfigured(
            "No authentication done but request not allowed without authentication. Authentication not configured?".into(),
        );
    };
    if !kind.eq_ignore_ascii_case("Basic") {
        return Decision::Misconfigured(format!(
            "AuthType {kind} configured without corresponding module"
        ));
    }
    if conf.auth_name.is_none() {
        return Decision::Misconfigured("need AuthName".into());
    }
    let Some(name) = authenticate() else {
        return Decision::AuthRequired;
    };
    // auth_checker: mod_authz_core with the user.
    let in_group = |g: &str| groups(&name, g);
    let user = User {
        name: &name,
        groups: &in_group,
    };
    let known = Ctx {
        client,
        user: Some(&user),
    };
    match tree.evaluate(&known) {
        AuthzResult::Granted => Decision::Allow,
        AuthzResult::DeniedNoUser => Decision::AuthRequired,
        AuthzResult::Denied | AuthzResult::Neutral => {
            if conf.forbidden_on_fail == Some(true) {
                Decision::Forbidden
            } else {
                Decision::AuthRequired
            }
        }
    }
}

/// Does evaluating this config ever need the client's host name (Require host / Allow from
/// domain)?
pub fn needs_host(conf: &AccessConf) -> bool {
    conf.authz.as_ref().is_some_and(Section::uses_host)
        || conf.compat.as_ref().is_some_and(Compat::uses_host)
}

//! Directive handlers for who may see what: `Require` (mod_authz_core and its providers),
//! `AuthMerging`, mod_access_compat's `Order`/`Allow`/`Deny`/`Satisfy`, `AuthType`, `AuthName`,
//! `AuthBasicProvider`, `AuthUserFile`, `AuthGroupFile` and `SSLRequireSSL`.

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use crate::access::{Merging, authz, compat};

type R = Result<(), Diagnostic>;

fn words(d: &Directive) -> Vec<&str> {
    d.args.iter().map(|a| a.text.as_str()).collect()
}

pub fn require(b: &mut Builder, d: &Directive) -> R {
    let node = authz::parse_require(&words(d)).map_err(|e| {
        Diagnostic::error(d.args_span(), e).with_help(
            "forms: Require [not] all granted|denied, ip ADDR..., host NAME..., local, env VAR..., method M..., valid-user, user NAME..., group NAME..., expr EXPR",
        )
    })?;
    if let authz::Node::Provider {
        provider: authz::Provider::Host(_),
        ..
    } = &node
    {
        return Err(Diagnostic::error(d.args_span(), "'Require host' is not supported by this server: it needs double reverse DNS lookups, which are not done on the request path")
            .with_help("use Require ip with the addresses of those hosts"));
    }
    b.push_authz(node);
    Ok(())
}

pub fn auth_merging(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let m = match w.text.to_ascii_lowercase().as_str() {
        "off" => Merging::Off,
        "and" => Merging::And,
        "or" => Merging::Or,
        _ => {
            return Err(
                Diagnostic::error(w.span, "AuthMerging must be one of: off | and | or").with_help(
                    "write AuthMerging And to add this section's rules to the enclosing ones",
                ),
            );
        }
    };
    b.dir().access.merging = m;
    Ok(())
}

fn compat_of<'b>(b: &'b mut Builder) -> &'b mut compat::Compat {
    b.dir()
        .access
        .compat
        .get_or_insert_with(compat::Compat::default)
}

pub fn order(b: &mut Builder, d: &Directive) -> R {
    let order = compat::parse_order(&d.args[0].text).map_err(|e| {
        Diagnostic::error(d.args[0].span, e).with_help("write Order Allow,Deny or Order Deny,Allow")
    })?;
    compat_of(b).order = order;
    Ok(())
}

pub fn allow_deny(b: &mut Builder, d: &Directive) -> R {
    let allow = d.name.text.eq_ignore_ascii_case("allow");
    let specs = compat::parse_allow_deny(&words(d)).map_err(|e| {
        Diagnostic::error(d.args_span(), e).with_help(
            "usage: Allow from all | IP | IP/bits | IP/netmask | partial.ip | env=[!]VAR | domain",
        )
    })?;
    if specs.iter().any(|s| matches!(s, compat::HostSpec::Host(_))) {
        return Err(Diagnostic::error(d.args_span(), format!("{} from a host name is not supported by this server: it needs double reverse DNS lookups, which are not done on the request path", d.name.text))
            .with_help("use IP addresses, CIDR (10.0.0.0/8) or netmask (10.0.0.0/255.0.0.0) forms"));
    }
    let c = compat_of(b);
    if allow {
        c.allow.extend(specs);
    } else {
        c.deny.extend(specs);
    }
    Ok(())
}

pub fn satisfy(b: &mut Builder, d: &Directive) -> R {
    let any = compat::parse_satisfy(&d.args[0].text).map_err(|e| {
        Diagnostic::error(d.args[0].span, e).with_help("write Satisfy All or Satisfy Any")
    })?;
    compat_of(b).satisfy_any = any;
    Ok(())
}

pub fn auth_type(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let t = match w.text.to_ascii_lowercase().as_str() {
        "basic" => Some("Basic".to_string()),
        "none" => None,
        _ => {
            return Err(Diagnostic::error(w.span, format!("AuthType {} is not supported by this server", w.text))
                .with_help("only AuthType Basic (with AuthUserFile) is implemented; ignoring another type would leave the space unprotected"));
        }
    };
    b.dir().access.auth_type = Some(t);
    Ok(())
}

pub fn auth_name(b: &mut Builder, d: &Directive) -> R {
    b.dir().access.auth_name = Some(d.args[0].text.clone());
    Ok(())
}

pub fn auth_basic_provider(_: &mut Builder, d: &Directive) -> R {
    for a in &d.args {
        if !a.text.eq_ignore_ascii_case("file") {
            return Err(
                Diagnostic::error(a.span, format!("Unknown Authn provider: {}", a.text))
                    .with_help("only the 'file' provider (AuthUserFile) is implemented"),
            );
        }
    }
    Ok(())
}

pub fn auth_user_file(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    if d.name.text.eq_ignore_ascii_case("AuthGroupFile") {
        b.dir().auth_group_file = Some(p);
    } else {
        b.dir().auth_user_file = Some(p);
    }
    Ok(())
}

pub fn ssl_require_ssl(b: &mut Builder, _: &Directive) -> R {
    b.dir().require_ssl = true;
    Ok(())
}

//! Directive handlers for mod_proxy: ProxyPass (path, URL or `!`, worker keys and flags),
//! ProxyPassReverse, ProxyPreserveHost, ProxyAddHeaders, ProxyTimeout; and the upstream URL
//! parser they share.

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::directives::flag;
use super::lexer::Word;
use super::model::{ProxyParams, ProxyPass, ProxyReverse, Upstream};
use super::server::{parse_duration, split_host_port};
use super::source::Spanned;

type R = Result<(), Diagnostic>;

/// Parses `http[s]://host[:port][/path]` (also `ws`/`wss`).
pub fn parse_upstream(text: &str) -> Result<Upstream, String> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!(
            "'{text}' is not a URL: expected http://host[:port]/path"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "ws" | "wss") {
        return Err(format!(
            "unsupported proxy scheme '{scheme}': this server proxies to http, https, ws and wss"
        ));
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => (&rest[..i], &rest[i..]),
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(format!(
            "'{text}': user information in a proxy URL is not supported"
        ));
    }
    let (host, port) = split_host_port(authority).map_err(|e| format!("'{text}': {e}"))?;
    if host.is_empty() {
        return Err(format!("'{text}' has no host"));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(format!("'{text}': '{host}' is not a valid host name"));
    }
    Ok(Upstream {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        path: path.to_string(),
    })
}

fn param_duration(w: &Word, v: &str) -> Result<std::time::Duration, Diagnostic> {
    parse_duration(v).map_err(|e| Diagnostic::error(w.span, e))
}

fn parse_params(words: &[Word]) -> Result<ProxyParams, Diagnostic> {
    let mut p = ProxyParams::default();
    for w in words {
        match w.text.to_ascii_lowercase().as_str() {
            "noquery" => {
                p.noquery = true;
                continue;
            }
            "nocanon" => {
                p.nocanon = true;
                continue;
            }
            "interpolate" => {
                p.interpolate = true;
                continue;
            }
            _ => {}
        }
        let Some((key, value)) = w.text.split_once('=') else {
            return Err(Diagnostic::error(w.span, "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'.")
                .with_help(format!("did you mean {}=<value>? flags without '=' are only nocanon, interpolate and noquery", w.text)));
        };
        let bad = |what: &str| Diagnostic::error(w.span, format!("ProxyPass {key}: {what}"));
        match key.to_ascii_lowercase().as_str() {
            "timeout" => p.timeout = Some(param_duration(w, value)?),
            "connectiontimeout" => p.connection_timeout = Some(param_duration(w, value)?),
            "retry" => p.retry = Some(param_duration(w, value)?),
            "ttl" => p.ttl = Some(param_duration(w, value)?),
            "keepalive" => {
                p.keepalive = Some(match value.to_ascii_lowercase().as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(bad("must be On or Off")),
                })
            }
            "max" => p.max = Some(value.parse().map_err(|_| bad("must be a whole number"))?),
            "upgrade" => {
                if value.is_empty() {
                    return Err(bad("names the protocol to tunnel, e.g. upgrade=websocket"));
                }
                p.upgrade = Some(value.to_ascii_lowercase());
            }
            other => {
                return Err(Diagnostic::error(
                    w.span,
                    format!("unknown ProxyPass parameter '{other}'"),
                )
                .with_help(
                    "known keys: timeout, connectiontimeout, keepalive, max, retry, ttl, upgrade",
                ));
            }
        }
    }
    Ok(p)
}

pub fn proxy_pass(b: &mut Builder, d: &Directive) -> R {
    let location = b.location_path();
    let (path, target, rest) = match &location {
        Some(loc) => (
            Spanned::new(loc.clone(), d.name.span),
            &d.args[0],
            &d.args[1..],
        ),
        None => {
            let Some(target) = d.args.get(1) else {
                return Err(Diagnostic::error(d.args[0].span, "ProxyPass needs a path and an http(s) URL")
                    .with_help("write ProxyPass /app/ http://127.0.0.1:8080/ (or ProxyPass /app/ ! to exclude)"));
            };
            let p = &d.args[0];
            if p.text.contains("://") || !p.text.starts_with('/') {
                return Err(Diagnostic::error(
                    p.span,
                    format!(
                        "ProxyPass path '{}' must be a URL-path starting with /",
                        p.text
                    ),
                )
                .with_help("write ProxyPass /app/ http://backend/"));
            }
            (Spanned::new(p.text.clone(), p.span), target, &d.args[2..])
        }
    };
    let params = parse_params(rest)?;
    let upstream = if target.text == "!" {
        None
    } else {
        let u = parse_upstream(&target.text).map_err(|e| {
            Diagnostic::error(target.span, e)
                .with_help("ProxyPass needs a path and an http(s) URL, or ! to exclude the path")
        })?;
        if location.is_none() && path.value.ends_with('/') != u.path.ends_with('/') {
            b.warn(Diagnostic::warning(target.span, "ProxyPass path and URL differ in their trailing slash")
                .with_help("end both with / or neither: the rest of the request path is appended to the URL as is"));
        }
        Some(u)
    };
    let pass = ProxyPass {
        span: path.span,
        path: path.value,
        target: upstream,
        params,
    };
    if location.is_some() {
        let dir = b.dir();
        if dir.proxy_pass.is_some() {
            return Err(Diagnostic::error(
                d.name.span,
                "only one ProxyPass is allowed in a <Location> section",
            )
            .with_help("use a second <Location> or server-level ProxyPass lines"));
        }
        dir.proxy_pass = Some(pass);
    } else {
        b.server().proxy.passes.push(pass);
    }
    Ok(())
}

pub fn proxy_pass_reverse(b: &mut Builder, d: &Directive) -> R {
    let location = b.location_path();
    let (path, url) = match (&location, d.args.as_slice()) {
        (Some(loc), [url]) => (loc.clone(), url),
        (None, [path, url]) => (path.text.clone(), url),
        _ => {
            return Err(Diagnostic::error(
                d.args_span(),
                "ProxyPassReverse needs a path and a URL (inside <Location>, only the URL)",
            )
            .with_help("write ProxyPassReverse /app/ http://backend/"));
        }
    };
    parse_upstream(&url.text).map_err(|e| Diagnostic::error(url.span, e))?;
    let rule = ProxyReverse {
        span: d.name.span,
        path,
        url: url.text.clone(),
    };
    if location.is_some() {
        b.dir().proxy_reverse.push(rule);
    } else {
        b.server().proxy.reverses.push(rule);
    }
    Ok(())
}

pub fn preserve_host(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().proxy.preserve_host = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn add_headers(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().proxy.add_headers = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn timeout(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let t = parse_duration(&w.text).map_err(|e| Diagnostic::error(w.span, e))?;
    b.server().proxy.timeout = Some(Spanned::new(t, w.span));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        let u = parse_upstream("http://127.0.0.1:9099/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", Some(9099), "/")
        );
        assert_eq!(u.authority(), "127.0.0.1:9099");
        assert_eq!(
            parse_upstream("https://B.example").unwrap().url(),
            "https://b.example"
        );
        assert_eq!(
            parse_upstream("http://[::1]:80/x").unwrap().authority(),
            "[::1]"
        );
        assert!(parse_upstream("ftp://x/").is_err());
        assert!(parse_upstream("http://[::1").is_err());
        assert!(parse_upstream("/app/").is_err());
    }
}

//! Directive handlers for server identity, connection settings, limits and process settings:
//! ServerRoot, ServerName, ServerAlias, ServerAdmin, KeepAlive*, Timeout, LimitRequest*,
//! StrictHostCheck, GracefulShutdownTimeout, PidFile, User, Group.

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::directives::flag;
use super::lexer::Word;
use super::model::ServerName;
use super::source::Spanned;
use std::time::Duration;

type R = Result<(), Diagnostic>;

pub fn server_root(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    if !p.value.is_dir() {
        return Err(Diagnostic::error(
            d.args[0].span,
            format!(
                "ServerRoot must be a valid directory: {}",
                p.value.display()
            ),
        )
        .with_help("create the directory or correct the path"));
    }
    b.root = p.value;
    Ok(())
}

/// Parses `[scheme://]host[:port]`.
pub fn parse_server_name(text: &str) -> Result<ServerName, String> {
    if text.contains(['*', '?']) {
        return Err(format!(
            "Invalid ServerName \"{text}\" use ServerAlias to set multiple server names."
        ));
    }
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (Some(s.to_ascii_lowercase()), r),
        None => (None, text),
    };
    let (host, port) = split_host_port(rest)?;
    if host.is_empty() {
        return Err(format!("ServerName \"{text}\" has no host name"));
    }
    Ok(ServerName {
        scheme,
        host: host.to_string(),
        port,
    })
}

/// Splits `host[:port]` and `[v6][:port]`; the host keeps its brackets off.
pub fn split_host_port(s: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("'{s}' has an unclosed '[' in its IPv6 address"));
        };
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(parse_port(p)?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(format!(
                "unexpected text '{after}' after the IPv6 address in '{s}'"
            )),
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((h, Some(parse_port(p)?))),
        Some(_) => Err(format!(
            "IPv6 address '{s}' must be written in brackets, like [::1]:443"
        )),
        None => Ok((s, None)),
    }
}

/// A port 1-65535.
pub fn parse_port(p: &str) -> Result<u16, String> {
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => Err(format!("port {n} out of range 1-65535")),
        Err(_) if p.is_empty() => Err("Port must be specified".to_string()),
        Err(_) => Err(format!("invalid port '{p}': expected a number 1-65535")),
    }
}

pub fn server_name(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let name = parse_server_name(&w.text).map_err(|e| {
        let help = if w.text.contains(['*', '?']) {
            "put the wildcard name in ServerAlias and give ServerName one exact name"
        } else {
            "write ServerName host or ServerName host:port"
        };
        Diagnostic::error(w.span, e).with_help(help)
    })?;
    check_ascii_name(b, w, &name.host);
    b.server().server_name = Some(Spanned::new(name, w.span));
    Ok(())
}

/// Browsers send the A-label (punycode) form; a Unicode name would never match a Host header.
fn check_ascii_name(b: &mut Builder, w: &Word, host: &str) {
    if host.is_ascii() {
        return;
    }
    let help = match idna::domain_to_ascii(host) {
        Ok(a) => format!("write its ASCII form: {a}"),
        Err(_) => "write the name in its ASCII (punycode) form".to_string(),
    };
    b.warn(
        Diagnostic::warning(w.span, format!("name '{host}' is not ASCII; clients send the punycode form in Host and SNI, so it will never match"))
            .with_help(help),
    );
}

pub fn server_alias(b: &mut Builder, d: &Directive) -> R {
    for w in &d.args {
        if w.text.contains(['/', '\\']) || w.text.is_empty() {
            b.warn(Diagnostic::warning(
                w.span,
                format!("ServerAlias '{}' can never match a Host header", w.text),
            ));
        }
        check_ascii_name(b, w, &w.text);
        b.server()
            .aliases
            .push(Spanned::new(w.text.clone(), w.span));
    }
    Ok(())
}

pub fn server_admin(b: &mut Builder, d: &Directive) -> R {
    b.server().server_admin = Some(Spanned::new(d.args[0].text.clone(), d.args[0].span));
    Ok(())
}

/// httpd's `ap_timeout_parameter_parse`: a number with an optional unit `ms`, `s`, `mi`, `h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let (num, unit) = text.split_at(digits);
    let n: u64 = num.parse().map_err(|_| {
        format!(
            "'{text}' is not a time: expected a number of seconds, or a number with ms, s, mi or h"
        )
    })?;
    let d = match unit.to_ascii_lowercase().as_str() {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "mi" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => {
            return Err(format!(
                "'{text}' has an unknown time unit '{unit}': use ms, s, mi or h"
            ));
        }
    };
    Ok(d)
}

fn duration(d: &Directive) -> Result<Spanned<Duration>, Diagnostic> {
    let w = &d.args[0];
    parse_duration(&w.text)
        .map(|v| Spanned::new(v, w.span))
        .map_err(|e| {
            Diagnostic::error(w.span, e).with_help(format!("for example: {} 5", d.name.text))
        })
}

/// A whole number within `range`.
pub fn number(w: &Word, what: &str, max: u64) -> Result<Spanned<u64>, Diagnostic> {
    match w.text.parse::<u64>() {
        Ok(n) if n <= max => Ok(Spanned::new(n, w.span)),
        Ok(n) => Err(Diagnostic::error(
            w.span,
            format!("{what} {n} is too large: the limit is {max}"),
        )),
        Err(_) => Err(Diagnostic::error(
            w.span,
            format!(
                "{what} must be a non-negative whole number, not '{}'",
                w.text
            ),
        )
        .with_help("write a plain number such as 100")),
    }
}

fn number_u32(d: &Directive, max: u32) -> Result<Spanned<u32>, Diagnostic> {
    let n = number(&d.args[0], &d.name.text, u64::from(max))?;
    Ok(Spanned::new(n.value as u32, n.span))
}

pub fn keep_alive(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().conn.keep_alive = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn keep_alive_timeout(b: &mut Builder, d: &Directive) -> R {
    b.server().conn.keep_alive_timeout = Some(duration(d)?);
    Ok(())
}

pub fn timeout(b: &mut Builder, d: &Directive) -> R {
    b.server().conn.timeout = Some(duration(d)?);
    Ok(())
}

pub fn max_keep_alive_requests(b: &mut Builder, d: &Directive) -> R {
    b.server().conn.max_keep_alive_requests = Some(number_u32(d, u32::MAX)?);
    Ok(())
}

/// httpd 2.4 allows up to 2^63-1; 0 means unlimited.
pub fn limit_request_body(b: &mut Builder, d: &Directive) -> R {
    let n = number(&d.args[0], "LimitRequestBody", i64::MAX as u64)?;
    b.dir().limit_request_body = Some(n);
    Ok(())
}

/// `MaxRanges default|unlimited|none|N`. Our default is 16 parts, not httpd's 200: past a few
/// dozen parts the multipart framing outweighs the data (see `conditional::MAX_RANGES`).
pub fn max_ranges(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let cap = match w.text.to_ascii_lowercase().as_str() {
        "default" => crate::serve::handlers::conditional::MAX_RANGES,
        "unlimited" => usize::MAX,
        "none" => 0,
        _ => match w.text.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(Diagnostic::error(
                    w.span,
                    format!(
                        "MaxRanges must be default, unlimited, none or a positive number, not '{}'",
                        w.text
                    ),
                ));
            }
        },
    };
    b.dir().max_ranges = Some(Spanned::new(cap, w.span));
    Ok(())
}

/// `Precompressed off | coding...` (ours; codings `br` and `gzip`, in order of preference):
/// send `f.br` or `f.gz` for `f` to clients that accept that coding, as nginx's `gzip_static`.
pub fn precompressed(b: &mut Builder, d: &Directive) -> R {
    use super::model::Coding;
    let first = &d.args[0];
    let mut codings = Vec::new();
    if !(d.args.len() == 1 && first.text.eq_ignore_ascii_case("off")) {
        for w in &d.args {
            let c = match w.text.to_ascii_lowercase().as_str() {
                "br" => Coding::Br,
                "gzip" => Coding::Gzip,
                _ => {
                    return Err(Diagnostic::error(
                        w.span,
                        format!("Precompressed: unknown coding '{}'", w.text),
                    )
                    .with_help("write 'Precompressed br gzip' (codings in order of preference) or 'Precompressed off'"));
                }
            };
            if !codings.contains(&c) {
                codings.push(c);
            }
        }
    }
    b.dir().precompressed = Some(Spanned::new(codings, first.span));
    Ok(())
}

pub fn limit_request_field_size(b: &mut Builder, d: &Directive) -> R {
    b.server().conn.limit_request_field_size = Some(number_u32(d, 65536)?);
    Ok(())
}

pub fn limit_request_fields(b: &mut Builder, d: &Directive) -> R {
    b.server().conn.limit_request_fields = Some(number_u32(d, 32767)?);
    Ok(())
}

pub fn limit_request_line(b: &mut Builder, d: &Directive) -> R {
    b.server().conn.limit_request_line = Some(number_u32(d, 65536)?);
    Ok(())
}

pub fn strict_host_check(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().strict_host_check = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn graceful_shutdown_timeout(b: &mut Builder, d: &Directive) -> R {
    b.model.graceful_shutdown_timeout = Some(duration(d)?);
    Ok(())
}

pub fn max_request_workers(b: &mut Builder, d: &Directive) -> R {
    b.model.max_request_workers = Some(number(&d.args[0], &d.name.text, 1 << 24)?);
    Ok(())
}

pub fn async_request_worker_factor(b: &mut Builder, d: &Directive) -> R {
    b.model.async_request_worker_factor = Some(number(&d.args[0], &d.name.text, 1 << 16)?);
    Ok(())
}

pub fn pid_file(b: &mut Builder, d: &Directive) -> R {
    b.model.pid_file = Some(b.path(&d.args[0]));
    Ok(())
}

/// `SSLCoverage warn|strict` (ours).
pub fn ssl_coverage(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let strict = match w.text.to_ascii_lowercase().as_str() {
        "strict" => true,
        "warn" => false,
        _ => {
            return Err(Diagnostic::error(
                w.span,
                format!("SSLCoverage must be warn or strict, not '{}'", w.text),
            )
            .with_help("SSLCoverage strict refuses a start or reload that would serve a name its certificate does not cover"));
        }
    };
    b.model.ssl_coverage_strict = Some(Spanned::new(strict, w.span));
    Ok(())
}

pub fn user(b: &mut Builder, d: &Directive) -> R {
    b.model.user = Some(Spanned::new(d.args[0].text.clone(), d.args[0].span));
    Ok(())
}

pub fn group(b: &mut Builder, d: &Directive) -> R {
    b.model.group = Some(Spanned::new(d.args[0].text.clone(), d.args[0].span));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names() {
        let n = parse_server_name("https://www.a.test:8443").unwrap();
        assert_eq!(
            (n.scheme.as_deref(), n.host.as_str(), n.port),
            (Some("https"), "www.a.test", Some(8443))
        );
        assert_eq!(parse_server_name("[::1]:80").unwrap().host, "::1");
        assert!(
            parse_server_name("*.a.test")
                .unwrap_err()
                .starts_with("Invalid ServerName")
        );
        assert!(parse_server_name("a.test:99999").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2mi").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("-1").is_err());
    }
}

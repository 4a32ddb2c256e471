//! Directive handlers for what is sent: mod_mime (AddType, AddCharset, AddEncoding,
//! AddDefaultCharset, ForceType, TypesConfig, Remove*), handlers (AddHandler, SetHandler),
//! mod_headers (Header, RequestHeader), mod_env and mod_setenvif, IndexIgnore, mod_rewrite at
//! server level, ServerTokens/ServerSignature and `Error`.

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::directives::flag;
use super::model::SetEnvIf;
use super::source::Spanned;
use crate::regex::Pattern;
use crate::serve::handlers::{headers, rewrite};

type R = Result<(), Diagnostic>;

fn words(d: &Directive) -> Vec<&str> {
    d.args.iter().map(|a| a.text.as_str()).collect()
}

/// `.ext` or `ext`, lowercased, without the dot.
fn ext(w: &str) -> String {
    w.trim_start_matches('.').to_ascii_lowercase()
}

/// `AddType type ext...`, `AddCharset cs ext...`, `AddEncoding enc ext...`.
pub fn add_type(b: &mut Builder, d: &Directive) -> R {
    let value = d.args[0].text.clone();
    let lower = d.name.text.to_ascii_lowercase();
    let mime = &mut b.dir().mime;
    let map = match lower.as_str() {
        "addtype" => &mut mime.types,
        "addcharset" => &mut mime.charsets,
        _ => &mut mime.encodings,
    };
    for e in &d.args[1..] {
        let e = ext(&e.text);
        // httpd applies a section's RemoveType after its AddType lines, wherever written.
        if lower == "addtype" && mime.remove_types.contains(&e) {
            continue;
        }
        map.insert(e, value.clone());
    }
    Ok(())
}

/// `RemoveType ext...`, `RemoveCharset ext...`, `RemoveEncoding ext...`.
pub fn remove_type(b: &mut Builder, d: &Directive) -> R {
    let lower = d.name.text.to_ascii_lowercase();
    let exts: Vec<String> = d.args.iter().map(|a| ext(&a.text)).collect();
    let mime = &mut b.dir().mime;
    let types = lower == "removetype";
    let (list, map) = match lower.as_str() {
        "removetype" => (&mut mime.remove_types, &mut mime.types),
        "removecharset" => (&mut mime.remove_charsets, &mut mime.charsets),
        _ => (&mut mime.remove_encodings, &mut mime.encodings),
    };
    for e in exts {
        // A removed type also hides the TypesConfig one: an empty type says so.
        if types {
            map.insert(e.clone(), String::new());
        } else {
            map.remove(&e);
        }
        list.push(e);
    }
    Ok(())
}

pub fn add_default_charset(b: &mut Builder, d: &Directive) -> R {
    let v = &d.args[0].text;
    b.dir().mime.default_charset = Some(match v.to_ascii_lowercase().as_str() {
        "off" => None,
        "on" => Some("iso-8859-1".to_string()),
        _ => Some(v.clone()),
    });
    Ok(())
}

pub fn force_type(b: &mut Builder, d: &Directive) -> R {
    let v = &d.args[0].text;
    b.dir().mime.force_type = Some((!v.eq_ignore_ascii_case("none")).then(|| v.clone()));
    Ok(())
}

pub fn types_config(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    b.model.types_config = Some(p);
    Ok(())
}

/// Handlers this server may meet: the static one, and those whose absence only hides a page.
fn handler_verdict(h: &str) -> Result<Option<&'static str>, String> {
    match h.to_ascii_lowercase().as_str() {
        "none" | "default-handler" | "md-status" => Ok(None),
        "type-map" => Ok(Some("type maps (content negotiation) are not implemented: .var files are served as they are")),
        "server-status" | "server-info" | "balancer-manager" => Ok(Some("this status page is not implemented: its URL answers like any other path")),
        "send-as-is" => Err("send-as-is (mod_asis) is not implemented; ignoring it would send the file's raw headers as its body".into()),
        other => Err(format!("the handler '{other}' is not implemented; ignoring it would serve the files themselves (scripts as source)")),
    }
}

pub fn add_handler(b: &mut Builder, d: &Directive) -> R {
    match handler_verdict(&d.args[0].text) {
        Ok(None) => Ok(()),
        Ok(Some(why)) => {
            b.warn(
                Diagnostic::warning(
                    d.args[0].span,
                    format!(
                        "AddHandler {} has no effect in this server: {why}",
                        d.args[0].text
                    ),
                )
                .with_help("remove the line to silence this warning"),
            );
            Ok(())
        }
        Err(why) => Err(Diagnostic::error(
            d.args[0].span,
            format!("AddHandler {}: {why}", d.args[0].text),
        )
        .with_help("remove the line, or keep this configuration on httpd")),
    }
}

/// `AddOutputFilterByType FILTER[;FILTER...] type...`: compression filters are left out (the
/// response is the same, only not compressed); any other filter would change what is sent.
pub fn add_output_filter_by_type(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let compression = ["deflate", "brotli_compress"];
    for f in w.text.split([';', ',']).filter(|f| !f.is_empty()) {
        if !compression.contains(&f.to_ascii_lowercase().as_str()) {
            return Err(Diagnostic::error(w.span, format!("AddOutputFilterByType {f}: output filters are not implemented; ignoring this one would change what is sent"))
                .with_help("remove the line, or keep this configuration on httpd"));
        }
    }
    b.inert_use(
        "AddOutputFilterByType DEFLATE",
        d.name.span,
        "response compression is not implemented: responses are sent uncompressed",
    );
    Ok(())
}

pub fn set_handler(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    match handler_verdict(&w.text) {
        Ok(None) => {}
        Ok(Some(why)) => b.warn(
            Diagnostic::warning(
                w.span,
                format!("SetHandler {} has no effect in this server: {why}", w.text),
            )
            .with_help("remove the section to silence this warning"),
        ),
        Err(why) => {
            return Err(
                Diagnostic::error(w.span, format!("SetHandler {}: {why}", w.text))
                    .with_help("remove the line, or keep this configuration on httpd"),
            );
        }
    }
    b.dir().handler = Some(Spanned::new(w.text.clone(), w.span));
    Ok(())
}

pub fn header(b: &mut Builder, d: &Directive) -> R {
    let request = d.name.text.eq_ignore_ascii_case("RequestHeader");
    let args = words(d);
    let parsed = if request {
        headers::parse_request_header(&args)
    } else {
        headers::parse_header(&args)
    };
    let rule = parsed.map_err(|e| {
        Diagnostic::error(d.args_span(), format!("{}: {e}", d.name.text)).with_help(if request {
            "usage: RequestHeader set|append|add|merge|setifempty|unset|edit|edit* name [value] [env=[!]VAR]"
        } else {
            "usage: Header [always|onsuccess] set|append|add|merge|setifempty|unset|echo|edit|edit* name [value] [env=[!]VAR]"
        })
    })?;
    let dir = b.dir();
    if request {
        dir.request_headers.push(rule);
    } else {
        dir.headers.push(rule);
    }
    Ok(())
}

/// `SetEnv var [value]`, `UnsetEnv var...`, `PassEnv var...`.
pub fn set_env(b: &mut Builder, d: &Directive) -> R {
    let lower = d.name.text.to_ascii_lowercase();
    let mut entries = Vec::new();
    match lower.as_str() {
        "setenv" => {
            if d.args.len() > 2 {
                return Err(Diagnostic::error(d.args_span(), "SetEnv takes one or two arguments, an environment variable name and optional value to pass to CGI.")
                    .with_help("quote a value with spaces: SetEnv NAME \"a value\""));
            }
            entries.push((
                d.args[0].text.clone(),
                Some(d.args.get(1).map(|a| a.text.clone()).unwrap_or_default()),
            ));
        }
        "unsetenv" => entries.extend(d.args.iter().map(|a| (a.text.clone(), None))),
        _ => {
            for a in &d.args {
                // An undefined one only warns: it neither sets nor unsets anything.
                match std::env::var(&a.text) {
                    Ok(v) => entries.push((a.text.clone(), Some(v))),
                    Err(_) => b.warn(
                        Diagnostic::warning(
                            a.span,
                            format!("AH01506: PassEnv variable {} was undefined", a.text),
                        )
                        .with_help("set it in the server's environment, or remove it from PassEnv"),
                    ),
                }
            }
        }
    }
    b.dir().env.extend(entries);
    Ok(())
}

/// `SetEnvIf[NoCase] attribute regex [!]env[=value]...`, `BrowserMatch[NoCase] regex ...`.
pub fn set_env_if(b: &mut Builder, d: &Directive) -> R {
    let lower = d.name.text.to_ascii_lowercase();
    let browser = lower.starts_with("browsermatch");
    let caseless = lower.ends_with("nocase");
    let (attribute, rest) = if browser {
        ("User-Agent".to_string(), &d.args[..])
    } else {
        (d.args[0].text.clone(), &d.args[1..])
    };
    let Some((re, sets)) = rest.split_first() else {
        return Err(Diagnostic::error(
            d.args_span(),
            format!("{} needs a regular expression", d.name.text),
        )
        .with_help("usage: SetEnvIf attribute regex [!]env-variable[=value] ..."));
    };
    if sets.is_empty() {
        return Err(
            Diagnostic::error(d.args_span(), "Missing envariable expression for SetEnvIf")
                .with_help("name at least one variable to set, e.g. nokeepalive or VAR=value"),
        );
    }
    let regex = Pattern::new(&re.text, caseless).map_err(|e| {
        Diagnostic::error(re.span, format!("Regex could not be compiled: {e}"))
            .with_help("write a PCRE regular expression, as httpd takes")
    })?;
    let sets = sets
        .iter()
        .map(|w| match w.text.strip_prefix('!') {
            Some(name) => (name.to_string(), None),
            None => match w.text.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (w.text.clone(), Some("1".to_string())),
            },
        })
        .collect();
    let rule = SetEnvIf {
        span: d.name.span,
        attribute,
        regex,
        sets,
    };
    b.server().set_env_if.push(rule);
    Ok(())
}

pub fn index_ignore(b: &mut Builder, d: &Directive) -> R {
    let list: Vec<String> = d.args.iter().map(|a| a.text.clone()).collect();
    b.dir().index_ignore.extend(list);
    Ok(())
}

pub fn rewrite_engine(b: &mut Builder, d: &Directive) -> R {
    let on = flag(d)?;
    b.server().rewrite.engine = Some(Spanned::new(on, d.args[0].span));
    Ok(())
}

fn per_dir_rewrite(b: &Builder, d: &Directive) -> R {
    if b.section().is_some() {
        return Err(Diagnostic::error(d.name.span, format!("{} inside <Directory>, <Location> or <Files> is not supported yet", d.name.text))
            .with_help("per-directory rewriting is not implemented: put the rules at <VirtualHost> level, where patterns match the whole URL-path"));
    }
    Ok(())
}

pub fn rewrite_cond(b: &mut Builder, d: &Directive) -> R {
    per_dir_rewrite(b, d)?;
    let cond = rewrite::parse_cond(&words(d)).map_err(|e| {
        Diagnostic::error(d.args_span(), format!("RewriteCond: {e}"))
            .with_help("usage: RewriteCond TestString CondPattern [flags]")
    })?;
    b.server()
        .rewrite
        .pending
        .push(Spanned::new(cond, d.name.span));
    Ok(())
}

pub fn rewrite_rule(b: &mut Builder, d: &Directive) -> R {
    per_dir_rewrite(b, d)?;
    let conds = std::mem::take(&mut b.server().rewrite.pending)
        .into_iter()
        .map(|c| c.value)
        .collect();
    let rule = rewrite::parse_rule(&words(d), conds).map_err(|e| {
        Diagnostic::error(d.args_span(), format!("RewriteRule: {e}"))
            .with_help("usage: RewriteRule Pattern Substitution [flags]; flags here: L, END, R[=code], NE, QSA, QSD, NC, F, G")
    })?;
    b.server().rewrite.rules.push(rule);
    Ok(())
}

pub fn server_tokens(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let v = w.text.to_ascii_lowercase();
    let known = [
        "prod",
        "productonly",
        "major",
        "minor",
        "min",
        "minimal",
        "os",
        "full",
    ];
    if !known.contains(&v.as_str()) {
        return Err(Diagnostic::error(
            w.span,
            format!(
                "ServerTokens {} is not one of Prod, Major, Minor, Min, OS, Full",
                w.text
            ),
        )
        .with_help("write ServerTokens Prod to send only the product name"));
    }
    b.server().server_tokens = Some(Spanned::new(v, w.span));
    Ok(())
}

pub fn server_signature(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let v = w.text.to_ascii_lowercase();
    if !["on", "off", "email"].contains(&v.as_str()) {
        return Err(Diagnostic::error(
            w.span,
            "ServerSignature takes one argument, On, Off or EMail",
        )
        .with_help("write ServerSignature Off"));
    }
    b.dir().server_signature = Some(Spanned::new(v, w.span));
    Ok(())
}

/// `Error "message"`: httpd stops reading with that message.
pub fn error(_: &mut Builder, d: &Directive) -> R {
    Err(Diagnostic::error(
        d.name.span,
        d.args
            .iter()
            .map(|a| a.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
    .with_help("this configuration stops itself with an Error directive"))
}

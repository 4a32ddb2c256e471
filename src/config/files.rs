//! Directive handlers for content mapping: DocumentRoot, DirectoryIndex, Options,
//! AllowOverride, Alias, Redirect, RedirectMatch, RedirectPermanent, RedirectTemp,
//! ErrorDocument.

use super::ast::Directive;
use super::build::{Builder, SectionKind};
use super::diag::Diagnostic;
use super::lexer::Word;
use super::model::{AliasRule, DirectoryIndex, ErrorDocument, OptFlags, OptionsSpec, Redirect};
use super::source::Spanned;

type R = Result<(), Diagnostic>;

pub fn document_root(b: &mut Builder, d: &Directive) -> R {
    let mut p = b.path(&d.args[0]);
    let text = p.value.to_string_lossy();
    if text.len() > 1 && text.ends_with('/') {
        p.value = text.trim_end_matches('/').into();
    }
    b.server().document_root = Some(p);
    Ok(())
}

pub fn directory_index(b: &mut Builder, d: &Directive) -> R {
    let span = d.args[0].span;
    if d.args
        .iter()
        .any(|a| a.text.eq_ignore_ascii_case("disabled"))
    {
        if d.args.len() > 1 {
            return Err(Diagnostic::error(
                span,
                "DirectoryIndex disabled must be the only argument",
            )
            .with_help("write 'DirectoryIndex disabled' on a line of its own"));
        }
        b.dir().directory_index = Some(Spanned::new(DirectoryIndex::Disabled, span));
        return Ok(());
    }
    let new: Vec<String> = d.args.iter().map(|a| a.text.clone()).collect();
    let dir = b.dir();
    // Repeated directives in one context add to the list.
    match &mut dir.directory_index {
        Some(Spanned {
            value: DirectoryIndex::Files(list),
            ..
        }) => list.extend(new),
        _ => dir.directory_index = Some(Spanned::new(DirectoryIndex::Files(new), span)),
    }
    Ok(())
}

fn option_flag(name: &str) -> Option<OptFlags> {
    Some(match name.to_ascii_lowercase().as_str() {
        "indexes" => OptFlags::INDEXES,
        "followsymlinks" => OptFlags::FOLLOW_SYMLINKS,
        "symlinksifownermatch" => OptFlags::SYMLINKS_IF_OWNER_MATCH,
        "execcgi" => OptFlags::EXEC_CGI,
        "includes" => OptFlags::INCLUDES,
        "includesnoexec" => OptFlags::INCLUDES_NOEXEC,
        "multiviews" => OptFlags::MULTIVIEWS,
        "all" => OptFlags::ALL,
        "none" => OptFlags(0),
        _ => return None,
    })
}

/// Parses one `Options` line (httpd 2.4: all words signed, or none).
pub fn parse_options(args: &[Word]) -> Result<(OptionsSpec, Vec<&Word>), Diagnostic> {
    let signed = args
        .iter()
        .filter(|a| a.text.starts_with(['+', '-']))
        .count();
    if signed != 0 && signed != args.len() {
        return Err(Diagnostic::error(
            args[0].span,
            "Either all Options must start with + or -, or no Option may.",
        )
        .with_help(
            "write 'Options Indexes FollowSymLinks' or 'Options +Indexes -FollowSymLinks'",
        ));
    }
    let mut spec = OptionsSpec::default();
    let mut inert = Vec::new();
    for a in args {
        let (sign, name) = match a.text.chars().next() {
            Some(c @ ('+' | '-')) => (Some(c), &a.text[1..]),
            _ => (None, a.text.as_str()),
        };
        let Some(flag) = option_flag(name) else {
            return Err(Diagnostic::error(a.span, format!("Illegal option {name}"))
                .with_help("options are None, All, Indexes, FollowSymLinks, SymLinksIfOwnerMatch, ExecCGI, Includes, IncludesNOEXEC, MultiViews"));
        };
        if flag.0
            & (OptFlags::EXEC_CGI.0
                | OptFlags::INCLUDES.0
                | OptFlags::INCLUDES_NOEXEC.0
                | OptFlags::MULTIVIEWS.0)
            != 0
            && !name.eq_ignore_ascii_case("all")
            && sign != Some('-')
        {
            inert.push(a);
        }
        match sign {
            Some('+') => {
                spec.add = spec.add.union(flag);
                spec.remove = spec.remove.minus(flag);
            }
            Some(_) => {
                spec.remove = spec.remove.union(flag);
                spec.add = spec.add.minus(flag);
            }
            None => spec.replace = Some(spec.replace.unwrap_or_default().union(flag)),
        }
    }
    Ok((spec, inert))
}

/// Two `Options` lines in one context: the second applies on top of the first.
fn compose(old: OptionsSpec, new: OptionsSpec) -> OptionsSpec {
    if new.replace.is_some() {
        return new;
    }
    OptionsSpec {
        replace: old.replace.map(|r| new.apply(r)),
        add: old.add.union(new.add).minus(new.remove),
        remove: old.remove.union(new.remove).minus(new.add),
    }
}

pub fn options(b: &mut Builder, d: &Directive) -> R {
    let (spec, inert) = parse_options(&d.args)?;
    for w in inert {
        b.warn(Diagnostic::warning(w.span, format!("Options {} has no effect in this server", w.text))
            .with_help("CGI, server-side includes and content negotiation are not implemented; remove the option"));
    }
    let dir = b.dir();
    let merged = match &dir.options {
        Some(old) => compose(old.value, spec),
        None => spec,
    };
    dir.options = Some(Spanned::new(merged, d.name.span));
    Ok(())
}

pub fn allow_override(b: &mut Builder, d: &Directive) -> R {
    if d.args.len() == 1 && d.args[0].text.eq_ignore_ascii_case("none") {
        b.dir().allow_override_none = true;
        return Ok(());
    }
    // httpd would read .htaccess files here and apply what they say (access rules, rewrites,
    // types): ignoring them could change who sees what, so it is refused.
    Err(Diagnostic::error(
        d.args_span(),
        format!(
            "AllowOverride {} is not supported by this server: .htaccess files are not read, and httpd would apply their rules here",
            d.args.iter().map(|a| a.text.as_str()).collect::<Vec<_>>().join(" ")
        ),
    )
    .with_help("move the .htaccess settings into a <Directory> section of the main configuration and write AllowOverride None"))
}

pub fn alias(b: &mut Builder, d: &Directive) -> R {
    let url = &d.args[0];
    if !url.text.starts_with('/') {
        return Err(Diagnostic::error(
            url.span,
            format!("Alias URL path '{}' must start with /", url.text),
        )
        .with_help("write Alias /url-path /filesystem/path"));
    }
    let path = b.path(&d.args[1]);
    if url.text.ends_with('/') != path.value.to_string_lossy().ends_with('/') {
        b.warn(Diagnostic::warning(url.span, "Alias URL path and target differ in their trailing slash")
            .with_help("end both with / or neither; with only the URL ending in /, requests without it are not aliased"));
    }
    b.server().url_aliases.push(AliasRule {
        span: url.span,
        url: url.text.clone(),
        path: path.value,
    });
    Ok(())
}

fn redirect_status(w: &str) -> Option<u16> {
    Some(match w.to_ascii_lowercase().as_str() {
        "permanent" => 301,
        "temp" => 302,
        "seeother" => 303,
        "gone" => 410,
        n if n.len() == 3 && n.bytes().all(|c| c.is_ascii_digit()) => n.parse().ok()?,
        _ => return None,
    })
}

pub fn redirect(b: &mut Builder, d: &Directive) -> R {
    let lower = d.name.text.to_ascii_lowercase();
    let mut args = d.args.iter().peekable();
    let mut status = match lower.as_str() {
        "redirectpermanent" => 301,
        _ => 302,
    };
    let mut status_span = None;
    // RedirectPermanent and RedirectTemp take no status word.
    let fixed_status = lower == "redirectpermanent" || lower == "redirecttemp";
    if !fixed_status
        && let Some(first) = args.peek()
        && let Some(s) = redirect_status(&first.text)
        && (d.args.len() > 1 || s == 410)
    {
        status = s;
        status_span = Some(first.span);
        args.next();
    }
    if !(300..=399).contains(&status) && !(400..=599).contains(&status) {
        return Err(Diagnostic::error(
            status_span.unwrap_or(d.name.span),
            format!("Redirect status {status} is not a 3xx or 4xx/5xx code"),
        ));
    }
    if matches!(
        b.section(),
        Some(SectionKind::Directory | SectionKind::Files | SectionKind::If)
    ) {
        return Err(Diagnostic::error(
            d.name.span,
            format!("{} inside <Directory>, <Files> or <If> is not supported by this server yet", d.name.text),
        )
        .with_help("write it at server or <VirtualHost> level (RedirectMatch for patterns), or in a <Location>"));
    }
    let rest: Vec<&Word> = args.collect();
    let in_location = b.section() == Some(SectionKind::Location);
    let needs_url = (300..=399).contains(&status);
    let (url_path, target) = match (in_location, rest.as_slice()) {
        (true, [url]) => (None, Some(*url)),
        (true, []) if !needs_url => (None, None),
        (_, [path, url]) => (Some(*path), Some(*url)),
        (false, [path]) if !needs_url => (Some(*path), None),
        _ => {
            return Err(Diagnostic::error(
                d.args_span(),
                if needs_url {
                    "Redirect needs a URL-path and a target URL"
                } else {
                    "Redirect with this status takes only a URL-path"
                },
            )
            .with_help(
                "usage: Redirect [permanent|temp|seeother|gone|3xx] /url-path https://target/",
            ));
        }
    };
    if let Some(t) = target {
        if !needs_url {
            return Err(Diagnostic::error(
                t.span,
                format!("Redirect URL not valid for this status ({status} takes no URL)"),
            ));
        }
        if !t.text.starts_with('/') && !t.text.contains("://") {
            return Err(
                Diagnostic::error(t.span, format!("Redirect to non-URL '{}'", t.text)).with_help(
                    "give an absolute URL (https://host/path) or a path starting with /",
                ),
            );
        }
    }
    let regex = if lower == "redirectmatch" {
        let Some(p) = url_path else {
            return Err(Diagnostic::error(
                d.args_span(),
                "RedirectMatch needs a regular expression",
            )
            .with_help("usage: RedirectMatch [status] regex URL"));
        };
        Some(crate::regex::Pattern::new(&p.text, false).map_err(|e| {
            Diagnostic::error(p.span, format!("Regex could not be compiled: {e}"))
                .with_help("write a PCRE regular expression, as httpd takes")
        })?)
    } else {
        None
    };
    let path = match url_path {
        Some(p) if regex.is_some() => p.text.clone(),
        Some(p) if !p.text.starts_with('/') => {
            return Err(Diagnostic::error(
                p.span,
                format!("Redirect URL-path '{}' must start with /", p.text),
            ));
        }
        Some(p) => p.text.clone(),
        None => String::new(),
    };
    let rule = Redirect {
        span: d.name.span,
        regex,
        status,
        url_path: path,
        target: target.map(|t| t.text.clone()),
    };
    b.dir().redirects.push(rule);
    Ok(())
}

pub fn error_document(b: &mut Builder, d: &Directive) -> R {
    let code_w = &d.args[0];
    let code: u16 = match code_w.text.parse() {
        Ok(c) if (400..=599).contains(&c) => c,
        _ => {
            return Err(Diagnostic::error(
                code_w.span,
                format!("Unsupported HTTP response code {}", code_w.text),
            )
            .with_help("ErrorDocument takes a 4xx or 5xx status code"));
        }
    };
    let t = &d.args[1].text;
    let doc = if t.eq_ignore_ascii_case("default") {
        ErrorDocument::Default
    } else if t.starts_with('/') {
        ErrorDocument::LocalPath(t.clone())
    } else if t.contains("://") {
        ErrorDocument::Url(t.clone())
    } else {
        ErrorDocument::Text(t.clone())
    };
    b.dir()
        .error_documents
        .insert(code, Spanned::new(doc, d.args[1].span));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::Span;

    fn words(s: &str) -> Vec<Word> {
        s.split(' ')
            .map(|t| Word {
                text: t.into(),
                span: Span::default(),
            })
            .collect()
    }

    #[test]
    fn options_rules() {
        let (s, _) = parse_options(&words("Indexes FollowSymLinks")).unwrap();
        assert_eq!(
            s.apply(OptFlags(0)),
            OptFlags::INDEXES.union(OptFlags::FOLLOW_SYMLINKS)
        );
        let (s, _) = parse_options(&words("+Indexes -FollowSymLinks")).unwrap();
        assert_eq!(s.apply(OptFlags::FOLLOW_SYMLINKS), OptFlags::INDEXES);
        assert!(parse_options(&words("+Indexes FollowSymLinks")).is_err());
        assert!(parse_options(&words("Bogus")).is_err());
        let (s, _) = parse_options(&words("None")).unwrap();
        assert_eq!(s.apply(OptFlags::ALL), OptFlags(0));
        let (a, _) = parse_options(&words("Indexes")).unwrap();
        let (b, _) = parse_options(&words("-Indexes +FollowSymLinks")).unwrap();
        assert_eq!(compose(a, b).apply(OptFlags(0)), OptFlags::FOLLOW_SYMLINKS);
    }
}

//! Directive handlers for logging: ErrorLog, LogLevel, LogFormat (with a check of the format
//! language), CustomLog.

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::lexer::Word;
use super::model::{CustomLog, Level, LogLevel};
use super::source::{Span, Spanned};
use std::collections::BTreeMap;

type R = Result<(), Diagnostic>;

/// A file target is taken from ServerRoot; pipes and syslog are kept as written.
fn log_target(b: &Builder, w: &Word) -> String {
    let t = &w.text;
    if t.starts_with('|') || t.starts_with("syslog") || t == "/dev/stderr" || t == "/dev/stdout" {
        t.clone()
    } else {
        b.path(w).value.to_string_lossy().into_owned()
    }
}

pub fn error_log(b: &mut Builder, d: &Directive) -> R {
    let t = log_target(b, &d.args[0]);
    b.server().log.error_log = Some(Spanned::new(t, d.args[0].span));
    Ok(())
}

pub fn log_level(b: &mut Builder, d: &Directive) -> R {
    let mut spec = LogLevel {
        level: None,
        modules: BTreeMap::new(),
    };
    for w in &d.args {
        let bad = |what: &str| {
            Diagnostic::error(w.span, format!("LogLevel: {what}"))
                .with_help("levels are emerg, alert, crit, error, warn, notice, info, debug, trace1-trace8; per module: ssl:info")
        };
        match w.text.split_once(':') {
            Some((module, level)) => {
                let l =
                    Level::parse(level).ok_or_else(|| bad(&format!("unknown level '{level}'")))?;
                let id = module
                    .trim_end_matches("_module")
                    .trim_start_matches("mod_")
                    .to_ascii_lowercase();
                spec.modules.insert(id, l);
            }
            None => {
                let l = Level::parse(&w.text)
                    .ok_or_else(|| bad(&format!("unknown level '{}'", w.text)))?;
                spec.level = Some(l);
            }
        }
    }
    b.server().log.log_level = Some(Spanned::new(spec, d.args_span()));
    Ok(())
}

/// The `%` letters of mod_log_config.
const FORMAT_LETTERS: &str = "aAbBCDefhHiklLmnopPqrRsStTuUvVXIO";

/// Checks a LogFormat string; the error points at the offending `%`.
pub fn check_format(fmt: &str, span: Span) -> Result<(), Diagnostic> {
    let bytes: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != '%' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if bytes.get(i) == Some(&'%') {
            i += 1;
            continue;
        }
        // Conditions (`!200,304`) and `<`/`>`.
        while i < bytes.len()
            && (bytes[i].is_ascii_digit() || matches!(bytes[i], '!' | ',' | '<' | '>'))
        {
            i += 1;
        }
        if bytes.get(i) == Some(&'{') {
            match bytes[i..].iter().position(|c| *c == '}') {
                Some(end) => i += end + 1,
                None => {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "LogFormat: '%{{' at character {} is not closed with '}}'",
                            start + 1
                        ),
                    ));
                }
            }
        }
        if bytes.get(i) == Some(&'^') {
            let two: String = bytes
                .get(i + 1..i + 3)
                .map(|s| s.iter().collect())
                .unwrap_or_default();
            if two == "ti" || two == "to" {
                i += 3;
                continue;
            }
        }
        match bytes.get(i) {
            Some(c) if FORMAT_LETTERS.contains(*c) => i += 1,
            Some(c) => {
                return Err(Diagnostic::error(
                    span,
                    format!("Unrecognized LogFormat directive %{c}"),
                )
                .with_help(
                    "see the mod_log_config format letters; write %% for a literal percent sign",
                ));
            }
            None => {
                return Err(Diagnostic::error(span, "LogFormat ends with a lone '%'")
                    .with_help("write %% for a literal percent sign"));
            }
        }
    }
    Ok(())
}

pub fn log_format(b: &mut Builder, d: &Directive) -> R {
    let fmt = &d.args[0];
    check_format(&fmt.text, fmt.span)?;
    let value = Spanned::new(fmt.text.clone(), fmt.span);
    match d.args.get(1) {
        Some(nick) => {
            b.server().log.formats.insert(nick.text.clone(), value);
        }
        None => b.server().log.default_format = Some(value),
    }
    Ok(())
}

pub fn custom_log(b: &mut Builder, d: &Directive) -> R {
    let target = log_target(b, &d.args[0]);
    let format = &d.args[1];
    // A format that is not a nickname is a literal format string (httpd does the same).
    if format.text.contains('%') {
        check_format(&format.text, format.span)?;
    }
    let condition = match d.args.get(2) {
        Some(c) if c.text.starts_with("env=") || c.text.starts_with("expr=") => {
            Some(c.text.clone())
        }
        Some(c) => {
            return Err(Diagnostic::error(
                c.span,
                format!(
                    "CustomLog condition '{}' must start with env= or expr=",
                    c.text
                ),
            ));
        }
        None => None,
    };
    b.server().log.custom_logs.push(CustomLog {
        span: d.name.span,
        target,
        format: format.text.clone(),
        condition,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let s = Span::default();
        assert!(check_format("%h %l %u %t \"%r\" %>s %b \"%{Referer}i\"", s).is_ok());
        assert!(check_format("%!200,304{User-Agent}i %{c}a %^ti %D %% done", s).is_ok());
        assert!(check_format("%Y", s).is_err());
        assert!(check_format("%{Referer", s).is_err());
        assert!(check_format("100%", s).is_err());
    }
}

//! Takes findings (severity, span, message, help) and gives the text people read:
//! `file:line:col: error: ...`, the source line with a caret, `help:` and "included from" notes.

use super::source::{SourceMap, Span};
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Note => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where it is; `None` for findings about the whole run (command line, missing main file).
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
    /// Further places worth showing, each with a short text.
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn new(severity: Severity, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            span,
            message: message.into(),
            help: None,
            notes: Vec::new(),
        }
    }
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, Some(span), message)
    }
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, Some(span), message)
    }
    pub fn note(span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, Some(span), message)
    }
    pub fn global(severity: Severity, message: impl Into<String>) -> Self {
        Self::new(severity, None, message)
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn with_note(mut self, span: Span, text: impl Into<String>) -> Self {
        self.notes.push((span, text.into()));
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The full text: header, source line with caret, help, notes, include chain.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        match self.span {
            Some(span) => {
                let _ = writeln!(
                    out,
                    "{}: {}: {}",
                    sources.position(span),
                    self.severity.label(),
                    self.message
                );
                caret(&mut out, sources, span);
            }
            None => {
                let _ = writeln!(out, "{}: {}", self.severity.label(), self.message);
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  help: {help}");
        }
        for (span, text) in &self.notes {
            let _ = writeln!(out, "  note: {}: {}", sources.file_line(*span), text);
        }
        if let Some(span) = self.span {
            for inc in sources.include_chain(span) {
                let _ = writeln!(out, "  note: included from {}", sources.file_line(inc));
            }
        }
        out
    }
}

fn caret(out: &mut String, sources: &SourceMap, span: Span) {
    let Some(text) = sources.line_text(span) else {
        return;
    };
    // Very long lines are cut around the column so the caret stays readable.
    let chars: Vec<char> = text.chars().collect();
    let col = (span.col.max(1) as usize - 1).min(chars.len());
    let start = col.saturating_sub(60);
    let end = chars.len().min(start + 120);
    let shown: String = chars[start..end]
        .iter()
        .map(|c| if c.is_control() { ' ' } else { *c })
        .collect();
    let num = span.line.to_string();
    let pad = " ".repeat(num.len());
    let prefix = if start > 0 { "..." } else { "" };
    let _ = writeln!(out, "  {num} | {prefix}{shown}");
    let width = (span.len.max(1) as usize).min(end.saturating_sub(col).max(1));
    let _ = writeln!(
        out,
        "  {pad} | {}{}{}",
        " ".repeat(prefix.len()),
        " ".repeat(col - start),
        "^".repeat(width)
    );
}

/// A list of findings, with helpers to report and count.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }
    /// Every finding rendered in the order found.
    pub fn render(&self, sources: &SourceMap) -> String {
        self.items.iter().map(|d| d.render(sources)).collect()
    }
}

/// The closest of `candidates` to `word` (case-insensitive), if close enough to suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if word.len() > 64 {
        return None;
    }
    let w = word.to_ascii_lowercase().replace('_', "");
    let w_len = w.chars().count();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // The distance is at least the difference in length: a candidate that cannot beat the
        // best so far, or could never be close enough (the limit is at most 4), is skipped.
        let at_least = w_len.abs_diff(c.chars().count());
        if at_least > 4 || best.is_some_and(|(bd, _)| at_least >= bd) {
            continue;
        }
        let d = edit_distance(&w, &c.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (c.len() / 3).clamp(1, 4);
    (d <= limit).then_some(c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["ServerName", "ServerAlias", "DocumentRoot"];
        assert_eq!(did_you_mean("ServrName", names), Some("ServerName"));
        assert_eq!(did_you_mean("server_name", names), Some("ServerName"));
        assert_eq!(did_you_mean("DocumentRot", names), Some("DocumentRoot"));
        assert_eq!(did_you_mean("Frobnicate", names), None);
    }
}

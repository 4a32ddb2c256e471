//! Takes config file texts as they are read and gives spans (`file:line:col`) and the
//! "included from" chain that every diagnostic and plan entry points back to.

use std::path::{Path, PathBuf};

/// Index of one read of one file (a file included twice is two reads, each with its own chain).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A place in the config: file, 1-based line and column, and the width to underline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

/// A value with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// One file as read: its path, its physical lines, and the directive that included it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub lines: Vec<String>,
    pub included_from: Option<Span>,
}

/// Every file read while loading one configuration.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Paths under this directory are shown relative to it.
    display_base: Option<PathBuf>,
}

impl SourceMap {
    pub fn new(display_base: Option<PathBuf>) -> Self {
        SourceMap {
            files: Vec::new(),
            display_base,
        }
    }

    pub fn add(&mut self, path: PathBuf, text: &str, included_from: Option<Span>) -> FileId {
        let lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        self.files.push(SourceFile {
            path,
            lines,
            included_from,
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The path as people should read it: relative to the display base when under it.
    pub fn show_path(&self, path: &Path) -> String {
        show_path(self.display_base.as_deref(), path)
    }

    /// `file:line`, as httpd writes it after a vhost name.
    pub fn file_line(&self, span: Span) -> String {
        match self.file(span.file) {
            Some(f) => format!("{}:{}", self.show_path(&f.path), span.line),
            None => format!("<unknown>:{}", span.line),
        }
    }

    /// `file:line:col`.
    pub fn position(&self, span: Span) -> String {
        format!("{}:{}", self.file_line(span), span.col.max(1))
    }

    /// The physical line a span points at.
    pub fn line_text(&self, span: Span) -> Option<&str> {
        let f = self.file(span.file)?;
        f.lines
            .get((span.line as usize).checked_sub(1)?)
            .map(String::as_str)
    }

    /// The chain of Include directives that led to the span's file, innermost first.
    pub fn include_chain(&self, span: Span) -> Vec<Span> {
        let mut chain = Vec::new();
        let mut cur = self.file(span.file).and_then(|f| f.included_from);
        while let Some(s) = cur {
            if chain.len() > 64 {
                break;
            }
            chain.push(s);
            cur = self.file(s.file).and_then(|f| f.included_from);
        }
        chain
    }
}

/// Shows `path` relative to `base` when it lies under it.
pub fn show_path(base: Option<&Path>, path: &Path) -> String {
    if let Some(b) = base
        && let Ok(rel) = path.strip_prefix(b)
        && !rel.as_os_str().is_empty()
    {
        return rel.display().to_string();
    }
    path.display().to_string()
}

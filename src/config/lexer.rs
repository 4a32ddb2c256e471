//! Takes one config file's text and gives its logical lines (httpd 2.4 rules: `\` continuation,
//! whole-line comments, quoted words) as directives, section openings and section closings.

use super::diag::Diagnostic;
use super::source::{FileId, Span};
use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{take_till1, take_while};
use nom::character::complete::satisfy;

/// A word of a directive line, unquoted, with where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

/// One logical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Directive { name: Word, args: Vec<Word> },
    Open { name: Word, args: Vec<Word> },
    Close { name: Word },
}

/// httpd's `apr_isspace`.
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// A logical line with the map from its offsets back to physical lines.
struct Logical {
    text: String,
    /// (offset in `text`, physical line number) of each joined physical line.
    segments: Vec<(usize, u32)>,
}

impl Logical {
    fn span_at(&self, file: FileId, offset: usize, len: usize) -> Span {
        let (start, line) = self
            .segments
            .iter()
            .rev()
            .find(|(o, _)| *o <= offset)
            .copied()
            .unwrap_or((0, 1));
        let col = self.text[start..offset.min(self.text.len())]
            .chars()
            .count()
            + 1;
        Span {
            file,
            line,
            col: col as u32,
            len: len as u32,
        }
    }
}

/// Splits a file into logical lines and lexes each; problems are reported, never panicked on.
pub fn lex(file: FileId, text: &str) -> (Vec<Line>, Vec<Diagnostic>) {
    let mut lines = Vec::new();
    let mut diags = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut physical = text.split('\n').enumerate().peekable();
    while let Some((i, raw)) = physical.next() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let mut logical = Logical {
            text: raw.to_string(),
            segments: vec![(0, i as u32 + 1)],
        };
        while logical.text.ends_with('\\') {
            logical.text.pop();
            match physical.next() {
                Some((j, next)) => {
                    let next = next.strip_suffix('\r').unwrap_or(next);
                    logical.segments.push((logical.text.len(), j as u32 + 1));
                    logical.text.push_str(next);
                }
                None => {
                    let span = logical.span_at(file, logical.text.len(), 1);
                    diags.push(
                        Diagnostic::error(span, "line continuation '\\' at the end of the file")
                            .with_help(
                                "remove the trailing backslash or add the line it continues onto",
                            ),
                    );
                }
            }
        }
        if let Some(pos) = logical.text.find('\0') {
            diags.push(
                Diagnostic::error(
                    logical.span_at(file, pos, 1),
                    "NUL byte in the configuration file",
                )
                .with_help("configuration files are text; remove the binary data"),
            );
            continue;
        }
        let trimmed = logical.text.trim_start_matches(is_space);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let start = logical.text.len() - trimmed.len();
        match lex_line(file, &logical, start) {
            Ok(Some(l)) => lines.push(l),
            Ok(None) => {}
            Err(d) => diags.push(d),
        }
    }
    (lines, diags)
}

fn lex_line(file: FileId, logical: &Logical, start: usize) -> Result<Option<Line>, Diagnostic> {
    let text = logical.text.trim_end_matches(is_space);
    let body = &text[start..];
    if let Some(rest) = body.strip_prefix("</") {
        let Some(inner) = rest.strip_suffix('>') else {
            return Err(missing_gt(file, logical, start, rest));
        };
        let words = words(file, logical, start + 2, inner)?;
        let mut it = words.into_iter();
        let Some(name) = it.next() else {
            return Err(Diagnostic::error(
                logical.span_at(file, start, 2),
                "'</>' closes no section",
            ));
        };
        let name = widen(name, 2);
        if let Some(extra) = it.next() {
            return Err(Diagnostic::error(
                extra.span,
                format!("unexpected text after </{}", name.text),
            )
            .with_help(format!("a closing line is just </{}>", name.text)));
        }
        return Ok(Some(Line::Close { name }));
    }
    if let Some(rest) = body.strip_prefix('<') {
        let Some(inner) = rest.strip_suffix('>') else {
            return Err(missing_gt(file, logical, start, rest));
        };
        let mut it = words(file, logical, start + 1, inner)?.into_iter();
        let Some(name) = it.next() else {
            return Err(Diagnostic::error(
                logical.span_at(file, start, 2),
                "'<>' names no section",
            ));
        };
        return Ok(Some(Line::Open {
            name: widen(name, 1),
            args: it.collect(),
        }));
    }
    let mut it = words(file, logical, start, body)?.into_iter();
    Ok(it.next().map(|name| Line::Directive {
        name,
        args: it.collect(),
    }))
}

/// A section name's span, widened to take in the `<` or `</` before it.
fn widen(mut w: Word, by: u32) -> Word {
    if w.span.col > by {
        w.span.col -= by;
        w.span.len += by;
    }
    w
}

fn missing_gt(file: FileId, logical: &Logical, start: usize, rest: &str) -> Diagnostic {
    let name: String = rest
        .chars()
        .take_while(|c| !is_space(*c) && *c != '>')
        .collect();
    Diagnostic::error(
        logical.span_at(file, start, name.len() + 1),
        format!("<{name} directive missing closing '>'"),
    )
    .with_help(format!("end the line with '>', as in <{name} ...>"))
}

/// Splits `s` (which starts at `base` in the logical line) into words.
fn words(file: FileId, logical: &Logical, base: usize, s: &str) -> Result<Vec<Word>, Diagnostic> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let (after_ws, _) = spaces(rest).unwrap_or((rest, ""));
        rest = after_ws;
        if rest.is_empty() {
            return Ok(out);
        }
        let offset = base + (s.len() - rest.len());
        match word(rest) {
            Ok((next, text)) => {
                let len = rest[..rest.len() - next.len()].chars().count();
                out.push(Word {
                    text,
                    span: logical.span_at(file, offset, len),
                });
                rest = next;
            }
            Err(_) => {
                let q = rest.chars().next().unwrap_or('"');
                return Err(Diagnostic::error(
                    logical.span_at(file, offset, 1),
                    format!("unterminated quoted argument: no closing {q}"),
                )
                .with_help(format!(
                    "close the argument with {q}, or escape the quote as \\{q}"
                )));
            }
        }
    }
}

fn spaces(i: &str) -> IResult<&str, &str> {
    take_while(is_space)(i)
}

/// One word: `"..."` or `'...'` with `\"`/`\\` escapes, or a bare run with `\\` folded.
fn word(i: &str) -> IResult<&str, String> {
    if i.starts_with('"') || i.starts_with('\'') {
        let (i, q) = satisfy(|c| c == '"' || c == '\'').parse(i)?;
        quoted(q)(i)
    } else {
        let (i, raw) = take_till1(is_space)(i)?;
        Ok((i, raw.replace("\\\\", "\\")))
    }
}

fn quoted(q: char) -> impl Fn(&str) -> IResult<&str, String> {
    move |i: &str| {
        let mut out = String::new();
        let mut chars = i.char_indices();
        while let Some((pos, c)) = chars.next() {
            if c == q {
                let after = &i[pos + c.len_utf8()..];
                // A closing quote must end the word.
                if after.starts_with(|c: char| !is_space(c)) {
                    return Err(nom::Err::Error(nom::error::Error::new(
                        after,
                        nom::error::ErrorKind::Char,
                    )));
                }
                return Ok((after, out));
            }
            if c == '\\' {
                match chars.clone().next() {
                    Some((_, n)) if n == q || n == '\\' => {
                        chars.next();
                        out.push(n);
                        continue;
                    }
                    _ => {}
                }
            }
            out.push(c);
        }
        Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Char,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<Vec<String>> {
        let (lines, diags) = lex(FileId(0), src);
        assert!(diags.is_empty(), "{diags:?}");
        lines
            .into_iter()
            .map(|l| match l {
                Line::Directive { name, args } | Line::Open { name, args } => {
                    std::iter::once(name.text)
                        .chain(args.into_iter().map(|w| w.text))
                        .collect()
                }
                Line::Close { name } => vec![format!("/{}", name.text)],
            })
            .collect()
    }

    #[test]
    fn continuation_joins_and_keeps_leading_space() {
        assert_eq!(
            texts("ServerAlias a \\\n  b\n"),
            vec![vec!["ServerAlias", "a", "b"]]
        );
        assert_eq!(texts("Foo x\\\ny\n"), vec![vec!["Foo", "xy"]]);
    }

    #[test]
    fn comment_continuation_swallows_next_line() {
        assert_eq!(
            texts("# note \\\nServerName a\nListen 80\n"),
            vec![vec!["Listen", "80"]]
        );
    }

    #[test]
    fn backslash_then_space_does_not_continue() {
        assert_eq!(texts("A x\\ \nB y\n").len(), 2);
    }

    #[test]
    fn hash_mid_line_is_an_argument() {
        assert_eq!(
            texts("ServerName a # x\n"),
            vec![vec!["ServerName", "a", "#", "x"]]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            texts(r#"LogFormat "%h \"%r\" a\b" 'it\'s' c\\d"#),
            vec![vec!["LogFormat", r#"%h "%r" a\b"#, "it's", r"c\d"]]
        );
    }

    #[test]
    fn sections_and_columns() {
        let (lines, _) = lex(
            FileId(0),
            "  <VirtualHost *:80 [::1]:443>\n</virtualhost>\n",
        );
        match &lines[0] {
            Line::Open { name, args } => {
                assert_eq!(name.text, "VirtualHost");
                assert_eq!((name.span.line, name.span.col, name.span.len), (1, 3, 12));
                assert_eq!(args.len(), 2);
                assert_eq!(args[1].span.col, 21);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&lines[1], Line::Close { name } if name.text == "virtualhost"));
    }

    #[test]
    fn errors_are_positioned() {
        let (_, d) = lex(
            FileId(0),
            "A ok\nServerName \"a b\n<VirtualHost *:80\nB x\\",
        );
        let pos: Vec<_> = d.iter().map(|d| d.span.map(|s| (s.line, s.col))).collect();
        assert_eq!(pos, vec![Some((2, 12)), Some((3, 1)), Some((4, 4))]);
    }

    #[test]
    fn crlf_and_bom() {
        assert_eq!(texts("\u{feff}Listen 80\r\nServerName a\r\n").len(), 2);
    }
}

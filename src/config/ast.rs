//! Takes a file's logical lines and gives its syntax tree (directives and properly nested
//! sections, with spans); also prints a tree back to config text for round trips.

use super::diag::Diagnostic;
use super::lexer::{Line, Word, is_space};
use super::source::Span;

/// A directive line: name and arguments, each with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: Word,
    pub args: Vec<Word>,
}

impl Directive {
    pub fn span(&self) -> Span {
        self.name.span
    }
    /// The span from the first argument to the end of the last, or the name's span.
    pub fn args_span(&self) -> Span {
        match (self.args.first(), self.args.last()) {
            (Some(a), Some(b)) if a.span.line == b.span.line => Span {
                len: b.span.col + b.span.len - a.span.col,
                ..a.span
            },
            (Some(a), _) => a.span,
            _ => self.name.span,
        }
    }
}

/// `<Name args> ... </Name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: Word,
    pub args: Vec<Word>,
    pub children: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Directive(Directive),
    Section(Section),
}

impl Node {
    pub fn name(&self) -> &Word {
        match self {
            Node::Directive(d) => &d.name,
            Node::Section(s) => &s.name,
        }
    }
}

/// Builds the tree; every unbalanced or mismatched section is reported.
pub fn build(lines: Vec<Line>) -> (Vec<Node>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    // The stack of open sections; the bottom is the file itself.
    let mut stack: Vec<Frame> = vec![(None, Vec::new())];
    let mut last_line = 0;
    for line in lines {
        match line {
            Line::Directive { name, args } => {
                last_line = name.span.line;
                top(&mut stack).push(Node::Directive(Directive { name, args }));
            }
            Line::Open { name, args } => {
                last_line = name.span.line;
                stack.push((Some((name, args)), Vec::new()));
            }
            Line::Close { name } => {
                last_line = name.span.line;
                let depth = stack.iter().rposition(|(open, _)| {
                    open.as_ref()
                        .is_some_and(|(o, _)| o.text.eq_ignore_ascii_case(&name.text))
                });
                match depth {
                    None => {
                        let d = Diagnostic::error(
                            name.span,
                            format!("</{0}> without matching <{0}> section", name.text),
                        );
                        // Inside another section the likely slip is closing the wrong one.
                        diags.push(match stack.last() {
                            Some((Some((o, _)), _)) => d
                                .with_note(o.span, format!("<{}> is the section open here", o.text))
                                .with_help(format!(
                                    "close <{0}> with </{0}>, or remove this line",
                                    o.text
                                )),
                            _ => d.with_help("remove it, or add the opening line it belongs to"),
                        });
                    }
                    Some(d) => {
                        while stack.len() > d + 1 {
                            let (open, _) = &stack[stack.len() - 1];
                            if let Some((o, _)) = open {
                                diags.push(
                                    Diagnostic::error(
                                        name.span,
                                        format!(
                                            "</{}> closes <{}>, which is still open",
                                            name.text, o.text
                                        ),
                                    )
                                    .with_note(o.span, format!("<{}> opened here", o.text))
                                    .with_help(format!("add </{}> before this line", o.text)),
                                );
                            }
                            close_top(&mut stack);
                        }
                        close_top(&mut stack);
                    }
                }
            }
        }
    }
    while stack.len() > 1 {
        if let Some((Some((o, _)), _)) = stack.last() {
            diags.push(
                Diagnostic::error(
                    o.span,
                    format!(
                        "<{}> was not closed (reached the end of the file at line {last_line})",
                        o.text
                    ),
                )
                .with_help(format!("add </{}> where the section ends", o.text)),
            );
        }
        close_top(&mut stack);
    }
    let nodes = stack.pop().map(|(_, n)| n).unwrap_or_default();
    (nodes, diags)
}

type Frame = (Option<(Word, Vec<Word>)>, Vec<Node>);

fn top(stack: &mut [Frame]) -> &mut Vec<Node> {
    &mut stack[stack.len() - 1].1
}

fn close_top(stack: &mut Vec<Frame>) {
    if let Some((Some((name, args)), children)) = stack.pop() {
        top(stack).push(Node::Section(Section {
            name,
            args,
            children,
        }));
    }
}

/// Prints nodes back as config text that parses to the same tree.
pub fn print(nodes: &[Node]) -> String {
    let mut out = String::new();
    print_into(&mut out, nodes, 0);
    out
}

fn print_into(out: &mut String, nodes: &[Node], depth: usize) {
    let indent = "    ".repeat(depth);
    for node in nodes {
        match node {
            Node::Directive(d) => {
                out.push_str(&indent);
                out.push_str(&quote(&d.name.text));
                for a in &d.args {
                    out.push(' ');
                    out.push_str(&quote(&a.text));
                }
                out.push('\n');
            }
            Node::Section(s) => {
                out.push_str(&indent);
                out.push('<');
                out.push_str(&s.name.text);
                for a in &s.args {
                    out.push(' ');
                    out.push_str(&quote(&a.text));
                }
                out.push_str(">\n");
                print_into(out, &s.children, depth + 1);
                out.push_str(&indent);
                out.push_str("</");
                out.push_str(&s.name.text);
                out.push_str(">\n");
            }
        }
    }
}

/// Quotes a word when it would not read back as itself bare.
pub fn quote(w: &str) -> String {
    let bare_ok = !w.is_empty()
        && !w.contains(|c: char| is_space(c) || c == '\\' || c == '>' || c == '<')
        && !w.starts_with(['"', '\'', '#']);
    if bare_ok {
        return w.to_string();
    }
    let mut s = String::with_capacity(w.len() + 2);
    s.push('"');
    for c in w.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

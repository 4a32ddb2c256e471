//! Takes the whole directive table (`server -L`) and checks that no directive is parsed and
//! dropped: an inert one warns at `-t` with its name, a refused one is an error, a fixed one
//! accepts its one value and refuses others, and every honoured one is named by a behaviour
//! test (a test source, a golden configuration, or a unit test in `src/`).

mod common;

use std::path::{Path, PathBuf};
use vhostd::config::diag::Severity;
use vhostd::config::directives::{Tier, all};

/// The check's rendered report and error count for `line` in an otherwise clean main server.
fn check_line(line: &str) -> (String, usize) {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join("htdocs")).expect("mkdir");
    std::fs::write(
        dir.path().join("main.conf"),
        format!("ServerName main.test\nListen 8080\nDocumentRoot htdocs\n{line}\n"),
    )
    .expect("write");
    let c = common::run_check(dir.path(), "main.conf", &[]);
    (c.diags.render(&c.sources), c.diags.count(Severity::Error))
}

#[test]
fn inert_directives_warn_and_refused_ones_are_errors() {
    let mut wrong = Vec::new();
    for d in all() {
        match d.tier {
            Tier::Honoured => {}
            Tier::Inert(_) => {
                let (report, errors) = check_line(&format!("{} x", d.name));
                let warned = report
                    .lines()
                    .any(|l| l.contains("warning:") && l.contains(d.name));
                if errors > 0 || !warned {
                    wrong.push(format!("{} (inert) should warn only:\n{report}", d.name));
                }
            }
            Tier::Refused(_) => {
                let (report, errors) = check_line(&format!("{} x", d.name));
                if errors == 0 || !report.contains(d.name) {
                    wrong.push(format!(
                        "{} (refused) should be an error:\n{report}",
                        d.name
                    ));
                }
            }
            Tier::Fixed(values, _) => {
                let (report, errors) = check_line(&format!("{} {}", d.name, values[0]));
                if errors > 0 {
                    wrong.push(format!(
                        "{} {} should be accepted:\n{report}",
                        d.name, values[0]
                    ));
                }
                let (report, errors) = check_line(&format!("{} not-{}", d.name, values[0]));
                if errors == 0 {
                    wrong.push(format!(
                        "{} with another value should be refused:\n{report}",
                        d.name
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every file under `dir` whose name ends in one of `exts`.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, exts, out);
        } else if exts.iter().any(|x| p.to_string_lossy().ends_with(x)) {
            out.push(p);
        }
    }
}

/// The test text of the crate: integration tests and their fixtures whole, and from each
/// `src/` file the part after `#[cfg(test)]` (or the whole file when it is a test module).
fn test_text() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    let mut paths = Vec::new();
    files(
        &root.join("tests"),
        &[".rs", ".conf", ".inc", ".sh"],
        &mut paths,
    );
    for p in &paths {
        text += &std::fs::read_to_string(p).unwrap_or_default();
    }
    let mut srcs = Vec::new();
    files(&root.join("src"), &[".rs"], &mut srcs);
    for p in &srcs {
        let s = std::fs::read_to_string(p).unwrap_or_default();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("tests") || name.ends_with("_tests.rs") {
            text += &s;
        } else if let Some(i) = s.find("#[cfg(test)]") {
            text += &s[i..];
        }
    }
    text.to_ascii_lowercase()
}

/// Is `name` used as a directive in `text`: at a line start (after indentation or a string
/// quote or `\n`), followed by a space?
fn used(text: &str, name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    text.match_indices(&n).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + n.len()..].chars().next();
        let starts = matches!(before, None | Some('\n' | ' ' | '\t' | '"' | '('))
            || text[..i].ends_with("\\n");
        starts && matches!(after, Some(' ' | '\t'))
    })
}

#[test]
fn every_honoured_directive_is_named_by_a_behaviour_test() {
    let text = test_text();
    let missing: Vec<&str> = all()
        .filter(|d| d.tier == Tier::Honoured)
        .map(|d| d.name)
        .filter(|n| !used(&text, n))
        .collect();
    assert!(
        missing.is_empty(),
        "honoured directives no test uses: {}",
        missing.join(", ")
    );
}

//! Parse round trips: every shipped and test config, and random trees, print back to text that
//! parses to the same tree (spans aside).

use proptest::prelude::*;
use std::path::Path;
use vhostd::config::ast::{self, Node};
use vhostd::config::lexer::{self, Word};
use vhostd::config::source::{FileId, Span};

/// A tree without spans, for comparing.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Bare {
    D(String, Vec<String>),
    S(String, Vec<String>, Vec<Bare>),
}

fn bare(nodes: &[Node]) -> Vec<Bare> {
    nodes
        .iter()
        .map(|n| match n {
            Node::Directive(d) => Bare::D(
                d.name.text.clone(),
                d.args.iter().map(|a| a.text.clone()).collect(),
            ),
            Node::Section(s) => Bare::S(
                s.name.text.clone(),
                s.args.iter().map(|a| a.text.clone()).collect(),
                bare(&s.children),
            ),
        })
        .collect()
}

fn parse(text: &str) -> (Vec<Node>, usize) {
    let (lines, d1) = lexer::lex(FileId(0), text);
    let (nodes, d2) = ast::build(lines);
    (nodes, d1.len() + d2.len())
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "conf" || x == "inc") {
            out.push(p);
        }
    }
}

#[test]
fn every_config_in_the_repository_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(&root.join("conf"), &mut all);
    files(&root.join("tests"), &mut all);
    let mut checked = 0;
    for f in all {
        let text = std::fs::read_to_string(&f).expect("read");
        let (nodes, errors) = parse(&text);
        if errors > 0 {
            continue; // the broken-config cases; their errors are golden-tested
        }
        let printed = ast::print(&nodes);
        let (again, errors) = parse(&printed);
        assert_eq!(
            errors,
            0,
            "{}: printed text has errors:\n{printed}",
            f.display()
        );
        assert_eq!(
            bare(&nodes),
            bare(&again),
            "{} does not round-trip:\n{printed}",
            f.display()
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} files checked");
}

#[test]
fn quoting_and_continuations_round_trip() {
    let text = "LogFormat \"%h \\\"%r\\\" %>s\" common\nServerAlias a \\\n  b\n<Directory \"/srv/my site\">\n  Options -Indexes\n</Directory>\nErrorDocument 404 \"Not here, sorry\"\nAlias /x C:\\\\dir\n";
    let (nodes, errors) = parse(text);
    assert_eq!(errors, 0);
    let b = bare(&nodes);
    assert_eq!(
        b[0],
        Bare::D(
            "LogFormat".into(),
            vec!["%h \"%r\" %>s".into(), "common".into()]
        )
    );
    assert_eq!(
        b[1],
        Bare::D("ServerAlias".into(), vec!["a".into(), "b".into()])
    );
    assert_eq!(
        b[4],
        Bare::D("Alias".into(), vec!["/x".into(), "C:\\dir".into()])
    );
    assert_eq!(bare(&parse(&ast::print(&nodes)).0), b);
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./:*?-]{1,12}",
        "[ a-z\"'\\\\#<>${}%]{0,10}",
        "\\PC{0,6}",
    ]
    .prop_filter("no line breaks or NULs", |s| !s.contains(['\n', '\0']))
}

fn node() -> impl Strategy<Value = Bare> {
    let leaf = (
        "[A-Z][a-zA-Z0-9]{0,10}",
        prop::collection::vec(word(), 0..4),
    )
        .prop_map(|(n, a)| Bare::D(n, a));
    leaf.prop_recursive(3, 24, 5, |inner| {
        (
            "[A-Z][a-zA-Z]{0,8}",
            prop::collection::vec(word(), 0..3),
            prop::collection::vec(inner, 0..5),
        )
            .prop_map(|(n, a, c)| Bare::S(n, a, c))
    })
}

fn to_nodes(b: &[Bare]) -> Vec<Node> {
    let w = |t: &String| Word {
        text: t.clone(),
        span: Span::default(),
    };
    b.iter()
        .map(|n| match n {
            Bare::D(name, args) => Node::Directive(ast::Directive {
                name: w(name),
                args: args.iter().map(w).collect(),
            }),
            Bare::S(name, args, children) => Node::Section(ast::Section {
                name: w(name),
                args: args.iter().map(w).collect(),
                children: to_nodes(children),
            }),
        })
        .collect()
}

proptest! {
    #[test]
    fn random_trees_round_trip(tree in prop::collection::vec(node(), 0..8)) {
        let printed = ast::print(&to_nodes(&tree));
        let (nodes, errors) = parse(&printed);
        prop_assert_eq!(errors, 0, "{}", printed);
        prop_assert_eq!(bare(&nodes), tree, "{}", printed);
    }
}

//! Golden tests: every `tests/plan/<case>/` gives the `-S` dump plus diagnostics in
//! `expected.plan`; every `tests/errors/<case>.conf` gives the rendered diagnostics in
//! `<case>.err`. Certificates are made at test time. `BLESS=1 cargo test` rewrites the files.

mod common;

use common::{golden, make_certs, run_check, scrub, stage};
use std::path::Path;

/// Every DocumentRoot a case names is created, so that only the cases about missing roots see
/// missing roots (those name a path under `missing/`).
fn make_docroots(root: &Path) {
    for e in walk(root) {
        let text = std::fs::read_to_string(&e).unwrap_or_default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("DocumentRoot"))
                && let Some(p) = words.next()
            {
                let p = p.trim_matches('"');
                if !p.starts_with('/') && !p.starts_with("missing") && !p.contains('$') {
                    let _ = std::fs::create_dir_all(root.join(p));
                }
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

fn render(root: &Path, main: &str, defines: &[&str], with_dump: bool) -> String {
    let checked = run_check(root, main, defines);
    let mut out = String::new();
    if with_dump {
        out.push_str(&checked.dump());
        out.push_str("# diagnostics\n");
    }
    out.push_str(&checked.diags.render(&checked.sources));
    out.push_str(&format!(
        "# result: {}\n",
        if checked.ok() { "accepted" } else { "rejected" }
    ));
    scrub(&out, root)
}

/// `-S -j` for a case, against no trust store (so every chain is incomplete, as test CAs
/// are), with the keys' random fingerprints blanked.
fn plan_json(root: &Path, defines: &[&str]) -> String {
    let checked = run_check(root, "main.conf", defines);
    let mut v = checked.json(&vhostd::insight::certinfo::Roots::none());
    assert_eq!(v["schema"], vhostd::insight::json::SCHEMA);
    if let Some(certs) = v["certificates"].as_array_mut() {
        for c in certs {
            if let Some(fp) = c.get_mut("sha256").filter(|f| f.is_string()) {
                assert_eq!(fp.as_str().map(str::len), Some(95), "{fp}");
                *fp = serde_json::Value::from("<sha256>");
            }
        }
    }
    let text = serde_json::to_string_pretty(&v).expect("json");
    scrub(&text, root) + "\n"
}

/// `-E` for each line of a case's `explain` file (`URL [--sni NAME|--no-sni] [--local
/// ADDR]`), the test CA trusted, each followed by the exit status it gives.
fn explained(root: &Path, defines: &[&str], asks: &str) -> String {
    use vhostd::insight::explain::{Ask, Sni};
    let checked = run_check(root, "main.conf", defines);
    let roots = vhostd::insight::certinfo::Roots::none()
        .with_pem_file(&root.join("ca.crt"))
        .unwrap_or_else(|_| vhostd::insight::certinfo::Roots::none());
    let mut out = String::new();
    for line in asks.lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut ask = Ask {
            url: words[0].to_string(),
            sni: Sni::FromUrl,
            local: None,
        };
        let mut i = 1;
        while i < words.len() {
            match words[i] {
                "--no-sni" => ask.sni = Sni::Without,
                "--sni" => {
                    i += 1;
                    ask.sni = Sni::Name(words[i].to_string());
                }
                "--local" => {
                    i += 1;
                    ask.local = Some(words[i].to_string());
                }
                other => panic!("unknown explain option {other}"),
            }
            i += 1;
        }
        out.push_str(&format!("$ server -E {line}\n"));
        match checked.explain(&roots, &ask) {
            Ok(e) => {
                out.push_str(&e.text);
                out.push_str(&format!("# exit {}\n\n", if e.ok { 0 } else { 1 }));
            }
            Err(e) => out.push_str(&format!("error: {e}\n# exit 2\n\n")),
        }
    }
    scrub(&out, root)
}

fn cases(dir: &str) -> Vec<std::path::PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut v: Vec<_> = std::fs::read_dir(&base)
        .expect("case dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[test]
fn plan_cases() {
    let mut failures = Vec::new();
    let all = cases("plan");
    assert!(
        all.len() >= 20,
        "expected at least 20 plan cases, found {}",
        all.len()
    );
    for case in all.iter().filter(|p| p.is_dir()) {
        let tmp = stage(case);
        let root = tmp.path();
        if let Ok(spec) = std::fs::read_to_string(root.join("certs")) {
            make_certs(root, &spec);
        }
        make_docroots(root);
        let defines: Vec<String> = std::fs::read_to_string(root.join("defines"))
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect();
        let defines: Vec<&str> = defines.iter().map(String::as_str).collect();
        let out = render(root, "main.conf", &defines, true);
        if let Some(f) = golden(&case.join("expected.plan"), &out) {
            failures.push(f);
        }
        if let Some(f) = golden(&case.join("expected.json"), &plan_json(root, &defines)) {
            failures.push(f);
        }
        if let Ok(asks) = std::fs::read_to_string(case.join("explain")) {
            let out = explained(root, &defines, &asks);
            if let Some(f) = golden(&case.join("expected.explain"), &out) {
                failures.push(f);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} plan case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn error_cases() {
    let mut failures = Vec::new();
    let all: Vec<_> = cases("errors")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    assert!(
        all.len() >= 20,
        "expected at least 20 error cases, found {}",
        all.len()
    );
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let tmp = stage(&base);
    let root = tmp.path();
    make_certs(
        root,
        &std::fs::read_to_string(root.join("certs")).expect("errors/certs"),
    );
    std::fs::write(root.join("empty.pem"), "").expect("write");
    std::fs::write(root.join("garbage.pem"), "this is not a certificate\n").expect("write");
    std::fs::write(
        root.join("truncated.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n",
    )
    .expect("write");
    for dir in ["www", "a", "b"] {
        std::fs::create_dir_all(root.join(dir)).expect("mkdir");
    }
    for case in &all {
        let name = case.file_name().and_then(|n| n.to_str()).expect("name");
        let out = render(root, name, &[], false);
        if !out.contains("error: ") {
            failures.push(format!("{name}: no error reported:\n{out}"));
        }
        if let Some(f) = golden(&case.with_extension("err"), &out) {
            failures.push(f);
        }
    }
    assert!(
        failures.is_empty(),
        "{} error case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

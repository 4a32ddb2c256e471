//! Whatever the input, the whole pipeline (lexer, includes, model, plan, certificates,
//! coverage, dump) reports problems and never panics.

use proptest::prelude::*;
use std::path::PathBuf;
use vhostd::prepare::check::{CheckOptions, check};

fn run(text: &str) {
    let dir = std::env::temp_dir();
    let mut opts = CheckOptions::new(PathBuf::from("fuzz.conf"), dir);
    opts.text = Some(text.to_string());
    opts.build.resolve_host = Box::new(|_| Vec::new());
    let checked = check(&opts);
    let _ = checked.diags.render(&checked.sources);
    let _ = checked.dump();
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<VirtualHost *:80>\n".to_string()),
        Just("<VirtualHost 127.0.0.1:443 [::1]:443>\n".to_string()),
        Just("</VirtualHost>\n".to_string()),
        Just("<Directory /tmp>\n".to_string()),
        Just("</Directory>\n".to_string()),
        Just("<Location /x>\n".to_string()),
        Just("</Location>\n".to_string()),
        Just("<IfDefine !X>\n".to_string()),
        Just("</IfDefine>\n".to_string()),
        Just("<IfModule ssl_module>\n".to_string()),
        Just("</IfModule>\n".to_string()),
        Just("Listen 80\n".to_string()),
        Just("Listen 127.0.0.1:443 https\n".to_string()),
        Just("ServerName a.test\n".to_string()),
        Just("ServerAlias *.a.test ?.b\n".to_string()),
        Just("SSLEngine on\n".to_string()),
        Just("SSLCertificateFile /nonexistent.pem\n".to_string()),
        Just("ProxyPass /a/ http://127.0.0.1:1/ retry=0\n".to_string()),
        Just("ProxyPass http://[::1\n".to_string()),
        Just("Redirect gone /g\n".to_string()),
        Just("Options +Indexes -FollowSymLinks\n".to_string()),
        Just("Define X ${X}${X}\n".to_string()),
        Just("${X}\n".to_string()),
        Just("\\\n".to_string()),
        Just("\"".to_string()),
        Just("# c \\\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{feff}".to_string()),
        "[ -~]{0,30}\n",
        "\\PC{0,20}",
        "[\\x00-\\x7f]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn structured_noise_never_panics(parts in prop::collection::vec(fragment(), 0..40)) {
        run(&parts.concat());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        run(&text);
    }
}

#[test]
fn hostile_single_inputs() {
    let long = "A".repeat(1 << 20);
    for text in [
        "",
        "\\",
        "<",
        "</>",
        "<>",
        "<VirtualHost",
        "\"",
        "'",
        "ServerName \"",
        "Listen [",
        "Listen [::1]",
        "Listen :",
        "<VirtualHost :>\n</VirtualHost>",
        "<VirtualHost [>\n</VirtualHost>",
        "Define A ${A}\nServerName ${A}",
        "\0",
        "ServerName a\0b",
        long.as_str(),
    ] {
        run(text);
    }
}

#[test]
fn invalid_utf8_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("bad.conf"),
        b"Listen 80\nServerName \xff\xfe\n",
    )
    .expect("write");
    let opts = CheckOptions::new(PathBuf::from("bad.conf"), dir.path().to_path_buf());
    let checked = check(&opts);
    let text = checked.diags.render(&checked.sources);
    assert!(!checked.ok());
    assert!(
        text.contains("not valid UTF-8 text (first bad byte on line 2)"),
        "{text}"
    );
}

/// Every input a fuzz target once crashed on (`fuzz/regressions/config/`) runs clean.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/config");
    let mut n = 0;
    for e in std::fs::read_dir(&dir)
        .expect("fuzz/regressions/config")
        .flatten()
    {
        let bytes = std::fs::read(e.path()).expect("read");
        run(&String::from_utf8_lossy(&bytes));
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}

//! The `server` command as an admin runs it: `-t`, `-S`, `-D`, `-f`, `-d`, `-v`, `-h`, exit
//! codes, and the shipped demo configuration.

use std::path::Path;
use std::process::{Command, Output};

fn server(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run server")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn demo_config_checks_clean() {
    let o = server(&["-t", "-f", "conf/main.conf"], repo());
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(err.trim_end().lines().last(), Some("Syntax OK"), "{err}");
    assert!(
        !err.contains("warning"),
        "the demo must check without warnings:\n{err}"
    );
}

#[test]
fn demo_plan_shows_the_shared_and_the_sni_certificate() {
    let o = server(&["-S"], repo());
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        out.starts_with(
            "VirtualHost configuration:\n127.0.0.1:8080         is a NameVirtualHost\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("         default server www.localhost (conf/main.conf:"),
        "{out}"
    );
    assert!(
        out.contains(
            "port 8443 namevhost shop.localhost: shares the default certificate (none of its own)"
        ),
        "{out}"
    );
    assert!(
        out.contains("port 8443 namevhost blog.localhost: own certificate conf/ssl/blog.crt"),
        "{out}"
    );
    assert!(
        out.contains("names: www.localhost, shop.localhost, localhost"),
        "{out}"
    );
    assert!(
        out.contains("Coverage: every ServerName and ServerAlias is covered"),
        "{out}"
    );
    assert!(
        !out.contains("Syntax OK") && !err.contains("Syntax OK"),
        "-S does not print Syntax OK, as httpd 2.4"
    );
}

#[test]
fn demo_certificates_chain_to_the_shipped_ca() {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, UnixTime};
    let ca = CertificateDer::from_pem_file(repo().join("conf/ssl/demo-ca.crt")).expect("ca");
    let anchor = webpki::anchor_from_trusted_cert(&ca)
        .expect("anchor")
        .to_owned();
    for name in ["sites", "blog"] {
        let leaf = CertificateDer::from_pem_file(repo().join(format!("conf/ssl/{name}.crt")))
            .expect("leaf");
        let ee = webpki::EndEntityCert::try_from(&leaf).expect("parse");
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            std::slice::from_ref(&anchor),
            &[],
            UnixTime::now(),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .unwrap_or_else(|e| panic!("{name}.crt does not verify against demo-ca.crt: {e:?}"));
    }
    assert!(
        !repo().join("conf/ssl/demo-ca.key").exists(),
        "the demo CA's key must not be shipped"
    );
}

#[test]
fn broken_config_reports_every_error_and_exits_1() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("x.conf"),
        "Listen 8080\nServrName a\nKeepAlive maybe\n<VirtualHost *:8080>\n",
    )
    .expect("write");
    let o = server(&["-t", "-f", "x.conf"], dir.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("x.conf:2:1: error: Invalid command 'ServrName'"),
        "{err}"
    );
    assert!(err.contains("help: did you mean 'ServerName'?"), "{err}");
    assert!(
        err.contains("x.conf:3:11: error: KeepAlive must be On or Off"),
        "{err}"
    );
    assert!(
        err.contains("x.conf:4:1: error: <VirtualHost> was not closed"),
        "{err}"
    );
    assert!(err.contains("3 error(s)"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    let o = server(&["-S", "-f", "x.conf"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        o.stdout.is_empty(),
        "no plan is printed for a broken config"
    );
}

#[test]
fn defines_from_the_command_line_and_server_root() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(dir.path().join("etc")).expect("mkdir");
    std::fs::write(
        dir.path().join("etc/site.conf"),
        "Listen 8080\n<IfDefine STAGING>\n<VirtualHost *:8080>\nServerName staging.test\n</VirtualHost>\n</IfDefine>\n",
    )
    .expect("write");
    let root = dir.path().to_str().expect("utf8");
    let o = server(
        &[
            "-d",
            root,
            "-f",
            "etc/site.conf",
            "-S",
            "-D",
            "STAGING",
            "-D",
            "OTHER",
        ],
        Path::new("/"),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("*:8080                 staging.test"), "{out}");
    assert!(
        out.contains("Define: STAGING\n") && out.contains("Define: OTHER\n"),
        "{out}"
    );
    let o = server(&["-d", root, "-f", "etc/site.conf", "-S"], Path::new("/"));
    assert!(!text(&o).0.contains("staging.test"));
}

#[test]
fn version_help_and_missing_file() {
    let o = server(&["-v"], repo());
    assert!(o.status.success() && text(&o).0.starts_with("Server version: vhostd/"));
    let o = server(&["-h"], repo());
    assert!(o.status.success() && text(&o).0.contains("-S"));
    let o = server(&["-t", "-f", "no/such.conf"], repo());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("error: Could not open configuration file") && err.contains("no/such.conf"),
        "{err}"
    );
    let o = server(&["-x"], repo());
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn directive_listing_says_what_each_directive_does() {
    let o = server(&["-L"], repo());
    let (out, _) = text(&o);
    assert!(o.status.success());
    for (name, module, what) in [
        ("Require ", "authz_core", "honoured"),
        ("StartServers ", "mpm_common", "accepted, no effect"),
        ("ScriptAlias ", "alias", "refused"),
        ("UserDir ", "userdir", "honoured as disabled only"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default();
        assert!(
            line.contains(module) && line.contains(what),
            "{name}: {line}"
        );
    }
    assert!(
        out.lines().count() > 500,
        "every stock module's directives are listed"
    );
}

#[test]
fn plan_as_json_and_requests_explained() {
    let o = server(&["-S", "-j"], repo());
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("-S -j prints JSON");
    assert_eq!(v["schema"], vhostd::insight::json::SCHEMA);
    let tls = v["chains"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["address"] == "127.0.0.1:8443"))
        .expect("the TLS address");
    let blog = tls["names"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["name"] == "blog.localhost"))
        .expect("blog's name");
    assert_eq!(blog["certificate_rule"], "sni-exact");
    assert_eq!(blog["covered"], "yes");
    let cert = &v["certificates"][blog["certificate"].as_u64().expect("id") as usize];
    assert_eq!(cert["file"], "conf/ssl/blog.crt");
    assert_eq!(cert["key_type"], "ECDSA P-256");
    assert_eq!(cert["sha256"].as_str().map(str::len), Some(95));
    // Explained: the demo CA trusted, a clean answer exits 0, a name mismatch 1, a bad URL 2.
    let ca = ["--ca", "conf/ssl/demo-ca.crt"];
    let o = server(
        &[&["-E", "https://blog.localhost:8443/"][..], &ca].concat(),
        repo(),
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("Certificate  conf/ssl/blog.crt"), "{out}");
    let o = server(
        &[&["-E", "https://nope.localhost:8443/"][..], &ca].concat(),
        repo(),
    );
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("does NOT cover nope.localhost"), "{out}");
    let o = server(&["-E", "ftp://blog.localhost/"], repo());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("must start with http:// or https://"));
    let o = server(&["-j"], repo());
    assert!(!o.status.success(), "-j needs -S");
}

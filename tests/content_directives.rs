//! Takes httpd 2.4 configurations using the directives that shape what is sent (mod_mime,
//! handlers and filters, mod_env, mod_setenvif, IndexIgnore, mod_alias's redirect variants,
//! ServerSignature, ServerTokens), serves them on real sockets and gives assertions on what a
//! client sees: Content-Type and charset, Content-Encoding, status and Location, headers built
//! from the request's environment, listings, the error page's signature and the Server header
//! (checked against Apache 2.4.71 on the same lines, except handlers and filters, which are
//! held to what this server says it does with them: type maps and DEFLATE are not run).

mod common;

use common::write;

use common::server::{TestServer, body_of, get, raw, start, status_of};
use common::{get_req, header};

const CONF: &str = "ServerName main.test
ServerTokens Prod
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName content.test
  ServerAdmin webmaster@content.test
  DocumentRoot htdocs/c
  <Directory {ROOT}/htdocs/c/types>
    AddType application/x-thing .thing
    AddType text/plain .json
  </Directory>
  <Directory {ROOT}/htdocs/c/types/removed>
    RemoveType .json .thing
  </Directory>
  <Directory {ROOT}/htdocs/c/cs>
    AddCharset ISO-8859-2 .latin2
  </Directory>
  <Directory {ROOT}/htdocs/c/cs/plain>
    RemoveCharset .latin2
  </Directory>
  <Directory {ROOT}/htdocs/c/enc>
    AddEncoding x-gzip .gz
  </Directory>
  <Directory {ROOT}/htdocs/c/enc/raw>
    RemoveEncoding .gz
  </Directory>
  <Directory {ROOT}/htdocs/c/dc>
    AddDefaultCharset UTF-8
  </Directory>
  <Directory {ROOT}/htdocs/c/dc/off>
    AddDefaultCharset Off
  </Directory>
  <Directory {ROOT}/htdocs/c/dc/on>
    AddDefaultCharset On
  </Directory>
  <Directory {ROOT}/htdocs/c/ft>
    ForceType text/plain
  </Directory>
  <Directory {ROOT}/htdocs/c/ft/none>
    ForceType None
  </Directory>
  <Directory {ROOT}/htdocs/c/list>
    Options +Indexes
    IndexIgnore *.bak
  </Directory>
  <Directory {ROOT}/htdocs/c/list/inner>
    IndexIgnore .??*
  </Directory>
  <Location /plain>
    SetHandler none
  </Location>
  <Location /default>
    SetHandler default-handler
  </Location>
  AddHandler type-map .var
  AddOutputFilterByType DEFLATE text/html text/plain

  SetEnv GREETING hello
  SetEnv DROPPED soon
  PassEnv PATH
  SetEnv VHOSTD_UNPASSED from-setenv
  PassEnv VHOSTD_UNPASSED
  SetEnvIf Request_URI ^/env/unset FROM_IF=kept
  Header always set X-Greeting \"%{GREETING}e\"
  Header always set X-Dropped \"%{DROPPED}e\"
  Header always set X-Path \"%{PATH}e\"
  Header always set X-From-If \"%{FROM_IF}e\"
  Header always set X-Unpassed \"%{VHOSTD_UNPASSED}e\"
  <Location /env/unset>
    UnsetEnv DROPPED FROM_IF
  </Location>
  <Location /env/gate>
    Require env GREETING
  </Location>

  SetEnvIfNoCase X-Team ^ops$ team_ops
  BrowserMatch ^Bot is_bot
  BrowserMatchNoCase crawler is_crawler
  <Location /gate/ops>
    Require env team_ops
  </Location>
  <Location /gate/bot>
    Require env is_bot
  </Location>
  <Location /gate/crawler>
    Require env is_crawler
  </Location>

  RedirectMatch ^/rm/(.*)\\.html$ http://new.test/$1.htm
  RedirectMatch 301 ^/rm301/(.*)$ /moved/$1
  RedirectPermanent /perm http://new.test/perm
  RedirectTemp /temp http://new.test/temp

  ServerSignature On
  <Location /mail>
    ServerSignature EMail
  </Location>
  <Location /quiet>
    ServerSignature Off
  </Location>
</VirtualHost>
";

async fn server() -> TestServer {
    let s = start(CONF, &["127.0.0.1"], "", &["c"]).await;
    let r = s.root();
    for d in ["types", "types/removed"] {
        write(r, &format!("htdocs/c/{d}/a.json"), b"{}");
        write(r, &format!("htdocs/c/{d}/a.thing"), b"thing");
    }
    for d in ["cs", "cs/plain"] {
        write(r, &format!("htdocs/c/{d}/page.html.latin2"), b"<p>hi</p>");
    }
    for d in ["enc", "enc/raw"] {
        write(
            r,
            &format!("htdocs/c/{d}/data.txt.gz"),
            b"\x1f\x8b not really",
        );
    }
    for d in ["dc", "dc/off", "dc/on", "ft", "ft/none"] {
        write(r, &format!("htdocs/c/{d}/a.txt"), b"text");
        write(r, &format!("htdocs/c/{d}/a.html"), b"<p>html</p>");
        write(r, &format!("htdocs/c/{d}/a.json"), b"{}");
    }
    for d in ["list", "list/inner"] {
        for f in ["keep.txt", "old.bak", ".hidden"] {
            write(r, &format!("htdocs/c/{d}/{f}"), b"x");
        }
    }
    write(r, "htdocs/c/plain/p.html", b"<p>plain</p>");
    write(r, "htdocs/c/default/d.txt", b"default handler");
    write(
        r,
        "htdocs/c/doc.var",
        b"URI: doc\n\nURI: doc.html\nContent-type: text/html\n",
    );
    write(
        r,
        "htdocs/c/big.html",
        "<p>compressible</p>".repeat(200).as_bytes(),
    );
    for d in [
        "env",
        "env/unset",
        "env/gate",
        "gate/ops",
        "gate/bot",
        "gate/crawler",
    ] {
        write(r, &format!("htdocs/c/{d}/index.html"), d.as_bytes());
    }
    s
}

/// `(Content-Type, Content-Encoding)` of a GET to content.test.
async fn types_of(s: &TestServer, path: &str) -> (Option<String>, Option<String>) {
    let r = get(s.addr("127.0.0.1", 0), None, path, Some("content.test")).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    (r.header("content-type"), r.header("content-encoding"))
}

/// A raw GET to content.test with extra header lines.
async fn req(s: &TestServer, path: &str, extra: &str) -> String {
    raw(
        s.addr("127.0.0.1", 0),
        None,
        get_req(path, "content.test", extra).as_bytes(),
    )
    .await
}

/// The rendered `-t` report and error count for `conf` (a main server with htdocs).
fn check_report(conf: &str) -> (String, usize) {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join("htdocs")).expect("mkdir");
    std::fs::write(
        dir.path().join("main.conf"),
        format!("ServerName main.test\nListen 8080\nDocumentRoot htdocs\n{conf}"),
    )
    .expect("write");
    let c = common::run_check(dir.path(), "main.conf", &[]);
    let errors = c.diags.count(vhostd::config::diag::Severity::Error);
    (c.diags.render(&c.sources), errors)
}

#[tokio::test]
async fn mod_mime_types_charsets_and_encodings() {
    let s = server().await;
    let some = |v: &str| Some(v.to_string());
    // AddType maps an extension and overrides the TypesConfig one; RemoveType in a deeper
    // directory takes both away again (httpd then sends the default type, not application/json).
    assert_eq!(
        types_of(&s, "/types/a.thing").await.0,
        some("application/x-thing")
    );
    assert_eq!(types_of(&s, "/types/a.json").await.0, some("text/plain"));
    let removed = types_of(&s, "/types/removed/a.json").await.0;
    assert!(
        removed
            .as_deref()
            .is_none_or(|t| t == "application/octet-stream"),
        "RemoveType .json: {removed:?}"
    );
    let removed = types_of(&s, "/types/removed/a.thing").await.0;
    assert!(
        removed
            .as_deref()
            .is_none_or(|t| t == "application/octet-stream"),
        "RemoveType .thing: {removed:?}"
    );
    // AddCharset adds the charset parameter by extension; RemoveCharset undoes it.
    assert_eq!(
        types_of(&s, "/cs/page.html.latin2").await.0,
        some("text/html; charset=ISO-8859-2")
    );
    assert_eq!(
        types_of(&s, "/cs/plain/page.html.latin2").await.0,
        some("text/html")
    );
    // AddEncoding gives Content-Encoding (the type still comes from .gz); RemoveEncoding drops it.
    assert_eq!(
        types_of(&s, "/enc/data.txt.gz").await,
        (some("application/gzip"), some("x-gzip"))
    );
    assert_eq!(
        types_of(&s, "/enc/raw/data.txt.gz").await,
        (some("application/gzip"), None)
    );
    // AddDefaultCharset: text/plain and text/html only; Off removes it; On is iso-8859-1.
    assert_eq!(
        types_of(&s, "/dc/a.txt").await.0,
        some("text/plain; charset=UTF-8")
    );
    assert_eq!(
        types_of(&s, "/dc/a.html").await.0,
        some("text/html; charset=UTF-8")
    );
    assert_eq!(types_of(&s, "/dc/a.json").await.0, some("application/json"));
    assert_eq!(types_of(&s, "/dc/off/a.txt").await.0, some("text/plain"));
    assert_eq!(
        types_of(&s, "/dc/on/a.html").await.0,
        some("text/html; charset=iso-8859-1")
    );
    // ForceType overrides every extension; ForceType None in a deeper directory restores them.
    assert_eq!(types_of(&s, "/ft/a.json").await.0, some("text/plain"));
    assert_eq!(types_of(&s, "/ft/a.html").await.0, some("text/plain"));
    assert_eq!(
        types_of(&s, "/ft/none/a.json").await.0,
        some("application/json")
    );
    s.stop().await;
}

#[tokio::test]
async fn handlers_and_output_filters() {
    let s = server().await;
    // SetHandler none / default-handler: the file is served by the default handler.
    let (ty, _) = types_of(&s, "/plain/p.html").await;
    assert_eq!(ty.as_deref(), Some("text/html"));
    let a = s.addr("127.0.0.1", 0);
    assert_eq!(
        get(a, None, "/default/d.txt", Some("content.test"))
            .await
            .text(),
        "default handler"
    );
    // AddHandler type-map: no negotiation here, the .var file is sent as it is (with a warning).
    let r = get(a, None, "/doc.var", Some("content.test")).await;
    assert_eq!((r.status, r.text().starts_with("URI: doc\n")), (200, true));
    // AddOutputFilterByType DEFLATE: the body is sent whole and uncompressed.
    let r = req(&s, "/big.html", "Accept-Encoding: gzip\r\n").await;
    assert_eq!(status_of(&r), 200);
    assert_eq!(header(&r, "content-encoding"), None);
    assert_eq!(body_of(&r), "<p>compressible</p>".repeat(200));
    s.stop().await;

    // What each of them says at -t: handlers and filters that cannot run are refused (a script
    // would be served as its source), those whose absence only hides a page warn.
    let (report, errors) = check_report("AddHandler cgi-script .cgi\n");
    assert!(errors == 1 && report.contains("cgi-script"), "{report}");
    let (report, errors) = check_report("<Location /x>\n  SetHandler php-script\n</Location>\n");
    assert!(errors == 1 && report.contains("php-script"), "{report}");
    let (report, errors) =
        check_report("<Location /server-status>\n  SetHandler server-status\n</Location>\n");
    assert!(errors == 0 && report.contains("warning:"), "{report}");
    let (report, errors) = check_report("AddHandler type-map .var\n");
    assert!(errors == 0 && report.contains("type maps"), "{report}");
    let (report, errors) = check_report("AddOutputFilterByType DEFLATE text/html\n");
    assert!(errors == 0 && report.contains("compression"), "{report}");
    let (report, errors) = check_report("AddOutputFilterByType INCLUDES text/html\n");
    assert!(errors == 1 && report.contains("INCLUDES"), "{report}");
    let (_, errors) = check_report("<Location /x>\n  SetHandler none\n</Location>\n");
    assert_eq!(errors, 0);
}

#[tokio::test]
async fn mod_env_reaches_headers_but_not_access_checks() {
    let s = server().await;
    let r = req(&s, "/env/", "").await;
    assert_eq!(status_of(&r), 200);
    assert_eq!(header(&r, "x-greeting"), Some("hello"), "SetEnv");
    assert_eq!(header(&r, "x-dropped"), Some("soon"), "SetEnv");
    let path = std::env::var("PATH").expect("PATH is set for tests");
    assert_eq!(header(&r, "x-path"), Some(path.as_str()), "PassEnv PATH");
    assert_eq!(header(&r, "x-from-if"), Some("(null)"));
    assert_eq!(
        header(&r, "x-unpassed"),
        Some("from-setenv"),
        "PassEnv of an undefined variable only warns; it does not unset"
    );
    // UnsetEnv removes what SetEnv gave an outer scope; a SetEnvIf variable stays (httpd's
    // UnsetEnv edits mod_env's own table, which fixups lay over the request's environment).
    let r = req(&s, "/env/unset/", "").await;
    assert_eq!(header(&r, "x-dropped"), Some("(null)"), "UnsetEnv DROPPED");
    assert_eq!(header(&r, "x-greeting"), Some("hello"));
    assert_eq!(header(&r, "x-from-if"), Some("kept"));
    // SetEnv runs in the fixups, after authorization: Require env cannot see it.
    assert_eq!(status_of(&req(&s, "/env/gate/", "").await), 403);
    s.stop().await;

    let (report, errors) = check_report("PassEnv VHOSTD_TEST_SURELY_UNDEFINED\n");
    assert!(errors == 0 && report.contains("AH01506"), "{report}");
}

#[tokio::test]
async fn setenvif_variables_decide_require_env() {
    let s = server().await;
    let status = async |path: &str, extra: &str| status_of(&req(&s, path, extra).await);
    // SetEnvIfNoCase: header name and value compared without case.
    assert_eq!(status("/gate/ops/", "x-team: OPS\r\n").await, 200);
    assert_eq!(status("/gate/ops/", "X-Team: dev\r\n").await, 403);
    assert_eq!(status("/gate/ops/", "").await, 403);
    // BrowserMatch: the User-Agent, case-sensitively.
    assert_eq!(status("/gate/bot/", "User-Agent: Bot/1.0\r\n").await, 200);
    assert_eq!(status("/gate/bot/", "User-Agent: bot/1.0\r\n").await, 403);
    // BrowserMatchNoCase: the User-Agent, any case.
    assert_eq!(
        status("/gate/crawler/", "User-Agent: MyCRAWLER 2\r\n").await,
        200
    );
    assert_eq!(
        status("/gate/crawler/", "User-Agent: curl/8\r\n").await,
        403
    );
    s.stop().await;
}

#[tokio::test]
async fn index_ignore_hides_names_from_listings() {
    let s = server().await;
    let a = s.addr("127.0.0.1", 0);
    let outer = get(a, None, "/list/", Some("content.test")).await.text();
    assert!(
        outer.contains("keep.txt") && outer.contains(".hidden"),
        "{outer}"
    );
    assert!(!outer.contains("old.bak"), "IndexIgnore *.bak: {outer}");
    // A deeper IndexIgnore adds to the inherited list.
    let inner = get(a, None, "/list/inner/", Some("content.test"))
        .await
        .text();
    assert!(inner.contains("keep.txt"), "{inner}");
    assert!(
        !inner.contains("old.bak") && !inner.contains(".hidden"),
        "IndexIgnore *.bak + .??*: {inner}"
    );
    // Hidden from the listing only: the file itself is still served.
    assert_eq!(
        get(a, None, "/list/old.bak", Some("content.test"))
            .await
            .status,
        200
    );
    s.stop().await;
}

#[tokio::test]
async fn redirect_match_permanent_and_temp() {
    let s = server().await;
    let r = req(&s, "/rm/x/y.html?q=1", "").await;
    assert_eq!(status_of(&r), 302, "RedirectMatch defaults to temp: {r}");
    assert_eq!(header(&r, "location"), Some("http://new.test/x/y.htm?q=1"));
    assert_eq!(
        status_of(&req(&s, "/rm/x/y.txt", "").await),
        404,
        "no match"
    );
    let r = req(&s, "/rm301/a/b?q=2", "").await;
    assert_eq!(status_of(&r), 301);
    assert_eq!(
        header(&r, "location"),
        Some("http://content.test/moved/a/b?q=2"),
        "a path target is made absolute with the request's host"
    );
    let r = req(&s, "/perm/x?q=3", "").await;
    assert_eq!(status_of(&r), 301, "RedirectPermanent");
    assert_eq!(header(&r, "location"), Some("http://new.test/perm/x?q=3"));
    let r = req(&s, "/temp/y", "").await;
    assert_eq!(status_of(&r), 302, "RedirectTemp");
    assert_eq!(header(&r, "location"), Some("http://new.test/temp/y"));
    assert_eq!(
        status_of(&req(&s, "/temporary", "").await),
        404,
        "whole path segments only"
    );
    s.stop().await;
}

#[tokio::test]
async fn server_signature_ends_error_pages() {
    let s = server().await;
    let r = req(&s, "/missing", "").await;
    assert_eq!(status_of(&r), 404);
    assert!(
        body_of(&r).ends_with(
            "<hr>\n<address>vhostd Server at content.test Port 80</address>\n</body></html>\n"
        ),
        "ServerSignature On (ServerTokens Prod): {r}"
    );
    let r = raw(
        s.addr("127.0.0.1", 0),
        None,
        get_req("/mail/missing", "content.test:8080", "").as_bytes(),
    )
    .await;
    assert!(
        body_of(&r).contains(
            "<hr>\n<address>vhostd Server at <a href=\"mailto:webmaster@content.test\">content.test</a> Port 8080</address>\n"
        ),
        "ServerSignature EMail: {r}"
    );
    let r = req(&s, "/quiet/missing", "").await;
    assert_eq!(status_of(&r), 404);
    assert!(
        !body_of(&r).contains("<address>") && body_of(&r).ends_with("</p>\n</body></html>\n"),
        "ServerSignature Off: {r}"
    );
    s.stop().await;
    let (report, errors) = check_report("ServerSignature Loud\n");
    assert!(
        errors == 1 && report.contains("ServerSignature"),
        "{report}"
    );
}

#[tokio::test]
async fn server_tokens_shape_the_server_header() {
    let v = env!("CARGO_PKG_VERSION");
    let (major, minor) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
    );
    let cases = [
        ("ServerTokens Prod\n", "vhostd".to_string()),
        ("ServerTokens ProductOnly\n", "vhostd".to_string()),
        ("ServerTokens Major\n", format!("vhostd/{major}")),
        ("ServerTokens Minor\n", format!("vhostd/{major}.{minor}")),
        ("ServerTokens Min\n", format!("vhostd/{v}")),
        ("ServerTokens OS\n", format!("vhostd/{v} (Unix)")),
        ("ServerTokens Full\n", format!("vhostd/{v} (Unix)")),
        ("", format!("vhostd/{v} (Unix)")),
    ];
    for (line, want) in cases {
        let conf =
            format!("ServerName main.test\n{line}Listen 127.0.0.1:{{P0}}\nDocumentRoot htdocs/m\n");
        let s = start(&conf, &["127.0.0.1"], "", &["m"]).await;
        let a = s.addr("127.0.0.1", 0);
        let ok = get(a, None, "/", Some("main.test")).await;
        let missing = get(a, None, "/missing", Some("main.test")).await;
        assert_eq!(
            (ok.header("server"), missing.header("server")),
            (Some(want.clone()), Some(want.clone())),
            "{line:?}"
        );
        s.stop().await;
    }
    let (report, errors) = check_report("ServerTokens Everything\n");
    assert!(errors == 1 && report.contains("ServerTokens"), "{report}");
}

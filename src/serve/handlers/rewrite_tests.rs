//! Tests of `rewrite.rs`: takes config fragments and requests through a test `Vars`, gives the
//! outcomes httpd 2.4.71 gave for the same rules and requests (checked against it).

use super::*;
use std::collections::HashMap;

/// A request: variables by name, files and directories by path.
#[derive(Default)]
struct Req {
    vars: HashMap<String, String>,
    files: HashMap<String, u64>,
    dirs: Vec<String>,
    links: Vec<String>,
    own: Vec<(String, u16)>,
}

impl Vars for Req {
    fn var(&self, name: &str) -> String {
        self.vars.get(name).cloned().unwrap_or_default()
    }
    fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
    fn is_dir(&self, path: &str) -> bool {
        self.dirs.iter().any(|d| d == path)
    }
    fn size(&self, path: &str) -> Option<u64> {
        self.files.get(path).copied()
    }
    fn is_symlink(&self, path: &str) -> bool {
        self.links.iter().any(|d| d == path)
    }
    fn is_own_host(&self, host: &str, port: u16) -> bool {
        self.own
            .iter()
            .any(|(h, p)| h.eq_ignore_ascii_case(host) && *p == port)
    }
}

fn req(host: &str) -> Req {
    let mut r = Req::default();
    for (k, v) in [
        ("SERVER_NAME", host),
        ("HTTP_HOST", host),
        ("HTTP:Host", host),
    ] {
        r.vars.insert(k.into(), v.into());
    }
    r.vars.insert("DOCUMENT_ROOT".into(), "/srv/www".into());
    r
}

/// Splits a line into words on spaces, a "..." word may hold spaces.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (word, next) = match rest.strip_prefix('"') {
            Some(q) => q.split_once('"').unwrap(),
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        out.push(word);
        rest = next.trim_start();
    }
    out
}

/// Parses a config fragment of RewriteCond/RewriteRule lines.
fn rules(conf: &str) -> Vec<RewriteRule> {
    let mut out = Vec::new();
    let mut conds = Vec::new();
    for line in conf.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words = words(line);
        match words[0] {
            "RewriteCond" => conds.push(parse_cond(&words[1..]).unwrap()),
            "RewriteRule" => out.push(parse_rule(&words[1..], std::mem::take(&mut conds)).unwrap()),
            _ => panic!("{line}"),
        }
    }
    out
}

fn go(conf: &str, r: &Req, target: &str) -> Outcome {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    run(&rules(conf), path, query, r, "http://example.com")
}

fn redirect(status: u16, location: &str) -> Outcome {
    Outcome::Redirect {
        status,
        location: location.into(),
    }
}

fn rewritten(path: &str, query: Option<&str>) -> Outcome {
    Outcome::Rewritten {
        path: path.into(),
        query: query.map(String::from),
    }
}

const CERTBOT: &str = "
    RewriteCond %{SERVER_NAME} =www.example.com [OR]
    RewriteCond %{SERVER_NAME} =example.com
    RewriteRule ^ https://%{SERVER_NAME}%{REQUEST_URI} [END,NE,R=permanent]";

#[test]
fn certbot_redirect() {
    let r = req("example.com");
    assert_eq!(go(CERTBOT, &r, "/"), redirect(301, "https://example.com/"));
    assert_eq!(
        go(CERTBOT, &r, "/a?b=1"),
        redirect(301, "https://example.com/a?b=1")
    );
    let www = req("www.example.com");
    assert_eq!(
        go(CERTBOT, &www, "/x"),
        redirect(301, "https://www.example.com/x")
    );
    assert_eq!(go(CERTBOT, &req("other.org"), "/x"), Outcome::Unchanged);
}

/// REQUEST_URI is the decoded path: a request for `/a%20b` gives `/a b`, `/a%2520b` gives
/// `/a%20b`. Without NE mod_rewrite escapes space and '%'; with NE it sends them as they are
/// (both checked against Apache 2.4.71).
#[test]
fn percent_in_request_uri_with_and_without_ne() {
    let r = req("example.com");
    assert_eq!(
        go(CERTBOT, &r, "/a b"),
        redirect(301, "https://example.com/a b")
    );
    assert_eq!(
        go(CERTBOT, &r, "/a%20b?x=%20y"),
        redirect(301, "https://example.com/a%20b?x=%20y")
    );
    let escaped = CERTBOT.replace("NE,", "");
    assert_eq!(
        go(&escaped, &r, "/a b"),
        redirect(301, "https://example.com/a%20b")
    );
    assert_eq!(
        go(&escaped, &r, "/a%20b?x=%20y"),
        redirect(301, "https://example.com/a%2520b?x=%20y")
    );
    assert_eq!(
        go(&escaped, &r, "/\u{e4}#"),
        redirect(301, "https://example.com/%c3%a4%23")
    );
    assert_eq!(
        go(&escaped, &r, "/a;b'c(d)~e"),
        redirect(301, "https://example.com/a;b'c(d)~e")
    );
    // A decoded %0A: escaped without NE, a 500 with it (httpd will not send it either).
    assert_eq!(
        go(&escaped, &r, "/a\nb"),
        redirect(301, "https://example.com/a%0ab")
    );
    assert_eq!(go(CERTBOT, &r, "/a\nb"), Outcome::Status(500));
}

#[test]
fn redirect_codes() {
    let r = req("example.com");
    for (flag, code) in [
        ("R", 302),
        ("R=301", 301),
        ("R=302", 302),
        ("R=303", 303),
        ("R=permanent", 301),
        ("R=temp", 302),
        ("R=seeother", 303),
        ("R=307", 307),
    ] {
        let conf = format!("RewriteRule ^/old$ /new [{flag},L]");
        assert_eq!(
            go(&conf, &r, "/old"),
            redirect(code, "http://example.com/new"),
            "{flag}"
        );
    }
    // An absolute substitution redirects without R too (302), relative ones gain a '/'.
    assert_eq!(
        go("RewriteRule ^/x$ https://elsewhere.org/y", &r, "/x"),
        redirect(302, "https://elsewhere.org/y")
    );
    assert_eq!(
        go("RewriteRule ^/x$ y [R]", &r, "/x"),
        redirect(302, "http://example.com/y")
    );
    assert_eq!(
        go("RewriteRule ^/x$ \"mailto:a@b?subject=x y\"", &r, "/x"),
        redirect(302, "mailto:a@b?subject=x%20y")
    );
    assert_eq!(
        go("RewriteRule ^/x$ \"ftp://h/a b?c\"", &r, "/x?q"),
        redirect(302, "ftp://h/a%20b%3fc")
    );
}

#[test]
fn status_rules() {
    let r = req("example.com");
    assert_eq!(
        go("RewriteRule ^/old - [G]", &r, "/old/x"),
        Outcome::Status(410)
    );
    assert_eq!(
        go("RewriteRule ^/old /new [R=410]", &r, "/old"),
        Outcome::Status(410)
    );
    assert_eq!(
        go("RewriteRule ^/old /new [R=404]", &r, "/old"),
        Outcome::Status(404)
    );
    assert_eq!(
        go("RewriteRule \\.bak$ - [F]", &r, "/x.bak"),
        Outcome::Status(403)
    );
    assert_eq!(
        go("RewriteRule \\.bak$ - [F]", &r, "/x.txt"),
        Outcome::Unchanged
    );
    // F with a later R=301 keeps answering a bare status, as httpd does.
    assert_eq!(
        go("RewriteRule ^/x /y [F,R=301]", &r, "/x"),
        Outcome::Status(301)
    );
}

#[test]
fn query_strings() {
    let r = req("example.com");
    let one = |rule: &str, target: &str| go(&format!("RewriteRule ^/q$ {rule}"), &r, target);
    assert_eq!(one("/z", "/q?o=1"), rewritten("/z", Some("o=1")));
    assert_eq!(one("/z?a=1", "/q?o=1"), rewritten("/z", Some("a=1")));
    assert_eq!(
        one("/z?a=1 [QSA]", "/q?o=1"),
        rewritten("/z", Some("a=1&o=1"))
    );
    assert_eq!(one("/z?a=1 [QSA]", "/q"), rewritten("/z", Some("a=1")));
    assert_eq!(one("/z? [QSA]", "/q?o=1"), rewritten("/z", Some("o=1")));
    assert_eq!(one("/z?", "/q?o=1"), rewritten("/z", None));
    assert_eq!(one("/z [QSD]", "/q?o=1"), rewritten("/z", None));
    assert_eq!(
        one("/z?a=1 [QSD,QSA]", "/q?o=1"),
        rewritten("/z", Some("a=1"))
    );
    // Redirects: an unchanged query is copied, a new one escaped unless NE.
    assert_eq!(
        one("/z?a=b\\%20c [R]", "/q?o=1"),
        redirect(302, "http://example.com/z?a=b%2520c")
    );
    assert_eq!(
        one("/z?a=b\\%20c [R,NE]", "/q?o=1"),
        redirect(302, "http://example.com/z?a=b%20c")
    );
    assert_eq!(
        one("/z?a=1 [R,QSA]", "/q?o=1"),
        redirect(302, "http://example.com/z?a=1&o=1")
    );
    assert_eq!(
        one("/z? [R]", "/q?o=1"),
        redirect(302, "http://example.com/z")
    );
    assert_eq!(
        one("/z [R,QSD]", "/q?o=%20x"),
        redirect(302, "http://example.com/z")
    );
    assert_eq!(
        one("/z?a=1&b=%{QUERY_STRING} [R]", "/q?o=%20x"),
        redirect(302, "http://example.com/z?a=1&b=o=%2520x")
    );
    // '%2' without a condition match is an empty %N: httpd gives "b0c" here.
    assert_eq!(
        one("/z?a=b%20c [R]", "/q?o=1"),
        redirect(302, "http://example.com/z?a=b0c")
    );
}

#[test]
fn back_references() {
    let r = req("www.example.org");
    let conf = "
        RewriteCond %{HTTP_HOST} ^(www\\.)?(.+)$
        RewriteCond %{QUERY_STRING} ^(a)=(.*)$
        RewriteRule ^/bk/(.*)$ /z/$1/%1/%2/%3/$9";
    assert_eq!(
        go(conf, &r, "/bk/p?a=1"),
        rewritten("/z/p/a/1//", Some("a=1"))
    );
    let conf = "
        RewriteCond %{HTTP:Host} ^(?:www\\.)?(.+)$
        RewriteRule ^/(opt)?(y)$ https://%1/$1-$2-\\$1 [R=301,L]";
    assert_eq!(
        go(conf, &r, "/y"),
        redirect(301, "https://example.org/-y-$1")
    );
    // ${map:key|default}: no RewriteMap here, so the default (or nothing).
    assert_eq!(
        go("RewriteRule ^/(.*) /${m:$1|d$1}${m:x}", &r, "/k"),
        rewritten("/dk", None)
    );
}

#[test]
fn nocase_and_negation() {
    let r = req("Example.COM");
    assert_eq!(
        go("RewriteRule ^/old$ /new [NC]", &r, "/OLD"),
        rewritten("/new", None)
    );
    assert_eq!(
        go("RewriteRule ^/old$ /new", &r, "/OLD"),
        Outcome::Unchanged
    );
    let c = "RewriteCond %{HTTP_HOST} =example.com [NC]\nRewriteRule ^ /hit";
    assert_eq!(go(c, &r, "/"), rewritten("/hit", None));
    let c = "RewriteCond %{HTTP_HOST} ^example\\.com$ [NC]\nRewriteRule ^ /hit";
    assert_eq!(go(c, &r, "/"), rewritten("/hit", None));
    let c = "RewriteCond %{HTTP_HOST} !^www\\. [NC]\nRewriteRule ^/(.*)$ https://www.%{HTTP_HOST}/$1 [R=301,L]";
    assert_eq!(go(c, &r, "/p"), redirect(301, "https://www.Example.COM/p"));
    assert_eq!(go(c, &req("WWW.x.org"), "/p"), Outcome::Unchanged);
    // A negated rule pattern applies when it does not match, and has no $N.
    assert_eq!(
        go("RewriteRule !^/(static)/ /app$1", &r, "/page"),
        rewritten("/app", None)
    );
    assert_eq!(
        go("RewriteRule !^/(static)/ /app$1", &r, "/static/x"),
        Outcome::Unchanged
    );
}

#[test]
fn or_chains() {
    let conf = "
        RewriteCond %{QUERY_STRING} a [OR]
        RewriteCond %{QUERY_STRING} b
        RewriteCond %{HTTP:X-On} =1
        RewriteRule ^ /hit";
    let mut r = req("example.com");
    assert_eq!(go(conf, &r, "/?a"), Outcome::Unchanged);
    r.vars.insert("HTTP:X-On".into(), "1".into());
    assert_eq!(go(conf, &r, "/?a"), rewritten("/hit", Some("a")));
    assert_eq!(go(conf, &r, "/?b"), rewritten("/hit", Some("b")));
    assert_eq!(go(conf, &r, "/?c"), Outcome::Unchanged);
    // A failing [OR] on the last condition does not stop the rule (httpd).
    assert_eq!(
        go(
            "RewriteCond %{QUERY_STRING} ^q$ [OR]\nRewriteRule ^ /hit",
            &r,
            "/?z"
        ),
        rewritten("/hit", Some("z"))
    );
    // %N comes from the condition that matched; the rest of the chain is not evaluated.
    let conf = "
        RewriteCond %{QUERY_STRING} ^(a) [OR]
        RewriteCond %{QUERY_STRING} ^(.) [OR]
        RewriteCond %{HTTP_HOST} ^(.)
        RewriteRule ^ /%1";
    assert_eq!(go(conf, &r, "/?abc"), rewritten("/a", Some("abc")));
    assert_eq!(go(conf, &r, "/?xyz"), rewritten("/x", Some("xyz")));
}

#[test]
fn comparisons() {
    let r = req("example.com");
    let c = |cond: &str, q: &str| {
        go(
            &format!("RewriteCond %{{QUERY_STRING}} {cond}\nRewriteRule ^ /hit"),
            &r,
            q,
        ) != Outcome::Unchanged
    };
    assert!(c("=\"\"", "/") && !c("=\"\"", "/?x"));
    assert!(c("-gt5", "/?6") && !c("-gt5", "/?5") && !c("-gt5", "/?abc"));
    assert!(c("-le5", "/?5") && c("-eq0", "/?abc") && c("-ne5", "/?4") && c("!-eq5", "/?4"));
    // httpd's string order: a shorter string is smaller, whatever its bytes.
    assert!(c("<b", "/?a") && !c("<b", "/?aa") && !c("<b", "/?b") && c("<=b", "/?b"));
    assert!(c(">a", "/?aa") && c(">=aa", "/?ab") && !c(">ab", "/?z") && c(">ab", "/?zz"));
    // With NC, strcasecmp's plain order.
    assert!(c("<b [NC]", "/?AA") && c("=ABC [NC]", "/?abc"));
}

#[test]
fn file_tests() {
    let mut r = req("example.com");
    r.files.insert("/srv/www/a.html".into(), 10);
    r.files.insert("/srv/www/empty".into(), 0);
    r.dirs.push("/srv/www/dir".into());
    r.links.push("/srv/www/ln".into());
    let front = "
        RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} !-f
        RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} !-d
        RewriteRule ^/(.*)$ /index.php?p=$1 [QSA,L]";
    assert_eq!(go(front, &r, "/a.html"), Outcome::Unchanged);
    assert_eq!(go(front, &r, "/dir"), Outcome::Unchanged);
    assert_eq!(
        go(front, &r, "/nope?x=1"),
        rewritten("/index.php", Some("p=nope&x=1"))
    );
    let s = "RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} -s\nRewriteRule ^ /hit";
    assert_eq!(go(s, &r, "/a.html"), rewritten("/hit", None));
    assert_eq!(go(s, &r, "/empty"), Outcome::Unchanged);
    let l = "RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} -l\nRewriteRule ^ /hit";
    assert_eq!(go(l, &r, "/ln"), rewritten("/hit", None));
    // In server context REQUEST_FILENAME is the URL-path being rewritten, not a file.
    let f = "RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ /hit";
    r.files.insert("/a.html".into(), 1);
    assert_eq!(go(f, &r, "/a.html"), Outcome::Unchanged);
}

#[test]
fn chaining_last_and_end() {
    let r = req("example.com");
    let conf = "
        RewriteRule ^/a$ /b
        RewriteRule ^/b$ /c
        RewriteRule ^/c$ /d [L]
        RewriteRule ^/d$ /e";
    assert_eq!(go(conf, &r, "/a"), rewritten("/d", None));
    assert_eq!(
        go(&conf.replace("[L]", "[END]"), &r, "/a"),
        rewritten("/d", None)
    );
    assert_eq!(
        go(&conf.replace(" [L]", ""), &r, "/a"),
        rewritten("/e", None)
    );
    // A relative substitution is rooted before the next rule sees it.
    assert_eq!(
        go(
            "RewriteRule ^/rel$ y\nRewriteRule ^/y$ /w [R,L]",
            &r,
            "/rel"
        ),
        redirect(302, "http://example.com/w")
    );
    // `-` changes nothing and goes on; REQUEST_FILENAME follows the rewriting.
    let conf = "RewriteRule ^/x - \nRewriteRule ^/x /y\nRewriteCond %{REQUEST_FILENAME} =/y\nRewriteRule ^ /z?%{REQUEST_URI}";
    assert_eq!(go(conf, &r, "/x"), rewritten("/z", Some("/x")));
    assert_eq!(
        go("RewriteRule ^/x - [L]\nRewriteRule ^ /y", &r, "/x"),
        Outcome::Unchanged
    );
    // R without L: later rules see the absolute URL; the redirect keeps the R status.
    let conf = "RewriteRule ^/c1$ /c2 [R=301]\nRewriteRule ^/c2$ /c3\nRewriteRule ^http://example\\.com/(c2)$ /$1x [R=308]";
    assert_eq!(
        go(conf, &r, "/c1?k"),
        redirect(308, "http://example.com/c2x?k")
    );
    assert_eq!(
        go(
            "RewriteRule ^/c1$ /c2 [R=301]\nRewriteRule ^/c2 /c3",
            &r,
            "/c1"
        ),
        redirect(301, "http://example.com/c2")
    );
    // Not a URL-path (e.g. `*`): httpd declines.
    assert_eq!(go("RewriteRule ^ /x", &r, "*"), Outcome::Unchanged);
}

#[test]
fn own_host_is_reduced() {
    let mut r = req("example.com");
    r.own.push(("example.com".into(), 8089));
    let run1 = |rule: &str, target: &str| go(&format!("RewriteRule ^/x$ {rule}"), &r, target);
    assert_eq!(
        run1("http://EXAMPLE.com:8089/y?z=1", "/x"),
        rewritten("/y", Some("z=1"))
    );
    assert_eq!(run1("http://example.com:8089", "/x"), rewritten("/", None));
    assert_eq!(
        run1("http://example.com/y", "/x"),
        redirect(302, "http://example.com/y")
    );
    assert_eq!(
        run1("https://example.com:8089/y", "/x"),
        redirect(302, "https://example.com:8089/y")
    );
    assert_eq!(
        run1("http://example.com:8089/y [R]", "/x"),
        redirect(302, "http://example.com:8089/y")
    );
}

#[test]
fn decoded_question_mark_is_refused() {
    let r = req("example.com");
    // httpd 2.4.60+: a '?' that first appears from an expansion answers 403.
    let decoded = |conf: &str, path: &str| run(&rules(conf), path, None, &r, "http://example.com");
    assert_eq!(decoded(CERTBOT, "/a?b"), Outcome::Status(403));
    assert_eq!(
        decoded("RewriteRule ^/b/(.*) /z/$1?q=1", "/b/a?b"),
        Outcome::Status(403)
    );
    assert_eq!(
        go("RewriteRule ^/qs /z/%{QUERY_STRING} [R]", &r, "/qs?a=?"),
        Outcome::Status(403)
    );
    // A '?' written in the substitution first is fine: later expanded ones are query text.
    assert_eq!(
        decoded("RewriteRule ^/l/(.*) /z?q=$1 [R,L]", "/l/a?b"),
        redirect(302, "http://example.com/z?q=a%3fb")
    );
    assert_eq!(
        go("RewriteRule ^/l /z\\?a", &r, "/l"),
        rewritten("/z", Some("a"))
    );
}

#[test]
fn runaway_growth_is_500() {
    let r = req("example.com");
    let conf = "RewriteRule ^(.*)$ $1$1$1$1$1$1$1$1\n".repeat(6);
    assert_eq!(go(&conf, &r, "/abcdefgh"), Outcome::Status(500));
}

#[test]
fn filesystem_targets() {
    let mut r = req("example.com");
    r.dirs.extend(["/usr".into(), "/srv".into(), "/".into()]);
    let file = |path: &str, query: Option<&str>| Outcome::File {
        path: path.into(),
        query: query.map(String::from),
    };
    // The substitution names an existing top directory: a filesystem path, as in httpd.
    let icons = "RewriteRule ^/icons/(.*) /usr/share/icons/$1?v=1";
    assert_eq!(
        go(icons, &r, "/icons/a.png"),
        file("/usr/share/icons/a.png", Some("v=1"))
    );
    // From a back-reference only under DOCUMENT_ROOT (2.4.60+), else a URL-path.
    let any = "RewriteRule ^/x/(.*) /$1";
    assert_eq!(
        go(any, &r, "/x/usr/share/a"),
        rewritten("/usr/share/a", None)
    );
    assert_eq!(go(any, &r, "/x/srv/www/a"), file("/srv/www/a", None));
    assert_eq!(go(any, &r, "/x/nope/a"), rewritten("/nope/a", None));
    // "/" always exists: httpd serves the filesystem root for a literal "/" (its quirk).
    assert_eq!(go("RewriteRule ^/home$ /", &r, "/home"), file("/", None));
    // A reduced absolute URL is always a URL-path.
    r.own.push(("example.com".into(), 80));
    assert_eq!(
        go("RewriteRule ^/u$ http://example.com/usr/x", &r, "/u"),
        rewritten("/usr/x", None)
    );
}

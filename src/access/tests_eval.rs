//! Takes Require trees and requests and gives `apply_authz_sections`'s four-valued results,
//! plus `Require expr` evaluation.

use super::User;
use super::authz::{AuthzResult, Ctx};
use super::expr;
use super::tests_util::{in_group, req, tree};
use AuthzResult::*;

fn eval(src: &str, ip: &'static str, user: Option<&str>) -> AuthzResult {
    let t = tree(&src.replace(';', "\n"));
    req(ip).with(|client| {
        let name = user.unwrap_or("");
        let groups = |g: &str| in_group(name, g);
        let u = User {
            name,
            groups: &groups,
        };
        let cx = Ctx {
            client,
            user: user.map(|_| &u),
        };
        t.evaluate(&cx)
    })
}

#[test]
fn four_valued_logic() {
    let a = "127.0.0.1";
    let cases = [
        ("Require all granted", None, Granted),
        ("Require all denied", None, Denied),
        ("Require valid-user", None, DeniedNoUser),
        ("Require valid-user", Some("bob"), Granted),
        ("Require user alice bob", None, DeniedNoUser),
        ("Require user alice", Some("bob"), Denied),
        ("Require user alice", Some("Alice"), Denied),
        ("Require group admins", None, DeniedNoUser),
        ("Require group admins", Some("bob"), Denied),
        ("Require group nope admins", Some("alice"), Granted),
        // OR: a later "no user yet" outranks an earlier denial.
        ("Require ip 10.0.0.1;Require valid-user", None, DeniedNoUser),
        ("Require valid-user;Require ip 10.0.0.1", None, DeniedNoUser),
        // AND: a denial stops; "no user yet" outranks a grant.
        (
            "<RequireAll>;Require valid-user;Require ip 10.0.0.1;</RequireAll>",
            None,
            Denied,
        ),
        (
            "<RequireAll>;Require all granted;Require valid-user;</RequireAll>",
            None,
            DeniedNoUser,
        ),
        // A negation never grants: denied becomes neutral, granted becomes denied.
        (
            "<RequireAll>;Require valid-user;Require not ip 10.0.0.1;</RequireAll>",
            Some("bob"),
            Granted,
        ),
        (
            "<RequireAll>;Require valid-user;Require not ip 127.0.0.1;</RequireAll>",
            Some("bob"),
            Denied,
        ),
        (
            "<RequireAll>;Require all granted;Require not valid-user;</RequireAll>",
            None,
            Granted,
        ),
        (
            "<RequireAll>;Require all granted;Require not valid-user;</RequireAll>",
            Some("bob"),
            Denied,
        ),
        // Only neutral members: neutral (httpd answers 403 for that).
        (
            "<RequireAny>;<RequireAll>;Require all granted;Require not all denied;</RequireAll>;</RequireAny>",
            None,
            Granted,
        ),
        (
            "<RequireAll>;Require all granted;<RequireNone>;Require ip 10.0.0.1;Require valid-user;</RequireNone>;</RequireAll>",
            None,
            Granted,
        ),
        (
            "<RequireAll>;Require all granted;<RequireNone>;Require ip 127.0.0.1;Require valid-user;</RequireNone>;</RequireAll>",
            None,
            Denied,
        ),
        ("Require env GOOD", None, Denied),
        ("Require local", None, Granted),
        ("Require host localhost", None, Granted),
        ("Require host LOCALHOST", None, Granted),
        ("Require host host", None, Denied),
        ("Require host # localhost", None, Denied),
        (
            "Require expr \"%{REMOTE_USER} == 'alice'\"",
            None,
            DeniedNoUser,
        ),
        (
            "Require expr \"%{REMOTE_USER} == 'alice'\"",
            Some("bob"),
            DeniedNoUser,
        ),
        (
            "Require expr \"%{REMOTE_USER} == 'alice'\"",
            Some("alice"),
            Granted,
        ),
        ("Require expr \"%{REQUEST_URI} == '/x'\"", None, Denied),
    ];
    for (src, user, want) in cases {
        assert_eq!(eval(src, a, user), want, "{src} as {user:?}");
    }
}

#[test]
fn neutral_when_nothing_decides() {
    // RequireNone of denials is neutral; as the only member of an AND it leaves the AND
    // neutral, which `decide` turns into 403 like httpd.
    let t = "<RequireAll>;Require all granted;<RequireNone>;Require all denied;</RequireNone>;</RequireAll>";
    assert_eq!(eval(t, "127.0.0.1", None), Granted);
    let none = super::authz::Section {
        kind: super::authz::Kind::None,
        items: tree("Require all denied").items,
    };
    req("127.0.0.1").with(|client| {
        let cx = Ctx { client, user: None };
        assert_eq!(none.evaluate(&cx), Neutral);
    });
}

fn ex(text: &str, vars: &[(&str, &str)]) -> bool {
    let e = expr::parse(text).unwrap();
    let var = |n: &str| {
        vars.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    };
    e.eval(&var)
}

#[test]
fn expr_subset() {
    let v = [
        ("REQUEST_URI", "/a/b.html"),
        ("HTTP_HOST", "Example.com"),
        ("REMOTE_ADDR", "10.1.2.3"),
    ];
    let yes = [
        "true",
        "!false",
        "%{REQUEST_URI} == '/a/b.html'",
        "%{REQUEST_URI} = \"/a/b.html\"",
        "%{REQUEST_URI} != '/x'",
        "'/a' < %{REQUEST_URI}",
        "%{REQUEST_URI} >= '/a/b.html'",
        "'x%{HTTP_HOST}y' == 'xExample.comy'",
        "%{HTTP_HOST} =~ /^example/i",
        "%{HTTP_HOST} !~ m#^example#",
        "%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'",
        "%{REMOTE_ADDR} -ipmatch '10.1'",
        "-R '10.1.2.3'",
        "%{REQUEST_URI} -strmatch '/a/*'",
        "%{REQUEST_URI} -strmatch '/?/b.[hx]tml'",
        "%{REQUEST_URI} -strmatch '/[!b]/*'",
        "%{REQUEST_URI} -strcmatch '/A/*.HTML'",
        "%{REQUEST_URI} -fnmatch '/*/*.html'",
        "-n %{HTTP_HOST}",
        "-z %{QUERY_STRING}",
        "false || true && true",
        "!(false || false)",
        "(true)",
        "'a\\'b' == \"a'b\"",
    ];
    for t in yes {
        assert!(ex(t, &v), "{t}");
    }
    let no = [
        "false",
        "true && false",
        "!true || false",
        "%{REQUEST_URI} == '/A/B.HTML'",
        "%{HTTP_HOST} =~ /^example/",
        "%{REMOTE_ADDR} -ipmatch '11.0.0.0/8'",
        "%{HTTP_HOST} -ipmatch '10.0.0.0/8'",
        "%{REQUEST_URI} -strmatch '/A/*'",
        "%{REQUEST_URI} -fnmatch '/*.html'",
        "-n %{QUERY_STRING}",
    ];
    for t in no {
        assert!(!ex(t, &v), "{t}");
    }
    assert!(
        expr::parse("%{REMOTE_USER} == 'a'")
            .unwrap()
            .uses_remote_user()
    );
    assert!(
        expr::parse("true || -n 'x%{remote_user}'")
            .unwrap()
            .uses_remote_user()
    );
    assert!(
        !expr::parse("%{REQUEST_URI} == 'a'")
            .unwrap()
            .uses_remote_user()
    );
}

/// Found by the config fuzz target: a multi-byte character where a token was expected.
#[test]
fn non_ascii_in_an_expression_is_an_error_not_a_panic() {
    for text in ["%{HTTP_HOST} \u{fffd}", "\u{e9}", "true && \u{1f600}"] {
        assert!(expr::parse(text).is_err(), "{text}");
    }
}

//! Takes access directives as written in config files and gives the errors (or acceptance)
//! Apache 2.4.71 `apache2 -t` gave for the same lines.

use super::compat::{self, HostSpec, Order};
use super::tests_util::conf;

fn err(src: &str) -> String {
    conf(&src.replace(';', "\n")).err().unwrap_or_default()
}

#[test]
fn tree_rules_as_httpd_reports_them() {
    let cases = [
        (
            "Require not ip 1.2.3.4",
            "negative Require directive has no effect in <RequireAny> directive",
        ),
        (
            "Require NOT all granted",
            "negative Require directive has no effect in <RequireAny> directive",
        ),
        (
            "<RequireAll>;Require not ip 1.2.3.4;</RequireAll>",
            "<RequireAll> directive contains only negative authorization directives",
        ),
        (
            "<RequireNone>;Require ip 1.2.3.4;</RequireNone>",
            "<RequireNone> directive has no effect in <RequireAny> directive",
        ),
        (
            "<RequireAll>;Require all granted;<RequireNone>;Require not ip 1.2.3.4;</RequireNone>;</RequireAll>",
            "negative Require directive has no effect in <RequireNone> directive",
        ),
        (
            "<RequireAll>;<RequireNone>;Require ip 1.2.3.4;</RequireNone>;</RequireAll>",
            "<RequireAll> directive contains only negative authorization directives",
        ),
        (
            "<RequireAll>;</RequireAll>",
            "<RequireAll> directive contains no authorization directives",
        ),
        (
            "<RequireNone>;</RequireNone>",
            "<RequireNone> directive contains no authorization directives",
        ),
        (
            "<RequireAny>;<RequireNone>;Require ip 1.2.3.4;</RequireNone>;</RequireAny>",
            "<RequireNone> directive has no effect in <RequireAny> directive",
        ),
        (
            "<RequireAll>;<RequireAny>;Require not ip 1.2.3.4;</RequireAny>;</RequireAll>",
            "negative Require directive has no effect in <RequireAny> directive",
        ),
        (
            "<RequireAll>;Require all granted;<RequireNone>;<RequireNone>;Require ip 1.2.3.4;</RequireNone>;</RequireNone>;</RequireAll>",
            "<RequireNone> directive has no effect in <RequireNone> directive",
        ),
        (
            "<RequireAll>;Require not ip 1.2.3.4;<RequireNone>;Require ip 1.2.3.5;</RequireNone>;</RequireAll>",
            "<RequireAll> directive contains only negative authorization directives",
        ),
        (
            "<RequireAll>;<RequireNone>;<RequireAll>;Require ip 1.2.3.4;Require not ip 1.2.3.5;</RequireAll>;</RequireNone>;</RequireAll>",
            "<RequireAll> directive contains only negative authorization directives",
        ),
        // AuthMerging does not make a lone negation acceptable.
        (
            "AuthMerging And;Require not env GOOD",
            "negative Require directive has no effect in <RequireAny> directive",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(err(src), want, "{src}");
    }
    // Accepted: a nested <RequireAll> joins its parent before the check.
    for ok in [
        "<RequireAll>;<RequireAll>;Require not ip 1.2.3.4;</RequireAll>;Require all granted;</RequireAll>",
        "<RequireAll>;Require all granted;<RequireNone>;<RequireAll>;Require ip 1.2.3.4;Require not ip 1.2.3.5;</RequireAll>;</RequireNone>;</RequireAll>",
        "<RequireAll>;Require all granted;Require not env X;</RequireAll>",
    ] {
        assert_eq!(err(ok), "", "{ok}");
    }
}

#[test]
fn require_lines_as_httpd_reports_them() {
    let cases = [
        (
            "Require all foo",
            "Argument for 'Require all' must be 'granted' or 'denied'",
        ),
        (
            "Require all",
            "Argument for 'Require all' must be 'granted' or 'denied'",
        ),
        (
            "Require all granted extra",
            "Argument for 'Require all' must be 'granted' or 'denied'",
        ),
        ("Require foo", "Unknown Authz provider: foo"),
        ("Require IP 1.2.3.4", "Unknown Authz provider: IP"),
        ("Require Valid-User", "Unknown Authz provider: Valid-User"),
        ("Require", "Unknown Authz provider: "),
        ("Require not", "Unknown Authz provider: "),
        ("Require ip", "'require ip' requires an argument"),
        (
            "Require ip 1.2.3.4/0",
            "ip address '1.2.3.4/0' appears to be invalid: The specified network mask is invalid.",
        ),
        (
            "Require ip 10.1/16",
            "ip address '10.1/16' appears to be invalid: The specified IP address is invalid.",
        ),
        (
            "Require ip ::ffff:1.2.3.4",
            "ip address '::ffff:1.2.3.4' appears to be invalid: The specified IP address is invalid.",
        ),
        ("Require ip abc", "ip address 'abc' appears to be invalid"),
        ("Require ip /8", "ip address '/8' appears to be invalid"),
        (
            "Require ip 1.2.3.4 # c",
            "ip address '#' appears to be invalid",
        ),
        ("Require method get", "Invalid Method 'get'"),
        ("Require method FOO", "Invalid Method 'FOO'"),
        (
            "Require expr",
            "Cannot parse expression in require line: syntax error, unexpected end of expression",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(err(src), want, "{src}");
    }
    for ok in [
        "Require all GRANTED",
        "Require ip 10.1 10.1. 10 010.1.2.3 1.2.3.4/255.0.255.0 ::1/128",
        "Require method HEAD GET POST",
        "Require method",
        "Require env",
        "Require env A B",
        "Require user",
        "Require group",
        "Require valid-user extra",
        "Require host",
        "Require host a.com # comment",
        "Require local extra",
        "Require expr \"%{REQUEST_URI} == '/x'\"",
        "Require expr \"%{request_uri} == '/x'\"",
        "Require expr \"-R '10.0.0.0/8'\"",
        "Require expr \"%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'\"",
        "Require expr \"%{REQUEST_URI} -strmatch '/x*'\"",
        "Require expr \"%{REQUEST_URI} = '/x'\"",
        "Require expr \"%{REQUEST_URI} < '/x'\"",
        "Require expr \"1 == 1\"",
        "Require expr \"%{REQUEST_URI} =~ m#^/x#i\"",
        "Require expr \"!true || (false && true)\"",
        "Require expr \"-n %{QUERY_STRING}\"",
        "Require expr \"'%{REQUEST_URI}x' == '/ax'\"",
        "Require expr \"true && true || false\"",
    ] {
        assert_eq!(err(ok), "", "{ok}");
    }
}

#[test]
fn expr_refusals_name_the_problem() {
    let refused = [
        (
            "-R %{HTTP_HOST}",
            "-R requires subnet/netmask as constant argument",
        ),
        (
            "%{REMOTE_ADDR} -ipmatch '10.0.0.0/0'",
            "parsing of subnet/netmask failed",
        ),
        (
            "%{REMOTE_ADDR} -ipmatch 'abc'",
            "parsing of subnet/netmask failed",
        ),
        ("%{REQUEST_URI} =~ '^/x'", "needs /regex/"),
        (
            "%{REQUEST_URI} =~ m#(#",
            "Failed to compile regular expression",
        ),
        ("TRUE", "'TRUE' is not supported"),
        ("%{REQUEST_URI} == '/x' # c", "Parse error near '#'"),
        ("%{FOO_BAR} == 'x'", "variable 'FOO_BAR' is not supported"),
        (
            "%{HTTP_X_FOO} == 'x'",
            "variable 'HTTP_X_FOO' is not supported",
        ),
        (
            "%{HTTP:X-Foo} == 'x'",
            "%{func:arg} lookups are not supported",
        ),
        (
            "%{REQUEST_URI} -foo 'x'",
            "binary operator '-foo' is not supported",
        ),
        ("-f '/etc/passwd'", "unary operator '-f' is not supported"),
        ("1 -eq 1", "binary operator '-eq' is not supported"),
        ("%{REQUEST_URI} in {'/a'}", "'in' is not supported"),
        (
            "tolower(%{REQUEST_URI}) == '/x'",
            "'tolower' is not supported",
        ),
        ("'a' . 'b' == 'ab'", "Parse error near '.'"),
        ("%{REQUEST_URI} == /x", "Parse error near '/'"),
        ("true &&", "unexpected end of expression"),
    ];
    for (text, want) in refused {
        let e = super::expr::parse(text).err().unwrap_or_default();
        assert!(e.contains(want), "{text}: {e}");
    }
}

#[test]
fn compat_directives_as_httpd_reports_them() {
    assert_eq!(compat::parse_order("foo"), Err("unknown order".into()));
    assert_eq!(
        compat::parse_order("Mutual-Failure"),
        Ok(Order::MutualFailure)
    );
    assert_eq!(compat::parse_order("allow,deny"), Ok(Order::AllowDeny));
    assert_eq!(compat::parse_satisfy("ANY"), Ok(true));
    assert_eq!(
        compat::parse_satisfy("foo"),
        Err("Satisfy either 'any' or 'all'.".into())
    );
    let e = |args: &[&str]| compat::parse_allow_deny(args).err().unwrap_or_default();
    assert_eq!(
        e(&["127.0.0.1"]),
        "allow and deny must be followed by 'from'"
    );
    assert!(e(&["from"]).contains("at least two arguments"));
    assert_eq!(
        e(&["from", "1.2.3.4/40"]),
        "The specified network mask is invalid."
    );
    assert_eq!(
        e(&["from", "10.1/16"]),
        "The specified IP address is invalid."
    );
    assert_eq!(e(&["from", "a#b"]), "No comments are allowed here");
    assert_eq!(
        e(&["from", "1.2.3.256"]),
        "The specified IP address is invalid."
    );
    assert_eq!(
        e(&["from", "::ffff:1.2.3.4"]),
        "The specified IP address is invalid."
    );
    assert_eq!(e(&["from", "abc/8"]), "An IP address was expected");
    let ok = compat::parse_allow_deny(&["From", "all", "env=", "ENV=!X", "example.com", "10.1"])
        .unwrap();
    assert_eq!(ok[0], HostSpec::All);
    assert_eq!(ok[1], HostSpec::Env(String::new()));
    assert_eq!(ok[2], HostSpec::NotEnv("X".into()));
    assert_eq!(ok[3], HostSpec::Host("example.com".into()));
    assert!(matches!(ok[4], HostSpec::Ip(_)));
}

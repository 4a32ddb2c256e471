//! Takes the access sections of the Apache 2.4.71 test server and gives the status codes
//! it answered (clients 127.0.0.1-.5 and ::1; GOOD set for .2/.3 by SetEnvIf), checked
//! against `merge` + `decide`.

use super::tests_util::{conf, req, row, served, status, status_calls};
use super::{AccessConf, Decision, Merging, authz::Kind, merge, needs_host};

type Creds<'a> = Option<(&'a str, &'a str)>;

const AUTH: &str = "AuthType Basic\nAuthName realm\n";

fn with_auth(s: &str) -> String {
    format!("{AUTH}{s}")
}

#[test]
fn providers_as_served() {
    let cases: &[(&str, &str, [u16; 6])] = &[
        ("Require all granted", "GET", [200; 6]),
        ("Require all denied", "GET", [403; 6]),
        (
            "Require ip 127.0.0.2",
            "GET",
            [403, 200, 403, 403, 403, 403],
        ),
        (
            "Require ip 127.0.0.0/255.0.0.0",
            "GET",
            [200, 200, 200, 200, 200, 403],
        ),
        ("Require ip 127.0", "GET", [200, 200, 200, 200, 200, 403]),
        ("Require ip 127.0.0.", "GET", [200, 200, 200, 200, 200, 403]),
        (
            "Require ip 127.0.0.0/30",
            "GET",
            [200, 200, 200, 403, 403, 403],
        ),
        ("Require ip ::1/128", "GET", [403, 403, 403, 403, 403, 200]),
        ("Require ip ::1", "GET", [403, 403, 403, 403, 403, 200]),
        ("Require local", "GET", [200; 6]),
        ("Require env GOOD", "GET", [403, 200, 200, 403, 403, 403]),
        (
            "Require host localhost",
            "GET",
            [200, 403, 403, 403, 403, 403],
        ),
        ("Require method GET", "GET", [200; 6]),
        ("Require method GET", "HEAD", [200; 6]),
        ("Require method GET", "POST", [403; 6]),
        ("Require method GET", "get", [403; 6]),
        ("Require method POST", "GET", [403; 6]),
        ("Require method POST", "POST", [200; 6]),
        ("Require method POST", "HEAD", [403; 6]),
        ("Require method HEAD", "GET", [200; 6]),
        (
            "<RequireAll>\nRequire ip 127.0.0.0/8\nRequire not ip 127.0.0.2\n</RequireAll>",
            "GET",
            [200, 403, 200, 200, 200, 403],
        ),
        (
            "<RequireAll>\nRequire all granted\n<RequireNone>\nRequire ip 127.0.0.2\nRequire ip 127.0.0.3\n</RequireNone>\n</RequireAll>",
            "GET",
            [200, 403, 403, 200, 200, 200],
        ),
        (
            "<RequireAny>\n<RequireAll>\nRequire ip 127.0.0.2 127.0.0.4\nRequire env GOOD\n</RequireAll>\nRequire ip 127.0.0.5\n</RequireAny>",
            "GET",
            [403, 200, 403, 403, 200, 403],
        ),
        (
            "Require expr \"-R '127.0.0.2' || %{REMOTE_ADDR} -ipmatch '127.0.0.4/31'\"",
            "GET",
            [403, 200, 403, 200, 200, 403],
        ),
    ];
    for (src, method, want) in cases {
        assert_eq!(
            row(&served(&[src]), method, None),
            *want,
            "{src} ({method})"
        );
    }
}

#[test]
fn expr_on_uri_and_method() {
    let c = served(&[
        "Require expr \"%{REQUEST_URI} -strmatch '/exprstr/*.html' && %{REQUEST_METHOD} != 'POST'\"",
    ]);
    let at = |uri, m| {
        status(
            &c,
            &req("127.0.0.1").method(m).var("REQUEST_URI", uri),
            None,
        )
    };
    assert_eq!(at("/exprstr/", "GET"), 403);
    assert_eq!(at("/exprstr/index.html", "GET"), 200);
    assert_eq!(at("/exprstr/index.html", "POST"), 403);
    let c = served(&[
        "Require expr \"%{REQUEST_URI} =~ m#^/EXPRRE/#i && !(%{QUERY_STRING} =~ /deny/)\"",
    ]);
    let at = |q| {
        let r = req("127.0.0.1")
            .var("REQUEST_URI", "/exprre/")
            .var("QUERY_STRING", q);
        status(&c, &r, None)
    };
    assert_eq!(at(""), 200);
    assert_eq!(at("deny"), 403);
}

#[test]
fn authentication_flows_as_served() {
    let alice = Some(("alice", "apw"));
    let bob = Some(("bob", "bpw"));
    let bad = Some(("alice", "bad"));
    let nobody = Some(("nobody", "x"));
    let cases: &[(&str, Creds, [u16; 6])] = &[
        ("Require valid-user", None, [401; 6]),
        ("Require valid-user", alice, [200; 6]),
        ("Require valid-user", bad, [401; 6]),
        ("Require valid-user", nobody, [401; 6]),
        ("Require user alice", bob, [401; 6]),
        ("Require user alice", alice, [200; 6]),
        ("Require group admins", bob, [401; 6]),
        ("Require group admins", alice, [200; 6]),
        (
            "Require ip 127.0.0.2\nRequire valid-user",
            None,
            [401, 200, 401, 401, 401, 401],
        ),
        ("Require ip 127.0.0.2\nRequire valid-user", alice, [200; 6]),
        (
            "Require ip 127.0.0.2\nRequire valid-user",
            bad,
            [401, 200, 401, 401, 401, 401],
        ),
        (
            "<RequireAll>\nRequire valid-user\nRequire ip 127.0.0.2\n</RequireAll>",
            None,
            [403, 401, 403, 403, 403, 403],
        ),
        (
            "<RequireAll>\nRequire valid-user\nRequire ip 127.0.0.2\n</RequireAll>",
            alice,
            [403, 200, 403, 403, 403, 403],
        ),
        (
            "<RequireAll>\nRequire valid-user\nRequire not user bob\n</RequireAll>",
            bob,
            [401; 6],
        ),
        (
            "<RequireAll>\nRequire valid-user\nRequire not user bob\n</RequireAll>",
            alice,
            [200; 6],
        ),
        (
            "<RequireAll>\nRequire valid-user\nRequire not user bob\n</RequireAll>",
            None,
            [401; 6],
        ),
        ("Require expr \"%{REMOTE_USER} == 'alice'\"", None, [401; 6]),
        (
            "Require expr \"%{REMOTE_USER} == 'alice'\"",
            alice,
            [200; 6],
        ),
        ("Require expr \"%{REMOTE_USER} == 'alice'\"", bob, [401; 6]),
        (
            "Require ip 127.0.0.2\nRequire expr \"%{REMOTE_USER} == 'alice'\"",
            bob,
            [401, 200, 401, 401, 401, 401],
        ),
        (
            "AuthzSendForbiddenOnFailure On\nRequire user alice",
            None,
            [401; 6],
        ),
        (
            "AuthzSendForbiddenOnFailure On\nRequire user alice",
            bob,
            [403; 6],
        ),
        (
            "AuthzSendForbiddenOnFailure On\nRequire user alice",
            alice,
            [200; 6],
        ),
    ];
    for (src, creds, want) in cases {
        let c = served(&[&with_auth(src)]);
        assert_eq!(row(&c, "GET", *creds), *want, "{src} as {creds:?}");
    }
}

#[test]
fn misconfigurations_are_500() {
    // No AuthType: AH00027 "No authentication done ...".
    let c = served(&["Require valid-user"]);
    assert_eq!(row(&c, "GET", None), [500; 6]);
    assert_eq!(row(&c, "GET", Some(("alice", "apw"))), [500; 6]);
    // AuthType without AuthName: AH01615 "need AuthName".
    let c = served(&["AuthType Basic\nRequire valid-user"]);
    assert_eq!(row(&c, "GET", Some(("alice", "apw"))), [500; 6]);
    // AuthType with no Require anywhere (AuthMerging Off drops the enclosing ones): AH01627.
    let c = served(&[&format!("AuthMerging Off\n{AUTH}")]);
    let d = req("127.0.0.1").with(|cl| super::decide(&c, cl, &mut || None, &|_, _| false));
    assert_eq!(
        d,
        Decision::Misconfigured(
            "AuthType configured with no corresponding authorization directives".into()
        )
    );
    // AuthType None in an inner section switches authentication off again (Apache: 500).
    let c = served(&[AUTH, "AuthType None\nRequire valid-user"]);
    assert_eq!(row(&c, "GET", None), [500; 6]);
}

#[test]
fn credentials_asked_only_when_needed() {
    let c = served(&[&with_auth("Require ip 127.0.0.2\nRequire valid-user")]);
    assert_eq!(status_calls(&c, &req("127.0.0.2"), None), (200, 0));
    assert_eq!(status_calls(&c, &req("127.0.0.1"), None), (401, 1));
    let c = served(&[&with_auth(
        "<RequireAll>\nRequire valid-user\nRequire ip 127.0.0.2\n</RequireAll>",
    )]);
    assert_eq!(
        status_calls(&c, &req("127.0.0.1"), Some(("alice", "apw"))),
        (403, 0)
    );
}

#[test]
fn auth_merging_as_served() {
    let m = "Require ip 127.0.0.2 127.0.0.4";
    let cases: &[(&[&str], [u16; 6])] = &[
        (&[m], [403, 200, 403, 200, 403, 403]),
        (
            &[m, "AuthMerging And\nRequire env GOOD"],
            [403, 200, 403, 403, 403, 403],
        ),
        (
            &[m, "AuthMerging Or\nRequire env GOOD"],
            [403, 200, 200, 200, 403, 403],
        ),
        (&[m, "Require env GOOD"], [403, 200, 200, 403, 403, 403]),
        (&[m, ""], [403, 200, 403, 200, 403, 403]),
        (&[m, "AuthMerging Off"], [200; 6]),
        (&[m, "AuthMerging And"], [403, 200, 403, 200, 403, 403]),
        (&["AuthMerging Or\nRequire ip 127.0.0.4"], [200; 6]),
    ];
    for (sections, want) in cases {
        assert_eq!(row(&served(sections), "GET", None), *want, "{sections:?}");
    }
    let m2 = "<RequireAll>\nRequire ip 127.0.0.0/29\nRequire not ip 127.0.0.3\n</RequireAll>";
    let andor = "AuthMerging And\nRequire ip 127.0.0.1\nRequire env GOOD";
    let and2 =
        "AuthMerging And\n<RequireAll>\nRequire all granted\nRequire not env GOOD\n</RequireAll>";
    assert_eq!(
        row(&served(&[m2]), "GET", None),
        [200, 200, 403, 200, 200, 403]
    );
    assert_eq!(
        row(&served(&[m2, andor]), "GET", None),
        [200, 200, 403, 403, 403, 403]
    );
    assert_eq!(
        row(&served(&[m2, andor, and2]), "GET", None),
        [200, 403, 403, 403, 403, 403]
    );
}

#[test]
fn merge_shapes() {
    let base = conf("Require ip 10.0.0.1").unwrap();
    let and = merge(&base, &conf("AuthMerging And\nRequire env X").unwrap());
    let tree = and.authz.unwrap();
    assert_eq!(tree.kind, Kind::All);
    assert_eq!(tree.items.len(), 2);
    assert_eq!(and.merging, Merging::And);
    let or = merge(&base, &conf("AuthMerging Or\nRequire env X").unwrap());
    assert_eq!(or.authz.unwrap().kind, Kind::Any);
    // AuthMerging And/Or over no enclosing tree: just the new one.
    let own = conf("AuthMerging And\nRequire env X").unwrap();
    assert_eq!(merge(&AccessConf::default(), &own).authz, own.authz);
    // Unset with nothing: keeps the enclosing tree; Off with nothing: drops it.
    assert_eq!(merge(&base, &AccessConf::default()).authz, base.authz);
    assert_eq!(merge(&base, &conf("AuthMerging Off").unwrap()).authz, None);
    // AuthType/AuthName inherit unless set; AuthType None is a setting.
    let a = conf(AUTH).unwrap();
    let none = conf("AuthType None").unwrap();
    assert_eq!(
        merge(&a, &AccessConf::default()).auth_type,
        Some(Some("Basic".into()))
    );
    assert_eq!(merge(&a, &none).auth_type, Some(None));
    assert_eq!(merge(&a, &none).auth_name.as_deref(), Some("realm"));
}

#[test]
fn compat_orders_as_served() {
    let lists = "Allow from 127.0.0.2 127.0.0.3\nDeny from 127.0.0.3 127.0.0.4";
    let cases: &[(String, [u16; 6])] = &[
        (
            format!("Order Deny,Allow\n{lists}"),
            [200, 200, 200, 403, 200, 200],
        ),
        (
            format!("Order Allow,Deny\n{lists}"),
            [403, 200, 403, 403, 403, 403],
        ),
        (
            format!("Order Mutual-failure\n{lists}"),
            [403, 200, 403, 403, 403, 403],
        ),
        ("Order Deny,Allow".into(), [200; 6]),
        ("Order Allow,Deny".into(), [403; 6]),
        ("Order mutual-failure".into(), [403; 6]),
        (
            "Order Allow,Deny\nAllow from env=GOOD".into(),
            [403, 200, 200, 403, 403, 403],
        ),
        (
            "Order Allow,Deny\nAllow from env=!GOOD".into(),
            [200, 403, 403, 200, 200, 200],
        ),
        (
            "Order Allow,Deny\nAllow from localhost".into(),
            [200, 403, 403, 403, 403, 403],
        ),
        (
            "Order Allow,Deny\nAllow from 127.0.0.0/255.255.255.252 127.0.1".into(),
            [200, 200, 200, 403, 403, 403],
        ),
        (
            "Order Allow,Deny\nAllow from all\nRequire all denied".into(),
            [403; 6],
        ),
        ("Deny from all\nRequire all granted".into(), [403; 6]),
    ];
    for (src, want) in cases {
        assert_eq!(row(&served(&[src]), "GET", None), *want, "{src}");
    }
}

#[test]
fn compat_is_replaced_not_merged() {
    let parent = "Order Allow,Deny\nAllow from 127.0.0.2";
    assert_eq!(
        row(&served(&[parent]), "GET", None),
        [403, 200, 403, 403, 403, 403]
    );
    // A section with only `Deny from` starts from the defaults (Deny,Allow, nothing allowed).
    assert_eq!(
        row(&served(&[parent, "Deny from 127.0.0.4"]), "GET", None),
        [200, 200, 200, 403, 200, 200]
    );
    assert_eq!(
        row(&served(&[parent, ""]), "GET", None),
        [403, 200, 403, 403, 403, 403]
    );
    // Even `Satisfy All` alone resets Order/Allow/Deny.
    assert_eq!(
        row(&served(&[parent, "Satisfy All"]), "GET", None),
        [200; 6]
    );
}

#[test]
fn satisfy_as_served() {
    let alice = Some(("alice", "apw"));
    let bad = Some(("alice", "bad"));
    let any = with_auth("Order Allow,Deny\nAllow from 127.0.0.2\nRequire valid-user\nSatisfy Any");
    let c = served(&[&any]);
    assert_eq!(row(&c, "GET", None), [401, 200, 401, 401, 401, 401]);
    assert_eq!(row(&c, "GET", alice), [200; 6]);
    assert_eq!(row(&c, "GET", bad), [401, 200, 401, 401, 401, 401]);
    let all = with_auth("Order Allow,Deny\nAllow from 127.0.0.2\nRequire valid-user");
    let c = served(&[&all]);
    assert_eq!(row(&c, "GET", None), [403, 401, 403, 403, 403, 403]);
    assert_eq!(row(&c, "GET", alice), [403, 200, 403, 403, 403, 403]);
    // Satisfy Any with no Allow/Deny: the default Deny,Allow passes everyone.
    let c = served(&[&with_auth("Require valid-user\nSatisfy Any")]);
    assert_eq!(row(&c, "GET", None), [200; 6]);
    assert_eq!(
        row(&served(&["Satisfy Any\nRequire all denied"]), "GET", None),
        [200; 6]
    );
    let c = served(&["Order Allow,Deny\nSatisfy Any\nRequire all denied"]);
    assert_eq!(row(&c, "GET", None), [403; 6]);
    let c = served(&[
        "Order Deny,Allow\nDeny from all\nAllow from 127.0.0.2\nSatisfy Any\nRequire env GOOD",
    ]);
    assert_eq!(row(&c, "GET", None), [403, 200, 200, 403, 403, 403]);
}

#[test]
fn host_need() {
    assert!(!needs_host(&served(&["Require ip 10.0.0.1"])));
    assert!(needs_host(&served(&["Require host example.com"])));
    assert!(needs_host(&served(&[
        "<RequireAll>\nRequire all granted\nRequire not host example.com\n</RequireAll>"
    ])));
    assert!(needs_host(&served(&[
        "Order Allow,Deny\nAllow from example.com"
    ])));
    assert!(!needs_host(&served(&["Order Allow,Deny\nAllow from 10.1"])));
}

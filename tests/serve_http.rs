//! httpd's vhost choice over plain HTTP on real sockets (the spec's base config B, T1-T13):
//! name-based chains, the default vhost, exact IP beating `*`, the main server, Host
//! normalisation, absolute URIs, bad hosts and keep-alive.

mod common;

use common::server::{body_of, fetch, get, raw, start, status_of};

const B: &str = "ServerName main.test
DocumentRoot htdocs/main
Listen 127.0.0.1:{P0}
Listen 127.0.0.2:{P0}
Listen 127.0.0.3:{P0}
Listen 127.0.0.1:{P1}
<VirtualHost *:{P0}>
  ServerName a.test
  ServerAlias www.a.test
  DocumentRoot htdocs/a
</VirtualHost>
<VirtualHost *:{P0}>
  ServerName b.test
  ServerAlias *.wild.test ?.q.test
  DocumentRoot htdocs/b
</VirtualHost>
<VirtualHost 127.0.0.2:{P0}>
  ServerName ip2.test
  DocumentRoot htdocs/ip2
</VirtualHost>
<VirtualHost 127.0.0.3:{P0}>
  ServerName c.test
  DocumentRoot htdocs/c
</VirtualHost>
<VirtualHost 127.0.0.3:{P0}>
  ServerName d.test
  DocumentRoot htdocs/d
</VirtualHost>
<VirtualHost *:{P0}>
  DocumentRoot htdocs/noname
</VirtualHost>
";

const SITES: &[&str] = &["main", "a", "b", "ip2", "c", "d", "noname"];

async fn b() -> common::server::TestServer {
    start(
        B,
        &["127.0.0.1", "127.0.0.2@0", "127.0.0.3@0", "127.0.0.1"],
        "",
        SITES,
    )
    .await
}

#[tokio::test]
async fn name_based_choice_and_default_vhost() {
    let s = b().await;
    let a1 = s.addr("127.0.0.1", 0);
    let body = |r: common::server::Reply| r.text();
    assert_eq!(
        body(get(a1, None, "/", Some("b.test")).await),
        "site=b",
        "T1"
    );
    assert_eq!(
        body(get(a1, None, "/", Some("nowhere.test")).await),
        "site=a",
        "T2: unknown host, first vhost"
    );
    assert_eq!(
        body(get(a1, None, "/", Some("B.TEST.:9999")).await),
        "site=b",
        "T4: case, trailing dot, port"
    );
    assert_eq!(body(get(a1, None, "/", Some("www.a.test")).await), "site=a");
    for (host, site) in [
        ("x.y.wild.test", "b"),
        ("wild.test", "a"),
        ("z.q.test", "b"),
        ("zz.q.test", "a"),
    ] {
        assert_eq!(
            body(get(a1, None, "/", Some(host)).await),
            format!("site={site}"),
            "T5: {host}"
        );
    }
    assert_eq!(
        body(get(a1, None, "/", Some("main.test")).await),
        "site=noname",
        "T12: a nameless *:port vhost takes the main ServerName"
    );
    s.stop().await;
}

#[tokio::test]
async fn exact_ip_beats_star_and_main_server_answers_elsewhere() {
    let s = b().await;
    assert_eq!(
        get(s.addr("127.0.0.2", 0), None, "/", Some("b.test"))
            .await
            .text(),
        "site=ip2",
        "T6"
    );
    assert_eq!(
        get(s.addr("127.0.0.3", 0), None, "/", Some("d.test"))
            .await
            .text(),
        "site=d",
        "T7"
    );
    assert_eq!(
        get(s.addr("127.0.0.3", 0), None, "/", Some("b.test"))
            .await
            .text(),
        "site=c",
        "T7: only the .3 chain is searched"
    );
    assert_eq!(
        get(s.addr("127.0.0.1", 1), None, "/", Some("b.test"))
            .await
            .text(),
        "site=main",
        "T8"
    );
    s.stop().await;
}

#[tokio::test]
async fn missing_and_malformed_hosts() {
    let s = b().await;
    let a1 = s.addr("127.0.0.1", 0);
    let r = raw(a1, None, b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(
        (status_of(&r), body_of(&r)),
        (200, "site=a"),
        "T3: HTTP/1.0 without Host goes to the default vhost"
    );
    assert_eq!(
        status_of(&raw(a1, None, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").await),
        400,
        "T3: HTTP/1.1 needs a host"
    );
    assert_eq!(
        status_of(
            &raw(
                a1,
                None,
                b"GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n"
            )
            .await
        ),
        400,
        "T3: empty Host"
    );
    for host in [
        "b..test",
        "b.test/x",
        "12345",
        "[::1",
        "a b.test",
        "b.test:port",
    ] {
        let req = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        assert_eq!(
            status_of(&raw(a1, None, req.as_bytes()).await),
            400,
            "T10: Host {host}"
        );
    }
    let two = raw(
        a1,
        None,
        b"GET / HTTP/1.1\r\nHost: b.test\r\nHost: b.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&two), 400, "T10: two Host headers");
    let r = raw(
        a1,
        None,
        b"GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        status_of(&r),
        200,
        "a bracketed IPv6 literal is a valid host"
    );
    s.stop().await;
}

#[tokio::test]
async fn absolute_uri_host_wins_and_is_never_proxied() {
    let s = b().await;
    let a1 = s.addr("127.0.0.1", 0);
    let r = raw(
        a1,
        None,
        b"GET http://b.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((status_of(&r), body_of(&r)), (200, "site=b"), "T9");
    let r = raw(
        a1,
        None,
        b"GET http://other.test/ HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        (status_of(&r), body_of(&r)),
        (200, "site=a"),
        "T9: unknown absolute host, default vhost, not proxied"
    );
    s.stop().await;
}

#[tokio::test]
async fn every_keep_alive_request_chooses_again() {
    let s = b().await;
    let replies = fetch(
        s.addr("127.0.0.1", 0),
        None,
        &[
            ("/", Some("a.test")),
            ("/", Some("b.test")),
            ("/", Some("a.test")),
        ],
    )
    .await
    .expect("fetch");
    let bodies: Vec<String> = replies.iter().map(|r| r.text()).collect();
    assert_eq!(bodies, ["site=a", "site=b", "site=a"], "T11");
    s.stop().await;
}

#[tokio::test]
async fn exact_port_beats_star_star_whatever_the_order() {
    let conf = "Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1}
ServerName main.test
<VirtualHost _default_:*>
ServerName catchall.test
DocumentRoot htdocs/catchall
</VirtualHost>
<VirtualHost *:{P0}>
ServerName p85.test
DocumentRoot htdocs/p85
</VirtualHost>
";
    let s = start(conf, &["127.0.0.1", "127.0.0.1"], "", &["catchall", "p85"]).await;
    assert_eq!(
        get(s.addr("127.0.0.1", 0), None, "/", Some("catchall.test"))
            .await
            .text(),
        "site=p85",
        "T13"
    );
    assert_eq!(
        get(s.addr("127.0.0.1", 1), None, "/", Some("p85.test"))
            .await
            .text(),
        "site=catchall",
        "T13"
    );
    s.stop().await;
}

#[tokio::test]
async fn responses_carry_date_and_server() {
    let s = b().await;
    let r = get(s.addr("127.0.0.1", 0), None, "/", Some("a.test")).await;
    assert!(
        r.header("date")
            .is_some_and(|d| httpdate::parse_http_date(&d).is_ok())
    );
    assert!(r.header("server").is_some_and(|v| v.starts_with("vhostd/")));
    s.stop().await;
}

/// h2c follows the connection's default vhost's `Protocols`, as mod_http2 decides it: without
/// the directive it is accepted, with `Protocols h2 http/1.1` (no h2c) it is not.
#[tokio::test]
async fn h2c_follows_protocols() {
    let conf = "Listen 127.0.0.1:{P0}
Listen 127.0.0.1:{P1}
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  DocumentRoot htdocs/a
</VirtualHost>
<VirtualHost 127.0.0.1:{P1}>
  ServerName b.test
  Protocols h2 http/1.1
  DocumentRoot htdocs/b
</VirtualHost>
";
    let s = start(conf, &["127.0.0.1", "127.0.0.1"], "", &["a", "b"]).await;
    let r = common::server::fetch_h2c(s.addr("127.0.0.1", 0), &[("/", Some("a.test"))])
        .await
        .expect("h2c where Protocols is not written");
    assert_eq!(
        (r[0].version, r[0].text()),
        (hyper::Version::HTTP_2, "site=a".to_string())
    );
    let refused = common::server::fetch_h2c(s.addr("127.0.0.1", 1), &[("/", Some("b.test"))]).await;
    assert!(
        refused.is_err(),
        "h2c without h2c in Protocols: {refused:?}"
    );
    assert_eq!(
        get(s.addr("127.0.0.1", 1), None, "/", Some("b.test"))
            .await
            .text(),
        "site=b"
    );
    s.stop().await;
}

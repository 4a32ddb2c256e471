//! The plan's pure choices, without sockets: the chain for a local address (httpd's
//! per-connection step), name lookup within a chain (SNI and Host walks), and the TLS key that
//! decides Host-vs-SNI compatibility.

mod common;

use std::net::SocketAddr;
use vhostd::plan::Plan;

fn plan_of(conf: &str, certs: &str) -> Plan {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("main.conf"), conf).expect("write");
    common::make_certs(dir.path(), certs);
    let checked = common::run_check(dir.path(), "main.conf", &[]);
    assert!(checked.ok(), "{}", checked.diags.render(&checked.sources));
    checked.plan
}

fn chosen(plan: &Plan, addr: &str) -> Option<String> {
    let a: SocketAddr = addr.parse().expect("addr");
    plan.chain_for(a)
        .map(|c| plan.vhost(plan.chains[c].default_vhost()).name.clone())
}

const SELECT: &str = "ServerName main.test
Listen 8080
Listen 8081
Listen 8085
<VirtualHost *:8080>
ServerName wild-port.test
</VirtualHost>
<VirtualHost _default_:*>
ServerName any.test
</VirtualHost>
<VirtualHost 127.0.0.2:*>
ServerName ip-any-port.test
</VirtualHost>
<VirtualHost 127.0.0.2:8080>
ServerName ip-exact.test
</VirtualHost>
<VirtualHost [::1]:8080>
ServerName v6.test
</VirtualHost>
";

#[test]
fn exact_ip_and_port_beats_ip_any_port_beats_star_port_beats_star_star() {
    let p = plan_of(SELECT, "");
    assert_eq!(
        chosen(&p, "127.0.0.2:8080").as_deref(),
        Some("ip-exact.test")
    );
    assert_eq!(
        chosen(&p, "127.0.0.2:8081").as_deref(),
        Some("ip-any-port.test")
    );
    assert_eq!(
        chosen(&p, "127.0.0.1:8080").as_deref(),
        Some("wild-port.test")
    );
    assert_eq!(chosen(&p, "127.0.0.1:8085").as_deref(), Some("any.test"));
    assert_eq!(chosen(&p, "[::1]:8080").as_deref(), Some("v6.test"));
    // A dual-stack socket reports IPv4 clients as IPv4-mapped IPv6 addresses.
    assert_eq!(
        chosen(&p, "[::ffff:127.0.0.2]:8080").as_deref(),
        Some("ip-exact.test")
    );
}

#[test]
fn main_server_only_where_no_chain_matches() {
    let p = plan_of(
        "ServerName main.test\nListen 8080\nListen 8081\n<VirtualHost *:8080>\nServerName a.test\n</VirtualHost>\n",
        "",
    );
    assert_eq!(chosen(&p, "127.0.0.1:8081"), None);
    assert!(p.main_reachable());
    assert_eq!(p.main.name, "main.test");
}

#[test]
fn name_walks_follow_file_order_with_wildcards_equal_to_exact_names() {
    let conf = "ServerName main.test
Listen 80
<VirtualHost *:80>
ServerName first.test
</VirtualHost>
<VirtualHost *:80>
ServerName second.test
ServerAlias *.example.test
</VirtualHost>
<VirtualHost *:80>
ServerName www.example.test
ServerAlias ?.q.test
</VirtualHost>
<VirtualHost localhost:80>
ServerName ip.test
</VirtualHost>
";
    let p = plan_of(conf, "");
    let star = &p.chains[p
        .chain_for("10.0.0.1:80".parse().expect("addr"))
        .expect("chain")];
    let names = &star.names;
    let at = |i: Option<usize>| i.map(|i| p.vhost(star.members[i].vhost).name.clone());
    assert_eq!(
        at(names.lookup_host("first.test")).as_deref(),
        Some("first.test")
    );
    // The earlier vhost's wildcard alias wins over the later vhost's exact name.
    assert_eq!(
        at(names.lookup_host("www.example.test")).as_deref(),
        Some("second.test")
    );
    assert_eq!(
        at(names.lookup_host("a.b.example.test")).as_deref(),
        Some("second.test")
    );
    assert_eq!(
        at(names.lookup_host("z.q.test")).as_deref(),
        Some("www.example.test")
    );
    assert_eq!(names.lookup_host("zz.q.test"), None);
    assert_eq!(names.lookup_host("nowhere.test"), None);
    // A <VirtualHost> hostname is the Host walk's last resort, never the SNI walk's.
    let ip = &p.chains[p
        .chain_for("127.0.0.1:80".parse().expect("addr"))
        .expect("chain")];
    assert_eq!(ip.names.lookup_host("localhost"), Some(0));
    assert_eq!(ip.names.lookup_sni("localhost"), None);
}

#[test]
fn tls_keys_equal_exactly_when_certificate_files_and_protocols_match() {
    let conf = "ServerName main.test
Listen 443
<VirtualHost *:443>
ServerName a.test
SSLEngine on
SSLCertificateFile a.crt
SSLCertificateKeyFile a.key
</VirtualHost>
<VirtualHost *:443>
ServerName shared.test
SSLEngine on
</VirtualHost>
<VirtualHost *:443>
ServerName same-files.test
SSLEngine on
SSLCertificateFile a.crt
SSLCertificateKeyFile a.key
</VirtualHost>
<VirtualHost *:443>
ServerName b.test
SSLEngine on
SSLCertificateFile b.crt
SSLCertificateKeyFile b.key
</VirtualHost>
<VirtualHost *:443>
ServerName strict.test
SSLEngine on
SSLCertificateFile a.crt
SSLCertificateKeyFile a.key
SSLProtocol -all +TLSv1.3
</VirtualHost>
";
    let p = plan_of(
        conf,
        "a a.test shared.test same-files.test strict.test\nb b.test\n",
    );
    let chain = &p.chains[0];
    let key = |i: usize| chain.members[i].tls.expect("tls");
    assert_eq!(
        key(0),
        key(1),
        "a vhost without a certificate shares the default's setup"
    );
    assert!(chain.members[1].shares_default && !chain.members[2].shares_default);
    assert_eq!(
        key(0),
        key(2),
        "identical certificate files are one certificate"
    );
    assert_ne!(key(0), key(3));
    assert_ne!(key(0), key(4), "different protocols are a different setup");
    assert_eq!(p.certs.len(), 2);
}

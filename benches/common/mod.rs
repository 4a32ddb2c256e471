//! Generated configurations for the benches: 200 wildcard certificates and N vhosts, half TLS.

#![allow(dead_code)]

use rcgen::{CertificateParams, KeyPair};
use std::fmt::Write as _;
use std::path::Path;

pub const CERTS: usize = 200;

/// Writes 200 wildcard certificates (`*.gN.bench.test`) and their keys.
pub fn make_certs(dir: &Path) {
    for g in 0..CERTS {
        let key = KeyPair::generate().expect("key");
        let params = CertificateParams::new(vec![format!("*.g{g}.bench.test")]).expect("params");
        let cert = params.self_signed(&key).expect("cert");
        std::fs::write(dir.join(format!("g{g}.crt")), cert.pem()).expect("write");
        std::fs::write(dir.join(format!("g{g}.key")), key.serialize_pem()).expect("write");
    }
}

/// A config with `n` vhosts: the first half plain on *:80, the second half TLS on *:443,
/// each TLS vhost using one of the 200 certificates, which covers its names.
pub fn config(n: usize, http: u16, https: u16) -> String {
    let mut c = format!(
        "ServerName bench.test\nListen 127.0.0.1:{http}\nListen 127.0.0.1:{https}\nDocumentRoot www\n"
    );
    for i in 0..n {
        let g = i % CERTS;
        let tls = i >= n / 2;
        let port = if tls { https } else { http };
        let _ = write!(
            c,
            "<VirtualHost *:{port}>\n    ServerName s{i}.g{g}.bench.test\n    ServerAlias w{i}.g{g}.bench.test\n    DocumentRoot www\n"
        );
        if tls {
            let _ = write!(
                c,
                "    SSLEngine on\n    SSLCertificateFile g{g}.crt\n    SSLCertificateKeyFile g{g}.key\n"
            );
        }
        c.push_str("</VirtualHost>\n");
    }
    c
}

//! Takes the model's main server and one `<VirtualHost>` and gives the resolved `Vhost`:
//! the main server's settings merged in as httpd merges them, the name httpd would give a
//! nameless vhost, the addresses with their default port, and the certificate interned.

use super::dirmerge::merge_dir;
use super::names::is_wild;
use super::{CertId, CertSpec, ChainKey, PlanOptions, Vhost, VhostTls};
use crate::config::diag::Diagnostic;
use crate::config::model::{Model, ServerConf, VirtualHost};
use crate::config::source::Spanned;

/// The main server, resolved (httpd's compiled-in default DocumentRoot is `$ServerRoot/htdocs`).
pub fn main_server(
    model: &Model,
    opts: &PlanOptions,
    certs: &mut Vec<CertSpec>,
    diags: &mut Vec<Diagnostic>,
) -> Vhost {
    let conf = &model.main;
    let name = match &conf.server_name {
        Some(n) => n.value.host.to_ascii_lowercase(),
        None => {
            diags.push(
                Diagnostic::global(
                    crate::config::diag::Severity::Note,
                    format!("AH00558: Could not reliably determine the server's fully qualified domain name, using {}. Set the 'ServerName' directive globally to suppress this message", opts.hostname),
                ),
            );
            opts.hostname.clone()
        }
    };
    let mut v = resolve(conf.clone(), name, false, model, certs, diags);
    v.name_span = conf.server_name.as_ref().map(|n| n.span);
    v
}

/// One virtual host, the main server merged in.
pub fn vhost(
    mv: &VirtualHost,
    model: &Model,
    main: &Vhost,
    main_port: Option<u16>,
    certs: &mut Vec<CertSpec>,
    diags: &mut Vec<Diagnostic>,
) -> Vhost {
    let conf = merge(&mv.conf, &model.main);
    let addrs: Vec<ChainKey> = mv
        .addrs
        .iter()
        .map(|a| ChainKey {
            ip: a.value.ip.map(super::canonical_ip),
            port: if a.value.no_port {
                main_port
            } else {
                a.value.port
            },
        })
        .collect();
    let name = match &mv.conf.server_name {
        Some(n) => n.value.host.to_ascii_lowercase(),
        // httpd: a wildcard-address vhost takes the main server's name; others their
        // address's reverse DNS name, for which we use the address itself.
        None => match addrs.first() {
            Some(ChainKey { ip: Some(ip), .. }) => ip.to_string(),
            _ => main.name.clone(),
        },
    };
    let own_cert = !mv.conf.tls.cert_files.is_empty();
    let mut v = resolve(conf, name, own_cert, model, certs, diags);
    v.span = Some(mv.span);
    v.name_span = mv.conf.server_name.as_ref().map(|n| n.span);
    v.addrs = addrs;
    v.addr_names = mv
        .addrs
        .iter()
        .filter_map(|a| a.value.host.clone())
        .collect();
    v.addr_names.dedup();
    v
}

fn resolve(
    conf: ServerConf,
    name: String,
    own_cert: bool,
    model: &Model,
    certs: &mut Vec<CertSpec>,
    diags: &mut Vec<Diagnostic>,
) -> Vhost {
    let (wild_aliases, aliases): (Vec<String>, Vec<String>) = conf
        .aliases
        .iter()
        .map(|a| a.value.clone())
        .partition(|a| is_wild(a));
    let document_root = conf
        .document_root
        .as_ref()
        .map(|d| d.value.clone())
        .unwrap_or_else(|| model.server_root.join("htdocs"));
    let tls = tls_of(&conf, own_cert, certs, diags);
    Vhost {
        span: None,
        name,
        name_span: None,
        aliases,
        wild_aliases,
        addr_names: Vec::new(),
        addrs: Vec::new(),
        document_root,
        tls,
        conf,
    }
}

/// A vhost's TLS settings: `SSLEngine on` (own or inherited) with its certificate interned.
fn tls_of(
    conf: &ServerConf,
    own_cert: bool,
    certs: &mut Vec<CertSpec>,
    diags: &mut Vec<Diagnostic>,
) -> Option<VhostTls> {
    let t = &conf.tls;
    if !t.engine.as_ref().is_some_and(|e| e.value) {
        if let Some(c) = t.cert_files.first()
            && t.engine.is_none()
            && own_cert
        {
            diags.push(Diagnostic::warning(c.span, "SSLCertificateFile is set but SSLEngine is not on, so this certificate is never used")
                    .with_help("add SSLEngine on to the vhost that should speak TLS"));
        }
        return None;
    }
    let cert = t
        .cert_files
        .first()
        .map(|c| intern(c, t.key_files.first(), t.chain_file.as_ref(), certs));
    if t.cert_files.len() > 1 {
        diags.push(
            Diagnostic::warning(
                t.cert_files[1].span,
                "only the first SSLCertificateFile of a vhost is used",
            )
            .with_help(
                "several certificates per vhost (RSA + ECDSA) are not supported yet; keep one",
            ),
        );
    }
    if cert.is_none()
        && let Some(k) = t.key_files.first()
    {
        diags.push(
            Diagnostic::error(k.span, "SSLCertificateKeyFile without SSLCertificateFile")
                .with_help("add the SSLCertificateFile this key belongs to"),
        );
    }
    Some(VhostTls {
        cert,
        protocols: t.protocols.as_ref().map(|p| p.value).unwrap_or_default(),
        handshake: super::Handshake::of(conf),
        strict_sni: t.strict_sni.as_ref().is_some_and(|s| s.value),
    })
}

fn intern(
    cert: &Spanned<std::path::PathBuf>,
    key: Option<&Spanned<std::path::PathBuf>>,
    chain: Option<&Spanned<std::path::PathBuf>>,
    certs: &mut Vec<CertSpec>,
) -> CertId {
    let spec = CertSpec {
        cert_file: cert.value.clone(),
        key_file: key.map(|k| k.value.clone()),
        key_span: key.map(|k| k.span),
        chain_file: chain.map(|c| c.value.clone()),
        span: cert.span,
        managed: None,
    };
    match certs.iter().position(|c| {
        c.cert_file == spec.cert_file
            && c.key_file == spec.key_file
            && c.chain_file == spec.chain_file
    }) {
        Some(i) => i,
        None => {
            certs.push(spec);
            certs.len() - 1
        }
    }
}

/// httpd's merge of a vhost over the main server.
pub fn merge(v: &ServerConf, m: &ServerConf) -> ServerConf {
    let mut out = v.clone();
    out.server_admin = v.server_admin.clone().or_else(|| m.server_admin.clone());
    out.document_root = v.document_root.clone().or_else(|| m.document_root.clone());
    out.dir = merge_dir(&v.dir, &m.dir);
    out.directories = m
        .directories
        .iter()
        .chain(&v.directories)
        .cloned()
        .collect();
    out.locations = m.locations.iter().chain(&v.locations).cloned().collect();
    out.files = m.files.iter().chain(&v.files).cloned().collect();
    out.ifs = m.ifs.iter().chain(&v.ifs).cloned().collect();
    out.set_env_if = m.set_env_if.iter().chain(&v.set_env_if).cloned().collect();
    // mod_rewrite: a vhost neither inherits the main server's rules nor its RewriteEngine
    // (httpd needs RewriteOptions Inherit for that), so `out.rewrite` stays the vhost's own.
    out.protocols = v.protocols.clone().or_else(|| m.protocols.clone());
    out.server_tokens = m.server_tokens.clone();
    // mod_alias: the vhost's aliases are consulted before the main server's.
    out.url_aliases = v
        .url_aliases
        .iter()
        .chain(&m.url_aliases)
        .cloned()
        .collect();
    out.strict_host_check = v
        .strict_host_check
        .clone()
        .or_else(|| m.strict_host_check.clone());

    let (vt, mt) = (&v.tls, &m.tls);
    out.tls.engine = vt.engine.clone().or_else(|| mt.engine.clone());
    if vt.cert_files.is_empty() {
        out.tls.cert_files = mt.cert_files.clone();
        out.tls.key_files = mt.key_files.clone();
        out.tls.chain_file = vt.chain_file.clone().or_else(|| mt.chain_file.clone());
    }
    out.tls.protocols = vt.protocols.clone().or_else(|| mt.protocols.clone());
    out.tls.strict_sni = vt.strict_sni.clone().or_else(|| mt.strict_sni.clone());
    out.tls.cipher_suite = vt.cipher_suite.clone().or_else(|| mt.cipher_suite.clone());
    out.tls.tls13_suites = vt.tls13_suites.clone().or_else(|| mt.tls13_suites.clone());
    out.tls.honor_cipher_order = vt
        .honor_cipher_order
        .clone()
        .or_else(|| mt.honor_cipher_order.clone());
    out.tls.session_tickets = vt
        .session_tickets
        .clone()
        .or_else(|| mt.session_tickets.clone());
    out.tls.proxy_engine = vt.proxy_engine.clone().or_else(|| mt.proxy_engine.clone());
    out.tls.proxy_ca_file = vt
        .proxy_ca_file
        .clone()
        .or_else(|| mt.proxy_ca_file.clone());

    // mod_proxy: the main server's ProxyPass entries come first.
    out.proxy.passes = m
        .proxy
        .passes
        .iter()
        .chain(&v.proxy.passes)
        .cloned()
        .collect();
    out.proxy.reverses = m
        .proxy
        .reverses
        .iter()
        .chain(&v.proxy.reverses)
        .cloned()
        .collect();
    out.proxy.preserve_host = v
        .proxy
        .preserve_host
        .clone()
        .or_else(|| m.proxy.preserve_host.clone());
    out.proxy.add_headers = v
        .proxy
        .add_headers
        .clone()
        .or_else(|| m.proxy.add_headers.clone());
    out.proxy.timeout = v.proxy.timeout.clone().or_else(|| m.proxy.timeout.clone());

    out.log.error_log = v.log.error_log.clone().or_else(|| m.log.error_log.clone());
    out.log.log_level = v.log.log_level.clone().or_else(|| m.log.log_level.clone());
    out.log.formats = m.log.formats.clone();
    out.log.formats.extend(v.log.formats.clone());
    out.log.default_format = v
        .log
        .default_format
        .clone()
        .or_else(|| m.log.default_format.clone());
    // A vhost with its own CustomLog logs only there.
    if v.log.custom_logs.is_empty() {
        out.log.custom_logs = m.log.custom_logs.clone();
    }

    let (vc, mc) = (&v.conn, &m.conn);
    out.conn.keep_alive = vc.keep_alive.clone().or_else(|| mc.keep_alive.clone());
    out.conn.keep_alive_timeout = vc
        .keep_alive_timeout
        .clone()
        .or_else(|| mc.keep_alive_timeout.clone());
    out.conn.max_keep_alive_requests = vc
        .max_keep_alive_requests
        .clone()
        .or_else(|| mc.max_keep_alive_requests.clone());
    out.conn.timeout = vc.timeout.clone().or_else(|| mc.timeout.clone());
    out.conn.limit_request_field_size = vc
        .limit_request_field_size
        .clone()
        .or_else(|| mc.limit_request_field_size.clone());
    out.conn.limit_request_fields = vc
        .limit_request_fields
        .clone()
        .or_else(|| mc.limit_request_fields.clone());
    out.conn.limit_request_line = vc
        .limit_request_line
        .clone()
        .or_else(|| mc.limit_request_line.clone());
    out
}

//! Takes the `Model` and gives the listener plan: sockets to bind, address chains (httpd 2.4's
//! vhost tables: exact IP beats `*:port` beats `*:*`; two or more vhosts make a chain
//! name-based, its first vhost the default), every vhost's settings with the main server's
//! merged in, and per TLS chain the default certificate, the SNI-specific ones and who shares.

pub mod cert_facts;
pub mod coverage;
pub mod dirmerge;
pub mod dump;
pub mod managed;
mod merge;
pub mod names;

use crate::config::diag::Diagnostic;
use crate::config::model::{Listen, Model, Protocols, ServerConf};
use crate::config::source::Span;
use names::NameTable;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub type VhostId = usize;
pub type CertId = usize;
pub type ChainId = usize;

/// One `<VirtualHost>` address after defaults: `ip: None` is `*`, `port: None` is any port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainKey {
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
}

impl ChainKey {
    /// As httpd's `-S` prints it: `ip:port`, `[v6]:port`, `*:port`, `*` for any port.
    pub fn show(&self) -> String {
        let ip = match self.ip {
            Some(IpAddr::V6(v6)) => format!("[{v6}]"),
            Some(IpAddr::V4(v4)) => v4.to_string(),
            None => "*".to_string(),
        };
        match self.port {
            Some(p) => format!("{ip}:{p}"),
            None => format!("{ip}:*"),
        }
    }
}

/// A certificate and key pair as configured (identical files are one certificate).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CertSpec {
    pub cert_file: PathBuf,
    /// `None`: the key is in the certificate file.
    pub key_file: Option<PathBuf>,
    pub key_span: Option<Span>,
    pub chain_file: Option<PathBuf>,
    /// Where the certificate was first named.
    pub span: Span,
    /// The managed domain (index in `plan.md.domains`) whose store files these are.
    pub managed: Option<usize>,
}

/// A vhost's TLS settings, as far as the plan needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VhostTls {
    /// Its own (or inherited from the main server) certificate; `None` shares the chain default.
    pub cert: Option<CertId>,
    pub protocols: Protocols,
    pub handshake: Handshake,
    pub strict_sni: bool,
}

/// The main server or one virtual host, with the main server's settings merged in.
#[derive(Clone, Debug)]
pub struct Vhost {
    /// The `<VirtualHost>` line; `None` for the main server.
    pub span: Option<Span>,
    /// ServerName's host, lowercased, or the fallback httpd would use.
    pub name: String,
    pub name_span: Option<Span>,
    /// Exact aliases and wildcard aliases, as written.
    pub aliases: Vec<String>,
    pub wild_aliases: Vec<String>,
    /// Host names written on the `<VirtualHost>` line (the last-resort match).
    pub addr_names: Vec<String>,
    pub addrs: Vec<ChainKey>,
    pub document_root: PathBuf,
    pub tls: Option<VhostTls>,
    /// Every setting, merged: the vhost's over the main server's.
    pub conf: ServerConf,
}

/// What decides whether a request for one vhost may be served over a handshake made for
/// another (httpd >= 2.4.64, policy "secure"): the same certificate and key files and the same
/// protocols. Equal keys: serve; different keys: 421 Misdirected Request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TlsKey {
    pub cert: CertId,
    pub protocols: Protocols,
    /// Cipher suites, their order, tickets and ALPN (httpd compares cipher strings too).
    pub handshake: Handshake,
}

/// What else shapes a handshake besides certificate and protocol versions, packed so a TLS
/// setup stays a small `Copy` key: the suites as 1-based indices into
/// `ciphers::default_tls12()`/`default_tls13()` (4 bits each, first preferred; 0 means "not
/// written": all, in rustls' order), `SSLHonorCipherOrder`, `SSLSessionTickets off`, and the
/// ALPN list from `Protocols` (2 bits each: 1 h2, 2 http/1.1; 0: h2 and http/1.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Handshake {
    pub tls12: u32,
    pub tls13: u16,
    pub honor_order: bool,
    pub no_tickets: bool,
    pub alpn: u8,
}

impl Handshake {
    fn pack(names: &[&str], table: &[&str]) -> u32 {
        names.iter().rev().fold(0u32, |acc, n| {
            let i = table
                .iter()
                .position(|t| t == n)
                .map_or(0, |i| i as u32 + 1);
            (acc << 4) | i
        })
    }

    fn unpack(mut v: u32, table: &[&'static str]) -> Option<Vec<&'static str>> {
        if v == 0 {
            return None;
        }
        let mut out = Vec::new();
        while v != 0 {
            if let Some(n) = table.get((v & 0xf) as usize - 1) {
                out.push(*n);
            }
            v >>= 4;
        }
        Some(out)
    }

    /// From a vhost's merged settings.
    pub fn of(conf: &ServerConf) -> Handshake {
        let t = &conf.tls;
        let alpn = conf.protocols.as_ref().map_or(0, |p| {
            p.value
                .iter()
                .filter_map(|x| match x.as_str() {
                    "h2" => Some(1u8),
                    "http/1.1" => Some(2u8),
                    _ => None,
                })
                .rev()
                .fold(0u8, |acc, c| (acc << 2) | c)
        });
        Handshake {
            // SSLCipherSuite leaving nothing rustls offers is a configuration error, so a
            // written list always packs to something.
            tls12: t.cipher_suite.as_ref().map_or(0, |c| {
                Self::pack(&c.value, &crate::config::ciphers::default_tls12())
            }),
            tls13: t.tls13_suites.as_ref().map_or(0, |c| {
                Self::pack(&c.value, &crate::config::ciphers::default_tls13()) as u16
            }),
            honor_order: t.honor_cipher_order.as_ref().is_some_and(|h| h.value),
            no_tickets: t.session_tickets.as_ref().is_some_and(|s| !s.value),
            alpn,
        }
    }

    /// The TLS 1.2 suites to offer (rustls names, preferred first); `None`: rustls' defaults.
    pub fn tls12_suites(&self) -> Option<Vec<&'static str>> {
        Self::unpack(self.tls12, &crate::config::ciphers::default_tls12())
    }

    pub fn tls13_suites(&self) -> Option<Vec<&'static str>> {
        Self::unpack(
            u32::from(self.tls13),
            &crate::config::ciphers::default_tls13(),
        )
    }

    /// The ALPN protocols offered, preferred first.
    pub fn alpn(&self) -> Vec<Vec<u8>> {
        if self.alpn == 0 {
            return vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        let mut out = Vec::new();
        let mut v = self.alpn;
        while v != 0 {
            out.push(match v & 3 {
                1 => b"h2".to_vec(),
                _ => b"http/1.1".to_vec(),
            });
            v >>= 2;
        }
        out
    }
}

/// One chain member: the vhost and the TLS setup it has on this chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub vhost: VhostId,
    /// Its certificate and protocols on this chain (`None` on plain chains).
    pub tls: Option<TlsKey>,
    /// It has no certificate of its own and uses the chain's default.
    pub shares_default: bool,
}

impl Member {
    /// The certificate a handshake that picks this vhost presents.
    pub fn cert(&self) -> Option<CertId> {
        self.tls.map(|k| k.cert)
    }
}

/// The vhosts sharing one address: name-based when two or more; the first is the default.
#[derive(Clone, Debug)]
pub struct Chain {
    pub key: ChainKey,
    pub members: Vec<Member>,
    pub tls: bool,
    /// The first vhost's certificate.
    pub default_cert: Option<CertId>,
    pub names: NameTable,
}

impl Chain {
    pub fn is_name_based(&self) -> bool {
        self.members.len() > 1
    }
    pub fn default_vhost(&self) -> VhostId {
        self.members[0].vhost
    }
}

/// A socket to bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    /// `None`: every address (bound as `[::]`, dual stack).
    pub ip: Option<IpAddr>,
    pub port: u16,
    pub protocol: Option<String>,
    pub span: Span,
}

/// The listener plan: everything the runtime, `-t` and `-S` need, as one value.
#[derive(Clone, Debug)]
pub struct Plan {
    pub server_root: PathBuf,
    pub main_file: PathBuf,
    pub listeners: Vec<Listener>,
    pub main: Vhost,
    pub vhosts: Vec<Vhost>,
    /// Specific-IP chains (sorted by address), then wildcard chains (in config order).
    pub chains: Vec<Chain>,
    pub certs: Vec<CertSpec>,
    /// The managed domains (mod_md).
    pub md: managed::MdPlan,
    pub model: Model,
    /// Paths under this directory are shown relative to it.
    pub display_base: Option<PathBuf>,
}

/// What planning needs besides the model.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// The machine's name, used when the main server has no ServerName (as httpd does).
    pub hostname: String,
    /// Paths under this directory are shown relative to it.
    pub display_base: Option<PathBuf>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            hostname: "localhost".to_string(),
            display_base: None,
        }
    }
}

impl Plan {
    /// httpd's per-connection step: the chain for a local address, or `None` for the main server.
    pub fn chain_for(&self, local: SocketAddr) -> Option<ChainId> {
        let ip = canonical_ip(local.ip());
        let port = local.port();
        let find = |want_ip: Option<IpAddr>, want_port: Option<u16>| {
            self.chains
                .iter()
                .position(|c| c.key.ip == want_ip && c.key.port == want_port)
        };
        find(Some(ip), Some(port))
            .or_else(|| find(Some(ip), None))
            .or_else(|| find(None, Some(port)))
            .or_else(|| find(None, None))
    }

    pub fn vhost(&self, id: VhostId) -> &Vhost {
        &self.vhosts[id]
    }

    /// Can some connection end up on the main server (an address no chain covers)?
    pub fn main_reachable(&self) -> bool {
        self.listeners.iter().any(|l| self.listener_reaches_main(l))
    }

    /// Can a connection through this listener end up on the main server?
    pub fn listener_reaches_main(&self, l: &Listener) -> bool {
        match l.ip {
            Some(ip) => self.chain_for(SocketAddr::new(ip, l.port)).is_none(),
            None => !self
                .chains
                .iter()
                .any(|c| c.key.ip.is_none() && c.key.port.is_none_or(|p| p == l.port)),
        }
    }

    /// A path as people should read it.
    pub fn show_path(&self, p: &std::path::Path) -> String {
        crate::config::source::show_path(self.display_base.as_deref(), p)
    }
}

/// IPv4-mapped IPv6 addresses (from a dual-stack socket) compare as IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Builds the plan; errors and warnings about the whole configuration come back with it.
pub fn plan(model: &Model, opts: &PlanOptions) -> (Plan, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut certs: Vec<CertSpec> = Vec::new();
    let main = merge::main_server(model, opts, &mut certs, &mut diags);
    let main_port = model.main.server_name.as_ref().and_then(|n| n.value.port);
    let mut vhosts: Vec<Vhost> = model
        .vhosts
        .iter()
        .map(|v| merge::vhost(v, model, &main, main_port, &mut certs, &mut diags))
        .collect();
    let listeners: Vec<Listener> = model
        .listens
        .iter()
        .map(|l: &Listen| Listener {
            ip: l.ip,
            port: l.port,
            protocol: l.protocol.clone(),
            span: l.span,
        })
        .collect();
    if listeners.is_empty() {
        diags.push(
            Diagnostic::global(
                crate::config::diag::Severity::Error,
                "no Listen directive: the server would have no socket to accept connections on",
            )
            .with_help("add Listen 80 (or Listen 127.0.0.1:8080) to the main configuration"),
        );
    }
    let md = managed::assign(model, &mut vhosts, &listeners, &mut certs, &mut diags);
    let chains = build_chains(&vhosts, &mut diags);
    check_listen_coverage(&vhosts, model, &listeners, &mut diags);
    let plan = Plan {
        server_root: model.server_root.clone(),
        main_file: model.main_file.clone(),
        listeners,
        main,
        vhosts,
        chains,
        certs,
        md,
        model: model.clone(),
        display_base: opts.display_base.clone(),
    };
    (plan, diags)
}

fn build_chains(vhosts: &[Vhost], diags: &mut Vec<Diagnostic>) -> Vec<Chain> {
    // Members per key, in file order; wildcard keys in order of first appearance.
    let mut specific: BTreeMap<ChainKey, Vec<VhostId>> = BTreeMap::new();
    let mut wild: Vec<(ChainKey, Vec<VhostId>)> = Vec::new();
    for (id, v) in vhosts.iter().enumerate() {
        for key in &v.addrs {
            let list = if key.ip.is_some() {
                specific.entry(*key).or_default()
            } else {
                match wild.iter().position(|(k, _)| k == key) {
                    Some(i) => &mut wild[i].1,
                    None => {
                        wild.push((*key, Vec::new()));
                        &mut wild.last_mut().expect("just pushed").1
                    }
                }
            };
            // Vhosts come in file order, so a repeat of this vhost's address is the last entry.
            if list.last() != Some(&id) {
                list.push(id);
            }
        }
    }
    specific
        .into_iter()
        .chain(wild)
        .map(|(key, ids)| make_chain(key, &ids, vhosts, diags))
        .collect()
}

fn make_chain(
    key: ChainKey,
    ids: &[VhostId],
    vhosts: &[Vhost],
    diags: &mut Vec<Diagnostic>,
) -> Chain {
    let first = &vhosts[ids[0]];
    let tls = first.tls.is_some();
    for &id in &ids[1..] {
        let v = &vhosts[id];
        if v.tls.is_some() != tls {
            let (t, p) = if tls { (first, v) } else { (v, first) };
            diags.push(
                Diagnostic::error(
                    p.span.unwrap_or_default(),
                    format!("{} mixes TLS and plain HTTP: vhost {} has SSLEngine on, vhost {} does not", key.show(), t.name, p.name),
                )
                .with_note(t.span.unwrap_or_default(), format!("TLS vhost {}", t.name))
                .with_help("give plain and TLS sites different ports (e.g. *:80 and *:443), or set SSLEngine on in every vhost of this address"),
            );
        }
    }
    let default_cert = if tls {
        first.tls.as_ref().and_then(|t| t.cert)
    } else {
        None
    };
    if tls && default_cert.is_none() {
        diags.push(
            Diagnostic::error(first.span.unwrap_or_default(), format!("vhost {} on {} enables TLS but has no certificate", first.name, key.show()))
                .with_help("add SSLCertificateFile and SSLCertificateKeyFile to this vhost (the first on its address): the others share its certificate"),
        );
    }
    let members: Vec<Member> = ids
        .iter()
        .map(|&id| {
            let vtls = vhosts[id].tls.as_ref();
            let own = vtls.and_then(|t| t.cert);
            let tls_here = tls && vtls.is_some();
            Member {
                vhost: id,
                tls: if tls_here {
                    own.or(default_cert).map(|cert| TlsKey {
                        cert,
                        protocols: vtls.map(|t| t.protocols).unwrap_or_default(),
                        handshake: vtls.map(|t| t.handshake).unwrap_or_default(),
                    })
                } else {
                    None
                },
                shares_default: tls_here && own.is_none(),
            }
        })
        .collect();
    let names = NameTable::new(ids.iter().map(|&id| &vhosts[id]));
    if members.len() > 1 {
        names::report_duplicates(&names, ids, vhosts, &key, diags);
    }
    Chain {
        key,
        members,
        tls,
        default_cert,
        names,
    }
}

/// A vhost address that no Listen serves can never be reached: warn.
fn check_listen_coverage(
    vhosts: &[Vhost],
    model: &Model,
    listeners: &[Listener],
    diags: &mut Vec<Diagnostic>,
) {
    for (v, mv) in vhosts.iter().zip(&model.vhosts) {
        for (key, written) in v.addrs.iter().zip(mv.addrs.iter()) {
            let served = listeners.iter().any(|l| {
                key.port.is_none_or(|p| p == l.port)
                    && (l.ip.is_none()
                        || key.ip.is_none()
                        || l.ip.map(canonical_ip) == key.ip.map(canonical_ip))
            });
            if !served {
                let listen = match key.port {
                    Some(p) => match key.ip {
                        Some(IpAddr::V6(ip)) => format!("Listen [{ip}]:{p}"),
                        Some(ip) => format!("Listen {ip}:{p}"),
                        None => format!("Listen {p}"),
                    },
                    None => "a Listen for this address".to_string(),
                };
                diags.push(
                    Diagnostic::warning(written.span, format!("VirtualHost {} ({}) is not served by any Listen, so it can never be reached", key.show(), v.name))
                        .with_help(format!("add {listen}, or correct the address")),
                );
            }
        }
    }
}

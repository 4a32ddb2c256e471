//! Takes the model's managed domains (mod_md's `MDomain`, `<MDomainSet>`) and the merged
//! vhosts and gives each domain resolved (names, CA, key type, windows, usable challenges,
//! its vhosts, its certificate in the plan's list), with mod_md's checks as diagnostics; the
//! SSL vhosts of a domain get its certificate.

use super::names::glob_match;
use super::{CertId, CertSpec, Listener, Vhost, VhostId};
use crate::config::diag::Diagnostic;
use crate::config::md::{KeySpec, MdSettings, RenewMode, Window};
use crate::config::model::Model;
use crate::config::source::Span;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One managed domain, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Managed {
    /// Its first name, which names it in the store and in `md-status`.
    pub name: String,
    /// Every name its certificate holds (the vhosts' own names joined with `MDMembers auto`).
    pub domains: Vec<String>,
    pub span: Span,
    pub ca: String,
    pub agreement: bool,
    /// `mailto:` addresses for the ACME account.
    pub contacts: Vec<String>,
    pub renew_window: Window,
    pub warn_window: Window,
    pub key: KeySpec,
    /// The challenge types to try, in order, that this configuration can answer.
    pub challenges: Vec<String>,
    pub retry_delay: Duration,
    pub renew_mode: RenewMode,
    pub members_auto: bool,
    pub cert_status: bool,
    /// The vhosts it serves (SSL or not) by ServerName/ServerAlias.
    pub vhosts: Vec<VhostId>,
    /// Its certificate in the plan's list (when some SSL vhost uses it).
    pub cert: Option<CertId>,
    /// A member vhost's own SSLCertificateFile: served until the domain has a certificate
    /// (as with mod_md), instead of the self-signed fallback.
    pub static_cert: Option<CertId>,
}

impl Managed {
    /// The directory of its current certificate in the store.
    pub fn dir(&self, store: &Path) -> PathBuf {
        store.join("domains").join(&self.name)
    }
    /// Will the background work obtain and renew its certificate?
    /// Its certificate is served here (some SSL vhost uses it) and not renewed by hand.
    pub fn driven(&self) -> bool {
        self.renew_mode != RenewMode::Manual && self.cert.is_some()
    }
}

/// Every managed domain and the settings they share.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MdPlan {
    pub domains: Vec<Managed>,
    pub store: PathBuf,
    pub ca_file: Option<PathBuf>,
    pub notify_cmd: Option<Vec<String>>,
    pub check_interval: Duration,
}

/// The file names mod_md gives a certificate and key of this type (`pubcert.pem` for RSA,
/// `pubcert.secp256r1.pem` for an EC key).
pub fn file_names(key: KeySpec) -> (String, String) {
    match key {
        KeySpec::Rsa(_) => ("pubcert.pem".into(), "privkey.pem".into()),
        other => {
            let s = other.tag();
            (format!("pubcert.{s}.pem"), format!("privkey.{s}.pem"))
        }
    }
}

/// Does a vhost answer to `domain` by its ServerName or a ServerAlias (httpd's
/// `ap_matches_request_vhost`)?
fn serves(v: &Vhost, domain: &str) -> bool {
    v.name == domain
        || v.aliases.iter().any(|a| a.eq_ignore_ascii_case(domain))
        || v.wild_aliases
            .iter()
            .any(|w| glob_match(&w.to_ascii_lowercase(), domain))
}

/// Resolves the managed domains and gives their SSL vhosts the managed certificate.
pub fn assign(
    model: &Model,
    vhosts: &mut [Vhost],
    listeners: &[Listener],
    certs: &mut Vec<CertSpec>,
    diags: &mut Vec<Diagnostic>,
) -> MdPlan {
    let md = &model.md;
    let store = md
        .store_dir
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_else(|| model.server_root.join("md"));
    let mut domains: Vec<Managed> = Vec::new();
    let mut first_at: Vec<(String, Span)> = Vec::new();
    for d in &md.domains {
        for n in &d.names {
            if let Some((_, at)) = first_at.iter().find(|(name, _)| *name == n.value) {
                diags.push(
                    Diagnostic::error(
                        n.span,
                        format!(
                            "AH10038: two Managed Domains have an overlap in domain '{}'",
                            n.value
                        ),
                    )
                    .with_note(*at, "first definition")
                    .with_help("a name may belong to one MDomain only: remove it from one of them"),
                );
            } else {
                first_at.push((n.value.clone(), n.span));
            }
        }
        domains.push(resolve(
            &d.settings.over(&md.settings),
            d.names.iter().map(|n| n.value.clone()).collect(),
            d.span,
            listeners,
            &md.port_map,
        ));
    }
    // Which domains some vhost serves (AH10045 is about those no vhost does).
    let mut used = vec![false; domains.len()];
    for (id, v) in vhosts.iter().enumerate() {
        let matching: Vec<usize> = (0..domains.len())
            .filter(|&i| domains[i].domains.iter().any(|d| serves(v, d)))
            .collect();
        for &i in &matching {
            used[i] = true;
        }
        if v.tls.is_none() {
            for i in matching {
                domains[i].vhosts.push(id);
            }
            continue;
        }
        if matching.len() > 1 {
            let names: Vec<&str> = matching.iter().map(|&i| domains[i].name.as_str()).collect();
            diags.push(
                Diagnostic::error(v.span.unwrap_or_default(), format!("AH10042: conflict: {} MDs match to SSL VirtualHost {}, there can at most be one ({})", matching.len(), v.name, names.join(", ")))
                    .with_help("an SSL vhost gets one managed certificate: put all its names in one MDomain"),
            );
            continue;
        }
        let Some(&i) = matching.first() else { continue };
        let m = &mut domains[i];
        m.vhosts.push(id);
        let own: Vec<&String> = std::iter::once(&v.name).chain(&v.aliases).collect();
        for name in own {
            let name = name.to_ascii_lowercase();
            if m.domains.contains(&name) {
                continue;
            }
            if m.members_auto && !first_at.iter().any(|(n, _)| *n == name) {
                m.domains.push(name);
            } else if !m.members_auto {
                diags.push(
                    Diagnostic::warning(v.span.unwrap_or_default(), format!("AH10040: Virtual Host {} matches Managed Domain '{}', but the name/alias {name} itself is not managed. A requested MD certificate will not match ServerName.", v.name, m.name))
                        .with_help(format!("add {name} to the MDomain line, or write MDMembers auto so the vhost's names join it")),
                );
            }
        }
    }
    for (i, m) in domains.iter_mut().enumerate() {
        if !used[i] && m.renew_mode != RenewMode::Always {
            diags.push(
                Diagnostic::warning(m.span, format!("AH10045: No VirtualHost matches Managed Domain {}", m.name))
                    .with_help("give a <VirtualHost> one of its names as ServerName or ServerAlias, or remove the MDomain; it is not renewed while unused"),
            );
        }
        if m.contacts.is_empty() {
            let admin = m.vhosts.iter().find_map(|&v| {
                vhosts[v]
                    .conf
                    .server_admin
                    .as_ref()
                    .map(|a| a.value.clone())
            });
            if let Some(a) = admin.filter(|a| a.contains('@')) {
                m.contacts.push(format!("mailto:{a}"));
            }
        }
        if m.renew_mode == RenewMode::Always && !m.vhosts.iter().any(|&v| vhosts[v].tls.is_some()) {
            diags.push(
                Diagnostic::warning(m.span, format!("Managed Domain {}: MDRenewMode always, but no SSL vhost serves it, so no certificate is obtained", m.name))
                    .with_help("this server obtains certificates for the domains its SSL vhosts serve: give one SSLEngine on and one of the names"),
            );
        }
        let ssl: Vec<VhostId> = m
            .vhosts
            .iter()
            .copied()
            .filter(|&v| vhosts[v].tls.is_some())
            .collect();
        if ssl.is_empty() {
            continue;
        }
        let dir = m.dir(&store);
        let (pubcert, privkey) = file_names(m.key);
        let spec = CertSpec {
            cert_file: dir.join(pubcert),
            key_file: Some(dir.join(privkey)),
            key_span: Some(m.span),
            chain_file: None,
            span: m.span,
            managed: Some(i),
        };
        let cert = certs.len();
        certs.push(spec);
        m.cert = Some(cert);
        for v in ssl {
            let Some(t) = vhosts[v].tls.as_mut() else {
                continue;
            };
            if let Some(own) = t.cert.replace(cert) {
                m.static_cert.get_or_insert(own);
                diags.push(
                    Diagnostic::note(vhosts[v].span.unwrap_or_default(), format!("AH10084: host '{}' is covered by Managed Domain {}, but certificate/key files are already configured for it (SSLCertificateFile)", vhosts[v].name, m.name))
                        .with_help("the configured certificate is served until the managed domain has its own, then the managed one; remove SSLCertificateFile when that is what you want"),
                );
            }
        }
        if !m.agreement {
            diags.push(
                Diagnostic::warning(m.span, format!("Managed Domain {}: the CA's terms of service are not accepted, so no certificate can be obtained", m.name))
                    .with_help("read the CA's terms and write MDCertificateAgreement accepted"),
            );
        }
        if m.challenges.is_empty() && m.driven() {
            diags.push(
                Diagnostic::warning(m.span, format!("Managed Domain {}: none of its challenge types can be answered here", m.name))
                    .with_help("http-01 needs a plain-HTTP Listen on port 80, tls-alpn-01 TLS on port 443 (MDPortMap names the local ports when a firewall maps them)"),
            );
        }
    }
    MdPlan {
        domains,
        store,
        ca_file: md.ca_file.as_ref().map(|c| c.value.clone()),
        notify_cmd: md.notify_cmd.as_ref().map(|c| c.value.clone()),
        check_interval: md
            .check_interval
            .as_ref()
            .map(|c| c.value)
            .unwrap_or(Duration::from_secs(12 * 3600)),
    }
}

/// One domain's settings with mod_md's defaults (key type: ECDSA P-256 here, RSA 2048 in
/// httpd), and the challenge types this configuration's sockets can answer.
fn resolve(
    s: &MdSettings,
    names: Vec<String>,
    span: Span,
    listeners: &[Listener],
    port_map: &[(u16, Option<u16>)],
) -> Managed {
    let local = |external: u16| -> Option<u16> {
        match port_map.iter().find(|(e, _)| *e == external) {
            Some((_, l)) => *l,
            None => Some(external),
        }
    };
    let is_tls = |l: &Listener| match &l.protocol {
        Some(p) => p.eq_ignore_ascii_case("https"),
        None => l.port == 443,
    };
    let http = local(80).is_some_and(|p| listeners.iter().any(|l| l.port == p && !is_tls(l)));
    let tls = local(443).is_some_and(|p| listeners.iter().any(|l| l.port == p && is_tls(l)));
    let wanted: Vec<String> = match &s.challenges {
        Some(c) => c.value.clone(),
        None => crate::config::md::CHALLENGES
            .iter()
            .map(|c| c.to_string())
            .collect(),
    };
    let challenges = wanted
        .into_iter()
        .filter(|c| (c == "http-01" && http) || (c == "tls-alpn-01" && tls))
        .collect();
    Managed {
        name: names[0].clone(),
        domains: names,
        span,
        ca: s
            .ca
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_else(|| crate::config::md::ca_url("letsencrypt")),
        agreement: s.agreement.as_ref().is_some_and(|a| a.value),
        contacts: s
            .contact
            .iter()
            .map(|c| format!("mailto:{}", c.value))
            .collect(),
        renew_window: s
            .renew_window
            .as_ref()
            .map(|w| w.value)
            .unwrap_or(Window::Percent(33)),
        warn_window: s
            .warn_window
            .as_ref()
            .map(|w| w.value)
            .unwrap_or(Window::Percent(10)),
        key: s.keys.as_ref().map(|k| k.value).unwrap_or(KeySpec::P256),
        challenges,
        retry_delay: s
            .retry_delay
            .as_ref()
            .map(|r| r.value)
            .unwrap_or(Duration::from_secs(30)),
        renew_mode: s
            .renew_mode
            .as_ref()
            .map(|r| r.value)
            .unwrap_or(RenewMode::Auto),
        members_auto: s.members_auto.as_ref().is_none_or(|m| m.value),
        cert_status: s.cert_status.as_ref().is_none_or(|c| c.value),
        vhosts: Vec::new(),
        cert: None,
        static_cert: None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::diag::Diagnostic;

    /// A configuration's plan (ServerRoot /srv) and every diagnostic, for tests of the
    /// managed-domain code.
    pub(crate) fn planned(conf: &str) -> (crate::plan::Plan, Vec<Diagnostic>) {
        let loaded = crate::config::loader::load_text(
            Path::new("/srv/main.conf"),
            conf,
            &crate::config::loader::LoadOptions::new("/srv".into()),
        );
        let (model, mut diags) =
            crate::config::build::build(&loaded, Path::new("/srv"), &Default::default());
        let (plan, more) = crate::plan::plan(&model, &Default::default());
        diags.extend(more);
        (plan, diags)
    }

    /// One SSL vhost serving the managed domain a.test.
    pub(crate) const ONE_DOMAIN: &str = "Listen 443\nMDomain a.test\n<VirtualHost *:443>\nServerName a.test\nSSLEngine on\n</VirtualHost>\n";

    fn messages(diags: &[Diagnostic]) -> String {
        diags.iter().map(|d| format!("{d:?}\n")).collect()
    }

    const SITES: &str = "Listen 80\nListen 443\n\
        <VirtualHost *:443>\nServerName a.test\nServerAlias www.a.test extra.a.test\nSSLEngine on\n</VirtualHost>\n\
        <VirtualHost *:443>\nServerName b.test\nServerAlias news.b.test\nSSLEngine on\n</VirtualHost>\n";

    #[test]
    fn settings_take_defaults_globals_and_set_overrides() {
        let (plan, diags) = planned(&format!(
            "MDCertificateAgreement accepted\nMDRenewMode always\nMDWarnWindow 20%\nMDCertificateStatus off\n\
             MDCheckInterval 1h\nMDStoreDir /var/lib/md\nMDomain a.test www.a.test\n\
             <MDomainSet b.test manual>\nMDDriveMode manual\nMDRenewWindow 10d\nMDPrivateKeys secp384r1\nMDRetryDelay 2s\n</MDomainSet>\n{SITES}"
        ));
        let [a, b] = &plan.md.domains[..] else {
            panic!("{:?}", plan.md)
        };
        assert_eq!(plan.md.store, Path::new("/var/lib/md"));
        assert_eq!(plan.md.check_interval, Duration::from_secs(3600));
        assert_eq!(
            (a.renew_mode, a.warn_window, a.cert_status),
            (RenewMode::Always, Window::Percent(20), false)
        );
        assert_eq!(
            (a.key, a.renew_window, a.retry_delay),
            (KeySpec::P256, Window::Percent(33), Duration::from_secs(30))
        );
        assert_eq!(a.ca, "https://acme-v02.api.letsencrypt.org/directory");
        assert_eq!(
            (b.renew_mode, b.renew_window, b.key),
            (
                RenewMode::Manual,
                Window::Before(Duration::from_secs(10 * 86400)),
                KeySpec::P384
            )
        );
        assert_eq!(b.retry_delay, Duration::from_secs(2));
        assert!(a.driven() && !b.driven());
        // MDMembers auto (the default) takes the vhost's other alias in; manual warns.
        assert_eq!(a.domains, ["a.test", "www.a.test", "extra.a.test"]);
        assert_eq!(b.domains, ["b.test"]);
        assert!(messages(&diags).contains("AH10040: Virtual Host b.test matches Managed Domain 'b.test', but the name/alias news.b.test"), "{}", messages(&diags));
        // Each SSL vhost is served with its domain's certificate, named after its key type.
        let cert_a = plan.certs[a.cert.expect("a cert")].cert_file.clone();
        assert_eq!(
            cert_a,
            Path::new("/var/lib/md/domains/a.test/pubcert.secp256r1.pem")
        );
        assert_eq!(plan.vhosts[0].tls.as_ref().and_then(|t| t.cert), a.cert);
        assert_eq!(plan.vhosts[1].tls.as_ref().and_then(|t| t.cert), b.cert);
    }

    #[test]
    fn challenges_follow_the_sockets_and_the_port_map() {
        let challenges = |conf: &str| {
            let (plan, _) = planned(&format!(
                "MDCertificateAgreement accepted\nMDomain a.test\n{conf}\n<VirtualHost *:443>\nServerName a.test\nSSLEngine on\n</VirtualHost>\n"
            ));
            plan.md.domains[0].challenges.clone()
        };
        assert_eq!(
            challenges("Listen 80\nListen 443"),
            ["tls-alpn-01", "http-01"]
        );
        assert_eq!(challenges("Listen 443"), ["tls-alpn-01"]);
        assert_eq!(
            challenges("Listen 80\nListen 443\nMDCAChallenges http-01 tls-alpn-01"),
            ["http-01", "tls-alpn-01"]
        );
        assert_eq!(
            challenges("Listen 8080\nListen 443\nMDPortMap http:8080"),
            ["tls-alpn-01", "http-01"]
        );
        assert_eq!(
            challenges("Listen 80\nListen 443\nMDPortMap 80:- https:8443"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_static_certificate_stands_in_and_contacts_come_from_server_admin() {
        let (plan, diags) = planned(
            "Listen 443\nServerAdmin web@a.test\nMDomain a.test\n<VirtualHost *:443>\nServerName a.test\nSSLEngine on\n\
             SSLCertificateFile /srv/a.crt\nSSLCertificateKeyFile /srv/a.key\n</VirtualHost>\n",
        );
        let m = &plan.md.domains[0];
        assert_eq!(m.contacts, ["mailto:web@a.test"]);
        assert_eq!(m.static_cert, Some(0));
        assert_eq!(plan.vhosts[0].tls.as_ref().and_then(|t| t.cert), m.cert);
        let text = messages(&diags);
        assert!(
            text.contains("AH10084") && text.contains("terms of service are not accepted"),
            "{text}"
        );
    }

    #[test]
    fn a_name_the_stored_certificate_lacks_is_a_note_not_a_warning() {
        let (plan, _) = planned(
            "Listen 443\nMDomain a.test\n<VirtualHost *:443>\nServerName a.test\nServerAlias www.a.test\nSSLEngine on\n</VirtualHost>\n",
        );
        let m = &plan.md.domains[0];
        assert_eq!(m.domains, ["a.test", "www.a.test"]);
        let now = std::time::SystemTime::now();
        let pems = crate::md::keys::fallback(&["a.test".to_string()], m.key, now).expect("pems");
        let mut stored =
            crate::prepare::certs::facts_of_pem(pems.cert.as_bytes(), pems.key.as_bytes())
                .expect("facts");
        stored.fallback = false;
        let mut facts = vec![None; plan.certs.len()];
        facts[m.cert.expect("cert")] = Some(stored);
        let found = crate::plan::coverage::coverage(&plan, &facts);
        let [note] = &found[..] else {
            panic!("{found:?}")
        };
        assert_eq!(note.severity, crate::config::diag::Severity::Note);
        assert!(
            note.message.contains("www.a.test")
                && note
                    .message
                    .contains("not in the certificate stored for managed domain a.test yet"),
            "{note:?}"
        );
    }
}

//! Takes mod_md's directives (`MDomain`, `<MDomainSet>`, `MDCertificateAuthority`, ...) and
//! gives `MdConf` in the model: the managed domains as written and the settings that shape
//! how their certificates are obtained, each with its span.

use super::ast::{Directive, Section};
use super::build::Builder;
use super::diag::Diagnostic;
use super::directives::flag;
use super::lexer::Word;
pub use super::md_model::*;
use super::md_table::{DIRECTIVES, GLOBAL_ONLY};
use super::source::Spanned;
use std::time::Duration;

type R = Result<(), Diagnostic>;

/// The settings being written: the open `<MDomainSet>`'s, else the global ones.
fn settings<'b>(b: &'b mut Builder) -> &'b mut MdSettings {
    match b.md_set {
        Some(i) => &mut b.model.md.domains[i].settings,
        None => &mut b.model.md.settings,
    }
}

fn err(w: &Word, msg: impl Into<String>, help: &str) -> Diagnostic {
    Diagnostic::error(w.span, msg).with_help(help.to_string())
}

type Names = (Vec<Spanned<String>>, Option<Spanned<bool>>, Vec<Diagnostic>);

/// The names of an `MDomain` line; `auto`/`manual` among them are `MDMembers`' values.
fn names_of(args: &[Word]) -> Names {
    let mut names: Vec<Spanned<String>> = Vec::new();
    let mut mode = None;
    let mut diags = Vec::new();
    for a in args {
        let lower = a.text.to_ascii_lowercase();
        match lower.as_str() {
            "auto" if !names.is_empty() => mode = Some(Spanned::new(true, a.span)),
            "manual" if !names.is_empty() => mode = Some(Spanned::new(false, a.span)),
            _ if lower.contains('*') && (!lower.starts_with("*.") || lower[2..].contains('*')) => {
                diags.push(err(a, format!("'{}' is not a domain name a certificate can hold", a.text),
                    "a wildcard may only be a whole first label, as in *.example.org (which also needs dns-01, not supported here)"));
            }
            _ if lower.starts_with("*.") => diags.push(err(a, format!("{}: wildcard names need the dns-01 challenge, which this server does not answer", a.text),
                "list the names themselves (www.example.org shop.example.org), or keep a wildcard certificate bought or obtained elsewhere in SSLCertificateFile")),
            _ if lower.is_empty() || lower.contains('/') || lower.contains(':') => diags.push(err(a, format!("'{}' is not a domain name", a.text), "write host names only, as in MDomain example.org www.example.org")),
            _ if names.iter().any(|n| n.value == lower) => {}
            _ => names.push(Spanned::new(lower, a.span)),
        }
    }
    (names, mode, diags)
}

pub fn mdomain(b: &mut Builder, d: &Directive) -> R {
    let (names, mode, diags) = names_of(&d.args);
    let mut diags = diags.into_iter();
    if let Some(first) = diags.next() {
        diags.for_each(|x| b.warn(x));
        return Err(first);
    }
    if names.is_empty() {
        return Err(
            Diagnostic::error(d.name.span, "MDomain needs at least one domain name")
                .with_help("write MDomain example.org www.example.org"),
        );
    }
    let settings = MdSettings {
        members_auto: mode,
        ..MdSettings::default()
    };
    b.model.md.domains.push(MdDomain {
        names,
        span: d.name.span,
        settings,
    });
    Ok(())
}

impl Builder<'_> {
    /// `<MDomainSet name...>`: one managed domain with its own settings inside.
    pub(super) fn mdomain_set(&mut self, s: &Section) {
        if self.vhost.is_some() || self.section.is_some() || self.md_set.is_some() {
            return self.diags.push(
                Diagnostic::error(s.name.span, "<MDomainSet> belongs at the top of the configuration, outside every other section")
                    .with_help("move it out of the section it is in"),
            );
        }
        let (names, mode, diags) = names_of(&s.args);
        let had_errors = !diags.is_empty();
        self.diags.extend(diags);
        if names.is_empty() {
            if !had_errors {
                self.diags.push(
                    Diagnostic::error(s.name.span, "<MDomainSet> needs at least one domain name")
                        .with_help("write <MDomainSet example.org www.example.org>"),
                );
            }
            return;
        }
        self.model.md.domains.push(MdDomain {
            names,
            span: s.name.span,
            settings: MdSettings {
                members_auto: mode,
                ..MdSettings::default()
            },
        });
        self.md_set = Some(self.model.md.domains.len() - 1);
        for node in &s.children {
            match node {
                super::ast::Node::Directive(d)
                    if d.name.text.to_ascii_lowercase().starts_with("md") =>
                {
                    self.md_directive(d)
                }
                super::ast::Node::Directive(d) => self.diags.push(
                    Diagnostic::error(d.name.span, format!("{} is not allowed in <MDomainSet>", d.name.text))
                        .with_help("only MD... directives belong in <MDomainSet>; put the others in the <VirtualHost>"),
                ),
                super::ast::Node::Section(inner) => self.diags.push(
                    Diagnostic::error(inner.name.span, format!("<{}> is not allowed in <MDomainSet>", inner.name.text))
                        .with_help("move it out of the <MDomainSet>"),
                ),
            }
        }
        self.md_set = None;
    }

    fn md_directive(&mut self, d: &Directive) {
        match DIRECTIVES
            .iter()
            .find(|def| def.name.eq_ignore_ascii_case(&d.name.text))
        {
            Some(def) if def.name == "MDomain" => self.diags.push(
                Diagnostic::error(d.name.span, "MDomain inside <MDomainSet>")
                    .with_help("write the names on the <MDomainSet> line instead"),
            ),
            Some(def) if !GLOBAL_ONLY.contains(&def.name) => self.run_directive(def, d),
            Some(def) => self.diags.push(
                Diagnostic::error(
                    d.name.span,
                    format!(
                        "{} applies to every managed domain and cannot be set inside <MDomainSet>",
                        def.name
                    ),
                )
                .with_help("move it to the top of the configuration"),
            ),
            None => self.run_named(d),
        }
    }
}

pub fn authority(b: &mut Builder, d: &Directive) -> R {
    if d.args.len() > 1 {
        b.warn(Diagnostic::warning(d.args[1].span, "only the first certificate authority is used; mod_md would fall back to the next after repeated failures")
            .with_help("keep one MDCertificateAuthority"));
    }
    let w = &d.args[0];
    let url = ca_url(&w.text);
    if !url.starts_with("https://") && !url.starts_with("http://") {
        return Err(err(
            w,
            format!("'{}' is neither a URL nor a CA mod_md knows", w.text),
            "write the ACME directory URL (https://.../directory) or letsencrypt, letsencrypt-test, buypass",
        ));
    }
    settings(b).ca = Some(Spanned::new(url, w.span));
    Ok(())
}

pub fn agreement(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    // Older mod_md took the terms-of-service URL; either way the terms are accepted.
    let ok = w.text.eq_ignore_ascii_case("accepted") || w.text.starts_with("https://");
    if !ok {
        return Err(err(
            w,
            format!("MDCertificateAgreement takes 'accepted', not '{}'", w.text),
            "write MDCertificateAgreement accepted once you have read the CA's terms of service",
        ));
    }
    settings(b).agreement = Some(Spanned::new(true, w.span));
    Ok(())
}

pub fn contact(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let addr = w.text.strip_prefix("mailto:").unwrap_or(&w.text);
    if !addr.contains('@') {
        return Err(err(
            w,
            format!("'{}' is not an email address", w.text),
            "write MDContactEmail admin@example.org",
        ));
    }
    settings(b).contact = Some(Spanned::new(addr.to_string(), w.span));
    Ok(())
}

pub fn store_dir(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    b.model.md.store_dir = Some(p);
    Ok(())
}

pub fn ca_file(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    b.model.md.ca_file = Some(p);
    Ok(())
}

fn window(d: &Directive) -> Result<Spanned<Window>, Diagnostic> {
    let w = &d.args[0];
    parse_window(&w.text)
        .map(|v| Spanned::new(v, w.span))
        .map_err(|e| {
            err(
                w,
                e,
                "for example 33% (of the lifetime) or 30d (before expiry)",
            )
        })
}

pub fn renew_window(b: &mut Builder, d: &Directive) -> R {
    let w = window(d)?;
    settings(b).renew_window = Some(w);
    Ok(())
}

pub fn warn_window(b: &mut Builder, d: &Directive) -> R {
    let w = window(d)?;
    settings(b).warn_window = Some(w);
    Ok(())
}

pub fn retry_delay(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let v = parse_md_duration(&w.text).map_err(|e| err(w, e, "for example MDRetryDelay 5s"))?;
    if v < Duration::from_secs(1) {
        return Err(err(
            w,
            "MDRetryDelay must be at least 1s: the CA would be asked again at once after every failure",
            "for example MDRetryDelay 30s",
        ));
    }
    settings(b).retry_delay = Some(Spanned::new(v, w.span));
    Ok(())
}

pub fn check_interval(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let v = parse_md_duration(&w.text).map_err(|e| err(w, e, "for example MDCheckInterval 12h"))?;
    if v < Duration::from_secs(1) || v > Duration::from_secs(30 * 86400) {
        return Err(err(
            w,
            "MDCheckInterval must be from 1s to 30d",
            "for example MDCheckInterval 12h",
        ));
    }
    b.model.md.check_interval = Some(Spanned::new(v, w.span));
    Ok(())
}

pub fn private_keys(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let help = "write MDPrivateKeys secp256r1, secp384r1 or RSA 2048 (3072, 4096)";
    let spec = match w.text.to_ascii_lowercase().as_str() {
        "secp256r1" | "p-256" | "p256" | "prime256v1" => KeySpec::P256,
        "secp384r1" | "p-384" | "p384" => KeySpec::P384,
        "rsa" => match d.args.get(1).map(|a| a.text.as_str()) {
            None | Some("2048") => KeySpec::Rsa(2048),
            Some("3072") => KeySpec::Rsa(3072),
            Some("4096") => KeySpec::Rsa(4096),
            Some(o) => {
                return Err(err(
                    &d.args[1],
                    format!("RSA keys of {o} bits are not offered"),
                    help,
                ));
            }
        },
        "rsa2048" => KeySpec::Rsa(2048),
        "rsa3072" => KeySpec::Rsa(3072),
        "rsa4096" => KeySpec::Rsa(4096),
        _ => return Err(err(w, format!("unknown key type '{}'", w.text), help)),
    };
    let consumed = if w.text.eq_ignore_ascii_case("rsa") && d.args.len() > 1 {
        2
    } else {
        1
    };
    if let Some(extra) = d.args.get(consumed) {
        b.warn(Diagnostic::warning(extra.span, "only the first key type is used: this server obtains one certificate per managed domain")
            .with_help("keep one key type (ECDSA P-256 is what every current client accepts)"));
    }
    settings(b).keys = Some(Spanned::new(spec, w.span));
    Ok(())
}

pub fn challenges(b: &mut Builder, d: &Directive) -> R {
    let mut list = Vec::new();
    for w in &d.args {
        let lower = w.text.to_ascii_lowercase();
        if CHALLENGES.contains(&lower.as_str()) {
            list.push(lower);
        } else if lower == "dns-01" {
            b.warn(Diagnostic::warning(w.span, "dns-01 is not answered by this server (it needs MDChallengeDns01's script); it is left out")
                .with_help("keep tls-alpn-01 and/or http-01"));
        } else {
            return Err(err(
                w,
                format!("unknown challenge type '{}'", w.text),
                "write MDCAChallenges tls-alpn-01 http-01",
            ));
        }
    }
    if list.is_empty() {
        return Err(Diagnostic::error(
            d.name.span,
            "MDCAChallenges leaves no challenge this server can answer",
        )
        .with_help("write MDCAChallenges tls-alpn-01 http-01"));
    }
    settings(b).challenges = Some(Spanned::new(list, d.name.span));
    Ok(())
}

pub fn renew_mode(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let mode = match w.text.to_ascii_lowercase().as_str() {
        "auto" | "automatic" => RenewMode::Auto,
        "always" => RenewMode::Always,
        "manual" | "stick" => RenewMode::Manual,
        _ => {
            return Err(err(
                w,
                format!("MDRenewMode takes auto, always or manual, not '{}'", w.text),
                "write MDRenewMode auto",
            ));
        }
    };
    settings(b).renew_mode = Some(Spanned::new(mode, w.span));
    Ok(())
}

pub fn cert_status(b: &mut Builder, d: &Directive) -> R {
    let on = flag(d)?;
    settings(b).cert_status = Some(Spanned::new(on, d.args[0].span));
    Ok(())
}

pub fn notify_cmd(b: &mut Builder, d: &Directive) -> R {
    let mut words: Vec<String> = d.args.iter().map(|w| w.text.clone()).collect();
    words[0] = b.path(&d.args[0]).value.to_string_lossy().into_owned();
    b.model.md.notify_cmd = Some(Spanned::new(words, d.name.span));
    Ok(())
}

pub fn port_map(b: &mut Builder, d: &Directive) -> R {
    for w in &d.args {
        let port = |s: &str| match s {
            "http" => Some(80),
            "https" => Some(443),
            n => n.parse::<u16>().ok().filter(|p| *p != 0),
        };
        let parsed = w.text.split_once(':').and_then(|(ext, int)| {
            let ext = port(ext)?;
            let int = if int == "-" { None } else { Some(port(int)?) };
            Some((ext, int))
        });
        match parsed {
            Some(m) => b.model.md.port_map.push(m),
            None => {
                return Err(err(
                    w,
                    format!("'{}' is not a port mapping", w.text),
                    "write external:local, as in MDPortMap http:8080 https:8443 (or 80:- for not reachable)",
                ));
            }
        }
    }
    Ok(())
}

pub fn members(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let auto = match w.text.to_ascii_lowercase().as_str() {
        "auto" => true,
        "manual" => false,
        _ => {
            return Err(err(
                w,
                format!("MDMembers takes auto or manual, not '{}'", w.text),
                "write MDMembers auto",
            ));
        }
    };
    settings(b).members_auto = Some(Spanned::new(auto, w.span));
    Ok(())
}

pub fn must_staple(_b: &mut Builder, d: &Directive) -> R {
    if flag(d)? {
        return Err(err(
            &d.args[0],
            "MDMustStaple on needs OCSP stapling, which this server does not do: browsers would refuse the certificate",
            "write MDMustStaple off, or leave it out",
        ));
    }
    Ok(())
}

pub fn require_https(_b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    if w.text.eq_ignore_ascii_case("off") {
        return Ok(());
    }
    Err(err(
        w,
        format!(
            "MDRequireHttps {} (redirects and HSTS) is not implemented; ignoring it would serve plain HTTP where https was required",
            w.text
        ),
        "write the redirect yourself (Redirect permanent / https://example.org/ in the port 80 vhost) and MDRequireHttps off",
    ))
}

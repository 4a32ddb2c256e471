//! Directive handlers for mod_ssl: SSLEngine, SSLCertificateFile, SSLCertificateKeyFile,
//! SSLCertificateChainFile, SSLProtocol, SSLStrictSNIVHostCheck, SSLProxyEngine,
//! SSLProxyCACertificateFile.

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::directives::flag;
use super::model::Protocols;
use super::source::Spanned;

type R = Result<(), Diagnostic>;

pub fn engine(b: &mut Builder, d: &Directive) -> R {
    let w = &d.args[0];
    let on = match w.text.to_ascii_lowercase().as_str() {
        "on" => true,
        "off" => false,
        "optional" => {
            return Err(Diagnostic::error(w.span, "SSLEngine optional (TLS upgrade, RFC 2817) is not supported")
                .with_help("httpd 2.4.64 removed it too (CVE-2025-49812): use SSLEngine on with a Listen ... https port"));
        }
        _ => {
            return Err(Diagnostic::error(
                w.span,
                format!("Argument must be On, Off, or Optional, not '{}'", w.text),
            )
            .with_help("write SSLEngine on"));
        }
    };
    b.server().tls.engine = Some(Spanned::new(on, w.span));
    Ok(())
}

pub fn cert_file(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    b.server().tls.cert_files.push(p);
    Ok(())
}

pub fn key_file(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    b.server().tls.key_files.push(p);
    Ok(())
}

pub fn chain_file(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    b.warn(Diagnostic::note(d.name.span, "SSLCertificateChainFile is obsolete since httpd 2.4.8")
        .with_help("append the intermediates to the SSLCertificateFile after the server certificate instead"));
    b.server().tls.chain_file = Some(p);
    Ok(())
}

fn protocol_bits(name: &str) -> Option<u8> {
    let n = name.to_ascii_lowercase();
    if n == "all" {
        return Some(Protocols::ALL);
    }
    Protocols::NAMES
        .iter()
        .find(|(_, p)| p.to_ascii_lowercase() == n)
        .map(|(b, _)| *b)
}

pub fn protocol(b: &mut Builder, d: &Directive) -> R {
    let mut set = 0u8;
    let mut any = false;
    for w in &d.args {
        let (sign, name) = match w.text.chars().next() {
            Some(c @ ('+' | '-')) => (Some(c), &w.text[1..]),
            _ => (None, w.text.as_str()),
        };
        if name.eq_ignore_ascii_case("sslv2") {
            if sign == Some('-') {
                continue;
            }
            return Err(
                Diagnostic::error(w.span, "SSLProtocol: SSLv2 is no longer supported")
                    .with_help("remove it; write SSLProtocol -all +TLSv1.2 +TLSv1.3"),
            );
        }
        let Some(bits) = protocol_bits(name) else {
            return Err(Diagnostic::error(w.span, format!("SSLProtocol: Illegal protocol '{name}'"))
                .with_help("protocols are all, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, each with an optional + or -"));
        };
        match sign {
            Some('-') => set &= !bits,
            Some(_) => set |= bits,
            None => {
                if any {
                    b.warn(Diagnostic::warning(w.span, format!("AH02532: SSLProtocol: Protocol '{name}' overrides already set parameter(s). Check if a +/- prefix is missing."))
                        .with_help(format!("write +{name} to add it to the list")));
                }
                set = bits;
            }
        }
        any = true;
        let old = bits & (Protocols::SSLV3 | Protocols::TLSV1 | Protocols::TLSV1_1);
        if sign != Some('-') && old != 0 && !name.eq_ignore_ascii_case("all") {
            b.warn(
                Diagnostic::warning(
                    w.span,
                    format!("{name} is not offered by this server (only TLSv1.2 and TLSv1.3 are)"),
                )
                .with_help("remove it; clients that only speak it are not served"),
            );
        }
    }
    let protocols = Protocols(set);
    if protocols.offered().0 == 0 {
        return Err(Diagnostic::error(
            d.args_span(),
            "SSLProtocol leaves no protocol this server can offer",
        )
        .with_help("enable TLSv1.2 or TLSv1.3, e.g. SSLProtocol -all +TLSv1.2 +TLSv1.3"));
    }
    b.server().tls.protocols = Some(Spanned::new(protocols, d.args_span()));
    Ok(())
}

pub fn strict_sni(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().tls.strict_sni = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn proxy_engine(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().tls.proxy_engine = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn proxy_ca_file(b: &mut Builder, d: &Directive) -> R {
    let p = b.path(&d.args[0]);
    b.server().tls.proxy_ca_file = Some(p);
    Ok(())
}

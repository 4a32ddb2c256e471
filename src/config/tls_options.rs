//! Directive handlers for TLS and protocol choices: SSLCipherSuite (OpenSSL cipher strings
//! mapped onto rustls' suites), SSLHonorCipherOrder, SSLSessionTickets, SSLOptions,
//! SSLUseStapling, and core's Protocols (what ALPN offers).

use super::ast::Directive;
use super::build::Builder;
use super::ciphers;
use super::diag::Diagnostic;
use super::directives::flag;
use super::source::Spanned;

type R = Result<(), Diagnostic>;

pub fn cipher_suite(b: &mut Builder, d: &Directive) -> R {
    let (protocol, spec) = match d.args.as_slice() {
        [spec] => (None, spec),
        [p, spec] => (Some(p), spec),
        _ => {
            return Err(Diagnostic::error(d.args_span(), "SSLCipherSuite takes one or two arguments, Colon-delimited list of permitted SSL Ciphers, optional preceded by protocol identifier ('XXX:...:XXX' - see manual)")
                .with_help("usage: SSLCipherSuite [SSL|TLSv1.3] cipher-spec"));
        }
    };
    let tls13 = match protocol.map(|p| p.text.to_ascii_lowercase()) {
        None => false,
        Some(p) if p == "ssl" => false,
        Some(p) if p == "tlsv1.3" => true,
        Some(_) => {
            let p = protocol.map_or(d.name.span, |p| p.span);
            return Err(Diagnostic::error(p, "protocol not supported")
                .with_help("the protocol identifier is SSL (TLS 1.2 and older) or TLSv1.3"));
        }
    };
    let bad = |e: String| {
        Diagnostic::error(spec.span, format!("SSLCipherSuite: {e}"))
            .with_help("this server offers ECDHE with AES-GCM or ChaCha20-Poly1305 (TLS 1.2) and the three TLS 1.3 suites")
    };
    let (suites, not_offered) = if tls13 {
        ciphers::parse_tls13(&spec.text).map_err(bad)?
    } else {
        let s = ciphers::parse_tls12(&spec.text).map_err(bad)?;
        (s.tls12, s.not_offered)
    };
    if !not_offered.is_empty() {
        b.warn(
            Diagnostic::warning(
                spec.span,
                format!(
                    "SSLCipherSuite selects suites rustls does not implement: {}",
                    not_offered.join(", ")
                ),
            )
            .with_help(format!(
                "offered instead, in this order: {}",
                suites.join(", ")
            )),
        );
    }
    let value = Spanned::new(suites, spec.span);
    let tls = &mut b.server().tls;
    if tls13 {
        tls.tls13_suites = Some(value);
    } else {
        tls.cipher_suite = Some(value);
    }
    Ok(())
}

pub fn honor_cipher_order(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().tls.honor_cipher_order = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn session_tickets(b: &mut Builder, d: &Directive) -> R {
    let v = flag(d)?;
    b.server().tls.session_tickets = Some(Spanned::new(v, d.args[0].span));
    Ok(())
}

pub fn ssl_options(b: &mut Builder, d: &Directive) -> R {
    for w in &d.args {
        let (sign, name) = match w.text.chars().next() {
            Some(c @ ('+' | '-')) => (Some(c), &w.text[1..]),
            _ => (None, w.text.as_str()),
        };
        let enabled = sign != Some('-');
        match name.to_ascii_lowercase().as_str() {
            "stdenvvars" | "exportcertdata" | "compatenvvars" if enabled => b.inert_use(
                &format!("SSLOptions {name}"),
                w.span,
                "it fills CGI variables, and no CGI runs here",
            ),
            "optrenegotiate" if enabled => b.inert_use(
                "SSLOptions OptRenegotiate",
                w.span,
                "renegotiation is never done (rustls has none)",
            ),
            "legacydnstringformat" if enabled => b.inert_use(
                "SSLOptions LegacyDNStringFormat",
                w.span,
                "it only changes CGI variables",
            ),
            // SSLRequireSSL is always strict here, which is what StrictRequire asks for.
            "strictrequire" => {}
            "fakebasicauth" if enabled => {
                return Err(Diagnostic::error(w.span, "SSLOptions FakeBasicAuth is not supported by this server: client certificates are not requested")
                    .with_help("remove it; use AuthType Basic with AuthUserFile"));
            }
            "stdenvvars"
            | "exportcertdata"
            | "compatenvvars"
            | "optrenegotiate"
            | "legacydnstringformat"
            | "fakebasicauth" => {}
            _ => {
                return Err(Diagnostic::error(w.span, format!("SSLOptions: Illegal option '{name}'"))
                    .with_help("options are StdEnvVars, ExportCertData, FakeBasicAuth, StrictRequire, OptRenegotiate, LegacyDNStringFormat"));
            }
        }
    }
    Ok(())
}

pub fn use_stapling(b: &mut Builder, d: &Directive) -> R {
    if flag(d)? {
        b.inert_use(
            "SSLUseStapling",
            d.args[0].span,
            "OCSP stapling is not implemented yet: clients check revocation themselves",
        );
    }
    Ok(())
}

pub fn protocols(b: &mut Builder, d: &Directive) -> R {
    let mut list = Vec::new();
    for w in &d.args {
        let p = w.text.to_ascii_lowercase();
        match p.as_str() {
            "h2" | "h2c" | "http/1.1" => list.push(p),
            // tls-alpn-01 challenges are answered whenever one is pending (mod_md's
            // `Protocols ... acme-tls/1` is accepted, and not needed here).
            "acme-tls/1" => {}
            _ => {
                return Err(
                    Diagnostic::error(w.span, format!("unknown protocol '{}'", w.text))
                        .with_help("protocols are h2, h2c and http/1.1"),
                );
            }
        }
    }
    if !list.iter().any(|p| p == "http/1.1") {
        b.warn(
            Diagnostic::warning(
                d.args_span(),
                "Protocols without http/1.1: HTTP/1.1 requests are still answered",
            )
            .with_help("list http/1.1 as well; this server does not refuse HTTP/1.1 clients"),
        );
    }
    b.server().protocols = Some(Spanned::new(list, d.args_span()));
    Ok(())
}

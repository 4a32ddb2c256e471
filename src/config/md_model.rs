//! mod_md's settings as values: the managed domains as written (`MdConf`, `MdDomain`,
//! `MdSettings` with spans), windows, key types, renewal modes, and the parsing of mod_md's
//! durations and windows; read by `config::md` and resolved by `plan::managed`.

use super::source::{Span, Spanned};
use std::path::PathBuf;
use std::time::Duration;

/// mod_md's settings for every managed domain, or one `<MDomainSet>`'s own.
#[derive(Clone, Debug, Default)]
pub struct MdSettings {
    /// ACME directory URLs (the first is used).
    pub ca: Option<Spanned<String>>,
    pub agreement: Option<Spanned<bool>>,
    pub contact: Option<Spanned<String>>,
    pub renew_window: Option<Spanned<Window>>,
    pub warn_window: Option<Spanned<Window>>,
    pub keys: Option<Spanned<KeySpec>>,
    pub challenges: Option<Spanned<Vec<String>>>,
    pub retry_delay: Option<Spanned<Duration>>,
    pub renew_mode: Option<Spanned<RenewMode>>,
    pub cert_status: Option<Spanned<bool>>,
    /// `MDMembers` (or `auto`/`manual` on the `MDomain` line): whether the names of the SSL
    /// vhosts a domain matches join it (`auto`, the default).
    pub members_auto: Option<Spanned<bool>>,
}

impl MdSettings {
    /// These settings over `base` (a domain's over the global ones).
    pub fn over(&self, base: &MdSettings) -> MdSettings {
        MdSettings {
            ca: self.ca.clone().or_else(|| base.ca.clone()),
            agreement: self.agreement.clone().or_else(|| base.agreement.clone()),
            contact: self.contact.clone().or_else(|| base.contact.clone()),
            renew_window: self
                .renew_window
                .clone()
                .or_else(|| base.renew_window.clone()),
            warn_window: self
                .warn_window
                .clone()
                .or_else(|| base.warn_window.clone()),
            keys: self.keys.clone().or_else(|| base.keys.clone()),
            challenges: self.challenges.clone().or_else(|| base.challenges.clone()),
            retry_delay: self
                .retry_delay
                .clone()
                .or_else(|| base.retry_delay.clone()),
            renew_mode: self.renew_mode.clone().or_else(|| base.renew_mode.clone()),
            cert_status: self
                .cert_status
                .clone()
                .or_else(|| base.cert_status.clone()),
            members_auto: self
                .members_auto
                .clone()
                .or_else(|| base.members_auto.clone()),
        }
    }
}

/// `MDRenewWindow` / `MDWarnWindow`: a share of the lifetime, or a time before expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Percent(u8),
    Before(Duration),
}

impl Window {
    /// How long before `not_after` the window opens, for a certificate living `lifetime`.
    pub fn before_end(self, lifetime: Duration) -> Duration {
        match self {
            Window::Percent(p) => lifetime.mul_f64(f64::from(p) / 100.0),
            Window::Before(d) => d,
        }
    }
    pub fn show(self) -> String {
        match self {
            Window::Percent(p) => format!("{p}%"),
            Window::Before(d) => show_duration(d),
        }
    }
}

/// `30d`, `12h`, `90s` as mod_md writes durations.
pub fn show_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if s >= 86400 && s.is_multiple_of(86400) => format!("{}d", s / 86400),
        _ if s >= 3600 && s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s >= 60 && s.is_multiple_of(60) => format!("{}mi", s / 60),
        _ if d.subsec_millis() != 0 => format!("{}ms", d.as_millis()),
        _ => format!("{s}s"),
    }
}

/// `MDPrivateKeys`: the key type of a domain's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpec {
    Rsa(u32),
    P256,
    P384,
}

impl KeySpec {
    /// mod_md's name for the key type in file names and status (`rsa`, `secp256r1`).
    pub fn tag(self) -> &'static str {
        match self {
            KeySpec::Rsa(_) => "rsa",
            KeySpec::P256 => "secp256r1",
            KeySpec::P384 => "secp384r1",
        }
    }
    pub fn show(self) -> String {
        match self {
            KeySpec::Rsa(bits) => format!("RSA {bits}"),
            KeySpec::P256 => "secp256r1".into(),
            KeySpec::P384 => "secp384r1".into(),
        }
    }
}

/// `MDRenewMode` (and the drive mode written on an `MDomain` line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenewMode {
    Auto,
    Always,
    Manual,
}

impl RenewMode {
    pub fn show(self) -> &'static str {
        match self {
            RenewMode::Auto => "auto",
            RenewMode::Always => "always",
            RenewMode::Manual => "manual",
        }
    }
}

/// One `MDomain` line or `<MDomainSet>` section.
#[derive(Clone, Debug)]
pub struct MdDomain {
    /// The names, lowercased, as written (the first names the domain).
    pub names: Vec<Spanned<String>>,
    pub span: Span,
    /// `<MDomainSet>`'s own settings (empty for an `MDomain` line but its drive mode).
    pub settings: MdSettings,
}

/// Everything mod_md's directives said.
#[derive(Clone, Debug, Default)]
pub struct MdConf {
    pub domains: Vec<MdDomain>,
    pub settings: MdSettings,
    pub store_dir: Option<Spanned<PathBuf>>,
    pub ca_file: Option<Spanned<PathBuf>>,
    pub notify_cmd: Option<Spanned<Vec<String>>>,
    /// `MDPortMap`: external port to the local one (`None`: not reachable).
    pub port_map: Vec<(u16, Option<u16>)>,
    pub check_interval: Option<Spanned<Duration>>,
}

/// Let's Encrypt's and others' directory URLs by the names mod_md knows.
pub fn ca_url(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "letsencrypt" => "https://acme-v02.api.letsencrypt.org/directory".into(),
        "letsencrypt-test" => "https://acme-staging-v02.api.letsencrypt.org/directory".into(),
        "buypass" => "https://api.buypass.com/acme/directory".into(),
        "buypass-test" => "https://api.test4.buypass.no/acme/directory".into(),
        _ => name.to_string(),
    }
}

/// The challenge types this server can answer.
pub const CHALLENGES: &[&str] = &["tls-alpn-01", "http-01"];

/// mod_md's durations: a number with `d`, `h`, `mi`, `s` or `ms` (seconds without one);
/// a window may also be a share of the lifetime, `33%`.
pub fn parse_window(text: &str) -> Result<Window, String> {
    if let Some(p) = text.strip_suffix('%') {
        return match p.parse::<u8>() {
            Ok(n) if n <= 100 => Ok(Window::Percent(n)),
            _ => Err(format!("'{text}' is not a percentage from 0% to 100%")),
        };
    }
    parse_md_duration(text).map(Window::Before)
}

pub fn parse_md_duration(text: &str) -> Result<Duration, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(days) = lower.strip_suffix('d')
        && let Ok(n) = days.parse::<u64>()
    {
        return Ok(Duration::from_secs(n.saturating_mul(86400)));
    }
    super::server::parse_duration(&lower).map_err(|_| {
        format!("'{text}' is not a duration: write a number with d, h, mi, s or ms (30d, 12h)")
    })
}

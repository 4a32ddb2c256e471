//! The configuration model: what the directives said, per main server, virtual host and
//! `<Directory>`/`<Location>` section, with the span of each setting. Built by `build.rs`;
//! turned into the listener plan by `plan::plan`.

use super::source::{Span, Spanned};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The whole configuration.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub server_root: PathBuf,
    pub main_file: PathBuf,
    pub listens: Vec<Listen>,
    pub main: ServerConf,
    pub vhosts: Vec<VirtualHost>,
    pub pid_file: Option<Spanned<PathBuf>>,
    /// `SSLCoverage strict` (ours): a name not covered by the certificate it receives is an
    /// error, so a start or reload that would serve one is refused.
    pub ssl_coverage_strict: Option<Spanned<bool>>,
    pub user: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub graceful_shutdown_timeout: Option<Spanned<Duration>>,
    /// `MaxRequestWorkers` (or its old name `MaxClients`): with `AsyncRequestWorkerFactor`,
    /// the cap on open connections.
    pub max_request_workers: Option<Spanned<u64>>,
    pub async_request_worker_factor: Option<Spanned<u64>>,
    /// `TypesConfig`: the mime.types file read at plan time (none: the built-in table).
    pub types_config: Option<Spanned<PathBuf>>,
    /// `-D` and `Define` names at the end of reading, with values where given.
    pub defines: BTreeMap<String, Option<String>>,
    /// mod_md's directives.
    pub md: super::md::MdConf,
}

/// `Listen [ip:]port [protocol]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    /// `None`: every address.
    pub ip: Option<IpAddr>,
    pub port: u16,
    pub protocol: Option<String>,
    pub span: Span,
}

/// One `<VirtualHost ...>` block.
#[derive(Clone, Debug, Default)]
pub struct VirtualHost {
    pub span: Span,
    pub addrs: Vec<Spanned<VhostAddr>>,
    pub conf: ServerConf,
}

/// One address of a `<VirtualHost>` line (a hostname yields one per address it resolves to).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VhostAddr {
    /// `None`: `*` or `_default_`.
    pub ip: Option<IpAddr>,
    /// `None`: `*` (any port).
    pub port: Option<u16>,
    /// The hostname written on the `<VirtualHost>` line, when one was.
    pub host: Option<String>,
    /// No port was written: the main server's port applies (any, unless ServerName has one).
    pub no_port: bool,
}

/// `ServerName [scheme://]host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerName {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// Settings of the main server or of one virtual host; `None`/empty means "not set here".
#[derive(Clone, Debug, Default)]
pub struct ServerConf {
    pub server_name: Option<Spanned<ServerName>>,
    pub aliases: Vec<Spanned<String>>,
    pub server_admin: Option<Spanned<String>>,
    pub document_root: Option<Spanned<PathBuf>>,
    /// Directory-context directives written at server level.
    pub dir: DirConf,
    pub directories: Vec<DirSection>,
    pub locations: Vec<DirSection>,
    /// `<Files>` and `<FilesMatch>`, in config order (nested ones carry their `<Directory>`).
    pub files: Vec<DirSection>,
    /// `<If>`/`<ElseIf>`/`<Else>`, in config order (merged after every other section).
    pub ifs: Vec<DirSection>,
    pub url_aliases: Vec<AliasRule>,
    pub tls: TlsConf,
    pub proxy: ProxyConf,
    pub log: LogConf,
    pub conn: ConnConf,
    pub strict_host_check: Option<Spanned<bool>>,
    /// `Protocols`: what ALPN offers and h2c allows (`h2`, `h2c`, `http/1.1`).
    pub protocols: Option<Spanned<Vec<String>>>,
    /// mod_setenvif, evaluated when the request arrives (before access checks).
    pub set_env_if: Vec<SetEnvIf>,
    /// mod_rewrite at server level.
    pub rewrite: RewriteConf,
    /// `ServerTokens` (main server only; lowercased).
    pub server_tokens: Option<Spanned<String>>,
}

impl ServerConf {
    /// Every directory-context configuration: the server level, then each section.
    pub fn dir_confs(&self) -> impl Iterator<Item = &DirConf> {
        std::iter::once(&self.dir)
            .chain(self.directories.iter().map(|d| &d.conf))
            .chain(self.files.iter().map(|d| &d.conf))
            .chain(self.locations.iter().map(|d| &d.conf))
            .chain(self.ifs.iter().map(|d| &d.conf))
    }
}

/// `SetEnvIf[NoCase] attribute regex [!]env[=value] ...` (BrowserMatch: attribute User-Agent).
#[derive(Clone, Debug)]
pub struct SetEnvIf {
    pub span: Span,
    /// A request header name, or one of httpd's special attributes (Remote_Addr, Request_URI, ...).
    pub attribute: String,
    pub regex: crate::regex::Pattern,
    /// `(name, Some(value))` sets, `(name, None)` with `!` unsets.
    pub sets: Vec<(String, Option<String>)>,
}

/// mod_rewrite's settings of one server.
#[derive(Clone, Debug, Default)]
pub struct RewriteConf {
    pub engine: Option<Spanned<bool>>,
    pub rules: Vec<crate::serve::handlers::rewrite::RewriteRule>,
    /// RewriteCond lines waiting for their RewriteRule.
    pub pending: Vec<Spanned<crate::serve::handlers::rewrite::RewriteCond>>,
}

/// `<Directory path>`, `<Location url>` or `<Files name>`, or their regex forms.
#[derive(Clone, Debug, Default)]
pub struct DirSection {
    pub span: Span,
    /// The path, URL-path or file name (wildcards allowed), or the regex as written.
    pub path: String,
    /// `<DirectoryMatch>`, `<Directory ~>`, `<LocationMatch>`, `<FilesMatch>`...
    pub regex: Option<crate::regex::Pattern>,
    /// A `<Files>` or `<If>` written inside a `<Directory>` applies only under it.
    pub within: Option<Within>,
    /// `<If>` and its kin: the condition.
    pub cond: Option<IfCond>,
    pub conf: DirConf,
}

/// The condition of an `<If>` (`starts_chain`), `<ElseIf>` or `<Else>` (`expr: None`): a
/// section applies when its expression holds and no earlier section of its chain applied.
#[derive(Clone, Debug, Default)]
pub struct IfCond {
    pub expr: Option<crate::access::expr::Expr>,
    pub starts_chain: bool,
}

/// The `<Directory>` a nested `<Files>` sits in.
#[derive(Clone, Debug, Default)]
pub struct Within {
    pub path: String,
    pub regex: Option<crate::regex::Pattern>,
}

/// Directives allowed in directory context.
#[derive(Clone, Debug, Default)]
pub struct DirConf {
    pub directory_index: Option<Spanned<DirectoryIndex>>,
    pub options: Option<Spanned<OptionsSpec>>,
    /// Require, Order/Allow/Deny/Satisfy, AuthType/AuthName, AuthMerging.
    pub access: crate::access::AccessConf,
    pub auth_user_file: Option<Spanned<PathBuf>>,
    pub auth_group_file: Option<Spanned<PathBuf>>,
    /// `SSLRequireSSL`: 403 unless the request came over TLS.
    pub require_ssl: bool,
    /// `Header` and `RequestHeader` lines, in order.
    pub headers: Vec<crate::serve::handlers::headers::HeaderRule>,
    pub request_headers: Vec<crate::serve::handlers::headers::HeaderRule>,
    pub mime: MimeConf,
    /// mod_env: `SetEnv` (`Some`) and `UnsetEnv` (`None`), applied before the response.
    pub env: Vec<(String, Option<String>)>,
    /// `SetHandler`: only `none`/`default-handler` serve; others are refused or warned at
    /// config time.
    pub handler: Option<Spanned<String>>,
    /// `IndexIgnore` wildcards hidden from listings.
    pub index_ignore: Vec<String>,
    /// `ServerSignature` (lowercased: on, off, email), per directory as in httpd's core.
    pub server_signature: Option<Spanned<String>>,
    pub redirects: Vec<Redirect>,
    pub error_documents: BTreeMap<u16, Spanned<ErrorDocument>>,
    /// `ProxyPass` inside `<Location>` (one at most) and server-level entries live in ProxyConf.
    pub proxy_pass: Option<ProxyPass>,
    pub proxy_reverse: Vec<ProxyReverse>,
    pub limit_request_body: Option<Spanned<u64>>,
    /// `MaxRanges`: the most parts a Range may have after merging before the whole file is
    /// sent instead (`none` is 0: Range is ignored; `unlimited` is `usize::MAX`).
    pub max_ranges: Option<Spanned<usize>>,
    /// `Precompressed` (ours): the content codings whose precompressed siblings (`f.br`,
    /// `f.gz`) may be sent for `f`, in the server's order of preference; empty is off.
    pub precompressed: Option<Spanned<Vec<Coding>>>,
    pub allow_override_none: bool,
}

/// A content coding a precompressed sibling file can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coding {
    Br,
    Gzip,
}

impl Coding {
    /// The token in Content-Encoding and Accept-Encoding.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The sibling's suffix: `style.css` is sent as `style.css.gz`.
    pub fn suffix(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Gzip => ".gz",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectoryIndex {
    Disabled,
    Files(Vec<String>),
}

/// mod_mime per-directory settings: extension maps (extensions lowercased, without the dot).
#[derive(Clone, Debug, Default)]
pub struct MimeConf {
    /// `AddType`; an empty type is `RemoveType`'s: the extension has no type here, not even
    /// the TypesConfig one (as httpd 2.4 does).
    pub types: BTreeMap<String, String>,
    pub charsets: BTreeMap<String, String>,
    pub encodings: BTreeMap<String, String>,
    pub remove_types: Vec<String>,
    pub remove_charsets: Vec<String>,
    pub remove_encodings: Vec<String>,
    /// `ForceType`; `Some(None)` is `ForceType None`.
    pub force_type: Option<Option<String>>,
    /// `AddDefaultCharset`: `Some(None)` is Off, `Some(Some(cs))` a charset.
    pub default_charset: Option<Option<String>>,
}

/// The option flags of `Options`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OptFlags(pub u8);

impl OptFlags {
    pub const INDEXES: OptFlags = OptFlags(1);
    pub const FOLLOW_SYMLINKS: OptFlags = OptFlags(2);
    pub const SYMLINKS_IF_OWNER_MATCH: OptFlags = OptFlags(4);
    pub const EXEC_CGI: OptFlags = OptFlags(8);
    pub const INCLUDES: OptFlags = OptFlags(16);
    pub const INCLUDES_NOEXEC: OptFlags = OptFlags(32);
    pub const MULTIVIEWS: OptFlags = OptFlags(64);
    /// httpd's `All`: everything but MultiViews.
    pub const ALL: OptFlags = OptFlags(1 | 2 | 4 | 8 | 16 | 32);

    pub fn contains(self, o: OptFlags) -> bool {
        self.0 & o.0 == o.0
    }
    pub fn union(self, o: OptFlags) -> OptFlags {
        OptFlags(self.0 | o.0)
    }
    pub fn minus(self, o: OptFlags) -> OptFlags {
        OptFlags(self.0 & !o.0)
    }
}

/// What one context's `Options` lines said: a replacement set, or additions and removals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionsSpec {
    pub replace: Option<OptFlags>,
    pub add: OptFlags,
    pub remove: OptFlags,
}

impl OptionsSpec {
    /// The flags in force given the parent context's.
    pub fn apply(&self, parent: OptFlags) -> OptFlags {
        self.replace
            .unwrap_or(parent)
            .union(self.add)
            .minus(self.remove)
    }
}

/// `Alias url-path fs-path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasRule {
    pub span: Span,
    pub url: String,
    pub path: PathBuf,
}

/// `Redirect [status] url-path [URL]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub span: Span,
    /// `RedirectMatch`: `url_path` is this regex as written; `$N` in the target.
    pub regex: Option<crate::regex::Pattern>,
    pub status: u16,
    pub url_path: String,
    pub target: Option<String>,
}

/// `ErrorDocument code target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorDocument {
    LocalPath(String),
    Url(String),
    Text(String),
    Default,
}

/// mod_ssl settings.
#[derive(Clone, Debug, Default)]
pub struct TlsConf {
    pub engine: Option<Spanned<bool>>,
    pub cert_files: Vec<Spanned<PathBuf>>,
    pub key_files: Vec<Spanned<PathBuf>>,
    pub chain_file: Option<Spanned<PathBuf>>,
    pub protocols: Option<Spanned<Protocols>>,
    pub strict_sni: Option<Spanned<bool>>,
    pub proxy_engine: Option<Spanned<bool>>,
    pub proxy_ca_file: Option<Spanned<PathBuf>>,
    /// `SSLCipherSuite` for TLS 1.2 and for TLS 1.3, as rustls suite names in order.
    pub cipher_suite: Option<Spanned<Vec<&'static str>>>,
    pub tls13_suites: Option<Spanned<Vec<&'static str>>>,
    pub honor_cipher_order: Option<Spanned<bool>>,
    pub session_tickets: Option<Spanned<bool>>,
}

/// A set of TLS protocol versions (`SSLProtocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Protocols(pub u8);

impl Protocols {
    pub const SSLV3: u8 = 1;
    pub const TLSV1: u8 = 2;
    pub const TLSV1_1: u8 = 4;
    pub const TLSV1_2: u8 = 8;
    pub const TLSV1_3: u8 = 16;
    pub const ALL: u8 = 1 | 2 | 4 | 8 | 16;
    /// httpd 2.4's default: `all -SSLv3`.
    pub const DEFAULT: Protocols = Protocols(Self::ALL & !Self::SSLV3);
    pub const NAMES: [(u8, &'static str); 5] = [
        (Self::SSLV3, "SSLv3"),
        (Self::TLSV1, "TLSv1"),
        (Self::TLSV1_1, "TLSv1.1"),
        (Self::TLSV1_2, "TLSv1.2"),
        (Self::TLSV1_3, "TLSv1.3"),
    ];

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
    /// The versions this server can offer (rustls: TLS 1.2 and 1.3).
    pub fn offered(self) -> Protocols {
        Protocols(self.0 & (Self::TLSV1_2 | Self::TLSV1_3))
    }
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .filter(|(b, _)| self.has(*b))
            .map(|(_, n)| *n)
            .collect()
    }
}

impl Default for Protocols {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// mod_proxy settings at server level.
#[derive(Clone, Debug, Default)]
pub struct ProxyConf {
    pub passes: Vec<ProxyPass>,
    pub reverses: Vec<ProxyReverse>,
    pub preserve_host: Option<Spanned<bool>>,
    pub add_headers: Option<Spanned<bool>>,
    pub timeout: Option<Spanned<Duration>>,
}

/// `ProxyPass path url|! [key=value ...] [flags]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyPass {
    pub span: Span,
    pub path: String,
    /// `None`: `!`, an exclusion.
    pub target: Option<Upstream>,
    pub params: ProxyParams,
}

/// Worker keys and flags of a ProxyPass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyParams {
    pub timeout: Option<Duration>,
    pub connection_timeout: Option<Duration>,
    pub keepalive: Option<bool>,
    pub max: Option<u32>,
    pub retry: Option<Duration>,
    pub ttl: Option<Duration>,
    pub upgrade: Option<String>,
    pub noquery: bool,
    pub nocanon: bool,
    pub interpolate: bool,
}

/// An upstream URL: `http[s]://host[:port][/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    pub path: String,
}

impl Upstream {
    pub fn default_port(&self) -> u16 {
        if self.scheme == "https" || self.scheme == "wss" {
            443
        } else {
            80
        }
    }
    /// `host[:port]`, the port shown only when not the scheme's default (the Host header).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) if p != self.default_port() => format!("{host}:{p}"),
            _ => host,
        }
    }
    /// `host[:port]` exactly as configured (a default port written out is kept).
    pub fn authority_as_written(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority(), self.path)
    }
}

/// `ProxyPassReverse [path] url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyReverse {
    pub span: Span,
    pub path: String,
    pub url: String,
}

/// Logging settings.
#[derive(Clone, Debug, Default)]
pub struct LogConf {
    pub error_log: Option<Spanned<String>>,
    pub log_level: Option<Spanned<LogLevel>>,
    pub formats: BTreeMap<String, Spanned<String>>,
    /// `LogFormat "fmt"` without a nickname: the default for CustomLog/TransferLog.
    pub default_format: Option<Spanned<String>>,
    pub custom_logs: Vec<CustomLog>,
}

/// httpd's log levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Emerg,
    Alert,
    Crit,
    Error,
    Warn,
    Notice,
    Info,
    Debug,
    Trace(u8),
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emerg" => Level::Emerg,
            "alert" => Level::Alert,
            "crit" => Level::Crit,
            "error" => Level::Error,
            "warn" => Level::Warn,
            "notice" => Level::Notice,
            "info" => Level::Info,
            "debug" => Level::Debug,
            t => {
                let n: u8 = t.strip_prefix("trace")?.parse().ok()?;
                if !(1..=8).contains(&n) {
                    return None;
                }
                Level::Trace(n)
            }
        })
    }
}

/// `LogLevel [module:]level ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLevel {
    pub level: Option<Level>,
    pub modules: BTreeMap<String, Level>,
}

/// `CustomLog target format|nickname [env=[!]var]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomLog {
    pub span: Span,
    pub target: String,
    pub format: String,
    pub condition: Option<String>,
}

/// Connection settings and request limits.
#[derive(Clone, Debug, Default)]
pub struct ConnConf {
    pub keep_alive: Option<Spanned<bool>>,
    pub keep_alive_timeout: Option<Spanned<Duration>>,
    pub max_keep_alive_requests: Option<Spanned<u32>>,
    pub timeout: Option<Spanned<Duration>>,
    pub limit_request_field_size: Option<Spanned<u32>>,
    pub limit_request_fields: Option<Spanned<u32>>,
    pub limit_request_line: Option<Spanned<u32>>,
}

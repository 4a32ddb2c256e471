//! The directive table: one definition per directive (name, arity, contexts, httpd's one-line
//! doc, usage, and the function that checks its value and stores it in the model).

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::{files, listen, log, proxy, server, tls};

/// Where a directive may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx(pub u8);

impl Ctx {
    pub const MAIN: Ctx = Ctx(1);
    pub const VHOST: Ctx = Ctx(2);
    pub const DIRECTORY: Ctx = Ctx(4);
    pub const LOCATION: Ctx = Ctx(8);
    pub const SERVER: Ctx = Ctx(1 | 2);
    pub const DIRS: Ctx = Ctx(4 | 8);
    pub const ALL: Ctx = Ctx(1 | 2 | 4 | 8);
    pub const SERVER_LOC: Ctx = Ctx(1 | 2 | 8);

    pub fn allows(self, here: Ctx) -> bool {
        self.0 & here.0 != 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    One,
    Two,
    OneOrTwo,
    TwoOrThree,
    OneToThree,
    AtLeastOne,
    Flag,
}

pub type Apply = fn(&mut Builder, &Directive) -> Result<(), Diagnostic>;

/// One directive.
pub struct Def {
    pub name: &'static str,
    pub arity: Arity,
    pub ctx: Ctx,
    /// httpd's help text, appended to arity errors as httpd does.
    pub doc: &'static str,
    pub usage: &'static str,
    pub apply: Apply,
}

macro_rules! def {
    ($name:literal, $arity:ident, $ctx:ident, $doc:literal, $usage:literal, $apply:path) => {
        Def {
            name: $name,
            arity: Arity::$arity,
            ctx: Ctx::$ctx,
            doc: $doc,
            usage: $usage,
            apply: $apply,
        }
    };
}

/// Every directive this server reads (besides those the loader handles: Include,
/// IncludeOptional, Define, UnDefine, LoadModule, NameVirtualHost).
pub static DIRECTIVES: &[Def] = &[
    def!(
        "ServerRoot",
        One,
        MAIN,
        "Common directory of server-related files (logs, confs, etc.)",
        "ServerRoot /path",
        server::server_root
    ),
    def!(
        "Listen",
        OneOrTwo,
        MAIN,
        "A port number or a numeric IP address and a port number, and an optional protocol",
        "Listen [ip:]port [http|https]",
        listen::listen
    ),
    def!(
        "ServerName",
        One,
        SERVER,
        "The hostname and port of the server",
        "ServerName host[:port]",
        server::server_name
    ),
    def!(
        "ServerAlias",
        AtLeastOne,
        VHOST,
        "A name or names alternately used to access the server",
        "ServerAlias name [name ...]",
        server::server_alias
    ),
    def!(
        "ServerAdmin",
        One,
        SERVER,
        "The email address of the server administrator",
        "ServerAdmin you@example.com",
        server::server_admin
    ),
    def!(
        "DocumentRoot",
        One,
        SERVER,
        "Root directory of the document tree",
        "DocumentRoot /path/to/site",
        files::document_root
    ),
    def!(
        "DirectoryIndex",
        AtLeastOne,
        ALL,
        "a list of file names to handle directory requests",
        "DirectoryIndex index.html [more ...] | disabled",
        files::directory_index
    ),
    def!(
        "Options",
        AtLeastOne,
        ALL,
        "Set a number of attributes for a given directory",
        "Options [+|-]Indexes [+|-]FollowSymLinks ...",
        files::options
    ),
    def!(
        "AllowOverride",
        AtLeastOne,
        DIRECTORY,
        "Controls what groups of directives can be configured by per-directory config files",
        "AllowOverride None",
        files::allow_override
    ),
    def!(
        "Require",
        AtLeastOne,
        DIRS,
        "Selects which authenticated users or groups may access a protected space",
        "Require all granted | Require all denied",
        files::require
    ),
    def!(
        "Alias",
        Two,
        SERVER,
        "a fakename and a realname",
        "Alias /url-path /filesystem/path",
        files::alias
    ),
    def!(
        "Redirect",
        OneToThree,
        ALL,
        "an optional status, then document to be redirected and destination URL",
        "Redirect [status] /url-path URL",
        files::redirect
    ),
    def!(
        "ErrorDocument",
        Two,
        ALL,
        "Change responses for HTTP errors",
        "ErrorDocument 404 /errors/404.html | \"text\" | http://url",
        files::error_document
    ),
    def!(
        "SSLEngine",
        One,
        SERVER,
        "SSL switch for the protocol engine ('on', 'off')",
        "SSLEngine on|off",
        tls::engine
    ),
    def!(
        "SSLCertificateFile",
        One,
        SERVER,
        "SSL Server Certificate file ('/path/to/file' - PEM or DER encoded)",
        "SSLCertificateFile /path/to/cert.pem",
        tls::cert_file
    ),
    def!(
        "SSLCertificateKeyFile",
        One,
        SERVER,
        "SSL Server Private Key file ('/path/to/file' - PEM or DER encoded)",
        "SSLCertificateKeyFile /path/to/key.pem",
        tls::key_file
    ),
    def!(
        "SSLCertificateChainFile",
        One,
        SERVER,
        "SSL Server CA Certificate Chain file ('/path/to/file' - PEM encoded)",
        "SSLCertificateChainFile /path/to/chain.pem",
        tls::chain_file
    ),
    def!(
        "SSLProtocol",
        AtLeastOne,
        SERVER,
        "Enable or disable various SSL protocols ('[+-][TLSv1|TLSv1.1|TLSv1.2|TLSv1.3] ...' - see manual)",
        "SSLProtocol -all +TLSv1.2 +TLSv1.3",
        tls::protocol
    ),
    def!(
        "SSLStrictSNIVHostCheck",
        Flag,
        SERVER,
        "Strict SNI virtual host checking",
        "SSLStrictSNIVHostCheck on|off",
        tls::strict_sni
    ),
    def!(
        "SSLProxyEngine",
        Flag,
        SERVER,
        "SSL switch for the proxy protocol engine ('on', 'off')",
        "SSLProxyEngine on|off",
        tls::proxy_engine
    ),
    def!(
        "SSLProxyCACertificateFile",
        One,
        SERVER,
        "SSL Proxy: file containing server certificates ('/path/to/file' - PEM encoded)",
        "SSLProxyCACertificateFile /path/to/ca.pem",
        tls::proxy_ca_file
    ),
    def!(
        "ProxyPass",
        AtLeastOne,
        SERVER_LOC,
        "a virtual path and a URL",
        "ProxyPass /path http://backend/ [key=value ...]",
        proxy::proxy_pass
    ),
    def!(
        "ProxyPassReverse",
        OneOrTwo,
        SERVER_LOC,
        "a virtual path and a URL for reverse proxy behaviour",
        "ProxyPassReverse /path http://backend/",
        proxy::proxy_pass_reverse
    ),
    def!(
        "ProxyPreserveHost",
        Flag,
        SERVER,
        "on if we should preserve host header while proxying",
        "ProxyPreserveHost On|Off",
        proxy::preserve_host
    ),
    def!(
        "ProxyAddHeaders",
        Flag,
        ALL,
        "on if X-Forwarded-* headers should be added or completed",
        "ProxyAddHeaders On|Off",
        proxy::add_headers
    ),
    def!(
        "ProxyTimeout",
        One,
        SERVER,
        "Set the timeout (in seconds) for a proxied connection",
        "ProxyTimeout seconds",
        proxy::timeout
    ),
    def!(
        "ErrorLog",
        One,
        SERVER,
        "The filename of the error log",
        "ErrorLog logs/error.log",
        log::error_log
    ),
    def!(
        "LogLevel",
        AtLeastOne,
        SERVER,
        "Level of verbosity in error logging",
        "LogLevel warn [module:level ...]",
        log::log_level
    ),
    def!(
        "LogFormat",
        OneOrTwo,
        SERVER,
        "a log format string (see docs) and an optional format name",
        "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common",
        log::log_format
    ),
    def!(
        "CustomLog",
        TwoOrThree,
        SERVER,
        "a file name, a custom log format string or format name, and an optional \"env=\" or \"expr=\" clause (see docs)",
        "CustomLog logs/access.log combined",
        log::custom_log
    ),
    def!(
        "KeepAlive",
        Flag,
        SERVER,
        "Whether persistent connections should be On or Off",
        "KeepAlive On|Off",
        server::keep_alive
    ),
    def!(
        "KeepAliveTimeout",
        One,
        SERVER,
        "Keep-Alive timeout duration (sec)",
        "KeepAliveTimeout 5",
        server::keep_alive_timeout
    ),
    def!(
        "MaxKeepAliveRequests",
        One,
        SERVER,
        "Maximum number of Keep-Alive requests per connection, or 0 for infinite",
        "MaxKeepAliveRequests 100",
        server::max_keep_alive_requests
    ),
    def!(
        "Timeout",
        One,
        SERVER,
        "Timeout duration (sec)",
        "Timeout 60",
        server::timeout
    ),
    def!(
        "LimitRequestBody",
        One,
        ALL,
        "Limit (in bytes) on maximum size of request message body",
        "LimitRequestBody bytes",
        server::limit_request_body
    ),
    def!(
        "LimitRequestFieldSize",
        One,
        SERVER,
        "Limit on maximum size of an HTTP request header field",
        "LimitRequestFieldSize 8190",
        server::limit_request_field_size
    ),
    def!(
        "LimitRequestFields",
        One,
        SERVER,
        "Limit (0 = unlimited) on max number of header fields in a request message",
        "LimitRequestFields 100",
        server::limit_request_fields
    ),
    def!(
        "LimitRequestLine",
        One,
        SERVER,
        "Limit on maximum size of an HTTP request line",
        "LimitRequestLine 8190",
        server::limit_request_line
    ),
    def!(
        "StrictHostCheck",
        Flag,
        SERVER,
        "Controls whether a hostname match is required",
        "StrictHostCheck On|Off",
        server::strict_host_check
    ),
    def!(
        "GracefulShutdownTimeout",
        One,
        MAIN,
        "Maximum time in seconds to wait for child processes to complete transactions during shutdown",
        "GracefulShutdownTimeout 10",
        server::graceful_shutdown_timeout
    ),
    def!(
        "PidFile",
        One,
        MAIN,
        "A file for logging the server process ID",
        "PidFile logs/httpd.pid",
        server::pid_file
    ),
    def!(
        "User",
        One,
        MAIN,
        "Effective user id for this server",
        "User www-data",
        server::user
    ),
    def!(
        "Group",
        One,
        MAIN,
        "Effective group id for this server",
        "Group www-data",
        server::group
    ),
];

/// Section names this server knows (for did-you-mean).
pub static SECTIONS: &[&str] = &[
    "VirtualHost",
    "Directory",
    "Location",
    "IfModule",
    "IfDefine",
];

/// Names the loader handles before the table is consulted.
static LOADER_NAMES: &[&str] = &[
    "Include",
    "IncludeOptional",
    "Define",
    "UnDefine",
    "LoadModule",
    "NameVirtualHost",
];

pub fn find(name: &str) -> Option<&'static Def> {
    DIRECTIVES
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Every directive name, for did-you-mean.
pub fn names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        DIRECTIVES
            .iter()
            .map(|d| d.name)
            .chain(LOADER_NAMES.iter().copied())
            .collect()
    })
}

/// `On`/`Off` (any case), as httpd's FLAG directives take.
pub fn flag(d: &Directive) -> Result<bool, Diagnostic> {
    let w = &d.args[0];
    match w.text.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(
            Diagnostic::error(w.span, format!("{} must be On or Off", canonical(d)))
                .with_help(format!("write {} On or {} Off", canonical(d), canonical(d))),
        ),
    }
}

/// The directive's name as the table spells it.
pub fn canonical(d: &Directive) -> &'static str {
    find(&d.name.text)
        .map(|def| def.name)
        .unwrap_or("directive")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found_in_any_case() {
        for d in DIRECTIVES {
            assert_eq!(
                DIRECTIVES
                    .iter()
                    .filter(|o| o.name.eq_ignore_ascii_case(d.name))
                    .count(),
                1
            );
            assert!(find(&d.name.to_uppercase()).is_some());
        }
    }
}

//! The directive table: one definition per directive (name, arity, contexts, httpd's one-line
//! doc, usage, and the function that checks its value and stores it in the model).

use super::ast::Directive;
use super::build::Builder;
use super::diag::Diagnostic;
use super::{authcfg, content, files, listen, log, proxy, server, tls, tls_options};

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
    AtLeastTwo,
    Flag,
    /// Not checked (directives accepted without effect, or refused whatever they say).
    Any,
}

pub type Apply = fn(&mut Builder, &Directive) -> Result<(), Diagnostic>;

/// What this server does with a directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// It does what httpd does.
    Honoured,
    /// Accepted with a warning (once per name): it has no effect here, and ignoring it cannot
    /// change who may see what or what is sent. The text says why.
    Inert(&'static str),
    /// Refused with an error: ignoring it would weaken access control or change content.
    /// The text says what is missing.
    Refused(&'static str),
    /// Honoured when every argument is one of these values (case-insensitive), because that
    /// is what this server always does; refused otherwise, for the reason given.
    Fixed(&'static [&'static str], &'static str),
}

/// One directive.
pub struct Def {
    pub name: &'static str,
    /// The httpd module that defines it (`core`, `ssl`, `mpm_common`, ...).
    pub module: &'static str,
    pub arity: Arity,
    pub ctx: Ctx,
    pub tier: Tier,
    /// httpd's help text, appended to arity errors as httpd does.
    pub doc: &'static str,
    pub usage: &'static str,
    pub apply: Apply,
}

macro_rules! def {
    ($name:literal, $module:ident, $arity:ident, $ctx:ident, $doc:literal, $usage:literal, $apply:path) => {
        Def {
            name: $name,
            module: stringify!($module),
            arity: Arity::$arity,
            ctx: Ctx::$ctx,
            tier: Tier::Honoured,
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
        core,
        One,
        MAIN,
        "Common directory of server-related files (logs, confs, etc.)",
        "ServerRoot /path",
        server::server_root
    ),
    def!(
        "Listen",
        mpm_common,
        OneOrTwo,
        MAIN,
        "A port number or a numeric IP address and a port number, and an optional protocol",
        "Listen [ip:]port [http|https]",
        listen::listen
    ),
    def!(
        "ServerName",
        core,
        One,
        SERVER,
        "The hostname and port of the server",
        "ServerName host[:port]",
        server::server_name
    ),
    def!(
        "ServerAlias",
        core,
        AtLeastOne,
        VHOST,
        "A name or names alternately used to access the server",
        "ServerAlias name [name ...]",
        server::server_alias
    ),
    def!(
        "ServerAdmin",
        core,
        One,
        SERVER,
        "The email address of the server administrator",
        "ServerAdmin you@example.com",
        server::server_admin
    ),
    def!(
        "DocumentRoot",
        core,
        One,
        SERVER,
        "Root directory of the document tree",
        "DocumentRoot /path/to/site",
        files::document_root
    ),
    def!(
        "DirectoryIndex",
        dir,
        AtLeastOne,
        ALL,
        "a list of file names to handle directory requests",
        "DirectoryIndex index.html [more ...] | disabled",
        files::directory_index
    ),
    def!(
        "Options",
        core,
        AtLeastOne,
        ALL,
        "Set a number of attributes for a given directory",
        "Options [+|-]Indexes [+|-]FollowSymLinks ...",
        files::options
    ),
    def!(
        "AllowOverride",
        core,
        AtLeastOne,
        DIRECTORY,
        "Controls what groups of directives can be configured by per-directory config files",
        "AllowOverride None",
        files::allow_override
    ),
    def!(
        "Require",
        authz_core,
        AtLeastOne,
        DIRS,
        "Selects which authenticated users or groups may access a protected space",
        "Require [not] all granted|denied | ip ADDR... | host NAME... | local | env VAR... | method M... | valid-user | user NAME... | group NAME... | expr EXPR",
        authcfg::require
    ),
    def!(
        "Alias",
        alias,
        Two,
        SERVER,
        "a fakename and a realname",
        "Alias /url-path /filesystem/path",
        files::alias
    ),
    def!(
        "Redirect",
        alias,
        OneToThree,
        ALL,
        "an optional status, then document to be redirected and destination URL",
        "Redirect [status] /url-path URL",
        files::redirect
    ),
    def!(
        "ErrorDocument",
        core,
        Two,
        ALL,
        "Change responses for HTTP errors",
        "ErrorDocument 404 /errors/404.html | \"text\" | http://url",
        files::error_document
    ),
    def!(
        "SSLEngine",
        ssl,
        One,
        SERVER,
        "SSL switch for the protocol engine ('on', 'off')",
        "SSLEngine on|off",
        tls::engine
    ),
    def!(
        "SSLCertificateFile",
        ssl,
        One,
        SERVER,
        "SSL Server Certificate file ('/path/to/file' - PEM or DER encoded)",
        "SSLCertificateFile /path/to/cert.pem",
        tls::cert_file
    ),
    def!(
        "SSLCertificateKeyFile",
        ssl,
        One,
        SERVER,
        "SSL Server Private Key file ('/path/to/file' - PEM or DER encoded)",
        "SSLCertificateKeyFile /path/to/key.pem",
        tls::key_file
    ),
    def!(
        "SSLCertificateChainFile",
        ssl,
        One,
        SERVER,
        "SSL Server CA Certificate Chain file ('/path/to/file' - PEM encoded)",
        "SSLCertificateChainFile /path/to/chain.pem",
        tls::chain_file
    ),
    def!(
        "SSLProtocol",
        ssl,
        AtLeastOne,
        SERVER,
        "Enable or disable various SSL protocols ('[+-][TLSv1|TLSv1.1|TLSv1.2|TLSv1.3] ...' - see manual)",
        "SSLProtocol -all +TLSv1.2 +TLSv1.3",
        tls::protocol
    ),
    def!(
        "SSLStrictSNIVHostCheck",
        ssl,
        Flag,
        SERVER,
        "Strict SNI virtual host checking",
        "SSLStrictSNIVHostCheck on|off",
        tls::strict_sni
    ),
    def!(
        "SSLProxyEngine",
        ssl,
        Flag,
        SERVER,
        "SSL switch for the proxy protocol engine ('on', 'off')",
        "SSLProxyEngine on|off",
        tls::proxy_engine
    ),
    def!(
        "SSLProxyCACertificateFile",
        ssl,
        One,
        SERVER,
        "SSL Proxy: file containing server certificates ('/path/to/file' - PEM encoded)",
        "SSLProxyCACertificateFile /path/to/ca.pem",
        tls::proxy_ca_file
    ),
    def!(
        "ProxyPass",
        proxy,
        AtLeastOne,
        SERVER_LOC,
        "a virtual path and a URL",
        "ProxyPass /path http://backend/ [key=value ...]",
        proxy::proxy_pass
    ),
    def!(
        "ProxyPassReverse",
        proxy,
        OneOrTwo,
        SERVER_LOC,
        "a virtual path and a URL for reverse proxy behaviour",
        "ProxyPassReverse /path http://backend/",
        proxy::proxy_pass_reverse
    ),
    def!(
        "ProxyPreserveHost",
        proxy,
        Flag,
        SERVER,
        "on if we should preserve host header while proxying",
        "ProxyPreserveHost On|Off",
        proxy::preserve_host
    ),
    def!(
        "ProxyAddHeaders",
        proxy,
        Flag,
        ALL,
        "on if X-Forwarded-* headers should be added or completed",
        "ProxyAddHeaders On|Off",
        proxy::add_headers
    ),
    def!(
        "ProxyTimeout",
        proxy,
        One,
        SERVER,
        "Set the timeout (in seconds) for a proxied connection",
        "ProxyTimeout seconds",
        proxy::timeout
    ),
    def!(
        "ErrorLog",
        core,
        One,
        SERVER,
        "The filename of the error log",
        "ErrorLog logs/error.log",
        log::error_log
    ),
    def!(
        "LogLevel",
        core,
        AtLeastOne,
        SERVER,
        "Level of verbosity in error logging",
        "LogLevel warn [module:level ...]",
        log::log_level
    ),
    def!(
        "LogFormat",
        log_config,
        OneOrTwo,
        SERVER,
        "a log format string (see docs) and an optional format name",
        "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common",
        log::log_format
    ),
    def!(
        "CustomLog",
        log_config,
        TwoOrThree,
        SERVER,
        "a file name, a custom log format string or format name, and an optional \"env=\" or \"expr=\" clause (see docs)",
        "CustomLog logs/access.log combined",
        log::custom_log
    ),
    def!(
        "KeepAlive",
        core,
        Flag,
        SERVER,
        "Whether persistent connections should be On or Off",
        "KeepAlive On|Off",
        server::keep_alive
    ),
    def!(
        "KeepAliveTimeout",
        core,
        One,
        SERVER,
        "Keep-Alive timeout duration (sec)",
        "KeepAliveTimeout 5",
        server::keep_alive_timeout
    ),
    def!(
        "MaxKeepAliveRequests",
        core,
        One,
        SERVER,
        "Maximum number of Keep-Alive requests per connection, or 0 for infinite",
        "MaxKeepAliveRequests 100",
        server::max_keep_alive_requests
    ),
    def!(
        "Timeout",
        core,
        One,
        SERVER,
        "Timeout duration (sec)",
        "Timeout 60",
        server::timeout
    ),
    def!(
        "LimitRequestBody",
        core,
        One,
        ALL,
        "Limit (in bytes) on maximum size of request message body",
        "LimitRequestBody bytes",
        server::limit_request_body
    ),
    def!(
        "MaxRanges",
        core,
        One,
        ALL,
        "Maximum number of Ranges in a request before returning the entire resource, or 0 for unlimited",
        "MaxRanges default|unlimited|none|N",
        server::max_ranges
    ),
    def!(
        "Precompressed",
        vhostd,
        AtLeastOne,
        ALL,
        "Send a file's precompressed sibling (file.br, file.gz) to clients that accept its coding",
        "Precompressed off | Precompressed br gzip",
        server::precompressed
    ),
    def!(
        "LimitRequestFieldSize",
        core,
        One,
        SERVER,
        "Limit on maximum size of an HTTP request header field",
        "LimitRequestFieldSize 8190",
        server::limit_request_field_size
    ),
    def!(
        "LimitRequestFields",
        core,
        One,
        SERVER,
        "Limit (0 = unlimited) on max number of header fields in a request message",
        "LimitRequestFields 100",
        server::limit_request_fields
    ),
    def!(
        "LimitRequestLine",
        core,
        One,
        SERVER,
        "Limit on maximum size of an HTTP request line",
        "LimitRequestLine 8190",
        server::limit_request_line
    ),
    def!(
        "StrictHostCheck",
        core,
        Flag,
        SERVER,
        "Controls whether a hostname match is required",
        "StrictHostCheck On|Off",
        server::strict_host_check
    ),
    def!(
        "GracefulShutdownTimeout",
        mpm_common,
        One,
        MAIN,
        "Maximum time in seconds to wait for child processes to complete transactions during shutdown",
        "GracefulShutdownTimeout 10",
        server::graceful_shutdown_timeout
    ),
    def!(
        "MaxRequestWorkers",
        mpm_common,
        One,
        MAIN,
        "Maximum number of requests served at once; with AsyncRequestWorkerFactor it caps open connections",
        "MaxRequestWorkers 400",
        server::max_request_workers
    ),
    def!(
        "MaxClients",
        mpm_common,
        One,
        MAIN,
        "The old name of MaxRequestWorkers",
        "MaxClients 400",
        server::max_request_workers
    ),
    def!(
        "AsyncRequestWorkerFactor",
        mpm_event,
        One,
        MAIN,
        "How many connections per worker the event MPM keeps open (connections = workers x (factor + 1))",
        "AsyncRequestWorkerFactor 2",
        server::async_request_worker_factor
    ),
    def!(
        "SSLCoverage",
        vhostd,
        One,
        MAIN,
        "warn: a name its certificate does not cover is a warning; strict: an error, so a start or reload that would serve one is refused",
        "SSLCoverage strict",
        server::ssl_coverage
    ),
    def!(
        "PidFile",
        mpm_common,
        One,
        MAIN,
        "A file for logging the server process ID",
        "PidFile logs/httpd.pid",
        server::pid_file
    ),
    def!(
        "User",
        unixd,
        One,
        MAIN,
        "Effective user id for this server",
        "User www-data",
        server::user
    ),
    def!(
        "Group",
        unixd,
        One,
        MAIN,
        "Effective group id for this server",
        "Group www-data",
        server::group
    ),
    def!(
        "Protocols",
        core,
        AtLeastOne,
        SERVER,
        "Controls which protocols are allowed",
        "Protocols h2 http/1.1",
        tls_options::protocols
    ),
    def!(
        "ServerTokens",
        core,
        One,
        MAIN,
        "Tell the clients what kind of server this is: 'Prod', 'Major', 'Minor', 'Min', 'OS' or 'Full'",
        "ServerTokens Prod",
        content::server_tokens
    ),
    def!(
        "ServerSignature",
        core,
        One,
        ALL,
        "En-/disable server signature (on|off|email)",
        "ServerSignature Off",
        content::server_signature
    ),
    def!(
        "Error",
        core,
        AtLeastOne,
        ALL,
        "Generate error message at configuration time",
        "Error \"message\"",
        content::error
    ),
    def!(
        "ForceType",
        core,
        One,
        ALL,
        "a mime type that overrides other configured type",
        "ForceType text/plain | None",
        content::force_type
    ),
    def!(
        "AddDefaultCharset",
        core,
        One,
        ALL,
        "The name of the default charset to add to any Content-Type without one or 'Off' to disable",
        "AddDefaultCharset UTF-8 | Off",
        content::add_default_charset
    ),
    def!(
        "SetHandler",
        core,
        One,
        ALL,
        "a handler name that overrides any other configured handler",
        "SetHandler none",
        content::set_handler
    ),
    def!(
        "AddType",
        mime,
        AtLeastTwo,
        ALL,
        "a mime type followed by one or more file extensions",
        "AddType text/html .shtml",
        content::add_type
    ),
    def!(
        "AddCharset",
        mime,
        AtLeastTwo,
        ALL,
        "a charset (e.g., iso-2022-jp), followed by one or more file extensions",
        "AddCharset UTF-8 .utf8",
        content::add_type
    ),
    def!(
        "AddEncoding",
        mime,
        AtLeastTwo,
        ALL,
        "an encoding (e.g., gzip), followed by one or more file extensions",
        "AddEncoding x-gzip .gz",
        content::add_type
    ),
    def!(
        "RemoveType",
        mime,
        AtLeastOne,
        ALL,
        "one or more file extensions",
        "RemoveType .ext",
        content::remove_type
    ),
    def!(
        "RemoveCharset",
        mime,
        AtLeastOne,
        ALL,
        "one or more file extensions",
        "RemoveCharset .ext",
        content::remove_type
    ),
    def!(
        "RemoveEncoding",
        mime,
        AtLeastOne,
        ALL,
        "one or more file extensions",
        "RemoveEncoding .ext",
        content::remove_type
    ),
    def!(
        "TypesConfig",
        mime,
        One,
        MAIN,
        "the MIME types config file",
        "TypesConfig /etc/mime.types",
        content::types_config
    ),
    def!(
        "AddHandler",
        mime,
        AtLeastTwo,
        ALL,
        "a handler name followed by one or more file extensions",
        "AddHandler type-map var",
        content::add_handler
    ),
    def!(
        "AddOutputFilterByType",
        filter,
        AtLeastTwo,
        ALL,
        "output filter name followed by one or more content-types",
        "AddOutputFilterByType DEFLATE text/html",
        content::add_output_filter_by_type
    ),
    def!(
        "Header",
        headers,
        AtLeastTwo,
        ALL,
        "an optional condition, an action, header and value followed by optional env clause",
        "Header always set Strict-Transport-Security \"max-age=31536000\"",
        content::header
    ),
    def!(
        "RequestHeader",
        headers,
        AtLeastTwo,
        ALL,
        "an action, header and value followed by optional env clause",
        "RequestHeader set X-Forwarded-Proto https",
        content::header
    ),
    def!(
        "SetEnv",
        env,
        OneOrTwo,
        ALL,
        "an environment variable name and optional value to pass to CGI.",
        "SetEnv NAME value",
        content::set_env
    ),
    def!(
        "UnsetEnv",
        env,
        AtLeastOne,
        ALL,
        "a list of variables to remove from the CGI environment.",
        "UnsetEnv NAME",
        content::set_env
    ),
    def!(
        "PassEnv",
        env,
        AtLeastOne,
        ALL,
        "a list of environment variables to pass to CGI.",
        "PassEnv NAME",
        content::set_env
    ),
    def!(
        "SetEnvIf",
        setenvif,
        AtLeastTwo,
        SERVER,
        "A header-name, regex and a list of variables.",
        "SetEnvIf Remote_Addr ^127\\. local",
        content::set_env_if
    ),
    def!(
        "SetEnvIfNoCase",
        setenvif,
        AtLeastTwo,
        SERVER,
        "a header-name, regex and a list of variables.",
        "SetEnvIfNoCase Referer example\\.com internal",
        content::set_env_if
    ),
    def!(
        "BrowserMatch",
        setenvif,
        AtLeastTwo,
        SERVER,
        "A browser regex and a list of variables.",
        "BrowserMatch \"Mozilla/2\" nokeepalive",
        content::set_env_if
    ),
    def!(
        "BrowserMatchNoCase",
        setenvif,
        AtLeastTwo,
        SERVER,
        "A browser regex and a list of variables.",
        "BrowserMatchNoCase bot robot",
        content::set_env_if
    ),
    def!(
        "IndexIgnore",
        autoindex,
        AtLeastOne,
        ALL,
        "one or more file extensions",
        "IndexIgnore .??* *~",
        content::index_ignore
    ),
    def!(
        "RewriteEngine",
        rewrite,
        Flag,
        ALL,
        "On or Off to enable or disable (default) the whole rewriting engine",
        "RewriteEngine On",
        content::rewrite_engine
    ),
    def!(
        "RewriteCond",
        rewrite,
        AtLeastTwo,
        ALL,
        "an input string and a to be applied regexp-pattern",
        "RewriteCond %{SERVER_NAME} =example.com",
        content::rewrite_cond
    ),
    def!(
        "RewriteRule",
        rewrite,
        AtLeastTwo,
        ALL,
        "an URL-applied regexp-pattern and a substitution URL",
        "RewriteRule ^ https://%{SERVER_NAME}%{REQUEST_URI} [END,NE,R=permanent]",
        content::rewrite_rule
    ),
    def!(
        "Order",
        access_compat,
        One,
        DIRS,
        "'allow,deny', 'deny,allow', or 'mutual-failure'",
        "Order Allow,Deny",
        authcfg::order
    ),
    def!(
        "Allow",
        access_compat,
        AtLeastOne,
        DIRS,
        "'from' followed by hostnames or IP-address wildcards",
        "Allow from 127.0.0.1",
        authcfg::allow_deny
    ),
    def!(
        "Deny",
        access_compat,
        AtLeastOne,
        DIRS,
        "'from' followed by hostnames or IP-address wildcards",
        "Deny from all",
        authcfg::allow_deny
    ),
    def!(
        "Satisfy",
        access_compat,
        One,
        DIRS,
        "access policy if both allow and require used ('all' or 'any')",
        "Satisfy Any",
        authcfg::satisfy
    ),
    def!(
        "AuthMerging",
        authz_core,
        One,
        DIRS,
        "Controls how a <Directory>, <Location>, or similar directive's authorization directives are combined with those of its predecessor",
        "AuthMerging And",
        authcfg::auth_merging
    ),
    def!(
        "AuthType",
        authn_core,
        One,
        DIRS,
        "An HTTP authorization type (e.g., \"Basic\")",
        "AuthType Basic",
        authcfg::auth_type
    ),
    def!(
        "AuthName",
        authn_core,
        One,
        DIRS,
        "The authentication realm (e.g. \"Members Only\")",
        "AuthName \"Members Only\"",
        authcfg::auth_name
    ),
    def!(
        "AuthBasicProvider",
        auth_basic,
        AtLeastOne,
        DIRS,
        "specify the auth providers for a directory or location",
        "AuthBasicProvider file",
        authcfg::auth_basic_provider
    ),
    def!(
        "AuthUserFile",
        authn_file,
        One,
        DIRS,
        "text file containing user IDs and passwords",
        "AuthUserFile /etc/apache2/.htpasswd",
        authcfg::auth_user_file
    ),
    def!(
        "AuthGroupFile",
        authz_groupfile,
        One,
        DIRS,
        "text file containing group names and member user IDs",
        "AuthGroupFile /etc/apache2/groups",
        authcfg::auth_user_file
    ),
    def!(
        "SSLRequireSSL",
        ssl,
        Any,
        DIRS,
        "Require the SSL protocol for the per-directory context (no arguments)",
        "SSLRequireSSL",
        authcfg::ssl_require_ssl
    ),
    def!(
        "SSLCipherSuite",
        ssl,
        OneOrTwo,
        SERVER,
        "Colon-delimited list of permitted SSL Ciphers, optional preceded by protocol identifier ('XXX:...:XXX' - see manual)",
        "SSLCipherSuite HIGH:!aNULL",
        tls_options::cipher_suite
    ),
    def!(
        "SSLHonorCipherOrder",
        ssl,
        Flag,
        SERVER,
        "Use the server's cipher ordering preference",
        "SSLHonorCipherOrder on",
        tls_options::honor_cipher_order
    ),
    def!(
        "SSLSessionTickets",
        ssl,
        Flag,
        SERVER,
        "Enable or disable TLS session tickets",
        "SSLSessionTickets off",
        tls_options::session_tickets
    ),
    def!(
        "SSLOptions",
        ssl,
        AtLeastOne,
        ALL,
        "Set one or more options to configure the SSL engine('[+-]option[=value] ...' - see manual)",
        "SSLOptions +StrictRequire",
        tls_options::ssl_options
    ),
    def!(
        "SSLUseStapling",
        ssl,
        Flag,
        SERVER,
        "SSL switch for the OCSP Stapling protocol",
        "SSLUseStapling off",
        tls_options::use_stapling
    ),
    def!(
        "RedirectMatch",
        alias,
        OneToThree,
        ALL,
        "a regular expression and a filename",
        "RedirectMatch 301 ^/old/(.*)$ https://example.com/$1",
        files::redirect
    ),
    def!(
        "RedirectPermanent",
        alias,
        OneOrTwo,
        ALL,
        "a document to be redirected, then the destination URL",
        "RedirectPermanent /old https://example.com/new",
        files::redirect
    ),
    def!(
        "RedirectTemp",
        alias,
        OneOrTwo,
        ALL,
        "a document to be redirected, then the destination URL",
        "RedirectTemp /old https://example.com/new",
        files::redirect
    ),
];

/// Section names this server knows (for did-you-mean).
pub static SECTIONS: &[&str] = &[
    "VirtualHost",
    "Directory",
    "DirectoryMatch",
    "Location",
    "LocationMatch",
    "Files",
    "FilesMatch",
    "RequireAll",
    "RequireAny",
    "RequireNone",
    "IfModule",
    "IfDefine",
    "IfFile",
    "IfDirective",
    "IfSection",
    "IfVersion",
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

/// The registry: the honoured directives above, then the stock modules' others.
pub fn all() -> impl Iterator<Item = &'static Def> {
    DIRECTIVES
        .iter()
        .chain(super::md_table::DIRECTIVES)
        .chain(super::stock::STOCK.iter())
}

pub fn find(name: &str) -> Option<&'static Def> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<String, &'static Def>> =
        std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| all().map(|d| (d.name.to_ascii_lowercase(), d)).collect())
        .get(&name.to_ascii_lowercase())
        .copied()
}

/// Every directive name, for did-you-mean.
pub fn names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        all()
            .map(|d| d.name)
            .chain(LOADER_NAMES.iter().copied())
            .collect()
    })
}

/// What `server -L` prints: every directive of the registry with its module and what this
/// server does with it, by module.
pub fn listing() -> String {
    use std::fmt::Write;
    let mut defs: Vec<&Def> = all().collect();
    defs.sort_by_key(|d| (d.module, d.name.to_ascii_lowercase()));
    let mut out = String::new();
    for name in LOADER_NAMES {
        let _ = writeln!(out, "{name:<34} core            honoured");
    }
    for d in defs {
        let what = match d.tier {
            Tier::Honoured => "honoured".to_string(),
            Tier::Inert(why) => format!("accepted, no effect: {why}"),
            Tier::Refused(why) => format!("refused: {why}"),
            Tier::Fixed(values, why) => {
                format!("honoured as {} only ({why})", values.join(" | "))
            }
        };
        let _ = writeln!(out, "{:<34} {:<15} {what}", d.name, d.module);
    }
    out
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
        for d in all() {
            assert_eq!(
                all()
                    .filter(|o| o.name.eq_ignore_ascii_case(d.name))
                    .count(),
                1
            );
            assert!(find(&d.name.to_uppercase()).is_some());
        }
    }
}

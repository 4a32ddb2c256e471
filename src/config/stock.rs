//! The rest of the registry: every directive of the modules Debian's apache2 package ships that
//! this server does not implement, each either accepted with a warning (it cannot change who
//! sees what or what is sent), accepted only with the value that matches this server's fixed
//! behaviour, or refused; and the list of stock module names `LoadModule` accepts.

use super::directives::{Arity, Ctx, Def, Tier};

/// Modules compiled into Debian's httpd (always loaded, as `apache2 -l` lists them).
pub const COMPILED_IN: &[&str] = &[
    "core",
    "so",
    "watchdog",
    "http",
    "log_config",
    "logio",
    "version",
    "unixd",
];

/// Every module Debian's apache2 package ships as a loadable object.
pub const STOCK_MODULES: &[&str] = &[
    "access_compat",
    "actions",
    "alias",
    "allowmethods",
    "asis",
    "auth_basic",
    "auth_digest",
    "auth_form",
    "authn_anon",
    "authn_core",
    "authn_dbd",
    "authn_dbm",
    "authn_file",
    "authn_socache",
    "authnz_fcgi",
    "authnz_ldap",
    "authz_core",
    "authz_dbd",
    "authz_dbm",
    "authz_groupfile",
    "authz_host",
    "authz_owner",
    "authz_user",
    "autoindex",
    "brotli",
    "bucketeer",
    "buffer",
    "cache",
    "cache_disk",
    "cache_socache",
    "case_filter",
    "case_filter_in",
    "cern_meta",
    "cgi",
    "cgid",
    "charset_lite",
    "data",
    "dav",
    "dav_fs",
    "dav_lock",
    "dbd",
    "deflate",
    "dialup",
    "dir",
    "dumpio",
    "echo",
    "env",
    "expires",
    "ext_filter",
    "file_cache",
    "filter",
    "headers",
    "heartbeat",
    "heartmonitor",
    "http2",
    "ident",
    "imagemap",
    "include",
    "info",
    "lbmethod_bybusyness",
    "lbmethod_byrequests",
    "lbmethod_bytraffic",
    "lbmethod_heartbeat",
    "ldap",
    "log_debug",
    "log_forensic",
    "lua",
    "macro",
    "md",
    "mime",
    "mime_magic",
    "mpm_event",
    "mpm_prefork",
    "mpm_worker",
    "negotiation",
    "proxy",
    "proxy_ajp",
    "proxy_balancer",
    "proxy_connect",
    "proxy_express",
    "proxy_fcgi",
    "proxy_fdpass",
    "proxy_ftp",
    "proxy_hcheck",
    "proxy_html",
    "proxy_http",
    "proxy_http2",
    "proxy_scgi",
    "proxy_uwsgi",
    "proxy_wstunnel",
    "ratelimit",
    "reflector",
    "remoteip",
    "reqtimeout",
    "request",
    "rewrite",
    "sed",
    "session",
    "session_cookie",
    "session_crypto",
    "session_dbd",
    "setenvif",
    "slotmem_plain",
    "slotmem_shm",
    "socache_dbm",
    "socache_memcache",
    "socache_redis",
    "socache_shmcb",
    "speling",
    "ssl",
    "status",
    "substitute",
    "suexec",
    "unique_id",
    "userdir",
    "usertrack",
    "vhost_alias",
    "xml2enc",
];

const MPM: &str = "process and thread tuning: this server is one process on an async runtime";
const NEGOTIATION: &str =
    "content negotiation (MultiViews, type maps) is not implemented, so language hints do nothing";
const COMPRESSION: &str =
    "response compression is not implemented: responses are sent uncompressed";
const LISTING: &str = "directory listings have this server's own plain layout";
const CACHE: &str = "caching is not implemented: every response is made afresh";
const CGI: &str =
    "CGI is not implemented; without a script directive these settings have nothing to act on";
const TUNING: &str = "a tuning knob with no counterpart here";
const LOGS: &str = "it only changes what is logged";
const TLS_CACHE: &str = "rustls keeps its own session cache and randomness";
const H2: &str = "HTTP/2 tuning: this server's HTTP/2 stack keeps its own settings";
const CLIENT_CERT: &str =
    "client certificates are not requested, so these settings have nothing to act on";
const AUTH_OTHER: &str = "only AuthType Basic with AuthUserFile is implemented; ignoring this would leave the space unprotected";
const FILTERS: &str =
    "content filters are not implemented; ignoring this would change what is sent";
const PROXY_MORE: &str =
    "this part of mod_proxy is not implemented; ignoring it would change what is proxied";
const SCRIPTS: &str = "scripts (CGI, Lua, FastCGI) are not run by this server; ignoring this would serve their source";
const EXPR: &str = "ap_expr conditions are not implemented beyond Require expr's subset";
const SESSIONS: &str = "sessions are not implemented";
const DAV: &str = "WebDAV is not implemented";
const ACME: &str = "this part of mod_md is not implemented; ignoring it would change which certificate is obtained or served";
const ACME_INERT: &str =
    "this mod_md tuning has no effect here (the renewal schedule and store are this server's own)";
const MACRO: &str = "mod_macro is not implemented; expand the macros by hand";

fn noop(
    _: &mut super::build::Builder,
    _: &super::ast::Directive,
) -> Result<(), super::diag::Diagnostic> {
    Ok(())
}

macro_rules! inert {
    ($name:literal, $module:ident, $why:expr) => {
        Def {
            name: $name,
            module: stringify!($module),
            arity: Arity::Any,
            ctx: Ctx::ALL,
            tier: Tier::Inert($why),
            doc: "",
            usage: "",
            apply: noop,
        }
    };
}

macro_rules! refused {
    ($name:literal, $module:ident, $why:expr) => {
        Def {
            name: $name,
            module: stringify!($module),
            arity: Arity::Any,
            ctx: Ctx::ALL,
            tier: Tier::Refused($why),
            doc: "",
            usage: "",
            apply: noop,
        }
    };
}

/// Honoured when its one argument is one of `values` (case-insensitive), because that is what
/// this server always does; refused otherwise, saying why.
macro_rules! fixed {
    ($name:literal, $module:ident, [$($v:literal),+], $why:expr) => {
        Def {
            name: $name,
            module: stringify!($module),
            arity: Arity::Any,
            ctx: Ctx::ALL,
            tier: Tier::Fixed(&[$($v),+], $why),
            doc: "",
            usage: "",
            apply: noop,
        }
    };
}

/// Directives of the stock modules besides those in `directives::DIRECTIVES`.
pub static STOCK: &[Def] = &[
    // core
    inert!("AcceptFilter", core, TUNING),
    fixed!(
        "AcceptPathInfo",
        core,
        ["default", "off"],
        "trailing path info after a file is answered 404 here"
    ),
    inert!(
        "AccessFileName",
        core,
        ".htaccess files are not read (AllowOverride None is assumed)"
    ),
    fixed!(
        "AllowEncodedSlashes",
        core,
        ["off"],
        "encoded slashes (%2F) in paths are always refused with 404"
    ),
    inert!("AllowOverrideList", core, ".htaccess files are not read"),
    refused!("CGIMapExtension", core, SCRIPTS),
    inert!("CGIPassAuth", core, CGI),
    inert!("CGIVar", core, CGI),
    fixed!(
        "ContentDigest",
        core,
        ["off"],
        "Content-MD5 headers are not generated"
    ),
    inert!(
        "DefaultRuntimeDir",
        core,
        "no runtime files are kept besides the PidFile"
    ),
    inert!(
        "DefaultType",
        core,
        "httpd 2.4 ignores it as well (only 'none' means anything)"
    ),
    inert!("EnableMMAP", core, TUNING),
    inert!("EnableSendfile", core, TUNING),
    inert!("ErrorLogFormat", core, LOGS),
    inert!("ExtendedStatus", core, "mod_status is not implemented"),
    refused!(
        "FileETag",
        core,
        "ETags are always httpd's default (size and modification time)"
    ),
    inert!("FlushMaxPipelined", core, TUNING),
    inert!("FlushMaxThreshold", core, TUNING),
    inert!("GprofDir", core, TUNING),
    inert!(
        "HostnameLookups",
        core,
        "client addresses are logged as IP addresses"
    ),
    fixed!(
        "HttpProtocolOptions",
        core,
        ["strict", "lenientmethods", "allow0.9"],
        "only httpd's default (Strict) request parsing is implemented"
    ),
    inert!("LimitInternalRecursion", core, TUNING),
    inert!("LimitXMLRequestBody", core, DAV),
    inert!("MaxRangeOverlaps", core, TUNING),
    inert!("MaxRangeReversals", core, TUNING),
    inert!("MergeSlashes", core, "repeated slashes are always merged"),
    inert!("MergeTrailers", core, TUNING),
    inert!("Mutex", core, MPM),
    inert!(
        "ProtocolsHonorOrder",
        core,
        "the client's ALPN order is matched against ours as rustls does"
    ),
    inert!("QualifyRedirectURL", core, TUNING),
    inert!("ReadBufferSize", core, TUNING),
    inert!("RegisterHttpMethod", core, TUNING),
    inert!("RLimitCPU", core, MPM),
    inert!("RLimitMEM", core, MPM),
    inert!("RLimitNPROC", core, MPM),
    inert!("ScriptInterpreterSource", core, CGI),
    inert!("SeeRequestTail", core, "mod_status is not implemented"),
    refused!(
        "ServerPath",
        core,
        "ServerPath (HTTP/1.0 name-based hosting by path) is not implemented"
    ),
    refused!("SetInputFilter", core, FILTERS),
    refused!("SetOutputFilter", core, FILTERS),
    inert!("TraceEnable", core, "TRACE is always answered 405"),
    fixed!(
        "UseCanonicalName",
        core,
        ["off"],
        "self-referencing URLs always use the client's Host"
    ),
    inert!(
        "UseCanonicalPhysicalPort",
        core,
        "self-referencing URLs always use the client's Host"
    ),
    inert!("AsyncFilter", core, TUNING),
    // mpm_event, mpm_worker, mpm_prefork and the MPM-common set
    inert!("StartServers", mpm_common, MPM),
    inert!("MinSpareThreads", mpm_common, MPM),
    inert!("MaxSpareThreads", mpm_common, MPM),
    inert!("ThreadLimit", mpm_common, MPM),
    inert!("ThreadsPerChild", mpm_common, MPM),
    inert!("MaxConnectionsPerChild", mpm_common, MPM),
    inert!("MaxRequestsPerChild", mpm_common, MPM),
    inert!("ServerLimit", mpm_common, MPM),
    inert!("MinSpareServers", mpm_prefork, MPM),
    inert!("MaxSpareServers", mpm_prefork, MPM),
    inert!("ListenBacklog", mpm_common, MPM),
    inert!("ListenCoresBucketsRatio", mpm_common, MPM),
    inert!("MaxMemFree", mpm_common, MPM),
    inert!("ReceiveBufferSize", mpm_common, MPM),
    inert!("SendBufferSize", mpm_common, MPM),
    inert!("ThreadStackSize", mpm_common, MPM),
    inert!("CoreDumpDirectory", mpm_common, MPM),
    inert!("EnableExceptionHook", mpm_common, MPM),
    inert!("ScoreBoardFile", mpm_common, MPM),
    inert!("WatchdogInterval", watchdog, MPM),
    inert!(
        "LoadFile",
        so,
        "shared libraries are not loaded into this server"
    ),
    refused!(
        "ChrootDir",
        unixd,
        "chroot is not implemented; ignoring it would leave the whole filesystem reachable"
    ),
    inert!("Suexec", unixd, CGI),
    // log_config, logio
    inert!(
        "BufferedLogs",
        log_config,
        "access logs are always written by their own thread"
    ),
    inert!("LogIOTrackTTFB", logio, LOGS),
    // actions, cgi, cgid, suexec, include, lua, fcgi
    refused!("Action", actions, SCRIPTS),
    refused!("Script", actions, SCRIPTS),
    inert!("ScriptLog", cgi, CGI),
    inert!("ScriptLogBuffer", cgi, CGI),
    inert!("ScriptLogLength", cgi, CGI),
    inert!("ScriptSock", cgid, CGI),
    inert!("CGIDScriptTimeout", cgid, CGI),
    inert!("SuexecUserGroup", suexec, CGI),
    refused!(
        "XBitHack",
        include,
        "server-side includes are not implemented; ignoring this would serve the unprocessed files"
    ),
    inert!(
        "SSIEndTag",
        include,
        "server-side includes are not implemented"
    ),
    inert!(
        "SSIErrorMsg",
        include,
        "server-side includes are not implemented"
    ),
    inert!(
        "SSIETag",
        include,
        "server-side includes are not implemented"
    ),
    inert!(
        "SSILastModified",
        include,
        "server-side includes are not implemented"
    ),
    inert!(
        "SSILegacyExprParser",
        include,
        "server-side includes are not implemented"
    ),
    inert!(
        "SSIStartTag",
        include,
        "server-side includes are not implemented"
    ),
    inert!(
        "SSITimeFormat",
        include,
        "server-side includes are not implemented"
    ),
    inert!(
        "SSIUndefinedEcho",
        include,
        "server-side includes are not implemented"
    ),
    refused!("LuaHookAccessChecker", lua, SCRIPTS),
    refused!("LuaHookAuthChecker", lua, SCRIPTS),
    refused!("LuaHookCheckUserID", lua, SCRIPTS),
    refused!("LuaHookFixups", lua, SCRIPTS),
    refused!("LuaHookTranslateName", lua, SCRIPTS),
    refused!("LuaMapHandler", lua, SCRIPTS),
    refused!("LuaAuthzProvider", lua, SCRIPTS),
    refused!("LuaOutputFilter", lua, SCRIPTS),
    refused!("LuaInputFilter", lua, SCRIPTS),
    inert!("LuaRoot", lua, SCRIPTS),
    inert!("LuaScope", lua, SCRIPTS),
    inert!("LuaPackagePath", lua, SCRIPTS),
    inert!("LuaPackageCPath", lua, SCRIPTS),
    inert!("LuaCodeCache", lua, SCRIPTS),
    refused!("AuthnzFcgiDefineProvider", authnz_fcgi, AUTH_OTHER),
    refused!("AuthnzFcgiCheckAuthnProvider", authnz_fcgi, AUTH_OTHER),
    // alias
    refused!("ScriptAlias", alias, SCRIPTS),
    refused!("ScriptAliasMatch", alias, SCRIPTS),
    // allowmethods
    refused!(
        "AllowMethods",
        allowmethods,
        "AllowMethods is not implemented yet; use <LimitExcept> ... Require"
    ),
    // auth
    inert!(
        "AuthBasicAuthoritative",
        auth_basic,
        "there is only one Basic provider, so there is nothing to fall through to"
    ),
    refused!("AuthBasicFake", auth_basic, AUTH_OTHER),
    refused!("AuthBasicUseDigestAlgorithm", auth_basic, AUTH_OTHER),
    refused!("AuthDigestAlgorithm", auth_digest, AUTH_OTHER),
    refused!("AuthDigestDomain", auth_digest, AUTH_OTHER),
    refused!("AuthDigestNonceLifetime", auth_digest, AUTH_OTHER),
    refused!("AuthDigestProvider", auth_digest, AUTH_OTHER),
    refused!("AuthDigestQop", auth_digest, AUTH_OTHER),
    refused!("AuthDigestShmemSize", auth_digest, AUTH_OTHER),
    refused!("AuthFormProvider", auth_form, AUTH_OTHER),
    refused!("AuthFormLoginRequiredLocation", auth_form, AUTH_OTHER),
    refused!("AuthFormLoginSuccessLocation", auth_form, AUTH_OTHER),
    refused!("Anonymous", authn_anon, AUTH_OTHER),
    refused!("Anonymous_LogEmail", authn_anon, AUTH_OTHER),
    refused!("Anonymous_MustGiveEmail", authn_anon, AUTH_OTHER),
    refused!("Anonymous_NoUserID", authn_anon, AUTH_OTHER),
    refused!("Anonymous_VerifyEmail", authn_anon, AUTH_OTHER),
    refused!("AuthDBDUserPWQuery", authn_dbd, AUTH_OTHER),
    refused!("AuthDBDUserRealmQuery", authn_dbd, AUTH_OTHER),
    refused!("AuthDBMUserFile", authn_dbm, AUTH_OTHER),
    refused!("AuthDBMType", authn_dbm, AUTH_OTHER),
    refused!("AuthnCacheProvideFor", authn_socache, AUTH_OTHER),
    inert!("AuthnCacheContext", authn_socache, CACHE),
    inert!("AuthnCacheEnable", authn_socache, CACHE),
    inert!("AuthnCacheSOCache", authn_socache, CACHE),
    inert!("AuthnCacheTimeout", authn_socache, CACHE),
    refused!("AuthLDAPURL", authnz_ldap, AUTH_OTHER),
    refused!("AuthLDAPBindDN", authnz_ldap, AUTH_OTHER),
    refused!("AuthLDAPBindPassword", authnz_ldap, AUTH_OTHER),
    refused!("AuthLDAPGroupAttribute", authnz_ldap, AUTH_OTHER),
    refused!("AuthLDAPRemoteUserAttribute", authnz_ldap, AUTH_OTHER),
    inert!(
        "LDAPTrustedGlobalCert",
        ldap,
        "no LDAP provider is implemented"
    ),
    inert!("LDAPTrustedMode", ldap, "no LDAP provider is implemented"),
    inert!("LDAPCacheEntries", ldap, "no LDAP provider is implemented"),
    inert!("LDAPCacheTTL", ldap, "no LDAP provider is implemented"),
    inert!(
        "LDAPSharedCacheSize",
        ldap,
        "no LDAP provider is implemented"
    ),
    fixed!(
        "AuthzSendForbiddenOnFailure",
        authz_core,
        ["off"],
        "an authenticated user who is refused gets 401, as httpd's default"
    ),
    refused!("AuthzDBDQuery", authz_dbd, AUTH_OTHER),
    refused!("AuthzDBDLoginToReferer", authz_dbd, AUTH_OTHER),
    refused!("AuthzDBDRedirectQuery", authz_dbd, AUTH_OTHER),
    refused!("AuthDBMGroupFile", authz_dbm, AUTH_OTHER),
    refused!("AuthzDBMType", authz_dbm, AUTH_OTHER),
    // autoindex
    inert!("IndexOptions", autoindex, LISTING),
    inert!("AddIcon", autoindex, LISTING),
    inert!("AddIconByEncoding", autoindex, LISTING),
    inert!("AddIconByType", autoindex, LISTING),
    inert!("AddAlt", autoindex, LISTING),
    inert!("AddAltByEncoding", autoindex, LISTING),
    inert!("AddAltByType", autoindex, LISTING),
    inert!("AddDescription", autoindex, LISTING),
    inert!("DefaultIcon", autoindex, LISTING),
    inert!("HeaderName", autoindex, LISTING),
    inert!("ReadmeName", autoindex, LISTING),
    inert!("IndexHeadInsert", autoindex, LISTING),
    inert!("IndexIgnoreReset", autoindex, LISTING),
    inert!("IndexOrderDefault", autoindex, LISTING),
    inert!("IndexStyleSheet", autoindex, LISTING),
    // compression and caching
    inert!("BrotliCompressionQuality", brotli, COMPRESSION),
    inert!("BrotliCompressionWindow", brotli, COMPRESSION),
    inert!("BrotliCompressionMaxInputBlock", brotli, COMPRESSION),
    inert!("BrotliFilterNote", brotli, COMPRESSION),
    inert!("BrotliAlterETag", brotli, COMPRESSION),
    inert!("DeflateCompressionLevel", deflate, COMPRESSION),
    inert!("DeflateBufferSize", deflate, COMPRESSION),
    inert!("DeflateFilterNote", deflate, COMPRESSION),
    inert!("DeflateMemLevel", deflate, COMPRESSION),
    inert!("DeflateWindowSize", deflate, COMPRESSION),
    inert!("DeflateAlterETag", deflate, COMPRESSION),
    inert!("DeflateInflateLimitRequestBody", deflate, COMPRESSION),
    inert!("DeflateInflateRatioBurst", deflate, COMPRESSION),
    inert!("DeflateInflateRatioLimit", deflate, COMPRESSION),
    inert!("BufferSize", buffer, TUNING),
    inert!("CacheEnable", cache, CACHE),
    inert!("CacheDisable", cache, CACHE),
    inert!("CacheRoot", cache_disk, CACHE),
    inert!("CacheDirLevels", cache_disk, CACHE),
    inert!("CacheDirLength", cache_disk, CACHE),
    inert!("CacheMaxFileSize", cache_disk, CACHE),
    inert!("CacheMinFileSize", cache_disk, CACHE),
    inert!("CacheDefaultExpire", cache, CACHE),
    inert!("CacheMaxExpire", cache, CACHE),
    inert!("CacheIgnoreHeaders", cache, CACHE),
    inert!("CacheIgnoreNoLastMod", cache, CACHE),
    inert!("CacheLock", cache, CACHE),
    inert!("CacheQuickHandler", cache, CACHE),
    inert!("CacheHeader", cache, CACHE),
    inert!("CacheSocache", cache_socache, CACHE),
    inert!("CacheFile", file_cache, CACHE),
    inert!("MMapFile", file_cache, CACHE),
    // filters and content changers
    refused!("MetaFiles", cern_meta, FILTERS),
    refused!("MetaDir", cern_meta, FILTERS),
    refused!("MetaSuffix", cern_meta, FILTERS),
    refused!("CharsetSourceEnc", charset_lite, FILTERS),
    refused!("CharsetDefault", charset_lite, FILTERS),
    refused!("CharsetOptions", charset_lite, FILTERS),
    refused!("ExtFilterDefine", ext_filter, FILTERS),
    refused!("ExtFilterOptions", ext_filter, FILTERS),
    refused!("FilterChain", filter, FILTERS),
    refused!("FilterDeclare", filter, FILTERS),
    refused!("FilterProvider", filter, FILTERS),
    refused!("FilterProtocol", filter, FILTERS),
    inert!("FilterTrace", filter, LOGS),
    refused!("Substitute", substitute, FILTERS),
    inert!("SubstituteMaxLineLength", substitute, FILTERS),
    inert!("SubstituteInheritBefore", substitute, FILTERS),
    refused!("InputSed", sed, FILTERS),
    refused!("OutputSed", sed, FILTERS),
    refused!("xml2EncCharset", xml2enc, FILTERS),
    refused!("xml2EncDefault", xml2enc, FILTERS),
    refused!("xml2StartParse", xml2enc, FILTERS),
    refused!("ReflectorHeader", reflector, FILTERS),
    refused!("ProtocolEcho", echo, "the echo protocol is not implemented"),
    refused!(
        "CheckSpelling",
        speling,
        "mod_speling's corrections are not implemented; ignoring it would answer 404 where httpd redirects"
    ),
    refused!(
        "CheckCaseOnly",
        speling,
        "mod_speling's corrections are not implemented"
    ),
    refused!(
        "CookieTracking",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "CookieName",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "CookieDomain",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "CookieExpires",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "CookieStyle",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "CookieSameSite",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "CookieHTTPOnly",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "CookieSecure",
        usertrack,
        "mod_usertrack cookies are not implemented"
    ),
    refused!(
        "ExpiresActive",
        expires,
        "mod_expires is not implemented yet; ignoring it would drop Expires and Cache-Control headers (use Header set Cache-Control ...)"
    ),
    refused!(
        "ExpiresByType",
        expires,
        "mod_expires is not implemented yet (use Header set Cache-Control ...)"
    ),
    refused!(
        "ExpiresDefault",
        expires,
        "mod_expires is not implemented yet (use Header set Cache-Control ...)"
    ),
    refused!("ImapBase", imagemap, SCRIPTS),
    refused!("ImapDefault", imagemap, SCRIPTS),
    refused!("ImapMenu", imagemap, SCRIPTS),
    refused!(
        "VirtualDocumentRoot",
        vhost_alias,
        "mass virtual hosting is not implemented"
    ),
    refused!(
        "VirtualDocumentRootIP",
        vhost_alias,
        "mass virtual hosting is not implemented"
    ),
    refused!(
        "VirtualScriptAlias",
        vhost_alias,
        "mass virtual hosting is not implemented"
    ),
    refused!(
        "VirtualScriptAliasIP",
        vhost_alias,
        "mass virtual hosting is not implemented"
    ),
    fixed!(
        "UserDir",
        userdir,
        ["disabled"],
        "per-user directories (~user) are not implemented"
    ),
    fixed!(
        "DirectorySlash",
        dir,
        ["on"],
        "directories are always redirected to their trailing-slash URL"
    ),
    refused!(
        "FallbackResource",
        dir,
        "FallbackResource is not implemented yet; ignoring it would answer 404 where httpd serves the fallback"
    ),
    inert!("DirectoryCheckHandler", dir, TUNING),
    fixed!(
        "DirectoryIndexRedirect",
        dir,
        ["off"],
        "the index file is served in place, never redirected to"
    ),
    // dav, sessions, md, macro, misc
    refused!("Dav", dav, DAV),
    inert!("DavDepthInfinity", dav, DAV),
    inert!("DavMinTimeout", dav, DAV),
    inert!("DavLockDB", dav_fs, DAV),
    inert!("DavLockDBType", dav_fs, DAV),
    inert!("DavGenericLockDB", dav_lock, DAV),
    inert!("DavBasePath", dav, DAV),
    inert!("DavLockDiscovery", dav, DAV),
    inert!("DBDriver", dbd, "no database provider is implemented"),
    inert!("DBDParams", dbd, "no database provider is implemented"),
    inert!("DBDPersist", dbd, "no database provider is implemented"),
    inert!("DBDPrepareSQL", dbd, "no database provider is implemented"),
    inert!("DBDMin", dbd, "no database provider is implemented"),
    inert!("DBDKeep", dbd, "no database provider is implemented"),
    inert!("DBDMax", dbd, "no database provider is implemented"),
    inert!("DBDExptime", dbd, "no database provider is implemented"),
    inert!("ModemStandard", dialup, TUNING),
    inert!("DumpIOInput", dumpio, LOGS),
    inert!("DumpIOOutput", dumpio, LOGS),
    inert!("HeartbeatAddress", heartbeat, TUNING),
    inert!("HeartbeatListen", heartmonitor, TUNING),
    inert!("HeartbeatMaxServers", heartmonitor, TUNING),
    inert!("HeartbeatStorage", lbmethod_heartbeat, TUNING),
    inert!("IdentityCheck", ident, LOGS),
    inert!("IdentityCheckTimeout", ident, LOGS),
    inert!("AddModuleInfo", info, "mod_info is not implemented"),
    inert!("LogMessage", log_debug, LOGS),
    inert!("ForensicLog", log_forensic, LOGS),
    inert!("KeptBodySize", request, TUNING),
    inert!(
        "RequestReadTimeout",
        reqtimeout,
        "request read deadlines are this server's own (the hardening work sets them)"
    ),
    inert!(
        "MimeMagicFile",
        mime_magic,
        "types come from file extensions only"
    ),
    refused!("Session", session, SESSIONS),
    refused!("SessionEnv", session, SESSIONS),
    refused!("SessionHeader", session, SESSIONS),
    refused!("SessionInclude", session, SESSIONS),
    refused!("SessionExclude", session, SESSIONS),
    refused!("SessionMaxAge", session, SESSIONS),
    refused!("SessionExpiryUpdateInterval", session, SESSIONS),
    refused!("SessionCookieName", session_cookie, SESSIONS),
    refused!("SessionCookieName2", session_cookie, SESSIONS),
    refused!("SessionCookieRemove", session_cookie, SESSIONS),
    refused!("SessionCryptoPassphrase", session_crypto, SESSIONS),
    refused!("SessionCryptoCipher", session_crypto, SESSIONS),
    refused!("SessionDBDCookieName", session_dbd, SESSIONS),
    refused!("MDHttpProxy", md, ACME),
    refused!("MDMessageCmd", md, ACME),
    refused!("MDChallengeDns01", md, ACME),
    refused!("MDChallengeDns01Version", md, ACME),
    refused!("MDExternalAccountBinding", md, ACME),
    refused!("MDCertificateFile", md, ACME),
    refused!("MDCertificateKeyFile", md, ACME),
    refused!("MDMember", md, ACME),
    refused!("MDProfile", md, ACME),
    refused!("MDProfileMandatory", md, ACME),
    fixed!(
        "MDStapling",
        md,
        ["off"],
        "OCSP stapling is not implemented"
    ),
    fixed!(
        "MDBaseServer",
        md,
        ["off"],
        "the main server never takes part in a managed domain here"
    ),
    fixed!(
        "MDMatchNames",
        md,
        ["all"],
        "vhosts match a managed domain by ServerName and ServerAlias"
    ),
    fixed!(
        "MDCertificateProtocol",
        md,
        ["ACME"],
        "ACME is the only protocol"
    ),
    inert!("MDServerStatus", md, ACME_INERT),
    inert!("MDCertificateCheck", md, ACME_INERT),
    inert!("MDCertificateMonitor", md, ACME_INERT),
    inert!("MDRenewViaARI", md, ACME_INERT),
    inert!("MDRetryFailover", md, ACME_INERT),
    inert!("MDStoreLocks", md, ACME_INERT),
    inert!("MDInitialDelay", md, ACME_INERT),
    inert!("MDActivationDelay", md, ACME_INERT),
    inert!("MDStapleOthers", md, ACME_INERT),
    inert!("MDStaplingKeepResponse", md, ACME_INERT),
    inert!("MDStaplingRenewWindow", md, ACME_INERT),
    refused!("Use", macro, MACRO),
    refused!("UndefMacro", macro, MACRO),
    refused!("SetEnvIfExpr", setenvif, EXPR),
    refused!(
        "RemoteIPHeader",
        remoteip,
        "client addresses from proxy headers are not implemented; ignoring this would check access against the proxy's address"
    ),
    refused!(
        "RemoteIPInternalProxy",
        remoteip,
        "mod_remoteip is not implemented"
    ),
    refused!(
        "RemoteIPInternalProxyList",
        remoteip,
        "mod_remoteip is not implemented"
    ),
    refused!(
        "RemoteIPTrustedProxy",
        remoteip,
        "mod_remoteip is not implemented"
    ),
    refused!(
        "RemoteIPTrustedProxyList",
        remoteip,
        "mod_remoteip is not implemented"
    ),
    refused!(
        "RemoteIPProxiesHeader",
        remoteip,
        "mod_remoteip is not implemented"
    ),
    refused!(
        "RemoteIPProxyProtocol",
        remoteip,
        "the PROXY protocol is not implemented"
    ),
    refused!(
        "RemoteIPProxyProtocolExceptions",
        remoteip,
        "the PROXY protocol is not implemented"
    ),
    inert!("MemcacheConnTTL", socache_memcache, TLS_CACHE),
    inert!("RedisConnPoolTTL", socache_redis, TLS_CACHE),
    inert!("RedisTimeout", socache_redis, TLS_CACHE),
    // mime and negotiation
    inert!("AddLanguage", mime, NEGOTIATION),
    inert!("DefaultLanguage", mime, NEGOTIATION),
    inert!("RemoveLanguage", mime, NEGOTIATION),
    inert!("ModMimeUsePathInfo", mime, TUNING),
    inert!("MultiviewsMatch", mime, NEGOTIATION),
    refused!("AddInputFilter", mime, FILTERS),
    refused!("AddOutputFilter", mime, FILTERS),
    inert!("RemoveInputFilter", mime, FILTERS),
    inert!("RemoveOutputFilter", mime, FILTERS),
    inert!(
        "RemoveHandler",
        mime,
        "handlers other than the static file handler are not implemented"
    ),
    inert!("CacheNegotiatedDocs", negotiation, NEGOTIATION),
    inert!("ForceLanguagePriority", negotiation, NEGOTIATION),
    inert!("LanguagePriority", negotiation, NEGOTIATION),
    // http2
    inert!("H2Direct", http2, H2),
    inert!("H2Push", http2, H2),
    inert!("H2PushPriority", http2, H2),
    inert!("H2PushResource", http2, H2),
    inert!("H2PushDiarySize", http2, H2),
    inert!("H2Upgrade", http2, H2),
    inert!("H2MaxSessionStreams", http2, H2),
    inert!("H2WindowSize", http2, H2),
    inert!("H2StreamMaxMemSize", http2, H2),
    inert!("H2SerializeHeaders", http2, H2),
    inert!("H2ModernTLSOnly", http2, H2),
    inert!("H2MinWorkers", http2, H2),
    inert!("H2MaxWorkers", http2, H2),
    inert!("H2MaxWorkerIdleSeconds", http2, H2),
    inert!("H2CopyFiles", http2, H2),
    inert!("H2EarlyHints", http2, H2),
    inert!("H2EarlyHint", http2, H2),
    inert!("H2TLSWarmUpSize", http2, H2),
    inert!("H2TLSCoolDownSecs", http2, H2),
    inert!("H2Padding", http2, H2),
    inert!("H2OutputBuffering", http2, H2),
    inert!("H2StreamTimeout", http2, H2),
    inert!("H2ProxyRequests", http2, H2),
    inert!("H2WebSockets", http2, H2),
    inert!("H2MaxDataFrameLen", http2, H2),
    // proxy
    fixed!(
        "ProxyRequests",
        proxy,
        ["off"],
        "forward proxying is not implemented"
    ),
    inert!("ProxyVia", proxy, "no Via header is added"),
    inert!("ProxyStatus", proxy, "mod_status is not implemented"),
    inert!("ProxyIOBufferSize", proxy, TUNING),
    inert!("ProxyMaxForwards", proxy, TUNING),
    inert!("ProxyReceiveBufferSize", proxy, TUNING),
    inert!("ProxySourceAddress", proxy, TUNING),
    inert!("ProxyBadHeader", proxy, TUNING),
    refused!("ProxyErrorOverride", proxy, PROXY_MORE),
    refused!("ProxyBlock", proxy, PROXY_MORE),
    refused!("ProxyDomain", proxy, PROXY_MORE),
    refused!("ProxyPassMatch", proxy, PROXY_MORE),
    fixed!(
        "ProxyPassInherit",
        proxy,
        ["on"],
        "the main server's ProxyPass entries are always inherited"
    ),
    refused!("ProxyPassInterpolateEnv", proxy, PROXY_MORE),
    refused!("ProxyPassReverseCookieDomain", proxy, PROXY_MORE),
    refused!("ProxyPassReverseCookiePath", proxy, PROXY_MORE),
    refused!("ProxyRemote", proxy, PROXY_MORE),
    refused!("ProxyRemoteMatch", proxy, PROXY_MORE),
    refused!("ProxySet", proxy, PROXY_MORE),
    refused!("BalancerMember", proxy, PROXY_MORE),
    refused!("BalancerGrowth", proxy, PROXY_MORE),
    refused!("BalancerInherit", proxy, PROXY_MORE),
    refused!("BalancerPersist", proxy, PROXY_MORE),
    refused!("ProxyHTMLEnable", proxy_html, FILTERS),
    refused!("ProxyHTMLURLMap", proxy_html, FILTERS),
    refused!("ProxyHTMLInterp", proxy_html, FILTERS),
    refused!("ProxyHTMLExtended", proxy_html, FILTERS),
    refused!("ProxyExpressEnable", proxy_express, PROXY_MORE),
    refused!("ProxyExpressDBMFile", proxy_express, PROXY_MORE),
    refused!("ProxyExpressDBMType", proxy_express, PROXY_MORE),
    refused!("ProxyFCGIBackendType", proxy_fcgi, SCRIPTS),
    refused!("ProxyFCGISetEnvIf", proxy_fcgi, SCRIPTS),
    refused!("ProxyFtpDirCharset", proxy_ftp, PROXY_MORE),
    refused!("ProxyFtpEscapeWildcards", proxy_ftp, PROXY_MORE),
    refused!("ProxyFtpListOnWildcard", proxy_ftp, PROXY_MORE),
    refused!("ProxySCGIInternalRedirect", proxy_scgi, SCRIPTS),
    refused!("ProxySCGISendfile", proxy_scgi, SCRIPTS),
    inert!("ProxyHCExpr", proxy_hcheck, TUNING),
    inert!("ProxyHCTemplate", proxy_hcheck, TUNING),
    inert!("ProxyHCTPsize", proxy_hcheck, TUNING),
    inert!("ProxyWebsocketFallbackToProxyHttp", proxy_wstunnel, TUNING),
    inert!("ProxyWebsocketIdleTimeout", proxy_wstunnel, TUNING),
    inert!("ProxyWebsocketAsync", proxy_wstunnel, TUNING),
    inert!("ProxyWebsocketAsyncDelay", proxy_wstunnel, TUNING),
    inert!(
        "AllowCONNECT",
        proxy_connect,
        "CONNECT is never honoured (no forward proxying)"
    ),
    // rewrite
    refused!(
        "RewriteBase",
        rewrite,
        "per-directory rewriting is not implemented yet"
    ),
    refused!("RewriteMap", rewrite, "RewriteMap is not implemented yet"),
    refused!(
        "RewriteOptions",
        rewrite,
        "RewriteOptions is not implemented yet"
    ),
    // ssl
    inert!("SSLRandomSeed", ssl, TLS_CACHE),
    inert!("SSLSessionCache", ssl, TLS_CACHE),
    inert!("SSLSessionCacheTimeout", ssl, TLS_CACHE),
    inert!(
        "SSLPassPhraseDialog",
        ssl,
        "keys must be unencrypted PEM; an encrypted key is reported when it is loaded"
    ),
    inert!("SSLCryptoDevice", ssl, TLS_CACHE),
    inert!(
        "SSLInsecureRenegotiation",
        ssl,
        "renegotiation is never allowed (rustls has none)"
    ),
    inert!(
        "SSLRenegBufferSize",
        ssl,
        "renegotiation is never allowed (rustls has none)"
    ),
    inert!("SSLSessionTicketKeyFile", ssl, TLS_CACHE),
    inert!("SSLStaplingCache", ssl, "OCSP stapling is not implemented"),
    inert!(
        "SSLStaplingResponderTimeout",
        ssl,
        "OCSP stapling is not implemented"
    ),
    inert!(
        "SSLStaplingReturnResponderErrors",
        ssl,
        "OCSP stapling is not implemented"
    ),
    inert!(
        "SSLStaplingStandardCacheTimeout",
        ssl,
        "OCSP stapling is not implemented"
    ),
    inert!(
        "SSLStaplingErrorCacheTimeout",
        ssl,
        "OCSP stapling is not implemented"
    ),
    inert!(
        "SSLStaplingFakeTryLater",
        ssl,
        "OCSP stapling is not implemented"
    ),
    inert!(
        "SSLStaplingForceURL",
        ssl,
        "OCSP stapling is not implemented"
    ),
    inert!("SSLCACertificateFile", ssl, CLIENT_CERT),
    inert!("SSLCACertificatePath", ssl, CLIENT_CERT),
    inert!("SSLCADNRequestFile", ssl, CLIENT_CERT),
    inert!("SSLCADNRequestPath", ssl, CLIENT_CERT),
    inert!("SSLCARevocationFile", ssl, CLIENT_CERT),
    inert!("SSLCARevocationPath", ssl, CLIENT_CERT),
    inert!("SSLCARevocationCheck", ssl, CLIENT_CERT),
    inert!("SSLVerifyDepth", ssl, CLIENT_CERT),
    inert!("SSLOCSPEnable", ssl, CLIENT_CERT),
    inert!("SSLOCSPDefaultResponder", ssl, CLIENT_CERT),
    inert!("SSLOCSPOverrideResponder", ssl, CLIENT_CERT),
    fixed!(
        "SSLVerifyClient",
        ssl,
        ["none"],
        "client certificate authentication is not implemented"
    ),
    refused!(
        "SSLRequire",
        ssl,
        "SSLRequire expressions are not implemented; use Require"
    ),
    refused!(
        "SSLUserName",
        ssl,
        "client certificate user names are not implemented"
    ),
    refused!("SSLSRPVerifierFile", ssl, "TLS-SRP is not implemented"),
    refused!("SSLSRPUnknownUserSeed", ssl, "TLS-SRP is not implemented"),
    refused!(
        "SSLOpenSSLConfCmd",
        ssl,
        "OpenSSL configuration commands have no rustls counterpart"
    ),
    fixed!("SSLFIPS", ssl, ["off"], "FIPS mode is not implemented"),
    fixed!(
        "SSLCompression",
        ssl,
        ["off"],
        "TLS compression is never offered (CRIME); rustls has none"
    ),
    fixed!(
        "SSLVHostSNIPolicy",
        ssl,
        ["secure"],
        "only httpd's default policy ('secure') is implemented"
    ),
    inert!(
        "SSLProxyVerify",
        ssl,
        "upstream certificates are always verified"
    ),
    inert!(
        "SSLProxyVerifyDepth",
        ssl,
        "upstream certificates are always verified"
    ),
    inert!(
        "SSLProxyCheckPeerCN",
        ssl,
        "upstream certificates are always verified"
    ),
    inert!(
        "SSLProxyCheckPeerName",
        ssl,
        "upstream certificates are always verified"
    ),
    inert!(
        "SSLProxyCheckPeerExpire",
        ssl,
        "upstream certificates are always verified"
    ),
    inert!(
        "SSLProxyProtocol",
        ssl,
        "upstream TLS uses rustls's safe defaults"
    ),
    inert!(
        "SSLProxyCipherSuite",
        ssl,
        "upstream TLS uses rustls's safe defaults"
    ),
    inert!(
        "SSLProxyCACertificatePath",
        ssl,
        "give the CA file with SSLProxyCACertificateFile"
    ),
    inert!(
        "SSLProxyCARevocationFile",
        ssl,
        "upstream revocation is not checked"
    ),
    inert!(
        "SSLProxyCARevocationPath",
        ssl,
        "upstream revocation is not checked"
    ),
    inert!(
        "SSLProxyCARevocationCheck",
        ssl,
        "upstream revocation is not checked"
    ),
    refused!(
        "SSLProxyMachineCertificateFile",
        ssl,
        "client certificates to upstreams are not implemented"
    ),
    refused!(
        "SSLProxyMachineCertificatePath",
        ssl,
        "client certificates to upstreams are not implemented"
    ),
    refused!(
        "SSLProxyMachineCertificateChainFile",
        ssl,
        "client certificates to upstreams are not implemented"
    ),
];

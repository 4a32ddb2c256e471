//! mod_md's directive table: each directive's arity, context (top level, and which may be
//! written inside `<MDomainSet>`), httpd's one-line doc and the handler in `config::md`.

use super::directives::{Arity, Ctx, Def, Tier};
use super::md::*;

macro_rules! md {
    ($name:literal, $arity:ident, $ctx:expr, $doc:literal, $usage:literal, $apply:path) => {
        Def {
            name: $name,
            module: "md",
            arity: Arity::$arity,
            ctx: $ctx,
            tier: Tier::Honoured,
            doc: $doc,
            usage: $usage,
            apply: $apply,
        }
    };
}

/// Allowed at the top and inside `<MDomainSet>` (but for `GLOBAL_ONLY`), never in a vhost.
pub(super) const SET: Ctx = Ctx::MAIN;

/// The directives that apply to every managed domain at once.
pub(super) const GLOBAL_ONLY: &[&str] = &[
    "MDStoreDir",
    "MDCACertificateFile",
    "MDNotifyCmd",
    "MDPortMap",
    "MDCheckInterval",
];

pub static DIRECTIVES: &[Def] = &[
    md!(
        "MDomain",
        AtLeastOne,
        Ctx::MAIN,
        "A group of server names with one certificate",
        "MDomain example.org www.example.org",
        mdomain
    ),
    md!(
        "MDCertificateAuthority",
        AtLeastOne,
        SET,
        "URL(s) or known name(s) of CA issuing certificates",
        "MDCertificateAuthority letsencrypt",
        authority
    ),
    md!(
        "MDCertificateAgreement",
        One,
        SET,
        "either 'accepted' or the URL of CA Terms-of-Service agreement you accept",
        "MDCertificateAgreement accepted",
        agreement
    ),
    md!(
        "MDContactEmail",
        One,
        SET,
        "Email address used for account registration",
        "MDContactEmail admin@example.org",
        contact
    ),
    md!(
        "MDStoreDir",
        One,
        Ctx::MAIN,
        "the directory for file system storage of managed domain data.",
        "MDStoreDir md",
        store_dir
    ),
    md!(
        "MDCACertificateFile",
        One,
        Ctx::MAIN,
        "Set the CA file to use for connections",
        "MDCACertificateFile /etc/ssl/acme-ca.pem",
        ca_file
    ),
    md!(
        "MDRenewWindow",
        One,
        SET,
        "Time length for renewal before cert expires (defaults to days)",
        "MDRenewWindow 33%",
        renew_window
    ),
    md!(
        "MDWarnWindow",
        One,
        SET,
        "When less time remains for a certificate, send a warning",
        "MDWarnWindow 10%",
        warn_window
    ),
    md!(
        "MDPrivateKeys",
        AtLeastOne,
        SET,
        "set the type and parameters for private key generation",
        "MDPrivateKeys secp256r1",
        private_keys
    ),
    md!(
        "MDCAChallenges",
        AtLeastOne,
        SET,
        "A list of challenge types to be used.",
        "MDCAChallenges tls-alpn-01 http-01",
        challenges
    ),
    md!(
        "MDRetryDelay",
        One,
        SET,
        "Time length for first retry, doubled on every consecutive error.",
        "MDRetryDelay 5s",
        retry_delay
    ),
    md!(
        "MDDriveMode",
        One,
        SET,
        "Controls how renewal of Managed Domain certificates shall be handled.",
        "MDDriveMode auto",
        renew_mode
    ),
    md!(
        "MDRenewMode",
        One,
        SET,
        "Controls how renewal of Managed Domain certificates shall be handled.",
        "MDRenewMode auto",
        renew_mode
    ),
    md!(
        "MDCertificateStatus",
        Flag,
        SET,
        "On to see Managed Domain status in https://<host>/.httpd/certificate-status",
        "MDCertificateStatus on",
        cert_status
    ),
    md!(
        "MDNotifyCmd",
        AtLeastOne,
        Ctx::MAIN,
        "Set the command and optional arguments to run when signup/renew of domain is complete.",
        "MDNotifyCmd /usr/local/bin/notify.sh",
        notify_cmd
    ),
    md!(
        "MDPortMap",
        OneOrTwo,
        Ctx::MAIN,
        "Declare the mapped ports 80 and 443 on the local server. E.g. 80:8000 to indicate that the server port 8000 is reachable as port 80 from the internet.",
        "MDPortMap http:8080 https:8443",
        port_map
    ),
    md!(
        "MDCheckInterval",
        One,
        Ctx::MAIN,
        "Time between certificate checks.",
        "MDCheckInterval 12h",
        check_interval
    ),
    md!(
        "MDMembers",
        One,
        SET,
        "Control if domain name of virtual hosts shall be added to a managed domain.",
        "MDMembers manual",
        members
    ),
    md!(
        "MDMustStaple",
        Flag,
        SET,
        "Enable/Disable the Must-Staple flag for new certificates.",
        "MDMustStaple off",
        must_staple
    ),
    md!(
        "MDRequireHttps",
        One,
        SET,
        "Redirect non-secure requests to the https: equivalent.",
        "MDRequireHttps off",
        require_https
    ),
];

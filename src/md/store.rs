//! Takes the store directory (`MDStoreDir`) and a managed domain and gives its current
//! certificate and key, or the fallback to serve until one exists; writes a newly issued pair
//! (through `staging/`, keys 0600) and the ACME account's credentials.
//!
//! Layout, as mod_md's where it matters to an admin: `domains/<name>/pubcert[.<key>].pem`
//! (chain, leaf first) and `privkey[.<key>].pem` (`.secp256r1` for a P-256 key, no suffix for
//! RSA), `domains/<name>/md.json` (names and CA), `staging/<name>/` (a pair being written),
//! `accounts/<ca host>/vhostd-account.json` (this server's ACME account, 0600).

use super::keys;
use crate::config::diag::Diagnostic;
use crate::plan::cert_facts::CertFacts;
use crate::plan::managed::{Managed, MdPlan, file_names};
use crate::prepare::certs::facts_of_pem;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The stored pair, if there is one: `Ok(None)` when none was obtained yet. Without a pair
/// of the configured key type, one of another type is used until the next renewal (an httpd
/// store holds RSA pairs, `pubcert.pem`, while new keys here default to P-256).
pub fn read_current(store: &Path, m: &Managed) -> Result<Option<CertFacts>, String> {
    use crate::config::md::KeySpec;
    let others = [KeySpec::Rsa(2048), KeySpec::P256, KeySpec::P384]
        .into_iter()
        .filter(|k| k.tag() != m.key.tag());
    for key in std::iter::once(m.key).chain(others) {
        let (c, k) = file_names(key);
        let (cert, key_file) = (m.dir(store).join(c), m.dir(store).join(k));
        let cert_pem = match std::fs::read(&cert) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", cert.display())),
        };
        let key_pem =
            std::fs::read(&key_file).map_err(|e| format!("{}: {e}", key_file.display()))?;
        return facts_of_pem(&cert_pem, &key_pem)
            .map(Some)
            .map_err(|e| format!("{}: {e}", cert.display()));
    }
    Ok(None)
}

/// What a managed domain serves now: its stored certificate, else a member vhost's own
/// SSLCertificateFile, else a new self-signed fallback (made in memory).
pub fn current_or_fallback(
    md: &MdPlan,
    m: &Managed,
    loaded: &[Option<CertFacts>],
    now: std::time::SystemTime,
    diags: &mut Vec<Diagnostic>,
) -> Option<CertFacts> {
    match read_current(&md.store, m) {
        Ok(Some(f)) => return Some(f),
        Ok(None) => {}
        Err(e) => diags.push(
            Diagnostic::warning(m.span, format!("Managed Domain {}: the stored certificate cannot be used ({e}); a new one will be obtained", m.name))
                .with_help("remove the damaged files from the store, or leave them: they are replaced once the CA issues a new certificate"),
        ),
    }
    if let Some(Some(f)) = m.static_cert.and_then(|c| loaded.get(c)) {
        let mut f = f.clone();
        f.fallback = true;
        return Some(f);
    }
    let made = keys::fallback(&m.domains, m.key, now)
        .and_then(|p| facts_of_pem(p.cert.as_bytes(), p.key.as_bytes()));
    match made {
        Ok(mut f) => {
            f.fallback = true;
            Some(f)
        }
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    m.span,
                    format!(
                        "Managed Domain {}: cannot make the fallback certificate: {e}",
                        m.name
                    ),
                )
                .with_help("this is a bug or a broken crypto library; please report it"),
            );
            None
        }
    }
}

/// Creates a directory (and its parents) readable by the owner only.
fn private_dir(p: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
}

/// Writes a file through a temporary name, with `mode`.
fn write_file(p: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = p.with_extension("new");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, p)
}

/// Stores a newly issued pair: written under `staging/<name>/`, then moved into
/// `domains/<name>/` key first, so a reader sees the old pair or the new one (a crash between
/// the two moves leaves a mismatched pair, which loading reports and the next run replaces).
pub fn write_current(
    store: &Path,
    m: &Managed,
    cert_pem: &str,
    key_pem: &str,
) -> std::io::Result<()> {
    let (cname, kname) = file_names(m.key);
    let staging = store.join("staging").join(&m.name);
    private_dir(&staging)?;
    private_dir(&m.dir(store))?;
    write_file(&staging.join(&kname), key_pem.as_bytes(), 0o600)?;
    write_file(&staging.join(&cname), cert_pem.as_bytes(), 0o644)?;
    let info = serde_json::json!({
        "name": m.name,
        "domains": m.domains,
        "ca": { "proto": "ACME", "urls": [m.ca] },
        "contacts": m.contacts,
    });
    write_file(
        &m.dir(store).join("md.json"),
        info.to_string().as_bytes(),
        0o644,
    )?;
    std::fs::rename(staging.join(&kname), m.dir(store).join(&kname))?;
    std::fs::rename(staging.join(&cname), m.dir(store).join(&cname))?;
    Ok(())
}

/// Where this server keeps its ACME account for a CA: one directory per directory URL (two
/// CAs, or two provisioners of one CA, on the same host are two accounts).
pub fn account_file(store: &Path, ca: &str) -> PathBuf {
    let name: String = ca
        .split_once("://")
        .map_or(ca, |(_, rest)| rest)
        .trim_end_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    store
        .join("accounts")
        .join(name)
        .join("vhostd-account.json")
}

pub fn write_account(path: &Path, json: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    write_file(path, json, 0o600)
}

/// Creates the store (owner only) and gives it, and all it holds, to the account the server
/// will run as, so the background work can write there after privileges are dropped.
pub fn hand_to(store: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    private_dir(store)?;
    fn walk(p: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
        std::os::unix::fs::lchown(p, Some(uid), Some(gid))?;
        if p.is_dir() && !p.is_symlink() {
            for e in std::fs::read_dir(p)? {
                walk(&e?.path(), uid, gid)?;
            }
        }
        Ok(())
    }
    walk(store, uid, gid)
}

/// `-t`'s look at the files mod_md's directives name: the CA's trust anchor must hold a PEM
/// certificate (an error: no certificate could be obtained), and MDNotifyCmd should be an
/// executable program (a warning: only the notification would fail).
pub fn check_files(model: &crate::config::model::Model) -> Vec<Diagnostic> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut out = Vec::new();
    if let Some(ca) = &model.md.ca_file {
        let why = match std::fs::read(&ca.value) {
            Err(e) => Some(e.to_string()),
            Ok(b) if CertificateDer::pem_slice_iter(&b).next().is_none() => {
                Some("no PEM certificate in it".to_string())
            }
            Ok(_) => None,
        };
        if let Some(why) = why {
            out.push(
                Diagnostic::error(ca.span, format!("MDCACertificateFile {}: {why}", ca.value.display()))
                    .with_help("point it at the PEM certificate of the root that signed the ACME server's HTTPS certificate"),
            );
        }
    }
    if let Some(cmd) = &model.md.notify_cmd {
        use std::os::unix::fs::PermissionsExt;
        let runnable = std::fs::metadata(&cmd.value[0])
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
        if !runnable {
            out.push(
                Diagnostic::warning(cmd.span, format!("MDNotifyCmd {} is not an executable file", cmd.value[0]))
                    .with_help("give the full path of a program (relative paths start at ServerRoot) and make it executable"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::md::KeySpec;

    #[test]
    fn a_pair_of_another_key_type_is_served_until_the_next_renewal() {
        let tmp = tempfile::tempdir().expect("tmp");
        use crate::plan::managed::tests::{ONE_DOMAIN, planned};
        let (plan, _) = planned(ONE_DOMAIN);
        let m = &plan.md.domains[0];
        assert_eq!(m.key, KeySpec::P256);
        assert!(read_current(tmp.path(), m).expect("read").is_none());
        // httpd's store: an RSA pair under mod_md's RSA names.
        let names = vec!["a.test".to_string()];
        let rsa =
            keys::fallback(&names, KeySpec::Rsa(2048), std::time::SystemTime::now()).expect("pems");
        let dir = m.dir(tmp.path());
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("pubcert.pem"), &rsa.cert).expect("write");
        std::fs::write(dir.join("privkey.pem"), &rsa.key).expect("write");
        let found = read_current(tmp.path(), m).expect("read").expect("a pair");
        assert_eq!(found.dns_names, names);
        // Once a pair of the configured type is written, it is the one read.
        let ec = keys::fallback(&names, KeySpec::P256, std::time::SystemTime::now()).expect("pems");
        write_current(tmp.path(), m, &ec.cert, &ec.key).expect("store");
        let found = read_current(tmp.path(), m).expect("read").expect("a pair");
        let (_, leaf) = x509_parser::parse_x509_certificate(found.leaf().as_ref()).expect("x509");
        assert!(matches!(
            leaf.public_key().parsed(),
            Ok(x509_parser::public_key::PublicKey::EC(_))
        ));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("privkey.secp256r1.pem"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

//! Takes the plan's managed domains and keeps one background task per driven domain: it
//! sleeps until the renewal window opens (or the check interval passes), obtains a new
//! certificate from the CA, stores it, swaps it into the domain's slot (live from the next
//! handshake), runs MDNotifyCmd, and on failure logs what to do and retries with back-off
//! (MDRetryDelay, doubled per failure, at most a day). Nothing here runs on a request path.

use super::{acme, live, status, store};
use crate::plan::Plan;
use crate::plan::managed::{Managed, MdPlan};
use crate::prepare::certs::facts_of_pem;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A running driver: what it was started with, and how to stop it.
struct Running {
    key: (MdPlan, Managed, std::path::PathBuf),
    task: tokio::task::AbortHandle,
}

fn running() -> &'static Mutex<HashMap<String, Running>> {
    static RUNNING: OnceLock<Mutex<HashMap<String, Running>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// Brings the drivers in line with a plan just put in service: a domain whose settings are
/// unchanged keeps its task (and its back-off); others are restarted; gone ones stopped.
/// Call from within the tokio runtime.
pub fn sync(plan: &Plan) {
    let md = &plan.md;
    let mut all = running().lock().unwrap_or_else(|p| p.into_inner());
    let mut keep: Vec<String> = Vec::new();
    for m in md.domains.iter().filter(|m| m.driven()) {
        let Some(spec) = m.cert.and_then(|c| plan.certs.get(c)) else {
            continue;
        };
        let Some(slot) = live::find_slot(&spec.cert_file) else {
            continue;
        };
        let id = format!("{}|{}", md.store.display(), m.name);
        keep.push(id.clone());
        let key = (shared(md), what_drives(m), spec.cert_file.clone());
        if all.get(&id).is_some_and(|r| r.key == key) {
            continue;
        }
        if let Some(old) = all.remove(&id) {
            old.task.abort();
        }
        let (mdp, dom) = (key.0.clone(), m.clone());
        let task = tokio::spawn(drive(mdp, dom, slot)).abort_handle();
        all.insert(id, Running { key, task });
    }
    all.retain(|id, r| {
        let stays = keep.contains(id);
        if !stays {
            r.task.abort();
        }
        stays
    });
}

/// What the work for a domain depends on: its settings, without where it was written, which
/// vhosts use it or its place in the certificate list (so an unrelated edit does not restart
/// the work, its back-off or an order in progress).
fn what_drives(m: &Managed) -> Managed {
    Managed {
        span: Default::default(),
        vhosts: Vec::new(),
        cert: None,
        static_cert: None,
        cert_status: true,
        ..m.clone()
    }
}

/// The settings every domain shares (without the domain list, so one domain's change does
/// not restart the others).
fn shared(md: &MdPlan) -> MdPlan {
    MdPlan {
        domains: Vec::new(),
        ..md.clone()
    }
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// When the certificate now served should be replaced (unix seconds): at once for a
/// fallback, else when the renewal window opens.
pub fn renew_at(m: &Managed, not_before: i64, not_after: i64, fallback: bool) -> i64 {
    if fallback {
        return 0;
    }
    let lifetime = Duration::from_secs(not_after.saturating_sub(not_before).max(0) as u64);
    not_after - m.renew_window.before_end(lifetime).as_secs() as i64
}

/// When the certificate now served must be replaced: at once for a fallback or stand-in, or
/// when it lacks a name the domain now has (a name added to the MDomain, or joined from a
/// vhost); else when its renewal window opens.
pub fn due(m: &Managed, f: &crate::plan::cert_facts::CertFacts) -> i64 {
    let lacks = m
        .domains
        .iter()
        .any(|d| !f.dns_names.iter().any(|n| n.eq_ignore_ascii_case(d)));
    if lacks {
        return 0;
    }
    renew_at(m, f.not_before_unix, f.not_after_unix, f.fallback)
}

/// The check interval with mod_md's spread of +-50 %, so that many servers started together
/// do not all ask their CA at the same moment.
fn jittered(interval: Duration) -> Duration {
    let mut b = [0u8; 2];
    let _ = rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut b);
    let share = f64::from(u16::from_be_bytes(b)) / f64::from(u16::MAX);
    interval.mul_f64(0.5 + share)
}

/// Is the certificate inside MDWarnWindow (default 10 % of its lifetime before expiry)?
pub fn in_warn_window(m: &Managed, f: &crate::plan::cert_facts::CertFacts, now: i64) -> bool {
    let lifetime =
        Duration::from_secs(f.not_after_unix.saturating_sub(f.not_before_unix).max(0) as u64);
    !f.fallback && now >= f.not_after_unix - m.warn_window.before_end(lifetime).as_secs() as i64
}

/// mod_md's "expiring" message: renewal has not succeeded and the end is near.
fn warn_if_expiring(m: &Managed, f: &crate::plan::cert_facts::CertFacts, now: i64) {
    if in_warn_window(m, f, now) {
        tracing::warn!(
            "Managed Domain {}: the certificate expires on {} (inside MDWarnWindow {}) and has not been renewed yet; see the errors above",
            m.name,
            f.not_after,
            m.warn_window.show()
        );
    }
}

/// The delay after `failures` consecutive failures.
pub fn backoff(first: Duration, failures: u32) -> Duration {
    let day = Duration::from_secs(86400);
    first
        .checked_mul(1u32 << failures.saturating_sub(1).min(20))
        .unwrap_or(day)
        .min(day)
}

async fn drive(md: MdPlan, m: Managed, slot: Arc<live::Slot>) {
    let mut failures: u32 = 0;
    loop {
        let facts = slot.facts.load_full();
        let at = due(&m, &facts);
        let now = unix(SystemTime::now());
        if now < at {
            let wait = Duration::from_secs((at - now) as u64).min(jittered(md.check_interval));
            status::update(&m.name, |s| s.next_run = Some(now + wait.as_secs() as i64));
            tokio::time::sleep(wait).await;
            continue;
        }
        status::update(&m.name, |s| {
            s.renewing = true;
            s.log("progress", "obtaining a certificate");
        });
        tracing::info!(
            "Managed Domain {}: obtaining a certificate from {}",
            m.name,
            m.ca
        );
        let log = |what: &str| {
            tracing::debug!("Managed Domain {}: {what}", m.name);
            status::update(&m.name, |s| s.log("progress", what));
        };
        let outcome = match acme::obtain(&md, &m, &log).await {
            Ok(issued) => install(&md, &m, &slot, issued).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(until) => {
                failures = 0;
                tracing::info!(
                    "Managed Domain {}: a new certificate (valid until {until}) is served from the next handshake",
                    m.name
                );
                status::update(&m.name, |s| {
                    s.renewing = false;
                    s.errors = 0;
                    s.last = None;
                    s.log(
                        "renewed",
                        &format!("new certificate, valid until {until}, in service"),
                    );
                });
                notify(&md, &m).await;
                // A window as long as the lifetime would make every new certificate due at
                // once: never order again sooner than the check interval.
                if due(&m, &slot.facts.load()) <= unix(SystemTime::now()) {
                    tracing::warn!(
                        "Managed Domain {}: the new certificate is already inside MDRenewWindow {} (longer than its lifetime?); next attempt in {}s",
                        m.name,
                        m.renew_window.show(),
                        md.check_interval.as_secs()
                    );
                    tokio::time::sleep(md.check_interval).await;
                }
            }
            Err(why) => {
                failures += 1;
                warn_if_expiring(&m, &facts, unix(SystemTime::now()));
                let wait = backoff(m.retry_delay, failures);
                tracing::error!(
                    "Managed Domain {}: {why}; attempt {failures} failed, next in {}s (serving the current certificate meanwhile)",
                    m.name,
                    wait.as_secs()
                );
                status::update(&m.name, |s| {
                    s.renewing = false;
                    s.errors = failures;
                    s.last = Some(why.clone());
                    s.next_run = Some(unix(SystemTime::now()) + wait.as_secs() as i64);
                    s.log("error", &why);
                });
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Checks, stores and serves a new pair; gives its expiry as text.
async fn install(
    md: &MdPlan,
    m: &Managed,
    slot: &live::Slot,
    issued: acme::Issued,
) -> Result<String, String> {
    let facts = facts_of_pem(issued.cert_pem.as_bytes(), issued.key_pem.as_bytes())
        .map_err(|e| format!("the CA's certificate is unusable: {e}"))?;
    let missing: Vec<&str> = m
        .domains
        .iter()
        .filter(|d| !facts.dns_names.iter().any(|n| n.eq_ignore_ascii_case(d)))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the CA's certificate does not name {}; it is not used",
            missing.join(", ")
        ));
    }
    let (store, m2) = (md.store.clone(), m.clone());
    let (cert, key) = (issued.cert_pem, issued.key_pem);
    tokio::task::spawn_blocking(move || store::write_current(&store, &m2, &cert, &key))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            format!(
                "storing the certificate in {}: {e} (check MDStoreDir's owner and permissions)",
                md.store.display()
            )
        })?;
    let until = facts.not_after.clone();
    slot.install(facts);
    Ok(until)
}

/// How long MDNotifyCmd may run.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(300);

/// MDNotifyCmd, run as `<cmd> [args] <name>` after a certificate was obtained.
async fn notify(md: &MdPlan, m: &Managed) {
    let Some(cmd) = &md.notify_cmd else { return };
    let mut c = tokio::process::Command::new(&cmd[0]);
    c.args(&cmd[1..]).arg(&m.name).kill_on_drop(true);
    // A command that hangs is killed, so it cannot hold up the next renewal.
    match tokio::time::timeout(NOTIFY_TIMEOUT, c.status()).await {
        Ok(Ok(s)) if s.success() => {}
        Ok(Ok(s)) => tracing::error!(
            "AH10108: MDNotifyCmd {} failed with exit code {}.",
            cmd[0],
            s.code().unwrap_or(-1)
        ),
        Ok(Err(e)) => tracing::error!("MDNotifyCmd {}: {e}", cmd[0]),
        Err(_) => tracing::error!(
            "MDNotifyCmd {} did not finish within {}s and was killed",
            cmd[0],
            NOTIFY_TIMEOUT.as_secs()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_interval_is_spread_by_half() {
        let h = Duration::from_secs(3600);
        for _ in 0..50 {
            let j = jittered(h);
            assert!(j >= h / 2 && j <= h * 3 / 2, "{j:?}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_a_day() {
        let s = Duration::from_secs(30);
        assert_eq!(backoff(s, 1), s);
        assert_eq!(backoff(s, 2), Duration::from_secs(60));
        assert_eq!(backoff(s, 4), Duration::from_secs(240));
        assert_eq!(backoff(s, 40), Duration::from_secs(86400));
    }

    #[test]
    fn renewal_starts_when_the_window_opens() {
        use crate::config::md::Window;
        use crate::plan::managed::tests::{ONE_DOMAIN, planned};
        let (plan, _) = planned(ONE_DOMAIN);
        let mut m = plan.md.domains[0].clone();
        let day = 86400;
        // 33 % of a 90-day certificate: 29.7 days before it expires.
        assert_eq!(
            renew_at(&m, 0, 90 * day, false),
            90 * day - (29 * day + 60_480)
        );
        m.renew_window = Window::Before(Duration::from_secs(10 * day as u64));
        assert_eq!(renew_at(&m, 0, 90 * day, false), 80 * day);
        assert_eq!(
            renew_at(&m, 0, 90 * day, true),
            0,
            "a fallback is replaced at once"
        );
        let names = vec!["a.test".to_string()];
        let p = super::super::keys::fallback(&names, m.key, SystemTime::now()).expect("pems");
        let mut f = crate::prepare::certs::facts_of_pem(p.cert.as_bytes(), p.key.as_bytes())
            .expect("facts");
        f.fallback = false;
        assert!(due(&m, &f) > 0);
        m.domains.push("new.a.test".into());
        assert_eq!(
            due(&m, &f),
            0,
            "a name the certificate lacks makes it due now"
        );
    }
}

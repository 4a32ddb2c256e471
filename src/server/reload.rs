//! The reload transaction. A reload either applies completely or changes nothing:
//!
//! ```text
//! serving(G) --SIGHUP/SIGUSR1--> check: read every file, plan, load every certificate and key,
//!                                prepare G' (all off to the side, on a blocking thread)
//!   any error   --> log every diagnostic, "reload rejected"          --> serving(G)
//!   ok          --> bind the sockets G' adds (nothing else touched)
//!     bind fails --> close what was bound, "reload rejected"         --> serving(G)
//!     ok         --> publish G' (new connections and requests use it), start the added
//!                    sockets, keep the unchanged ones open, drain the removed ones,
//!                    "reload applied: ..."                           --> serving(G')
//! ```
//!
//! The trigger is injected (`reload` is a plain async function), so tests reload without
//! signals and wait on the returned outcome, not on a sleep.

use crate::config::diag::Severity;
use crate::plan::Listener;
use crate::prepare::check::{CheckOptions, check};
use crate::prepare::generation::Generation;
use crate::server::runtime::{self, ListenKey, Server};
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;

/// What a check needs, in a form that can cross to a blocking thread.
#[derive(Clone, Debug)]
pub struct Settings {
    pub config: PathBuf,
    pub server_root: PathBuf,
    pub defines: Vec<String>,
    pub display_base: Option<PathBuf>,
    pub hostname: String,
}

impl Settings {
    pub fn check_options(&self) -> CheckOptions {
        let mut o = CheckOptions::new(self.config.clone(), self.server_root.clone());
        o.load.defines = self.defines.clone();
        o.load.display_base = self.display_base.clone();
        o.plan.display_base = self.display_base.clone();
        o.plan.hostname = self.hostname.clone();
        o
    }
}

/// How a reload ended; the text is the one log line it gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied(String),
    Rejected(String),
}

/// Runs one reload transaction against a running server; `bind` binds a socket the new plan
/// adds (tests hand out sockets they bound in advance).
pub async fn reload<F>(server: &Server, settings: &Settings, bind: F) -> Outcome
where
    F: Fn(&Listener) -> std::io::Result<TcpListener>,
{
    let began = std::time::Instant::now();
    let s = settings.clone();
    let (upstreams, logs) = {
        let old = server.current.load();
        (old.upstreams.clone(), old.log_sinks.clone())
    };
    let checked = tokio::task::spawn_blocking(move || {
        let checked = check(&s.check_options());
        let report = checked.diags.render(&checked.sources);
        let errors = checked.diags.count(Severity::Error);
        if errors > 0 {
            return Err(format!("{errors} error(s) in the configuration\n{report}"));
        }
        let record = crate::ops::plan_record::render(&checked);
        // Where each Listen is written, for a bind error below.
        let at: Vec<String> = checked
            .plan
            .listeners
            .iter()
            .map(|l| checked.sources.file_line(l.span))
            .collect();
        Generation::prepare_with(checked, upstreams, &logs)
            .map(|g| (g, at, record))
            .map_err(|e| format!("{e}\n{report}"))
    })
    .await;
    let (next, listen_at, record) = match checked {
        Ok(Ok(g)) => g,
        Ok(Err(why)) => return rejected(why),
        Err(e) => return rejected(format!("the check did not finish: {e}")),
    };
    let old_keys = server.keys().await;
    let mut added: Vec<(ListenKey, TcpListener)> = Vec::new();
    let mut unbound = Vec::new();
    for (i, l) in next.plan.listeners.iter().enumerate() {
        let key = runtime::key_of(l);
        if old_keys.contains(&key) {
            continue;
        }
        match bind(l) {
            Ok(sock) => added.push((key, sock)),
            Err(e) => unbound.push(format!(
                "cannot bind {} (Listen at {}): {e}",
                runtime::addr_text(l),
                listen_at.get(i).map_or("?", String::as_str)
            )),
        }
    }
    if !unbound.is_empty() {
        return rejected(unbound.join("\n"));
    }
    let old = server.current.load_full();
    let summary = summary(&old, &next);
    let deadline = next
        .plan
        .model
        .graceful_shutdown_timeout
        .as_ref()
        .map_or(Duration::from_secs(10), |t| t.value);
    let record_at = crate::ops::plan_record::path(&crate::ops::pidfile::path(&next.plan));
    let (kept, n_added, removed) = server.swap(next, added, Some(deadline)).await;
    // The plan now in service, for the next reload's preview (off the runtime's workers).
    let wrote = tokio::task::spawn_blocking(move || {
        crate::ops::plan_record::write(&record_at, &record).map_err(|e| (record_at, e))
    })
    .await;
    if let Ok(Err((at, e))) = wrote {
        tracing::warn!(path = %at.display(), error = %e, "cannot update the plan record: reload previews will compare with an older plan");
    }
    let line = format!(
        "reload applied in {:.3} s: listeners {kept} kept, {n_added} added, {removed} removed; {summary}",
        began.elapsed().as_secs_f64()
    );
    tracing::info!("{line}");
    Outcome::Applied(line)
}

fn rejected(why: String) -> Outcome {
    let line = format!("reload rejected, the running configuration stays: {why}");
    tracing::error!("{line}");
    Outcome::Rejected(line)
}

fn summary(old: &Generation, new: &Generation) -> String {
    let (ov, nv) = (old.plan.vhosts.len(), new.plan.vhosts.len());
    let certs = new.plan.certs.len();
    format!("{nv} vhosts (was {ov}), {certs} certificates")
}

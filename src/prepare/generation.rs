//! Takes a checked plan and gives a `Generation`: everything serving needs, prepared once
//! (rustls configurations, redirect and alias rules, connection limits, directory
//! sections sorted), so the request path does no planning. Reload (later) swaps generations.

use crate::log::sink::Sink;
use crate::plan::Plan;
use crate::plan::cert_facts::CertFacts;
use crate::prepare::check::Checked;
use crate::prepare::tls::{self, TlsConfigs};
use crate::serve::handlers::file_cache::FileCache;
use crate::serve::handlers::proxy::Upstreams;
use crate::serve::router::Target;
use crate::serve::site::{AuthFiles, Site, read_types};
use crate::server::limits::ConnLimits;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One prepared plan in service.
pub struct Generation {
    pub plan: Plan,
    /// The `Server` header (ServerTokens).
    pub banner: hyper::header::HeaderValue,
    /// The access-log writers, by file, handed on to the next generation.
    pub log_sinks: HashMap<PathBuf, Arc<Sink>>,
    /// Some vhost has an access log.
    pub logs_any: bool,
    /// Some access log names request headers (`%{...}i`), so requests keep them for it.
    pub logs_want_request_headers: bool,
    /// Upstream connection pools, shared with the generations before and after this one.
    pub upstreams: Arc<Upstreams>,
    pub certs: Vec<Option<CertFacts>>,
    pub tls: TlsConfigs,
    pub sites: Vec<Site>,
    pub main_site: Site,
    /// Connection limits per chain (its default vhost's), and the main server's.
    pub limits: Vec<Arc<ConnLimits>>,
    pub main_limits: Arc<ConnLimits>,
}

impl Generation {
    /// Prepares a plan that passed every check.
    pub fn prepare(checked: Checked) -> Result<Generation, String> {
        Self::prepare_with(checked, Arc::new(Upstreams::default()), &HashMap::new())
    }

    /// Prepares a plan, keeping the upstream pools and the log writers of the generation it
    /// replaces (a kept log file is reopened, so logrotate works).
    pub fn prepare_with(
        checked: Checked,
        upstreams: Arc<Upstreams>,
        old_logs: &HashMap<PathBuf, Arc<Sink>>,
    ) -> Result<Generation, String> {
        if !checked.ok() {
            return Err("the configuration has errors".to_string());
        }
        let tls = tls::prepare(&checked.plan, &checked.certs)?;
        let mut logs: HashMap<PathBuf, Arc<Sink>> = old_logs.clone();
        for sink in logs.values() {
            sink.reopen();
        }
        let types = Arc::new(match &checked.plan.model.types_config {
            Some(p) => read_types(&p.value)?,
            None => HashMap::new(),
        });
        let servers = checked
            .plan
            .vhosts
            .iter()
            .chain(std::iter::once(&checked.plan.main));
        let auth = Arc::new(AuthFiles::load(
            &servers.flat_map(|v| v.conf.dir_confs()).collect::<Vec<_>>(),
        ));
        let files = Arc::new(FileCache::default());
        let sites = checked
            .plan
            .vhosts
            .iter()
            .map(|v| Site::new(v, &mut logs, &types, &auth, &files))
            .collect::<Result<Vec<_>, _>>()?;
        let main_site = Site::new(&checked.plan.main, &mut logs, &types, &auth, &files)?;
        let mut sites = sites;
        for (site, v) in sites.iter_mut().zip(&checked.plan.vhosts) {
            let spec = v
                .tls
                .as_ref()
                .and_then(|t| t.cert)
                .and_then(|c| checked.plan.certs.get(c));
            site.md_slot = spec
                .filter(|s| s.managed.is_some())
                .and_then(|s| crate::md::live::find_slot(&s.cert_file));
        }
        let logs_want_request_headers = sites
            .iter()
            .chain(std::iter::once(&main_site))
            .any(|s: &Site| s.access.wants_request_headers);
        // Only the files this generation names stay open.
        let used: std::collections::HashSet<PathBuf> = sites
            .iter()
            .chain(std::iter::once(&main_site))
            .flat_map(|s: &Site| s.access.paths())
            .collect();
        logs.retain(|p, _| used.contains(p));
        let logs_any = sites
            .iter()
            .chain(std::iter::once(&main_site))
            .any(|s: &Site| !s.access.is_empty());
        let plan = &checked.plan;
        let limits = plan
            .chains
            .iter()
            .map(|c| Arc::new(ConnLimits::of(&plan.vhost(c.default_vhost()).conf)))
            .collect();
        let main_limits = Arc::new(ConnLimits::of(&plan.main.conf));
        let banner = hyper::header::HeaderValue::from_str(&main_site.banner)
            .unwrap_or(hyper::header::HeaderValue::from_static(crate::SERVER_NAME));
        Ok(Generation {
            banner,
            limits,
            main_limits,
            logs_any,
            log_sinks: logs,
            logs_want_request_headers,
            upstreams,
            plan: checked.plan,
            certs: checked.certs,
            tls,
            sites,
            main_site,
        })
    }

    /// The limits of a connection to an address of `chain` (the main server's elsewhere).
    pub fn limits_for(&self, chain: Option<crate::plan::ChainId>) -> &Arc<ConnLimits> {
        chain
            .and_then(|c| self.limits.get(c))
            .unwrap_or(&self.main_limits)
    }

    pub fn site(&self, t: Target) -> &Site {
        match t {
            Target::Main => &self.main_site,
            Target::Vhost(id) => &self.sites[id],
        }
    }
}

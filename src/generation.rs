//! Takes a checked plan and gives a `Generation`: everything serving needs, prepared once
//! (rustls configurations, per-vhost roots canonicalised, redirect and alias rules, directory
//! sections sorted), so the request path does no planning. Reload (later) swaps generations.

use crate::certs::CertFacts;
use crate::check::Checked;
use crate::config::model::{DirConf, ServerConf};
use crate::handlers::mapping::{AliasTarget, CleanPath, RedirectRule, Settings, prefix_match};
use crate::handlers::proxy::{self, Upstreams};
use crate::log::access::AccessLogs;
use crate::log::sink::Sink;
use crate::plan::{Plan, Vhost};
use crate::router::Target;
use crate::tls::{self, TlsConfigs};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A filesystem root requests map into.
#[derive(Clone, Debug)]
pub struct Root {
    pub path: PathBuf,
    /// For the symlink containment check; `None` when the root does not exist.
    pub canonical: Option<PathBuf>,
}

/// One vhost (or the main server), ready to serve files.
#[derive(Clone, Debug)]
pub struct Site {
    pub name: String,
    pub admin: Option<String>,
    /// 0: DocumentRoot; `i + 1`: the target of `aliases[i]`.
    pub roots: Vec<Root>,
    pub redirects: Vec<RedirectRule>,
    pub aliases: Vec<AliasTarget>,
    base: DirConf,
    /// ProxyPass and friends.
    pub proxy: proxy::Rules,
    /// CustomLog files and formats.
    pub access: Arc<AccessLogs>,
    /// `<Directory>` sections, shallowest first.
    directories: Vec<(PathBuf, DirConf)>,
    locations: Vec<(String, DirConf)>,
}

impl Site {
    fn new(v: &Vhost, logs: &mut HashMap<PathBuf, Arc<Sink>>) -> Result<Site, String> {
        let conf: &ServerConf = &v.conf;
        let root = |p: &Path| Root {
            path: p.to_path_buf(),
            canonical: std::fs::canonicalize(p).ok(),
        };
        let aliases: Vec<AliasTarget> = conf
            .url_aliases
            .iter()
            .map(|a| AliasTarget {
                prefix: a.url.clone(),
                path: a.path.clone(),
                canonical: std::fs::canonicalize(&a.path).ok(),
            })
            .collect();
        let mut roots = vec![root(&v.document_root)];
        roots.extend(aliases.iter().map(|a| Root {
            path: a.path.clone(),
            canonical: a.canonical.clone(),
        }));
        let mut redirects: Vec<RedirectRule> = conf
            .dir
            .redirects
            .iter()
            .map(|r| RedirectRule {
                prefix: r.url_path.clone(),
                status: r.status,
                target: r.target.clone(),
            })
            .collect();
        for l in &conf.locations {
            for r in &l.conf.redirects {
                let prefix = if r.url_path.is_empty() {
                    l.path.clone()
                } else {
                    r.url_path.clone()
                };
                redirects.push(RedirectRule {
                    prefix,
                    status: r.status,
                    target: r.target.clone(),
                });
            }
        }
        let mut directories: Vec<(PathBuf, DirConf)> = conf
            .directories
            .iter()
            .map(|d| (PathBuf::from(&d.path), d.conf.clone()))
            .collect();
        directories.sort_by_key(|(p, _)| p.components().count());
        let mut passes = conf.proxy.passes.clone();
        let mut reverses = conf.proxy.reverses.clone();
        for l in &conf.locations {
            passes.extend(l.conf.proxy_pass.clone());
            reverses.extend(l.conf.proxy_reverse.iter().cloned());
        }
        let proxy = proxy::Rules {
            passes,
            reverses,
            preserve_host: conf.proxy.preserve_host.as_ref().is_some_and(|p| p.value),
            add_headers: conf.proxy.add_headers.as_ref().is_none_or(|p| p.value),
            timeout: conf
                .proxy
                .timeout
                .as_ref()
                .or(conf.conn.timeout.as_ref())
                .map_or(Duration::from_secs(60), |t| t.value),
            ssl_proxy: conf.tls.proxy_engine.as_ref().is_some_and(|p| p.value),
            ca_file: conf.tls.proxy_ca_file.as_ref().map(|c| c.value.clone()),
            server_name: v.name.clone(),
        };
        let access = Arc::new(AccessLogs::prepare(conf, logs)?);
        Ok(Site {
            access,
            proxy,
            name: v.name.clone(),
            admin: conf.server_admin.as_ref().map(|a| a.value.clone()),
            roots,
            redirects,
            aliases,
            base: conf.dir.clone(),
            directories,
            locations: conf
                .locations
                .iter()
                .map(|l| (l.path.clone(), l.conf.clone()))
                .collect(),
        })
    }

    /// The per-directory settings for a file path reached by a URL path.
    pub fn settings(&self, fs_path: &Path, url: &CleanPath) -> Settings {
        let mut s = Settings::default();
        s.apply(&self.base);
        for (dir, conf) in &self.directories {
            if fs_path.starts_with(dir) {
                s.apply(conf);
            }
        }
        for (loc, conf) in &self.locations {
            if prefix_match(loc, url).is_some() {
                s.apply(conf);
            }
        }
        s
    }
}

/// One prepared plan in service.
pub struct Generation {
    pub plan: Plan,
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
        let sites = checked
            .plan
            .vhosts
            .iter()
            .map(|v| Site::new(v, &mut logs))
            .collect::<Result<Vec<_>, _>>()?;
        let main_site = Site::new(&checked.plan.main, &mut logs)?;
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
        Ok(Generation {
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

    pub fn site(&self, t: Target) -> &Site {
        match t {
            Target::Main => &self.main_site,
            Target::Vhost(id) => &self.sites[id],
        }
    }
}

//! Takes a checked plan and gives a `Generation`: everything serving needs, prepared once
//! (rustls configurations, redirect and alias rules, connection limits, directory
//! sections sorted), so the request path does no planning. Reload (later) swaps generations.

use crate::access::htpasswd::{Groups, Users};
use crate::config::model::{DirConf, ServerConf, SetEnvIf};
use crate::log::access::AccessLogs;
use crate::log::sink::Sink;
use crate::plan::{Plan, Vhost};
use crate::prepare::certs::CertFacts;
use crate::prepare::check::Checked;
use crate::prepare::tls::{self, TlsConfigs};
use crate::serve::handlers::dirwalk::Sections;
use crate::serve::handlers::file_cache::FileCache;
use crate::serve::handlers::mapping::{AliasTarget, CleanPath, RedirectRule, Settings};
use crate::serve::handlers::proxy::{self, Upstreams};
use crate::serve::handlers::reqvars::RequestVars;
use crate::serve::handlers::rewrite::RewriteRule;
use crate::serve::router::Target;
use crate::server::limits::ConnLimits;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A filesystem root requests map into.
#[derive(Clone, Debug)]
pub struct Root {
    /// As configured: each request opens it anew (`handlers::beneath`), so a symlinked root
    /// repointed by a deploy is followed without a reload.
    pub path: PathBuf,
}

/// One vhost (or the main server), ready to serve files.
#[derive(Debug)]
pub struct Site {
    pub name: String,
    pub admin: Option<String>,
    /// The product ServerTokens gives, for ServerSignature's line.
    pub banner: String,
    /// 0: DocumentRoot; `i + 1`: the target of `aliases[i]`.
    pub roots: Vec<Root>,
    pub redirects: Vec<RedirectRule>,
    pub aliases: Vec<AliasTarget>,
    /// The server-level directory settings and every section, ready to walk.
    pub sections: Sections,
    /// mod_setenvif, run when the request arrives.
    pub set_env_if: Vec<SetEnvIf>,
    /// mod_rewrite's rules when `RewriteEngine on` (empty otherwise).
    pub rewrite: Vec<RewriteRule>,
    /// The TypesConfig table (extension -> type), shared by the generation's sites.
    pub types: Arc<HashMap<String, String>>,
    /// AuthUserFile and AuthGroupFile contents, read when the generation was prepared.
    pub auth: Arc<AuthFiles>,
    /// Some `Require expr` or `<If>` needs the request's variables.
    pub uses_expr: bool,
    /// Some `Header echo` needs the request's headers.
    pub echoes_headers: bool,
    /// ProxyPass and friends.
    pub proxy: proxy::Rules,
    /// CustomLog files and formats.
    pub access: Arc<AccessLogs>,
    /// Small files served lately, shared by the generation's sites.
    pub files: Arc<FileCache>,
}

/// The password and group files the sites name, read once per generation (a file that cannot
/// be read answers its space with 500, as httpd does; `-t` warns about it).
#[derive(Debug, Default)]
pub struct AuthFiles {
    pub users: HashMap<PathBuf, Result<Users, String>>,
    pub groups: HashMap<PathBuf, Result<Groups, String>>,
}

impl AuthFiles {
    fn load(confs: &[&DirConf]) -> AuthFiles {
        let mut files = AuthFiles::default();
        for c in confs {
            if let Some(p) = &c.auth_user_file {
                files.users.entry(p.value.clone()).or_insert_with(|| {
                    let users = std::fs::read_to_string(&p.value).map(|t| Users::parse(&t));
                    users.map_err(|e| {
                        format!("Could not open password file: {}: {e}", p.value.display())
                    })
                });
            }
            if let Some(p) = &c.auth_group_file {
                files.groups.entry(p.value.clone()).or_insert_with(|| {
                    let groups = std::fs::read_to_string(&p.value).map(|t| Groups::parse(&t));
                    groups.map_err(|e| {
                        format!("Could not open group file: {}: {e}", p.value.display())
                    })
                });
            }
        }
        files
    }
}

/// The `TypesConfig` file: `type ext ext...` lines (`#` comments), extensions lowercased.
pub fn read_types(path: &Path) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(ty) = words.next().filter(|w| !w.starts_with('#')) else {
            continue;
        };
        for ext in words {
            map.insert(ext.to_ascii_lowercase(), ty.to_string());
        }
    }
    Ok(map)
}

impl Site {
    fn new(
        v: &Vhost,
        logs: &mut HashMap<PathBuf, Arc<Sink>>,
        types: &Arc<HashMap<String, String>>,
        auth: &Arc<AuthFiles>,
        files: &Arc<FileCache>,
    ) -> Result<Site, String> {
        let conf: &ServerConf = &v.conf;
        let root = |p: &Path| Root {
            path: p.to_path_buf(),
        };
        let aliases: Vec<AliasTarget> = conf
            .url_aliases
            .iter()
            .map(|a| AliasTarget {
                prefix: a.url.clone(),
                path: a.path.clone(),
            })
            .collect();
        let mut roots = vec![root(&v.document_root)];
        roots.extend(aliases.iter().map(|a| Root {
            path: a.path.clone(),
        }));
        let mut redirects: Vec<RedirectRule> = conf
            .dir
            .redirects
            .iter()
            .map(|r| RedirectRule {
                prefix: r.url_path.clone(),
                regex: r.regex.clone(),
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
                    regex: r.regex.clone(),
                    status: r.status,
                    target: r.target.clone(),
                });
            }
        }
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
            banner: crate::serve::handlers::pages::banner(
                conf.server_tokens.as_ref().map(|t| t.value.as_str()),
            ),
            roots,
            redirects,
            aliases,
            sections: Sections::new(
                &conf.dir,
                &conf.directories,
                &conf.files,
                &conf.locations,
                &conf.ifs,
            ),
            set_env_if: conf.set_env_if.clone(),
            rewrite: match &conf.rewrite.engine {
                Some(e) if e.value => conf.rewrite.rules.clone(),
                _ => Vec::new(),
            },
            types: types.clone(),
            auth: auth.clone(),
            files: files.clone(),
            uses_expr: !conf.ifs.is_empty()
                || conf
                    .dir_confs()
                    .any(|d| d.access.authz.as_ref().is_some_and(|a| a.uses_expr())),
            echoes_headers: conf.dir_confs().any(|d| {
                d.headers
                    .iter()
                    .any(|h| h.action == crate::serve::handlers::headers::Action::Echo)
            }),
        })
    }

    /// The per-directory settings for a file path reached by a URL path (a path ending in `/`
    /// is taken as a directory).
    pub fn settings(
        &self,
        fs_path: &Path,
        url: &CleanPath,
        vars: Option<&RequestVars>,
    ) -> Arc<Settings> {
        let is_dir = url.trailing_slash || url.segments.is_empty();
        self.sections.settings(Some((fs_path, is_dir)), url, vars)
    }
}

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

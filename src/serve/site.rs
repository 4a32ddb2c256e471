//! Takes one vhost of a plan (or the main server) and gives a `Site`: everything serving a
//! request there needs, prepared once per generation (roots, redirect and alias rules,
//! sections ready to walk, rewrite rules, password files, log writers, the file cache).

use crate::access::htpasswd::{Groups, Users};
use crate::config::model::{DirConf, ServerConf, SetEnvIf};
use crate::log::access::AccessLogs;
use crate::log::sink::Sink;
use crate::plan::Vhost;
use crate::serve::handlers::dirwalk::Sections;
use crate::serve::handlers::file_cache::FileCache;
use crate::serve::handlers::mapping::{AliasTarget, CleanPath, RedirectRule, Settings};
use crate::serve::handlers::proxy;
use crate::serve::handlers::reqvars::RequestVars;
use crate::serve::handlers::rewrite::RewriteRule;
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
    /// A managed domain's certificate slot, when this vhost is served with one.
    pub md_slot: Option<Arc<crate::md::live::Slot>>,
}

/// The password and group files the sites name, read once per generation (a file that cannot
/// be read answers its space with 500, as httpd does; `-t` warns about it).
#[derive(Debug, Default)]
pub struct AuthFiles {
    pub users: HashMap<PathBuf, Result<Users, String>>,
    pub groups: HashMap<PathBuf, Result<Groups, String>>,
}

impl AuthFiles {
    pub fn load(confs: &[&DirConf]) -> AuthFiles {
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

/// What maps a URL to a file, a redirect or an upstream for one vhost: its roots
/// (DocumentRoot, then each Alias target), Redirect rules (server level, then `<Location>`),
/// Alias prefixes and the proxy rules. Made without touching anything outside the plan, so
/// `server -E` can use it too.
pub struct Routes {
    pub roots: Vec<Root>,
    pub redirects: Vec<RedirectRule>,
    pub aliases: Vec<AliasTarget>,
    pub proxy: proxy::Rules,
}

impl Routes {
    pub fn of(v: &Vhost) -> Routes {
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
        Routes {
            roots,
            redirects,
            aliases,
            proxy,
        }
    }
}

impl Site {
    pub fn new(
        v: &Vhost,
        logs: &mut HashMap<PathBuf, Arc<Sink>>,
        types: &Arc<HashMap<String, String>>,
        auth: &Arc<AuthFiles>,
        files: &Arc<FileCache>,
    ) -> Result<Site, String> {
        let conf: &ServerConf = &v.conf;
        let Routes {
            roots,
            redirects,
            aliases,
            proxy,
        } = Routes::of(v);
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
            md_slot: None,
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

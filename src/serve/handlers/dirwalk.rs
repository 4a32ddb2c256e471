//! Takes a vhost's directory-context sections and one request's file path and URL path and
//! gives the sections that apply, in httpd's merge order (`<Directory>` by depth, then
//! `<DirectoryMatch>`/`<Directory ~>`, then `<Files>`/`<FilesMatch>`, then `<Location>`/
//! `<LocationMatch>` in file order), and the merged settings, memoised per combination.

use super::mapping::{CleanPath, Settings, prefix_match};
use crate::access::expr::Expr;
use crate::config::model::{DirConf, DirSection};
use crate::regex::Pattern;
use crate::serve::handlers::reqvars::RequestVars;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many distinct section combinations a site remembers merged.
const MEMO: usize = 4096;

/// What a section matches.
#[derive(Clone, Debug)]
enum Matcher {
    /// A `<Directory>` path (wildcards allowed in its segments).
    Dir(PathBuf),
    DirRegex(Pattern),
    /// A `<Files>` name (wildcards allowed) or `<FilesMatch>` regex, under an optional directory.
    File {
        name: Result<Pattern, String>,
        within: Option<Box<Matcher>>,
    },
    Location(String),
    LocationRegex(Pattern),
    /// `<If>`/`<ElseIf>` (an expression) or `<Else>` (none), under an optional directory.
    If {
        expr: Option<Expr>,
        starts_chain: bool,
        within: Option<Box<Matcher>>,
    },
}

/// The sections of one site, ready to walk.
#[derive(Debug, Default)]
pub struct Sections {
    /// The server-level settings alone (also what answers before a path is mapped).
    base: Arc<Settings>,
    /// Every section in merge order with what it matches.
    list: Vec<(Matcher, DirConf)>,
    regex_locations: bool,
    memo: Mutex<HashMap<Vec<u16>, Arc<Settings>>>,
}

fn has_wild(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `apr_fnmatch` with `APR_FNM_PATHNAME`: `*` and `?` do not cross `/`.
fn fnmatch(pattern: &str, text: &str) -> bool {
    crate::access::expr::fnmatch(pattern, text)
}

impl Matcher {
    fn dir_of(s: &DirSection) -> Matcher {
        match &s.regex {
            Some(r) => Matcher::DirRegex(r.clone()),
            None => Matcher::Dir(PathBuf::from(&s.path)),
        }
    }

    /// `dir` is the directory the request reached (the file's parent for files).
    fn matches(&self, dir: &Path, file: Option<&str>, url: &CleanPath, url_text: &str) -> bool {
        match self {
            Matcher::Dir(p) => {
                let text = p.to_string_lossy();
                if !has_wild(&text) {
                    return dir.starts_with(p);
                }
                let want: Vec<_> = p.components().collect();
                let have: Vec<_> = dir.components().collect();
                want.len() <= have.len()
                    && want.iter().zip(&have).all(|(w, h)| {
                        fnmatch(
                            &w.as_os_str().to_string_lossy(),
                            &h.as_os_str().to_string_lossy(),
                        )
                    })
            }
            Matcher::DirRegex(r) => {
                let mut d = dir.to_string_lossy().into_owned();
                if !d.ends_with('/') {
                    d.push('/');
                }
                r.is_match(&d)
            }
            Matcher::File { name, within } => {
                let Some(f) = file else { return false };
                let hit = match name {
                    Ok(re) => re.is_match(f),
                    Err(glob) => fnmatch(glob, f),
                };
                hit && within
                    .as_ref()
                    .is_none_or(|w| w.matches(dir, None, url, url_text))
            }
            Matcher::Location(l) => prefix_match(l, url).is_some(),
            Matcher::LocationRegex(r) => r.is_match(url_text),
            // Decided by `Sections::settings`, which knows the chain and the variables.
            Matcher::If { .. } => false,
        }
    }
}

impl Sections {
    pub fn new(
        base: &DirConf,
        directories: &[DirSection],
        files: &[DirSection],
        locations: &[DirSection],
        ifs: &[DirSection],
    ) -> Sections {
        let mut plain: Vec<&DirSection> =
            directories.iter().filter(|d| d.regex.is_none()).collect();
        plain.sort_by_key(|d| Path::new(&d.path).components().count());
        let mut list: Vec<(Matcher, DirConf)> = plain
            .into_iter()
            .chain(directories.iter().filter(|d| d.regex.is_some()))
            .map(|d| (Matcher::dir_of(d), d.conf.clone()))
            .collect();
        for f in files {
            let name = f.regex.clone().ok_or_else(|| f.path.clone());
            let within = f.within.as_ref().map(|w| {
                Box::new(match &w.regex {
                    Some(r) => Matcher::DirRegex(r.clone()),
                    None => Matcher::Dir(PathBuf::from(&w.path)),
                })
            });
            list.push((Matcher::File { name, within }, f.conf.clone()));
        }
        for l in locations {
            let m = match &l.regex {
                Some(r) => Matcher::LocationRegex(r.clone()),
                None => Matcher::Location(l.path.clone()),
            };
            list.push((m, l.conf.clone()));
        }
        for i in ifs {
            let cond = i.cond.clone().unwrap_or_default();
            let within = i.within.as_ref().map(|w| {
                Box::new(match &w.regex {
                    Some(r) => Matcher::DirRegex(r.clone()),
                    None => Matcher::Dir(PathBuf::from(&w.path)),
                })
            });
            let m = Matcher::If {
                expr: cond.expr,
                starts_chain: cond.starts_chain,
                within,
            };
            list.push((m, i.conf.clone()));
        }
        let mut server = Settings::default();
        server.apply(base);
        Sections {
            base: Arc::new(server),
            regex_locations: list
                .iter()
                .any(|(m, _)| matches!(m, Matcher::LocationRegex(_))),
            list,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// The server-level settings, before any section.
    pub fn base(&self) -> &Arc<Settings> {
        &self.base
    }

    /// The settings for a file path (`is_dir`: the path names a directory) reached by a URL
    /// path; `None` for the file path when the request maps to no file (proxied requests).
    /// `vars` answers `<If>` expressions (none: no `<If>` holds).
    pub fn settings(
        &self,
        fs_path: Option<(&Path, bool)>,
        url: &CleanPath,
        vars: Option<&RequestVars>,
    ) -> Arc<Settings> {
        if self.list.is_empty() {
            return self.base.clone();
        }
        // Only `<LocationMatch>` reads the URL-path as text.
        let url_text = if self.regex_locations {
            url.as_url()
        } else {
            String::new()
        };
        let (dir, file) = match fs_path {
            Some((p, true)) => (Some(p), None),
            Some((p, false)) => (p.parent(), p.file_name().map(|f| f.to_string_lossy())),
            None => (None, None),
        };
        // An `<If>` chain applies its first section whose expression holds.
        let mut chain_done = false;
        let mut keys: Vec<u16> = Vec::new();
        for (i, (m, _)) in self.list.iter().enumerate() {
            let hit = match (m, dir) {
                (
                    Matcher::If {
                        expr,
                        starts_chain,
                        within,
                    },
                    _,
                ) => {
                    if *starts_chain {
                        chain_done = false;
                    }
                    let under = within
                        .as_ref()
                        .is_none_or(|w| dir.is_some_and(|d| w.matches(d, None, url, &url_text)));
                    let holds = !chain_done
                        && under
                        && vars.is_some_and(|v| {
                            expr.as_ref().is_none_or(|e| {
                                e.eval(&|name: &str| v.lookup(name).unwrap_or_default())
                            })
                        });
                    chain_done |= holds;
                    holds
                }
                (Matcher::Location(_) | Matcher::LocationRegex(_), _) => {
                    m.matches(Path::new(""), None, url, &url_text)
                }
                (_, Some(d)) => m.matches(d, file.as_deref(), url, &url_text),
                (_, None) => false,
            };
            if hit {
                keys.push(i as u16);
            }
        }
        if let Ok(memo) = self.memo.lock()
            && let Some(s) = memo.get(&keys)
        {
            return s.clone();
        }
        if keys.is_empty() {
            return self.base.clone();
        }
        let mut s = (*self.base).clone();
        for &k in &keys {
            s.apply(&self.list[k as usize].1);
        }
        let s = Arc::new(s);
        if let Ok(mut memo) = self.memo.lock()
            && memo.len() < MEMO
        {
            memo.insert(keys, s.clone());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::Within;

    fn section(path: &str, regex: bool, within: Option<Within>) -> DirSection {
        let mut conf = DirConf::default();
        conf.index_ignore.push(path.to_string());
        DirSection {
            path: path.to_string(),
            regex: regex.then(|| Pattern::new(path, false).unwrap()),
            within,
            conf,
            ..Default::default()
        }
    }

    fn applied(s: &Sections, fs: &str, is_dir: bool, url: &str) -> Vec<String> {
        let url = crate::serve::handlers::mapping::clean_path(url).unwrap();
        s.settings(Some((Path::new(fs), is_dir)), &url, None)
            .dir
            .index_ignore
            .clone()
    }

    #[test]
    fn merge_order_is_httpds() {
        let dirs = [
            section("/srv/www/site", false, None),
            section("^/srv/www/", true, None),
            section("/srv", false, None),
            section("/srv/*/site", false, None),
        ];
        let files = [
            section(r"^\.ht", true, None),
            section(
                "*.txt",
                false,
                Some(Within {
                    path: "/srv/www".into(),
                    regex: None,
                }),
            ),
            section(
                "*.txt",
                false,
                Some(Within {
                    path: "/other".into(),
                    regex: None,
                }),
            ),
        ];
        let locs = [section("/a", false, None), section("^/a/b", true, None)];
        let s = Sections::new(&DirConf::default(), &dirs, &files, &locs, &[]);
        assert_eq!(
            applied(&s, "/srv/www/site/x.txt", false, "/a/b/x.txt"),
            [
                "/srv",
                "/srv/www/site",
                "/srv/*/site",
                "^/srv/www/",
                "*.txt",
                "/a",
                "^/a/b"
            ]
        );
        assert_eq!(
            applied(&s, "/srv/www/.htaccess", false, "/.htaccess"),
            ["/srv", "^/srv/www/", r"^\.ht"]
        );
        assert_eq!(applied(&s, "/srv/www", true, "/"), ["/srv", "^/srv/www/"]);
        assert_eq!(
            applied(&s, "/elsewhere/x", false, "/ab"),
            Vec::<String>::new()
        );
        // The memo gives the same answer.
        assert_eq!(applied(&s, "/srv/www", true, "/"), ["/srv", "^/srv/www/"]);
    }

    #[test]
    fn an_if_chain_applies_its_first_true_section() {
        use crate::config::model::IfCond;
        let cond = |text: &str, e: Option<&str>, starts_chain| {
            let mut s = section(text, false, None);
            s.cond = Some(IfCond {
                expr: e.map(|e| crate::access::expr::parse(e).unwrap()),
                starts_chain,
            });
            s
        };
        let ifs = [
            cond("if", Some("%{QUERY_STRING} == 'a'"), true),
            cond("elseif", Some("%{REQUEST_METHOD} == 'GET'"), false),
            cond("else", None, false),
            cond("second", Some("%{QUERY_STRING} =~ /a|b/"), true),
        ];
        let s = Sections::new(&DirConf::default(), &[], &[], &[], &ifs);
        let url = crate::serve::handlers::mapping::clean_path("/").unwrap();
        let run = |method: &str, query: &str| {
            let v = RequestVars {
                method: method.into(),
                query: Some(query.into()),
                ..Default::default()
            };
            s.settings(Some((Path::new("/srv"), true)), &url, Some(&v))
                .dir
                .index_ignore
                .clone()
        };
        assert_eq!(run("GET", "a"), ["if", "second"]);
        assert_eq!(run("GET", "b"), ["elseif", "second"]);
        assert_eq!(run("POST", "c"), ["else"]);
        // Without the request's variables no condition holds.
        let none = s.settings(Some((Path::new("/srv"), true)), &url, None);
        assert!(none.dir.index_ignore.is_empty());
    }
}

//! Takes a vhost's directory-context sections and one request's file path and URL path and
//! gives the sections that apply, in httpd's merge order (`<Directory>` by depth, then
//! `<DirectoryMatch>`/`<Directory ~>`, then `<Files>`/`<FilesMatch>`, then `<Location>`/
//! `<LocationMatch>` in file order), and the merged settings, memoised per combination.

use super::mapping::{CleanPath, Settings, prefix_match};
use crate::config::model::{DirConf, DirSection};
use crate::regex::Pattern;
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
        }
    }
}

impl Sections {
    pub fn new(
        base: &DirConf,
        directories: &[DirSection],
        files: &[DirSection],
        locations: &[DirSection],
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
    pub fn settings(&self, fs_path: Option<(&Path, bool)>, url: &CleanPath) -> Arc<Settings> {
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
        let keys: Vec<u16> = self
            .list
            .iter()
            .enumerate()
            .filter(|(_, (m, _))| match (m, dir) {
                (Matcher::Location(_) | Matcher::LocationRegex(_), _) => {
                    m.matches(Path::new(""), None, url, &url_text)
                }
                (_, Some(d)) => m.matches(d, file.as_deref(), url, &url_text),
                (_, None) => false,
            })
            .map(|(i, _)| i as u16)
            .collect();
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
        let url = crate::handlers::mapping::clean_path(url).unwrap();
        s.settings(Some((Path::new(fs), is_dir)), &url)
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
        let s = Sections::new(&DirConf::default(), &dirs, &files, &locs);
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
}

//! Takes an `Include`/`IncludeOptional` argument (already resolved against ServerRoot) and gives
//! the files it names in httpd's order: shell globs in any segment, matches sorted, dot files not
//! matched by `*`, directories read recursively; errors worded as httpd words them.

use std::path::{Path, PathBuf};

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The files an Include argument names, in httpd's order; errors as httpd words them.
pub fn expand_include(
    pattern: &Path,
    optional: bool,
    show: &dyn Fn(&Path) -> String,
) -> Result<Vec<PathBuf>, String> {
    let text = pattern.to_string_lossy();
    if !has_wildcard(&text) {
        return match std::fs::metadata(pattern) {
            Ok(m) if m.is_dir() => read_dir_recursive(pattern, show),
            Ok(_) => Ok(vec![pattern.to_path_buf()]),
            Err(_) if optional => Ok(Vec::new()),
            Err(e) => Err(format!(
                "Could not open configuration file {}: {e}",
                show(pattern)
            )),
        };
    }
    // Escape the literal components so that only the wildcards the admin wrote are patterns.
    let mut glob_text = String::new();
    for (i, comp) in pattern.components().enumerate() {
        let s = comp.as_os_str().to_string_lossy();
        if i > 0 && !glob_text.ends_with('/') {
            glob_text.push('/');
        }
        if has_wildcard(&s) {
            glob_text.push_str(&s);
        } else {
            glob_text.push_str(&glob::Pattern::escape(&s));
        }
    }
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let paths =
        glob::glob_with(&glob_text, opts).map_err(|e| format!("bad wildcard pattern: {e}"))?;
    let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    matched.sort();
    if matched.is_empty() {
        if optional {
            return Ok(Vec::new());
        }
        let dir = pattern.parent().unwrap_or(Path::new("/"));
        let last = pattern
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Err(format!(
            "No matches for the wildcard '{last}' in '{}', failing",
            show(dir)
        ));
    }
    expand_dirs(matched, show)
}

/// Files stay; directories become every file under them.
fn expand_dirs(
    paths: Vec<PathBuf>,
    show: &dyn Fn(&Path) -> String,
) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(read_dir_recursive(&p, show)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// Every file under a directory, alphabetically, depth first; dot files are skipped.
fn read_dir_recursive(dir: &Path, show: &dyn Fn(&Path) -> String) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("Could not open directory {}: {e}", show(dir)))?;
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    names.sort();
    expand_dirs(names, show)
}

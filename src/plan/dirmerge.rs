//! Takes two directory-context configurations (an outer one and the inner, more specific or
//! later one) and gives their merge as httpd's modules merge them: core's Options and
//! DirectoryIndex, authz_core/access_compat (`access::merge`), mod_headers and mod_env rule lists
//! (outer first), mod_mime's extension maps (inner wins, `Remove*` clears), mod_alias redirects.

use crate::access;
use crate::config::model::{DirConf, MimeConf, OptFlags, OptionsSpec};
use crate::config::source::Spanned;

/// `inner` merged over `outer`.
pub fn merge_dir(inner: &DirConf, outer: &DirConf) -> DirConf {
    let mut out = inner.clone();
    out.directory_index = or(&inner.directory_index, &outer.directory_index);
    out.options = match (&inner.options, &outer.options) {
        (Some(i), Some(o)) if i.value.replace.is_none() => Some(Spanned::new(
            OptionsSpec {
                replace: Some(i.value.apply(o.value.apply(OptFlags::FOLLOW_SYMLINKS))),
                add: Default::default(),
                remove: Default::default(),
            },
            i.span,
        )),
        (Some(i), _) => Some(i.clone()),
        (None, o) => o.clone(),
    };
    out.access = access::merge(&outer.access, &inner.access);
    out.auth_user_file = or(&inner.auth_user_file, &outer.auth_user_file);
    out.auth_group_file = or(&inner.auth_group_file, &outer.auth_group_file);
    out.require_ssl = inner.require_ssl || outer.require_ssl;
    out.headers = concat(&outer.headers, &inner.headers);
    out.request_headers = concat(&outer.request_headers, &inner.request_headers);
    out.mime = merge_mime(&inner.mime, &outer.mime);
    out.env = concat(&outer.env, &inner.env);
    out.handler = or(&inner.handler, &outer.handler);
    out.index_ignore = concat(&outer.index_ignore, &inner.index_ignore);
    out.server_signature = or(&inner.server_signature, &outer.server_signature);
    out.redirects = concat(&inner.redirects, &outer.redirects);
    let mut docs = outer.error_documents.clone();
    docs.extend(inner.error_documents.clone());
    out.error_documents = docs;
    out.limit_request_body = or(&inner.limit_request_body, &outer.limit_request_body);
    out.max_ranges = or(&inner.max_ranges, &outer.max_ranges);
    out.precompressed = or(&inner.precompressed, &outer.precompressed);
    out.proxy_pass = or(&inner.proxy_pass, &outer.proxy_pass);
    out.proxy_reverse = concat(&outer.proxy_reverse, &inner.proxy_reverse);
    out
}

/// The inner context's value when it set one, else the outer's.
fn or<T: Clone>(inner: &Option<T>, outer: &Option<T>) -> Option<T> {
    inner.clone().or_else(|| outer.clone())
}

fn concat<T: Clone>(first: &[T], then: &[T]) -> Vec<T> {
    first.iter().chain(then).cloned().collect()
}

/// mod_mime's `merge_mime_dir_configs`: the inner maps over the outer ones, and the inner
/// context's `Remove*` lines take the extensions out of what it inherits.
fn merge_mime(inner: &MimeConf, outer: &MimeConf) -> MimeConf {
    let merge = |i: &std::collections::BTreeMap<String, String>,
                 o: &std::collections::BTreeMap<String, String>,
                 removed: &[String]| {
        let mut m = o.clone();
        for r in removed {
            m.remove(r);
        }
        m.extend(i.iter().map(|(k, v)| (k.clone(), v.clone())));
        m
    };
    MimeConf {
        types: merge(&inner.types, &outer.types, &inner.remove_types),
        charsets: merge(&inner.charsets, &outer.charsets, &inner.remove_charsets),
        encodings: merge(&inner.encodings, &outer.encodings, &inner.remove_encodings),
        remove_types: Vec::new(),
        remove_charsets: Vec::new(),
        remove_encodings: Vec::new(),
        force_type: or(&inner.force_type, &outer.force_type),
        default_charset: or(&inner.default_charset, &outer.default_charset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_maps_inner_wins_and_remove_clears() {
        let mut outer = DirConf::default();
        outer.mime.types.insert("foo".into(), "text/x-foo".into());
        outer.mime.types.insert("bar".into(), "text/x-bar".into());
        let mut inner = DirConf::default();
        inner.mime.types.insert("foo".into(), "text/x-other".into());
        inner.mime.remove_types.push("bar".into());
        let m = merge_dir(&inner, &outer);
        assert_eq!(
            m.mime.types.get("foo").map(String::as_str),
            Some("text/x-other")
        );
        assert!(!m.mime.types.contains_key("bar"));
        inner.env.push(("A".into(), Some("1".into())));
        outer.env.push(("B".into(), None));
        let m = merge_dir(&inner, &outer);
        assert_eq!(m.env[0].0, "B");
        assert_eq!(m.env[1].0, "A");
    }
}

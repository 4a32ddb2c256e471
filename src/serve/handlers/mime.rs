//! Takes a file path, the merged mod_mime settings and the TypesConfig table and gives the
//! Content-Type (with charset) and Content-Encoding httpd's mod_mime would send: every
//! dot-separated extension after the first part of the name counts, later ones win, RemoveType
//! hides the TypesConfig type too, ForceType overrides, AddDefaultCharset applies to text/plain
//! and text/html without a charset.

use crate::config::model::MimeConf;
use hyper::header::HeaderValue;
use std::collections::HashMap;
use std::path::Path;

/// `(content type, content encoding)`.
pub fn content_type(
    path: &Path,
    mime: &MimeConf,
    types: &HashMap<String, String>,
) -> (String, Option<String>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (mut ty, mut charset, mut encoding) = (None::<String>, None::<String>, None::<String>);
    for ext in name.split('.').skip(1).map(str::to_ascii_lowercase) {
        if let Some(t) = mime.types.get(&ext).or_else(|| types.get(&ext)) {
            // Empty: RemoveType took this extension's type away.
            if !t.is_empty() {
                ty = Some(t.clone());
            }
        } else if types.is_empty()
            && let Some(t) = mime_guess::from_ext(&ext).first_raw()
        {
            ty = Some(t.to_string());
        }
        if let Some(c) = mime.charsets.get(&ext) {
            charset = Some(c.clone());
        }
        if let Some(e) = mime.encodings.get(&ext) {
            encoding = Some(e.clone());
        }
    }
    if let Some(Some(forced)) = &mime.force_type {
        ty = Some(forced.clone());
    }
    let mut ty = ty.unwrap_or_else(|| "application/octet-stream".to_string());
    let has_charset = ty.to_ascii_lowercase().contains("charset=");
    match (charset, &mime.default_charset) {
        (Some(cs), _) if !has_charset => ty = format!("{ty}; charset={cs}"),
        (None, Some(Some(cs)))
            if !has_charset && (ty.starts_with("text/plain") || ty.starts_with("text/html")) =>
        {
            ty = format!("{ty}; charset={cs}")
        }
        _ => {}
    }
    (ty, encoding)
}

/// The Content-Type and Content-Encoding a file gets, as header values.
#[derive(Clone, Debug)]
pub struct TypeHeaders {
    pub content_type: HeaderValue,
    pub encoding: Option<HeaderValue>,
    /// The answer depends on Accept-Encoding (a precompressed sibling exists).
    pub vary: bool,
}

impl TypeHeaders {
    /// For `path` under `mime`'s rules; a type that is not a valid header value is
    /// octet-stream.
    pub fn of(path: &Path, mime: &MimeConf, types: &HashMap<String, String>) -> TypeHeaders {
        let (ty, encoding) = content_type(path, mime, types);
        TypeHeaders {
            content_type: HeaderValue::from_str(&ty)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            encoding: encoding.and_then(|e| HeaderValue::from_str(&e).ok()),
            vary: false,
        }
    }

    /// These headers for a file that has precompressed siblings, sent in `coding` (or as it
    /// is, for `None`).
    pub fn varied(self, coding: Option<crate::config::model::Coding>) -> TypeHeaders {
        TypeHeaders {
            encoding: coding
                .map(|c| HeaderValue::from_static(c.token()))
                .or(self.encoding),
            vary: true,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(name: &str, mime: &MimeConf, types: &[(&str, &str)]) -> (String, Option<String>) {
        let t = types
            .iter()
            .map(|(e, t)| (e.to_string(), t.to_string()))
            .collect();
        content_type(Path::new(name), mime, &t)
    }

    #[test]
    fn extensions_as_mod_mime_reads_them() {
        let none = MimeConf::default();
        assert_eq!(ct("/x/a.html", &none, &[]).0, "text/html");
        let table = [("html", "text/html"), ("gz", "application/gzip")];
        assert_eq!(ct("/x/a.HTML", &none, &table).0, "text/html");
        assert_eq!(ct("/x/a.css", &none, &table).0, "application/octet-stream");
        let mut m = MimeConf::default();
        m.types
            .insert("shtml".into(), "text/x-server-parsed".into());
        m.encodings.insert("gz".into(), "x-gzip".into());
        m.charsets.insert("utf8".into(), "UTF-8".into());
        assert_eq!(
            ct("/x/page.html.gz", &m, &table),
            ("application/gzip".into(), Some("x-gzip".into()))
        );
        assert_eq!(ct("/x/a.shtml", &m, &table).0, "text/x-server-parsed");
        assert_eq!(
            ct("/x/a.html.utf8", &m, &table).0,
            "text/html; charset=UTF-8"
        );
        m.default_charset = Some(Some("UTF-8".into()));
        assert_eq!(ct("/x/a.html", &m, &table).0, "text/html; charset=UTF-8");
        assert_eq!(ct("/x/a.gz", &m, &table).0, "application/gzip");
        m.force_type = Some(Some("text/plain".into()));
        assert_eq!(ct("/x/a.gz", &m, &table).0, "text/plain; charset=UTF-8");
    }

    #[test]
    fn remove_type_hides_the_types_config_entry() {
        let table = [("json", "application/json"), ("html", "text/html")];
        let mut m = MimeConf::default();
        m.types.insert("json".into(), String::new());
        assert_eq!(ct("/x/a.json", &m, &table).0, "application/octet-stream");
        assert_eq!(ct("/x/a.json", &m, &[]).0, "application/octet-stream");
        assert_eq!(ct("/x/a.json.html", &m, &table).0, "text/html");
        assert_eq!(ct("/x/a.html.json", &m, &table).0, "text/html");
    }
}

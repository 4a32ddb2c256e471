//! Takes one request (its head, the connection's facts, the vhost's name and root) and gives the
//! server variables httpd modules read: mod_rewrite's `%{VAR}` (and its file tests),
//! `Require expr`'s variables, and mod_setenvif's attributes, which it applies to the request's
//! environment.

use super::rewrite::Vars;
use crate::config::model::SetEnvIf;
use hyper::HeaderMap;
use std::collections::HashMap;
use std::path::Path;

/// The request's environment (`SetEnvIf`, `SetEnv`, mod_ssl's `HTTPS`).
pub type Env = HashMap<String, String>;

/// An owned view of one request, so rules can run off the async runtime.
#[derive(Clone, Debug, Default)]
pub struct RequestVars {
    pub method: String,
    /// The URL-path as sent (not decoded) and the query.
    pub raw_path: String,
    pub query: Option<String>,
    pub protocol: &'static str,
    pub headers: HeaderMap,
    pub remote_ip: String,
    pub remote_port: u16,
    pub local_ip: String,
    pub local_port: u16,
    pub https: bool,
    /// The vhost's ServerName, admin and DocumentRoot.
    pub server_name: String,
    pub server_admin: String,
    pub document_root: String,
    pub env: Env,
}

impl RequestVars {
    fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A variable by httpd's (upper-case) name; `None` when httpd would have none.
    pub fn lookup(&self, name: &str) -> Option<String> {
        if let Some(h) = name.strip_prefix("HTTP:") {
            return Some(self.header(h));
        }
        if let Some(e) = name.strip_prefix("ENV:") {
            return self.env.get(e).cloned();
        }
        if name.starts_with("SSL:") {
            return None;
        }
        Some(match name {
            "HTTP_HOST" => self.header("host"),
            "HTTP_USER_AGENT" => self.header("user-agent"),
            "HTTP_REFERER" => self.header("referer"),
            "HTTP_COOKIE" => self.header("cookie"),
            "HTTP_ACCEPT" => self.header("accept"),
            "HTTP_FORWARDED" => self.header("forwarded"),
            "HTTP_PROXY_CONNECTION" => self.header("proxy-connection"),
            "REQUEST_METHOD" => self.method.clone(),
            "REQUEST_SCHEME" => if self.https { "https" } else { "http" }.into(),
            "HTTPS" => if self.https { "on" } else { "off" }.into(),
            "SERVER_NAME" => self.server_name.clone(),
            "SERVER_ADMIN" => self.server_admin.clone(),
            "SERVER_PORT" => self.local_port.to_string(),
            "SERVER_ADDR" => self.local_ip.clone(),
            "SERVER_PROTOCOL" => self.protocol.to_string(),
            "REMOTE_ADDR" | "CONN_REMOTE_ADDR" => self.remote_ip.clone(),
            "REMOTE_PORT" => self.remote_port.to_string(),
            "REMOTE_HOST" => self.remote_ip.clone(),
            "DOCUMENT_ROOT" => self.document_root.clone(),
            "REQUEST_URI" | "DOCUMENT_URI" => self.raw_path.clone(),
            "QUERY_STRING" => self.query.clone().unwrap_or_default(),
            "THE_REQUEST" => {
                let target = match &self.query {
                    Some(q) => format!("{}?{q}", self.raw_path),
                    None => self.raw_path.clone(),
                };
                format!("{} {target} {}", self.method, self.protocol)
            }
            _ => return None,
        })
    }

    /// mod_setenvif's server-level rules, in order (`SetEnvIf`, `BrowserMatch` and their
    /// NoCase forms): the attribute is a special name, else a request header, else a variable
    /// set by an earlier rule.
    pub fn set_env_if(&mut self, rules: &[SetEnvIf]) {
        for rule in rules {
            let value = match rule.attribute.to_ascii_lowercase().as_str() {
                "remote_host" | "remote_addr" => Some(self.remote_ip.clone()),
                "server_addr" => Some(self.local_ip.clone()),
                "request_method" => Some(self.method.clone()),
                "request_protocol" => Some(self.protocol.to_string()),
                "request_uri" => Some(self.raw_path.clone()),
                other => {
                    if self.headers.contains_key(other) {
                        Some(self.header(other))
                    } else {
                        self.env.get(&rule.attribute).cloned()
                    }
                }
            };
            let Some(caps) = value.and_then(|v| rule.regex.captures(&v)) else {
                continue;
            };
            for (name, set) in &rule.sets {
                match set {
                    Some(v) => {
                        let v = super::mapping::substitute(v, &caps);
                        self.env.insert(name.clone(), v);
                    }
                    None => {
                        self.env.remove(name);
                    }
                }
            }
        }
    }
}

impl Vars for RequestVars {
    fn var(&self, name: &str) -> String {
        self.lookup(name).unwrap_or_default()
    }
    fn is_file(&self, path: &str) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.is_file())
    }
    fn is_dir(&self, path: &str) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.is_dir())
    }
    fn size(&self, path: &str) -> Option<u64> {
        std::fs::metadata(path).ok().map(|m| m.len())
    }
    fn is_symlink(&self, path: &str) -> bool {
        Path::new(path).is_symlink()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regex::Pattern;

    #[test]
    fn setenvif_reads_attributes_and_back_references() {
        let mut v = RequestVars {
            remote_ip: "127.0.0.2".into(),
            raw_path: "/private/x".into(),
            ..Default::default()
        };
        v.headers
            .insert("user-agent", "Mozilla/2.0 (x)".parse().unwrap());
        let rule = |attr: &str, re: &str, sets: Vec<(&str, Option<&str>)>| SetEnvIf {
            span: Default::default(),
            attribute: attr.into(),
            regex: Pattern::new(re, false).unwrap(),
            sets: sets
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect(),
        };
        v.set_env_if(&[
            rule(
                "Remote_Addr",
                r"^127\.0\.0\.2$",
                vec![("local2", Some("1"))],
            ),
            rule("User-Agent", r"Mozilla/(\d)", vec![("moz", Some("v$1"))]),
            rule("Request_URI", "^/public", vec![("pub", Some("1"))]),
            rule("moz", "^v2$", vec![("old", Some("1")), ("local2", None)]),
        ]);
        assert_eq!(v.env.get("moz").map(String::as_str), Some("v2"));
        assert!(v.env.contains_key("old") && !v.env.contains_key("local2"));
        assert!(!v.env.contains_key("pub"));
        assert_eq!(v.lookup("THE_REQUEST").unwrap(), " /private/x ");
    }
}

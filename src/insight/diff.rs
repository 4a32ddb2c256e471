//! Takes two plans as `-S -j` JSON (the one a running server recorded, and a configuration's)
//! and gives what a reload would change: sockets, vhosts, default vhosts, certificates, and
//! the names that would lose (or gain) coverage. Pure: values in, lines out.

use super::json::SCHEMA;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What a reload would change, section by section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preview {
    pub sockets: Vec<String>,
    pub vhosts: Vec<String>,
    pub defaults: Vec<String>,
    pub certificates: Vec<String>,
    /// `address name: why`, for names covered now and not after the reload.
    pub lost_coverage: Vec<String>,
    pub gained_coverage: Vec<String>,
    /// Managed domains (mod_md) added, removed, or with other names, CA or key type.
    pub managed: Vec<String>,
}

impl Preview {
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
            && self.vhosts.is_empty()
            && self.defaults.is_empty()
            && self.certificates.is_empty()
            && self.lost_coverage.is_empty()
            && self.gained_coverage.is_empty()
            && self.managed.is_empty()
    }

    /// The summary `-t --diff` and `-k reload` print.
    pub fn text(&self) -> String {
        if self.is_empty() {
            return "no change to sockets, vhosts, default vhosts, certificates, coverage or managed domains\n"
                .to_string();
        }
        let mut out = String::new();
        for (title, lines) in [
            ("sockets", &self.sockets),
            ("vhosts", &self.vhosts),
            ("default vhosts", &self.defaults),
            ("certificates", &self.certificates),
            ("coverage lost", &self.lost_coverage),
            ("coverage gained", &self.gained_coverage),
            ("managed domains", &self.managed),
        ] {
            if lines.is_empty() {
                continue;
            }
            out.push_str(title);
            out.push_str(":\n");
            for l in lines {
                out.push_str("  ");
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| s(x).to_string()).collect())
        .unwrap_or_default()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// The certificate file a plan's certificate index names.
fn cert_file(plan: &Value, id: &Value) -> Option<String> {
    let i = id.as_u64()? as usize;
    Some(s(&plan["certificates"][i]["file"]).to_string())
}

fn vhost_name(plan: &Value, id: &Value) -> String {
    match id.as_u64() {
        Some(i) => s(&plan["vhosts"][i as usize]["server_name"]).to_string(),
        None => s(&plan["main_server"]["server_name"]).to_string(),
    }
}

/// What a reload from `old` to `new` would change; `Err` when `old` is not a plan this
/// server can read.
pub fn diff(old: &Value, new: &Value) -> Result<Preview, String> {
    if old["schema"] != SCHEMA {
        return Err(format!(
            "the recorded plan has schema {}, this server reads {SCHEMA}",
            old["schema"]
        ));
    }
    let mut p = Preview::default();
    sockets(old, new, &mut p);
    vhosts(old, new, &mut p);
    defaults(old, new, &mut p);
    certificates(old, new, &mut p);
    coverage(old, new, &mut p);
    managed(old, new, &mut p);
    Ok(p)
}

/// Managed domains by name. Their certificates are left out of `certificates`: the record
/// holds what was served at the last start or reload (a fallback is made anew each time, and
/// renewals go live without a reload), so comparing them would only show noise.
fn managed(old: &Value, new: &Value, p: &mut Preview) {
    let map = |plan: &Value| -> BTreeMap<String, Value> {
        arr(&plan["managed_domains"])
            .iter()
            .map(|m| (s(&m["name"]).to_string(), m.clone()))
            .collect()
    };
    let (o, n) = (map(old), map(new));
    for (name, m) in &n {
        let Some(om) = o.get(name) else {
            p.managed
                .push(format!("+ {name} ({})", list(&m["domains"]).join(" ")));
            continue;
        };
        let mut changes = Vec::new();
        for (key, what) in [("domains", "names"), ("ca", "CA"), ("key_type", "key")] {
            if om[key] != m[key] {
                changes.push(format!(
                    "{what} {} -> {}",
                    show_any(&om[key]),
                    show_any(&m[key])
                ));
            }
        }
        if changes.is_empty() {
            continue;
        }
        // A new name, or another key type's files, makes the current certificate unusable
        // at once; the rest applies when it is next renewed.
        let added = list(&m["domains"])
            .iter()
            .any(|d| !list(&om["domains"]).contains(d));
        let tag = |k: &Value| s(k).split_whitespace().next().unwrap_or("").to_string();
        let when = if added || tag(&om["key_type"]) != tag(&m["key_type"]) {
            "a new certificate is obtained at once"
        } else {
            "applies from the next renewal"
        };
        p.managed
            .push(format!("~ {name}: {} ({when})", changes.join("; ")));
    }
    for name in o.keys().filter(|k| !n.contains_key(*k)) {
        p.managed.push(format!("- {name}"));
    }
}

fn show_any(v: &Value) -> String {
    match v {
        Value::Array(_) => list(v).join(" "),
        other => show(other),
    }
}

fn sockets(old: &Value, new: &Value, p: &mut Preview) {
    let set = |v: &Value| -> BTreeSet<String> {
        arr(&v["listeners"])
            .iter()
            .map(|l| format!("{} ({})", s(&l["address"]), s(&l["protocol"])))
            .collect()
    };
    let (o, n) = (set(old), set(new));
    p.sockets.extend(n.difference(&o).map(|x| format!("+ {x}")));
    p.sockets.extend(o.difference(&n).map(|x| format!("- {x}")));
}

/// A vhost by its name and addresses, with what a reload could change about it.
fn vhost_map(plan: &Value) -> BTreeMap<String, (String, Value)> {
    arr(&plan["vhosts"])
        .iter()
        .map(|v| {
            let key = format!(
                "{} on {}",
                s(&v["server_name"]),
                list(&v["addresses"]).join(" ")
            );
            let mut names = list(&v["aliases"]);
            names.extend(list(&v["wild_aliases"]));
            let facts = serde_json::json!({
                "DocumentRoot": v["document_root"],
                "ServerAlias": names,
                "certificate": v["tls"]["certificate"].as_u64().and_then(|_| cert_file(plan, &v["tls"]["certificate"])),
                "protocols": v["tls"]["protocols"],
            });
            (key, (s(&v["at"]).to_string(), facts))
        })
        .collect()
}

fn vhosts(old: &Value, new: &Value, p: &mut Preview) {
    let (o, n) = (vhost_map(old), vhost_map(new));
    for (k, (at, _)) in &n {
        if !o.contains_key(k) {
            p.vhosts.push(format!("+ {k} ({at})"));
        }
    }
    for (k, (at, _)) in &o {
        if !n.contains_key(k) {
            p.vhosts.push(format!("- {k} (was at {at})"));
        }
    }
    for (k, (at, nf)) in &n {
        let Some((_, of)) = o.get(k) else { continue };
        for field in ["DocumentRoot", "ServerAlias", "certificate", "protocols"] {
            if of[field] != nf[field] {
                p.vhosts.push(format!(
                    "~ {k} ({at}): {field} {} -> {}",
                    show(&of[field]),
                    show(&nf[field])
                ));
            }
        }
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_string(),
        Value::String(x) => x.clone(),
        Value::Array(a) if a.is_empty() => "(none)".to_string(),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

fn defaults(old: &Value, new: &Value, p: &mut Preview) {
    let map = |plan: &Value| -> BTreeMap<String, String> {
        arr(&plan["chains"])
            .iter()
            .map(|c| {
                (
                    s(&c["address"]).to_string(),
                    vhost_name(plan, &c["default_vhost"]),
                )
            })
            .collect()
    };
    let (o, n) = (map(old), map(new));
    for (addr, nv) in &n {
        match o.get(addr) {
            Some(ov) if ov != nv => p.defaults.push(format!("{addr}: {ov} -> {nv}")),
            None => p.defaults.push(format!("{addr} (new address): {nv}")),
            _ => {}
        }
    }
}

fn certificates(old: &Value, new: &Value, p: &mut Preview) {
    let map = |plan: &Value| -> BTreeMap<String, Value> {
        arr(&plan["certificates"])
            .iter()
            .map(|c| (s(&c["file"]).to_string(), c.clone()))
            .collect()
    };
    let (o, n) = (map(old), map(new));
    for (f, c) in &n {
        if !c["managed"].is_null() {
            continue;
        }
        match o.get(f) {
            None => p.certificates.push(format!(
                "+ {f} (names {}; not after {})",
                list(&c["dns_names"]).join(", "),
                show(&c["not_after"])
            )),
            Some(oc) if oc["sha256"] != c["sha256"] => {
                let (on, nn) = (list(&oc["dns_names"]), list(&c["dns_names"]));
                let names = if on == nn {
                    String::new()
                } else {
                    format!("; names {} -> {}", on.join(", "), nn.join(", "))
                };
                p.certificates.push(format!(
                    "~ {f} replaced (not after {} -> {}{names})",
                    show(&oc["not_after"]),
                    show(&c["not_after"])
                ));
            }
            _ => {}
        }
    }
    for (f, _) in o
        .iter()
        .filter(|(f, c)| !n.contains_key(*f) && c["managed"].is_null())
    {
        p.certificates.push(format!("- {f}"));
    }
}

fn coverage(old: &Value, new: &Value, p: &mut Preview) {
    // (address, name) -> (covered, certificate file)
    let map = |plan: &Value| -> BTreeMap<(String, String), (bool, Option<String>)> {
        let mut m = BTreeMap::new();
        for c in arr(&plan["chains"]).iter().filter(|c| c["tls"] == true) {
            for n in arr(&c["names"]) {
                m.entry((s(&c["address"]).to_string(), s(&n["name"]).to_string()))
                    .or_insert((n["covered"] == "yes", cert_file(plan, &n["certificate"])));
            }
        }
        m
    };
    let (o, n) = (map(old), map(new));
    for ((addr, name), (now, file)) in &n {
        match o.get(&(addr.clone(), name.clone())) {
            Some((true, _)) if !now => p.lost_coverage.push(format!(
                "{addr} {name}: will get {}, which does not cover it",
                file.as_deref().unwrap_or("no certificate")
            )),
            Some((false, _)) if *now => p.gained_coverage.push(format!(
                "{addr} {name}: covered by {}",
                file.as_deref().unwrap_or("?")
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(default: &str, cert_sha: &str, covered: &str, docroot: &str) -> Value {
        json!({
            "schema": SCHEMA,
            "listeners": [{"address": "*:443", "protocol": "https"}],
            "main_server": {"server_name": "main"},
            "vhosts": [
                {"server_name": default, "addresses": ["*:443"], "aliases": [], "wild_aliases": [],
                 "document_root": docroot, "at": "m.conf:1", "tls": {"certificate": 0, "protocols": []}},
                {"server_name": "b.test", "addresses": ["*:443"], "aliases": [], "wild_aliases": [],
                 "document_root": "/b", "at": "m.conf:9", "tls": {"certificate": 0, "protocols": []}}
            ],
            "chains": [{"address": "*:443", "tls": true, "default_vhost": 0, "names": [
                {"name": "b.test", "certificate": 0, "covered": covered}
            ]}],
            "certificates": [{"file": "a.crt", "sha256": cert_sha, "dns_names": ["a.test"], "not_after": "2027"}]
        })
    }

    #[test]
    fn a_reload_changes_are_listed_section_by_section() {
        let old = plan("a.test", "AA", "yes", "/a");
        assert!(diff(&old, &old).expect("same").is_empty());
        let new = plan("c.test", "BB", "no", "/a");
        let p = diff(&old, &new).expect("diff");
        assert_eq!(
            p.vhosts,
            [
                "+ c.test on *:443 (m.conf:1)",
                "- a.test on *:443 (was at m.conf:1)"
            ]
        );
        assert_eq!(p.defaults, ["*:443: a.test -> c.test"]);
        assert_eq!(
            p.certificates,
            ["~ a.crt replaced (not after 2027 -> 2027)"]
        );
        assert_eq!(
            p.lost_coverage,
            ["*:443 b.test: will get a.crt, which does not cover it"]
        );
        let moved = plan("a.test", "AA", "yes", "/srv/new");
        let p = diff(&old, &moved).expect("diff");
        assert_eq!(
            p.vhosts,
            ["~ a.test on *:443 (m.conf:1): DocumentRoot /a -> /srv/new"]
        );
        assert!(diff(&json!({"schema": "other/9"}), &new).is_err());
    }

    #[test]
    fn managed_domains_are_compared_by_name_not_by_their_certificates() {
        let with = |domains: &[&str], key: &str, sha: &str| {
            let mut v = plan("a.test", "AA", "yes", "/a");
            v["certificates"]
                .as_array_mut()
                .expect("certs")
                .push(json!({"file": "md/domains/a.test/pubcert.pem", "sha256": sha, "managed": "a.test"}));
            v["managed_domains"] = json!([{"name": "a.test", "domains": domains, "ca": "https://ca/dir", "key_type": key}]);
            v
        };
        let old = with(&["a.test"], "secp256r1", "F1");
        assert!(
            diff(&old, &with(&["a.test"], "secp256r1", "F2"))
                .expect("diff")
                .is_empty(),
            "a new fallback is no change"
        );
        let p = diff(&old, &with(&["a.test", "www.a.test"], "RSA 2048", "F3")).expect("diff");
        assert_eq!(
            p.managed,
            [
                "~ a.test: names a.test -> a.test www.a.test; key secp256r1 -> RSA 2048 (a new certificate is obtained at once)"
            ]
        );
        let mut other_ca = with(&["a.test"], "secp256r1", "F1");
        other_ca["managed_domains"][0]["ca"] = json!("https://other/dir");
        let p = diff(&old, &other_ca).expect("diff");
        assert_eq!(
            p.managed,
            ["~ a.test: CA https://ca/dir -> https://other/dir (applies from the next renewal)"]
        );
        let p = diff(&old, &plan("a.test", "AA", "yes", "/a")).expect("diff");
        assert_eq!(p.managed, ["- a.test"]);
        assert!(p.certificates.is_empty());
    }
}

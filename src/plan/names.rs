//! Takes a chain's vhosts and gives its name table (ServerName, exact and wildcard
//! ServerAlias, `<VirtualHost>`-line names, lowercased once) with httpd's lookup order; also
//! httpd's case-insensitive glob (`*` spans dots, `?` is one character).

use super::{ChainKey, Vhost, VhostId};
use crate::config::diag::Diagnostic;
use std::collections::HashMap;

/// Names of a chain's members, keyed to the member's index in the chain.
#[derive(Clone, Debug, Default)]
pub struct NameTable {
    /// ServerName and exact aliases: the first member (file order) naming each.
    exact: HashMap<String, usize>,
    /// Wildcard aliases that are `*` then a literal (the usual `*.example.com`), by that
    /// literal suffix: the first member using each. A name is looked up by its suffixes, so
    /// thousands of them cost a few hash lookups, not a scan.
    wild_suffix: HashMap<String, usize>,
    /// Other wildcard aliases (`?`, or `*` elsewhere), in file order.
    wild: Vec<(String, usize)>,
    /// Names written on `<VirtualHost>` lines: consulted only when nothing else matched.
    addr_names: HashMap<String, usize>,
    /// Every exact name with all members naming it, for duplicate reports.
    all_exact: Vec<(String, usize)>,
}

impl NameTable {
    pub fn new<'a>(members: impl Iterator<Item = &'a Vhost>) -> Self {
        let mut t = NameTable::default();
        for (i, v) in members.enumerate() {
            for n in std::iter::once(&v.name).chain(&v.aliases) {
                let n = n.to_ascii_lowercase();
                t.all_exact.push((n.clone(), i));
                t.exact.entry(n).or_insert(i);
            }
            for w in &v.wild_aliases {
                t.add_wild(w.to_ascii_lowercase(), i);
            }
            for n in &v.addr_names {
                t.addr_names.entry(n.to_ascii_lowercase()).or_insert(i);
            }
        }
        t
    }

    /// A lowercased wildcard alias of member `i`: indexed by suffix when it is `*literal`.
    fn add_wild(&mut self, w: String, i: usize) {
        match w.strip_prefix('*') {
            Some(rest) if !is_wild(rest) => {
                self.wild_suffix.entry(rest.to_string()).or_insert(i);
            }
            _ => self.wild.push((w, i)),
        }
    }

    /// httpd's SNI walk: the first member in file order whose ServerName, exact alias or
    /// wildcard alias matches; `name` must already be lowercase.
    pub fn lookup_sni(&self, name: &str) -> Option<usize> {
        let earlier = |i: usize, best: Option<usize>| best.is_none_or(|b| i < b);
        let mut best = self.exact.get(name).copied();
        if !self.wild_suffix.is_empty() {
            // `*` matches any run of characters, dots included: every suffix may be the literal.
            for k in (0..=name.len()).filter(|&k| name.is_char_boundary(k)) {
                if let Some(&i) = self.wild_suffix.get(&name[k..])
                    && earlier(i, best)
                {
                    best = Some(i);
                }
            }
        }
        if let Some(&(_, i)) = self
            .wild
            .iter()
            .find(|(p, i)| earlier(*i, best) && glob_match(p, name))
        {
            best = Some(i);
        }
        best
    }

    /// httpd's Host walk: as SNI, then the names on `<VirtualHost>` lines.
    pub fn lookup_host(&self, name: &str) -> Option<usize> {
        self.lookup_sni(name)
            .or_else(|| self.addr_names.get(name).copied())
    }

    /// Exact names listed by more than one member: (name, member indexes).
    pub fn duplicates(&self) -> Vec<(String, Vec<usize>)> {
        let mut by: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut order = Vec::new();
        for (n, i) in &self.all_exact {
            let list = by.entry(n.as_str()).or_insert_with(|| {
                order.push(n.as_str());
                Vec::new()
            });
            if !list.contains(i) {
                list.push(*i);
            }
        }
        order
            .into_iter()
            .filter_map(|n| {
                by.remove(n)
                    .filter(|l| l.len() > 1)
                    .map(|l| (n.to_string(), l))
            })
            .collect()
    }
}

/// Warns about names that two vhosts of one chain claim: only the first can be reached.
pub fn report_duplicates(
    t: &NameTable,
    ids: &[VhostId],
    vhosts: &[Vhost],
    key: &ChainKey,
    diags: &mut Vec<Diagnostic>,
) {
    for (name, members) in t.duplicates() {
        let winner = &vhosts[ids[members[0]]];
        for &m in &members[1..] {
            let loser = &vhosts[ids[m]];
            let written = loser
                .conf
                .aliases
                .iter()
                .find(|a| a.value.eq_ignore_ascii_case(&name))
                .map(|a| a.span);
            let mut d = Diagnostic::warning(
                written.or(loser.name_span).or(loser.span).unwrap_or_default(),
                format!("name {name} on {} is also claimed by an earlier vhost; requests for it go to that one", key.show()),
            )
            .with_help("remove the name from one of the two vhosts");
            if let Some(s) = winner.span {
                d = d.with_note(
                    s,
                    format!("vhost {} claims {name} first and wins", winner.name),
                );
            }
            diags.push(d);
        }
    }
}

/// httpd's `ap_strcasecmp_match` on lowercase input: `*` any run (dots too, empty allowed),
/// `?` exactly one character.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p = pattern.as_bytes();
    let n = name.as_bytes();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&n[ni])) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Does a ServerAlias value count as a wildcard alias?
pub fn is_wild(name: &str) -> bool {
    name.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_semantics_match_httpd() {
        assert!(glob_match("*.wild.example", "x.y.wild.example"));
        assert!(!glob_match("*.wild.example", "wild.example"));
        assert!(glob_match("?.q.example", "z.q.example"));
        assert!(!glob_match("?.q.example", "zz.q.example"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "a-bb-c"));
        assert!(!glob_match("a*b*c", "a-bb-"));
        assert!(glob_match("WWW.*", "www.x"));
    }

    #[test]
    fn indexed_wildcards_answer_as_the_file_order_walk() {
        // (exact names, wildcard aliases) per member, in file order.
        let members: &[(&[&str], &[&str])] = &[
            (&["a.test"], &["*.deep.test"]),
            (&["b.test"], &["*.test", "x?.test"]),
            (&["c.test"], &["*ep.test", "*"]),
            (&["d.test"], &["*.deep.test", "w*.test"]),
            (&["x1.test"], &[]),
        ];
        let mut t = NameTable::default();
        for (i, (exact, wild)) in members.iter().enumerate() {
            for n in *exact {
                t.exact.entry(n.to_string()).or_insert(i);
            }
            for w in *wild {
                t.add_wild(w.to_string(), i);
            }
        }
        let walk = |name: &str| {
            members.iter().position(|(exact, wild)| {
                exact.contains(&name) || wild.iter().any(|w| glob_match(w, name))
            })
        };
        for name in [
            "a.test",
            "q.deep.test",
            "deep.test",
            "zz.test",
            "x1.test",
            "x2.test",
            "c.test",
            "d.test",
            "w.test",
            "kep.test",
            "",
            "other",
            "é.deep.test",
        ] {
            assert_eq!(t.lookup_sni(name), walk(name), "{name}");
        }
    }
}

//! Takes the text of an `AuthUserFile` (htpasswd) or `AuthGroupFile` and gives the users with
//! their password hashes and the group memberships; checks a password against a hash in the
//! formats httpd accepts on Unix: bcrypt (`$2y$`), APR1-MD5 (`$apr1$`) and SHA-1 (`{SHA}`).

use base64::Engine;
use md5::{Digest, Md5};
use std::collections::{HashMap, HashSet};

/// One htpasswd file: user name to hash. Later lines for the same user are ignored, as httpd
/// stops at the first match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Users {
    hashes: HashMap<String, String>,
    /// Users whose hash is in a format this server cannot check (crypt(3) DES, SHA-2 crypt):
    /// they can never log in, and the loader warns about them.
    pub unsupported: Vec<String>,
}

impl Users {
    /// Parses `user:hash` lines; blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Users {
        let mut users = Users::default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((user, hash)) = line.split_once(':') else {
                continue;
            };
            if users.hashes.contains_key(user) {
                continue;
            }
            if format_of(hash).is_none() {
                users.unsupported.push(user.to_string());
            }
            users.hashes.insert(user.to_string(), hash.to_string());
        }
        users
    }

    /// Whether `user` is known and `password` matches its hash (bcrypt is slow by design:
    /// call this off the async runtime).
    pub fn check(&self, user: &str, password: &str) -> bool {
        self.hashes
            .get(user)
            .is_some_and(|hash| verify(password, hash))
    }
}

/// An `AuthGroupFile`: `group: user user ...` lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Groups(HashMap<String, HashSet<String>>);

impl Groups {
    pub fn parse(text: &str) -> Groups {
        let mut groups: HashMap<String, HashSet<String>> = HashMap::new();
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let Some((group, members)) = line.split_once(':') else {
                continue;
            };
            groups
                .entry(group.trim().to_string())
                .or_default()
                .extend(members.split_whitespace().map(str::to_string));
        }
        Groups(groups)
    }

    pub fn contains(&self, group: &str, user: &str) -> bool {
        self.0.get(group).is_some_and(|m| m.contains(user))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Bcrypt,
    Apr1,
    Sha1,
}

fn format_of(hash: &str) -> Option<Format> {
    if hash.starts_with("$2y$") || hash.starts_with("$2a$") || hash.starts_with("$2b$") {
        Some(Format::Bcrypt)
    } else if hash.starts_with("$apr1$") {
        Some(Format::Apr1)
    } else if hash.starts_with("{SHA}") {
        Some(Format::Sha1)
    } else {
        None
    }
}

/// Checks `password` against one stored hash.
pub fn verify(password: &str, hash: &str) -> bool {
    match format_of(hash) {
        Some(Format::Bcrypt) => bcrypt::verify(password, hash).unwrap_or(false),
        Some(Format::Apr1) => {
            let salt = hash["$apr1$".len()..].split('$').next().unwrap_or("");
            constant_eq(
                apr1(password.as_bytes(), salt.as_bytes()).as_bytes(),
                hash.as_bytes(),
            )
        }
        Some(Format::Sha1) => {
            let digest = sha1::Sha1::digest(password.as_bytes());
            let want = base64::engine::general_purpose::STANDARD.encode(digest);
            constant_eq(want.as_bytes(), &hash.as_bytes()["{SHA}".len()..])
        }
        None => false,
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// APR's `apr_md5_encode` with the `$apr1$` magic: the whole `$apr1$salt$hash` string.
pub fn apr1(pw: &[u8], salt: &[u8]) -> String {
    const MAGIC: &[u8] = b"$apr1$";
    let salt = &salt[..salt.len().min(8)];
    let mut ctx = Md5::new();
    ctx.update(pw);
    ctx.update(MAGIC);
    ctx.update(salt);
    let alt = Md5::new()
        .chain_update(pw)
        .chain_update(salt)
        .chain_update(pw)
        .finalize();
    let mut left = pw.len();
    while left > 0 {
        ctx.update(&alt[..left.min(16)]);
        left = left.saturating_sub(16);
    }
    let mut i = pw.len();
    while i > 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&pw[..1]);
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize();
    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 == 1 {
            c.update(pw);
        } else {
            c.update(fin);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(pw);
        }
        if round & 1 == 1 {
            c.update(fin);
        } else {
            c.update(pw);
        }
        fin = c.finalize();
    }
    const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::from_utf8_lossy(MAGIC).into_owned();
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let mut to64 = |mut v: u32, n: usize| {
        for _ in 0..n {
            out.push(char::from(ITOA64[(v & 0x3f) as usize]));
            v >>= 6;
        }
    };
    let b = |i: usize| u32::from(fin[i]);
    for (x, y, z) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        to64((b(x) << 16) | (b(y) << 8) | b(z), 4);
    }
    to64(b(11), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apr1_matches_openssl() {
        // `openssl passwd -apr1 -salt abcdefgh secret` and a password longer than 16 bytes.
        assert_eq!(
            apr1(b"secret", b"abcdefgh"),
            "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"
        );
        assert_eq!(
            apr1(b"a much longer password than sixteen", b"x"),
            "$apr1$x$Og5dgLEe.PEZAsGZeU/kp0"
        );
        assert!(verify("secret", "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"));
        assert!(!verify("Secret", "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"));
    }

    #[test]
    fn sha1_and_bcrypt() {
        assert!(verify("secret", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="));
        assert!(!verify("secreT", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="));
        let h = bcrypt::hash("pw", 4).unwrap().replacen("$2b$", "$2y$", 1);
        assert!(verify("pw", &h));
        assert!(!verify("px", &h));
    }

    #[test]
    fn files_parse_like_httpd() {
        let u = Users::parse(
            "# comment\nalice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n\nalice:{SHA}x\nbob:abCDefGHij\r\n",
        );
        assert!(u.check("alice", "secret"));
        assert!(
            !u.check("bob", "abCDefGHij"),
            "crypt(3) hashes are not checked"
        );
        assert_eq!(u.unsupported, vec!["bob"]);
        assert!(!u.check("carol", "secret"));
        let g = Groups::parse("admins: alice bob\n# x: y\nstaff:carol\nadmins: dave\n");
        assert!(g.contains("admins", "alice") && g.contains("admins", "dave"));
        assert!(g.contains("staff", "carol") && !g.contains("staff", "alice"));
    }
}

//! Takes a regular expression as httpd configuration writes it and gives a compiled PCRE2
//! pattern (httpd's own regex engine, so lookarounds, backreferences and `(?i)` mean what they
//! mean there), matched against text with its capture groups.

use std::fmt;
use std::sync::Arc;

/// A compiled pattern with the text it came from (compared and printed by that text).
#[derive(Clone)]
pub struct Pattern {
    text: String,
    caseless: bool,
    re: Arc<pcre2::bytes::Regex>,
}

impl Pattern {
    /// Compiles `text`; `caseless` is httpd's `[NC]` / `~*` case folding. The error names the
    /// offset PCRE2 stopped at.
    pub fn new(text: &str, caseless: bool) -> Result<Pattern, String> {
        let re = pcre2::bytes::RegexBuilder::new()
            .caseless(caseless)
            .utf(true)
            .build(text)
            .map_err(|e| e.to_string())?;
        Ok(Pattern {
            text: text.to_string(),
            caseless,
            re: Arc::new(re),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_match(&self, subject: &str) -> bool {
        self.re.is_match(subject.as_bytes()).unwrap_or(false)
    }

    /// `None` when it does not match; else group 0 (the whole match) and every group, `None`
    /// for a group that did not take part.
    pub fn captures(&self, subject: &str) -> Option<Vec<Option<String>>> {
        let caps = self.re.captures(subject.as_bytes()).ok()??;
        Some(
            (0..caps.len())
                .map(|i| {
                    caps.get(i)
                        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
                })
                .collect(),
        )
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.caseless == other.caseless
    }
}

impl Eq for Pattern {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_semantics() {
        let p = Pattern::new(r"\.(?:cgi|shtml|phtml|php)$", false).unwrap();
        assert!(p.is_match("x.php"));
        assert!(!p.is_match("x.php.txt"));
        let p = Pattern::new(r"^/(\w+)/(?!private)(.*)$", false).unwrap();
        assert_eq!(
            p.captures("/a/b").unwrap(),
            vec![Some("/a/b".into()), Some("a".into()), Some("b".into())]
        );
        assert!(p.captures("/a/private").is_none());
        assert!(Pattern::new("^\\.ht", true).unwrap().is_match(".HTaccess"));
        assert!(Pattern::new("(", false).is_err());
        let p = Pattern::new("^(a)|(b)$", false).unwrap();
        assert_eq!(p.captures("b").unwrap()[1], None);
    }
}

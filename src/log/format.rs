//! Takes a mod_log_config format string and gives it compiled once (literal text and `%`
//! items), then renders one request's record with httpd's escaping; also `%t` dates and the
//! stock `common`/`combined` definitions.

use std::time::{SystemTime, UNIX_EPOCH};

/// httpd's `common` format (the stock httpd.conf; also the built-in `CLF`).
pub const COMMON: &str = "%h %l %u %t \"%r\" %>s %b";
/// httpd's `combined` format.
pub const COMBINED: &str = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"";

/// One piece of a format.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Text(String),
    /// A `%` letter with its `{argument}` and whether `>` (final) was asked.
    Field {
        letter: char,
        arg: Option<String>,
    },
}

/// A compiled format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    items: Vec<Item>,
}

/// Everything a log line can name about one request.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub remote_ip: String,
    pub local_ip: String,
    pub local_port: u16,
    pub start: Option<SystemTime>,
    pub method: String,
    pub uri: String,
    pub path: String,
    pub query: Option<String>,
    pub protocol: String,
    pub status: u16,
    pub body_bytes: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub micros: u64,
    pub server_name: String,
    pub host: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
}

impl Format {
    /// Compiles a format (the config check has already rejected unknown letters).
    pub fn compile(fmt: &str) -> Format {
        let chars: Vec<char> = fmt.chars().collect();
        let mut items = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' && i + 1 < chars.len() {
                // mod_log_config turns \n and \t into the characters.
                text.push(match chars[i + 1] {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                i += 2;
                continue;
            }
            if c != '%' {
                text.push(c);
                i += 1;
                continue;
            }
            i += 1;
            if chars.get(i) == Some(&'%') {
                text.push('%');
                i += 1;
                continue;
            }
            while i < chars.len()
                && (chars[i].is_ascii_digit() || matches!(chars[i], '!' | ',' | '<' | '>'))
            {
                i += 1;
            }
            let mut arg = None;
            if chars.get(i) == Some(&'{') {
                let end = chars[i..]
                    .iter()
                    .position(|c| *c == '}')
                    .map(|p| i + p)
                    .unwrap_or(chars.len());
                arg = Some(chars[i + 1..end.min(chars.len())].iter().collect());
                i = end + 1;
            }
            if chars.get(i) == Some(&'^') {
                i += 3;
                if !text.is_empty() {
                    items.push(Item::Text(std::mem::take(&mut text)));
                }
                items.push(Item::Field {
                    letter: '-',
                    arg: None,
                });
                continue;
            }
            if let Some(&letter) = chars.get(i) {
                if !text.is_empty() {
                    items.push(Item::Text(std::mem::take(&mut text)));
                }
                items.push(Item::Field { letter, arg });
                i += 1;
            }
        }
        if !text.is_empty() {
            items.push(Item::Text(text));
        }
        Format { items }
    }

    /// Does the format name request headers (so they must be kept for it)?
    pub fn wants_request_headers(&self) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i, Item::Field { letter: 'i', .. }))
    }

    /// One log line, without the newline.
    pub fn render(&self, r: &Record) -> String {
        let mut out = String::with_capacity(128);
        for item in &self.items {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Field { letter, arg } => field(&mut out, *letter, arg.as_deref(), r),
            }
        }
        out
    }
}

fn header<'a>(list: &'a [(String, String)], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// httpd's `ap_escape_logitem`: `"` and `\` escaped, control characters as `\xhh`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0..=0x1f | 0x7f..=0xff => out.push_str(&format!("\\x{b:02x}")),
            _ => out.push(b as char),
        }
    }
    out
}

fn field(out: &mut String, letter: char, arg: Option<&str>, r: &Record) {
    let dash = |out: &mut String, v: Option<&str>| match v {
        Some(v) if !v.is_empty() => out.push_str(&escape(v)),
        _ => out.push('-'),
    };
    match letter {
        'h' | 'a' => out.push_str(&r.remote_ip),
        'A' => out.push_str(&r.local_ip),
        'l' | 'u' => out.push('-'),
        't' => out.push_str(&clf_time(r.start.unwrap_or(UNIX_EPOCH))),
        'r' => out.push_str(&escape(&format!("{} {} {}", r.method, r.uri, r.protocol))),
        's' => out.push_str(&r.status.to_string()),
        'b' => {
            if r.body_bytes == 0 {
                out.push('-')
            } else {
                out.push_str(&r.body_bytes.to_string())
            }
        }
        'B' => out.push_str(&r.body_bytes.to_string()),
        'D' => out.push_str(&r.micros.to_string()),
        'T' => out.push_str(&match arg {
            Some("ms") => (r.micros / 1000).to_string(),
            Some("us") => r.micros.to_string(),
            _ => (r.micros / 1_000_000).to_string(),
        }),
        'v' => out.push_str(&r.server_name),
        'V' => out.push_str(r.host.as_deref().unwrap_or(&r.server_name)),
        'p' => out.push_str(&r.local_port.to_string()),
        'U' => out.push_str(&escape(&r.path)),
        'q' => {
            if let Some(q) = &r.query {
                out.push('?');
                out.push_str(&escape(q));
            }
        }
        'm' => out.push_str(&r.method),
        'H' => out.push_str(&r.protocol),
        'I' => out.push_str(&r.bytes_in.to_string()),
        'O' => out.push_str(&r.bytes_out.to_string()),
        'P' => out.push_str(&std::process::id().to_string()),
        'k' => out.push('0'),
        'X' => out.push('+'),
        'i' => dash(out, arg.and_then(|a| header(&r.request_headers, a))),
        'o' => dash(out, arg.and_then(|a| header(&r.response_headers, a))),
        _ => out.push('-'),
    }
}

/// `[26/Nov/2026:01:08:03 +0000]`.
pub fn clf_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "[{d:02}/{}/{y:04}:{:02}:{:02}:{:02} +0000]",
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn record() -> Record {
        Record {
            remote_ip: "127.0.0.1".into(),
            start: Some(UNIX_EPOCH + Duration::from_secs(1_795_655_283)),
            method: "GET".into(),
            uri: "/a b?\"x\"".into(),
            path: "/a b".into(),
            query: Some("x=1".into()),
            protocol: "HTTP/1.1".into(),
            status: 200,
            body_bytes: 0,
            server_name: "a.test".into(),
            request_headers: vec![("User-Agent".into(), "curl/8".into())],
            ..Record::default()
        }
    }

    #[test]
    fn common_and_combined_as_httpd_writes_them() {
        let r = record();
        assert_eq!(
            Format::compile(COMMON).render(&r),
            "127.0.0.1 - - [26/Nov/2026:01:08:03 +0000] \"GET /a b?\\\"x\\\" HTTP/1.1\" 200 -"
        );
        assert_eq!(
            Format::compile(COMBINED).render(&r),
            "127.0.0.1 - - [26/Nov/2026:01:08:03 +0000] \"GET /a b?\\\"x\\\" HTTP/1.1\" 200 - \"-\" \"curl/8\""
        );
        assert_eq!(
            Format::compile("%v %U%q %B %% %{ms}T\\t%>s").render(&r),
            "a.test /a b?x=1 0 % 0\t200"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(clf_time(UNIX_EPOCH), "[01/Jan/1970:00:00:00 +0000]");
        assert_eq!(
            clf_time(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "[29/Feb/2000:00:00:00 +0000]"
        );
    }
}

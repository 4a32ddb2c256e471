//! The pages the server writes itself, in httpd's words: error pages (with ServerSignature's
//! line), redirect bodies, directory listings (names HTML-escaped, links percent-encoded), the
//! answer to plain HTTP sent to a TLS port; and the `Server` banner ServerTokens gives.

use hyper::StatusCode;

/// `&`, `<`, `>`, `"` and `'` escaped for HTML text and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn explain(status: StatusCode, detail: &str) -> String {
    match status.as_u16() {
        301 | 302 | 303 | 307 | 308 => format!("<p>The document has moved <a href=\"{}\">here</a>.</p>", escape(detail)),
        400 => "<p>Your browser sent a request that this server could not understand.<br />\n</p>".to_string(),
        401 => "<p>This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.</p>".to_string(),
        403 => "<p>You don't have permission to access this resource.</p>".to_string(),
        404 => "<p>The requested URL was not found on this server.</p>".to_string(),
        405 => format!("<p>The requested method {} is not allowed for this URL.</p>", escape(detail)),
        410 => "<p>The requested resource is no longer available on this server and there is no forwarding address.\nPlease remove all references to this resource.</p>".to_string(),
        412 => "<p>The precondition on the request for this URL evaluated to false.</p>".to_string(),
        416 => "<p>None of the range-specifier values in the Range request-header field overlap the current extent of the selected resource.</p>".to_string(),
        421 => "<p>The client needs a new connection for this request as the requested host name does not match the Server Name Indication (SNI) in use for this connection.</p>".to_string(),
        _ => "<p>The server encountered an internal error or misconfiguration and was unable to complete your request.</p>".to_string(),
    }
}

/// An httpd-style error page. `detail`: the Location for redirects, the method for 405, a
/// reason line otherwise (shown when not empty).
pub fn status_page(status: StatusCode, detail: &str) -> String {
    signed_status_page(status, detail, "")
}

/// An error page ending with `signature` (see [`signature`]) before `</body>`, as httpd's
/// `ap_send_error_response` places `ap_psignature`.
pub fn signed_status_page(status: StatusCode, detail: &str, signature: &str) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut body = explain(status, detail);
    if !detail.is_empty() && !matches!(status.as_u16(), 301..=308 | 405) {
        body.push_str(&format!("\n<p>Reason: {}</p>", escape(detail)));
    }
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>{} {reason}</title>\n</head><body>\n<h1>{reason}</h1>\n{body}\n{signature}</body></html>\n",
        status.as_u16()
    )
}

/// The `Server` header and signature product for a `ServerTokens` value (lowercased; `None`
/// is httpd's default, Full). There are no modules to list, so Full is OS.
pub fn banner(tokens: Option<&str>) -> String {
    let (major, minor) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
    );
    let full = env!("CARGO_PKG_VERSION");
    match tokens.unwrap_or("full") {
        "prod" | "productonly" => "vhostd".to_string(),
        "major" => format!("vhostd/{major}"),
        "minor" => format!("vhostd/{major}.{minor}"),
        "min" | "minimal" => format!("vhostd/{full}"),
        _ => format!("vhostd/{full} (Unix)"),
    }
}

/// httpd's `ap_psignature("<hr>\n", r)` for `ServerSignature` `mode` (lowercased; off or
/// unset gives nothing): the banner, the host and port the client named (`origin` is
/// `scheme://host[:port]`), and with `email` a link to `admin`.
pub fn signature(mode: Option<&str>, banner: &str, origin: &str, admin: Option<&str>) -> String {
    let Some(mode) = mode.filter(|m| *m != "off") else {
        return String::new();
    };
    let (scheme, authority) = origin.split_once("://").unwrap_or(("http", origin));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, p),
        _ if scheme == "https" => (authority, "443"),
        _ => (authority, "80"),
    };
    let host = escape(host);
    if mode == "email" {
        let admin = admin.unwrap_or("[no address given]");
        // httpd's ap_is_url: a scheme before a colon makes it a link as it is.
        let is_url = admin.split_once(':').is_some_and(|(s, _)| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
        let mailto = if is_url { "" } else { "mailto:" };
        return format!(
            "<hr>\n<address>{banner} Server at <a href=\"{mailto}{}\">{host}</a> Port {port}</address>\n",
            escape(admin)
        );
    }
    format!("<hr>\n<address>{banner} Server at {host} Port {port}</address>\n")
}

/// What httpd sends when plain HTTP arrives on a TLS port, as a whole HTTP/1.0 response;
/// `banner` is the `Server` header.
pub fn plain_http_on_tls(banner: &str) -> Vec<u8> {
    let body = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n<p>Your browser sent a request that this server could not understand.<br />\nReason: You're speaking plain HTTP to an SSL-enabled server port.<br />\n Instead use the HTTPS scheme to access this URL, please.<br />\n</p>\n</body></html>\n";
    format!(
        "HTTP/1.0 400 Bad Request\r\nServer: {}\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        banner,
        body.len()
    )
    .into_bytes()
}

/// A directory listing: `entries` are (name, is_dir), listed by name; `signature` (may be
/// empty) goes after the list, as mod_autoindex places it.
pub fn listing(url_path: &str, entries: &mut [(String, bool)], signature: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const HREF: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'&')
        .add(b'\'')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`');
    entries.sort();
    let title = escape(url_path);
    let mut rows = String::new();
    if url_path != "/" {
        rows.push_str("<li><a href=\"../\">Parent Directory</a></li>\n");
    }
    for (name, dir) in entries.iter() {
        let slash = if *dir { "/" } else { "" };
        let href = utf8_percent_encode(name, HREF).to_string();
        rows.push_str(&format!(
            "<li><a href=\"{href}{slash}\">{}{slash}</a></li>\n",
            escape(name)
        ));
    }
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html>\n <head>\n  <title>Index of {title}</title>\n </head>\n <body>\n<h1>Index of {title}</h1>\n<ul>\n{rows}</ul>\n{signature}</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_escapes_names_and_encodes_links() {
        let mut e = vec![
            ("<script>alert(1)</script>.txt".to_string(), false),
            ("a b".to_string(), true),
        ];
        let html = listing("/x/<y>/", &mut e, "");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("href=\"a%20b/\""));
        assert!(html.contains("Index of /x/&lt;y&gt;/"));
    }

    #[test]
    fn pages_say_what_httpd_says() {
        assert!(
            status_page(StatusCode::MISDIRECTED_REQUEST, "")
                .contains("<title>421 Misdirected Request</title>")
        );
        assert!(
            status_page(StatusCode::MOVED_PERMANENTLY, "http://x/<a>")
                .contains("href=\"http://x/&lt;a&gt;\"")
        );
        assert!(
            String::from_utf8(plain_http_on_tls("vhostd"))
                .unwrap()
                .contains("speaking plain HTTP to an SSL-enabled server port")
        );
    }

    #[test]
    fn signatures_as_ap_psignature_writes_them() {
        assert_eq!(signature(None, "vhostd", "http://a.test", None), "");
        assert_eq!(signature(Some("off"), "vhostd", "http://a.test", None), "");
        assert_eq!(
            signature(Some("on"), "vhostd", "https://[::1]", None),
            "<hr>\n<address>vhostd Server at [::1] Port 443</address>\n"
        );
        assert_eq!(
            signature(Some("on"), "vhostd", "http://[::1]:8080", None),
            "<hr>\n<address>vhostd Server at [::1] Port 8080</address>\n"
        );
        assert!(
            signature(
                Some("email"),
                "vhostd",
                "http://a.test",
                Some("https://help.test/")
            )
            .contains("<a href=\"https://help.test/\">a.test</a> Port 80")
        );
        assert!(
            signature(Some("email"), "vhostd", "http://a.test", None)
                .contains("href=\"mailto:[no address given]\"")
        );
        assert_eq!(banner(Some("prod")), "vhostd");
        assert!(banner(None).ends_with(" (Unix)"));
    }
}

//! The pages the server writes itself, in httpd's words: error pages, redirect bodies,
//! directory listings (names HTML-escaped, links percent-encoded), and the answer to plain HTTP
//! sent to a TLS port.

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
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut body = explain(status, detail);
    if !detail.is_empty() && !matches!(status.as_u16(), 301..=308 | 405) {
        body.push_str(&format!("\n<p>Reason: {}</p>", escape(detail)));
    }
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>{} {reason}</title>\n</head><body>\n<h1>{reason}</h1>\n{body}\n</body></html>\n",
        status.as_u16()
    )
}

/// What httpd sends when plain HTTP arrives on a TLS port, as a whole HTTP/1.0 response.
pub fn plain_http_on_tls() -> Vec<u8> {
    let body = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n<p>Your browser sent a request that this server could not understand.<br />\nReason: You're speaking plain HTTP to an SSL-enabled server port.<br />\n Instead use the HTTPS scheme to access this URL, please.<br />\n</p>\n</body></html>\n";
    format!(
        "HTTP/1.0 400 Bad Request\r\nServer: {}\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        crate::SERVER_NAME,
        body.len()
    )
    .into_bytes()
}

/// A directory listing: `entries` are (name, is_dir), listed by name.
pub fn listing(url_path: &str, entries: &mut [(String, bool)]) -> String {
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
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html>\n <head>\n  <title>Index of {title}</title>\n </head>\n <body>\n<h1>Index of {title}</h1>\n<ul>\n{rows}</ul>\n</body></html>\n"
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
        let html = listing("/x/<y>/", &mut e);
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
            String::from_utf8(plain_http_on_tls())
                .unwrap()
                .contains("speaking plain HTTP to an SSL-enabled server port")
        );
    }
}

//! The hostile-input catalogue (`spec/reliability.md` §2, sections A, B, D and E) as a table:
//! each row is raw request bytes sent over TCP to a real server, the answer it must get (a
//! status among a few, or a close), text the answer must or must not hold, whether the
//! backend or a sentinel port may be contacted; after every row a fresh ordinary request must
//! get 200. TLS rows (section C) are in `catalogue_tls.rs`.

mod common;

use common::server::{TestServer, get, start, status_of};
use common::upstream::{self, Upstream};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  DocumentRoot htdocs/a
  Options -FollowSymLinks
  Alias /static {ROOT}/static/
  ProxyPass /app/ http://127.0.0.1:{U0}/
  ProxyPassReverse /app/ http://127.0.0.1:{U0}/
  <Location /limited/>
    LimitRequestBody 1048576
  </Location>
  ProxyPass /limited/ http://127.0.0.1:{U0}/
  <Files \".ht*\">
    Require all denied
  </Files>
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName b.test
  DocumentRoot htdocs/b
</VirtualHost>
";

/// What a row must get.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// One of these statuses, on the first (and only) response.
    Status(&'static [u16]),
    /// One of these statuses, or the connection closed with no answer.
    StatusOrClose(&'static [u16]),
}

struct Row {
    id: &'static str,
    bytes: Vec<u8>,
    want: Want,
    /// Text the whole answer must contain.
    has: &'static [&'static str],
    /// Text it must not contain.
    lacks: &'static [&'static str],
    /// How many responses at most (pipelining, smuggling).
    max_responses: usize,
    /// The backend may see a connection.
    backend: bool,
}

fn row(id: &'static str, bytes: impl Into<Vec<u8>>, want: Want) -> Row {
    Row {
        id,
        bytes: bytes.into(),
        want,
        has: &[],
        lacks: &[],
        max_responses: 1,
        backend: false,
    }
}

impl Row {
    fn has(mut self, t: &'static [&'static str]) -> Row {
        self.has = t;
        self
    }
    fn lacks(mut self, t: &'static [&'static str]) -> Row {
        self.lacks = t;
        self
    }
    fn responses(mut self, n: usize) -> Row {
        self.max_responses = n;
        self
    }
    fn backend(mut self) -> Row {
        self.backend = true;
        self
    }
}

/// A GET for a.test that closes after the answer.
fn get_a(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n").into_bytes()
}

/// A request for a.test with extra header lines (each ending in CRLF) and a body.
fn with(method: &str, target: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {target} HTTP/1.1\r\nHost: a.test\r\n{headers}Connection: close\r\n\r\n{body}"
    )
    .into_bytes()
}

const E400: Want = Want::Status(&[400]);
const E404: Want = Want::Status(&[404]);
const E400_404: Want = Want::Status(&[400, 404]);
const E403_404: Want = Want::Status(&[403, 404]);
const OK: Want = Want::Status(&[200]);

fn path_rows() -> Vec<Row> {
    vec![
        row("A1", get_a("/../../etc/passwd"), E400).lacks(&["root:"]),
        row("A2", get_a("/%2e%2e/%2e%2e/etc/passwd"), E400),
        row("A3", get_a("/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd"), E400),
        row("A3 alias", get_a("/static/.%2e/.%2e/outside.txt"), E400).lacks(&["OUTSIDE"]),
        row(
            "A4",
            get_a("/cgi-bin/.%%32%65/.%%32%65/.%%32%65/etc/passwd"),
            E400,
        ),
        row("A5", get_a("/%252e%252e/%252e%252e/etc/passwd"), E404),
        row("A6", get_a("/x/..%2f..%2f..%2fetc/passwd"), E400_404),
        row(
            "A7",
            get_a("/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd"),
            E400_404,
        ),
        row("A8", get_a("/..\\..\\etc\\passwd"), E400_404),
        row("A8 encoded", get_a("/..%5c..%5cetc%5cpasswd"), E400_404),
        row("A9", get_a("/1k.html%00.txt"), E400_404),
        row("A9 raw", get_a("/1k.html\0.txt"), E400),
        row("A10", get_a("/escape"), E403_404).lacks(&["OUTSIDE"]),
        row("A10 sibling", get_a("/to-b/secret.txt"), E403_404).lacks(&["b secret"]),
        row("A12", get_a("/../b/secret.txt"), E400).lacks(&["b secret"]),
        row("A13", get_a("/a b"), E400),
        row("A13 nul", get_a("/x.jpg \0.php"), E400),
        row("A14", get_a("/static../outside.txt"), E400_404).lacks(&["OUTSIDE"]),
        row("A14 ok", get_a("/static/s.txt"), OK).has(&["static file"]),
        row("A15", get_a("/.htaccess"), E403_404).lacks(&["Deny from"]),
        row("A15 git", get_a("/.git/config"), E403_404),
        row("A15 backup", get_a("/server.conf~"), E403_404),
        row("A16", get_a("/dir"), Want::Status(&[301])).has(&["/dir/"]),
        row("A16 slash", get_a("/dir/"), Want::Status(&[403])),
        row("A17", get_a("/hello.txt::$DATA"), E404),
        row("A17 dot", get_a("/hello.txt."), E404),
        row("A17 short", get_a("/direct~1/file"), E404),
    ]
}

fn parsing_rows() -> Vec<Row> {
    let cl_te = "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 35\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n";
    let early = "POST /nonexistent HTTP/1.1\r\nHost: a.test\r\nContent-Length: 38\r\n\r\nGET /admin HTTP/1.1\r\nHost: a.test\r\n\r\n";
    let pipelined = "GET /hello.txt HTTP/1.1\r\nHost: a.test\r\n\r\nGET /1k.html HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
    let bad = Want::StatusOrClose(&[400]);
    let mut rows = vec![
        // hyper frames by the chunks, answers once and closes: the smuggled GET is never read.
        row("B1", cl_te, Want::StatusOrClose(&[200, 400])).lacks(&["smuggled"]),
        row(
            "B2 xchunked",
            with("POST", "/", "Transfer-Encoding: xchunked\r\n", ""),
            Want::StatusOrClose(&[400, 501]),
        ),
        row(
            "B2 identity",
            with("POST", "/", "Transfer-Encoding: chunked, identity\r\n", ""),
            Want::StatusOrClose(&[400, 501]),
        ),
        row(
            "B2 only identity",
            with("POST", "/", "Transfer-Encoding: identity\r\n", ""),
            Want::StatusOrClose(&[400, 501]),
        ),
        row(
            "B3",
            with(
                "POST",
                "/app/",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                "0\r\n\r\n",
            ),
            bad,
        ),
        row(
            "B4",
            with(
                "POST",
                "/",
                "Content-Length: 3\r\nContent-Length: 40\r\n",
                "abc",
            ),
            bad,
        ),
        row(
            "B6",
            "POST / HTTP/1.0\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            bad,
        ),
        row("B7", with("GET", "/", "X-A: one\r\n two\r\n", ""), bad),
        row(
            "B8",
            with("POST", "/", "Transfer-Encoding : chunked\r\n", "0\r\n\r\n"),
            bad,
        ),
        row("B9 nul", with("GET", "/", "X-A: a\0b\r\n", ""), bad),
        row("B9 cr", with("GET", "/", "X-A: a\rb\r\n", ""), bad),
        row(
            "B10",
            "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n",
            E400,
        ),
        row("B11", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", E400),
        row("B13", "GET /1k.html\r\n", bad).lacks(&["0123456789"]),
        row("B14 1.11", "GET / HTTP/1.11\r\nHost: a.test\r\n\r\n", bad),
        row("B14 10.0", "GET / HTTP/10.0\r\nHost: a.test\r\n\r\n", bad),
        row(
            "B14 lower",
            "get / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
            Want::Status(&[400, 405, 501]),
        ),
        row("B14 nul", "G\0ET / HTTP/1.0\r\nHost: a.test\r\n\r\n", bad),
        row(
            "B15 overflow",
            with(
                "POST",
                "/app/",
                "Transfer-Encoding: chunked\r\n",
                "fffffffffffffffff1\r\nx\r\n0\r\n\r\n",
            ),
            bad,
        )
        .backend(),
        row(
            "B15 zz",
            with(
                "POST",
                "/app/",
                "Transfer-Encoding: chunked\r\n",
                "zz\r\nx\r\n0\r\n\r\n",
            ),
            bad,
        )
        .backend(),
        row(
            "B15 lf",
            with(
                "POST",
                "/app/",
                "Transfer-Encoding: chunked\r\n",
                "3;x\nabc\r\n0\r\n\r\n",
            ),
            bad,
        )
        .backend(),
        row("B16", early, Want::StatusOrClose(&[404])).lacks(&["admin"]),
        row("B17", pipelined, OK)
            .responses(2)
            .has(&["hello a", "0123456789"]),
        row(
            "B18",
            "GET http://b.test/hello.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
            OK,
        )
        .has(&["hello b"]),
        row(
            "B19",
            "GET http://user@a.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
            E400,
        ),
        row("B20 colon", with("GET", "/", ":foo: x\r\n", ""), bad),
        row(
            "B20 space",
            "GET / HTTP/1.1\r\n foo: x\r\nHost: a.test\r\nConnection: close\r\n\r\n",
            bad,
        ),
        row("B20 control", with("GET", "/", "foo\x02: x\r\n", ""), bad),
        row(
            "B20 underscore",
            with("GET", "/app/echo", "x_foo: y\r\n", ""),
            OK,
        )
        .has(&["x_foo: y"])
        .lacks(&["x-foo"])
        .backend(),
        row(
            "B21 options",
            "OPTIONS * HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
            OK,
        )
        .has(&["Allow", "GET"]),
        row(
            "B21 get",
            "GET * HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
            E400,
        ),
    ];
    for (n, cl) in ["+3", "-1", "3, 3", "0x10", "99999999999999999999999"]
        .iter()
        .enumerate()
    {
        let id = ["B5 +", "B5 -", "B5 list", "B5 hex", "B5 huge"][n];
        rows.push(row(
            id,
            with("POST", "/", &format!("Content-Length: {cl}\r\n"), "abc"),
            bad,
        ));
    }
    for (n, host) in [
        "a.test/../x",
        "a.test:99999",
        "a.test:0",
        "[::1",
        ".",
        "a..b",
        "a.test\\x",
        "",
    ]
    .iter()
    .enumerate()
    {
        let id = [
            "B12 path",
            "B12 port",
            "B12 zero",
            "B12 v6",
            "B12 dot",
            "B12 dots",
            "B12 bslash",
            "B12 empty",
        ][n];
        let text = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        rows.push(row(id, text, E400));
    }
    rows
}

fn exhaustion_rows() -> Vec<Row> {
    let big = format!("X-Big: {}\r\n", "A".repeat(65536));
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let long = format!("/{}", "a".repeat(16384));
    let killer: String = std::iter::once("0-".to_string())
        .chain((0..1300).map(|i| format!("5-{i}")))
        .collect::<Vec<_>>()
        .join(",");
    let disjoint: String = (0..400)
        .map(|i| format!("{}-{}", 2 * i, 2 * i))
        .collect::<Vec<_>>()
        .join(",");
    vec![
        row("D6", with("GET", "/", &big, ""), Want::Status(&[400, 431])),
        row("D7", with("GET", "/", &many, ""), Want::Status(&[400, 431])),
        row("D8", get_a(&long), Want::Status(&[414])),
        row(
            "D9",
            with("POST", "/limited/", "Content-Length: 1000000000000\r\n", ""),
            Want::Status(&[413]),
        ),
        // Headers are leaked into the lists: a whole answer never exceeds the file + 1 KiB.
        row(
            "D10",
            with(
                "GET",
                "/big.txt",
                &format!("Range: bytes={killer}\r\nAccept-Encoding: gzip\r\n"),
                "",
            ),
            Want::Status(&[200, 206]),
        ),
        row(
            "D11",
            with(
                "GET",
                "/big.txt",
                &format!("Range: bytes={disjoint}\r\n"),
                "",
            ),
            Want::Status(&[200, 206]),
        ),
    ]
}

fn proxy_rows(sentinel: u16) -> Vec<Row> {
    let leak = |s: &str| Box::leak(s.to_string().into_boxed_str()) as &'static str;
    let sentinel_abs = leak(&format!(
        "GET http://127.0.0.1:{sentinel}/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
    ));
    let connect = leak(&format!(
        "CONNECT 127.0.0.1:{sentinel} HTTP/1.1\r\nHost: 127.0.0.1:{sentinel}\r\nConnection: close\r\n\r\n"
    ));
    let ssrf = leak(&format!(
        "/app/echo?unix:{}|http://127.0.0.1:{sentinel}/",
        "A".repeat(1000)
    ));
    vec![
        row("E1", sentinel_abs, Want::Status(&[200, 400, 403, 404])),
        row("E1 evil", "GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", Want::Status(&[200, 400, 403, 404])),
        row("E2", connect, Want::StatusOrClose(&[400, 405])),
        row("E3", with("GET", "/app/echo", "X-Forwarded-For: 127.0.0.9\r\nConnection: X-Forwarded-For, X-Forwarded-Host\r\n", ""), OK)
            .has(&["x-forwarded-for: 127.0.0.1\n", "x-forwarded-host: a.test\n"]).backend(),
        row("E4", with("GET", "/app/echo", "X-Forwarded-For: 10.0.0.1\r\n", ""), OK)
            .has(&["x-forwarded-for: 10.0.0.1, 127.0.0.1\n"]).backend(),
        row("E5", with("GET", "/app/echo", "Keep-Alive: 300\r\nTE: gzip\r\nTrailer: X\r\nUpgrade: h2c\r\nProxy-Authorization: Basic eDp5\r\nProxy-Connection: keep-alive\r\n", ""), OK)
            .lacks(&["keep-alive:", "te: gzip", "trailer:", "upgrade:", "proxy-authorization:", "proxy-connection:"]).backend(),
        row("E8", get_a("/app/x%0d%0aHost:%20evil"), OK).has(&["GET /x%0d%0aHost:%20evil\n"]).lacks(&["host: evil"]).backend(),
        row("E9 prefix", get_a("/appx/secret"), E404),
        row("E9 dots", get_a("/app/../admin"), E400_404),
        row("E9 encoded dots", get_a("/app/%2e%2e/admin"), E400_404),
        row("E9 encoded slash", get_a("/app/..%2fadmin"), E400_404),
        row("E9 semicolon", get_a("/app/..;/admin"), OK).has(&["GET /..;/admin\n"]).backend(),
        row("E10", get_a(ssrf), OK).has(&["GET /echo?unix:"]).backend(),
    ]
}

/// A listener that counts the connections it gets (none may arrive).
async fn sentinel() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    tokio::spawn(async move {
        while let Ok((_s, _)) = l.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, n)
}

async fn setup() -> (TestServer, Upstream) {
    let up = upstream::start(None).await;
    let conf = CONF.replace("{U0}", &up.addr.port().to_string());
    let s = start(&conf, &["127.0.0.1"], "", &["a", "b"]).await;
    let r = s.root();
    let write = |rel: &str, body: &[u8]| {
        let p = r.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    };
    write(
        "htdocs/a/1k.html",
        "0123456789".repeat(103).as_bytes()[..1024].as_ref(),
    );
    write("htdocs/a/hello.txt", b"hello a");
    write("htdocs/a/dir/file.txt", b"in dir");
    write("htdocs/a/.htaccess", b"Deny from all");
    write("htdocs/a/big.txt", &vec![b'x'; 108_894]);
    write("htdocs/b/hello.txt", b"hello b");
    write("htdocs/b/secret.txt", b"b secret");
    write("static/s.txt", b"static file");
    write("outside.txt", b"OUTSIDE");
    std::os::unix::fs::symlink(r.join("outside.txt"), r.join("htdocs/a/escape")).expect("link");
    std::os::unix::fs::symlink(r.join("htdocs/b"), r.join("htdocs/a/to-b")).expect("link");
    (s, up)
}

/// Sends the bytes, reads until the server closes (or 3 s).
async fn exchange(a: SocketAddr, bytes: &[u8]) -> (String, bool) {
    let mut c = TcpStream::connect(a).await.expect("connect");
    // A server that closes early may refuse the rest; what it said is still read.
    let _ = c.write_all(bytes).await;
    let mut out = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(3), c.read_to_end(&mut out))
        .await
        .is_ok();
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

fn judge(r: &Row, answer: &str, closed: bool) -> Result<(), String> {
    let status = status_of(answer);
    let ok_status = match r.want {
        Want::Status(s) => s.contains(&status),
        Want::StatusOrClose(s) => s.contains(&status) || (answer.is_empty() && closed),
    };
    if !ok_status {
        return Err(format!(
            "wanted {:?}, got {status} (closed: {closed})",
            r.want
        ));
    }
    if status_lines(answer) > r.max_responses {
        return Err(format!(
            "{} responses, at most {} allowed",
            status_lines(answer),
            r.max_responses
        ));
    }
    let lower = answer.to_ascii_lowercase();
    for h in r.has {
        if !answer.contains(h) && !lower.contains(&h.to_ascii_lowercase()) {
            return Err(format!("the answer lacks {h:?}"));
        }
    }
    for l in r.lacks {
        if lower.contains(&l.to_ascii_lowercase()) {
            return Err(format!("the answer holds {l:?}"));
        }
    }
    Ok(())
}

/// Status lines at the start of a line (bodies may quote "HTTP/1.").
fn status_lines(answer: &str) -> usize {
    let starts = answer.starts_with("HTTP/1.") as usize;
    starts + answer.matches("\nHTTP/1.").count()
}

async fn run(rows: Vec<Row>, sentinel_hits: Option<&AtomicUsize>) {
    let (s, up) = setup().await;
    let a = s.addr("127.0.0.1", 0);
    let mut failures = Vec::new();
    for r in &rows {
        let before = up.seen.connections.load(Ordering::SeqCst);
        let (answer, closed) = exchange(a, &r.bytes).await;
        let mut verdict = judge(r, &answer, closed);
        if verdict.is_ok() && !r.backend && up.seen.connections.load(Ordering::SeqCst) != before {
            verdict = Err("the backend was contacted".into());
        }
        if verdict.is_ok() && sentinel_hits.is_some_and(|n| n.load(Ordering::SeqCst) > 0) {
            verdict = Err("the sentinel port was contacted".into());
        }
        if verdict.is_ok() && r.id.starts_with("D1") {
            let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
            if body.len() > 108_894 + 1024 {
                verdict = Err(format!("{} bytes for a 108894-byte file", body.len()));
            }
        }
        let health = get(a, None, "/hello.txt", Some("a.test")).await;
        if verdict.is_ok() && health.status != 200 {
            verdict = Err(format!("the next ordinary request got {}", health.status));
        }
        if let Err(why) = verdict {
            let head: String = answer.chars().take(300).collect();
            failures.push(format!("{}: {why}\n    answer: {head:?}", r.id));
        }
    }
    s.stop().await;
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_path_traversal_and_disclosure() {
    run(path_rows(), None).await;
}

#[tokio::test]
async fn b_request_parsing_and_smuggling() {
    run(parsing_rows(), None).await;
}

#[tokio::test]
async fn d_resource_exhaustion_per_request() {
    run(exhaustion_rows(), None).await;
}

#[tokio::test]
async fn e_proxy_abuse() {
    let (port, hits) = sentinel().await;
    run(proxy_rows(port), Some(&hits)).await;
}

/// A backend that answers each request with the bytes scripted for its path, then closes.
async fn scripted(script: Vec<(&'static str, Vec<u8>)>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let script = Arc::new(script);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let script = script.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("");
                if let Some((_, bytes)) = script.iter().find(|(p, _)| *p == path) {
                    let _ = s.write_all(bytes).await;
                }
                let _ = s.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn e_hostile_backends() {
    let ok_head = "HTTP/1.1 200 OK\r\n";
    let script: Vec<(&'static str, Vec<u8>)> = vec![
        ("/two-lengths", format!("{ok_head}Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello").into_bytes()),
        ("/te-foo", format!("{ok_head}Transfer-Encoding: foo\r\n\r\nhello").into_bytes()),
        ("/cl-te", format!("{ok_head}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").into_bytes()),
        ("/cl-foo", format!("{ok_head}Content-Length: foo\r\n\r\nhello").into_bytes()),
        ("/encoded-crlf", b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x%0d%0aSet-Cookie:%20a=b\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ("/raw-cr", b"HTTP/1.1 302 Found\r\nLocation: /x\rSet-Cookie: a=b\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ("/bare-lf", format!("{ok_head}X-A: a\nb\r\nContent-Length: 0\r\n\r\n").into_bytes()),
        ("/truncated", format!("{ok_head}Content-Length: 1000\r\n\r\n{}", "x".repeat(500)).into_bytes()),
        ("/extra", format!("{ok_head}Content-Length: 5\r\n\r\nhelloEXTRA").into_bytes()),
        ("/interim", {
            let mut b = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(10_000);
            b.extend_from_slice(format!("{ok_head}Content-Length: 2\r\n\r\nok").as_bytes());
            b
        }),
    ];
    let port = scripted(script).await;
    let conf = format!(
        "ServerName main.test\nListen 127.0.0.1:{{P0}}\n<VirtualHost 127.0.0.1:{{P0}}>\n  \
         ServerName a.test\n  DocumentRoot htdocs/a\n  ProxyPass /b/ http://127.0.0.1:{port}/\n  \
         ProxyPassReverse /b/ http://127.0.0.1:{port}/\n</VirtualHost>\n"
    );
    let s = start(&conf, &["127.0.0.1"], "", &["a"]).await;
    let a = s.addr("127.0.0.1", 0);
    let mut failures = Vec::new();
    let mut check = |id: &str, answer: &str, ok: bool| {
        if !ok {
            failures.push(format!(
                "{id}: {:?}",
                answer.chars().take(300).collect::<String>()
            ));
        }
    };
    for (id, path) in [
        ("E6 two lengths", "/b/two-lengths"),
        ("E6 unknown coding", "/b/te-foo"),
        ("E6 CL and TE", "/b/cl-te"),
        ("E6 bad length", "/b/cl-foo"),
        ("E7 raw CR", "/b/raw-cr"),
        ("E7 bare LF", "/b/bare-lf"),
    ] {
        let (answer, _) = exchange(a, &get_a(path)).await;
        check(id, &answer, status_of(&answer) == 502);
    }
    let (answer, _) = exchange(a, &get_a("/b/encoded-crlf")).await;
    check(
        "E7 encoded",
        &answer,
        status_of(&answer) == 302
            && answer.contains("x%0d%0aSet-Cookie:%20a=b")
            && !answer.to_ascii_lowercase().contains("\r\nset-cookie"),
    );
    let (answer, closed) = exchange(a, &get_a("/b/truncated")).await;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    check("E11 truncated", &answer, closed && body.len() < 1000);
    let (answer, _) = exchange(a, &get_a("/b/extra")).await;
    check(
        "E11 extra",
        &answer,
        status_of(&answer) == 200 && !answer.contains("EXTRA"),
    );
    let (answer, _) = exchange(a, &get_a("/b/interim")).await;
    check(
        "E12 interim flood",
        &answer,
        matches!(status_of(&answer), 200 | 502) && status_lines(&answer) == 1,
    );
    let health = get(a, None, "/", Some("a.test")).await;
    check("health", "", health.status == 200);
    s.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

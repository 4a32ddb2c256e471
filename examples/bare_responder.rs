//! Takes a docroot, two ports, a certificate and key, and an upstream port, and gives the
//! ceiling the load comparison measures against: the same stack as the server (tokio,
//! hyper-util's auto connection, rustls with the same session settings, hyper-util's pooled
//! client) with none of its work: files read into memory once, headers made once, no vhosts,
//! no checks, `/px/...` sent upstream as it is. With `BARE_INLINE=1` the proxy uses hyper's
//! own HTTP/1 client connections instead, each driven by the request that uses it (no
//! connection task, no channel hop): what such a pool would be worth. Not a server:
//! `benches/load_vs_nginx.sh` runs it.
//!
//! Usage: [BARE_INLINE=1] bare_responder DOCROOT HTTP_PORT HTTPS_PORT CERT KEY UPSTREAM_PORT

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, ETAG, HeaderValue, SERVER};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::PemObject;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::net::TcpListener;

type Body = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

struct State {
    files: HashMap<String, (Bytes, HeaderValue, HeaderValue)>,
    upstream: String,
    client: Client<HttpConnector, Incoming>,
    inline: bool,
    up_port: u16,
    idle: std::sync::Mutex<Vec<Inline>>,
}

type UpConn = hyper::client::conn::http1::Connection<TokioIo<tokio::net::TcpStream>, Incoming>;

/// An upstream connection driven by the request that uses it.
struct Inline {
    tx: hyper::client::conn::http1::SendRequest<Incoming>,
    conn: UpConn,
}

/// The upstream's body, polling its connection as it is read; the connection goes back to the
/// pool when the body is done.
struct InlineBody {
    body: Incoming,
    up: Option<Inline>,
    state: Arc<State>,
}

impl hyper::body::Body for InlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        use std::future::Future;
        let this = &mut *self;
        if let Some(up) = this.up.as_mut()
            && std::pin::Pin::new(&mut up.conn).poll(cx).is_ready()
        {
            this.up = None;
        }
        let r = std::pin::Pin::new(&mut this.body).poll_frame(cx);
        let done = matches!(r, std::task::Poll::Ready(None))
            || (r.is_ready() && this.body.is_end_stream());
        if done
            && let Some(up) = this.up.take()
            && let Ok(mut idle) = this.state.idle.lock()
        {
            idle.push(up);
        }
        r.map(|o| o.map(|f| f.map_err(Into::into)))
    }
    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

async fn inline_proxy(req: Request<Incoming>, state: Arc<State>) -> Response<Body> {
    use std::future::Future;
    let mut found = None;
    while let Some(mut u) = state.idle.lock().ok().and_then(|mut v| v.pop()) {
        let ok = std::future::poll_fn(|cx| {
            if std::pin::Pin::new(&mut u.conn).poll(cx).is_ready() {
                return std::task::Poll::Ready(false);
            }
            u.tx.poll_ready(cx).map(|r| r.is_ok())
        })
        .await;
        if ok {
            found = Some(u);
            break;
        }
    }
    let mut up = match found {
        Some(u) => u,
        None => {
            let Ok(tcp) = tokio::net::TcpStream::connect(("127.0.0.1", state.up_port)).await else {
                return status(StatusCode::BAD_GATEWAY);
            };
            let _ = tcp.set_nodelay(true);
            let Ok((tx, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await
            else {
                return status(StatusCode::BAD_GATEWAY);
            };
            Inline { tx, conn }
        }
    };
    let mut fut = std::pin::pin!(up.tx.send_request(req));
    let got = std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(r) = fut.as_mut().poll(cx) {
            return std::task::Poll::Ready(r);
        }
        let _ = std::pin::Pin::new(&mut up.conn).poll(cx);
        fut.as_mut().poll(cx)
    })
    .await;
    match got {
        Ok(r) => r.map(|body| {
            InlineBody {
                body,
                up: Some(up),
                state: state.clone(),
            }
            .boxed_unsync()
        }),
        Err(_) => status(StatusCode::BAD_GATEWAY),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, root, http, https, cert, key, up] = args.as_slice() else {
        return Err(
            "usage: bare_responder DOCROOT HTTP_PORT HTTPS_PORT CERT KEY UPSTREAM_PORT".into(),
        );
    };
    let mut files = HashMap::new();
    for e in std::fs::read_dir(root)?.flatten() {
        if e.file_type()?.is_file() {
            let name = format!("/{}", e.file_name().to_string_lossy());
            let bytes = Bytes::from(std::fs::read(e.path())?);
            let ty = mime_guess::from_path(e.path()).first_or_octet_stream();
            let etag = HeaderValue::from_str(&format!("\"{:x}\"", bytes.len()))?;
            files.insert(name, (bytes, HeaderValue::from_str(ty.as_ref())?, etag));
        }
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let state = Arc::new(State {
        files,
        upstream: format!("http://127.0.0.1:{up}"),
        client: Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build(connector),
        inline: std::env::var_os("BARE_INLINE").is_some(),
        up_port: up.parse()?,
        idle: std::sync::Mutex::new(Vec::new()),
    });
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = rustls_pki_types::CertificateDer::pem_file_iter(cert)?.collect::<Result<_, _>>()?;
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key)?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tls.session_storage = rustls::server::ServerSessionMemoryCache::new(20_000);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let plain = TcpListener::bind(("127.0.0.1", http.parse::<u16>()?)).await?;
        let secure = TcpListener::bind(("127.0.0.1", https.parse::<u16>()?)).await?;
        let s2 = state.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = secure.accept().await {
                let (acceptor, state) = (acceptor.clone(), s2.clone());
                tokio::spawn(async move {
                    let _ = tcp.set_nodelay(true);
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve(TokioIo::new(tls), state).await;
                    }
                });
            }
        });
        while let Ok((tcp, _)) = plain.accept().await {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(serve(TokioIo::new(tcp), state.clone()));
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

async fn serve<I>(io: I, state: Arc<State>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move {
            if state.inline && req.uri().path().starts_with("/px/") {
                let (mut parts, body) = req.into_parts();
                parts.uri = match parts.uri.path().strip_prefix("/px").unwrap_or("/").parse() {
                    Ok(u) => u,
                    Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
                };
                parts.version = hyper::Version::HTTP_11;
                parts
                    .headers
                    .insert(hyper::header::HOST, HeaderValue::from_static("upstream"));
                return Ok(inline_proxy(Request::from_parts(parts, body), state).await);
            }
            Ok::<_, std::convert::Infallible>(answer(req, &state).await)
        }
    });
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(io, svc)
        .await;
}

async fn answer(req: Request<Incoming>, state: &State) -> Response<Body> {
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/px") {
        let Ok(uri) = format!("{}{rest}", state.upstream).parse() else {
            return status(StatusCode::BAD_REQUEST);
        };
        let (mut parts, body) = req.into_parts();
        parts.uri = uri;
        parts.version = hyper::Version::HTTP_11;
        parts.headers.remove(hyper::header::HOST);
        return match state.client.request(Request::from_parts(parts, body)).await {
            Ok(r) => r.map(|b| b.map_err(Into::into).boxed_unsync()),
            Err(_) => status(StatusCode::BAD_GATEWAY),
        };
    }
    let Some((bytes, ty, etag)) = state.files.get(path) else {
        return status(StatusCode::NOT_FOUND);
    };
    let mut r = Response::new(
        Full::new(bytes.clone())
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, ty.clone());
    h.insert(ETAG, etag.clone());
    h.insert(SERVER, HeaderValue::from_static("bare"));
    r
}

fn status(s: StatusCode) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *r.status_mut() = s;
    r
}

//! In-process upstreams on 127.0.0.1:0 for proxy tests: an echo (request line, headers, body
//! size), slow, huge, redirecting, streaming-slow (notices cancellation), upload counter,
//! WebSocket-style echo after an Upgrade, a TLS variant with a test CA, and a misbehaving one.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Out = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

/// What the upstream saw.
#[derive(Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    pub cancelled: AtomicBool,
    pub sni: std::sync::Mutex<Option<String>>,
}

pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
}

fn full(s: impl Into<Bytes>) -> Out {
    Full::new(s.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Sets `cancelled` when dropped before the stream finished.
struct Guard(Arc<Seen>, bool);
impl Drop for Guard {
    fn drop(&mut self) {
        if !self.1 {
            self.0.cancelled.store(true, Ordering::SeqCst);
        }
    }
}

async fn handle(
    mut req: Request<Incoming>,
    seen: Arc<Seen>,
    port: u16,
) -> Result<Response<Out>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    let mut head = format!("{} {}\n", req.method(), req.uri());
    let mut names: Vec<_> = req
        .headers()
        .iter()
        .map(|(k, v)| format!("{}: {}\n", k, v.to_str().unwrap_or("?")))
        .collect();
    names.sort();
    head.extend(names);
    let r = match path.as_str() {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Response::new(full("slow"))
        }
        "/slower" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Response::new(full("slower"))
        }
        "/redirect" => {
            let mut r = Response::new(full("moved"));
            *r.status_mut() = hyper::StatusCode::FOUND;
            r.headers_mut().insert(
                "location",
                format!("http://127.0.0.1:{port}/landed")
                    .parse()
                    .expect("value"),
            );
            r.headers_mut()
                .insert("connection", "X-Up".parse().expect("value"));
            r.headers_mut().insert("x-up", "1".parse().expect("value"));
            r.headers_mut()
                .insert("keep-alive", "timeout=5".parse().expect("value"));
            r
        }
        "/huge" => {
            let chunk = Bytes::from(vec![b'z'; 64 * 1024]);
            let s = futures_util::stream::iter(
                (0..1600).map(move |_| Ok::<_, std::io::Error>(Frame::data(chunk.clone()))),
            );
            Response::new(StreamBody::new(s).boxed_unsync())
        }
        "/trickle" => {
            let guard = Guard(seen.clone(), false);
            let s = futures_util::stream::unfold((0, guard), |(i, mut g)| async move {
                if i == 50 {
                    g.1 = true;
                    drop(g);
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((
                    Ok::<_, std::io::Error>(Frame::data(Bytes::from_static(b"tick\n"))),
                    (i + 1, g),
                ))
            });
            Response::new(StreamBody::new(s).boxed_unsync())
        }
        "/ws" => {
            let on = hyper::upgrade::on(&mut req);
            tokio::spawn(async move {
                if let Ok(up) = on.await {
                    let mut io = TokioIo::new(up);
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = io.read(&mut buf).await {
                        if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            });
            let mut r = Response::new(full(""));
            *r.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
            r.headers_mut()
                .insert("upgrade", "websocket".parse().expect("value"));
            r.headers_mut()
                .insert("connection", "Upgrade".parse().expect("value"));
            r
        }
        _ => {
            let mut body = req.into_body();
            let mut size = 0usize;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(f) => size += f.data_ref().map_or(0, |d| d.len()),
                    Err(_) => break,
                }
            }
            head.push_str(&format!("body-bytes: {size}\n"));
            Response::new(full(head))
        }
    };
    Ok(r)
}

/// An HTTP upstream (or HTTPS with `tls`).
pub async fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Upstream {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Seen::default());
    let s2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            s2.connections.fetch_add(1, Ordering::SeqCst);
            let seen = s2.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let record = seen.clone();
                let svc =
                    hyper::service::service_fn(move |req| handle(req, seen.clone(), addr.port()));
                let builder = hyper::server::conn::http1::Builder::new();
                match tls {
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(tcp), svc)
                            .with_upgrades()
                            .await;
                    }
                    Some(cfg) => {
                        let Ok(stream) = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await
                        else {
                            return;
                        };
                        let sni = stream.get_ref().1.server_name().map(str::to_string);
                        if let Ok(mut slot) = record.sni.lock() {
                            *slot = sni;
                        }
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), svc)
                            .with_upgrades()
                            .await;
                    }
                }
            });
        }
    });
    Upstream { addr, seen }
}

/// A TLS config for an upstream, with a certificate from `dir/<name>.crt` and `.key`.
pub fn tls_config(dir: &std::path::Path, name: &str) -> Arc<rustls::ServerConfig> {
    use rustls_pki_types::pem::PemObject;
    let certs: Vec<_> =
        rustls_pki_types::CertificateDer::pem_file_iter(dir.join(format!("{name}.crt")))
            .expect("crt")
            .flatten()
            .collect();
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(dir.join(format!("{name}.key")))
        .expect("key");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("cert");
    Arc::new(cfg)
}

/// An upstream that answers anything with bytes that are not HTTP.
pub async fn garbage() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tcp.read(&mut buf).await;
                let _ = tcp.write_all(b"THIS IS NOT HTTP AT ALL\r\n\r\n").await;
            });
        }
    });
    addr
}

/// A loopback port where connections are refused, kept that way for as long as the value lives:
/// the socket is bound (so no listener, ours included, can be handed the same port) but never
/// listens. A port from a listener that was bound and dropped may be given to the server under
/// test moments later, which then proxies to itself.
pub struct DeadPort(tokio::net::TcpSocket);

impl DeadPort {
    pub fn new() -> DeadPort {
        let s = tokio::net::TcpSocket::new_v4().expect("socket");
        s.bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
        DeadPort(s)
    }

    pub fn port(&self) -> u16 {
        self.0.local_addr().expect("addr").port()
    }
}

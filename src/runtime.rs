//! The runtime: binds the plan's sockets (dual-stack for "every address", address reuse, a
//! deep backlog), accepts without ever waiting on a handshake (each connection is its own task),
//! runs the TLS handshake there under a timeout with the certificate chosen from the raw SNI,
//! and serves HTTP/1.1 and HTTP/2 (ALPN on TLS) through hyper-util's automatic builder.

use crate::generation::Generation;
use crate::handlers::pages;
use crate::plan::{Listener, Plan};
use crate::router;
use crate::service::{self, Conn, TlsConn};
use crate::tls::{Hello, read_hello};
use arc_swap::ArcSwap;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long a client may take to send its ClientHello and finish the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The generation in service; new connections take the current one.
pub type Current = Arc<ArcSwap<Generation>>;

/// Binds one planned socket: `[::]` (dual stack) for every address, else the address.
pub fn bind_one(l: &Listener) -> std::io::Result<TcpListener> {
    let try_bind = |addr: SocketAddr| -> std::io::Result<TcpListener> {
        let s = if addr.is_ipv6() {
            TcpSocket::new_v6()?
        } else {
            TcpSocket::new_v4()?
        };
        s.set_reuseaddr(true)?;
        s.set_nodelay(true)?;
        s.bind(addr)?;
        s.listen(1024)
    };
    match l.ip {
        Some(ip) => try_bind(SocketAddr::new(ip, l.port)),
        None => try_bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), l.port))
            .or_else(|_| try_bind(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), l.port))),
    }
}

/// Binds every planned socket, or says which one failed and why (nothing stays bound).
pub fn bind_all(
    plan: &Plan,
    show: &dyn Fn(&Listener) -> String,
) -> Result<Vec<TcpListener>, String> {
    plan.listeners
        .iter()
        .map(|l| {
            bind_one(l).map_err(|e| format!("cannot bind {} ({}): {e}", addr_text(l), show(l)))
        })
        .collect()
}

fn addr_text(l: &Listener) -> String {
    match l.ip {
        Some(IpAddr::V6(ip)) => format!("[{ip}]:{}", l.port),
        Some(ip) => format!("{ip}:{}", l.port),
        None => format!("*:{}", l.port),
    }
}

/// A server running on some listeners.
pub struct Running {
    pub addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting and waits for the accept loops to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.tasks.await;
    }
}

/// Starts serving on already-bound listeners (tests bind `127.0.0.1:0` themselves).
pub fn start(current: Current, listeners: Vec<TcpListener>) -> Running {
    let addrs = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    let (stop, stopped) = watch::channel(false);
    let tasks = tokio::spawn(async move {
        let mut loops = JoinSet::new();
        for l in listeners {
            loops.spawn(accept_loop(l, current.clone(), stopped.clone()));
        }
        while loops.join_next().await.is_some() {}
    });
    Running { addrs, stop, tasks }
}

/// Serves until `shutdown` completes.
pub async fn serve_until(
    current: Current,
    listeners: Vec<TcpListener>,
    shutdown: impl Future<Output = ()>,
) {
    let running = start(current, listeners);
    shutdown.await;
    running.stop().await;
}

async fn accept_loop(listener: TcpListener, current: Current, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let generation = current.load_full();
                    tokio::spawn(connection(stream, remote, generation));
                }
                Err(e) => {
                    // Out of descriptors and the like: say so, breathe, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// One connection: the chain for its local address, TLS if that chain speaks it, then HTTP.
async fn connection(stream: TcpStream, remote: SocketAddr, generation: Arc<Generation>) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let plan = &generation.plan;
    let chain = plan.chain_for(local);
    let tls_here = match chain {
        Some(c) => plan.chains[c].tls,
        None => generation.tls.main.is_some(),
    };
    let mut conn = Conn {
        local,
        remote,
        chain,
        tls: None,
    };
    if !tls_here {
        return serve_http(TokioIo::new(stream), conn, generation.clone()).await;
    }
    let handshake = async {
        let raw_sni = match peek_hello(&stream).await? {
            Hello::NotTls => {
                let mut stream = stream;
                let _ = stream.write_all(&pages::plain_http_on_tls()).await;
                let _ = stream.shutdown().await;
                return None;
            }
            Hello::Sni(s) => Some(s),
            Hello::Unknown | Hello::NeedMore => None,
        };
        let start =
            tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream)
                .await
                .ok()?;
        let hello = start.client_hello();
        let sni = raw_sni.unwrap_or_else(|| hello.server_name().map(str::to_string));
        let (config, member) = match chain {
            Some(c) => {
                let member = router::handshake_member(plan, c, sni.as_deref());
                let key = plan.chains[c].members[member].tls?;
                (generation.tls.chains[c].get(&key)?.clone(), member)
            }
            None => (generation.tls.main.clone()?, 0),
        };
        let tls = start.into_stream(config).await.ok()?;
        Some((tls, sni, member))
    };
    let Ok(Some((tls, sni, member))) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await
    else {
        return;
    };
    conn.tls = Some(TlsConn {
        sni,
        handshake: member,
    });
    serve_http(TokioIo::new(tls), conn, generation.clone()).await;
}

/// Waits for the ClientHello's first record without consuming it.
async fn peek_hello(stream: &TcpStream) -> Option<Hello> {
    let mut buf = vec![0u8; 5 + 16 * 1024];
    loop {
        let n = stream.peek(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        match read_hello(&buf[..n]) {
            Hello::NeedMore if n < buf.len() => tokio::time::sleep(Duration::from_millis(2)).await,
            Hello::NeedMore => return Some(Hello::Unknown),
            other => return Some(other),
        }
    }
}

async fn serve_http<I>(io: TokioIo<I>, conn: Conn, generation: Arc<Generation>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn = Arc::new(conn);
    let svc = hyper::service::service_fn(move |req| {
        service::handle(req, conn.clone(), generation.clone())
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    if let Err(e) = builder.serve_connection_with_upgrades(io, svc).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

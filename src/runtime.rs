//! The runtime: binds the plan's sockets (dual-stack for "every address", address reuse, a
//! deep backlog), accepts without ever waiting on a handshake (each connection is its own task),
//! runs the TLS handshake there under a timeout with the certificate chosen from the raw SNI,
//! and serves HTTP/1.1 and HTTP/2 (ALPN on TLS) through hyper-util's automatic builder.
//! A `Server` owns the listening sockets, one slot each, so a reload can keep, add and drain
//! them (see `reload.rs`), and a stop can drain every connection.

use crate::generation::Generation;
use crate::handlers::pages;
use crate::plan::Listener;
use crate::router;
use crate::service::{self, Conn, TlsConn};
use crate::tls::{Hello, read_hello};
use arc_swap::ArcSwap;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a client may take to send its ClientHello and finish the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The generation in service; new connections and new requests take the current one.
pub type Current = Arc<ArcSwap<Generation>>;

/// A listening socket's identity: the address a `Listen` names.
pub type ListenKey = (Option<IpAddr>, u16);

pub fn key_of(l: &Listener) -> ListenKey {
    (l.ip, l.port)
}

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

/// `ip:port` as a Listen line writes it.
pub fn addr_text(l: &Listener) -> String {
    match l.ip {
        Some(IpAddr::V6(ip)) => format!("[{ip}]:{}", l.port),
        Some(ip) => format!("{ip}:{}", l.port),
        None => format!("*:{}", l.port),
    }
}

/// One listening socket in service: its accept loop and the connections it accepted.
struct Slot {
    key: ListenKey,
    addr: SocketAddr,
    /// Stops the accept loop.
    stop_accepting: CancellationToken,
    /// Asks every connection to finish its in-flight requests and close.
    drain: CancellationToken,
    conns: TaskTracker,
}

impl Slot {
    fn start(key: ListenKey, listener: TcpListener, current: Current) -> Slot {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], key.1)));
        let slot = Slot {
            key,
            addr,
            stop_accepting: CancellationToken::new(),
            drain: CancellationToken::new(),
            conns: TaskTracker::new(),
        };
        let (stop, drain, conns) = (
            slot.stop_accepting.clone(),
            slot.drain.clone(),
            slot.conns.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, remote)) => {
                            let generation = current.load_full();
                            conns.spawn(connection(stream, remote, generation, current.clone(), drain.clone()));
                        }
                        Err(e) => {
                            // Out of descriptors and the like: say so, breathe, go on.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        });
        slot
    }

    /// Stops accepting, lets in-flight requests finish (until `deadline`), closes the rest.
    async fn drain(self, deadline: Option<Duration>) {
        self.stop_accepting.cancel();
        self.conns.close();
        self.drain.cancel();
        match deadline {
            Some(d) => {
                if tokio::time::timeout(d, self.conns.wait()).await.is_err() {
                    tracing::warn!(listener = %self.addr, "connections still open after the graceful timeout; closing them");
                }
            }
            None => self.conns.wait().await,
        }
    }
}

/// The server: the generation in service and one slot per listening socket.
pub struct Server {
    pub current: Current,
    slots: tokio::sync::Mutex<Vec<Slot>>,
}

impl Server {
    /// Starts serving on already-bound listeners (tests bind `127.0.0.1:0` themselves).
    pub fn start(generation: Generation, bound: Vec<(ListenKey, TcpListener)>) -> Arc<Server> {
        let current: Current = Arc::new(ArcSwap::from_pointee(generation));
        let slots = bound
            .into_iter()
            .map(|(k, l)| Slot::start(k, l, current.clone()))
            .collect();
        Arc::new(Server {
            current,
            slots: tokio::sync::Mutex::new(slots),
        })
    }

    /// The addresses the server listens on, in plan order.
    pub async fn addrs(&self) -> Vec<SocketAddr> {
        self.slots.lock().await.iter().map(|s| s.addr).collect()
    }

    /// The keys of the sockets in service.
    pub async fn keys(&self) -> Vec<ListenKey> {
        self.slots.lock().await.iter().map(|s| s.key).collect()
    }

    /// Swaps in a generation whose sockets are already bound (`added`); drains `removed` ones.
    /// Returns (kept, added, removed) counts.
    pub async fn swap(
        &self,
        next: Generation,
        added: Vec<(ListenKey, TcpListener)>,
        deadline: Option<Duration>,
    ) -> (usize, usize, usize) {
        let wanted: Vec<ListenKey> = next.plan.listeners.iter().map(key_of).collect();
        let mut slots = self.slots.lock().await;
        self.current.store(Arc::new(next));
        let n_added = added.len();
        for (k, l) in added {
            slots.push(Slot::start(k, l, self.current.clone()));
        }
        let (keep, gone): (Vec<Slot>, Vec<Slot>) = std::mem::take(&mut *slots)
            .into_iter()
            .partition(|s| wanted.contains(&s.key));
        let n_removed = gone.len();
        *slots = keep;
        drop(slots);
        for s in gone {
            tokio::spawn(s.drain(deadline));
        }
        let kept = wanted.len() - n_added;
        (kept, n_added, n_removed)
    }

    /// Stops accepting everywhere and drains every connection (until `deadline`).
    pub async fn stop(&self, deadline: Option<Duration>) {
        let slots = std::mem::take(&mut *self.slots.lock().await);
        let drains: Vec<_> = slots
            .into_iter()
            .map(|s| tokio::spawn(s.drain(deadline)))
            .collect();
        for d in drains {
            let _ = d.await;
        }
    }
}

/// One connection: TLS if the chain for its local address speaks it, then HTTP.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    generation: Arc<Generation>,
    current: Current,
    drain: CancellationToken,
) {
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
        tls: None,
    };
    if !tls_here {
        // h2c as mod_http2 decides it: by the connection's default vhost's `Protocols`
        // (without the directive, h2c prior knowledge is accepted).
        let base = match chain {
            Some(c) => &plan.vhost(plan.chains[c].default_vhost()).conf,
            None => &plan.main.conf,
        };
        let h1_only = base
            .protocols
            .as_ref()
            .is_some_and(|p| !p.value.iter().any(|x| x == "h2c"));
        return serve_http(TokioIo::new(stream), conn, current, drain, h1_only).await;
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
        let sni = raw_sni.unwrap_or_else(|| start.client_hello().server_name().map(str::to_string));
        let config = match chain {
            Some(c) => {
                let member = router::handshake_member(plan, c, sni.as_deref());
                let key = plan.chains[c].members[member].tls?;
                generation.tls.chains[c].get(&key)?.clone()
            }
            None => generation.tls.main.clone()?,
        };
        // An HTTP/2 preface is only taken where ALPN could have chosen h2 (`Protocols`).
        let h1_only = !config.alpn_protocols.iter().any(|p| p == b"h2");
        let tls = start.into_stream(config).await.ok()?;
        Some((tls, sni, h1_only))
    };
    let Ok(Some((tls, sni, h1_only))) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await
    else {
        return;
    };
    conn.tls = Some(TlsConn { sni });
    serve_http(TokioIo::new(tls), conn, current, drain, h1_only).await;
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

async fn serve_http<I>(
    io: TokioIo<I>,
    conn: Conn,
    current: Current,
    drain: CancellationToken,
    h1_only: bool,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn = Arc::new(conn);
    // Each request takes the generation in service when it arrives.
    let svc = hyper::service::service_fn(move |req| {
        service::handle(req, conn.clone(), current.load_full())
    });
    // In-flight requests finish on a drain; idle keep-alive connections close; HTTP/2 gets
    // GOAWAY.
    macro_rules! drive {
        ($served:expr) => {{
            let served = $served;
            tokio::pin!(served);
            tokio::select! {
                r = served.as_mut() => r,
                _ = drain.cancelled() => {
                    served.as_mut().graceful_shutdown();
                    served.await
                }
            }
        }};
    }
    // auto's http1_only does nothing with upgrades, so HTTP/1 alone has its own builder.
    let result: Result<(), Box<dyn std::error::Error + Send + Sync>> = if h1_only {
        let mut h1 = hyper::server::conn::http1::Builder::new();
        h1.timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT);
        drive!(h1.serve_connection(io, svc).with_upgrades()).map_err(Into::into)
    } else {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT);
        builder.http2().timer(TokioTimer::new());
        drive!(builder.serve_connection_with_upgrades(io, svc))
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

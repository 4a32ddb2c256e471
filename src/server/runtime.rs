//! The runtime: binds the plan's sockets (dual-stack for "every address", address reuse, a
//! deep backlog), accepts without ever waiting on a handshake (each connection is its own task),
//! runs the TLS handshake there under a timeout with the certificate chosen from the raw SNI,
//! and serves HTTP/1.1 and HTTP/2 (ALPN on TLS) through hyper-util's automatic builder.
//! A `Server` owns the listening sockets, one slot each, so a reload can keep, add and drain
//! them (see `reload.rs`), and a stop can drain every connection.

use crate::plan::Listener;
use crate::prepare::generation::Generation;
use crate::prepare::tls::{Hello, read_hello};
use crate::serve::handlers::pages;
use crate::serve::router;
use crate::serve::service::{self, Conn, TlsConn};
use crate::server::conn_io::{ConnIo, Watch};
use arc_swap::ArcSwap;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

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
    fn start(
        key: ListenKey,
        listener: TcpListener,
        current: Current,
        admit: Arc<Admission>,
    ) -> Slot {
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
                // Back-pressure: at the connection cap, new clients wait in the backlog.
                let permit = tokio::select! {
                    _ = stop.cancelled() => return,
                    p = admit.slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => return,
                    },
                };
                tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, remote)) => {
                            let generation = current.load_full();
                            let (admit, current, drain) = (admit.clone(), current.clone(), drain.clone());
                            let tasks = conns.clone();
                            conns.spawn(async move {
                                connection(stream, remote, generation, current, drain, tasks).await;
                                drop(permit);
                                admit.freed.notify_waiters();
                            });
                        }
                        Err(e) => {
                            // Out of descriptors and the like: wait until a connection
                            // closes (or a moment passes), without spinning.
                            drop(permit);
                            tracing::warn!(error = %e, "accept failed");
                            tokio::select! {
                                _ = admit.freed.notified() => {}
                                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                            }
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

/// The cap on open connections, shared by every listening socket.
pub struct Admission {
    slots: Arc<Semaphore>,
    cap: std::sync::Mutex<usize>,
    /// Told whenever a connection closes (an accept that ran out of descriptors waits for it).
    freed: Notify,
}

impl Admission {
    fn new(cap: usize) -> Arc<Admission> {
        Arc::new(Admission {
            slots: Arc::new(Semaphore::new(cap)),
            cap: std::sync::Mutex::new(cap),
            freed: Notify::new(),
        })
    }

    /// Moves the cap (a reload may change `MaxRequestWorkers`); connections already open stay.
    fn set_cap(&self, cap: usize) {
        let Ok(mut now) = self.cap.lock() else { return };
        if cap > *now {
            self.slots.add_permits(cap - *now);
        } else {
            let _ = self.slots.forget_permits(*now - cap);
        }
        *now = cap;
    }
}

/// The connection cap a generation asks for, within this process's descriptor limit.
fn cap_of(generation: &Generation) -> usize {
    let model = &generation.plan.model;
    let workers = model.max_request_workers.as_ref().map(|w| {
        let factor = model
            .async_request_worker_factor
            .as_ref()
            .map_or(2, |f| f.value);
        (w.value, factor)
    });
    crate::server::limits::connection_cap(fd_limit(), workers)
}

/// Raises the soft limit on open descriptors to the hard one (as nginx's
/// `worker_rlimit_nofile` would), so the connection cap is the configuration's, not a
/// shell's default of 1024.
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The soft limit on open descriptors.
pub fn fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    lim.rlim_cur
}

/// The server: the generation in service and one slot per listening socket.
pub struct Server {
    pub current: Current,
    slots: tokio::sync::Mutex<Vec<Slot>>,
    admit: Arc<Admission>,
}

impl Server {
    /// Starts serving on already-bound listeners (tests bind `127.0.0.1:0` themselves).
    pub fn start(generation: Generation, bound: Vec<(ListenKey, TcpListener)>) -> Arc<Server> {
        let admit = Admission::new(cap_of(&generation));
        crate::md::drive::sync(&generation.plan);
        let current: Current = Arc::new(ArcSwap::from_pointee(generation));
        let slots = bound
            .into_iter()
            .map(|(k, l)| Slot::start(k, l, current.clone(), admit.clone()))
            .collect();
        Arc::new(Server {
            current,
            slots: tokio::sync::Mutex::new(slots),
            admit,
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
        self.admit.set_cap(cap_of(&next));
        crate::md::drive::sync(&next.plan);
        self.current.store(Arc::new(next));
        let n_added = added.len();
        for (k, l) in added {
            slots.push(Slot::start(k, l, self.current.clone(), self.admit.clone()));
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

/// One connection: TLS if the chain for its local address speaks it, then HTTP, all under the
/// limits of the address's default vhost.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    generation: Arc<Generation>,
    current: Current,
    drain: CancellationToken,
    tasks: TaskTracker,
) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let plan = &generation.plan;
    let chain = plan.chain_for(local);
    let limits = generation.limits_for(chain).clone();
    let tls_here = match chain {
        Some(c) => plan.chains[c].tls,
        None => generation.tls.main.is_some(),
    };
    let watch = Watch::new(limits.timeout, limits.keep_alive_timeout);
    let mut conn = Conn {
        local,
        remote,
        tls: None,
        limits: limits.clone(),
        tasks,
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
        let io = ConnIo::new(stream, Bytes::new(), watch.clone(), limits.timeout);
        // Boxed here and below: a connection's task then holds only the state it needs (plain
        // or TLS), not room for the largest, which idle keep-alive connections pay for.
        return Box::pin(serve_http(
            TokioIo::new(io),
            conn,
            current,
            drain,
            h1_only,
            watch,
        ))
        .await;
    }
    let handshake = async {
        let mut stream = stream;
        let (hello, prefix) = read_client_hello(&mut stream).await?;
        let raw_sni = match hello {
            Hello::NotTls => {
                let page = pages::plain_http_on_tls(&generation.main_site.banner);
                let _ = stream.write_all(&page).await;
                let _ = stream.shutdown().await;
                return None;
            }
            Hello::Sni(s) => Some(s),
            Hello::Unknown | Hello::NeedMore => None,
        };
        let io = ConnIo::new(stream, prefix, watch.clone(), limits.timeout);
        let start = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), io)
            .await
            .ok()?;
        let sni = raw_sni.unwrap_or_else(|| start.client_hello().server_name().map(str::to_string));
        // A CA validating a managed domain (tls-alpn-01, RFC 8737): it offers only
        // acme-tls/1; the answer is a handshake with the challenge certificate, then close.
        if let Some(answer) = acme_tls_answer(&start, sni.as_deref()) {
            if let Ok(mut tls) = start.into_stream(answer).await {
                let _ = tls.shutdown().await;
            }
            return None;
        }
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
    // `Timeout` bounds the whole handshake, from the first byte of the ClientHello.
    let handshake = Box::pin(handshake);
    let Ok(Some((tls, sni, h1_only))) = tokio::time::timeout(limits.timeout, handshake).await
    else {
        return;
    };
    drop(generation);
    conn.tls = Some(TlsConn { sni });
    Box::pin(serve_http(
        TokioIo::new(tls),
        conn,
        current,
        drain,
        h1_only,
        watch,
    ))
    .await;
}

/// The tls-alpn-01 configuration for a ClientHello that asks for it, if one is pending.
fn acme_tls_answer<IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    start: &tokio_rustls::StartHandshake<IO>,
    sni: Option<&str>,
) -> Option<Arc<rustls::ServerConfig>> {
    let hello = start.client_hello();
    let mut alpn = hello.alpn()?;
    let only_acme = alpn.next() == Some(crate::md::acme::ACME_TLS) && alpn.next().is_none();
    if !only_acme {
        return None;
    }
    crate::md::live::alpn_answer(sni?)
}

/// Reads until the first TLS record (the ClientHello) is complete, or the bytes say it is not
/// TLS; what was read is handed on to rustls. Never waits on a timer: each read waits for data.
async fn read_client_hello(stream: &mut TcpStream) -> Option<(Hello, Bytes)> {
    const MAX_RECORD: usize = 5 + 16 * 1024;
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if stream.read_buf(&mut buf).await.ok()? == 0 {
            return None;
        }
        match read_hello(&buf) {
            Hello::NeedMore if buf.len() < MAX_RECORD => buf.reserve(4096),
            Hello::NeedMore => return Some((Hello::Unknown, buf.freeze())),
            other => return Some((other, buf.freeze())),
        }
    }
}

/// The HTTP/1 limits, on hyper's own builder or the automatic one's HTTP/1 half: the head's
/// size bound, half-closed clients still answered, `KeepAlive`. The read buffer's bound is
/// the head's: past it hyper answers 431. The head's `Timeout` is the connection's
/// watchdog's (`Watch`), not hyper's header timer, which arms a timer for every request.
macro_rules! h1_limits {
    ($h1:expr, $limits:expr) => {{
        let h1 = &mut $h1;
        h1.header_read_timeout(None)
            .half_close(true)
            .keep_alive($limits.keep_alive)
            .max_buf_size($limits.head_bytes());
        if let Some(n) = $limits.parser_fields() {
            h1.max_headers(n);
        }
    }};
}

async fn serve_http<I>(
    io: TokioIo<I>,
    conn: Conn,
    current: Current,
    drain: CancellationToken,
    h1_only: bool,
    watch: Arc<Watch>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let limits = conn.limits.clone();
    let conn = Arc::new(conn);
    let svc_watch = watch.clone();
    let max_requests = limits.max_keep_alive_requests;
    // Each request takes the generation in service when it arrives; it is in flight until
    // its response body is done.
    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let http2 = req.version() == hyper::Version::HTTP_2;
        let (guard, before) = svc_watch.begin(http2);
        let last = !http2 && max_requests != 0 && before + 1 >= max_requests;
        let (conn, generation) = (conn.clone(), current.load_full());
        // The request's future is made inside the block (one captured before it would be
        // stored twice in the block's state, once captured and once awaited), and lives on
        // the heap only while the request does: hyper keeps a slot the size of the service's
        // future for every connection, idle ones too, and this way it is a pointer.
        Box::pin(async move {
            let Ok(mut resp) = service::handle(req, conn, generation).await;
            if last {
                resp.headers_mut().insert(
                    hyper::header::CONNECTION,
                    hyper::header::HeaderValue::from_static("close"),
                );
            }
            Ok::<_, std::convert::Infallible>(resp.map(|b| {
                // The request stays in flight (for the idle watchdog) until its body is done.
                crate::serve::body::Guarded { inner: b, guard }.boxed_unsync()
            }))
        })
    });
    // In-flight requests finish on a drain or once the connection has been idle for its
    // limit; idle keep-alive connections close; HTTP/2 gets GOAWAY.
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
                _ = watch.idle() => {
                    // Idle HTTP/1 connections close at once; HTTP/2 says GOAWAY. One that
                    // never finished a first head has nothing to finish: it goes now.
                    served.as_mut().graceful_shutdown();
                    let grace = if watch.served() == 0 { Duration::ZERO } else { limits.timeout };
                    tokio::time::timeout(grace, served).await.unwrap_or(Ok(()))
                }
            }
        }};
    }
    // auto's http1_only does nothing with upgrades, so HTTP/1 alone has its own builder.
    let result: Result<(), Box<dyn std::error::Error + Send + Sync>> = if h1_only {
        let mut h1 = hyper::server::conn::http1::Builder::new();
        h1_limits!(h1, limits);
        drive!(h1.serve_connection(io, svc).with_upgrades()).map_err(Into::into)
    } else {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        h1_limits!(builder.http1(), limits);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(H2_MAX_STREAMS)
            .max_header_list_size(u32::try_from(limits.head_bytes()).unwrap_or(u32::MAX))
            .max_pending_accept_reset_streams(H2_MAX_PENDING_RESETS)
            .max_local_error_reset_streams(H2_MAX_LOCAL_RESETS);
        drive!(builder.serve_connection_with_upgrades(io, svc))
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Concurrent streams per HTTP/2 connection (mod_http2's `H2MaxSessionStreams` default).
pub const H2_MAX_STREAMS: u32 = 100;
/// Streams a client may reset before the server has taken them (CVE-2023-44487, rapid reset):
/// past it the connection gets GOAWAY ENHANCE_YOUR_CALM.
pub const H2_MAX_PENDING_RESETS: usize = 20;
/// Streams the server may reset for a client's errors before it gives up on the connection
/// (CVE-2025-8671, "MadeYouReset").
pub const H2_MAX_LOCAL_RESETS: usize = 200;

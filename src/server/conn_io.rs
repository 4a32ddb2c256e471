//! Takes an accepted socket and gives it back bounded: `ConnIo` replays the bytes read while
//! looking at the ClientHello, records when the client was last heard, and fails a send the
//! client has not taken within `Timeout`; `Watch` says when an idle connection has waited its
//! `KeepAliveTimeout` (or `Timeout` before its first request); `RequestBody` fails a body read
//! that stalls past `Timeout` (408), grows past `LimitRequestBody` (413) or is malformed (400).

use bytes::{Buf, Bytes};
use hyper::body::{Body, Frame, SizeHint};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// What a connection's watchdog needs to know, shared with its IO and its requests. Kept
/// cheap for the request path: a request arms no timer, and wakes the watchdog only when it
/// moves the deadline earlier than the one the watchdog sleeps to (the first request's end,
/// when `KeepAliveTimeout` is shorter than `Timeout`; a head that starts arriving, when it is
/// longer) or the watchdog waits for requests in flight to end.
#[derive(Debug)]
pub struct Watch {
    start: Instant,
    timeout_ms: u64,
    keep_alive_ms: u64,
    /// Milliseconds since `start` when the bytes of the next HTTP/1 head began to arrive
    /// (`NONE` until some arrive after the last request ended).
    head_start: AtomicU64,
    last_done: AtomicU64,
    in_flight: AtomicU32,
    served: AtomicU32,
    /// HTTP/2: frames such as PING do not keep an idle connection open.
    multiplexed: AtomicBool,
    /// The deadline the watchdog sleeps to (`NONE`: it waits for the requests in flight).
    armed: AtomicU64,
    /// Told when the deadline moved earlier than `armed`.
    changed: tokio::sync::Notify,
}

const NONE: u64 = u64::MAX;

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(NONE / 4)
}

impl Watch {
    /// A connection that may idle `timeout` before its first request and `keep_alive`
    /// between requests; an HTTP/1 head has `timeout` to arrive whole.
    pub fn new(timeout: Duration, keep_alive: Duration) -> Arc<Watch> {
        Arc::new(Watch {
            start: Instant::now(),
            timeout_ms: millis(timeout),
            keep_alive_ms: millis(keep_alive),
            head_start: AtomicU64::new(NONE),
            last_done: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
            served: AtomicU32::new(0),
            multiplexed: AtomicBool::new(false),
            armed: AtomicU64::new(NONE),
            changed: tokio::sync::Notify::new(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE / 4)
    }

    /// Bytes arrived: the first after a request ended start the next head's `Timeout`.
    fn heard(&self) {
        if self.head_start.load(Ordering::Relaxed) == NONE {
            self.head_start.store(self.now_ms(), Ordering::SeqCst);
            self.nudge();
        }
    }

    /// Wakes the watchdog if the deadline is now earlier than the one it sleeps to.
    fn nudge(&self) {
        let d = self.deadline_ms().unwrap_or(NONE);
        if d < self.armed.load(Ordering::SeqCst) {
            self.changed.notify_one();
        }
    }

    /// How many requests have begun on this connection.
    pub fn served(&self) -> u32 {
        self.served.load(Ordering::Acquire)
    }

    /// A request has arrived; the guard ends it when the response is done or dropped.
    /// Returns the guard and how many requests this connection had before.
    pub fn begin(self: &Arc<Self>, http2: bool) -> (InFlight, u32) {
        if http2 {
            self.multiplexed.store(true, Ordering::Relaxed);
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let before = self.served.fetch_add(1, Ordering::AcqRel);
        (InFlight(self.clone()), before)
    }

    /// When (milliseconds after `start`) the connection will have been idle too long, if
    /// nothing happens before; `None` while a request is in flight.
    fn deadline_ms(&self) -> Option<u64> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let done = self.last_done.load(Ordering::SeqCst);
        let head = self.head_start.load(Ordering::SeqCst);
        Some(if self.served() == 0 {
            // The first head (after the handshake) within `Timeout` of the connection.
            self.timeout_ms
        } else if self.multiplexed.load(Ordering::Relaxed) {
            done + self.keep_alive_ms
        } else if head != NONE {
            // HTTP/1: a head has begun to arrive; it has `Timeout` to be complete.
            head.max(done) + self.timeout_ms
        } else {
            done + self.keep_alive_ms
        })
    }

    /// Resolves once the connection has been idle for its limit.
    pub async fn idle(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let d = self.deadline_ms();
            self.armed.store(d.unwrap_or(NONE), Ordering::SeqCst);
            // A request that ended or a head that began meanwhile may have missed `armed`.
            if self.deadline_ms() != d {
                continue;
            }
            match d {
                Some(d) if d <= self.now_ms() => return,
                Some(d) => {
                    let at = self.start + Duration::from_millis(d);
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = changed => {}
                    }
                }
                // Busy: look again when the requests in flight have ended.
                None => changed.await,
            }
        }
    }
}

/// Holds a request "in flight" until dropped (with its response body).
#[derive(Debug)]
pub struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let w = &self.0;
        w.last_done.store(w.now_ms(), Ordering::SeqCst);
        w.head_start.store(NONE, Ordering::SeqCst);
        if w.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            w.nudge();
        }
    }
}

/// An accepted stream with the bytes already read from it in front, the watch told of every
/// read, and a deadline on every send.
pub struct ConnIo<S> {
    prefix: Bytes,
    inner: S,
    watch: Arc<Watch>,
    send_timeout: Duration,
    send_deadline: Option<Pin<Box<Sleep>>>,
}

impl<S> ConnIo<S> {
    pub fn new(inner: S, prefix: Bytes, watch: Arc<Watch>, send_timeout: Duration) -> Self {
        ConnIo {
            prefix,
            inner,
            watch,
            send_timeout,
            send_deadline: None,
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// A write that made no progress: fails once it has waited `Timeout` in all.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timeout = self.send_timeout;
        let sleep = self
            .send_deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client took nothing for Timeout",
        ))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ConnIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.heard();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ConnIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Pending => self.stalled(cx).map(Err),
            done => {
                self.send_deadline = None;
                done
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.stalled(cx).map(Err),
            done => {
                self.send_deadline = None;
                done
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.stalled(cx).map(Err),
            done => {
                self.send_deadline = None;
                done
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_shutdown(cx) {
            Poll::Pending => self.stalled(cx).map(Err),
            done => done,
        }
    }
}

/// Why a request body stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// No data for `Timeout`: 408.
    Stalled,
    /// More than `LimitRequestBody`: 413.
    TooLarge,
    /// Not a valid body (a bad chunk size, the client gone mid-body): 400.
    Malformed,
}

impl std::fmt::Display for BodyLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BodyLimit::Stalled => "the client sent no body data for Timeout",
            BodyLimit::TooLarge => "the request body is larger than LimitRequestBody",
            BodyLimit::Malformed => "the request body is malformed or cut short",
        })
    }
}

impl std::error::Error for BodyLimit {}

/// Finds a `BodyLimit` anywhere in an error's chain of sources.
pub fn body_limit_in(e: &(dyn std::error::Error + 'static)) -> Option<BodyLimit> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(l) = err.downcast_ref::<BodyLimit>() {
            return Some(*l);
        }
        cur = err.source();
    }
    None
}

/// A request body read under `Timeout` per read and `LimitRequestBody` (0: unlimited) in all.
pub struct RequestBody<B> {
    inner: Pin<Box<B>>,
    timeout: Duration,
    stall: Option<Pin<Box<Sleep>>>,
    left: Option<u64>,
}

impl<B> RequestBody<B> {
    pub fn new(inner: B, timeout: Duration, limit: u64) -> Self {
        RequestBody {
            inner: Box::pin(inner),
            timeout,
            stall: None,
            left: (limit > 0).then_some(limit),
        }
    }
}

impl<B> Body for RequestBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<crate::serve::body::BoxError>,
{
    type Data = Bytes;
    type Error = crate::serve::body::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this
                    .stall
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                ready!(sleep.as_mut().poll(cx));
                Poll::Ready(Some(Err(Box::new(BodyLimit::Stalled))))
            }
            Poll::Ready(Some(Ok(frame))) => {
                this.stall = None;
                if let (Some(left), Some(data)) = (this.left.as_mut(), frame.data_ref()) {
                    let n = data.len() as u64;
                    if n > *left {
                        return Poll::Ready(Some(Err(Box::new(BodyLimit::TooLarge))));
                    }
                    *left -= n;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                let e: crate::serve::body::BoxError = e.into();
                tracing::debug!(error = %e, "request body");
                Poll::Ready(Some(Err(Box::new(BodyLimit::Malformed))))
            }
            Poll::Ready(None) => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn idle_connections_wait_their_limit() {
        let (t, ka) = (Duration::from_secs(60), Duration::from_secs(5));
        let w = Watch::new(t, ka);
        let start = Instant::now();
        w.idle().await;
        assert_eq!(start.elapsed(), t, "before a first request: Timeout");
        let (guard, before) = w.begin(false);
        assert_eq!(before, 0);
        assert_eq!(w.deadline_ms(), None, "busy");
        drop(guard);
        let done = Instant::now();
        w.idle().await;
        assert_eq!(done.elapsed(), ka, "after a request: KeepAliveTimeout");
    }

    #[tokio::test(start_paused = true)]
    async fn a_watchdog_already_asleep_sees_earlier_deadlines() {
        // The first request ends well before Timeout: the idle limit becomes KeepAliveTimeout
        // from then, though the watchdog went to sleep for Timeout.
        let (t, ka) = (Duration::from_secs(60), Duration::from_secs(5));
        let w = Watch::new(t, ka);
        let start = Instant::now();
        let dog = tokio::spawn({
            let w = w.clone();
            async move { w.idle().await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (guard, _) = w.begin(false);
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(guard);
        dog.await.expect("watchdog");
        assert_eq!(start.elapsed(), Duration::from_secs(3) + ka);
        // KeepAliveTimeout longer than Timeout: a head that starts arriving has Timeout.
        let (t, ka) = (Duration::from_secs(2), Duration::from_secs(60));
        let w = Watch::new(t, ka);
        drop(w.begin(false).0);
        let dog = tokio::spawn({
            let w = w.clone();
            async move { w.idle().await }
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        let head = Instant::now();
        w.heard();
        dog.await.expect("watchdog");
        assert_eq!(head.elapsed(), t, "a slow head is cut at Timeout");
    }

    #[tokio::test(start_paused = true)]
    async fn bodies_stall_and_overflow() {
        let chunks = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(Frame::data(Bytes::from_static(b"0123456789"))),
            Ok(Frame::data(Bytes::from_static(b"0123456789"))),
        ]);
        let body = http_body_util::StreamBody::new(chunks);
        let err = RequestBody::new(body, Duration::from_secs(1), 15)
            .collect()
            .await
            .expect_err("too large");
        assert_eq!(body_limit_in(&*err), Some(BodyLimit::TooLarge));
        let pending = http_body_util::StreamBody::new(futures_util::stream::pending::<
            Result<Frame<Bytes>, std::io::Error>,
        >());
        let err = RequestBody::new(pending, Duration::from_secs(1), 0)
            .collect()
            .await
            .expect_err("stalled");
        assert_eq!(body_limit_in(&*err), Some(BodyLimit::Stalled));
    }
}

//! The response body type every handler returns (streamed or in memory), its constructors, and
//! the error type of bodies passed through (request bodies, upstream bodies), and a body that
//! holds something until it is done.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full, combinators::UnsyncBoxBody};

/// A response body: bytes in memory or a stream of file chunks.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// The error of a body passed through from elsewhere (a client's upload, a backend's answer).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A body that keeps `guard` alive until it is finished or dropped (a request counted in
/// flight, a proxy's `max=` place).
pub struct Guarded<G> {
    pub inner: Body,
    pub guard: G,
}

impl<G: Unpin> hyper::body::Body for Guarded<G> {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

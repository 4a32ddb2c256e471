//! The response body type every handler returns (streamed or in memory), its constructors, and
//! the error type of bodies passed through (request bodies, upstream bodies).

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

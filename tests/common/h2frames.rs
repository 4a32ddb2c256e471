//! Raw HTTP/2 frames for tests that must misbehave or watch the wire: building a frame,
//! opening a prior-knowledge h2c connection, reading frames one by one, and waiting for GOAWAY.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One frame: type, flags, stream id, payload.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    f.extend([kind, flags]);
    f.extend(stream.to_be_bytes());
    f.extend(payload);
    f
}

/// A prior-knowledge h2c connection with the preface and an empty SETTINGS sent.
pub async fn h2c_open(a: SocketAddr) -> TcpStream {
    let mut c = TcpStream::connect(a).await.expect("connect");
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(frame(4, 0, 0, b""));
    c.write_all(&out).await.expect("write");
    c
}

/// A frame as read: type, flags, stream id, payload.
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// Reads frames off a connection, buffering partial ones.
pub struct Reader {
    got: Vec<u8>,
}

impl Reader {
    pub fn new() -> Reader {
        Reader { got: Vec::new() }
    }

    /// The next frame, or None when the server closes or `limit` passes.
    pub async fn next(&mut self, c: &mut TcpStream, limit: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut buf = [0u8; 16384];
        loop {
            if self.got.len() >= 9 {
                let g = &self.got;
                let len = u32::from_be_bytes([0, g[0], g[1], g[2]]) as usize;
                if g.len() >= 9 + len {
                    let f = Frame {
                        kind: g[3],
                        flags: g[4],
                        stream: u32::from_be_bytes([g[5], g[6], g[7], g[8]]) & 0x7fff_ffff,
                        payload: g[9..9 + len].to_vec(),
                    };
                    self.got.drain(..9 + len);
                    return Some(f);
                }
            }
            match tokio::time::timeout_at(deadline, c.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => self.got.extend_from_slice(&buf[..n]),
                _ => return None,
            }
        }
    }
}

/// Reads frames until a GOAWAY arrives (its error code), the server closes, or `limit`.
pub async fn goaway(c: &mut TcpStream, limit: Duration) -> Option<u32> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut r = Reader::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let f = r.next(c, left).await?;
        if f.kind == 7 && f.payload.len() >= 8 {
            let p = &f.payload;
            return Some(u32::from_be_bytes([p[4], p[5], p[6], p[7]]));
        }
    }
}

//! Takes an open file and what to send of it (one byte range, or ranges with literal pieces
//! between them for multipart/byteranges) and gives a streamed body. Each chunk is one
//! positioned read on the blocking pool into a fresh buffer, made only when the connection asks
//! for more, so a client that reads slowly holds one chunk, not a file buffer besides.

use crate::serve::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// The most read from the file at once.
pub const CHUNK: usize = 64 * 1024;

/// A piece of a multipart body: literal bytes or a byte range of the file (inclusive).
pub enum Segment {
    Bytes(Bytes),
    Range(u64, u64),
}

/// `want` bytes at `pos`, read off the runtime. A file that has shrunk is an error (the
/// response's length was promised), and ends the body.
async fn chunk(file: &Arc<File>, pos: u64, want: usize) -> std::io::Result<Bytes> {
    let file = file.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; want];
        file.read_exact_at(&mut buf, pos).map(|_| Bytes::from(buf))
    });
    match read.await {
        Ok(r) => r,
        Err(e) => Err(std::io::Error::other(e)),
    }
}

/// `len` bytes of `file` from `start`.
pub fn range(file: File, start: u64, len: u64) -> Body {
    parts(
        file,
        vec![Segment::Range(start, start + len.saturating_sub(1))],
        len == 0,
    )
}

/// The segments in order: literal ones as they are, ranges read from `file`.
pub fn multipart(file: File, segments: Vec<Segment>) -> Body {
    parts(file, segments, false)
}

fn parts(file: File, segments: Vec<Segment>, empty: bool) -> Body {
    let segments = if empty { Vec::new() } else { segments };
    let state = (Arc::new(file), segments.into_iter(), None::<(u64, u64)>);
    let s = futures_util::stream::unfold(state, |(file, mut segs, mut current)| async move {
        loop {
            if let Some((pos, left)) = current {
                if left == 0 {
                    current = None;
                    continue;
                }
                let want = left.min(CHUNK as u64) as usize;
                return match chunk(&file, pos, want).await {
                    Ok(b) => Some((
                        Ok(Frame::data(b)),
                        (file, segs, Some((pos + want as u64, left - want as u64))),
                    )),
                    Err(e) => Some((Err(e), (file, Vec::new().into_iter(), None))),
                };
            }
            match segs.next()? {
                Segment::Bytes(b) => return Some((Ok(Frame::data(b)), (file, segs, None))),
                Segment::Range(s, e) => current = Some((s, e - s + 1)),
            }
        }
    });
    StreamBody::new(s).boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    async fn collect(b: Body) -> Result<Vec<u8>, String> {
        b.collect()
            .await
            .map(|c| c.to_bytes().to_vec())
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn ranges_and_pieces_come_out_in_order() {
        let mut f = tempfile::tempfile().expect("tmp");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).expect("write");
        let clone = || f.try_clone().expect("clone");
        assert_eq!(collect(range(clone(), 0, 200_000)).await, Ok(data.clone()));
        assert_eq!(
            collect(range(clone(), 70_000, 65_537)).await,
            Ok(data[70_000..135_537].to_vec())
        );
        assert_eq!(collect(range(clone(), 5, 0)).await, Ok(Vec::new()));
        let segs = vec![
            Segment::Bytes(Bytes::from_static(b"<")),
            Segment::Range(1, 3),
            Segment::Bytes(Bytes::from_static(b">")),
            Segment::Range(199_998, 199_999),
        ];
        let mut want = b"<".to_vec();
        want.extend_from_slice(&data[1..4]);
        want.push(b'>');
        want.extend_from_slice(&data[199_998..]);
        assert_eq!(collect(multipart(clone(), segs)).await, Ok(want));
        // Past the end (the file shrank after the length was sent): an error, not a hang.
        assert!(collect(range(clone(), 199_000, 5_000)).await.is_err());
    }
}

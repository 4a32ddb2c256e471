//! Takes a vhost's `CustomLog` lines (with `LogFormat` nicknames and the stock `common` and
//! `combined`) and gives its access logs, opened once per generation; and wraps a response
//! body so that its line is written when the last byte has gone (or the client left).

use super::format::{COMBINED, COMMON, Format, Record};
use super::sink::Sink;
use crate::config::model::ServerConf;
use crate::serve::body::Body;
use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// A vhost's access logs.
#[derive(Default)]
pub struct AccessLogs {
    entries: Vec<(Format, Arc<Sink>)>,
    pub wants_request_headers: bool,
}

impl std::fmt::Debug for AccessLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files: Vec<_> = self
            .entries
            .iter()
            .map(|(_, s)| s.path().display().to_string())
            .collect();
        f.debug_struct("AccessLogs").field("files", &files).finish()
    }
}

impl AccessLogs {
    /// The files these logs write to.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.entries
            .iter()
            .map(|(_, s)| s.path().to_path_buf())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Opens the vhost's logs; files already opened for another vhost are shared.
    pub fn prepare(
        conf: &ServerConf,
        open: &mut HashMap<PathBuf, Arc<Sink>>,
    ) -> Result<AccessLogs, String> {
        let mut entries = Vec::new();
        for c in &conf.log.custom_logs {
            if c.target.starts_with('|') || c.target.starts_with("syslog") {
                tracing::warn!(target = %c.target, "piped and syslog access logs are not supported yet; this CustomLog is skipped");
                continue;
            }
            let fmt = match conf.log.formats.get(&c.format) {
                Some(f) => f.value.clone(),
                None => match c.format.as_str() {
                    "common" | "CLF" => COMMON.to_string(),
                    "combined" => COMBINED.to_string(),
                    literal => literal.to_string(),
                },
            };
            let path = PathBuf::from(&c.target);
            let sink = match open.get(&path) {
                Some(s) => s.clone(),
                None => {
                    let s = Arc::new(Sink::open(&path).map_err(|e| {
                        format!("cannot open the access log {}: {e}", path.display())
                    })?);
                    open.insert(path, s.clone());
                    s
                }
            };
            entries.push((Format::compile(&fmt), sink));
        }
        let wants_request_headers = entries.iter().any(|(f, _)| f.wants_request_headers());
        Ok(AccessLogs {
            entries,
            wants_request_headers,
        })
    }

    fn write(&self, r: &Record) {
        for (f, s) in &self.entries {
            s.write(f.render(r));
        }
    }
}

/// A response body that counts what it sends and logs the request when it is done.
pub struct Logged {
    inner: Body,
    bytes: u64,
    started: Instant,
    record: Option<Box<Record>>,
    logs: Arc<AccessLogs>,
}

impl Logged {
    pub fn new(inner: Body, record: Record, logs: Arc<AccessLogs>, started: Instant) -> Logged {
        Logged {
            inner,
            bytes: 0,
            started,
            record: Some(Box::new(record)),
            logs,
        }
    }
}

impl hyper::body::Body for Logged {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(f))) = &polled
            && let Some(d) = f.data_ref()
        {
            self.bytes += d.len() as u64;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        if let Some(mut r) = self.record.take() {
            r.body_bytes = self.bytes;
            r.bytes_out += self.bytes;
            r.micros = self.started.elapsed().as_micros() as u64;
            self.logs.write(&r);
        }
    }
}

//! The service without sockets: a configuration (with `{ROOT}` and `{P0}`, `{P1}`, ... for
//! ports, as `server::start` takes) prepared into a generation, and requests handed straight to
//! `service::handle` as a connection with the given local address and TLS facts would hand
//! them. Each call returns when the response is complete, so tests wait on answers, never on
//! sleeps; the generation is open to inspection (its sites, their file caches).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Request, StatusCode};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio_util::task::TaskTracker;
use vhostd::prepare::generation::Generation;
use vhostd::serve::service::{self, Conn, TlsConn};

/// The ports `{P0}`, `{P1}`, ... stand for (nothing is bound).
pub const PORTS: [u16; 4] = [18080, 18443, 18081, 18444];

pub struct Harness {
    dir: tempfile::TempDir,
    pub generation: Arc<Generation>,
    tasks: TaskTracker,
}

/// A complete answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How the request arrives: on which local port, with which TLS handshake (`None`: plain).
#[derive(Clone, Debug, Default)]
pub struct Via {
    pub port_index: usize,
    /// `Some(None)`: TLS without SNI; `Some(Some(name))`: TLS with that SNI.
    pub tls: Option<Option<String>>,
}

pub fn plain(port_index: usize) -> Via {
    Via {
        port_index,
        tls: None,
    }
}

pub fn tls(port_index: usize, sni: Option<&str>) -> Via {
    Via {
        port_index,
        tls: Some(sni.map(str::to_string)),
    }
}

impl Harness {
    /// Prepares `template` with `certs` (see `make_certs`) and sites (`htdocs/<name>` with an
    /// index naming it), as `server::start` does, without binding anything.
    pub fn new(template: &str, certs: &str, sites: &[&str]) -> Harness {
        let dir = tempfile::tempdir().expect("tmp");
        let mut conf = template.replace("{ROOT}", &dir.path().display().to_string());
        for (i, p) in PORTS.iter().enumerate() {
            conf = conf.replace(&format!("{{P{i}}}"), &p.to_string());
        }
        std::fs::write(dir.path().join("main.conf"), conf).expect("write conf");
        super::make_certs(dir.path(), certs);
        super::server::make_sites(dir.path(), sites);
        let mut checked = super::run_check(dir.path(), "main.conf", &[]);
        checked.diags.items.retain(|d| d.is_error());
        assert!(checked.ok(), "{}", checked.diags.render(&checked.sources));
        let generation = Arc::new(Generation::prepare(checked).expect("prepare"));
        Harness {
            dir,
            generation,
            tasks: TaskTracker::new(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Serves `req` as it would arrive `via` that port and handshake, from 127.0.0.1.
    pub async fn send(&self, req: Request<Full<Bytes>>, via: &Via) -> Answer {
        let local: SocketAddr = SocketAddr::from(([127, 0, 0, 1], PORTS[via.port_index]));
        let plan = &self.generation.plan;
        let conn = Conn {
            local,
            remote: SocketAddr::from(([127, 0, 0, 1], 40000)),
            tls: via.tls.clone().map(|sni| TlsConn { sni }),
            limits: self.generation.limits_for(plan.chain_for(local)).clone(),
            tasks: self.tasks.clone(),
        };
        let resp = service::handle(req, Arc::new(conn), self.generation.clone())
            .await
            .unwrap_or_else(|never| match never {});
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `method path` with this Host, plain on port 0.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        host: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", host);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Full::new(Bytes::new())).expect("request");
        self.send(req, &plain(0)).await
    }

    /// GET `path` with this Host, plain on port 0.
    pub async fn get(&self, path: &str, host: &str) -> Answer {
        self.call("GET", path, host, &[]).await
    }
}

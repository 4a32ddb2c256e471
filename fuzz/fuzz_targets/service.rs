//! The whole request path over an in-memory stream: any bytes as what a client sends on a
//! connection (HTTP/1, or HTTP/2 with prior knowledge), served by hyper and our service on a
//! real generation (static files, a redirect, a proxy to a closed port, access rules, ranges).
//! Never a panic, never a hang: the connection ends once the client has stopped sending.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vhostd::prepare::generation::Generation;
use vhostd::serve::service::{self, Conn};

struct World {
    rt: tokio::runtime::Runtime,
    generation: Arc<Generation>,
    _dir: std::path::PathBuf,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vhostd-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join("a/sub"));
        let _ = std::fs::write(dir.join("a/index.html"), "site a");
        let _ = std::fs::write(dir.join("a/sub/big.txt"), "x".repeat(5000));
        let _ = std::fs::write(dir.join("a/.htpasswd"), "u:$apr1$x$y\n");
        let text = format!(
            "Listen 127.0.0.1:8080\n<VirtualHost 127.0.0.1:8080>\nServerName a.test\n\
             ServerAlias *.a.test\nDocumentRoot {root}/a\nRedirect /old http://a.test/new\n\
             ProxyPass /app/ http://127.0.0.1:9/ retry=0\n<Files \".ht*\">\nRequire all denied\n\
             </Files>\n<Location /private>\nRequire ip 10.0.0.0/8\n</Location>\n\
             Header always set X-Fuzz 1\n</VirtualHost>\n",
            root = dir.display()
        );
        let mut opts = vhostd::prepare::check::CheckOptions::new("fuzz.conf".into(), dir.clone());
        opts.text = Some(text);
        let checked = vhostd::prepare::check::check(&opts);
        let generation = Arc::new(Generation::prepare(checked).expect("the fuzz config is valid"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        World {
            rt,
            generation,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let generation = w.generation.clone();
    w.rt.block_on(async move {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let conn = Arc::new(Conn {
            local: "127.0.0.1:8080".parse().expect("addr"),
            remote: "127.0.0.1:40000".parse().expect("addr"),
            tls: None,
            limits: generation.limits_for(generation.plan.chains.first().map(|_| 0)).clone(),
            tasks: tokio_util::task::TaskTracker::new(),
        });
        let svc = hyper::service::service_fn(move |req| {
            service::handle(req, conn.clone(), generation.clone())
        });
        let mut builder =
            hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        builder
            .http1()
            .half_close(true)
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(Duration::from_millis(200));
        let serving = tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(server);
            let _ = builder.serve_connection_with_upgrades(io, svc).await;
        });
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(1), client.read_to_end(&mut out)).await;
        drop(client);
        let _ = tokio::time::timeout(Duration::from_secs(1), serving).await;
        let _ = read;
    });
});

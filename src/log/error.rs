//! The error log: tracing-subscriber set up once, writing to the `ErrorLog` file (reopened on
//! every applied reload, so logrotate works) and to stderr while running in the foreground,
//! at the `LogLevel` in force (httpd's levels mapped onto tracing's, per-module overrides for
//! ssl, proxy, http2 and core).

use crate::config::model::{Level, LogLevel};
use crate::plan::Plan;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::reload;
use tracing_subscriber::util::SubscriberInitExt;

/// Where error-log lines go.
#[derive(Default)]
struct Target {
    file: Option<std::fs::File>,
    stderr: bool,
}

/// A writer onto the current target.
#[derive(Clone)]
pub struct Writer(Arc<Mutex<Target>>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut t) = self.0.lock() {
            if let Some(f) = t.file.as_mut() {
                let _ = f.write_all(buf);
            }
            if t.stderr {
                let _ = std::io::stderr().write_all(buf);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Writer {
    type Writer = Writer;
    fn make_writer(&'a self) -> Writer {
        self.clone()
    }
}

/// Handle to reconfigure the error log after a (re)load.
pub struct ErrorLog {
    target: Arc<Mutex<Target>>,
    filter: reload::Handle<EnvFilter, tracing_subscriber::Registry>,
}

/// tracing's level for an httpd level.
fn tracing_level(l: Level) -> &'static str {
    match l {
        Level::Emerg | Level::Alert | Level::Crit | Level::Error => "error",
        Level::Warn => "warn",
        Level::Notice | Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace(_) => "trace",
    }
}

/// EnvFilter directives for a LogLevel (default `warn`). httpd always logs its notices (start,
/// reload, stop), so the server's own messages are shown at `info` or more verbose.
pub fn directives(level: Option<&LogLevel>) -> String {
    let base = level.and_then(|l| l.level).unwrap_or(Level::Warn);
    let own = if base <= Level::Notice {
        "info"
    } else {
        tracing_level(base)
    };
    // mod_md's notices (a certificate obtained, a renewal failed) are always logged.
    let md = if base <= Level::Notice { own } else { "info" };
    let mut d = vec![format!(
        "warn,server={own},vhostd={own},vhostd::md={md},rustls=error,h2=error,hyper=error"
    )];
    if let Some(l) = level {
        for (module, ml) in &l.modules {
            let m = tracing_level(*ml);
            match module.as_str() {
                "ssl" => d.push(format!("vhostd::prepare::tls={m},rustls={m}")),
                "proxy" | "proxy_http" => d.push(format!("vhostd::serve::handlers::proxy={m}")),
                "http2" => d.push(format!("h2={m}")),
                "core" => d.push(format!("vhostd={m}")),
                "md" => d.push(format!("vhostd::md={m}")),
                _ => {}
            }
        }
    }
    d.join(",")
}

impl ErrorLog {
    /// Installs the global subscriber; stderr until a plan says otherwise. `RUST_LOG`, when
    /// set, overrides LogLevel.
    pub fn init() -> ErrorLog {
        let stderr_tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let target = Arc::new(Mutex::new(Target {
            file: None,
            stderr: true,
        }));
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives(None)));
        let (layer, handle) = reload::Layer::new(filter);
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(Writer(target.clone()))
            .with_ansi(stderr_tty);
        let _ = tracing_subscriber::registry()
            .with(layer)
            .with(fmt)
            .try_init();
        ErrorLog {
            target,
            filter: handle,
        }
    }

    /// Applies a plan's ErrorLog (reopening the file) and LogLevel. Lines go to stderr too
    /// while stderr is a terminal, or when no ErrorLog file is set.
    pub fn apply(&self, plan: &Plan) -> Result<(), String> {
        let main = &plan.main.conf.log;
        let file = match main.error_log.as_ref().map(|e| e.value.as_str()) {
            Some(path)
                if !path.starts_with('|')
                    && !path.starts_with("syslog")
                    && path != "/dev/stderr" =>
            {
                // The file already open (not rotated away) is kept as it is.
                if let Ok(t) = self.target.lock()
                    && let Some(f) = &t.file
                    && super::sink::same_file(f, std::path::Path::new(path))
                {
                    drop(t);
                    self.set_level(plan);
                    return Ok(());
                }
                let open = super::sink::create_parent(std::path::Path::new(path)).and_then(|_| {
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                });
                Some(open.map_err(|e| format!("cannot open the ErrorLog {path}: {e}"))?)
            }
            _ => None,
        };
        let stderr = file.is_none() || std::io::IsTerminal::is_terminal(&std::io::stderr());
        if let Ok(mut t) = self.target.lock() {
            *t = Target { file, stderr };
        }
        self.set_level(plan);
        Ok(())
    }

    fn set_level(&self, plan: &Plan) {
        if std::env::var_os("RUST_LOG").is_none() {
            let level = plan.main.conf.log.log_level.as_ref().map(|l| &l.value);
            let _ = self.filter.reload(EnvFilter::new(directives(level)));
        }
    }
}

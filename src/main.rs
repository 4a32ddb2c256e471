//! The `server` command: httpd-style options (`-f`, `-d`, `-t`, `-S`, `-D`, `-v`), exit codes,
//! and a run that checks the configuration, binds every socket and serves until SIGTERM/SIGINT.

use arc_swap::ArcSwap;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use vhostd::check::{CheckOptions, check};
use vhostd::config::diag::Severity;
use vhostd::generation::Generation;
use vhostd::runtime;

/// An httpd-compatible web server for many HTTPS sites on one IP address.
#[derive(Parser, Debug)]
#[command(name = "server", disable_version_flag = true)]
struct Cli {
    /// The configuration file (relative paths start at ServerRoot).
    #[arg(short = 'f', value_name = "FILE", default_value = "conf/main.conf")]
    file: PathBuf,
    /// The initial ServerRoot (default: the current directory).
    #[arg(short = 'd', value_name = "DIR")]
    server_root: Option<PathBuf>,
    /// Define a name for <IfDefine NAME> (repeatable).
    #[arg(short = 'D', value_name = "NAME")]
    define: Vec<String>,
    /// Check the configuration (every file, certificate and key) and exit.
    #[arg(short = 't')]
    test: bool,
    /// Check the configuration and print the listener plan.
    #[arg(short = 'S')]
    show: bool,
    /// Print the version and exit.
    #[arg(short = 'v')]
    version: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if cli.version {
        println!(
            "Server version: vhostd/{} (httpd 2.4 compatible configuration)",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rustls=error")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = match cli.server_root {
        Some(d) if d.is_absolute() => d,
        Some(d) => cwd.join(d),
        None => cwd.clone(),
    };
    let mut opts = CheckOptions::new(cli.file.clone(), root);
    opts.load.defines = cli.define.clone();
    opts.load.display_base = Some(cwd.clone());
    opts.plan.display_base = Some(cwd);
    opts.plan.hostname = hostname();
    let checked = check(&opts);
    let report = checked.diags.render(&checked.sources);
    let errors = checked.diags.count(Severity::Error);
    if cli.show {
        eprint!("{report}");
        if errors > 0 {
            eprintln!("{errors} error(s): fix them and run server -S again");
            return ExitCode::from(1);
        }
        print!("{}", checked.dump());
        return ExitCode::SUCCESS;
    }
    eprint!("{report}");
    if errors > 0 {
        eprintln!(
            "{errors} error(s), {} warning(s): the configuration was not accepted",
            checked.diags.count(Severity::Warning)
        );
        return ExitCode::from(1);
    }
    if cli.test {
        eprintln!("Syntax OK");
        return ExitCode::SUCCESS;
    }
    serve(checked)
}

/// Prepares the checked plan, binds every socket, and serves until SIGTERM or SIGINT.
fn serve(checked: vhostd::check::Checked) -> ExitCode {
    let sources = checked.sources.clone();
    let generation = match Generation::prepare(checked) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let show = |l: &vhostd::plan::Listener| format!("Listen at {}", sources.file_line(l.span));
        let listeners = match runtime::bind_all(&generation.plan, &show) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        let addrs: Vec<String> = listeners.iter().filter_map(|l| l.local_addr().ok()).map(|a| a.to_string()).collect();
        tracing::info!(listening = %addrs.join(" "), "{} configured -- resuming normal operations", vhostd::SERVER_NAME);
        let current = Arc::new(ArcSwap::from_pointee(generation));
        runtime::serve_until(current, listeners, shutdown_signal()).await;
        tracing::info!("caught a stop signal, shutting down");
        ExitCode::SUCCESS
    })
}

/// SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The machine's host name, used when the main server has no ServerName (as httpd does).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

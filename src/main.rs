//! The `server` command: httpd-style options (`-f`, `-d`, `-t`, `-S`, `-D`, `-v`), exit codes,
//! and a run that checks the configuration, binds every socket and serves, with reload on
//! SIGHUP/SIGUSR1 and graceful stop on SIGTERM/SIGINT/SIGWINCH.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use vhostd::config::diag::Severity;
use vhostd::log::error::ErrorLog;
use vhostd::ops::control;
use vhostd::ops::pidfile;
use vhostd::ops::plan_record;
use vhostd::prepare::check::check;
use vhostd::prepare::generation::Generation;
use vhostd::server::privileges;
use vhostd::server::reload::{self, Settings};
use vhostd::server::runtime::{self, Server};

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
    /// With -S: print the plan as JSON (schema in docs/plan-json.md).
    #[arg(short = 'j', long = "json", requires = "show")]
    json: bool,
    /// Explain one request without serving it: socket, certificate and why, vhost and why,
    /// the 421/403 decision, the route. Exit 0 when a browser gets the site without a
    /// warning, 1 when it would not, 2 when the URL or configuration cannot be used.
    #[arg(short = 'E', value_name = "URL")]
    explain: Option<String>,
    /// With -E: the SNI name the client sends (default: the URL's host).
    #[arg(
        long = "sni",
        value_name = "NAME",
        requires = "explain",
        conflicts_with = "no_sni"
    )]
    sni: Option<String>,
    /// With -E: the client sends no SNI.
    #[arg(long = "no-sni", requires = "explain")]
    no_sni: bool,
    /// With -E: the local address (ip or ip:port) the connection reaches.
    #[arg(long = "local", value_name = "ADDR", requires = "explain")]
    local: Option<String>,
    /// With -E: also trust the CA certificates of this PEM file (an internal CA).
    #[arg(long = "ca", value_name = "FILE", requires = "explain")]
    ca: Option<PathBuf>,
    /// With -t: compare the configuration with the plan the running server recorded and
    /// print what a reload would change.
    #[arg(long = "diff", requires = "test")]
    diff: bool,
    /// Print the version and exit.
    #[arg(short = 'v')]
    version: bool,
    /// List every directive of httpd's stock modules and what this server does with it.
    #[arg(short = 'L')]
    list: bool,
    /// Control a running server as apachectl does: start, stop, graceful, restart, reload,
    /// graceful-stop (the configuration is checked first).
    #[arg(short = 'k', value_name = "ACTION")]
    action: Option<String>,
    /// Serve as root when started as root (otherwise User/Group must name another account).
    #[arg(long = "allow-root")]
    allow_root: bool,
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
    if cli.list {
        print!("{}", vhostd::config::directives::listing());
        return ExitCode::SUCCESS;
    }
    let error_log = ErrorLog::init();

    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = match cli.server_root.clone() {
        Some(d) if d.is_absolute() => d,
        Some(d) => cwd.join(d),
        None => cwd.clone(),
    };
    let settings = Settings {
        config: cli.file.clone(),
        server_root: root,
        defines: cli.define.clone(),
        display_base: Some(cwd),
        hostname: hostname(),
    };
    let checked = check(&settings.check_options());
    let report = checked.diags.render(&checked.sources);
    let errors = checked.diags.count(Severity::Error);
    if let Some(url) = &cli.explain {
        return explain(&cli, url, &checked, &report, errors);
    }
    if cli.show {
        eprint!("{report}");
        if errors > 0 {
            eprintln!("{errors} error(s): fix them and run server -S again");
            return ExitCode::from(1);
        }
        if cli.json {
            let roots = vhostd::insight::certinfo::Roots::system();
            match serde_json::to_string_pretty(&checked.json(&roots)) {
                Ok(text) => println!("{text}"),
                Err(e) => {
                    eprintln!("error: cannot write the plan as JSON: {e}");
                    return ExitCode::from(1);
                }
            }
        } else {
            print!("{}", checked.dump());
        }
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
        if cli.diff {
            print_preview(&checked);
        }
        eprintln!("Syntax OK");
        return ExitCode::SUCCESS;
    }
    if let Some(action) = &cli.action {
        let Some(action) = control::Action::parse(action) else {
            eprintln!(
                "error: -k takes start, stop, graceful, restart, reload or graceful-stop, not '{action}'"
            );
            return ExitCode::from(1);
        };
        if matches!(
            action,
            control::Action::Reload | control::Action::Graceful | control::Action::Restart
        ) {
            print_preview(&checked);
        }
        // The server started by -k start runs this configuration, as given.
        let mut args = vec![
            "-f".to_string(),
            settings.config.display().to_string(),
            "-d".to_string(),
            settings.server_root.display().to_string(),
        ];
        for d in &settings.defines {
            args.push("-D".to_string());
            args.push(d.clone());
        }
        if cli.allow_root {
            args.push("--allow-root".to_string());
        }
        let plan = &checked.plan;
        let stderr_log = match plan
            .main
            .conf
            .log
            .error_log
            .as_ref()
            .map(|e| std::path::PathBuf::from(&e.value))
        {
            Some(p) if p.is_absolute() && !p.starts_with("/dev") => p,
            _ => plan.server_root.join("logs/error_log"),
        };
        return ExitCode::from(control::run(
            action,
            &pidfile::path(plan),
            &stderr_log,
            &args,
        ));
    }
    serve(checked, settings, error_log, cli.allow_root)
}

/// What a reload into `checked` would change, against the running server's plan record.
fn print_preview(checked: &vhostd::prepare::check::Checked) {
    match vhostd::ops::plan_record::preview(checked) {
        Ok(p) => print!("Reload preview:\n{}", p.text()),
        Err(why) => eprintln!("no reload preview: {why}"),
    }
}

/// `-E URL`: the request explained; exit 0 clean, 1 a browser would not get the site
/// cleanly, 2 the URL or configuration cannot be used.
fn explain(
    cli: &Cli,
    url: &str,
    checked: &vhostd::prepare::check::Checked,
    report: &str,
    errors: usize,
) -> ExitCode {
    use vhostd::insight::explain::{Ask, Sni};
    eprint!("{report}");
    if errors > 0 {
        eprintln!("{errors} error(s): fix them and run server -E again");
        return ExitCode::from(2);
    }
    let mut roots = vhostd::insight::certinfo::Roots::system();
    if let Some(ca) = &cli.ca {
        roots = match roots.with_pem_file(ca) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: --ca {e}");
                return ExitCode::from(2);
            }
        };
    }
    let ask = Ask {
        url: url.to_string(),
        sni: match (&cli.sni, cli.no_sni) {
            (Some(n), _) => Sni::Name(n.clone()),
            (None, true) => Sni::Without,
            (None, false) => Sni::FromUrl,
        },
        local: cli.local.clone(),
    };
    match checked.explain(&roots, &ask) {
        Ok(e) => {
            print!("{}", e.text);
            if e.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Prepares the checked plan, binds every socket, writes the PidFile, and serves: SIGHUP and
/// SIGUSR1 reload, SIGTERM and SIGINT stop gracefully (a second one stops at once), SIGWINCH
/// stops gracefully with no deadline.
fn serve(
    checked: vhostd::prepare::check::Checked,
    settings: Settings,
    error_log: ErrorLog,
    allow_root: bool,
) -> ExitCode {
    let sources = checked.sources.clone();
    let model = &checked.plan.model;
    // Decided before anything is bound, so a refusal never half-starts.
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    let who = privileges::decide(
        euid,
        model.user.as_ref().map(|u| u.value.as_str()),
        model.group.as_ref().map(|g| g.value.as_str()),
        allow_root,
        &privileges::lookup_user,
        &privileges::lookup_group,
    );
    let who = match who {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let record = plan_record::render(&checked);
    let generation = match Generation::prepare(checked) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    runtime::raise_fd_limit();
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
        let mut bound = Vec::new();
        let mut failed = false;
        for l in &generation.plan.listeners {
            match runtime::bind_one(l) {
                Ok(sock) => bound.push((runtime::key_of(l), sock)),
                Err(e) => {
                    eprintln!("error: cannot bind {} (Listen at {}): {e}", runtime::addr_text(l), sources.file_line(l.span));
                    failed = true;
                }
            }
        }
        if failed {
            return ExitCode::from(1);
        }
        if let Err(e) = error_log.apply(&generation.plan) {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
        let pid_file = pidfile::path(&generation.plan);
        if let Err(e) = pidfile::write(&pid_file) {
            eprintln!("error: cannot write the PidFile {}: {e}", pid_file.display());
            return ExitCode::from(1);
        }
        // The plan in service, for `-t --diff` and `-k reload` previews.
        let record_at = plan_record::path(&pid_file);
        if let Err(e) = plan_record::write(&record_at, &record) {
            tracing::warn!(path = %record_at.display(), error = %e, "cannot record the plan: reload previews will not be available");
        } else if let privileges::Decision::Switch { uid, gid, .. } = &who
            && let Err(e) = plan_record::hand_to(&record_at, *uid, *gid)
        {
            tracing::warn!(path = %record_at.display(), error = %e, "cannot give the plan record to User: reloads will not update it");
        }
        // The managed domains' store is written by the background work, as User.
        if let privileges::Decision::Switch { uid, gid, .. } = &who
            && !generation.plan.md.domains.is_empty()
            && let Err(e) = vhostd::md::store::hand_to(&generation.plan.md.store, *uid, *gid)
        {
            eprintln!("error: cannot give MDStoreDir {} to User: {e}", generation.plan.md.store.display());
            return ExitCode::from(1);
        }
        // Sockets are bound, keys read, logs and the PidFile open: now become User/Group.
        match &who {
            privileges::Decision::Switch { user, uid, gid } => {
                if let Err(e) = privileges::switch(user, *uid, *gid) {
                    eprintln!("error: cannot become User {user}: {e}");
                    return ExitCode::from(1);
                }
                tracing::info!(user = %user, uid, gid, "serving as User/Group (reloads read files as this account)");
            }
            privileges::Decision::StayRoot => {
                tracing::warn!("serving as root (--allow-root): any file the server can be tricked into reading is readable");
            }
            privileges::Decision::Stay => {}
        }
        let server = Server::start(generation, bound);
        let addrs: Vec<String> = server.addrs().await.iter().map(|a| a.to_string()).collect();
        tracing::info!(listening = %addrs.join(" "), pid = std::process::id(), "AH00489: {} configured -- resuming normal operations", vhostd::SERVER_NAME);
        let code = run_signals(&server, &settings, &error_log).await;
        plan_record::remove(&record_at);
        pidfile::remove(&pid_file);
        code
    })
}

/// Waits for signals and acts on them until the server has stopped.
async fn run_signals(server: &Server, settings: &Settings, error_log: &ErrorLog) -> ExitCode {
    use tokio::signal::unix::{SignalKind, signal};
    let mut streams = Vec::new();
    for kind in [
        SignalKind::hangup(),
        SignalKind::user_defined1(),
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::window_change(),
    ] {
        match signal(kind) {
            Ok(s) => streams.push(s),
            Err(e) => {
                eprintln!("error: cannot watch signals: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let [hup, usr1, term, int, winch] = &mut streams[..] else {
        return ExitCode::from(1);
    };
    let bind = |l: &vhostd::plan::Listener| runtime::bind_one(l);
    loop {
        tokio::select! {
            _ = hup.recv() => {
                tracing::info!("AH00494: SIGHUP received.  Attempting to restart");
                if let reload::Outcome::Applied(_) = reload::reload(server, settings, bind).await {
                    reopen(error_log, server);
                }
            }
            _ = usr1.recv() => {
                tracing::info!("AH00493: SIGUSR1 received.  Doing graceful restart");
                if let reload::Outcome::Applied(_) = reload::reload(server, settings, bind).await {
                    reopen(error_log, server);
                }
            }
            _ = term.recv() => return stop(server, term, int, "SIGTERM", true).await,
            _ = int.recv() => return stop(server, term, int, "SIGINT", true).await,
            _ = winch.recv() => return stop(server, term, int, "SIGWINCH", false).await,
        }
    }
}

/// Reopens the error log for the generation just applied (logrotate moves the old file away).
fn reopen(error_log: &ErrorLog, server: &Server) {
    if let Err(e) = error_log.apply(&server.current.load().plan) {
        tracing::error!("{e}; the error log keeps its previous target");
    }
}

/// Drains with `GracefulShutdownTimeout` (or without a deadline); a second stop signal ends
/// at once.
async fn stop(
    server: &Server,
    term: &mut tokio::signal::unix::Signal,
    int: &mut tokio::signal::unix::Signal,
    which: &str,
    deadline: bool,
) -> ExitCode {
    let timeout = server
        .current
        .load()
        .plan
        .model
        .graceful_shutdown_timeout
        .as_ref()
        .map_or(Duration::from_secs(10), |t| t.value);
    tracing::info!(
        "AH00491: caught {which}, shutting down{}",
        if deadline { "" } else { " gracefully" }
    );
    tokio::select! {
        _ = server.stop(deadline.then_some(timeout)) => ExitCode::SUCCESS,
        _ = term.recv() => ExitCode::SUCCESS,
        _ = int.recv() => ExitCode::SUCCESS,
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

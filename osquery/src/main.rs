//! The `gohost-osquery` binary: osquery's extension conventions (`--socket`, `--timeout`,
//! `--interval`, `--verbose`) plus gohost's capability flags, then serve until the manager
//! goes away.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use gohost_osquery::engine::{Config, Engine};
use gohost_osquery::tables::{self, ColType, TableDef};
use osquery_rust_ng::plugin::{ColumnDef, ColumnOptions, ColumnType, Plugin, ReadOnlyTable};
use osquery_rust_ng::prelude::*;

#[derive(Debug, Parser)]
#[command(
    name = "gohost-osquery",
    version,
    about = "osquery extension: gohost's findings, checks and plugins as the gohost_findings, gohost_checks and gohost_plugins tables."
)]
struct Args {
    /// The extension manager's socket (osquery passes its --extensions_socket).
    #[arg(long, value_name = "PATH")]
    socket: PathBuf,
    /// Seconds osquery waits for an extension (its --extensions_timeout, default 3): how long
    /// to wait for the socket to appear, and the default of --query-budget.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    timeout: f64,
    /// Seconds between checks that the manager's socket still exists (osquery's
    /// --extensions_interval, default 3).
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    interval: f64,
    /// Log to stderr.
    #[arg(long)]
    verbose: bool,
    /// The gohost binary (default: `gohost` next to this executable).
    #[arg(long, value_name = "FILE")]
    gohost: Option<PathBuf>,
    /// Seconds a result stays fresh before gohost runs again.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    ttl: f64,
    /// The longest a query waits for gohost (default: --timeout); past it, the previous rows
    /// with stale=1.
    #[arg(long, value_name = "SECS")]
    query_budget: Option<f64>,
    /// The longest one gohost invocation may run before it is killed (it goes on in the
    /// background after the query that started it has been answered).
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    run_limit: f64,
    /// Allow checks that use the network (gohost run --online).
    #[arg(long)]
    online: bool,
    /// Allow slow, measuring checks (gohost run --deep).
    #[arg(long)]
    deep: bool,
    /// Allow checks that need root (gohost run --allow-root-probes). Without it root checks
    /// are skipped even when osqueryd runs as root.
    #[arg(long)]
    allow_root_probes: bool,
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value < 1e7) {
        anyhow::bail!("{flag} must be a positive number of seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// One `gohost_*` table served from the engine.
struct Table {
    def: TableDef,
    engine: Engine,
}

impl ReadOnlyTable for Table {
    fn name(&self) -> String {
        self.def.name.to_owned()
    }

    fn columns(&self) -> Vec<ColumnDef> {
        self.def
            .columns
            .iter()
            .map(|c| {
                let ty = match c.ty {
                    ColType::Text => ColumnType::Text,
                    ColType::Integer => ColumnType::Integer,
                    ColType::BigInt => ColumnType::BigInt,
                    ColType::Double => ColumnType::Double,
                };
                ColumnDef::new(c.name, ty, ColumnOptions::DEFAULT)
            })
            .collect()
    }

    fn generate(&self, request: ExtensionPluginRequest) -> ExtensionResponse {
        let started = Instant::now();
        let result = match self.def.name {
            "gohost_findings" => self.engine.findings(&request),
            "gohost_checks" => self.engine.checks(),
            _ => self.engine.plugins(),
        };
        match result {
            Ok(rows) => {
                log::debug!(
                    "{}: {} rows in {:?}",
                    self.def.name,
                    rows.len(),
                    started.elapsed()
                );
                ExtensionResponse::new(ExtensionStatus::new(0, "OK".to_owned(), None), rows)
            }
            Err(e) => {
                log::warn!("{}: {e}", self.def.name);
                // A non-zero status is osquery's way to say "no answer": never fake rows.
                ExtensionResponse::new(ExtensionStatus::new(1, e.to_string(), None), Vec::new())
            }
        }
    }

    fn shutdown(&self) {}
}

struct StderrLog(log::LevelFilter);

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= self.0
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            eprintln!("gohost-osquery: {}: {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

fn default_gohost() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this executable's path")?;
    // Through symlinks: osqueryd autoloads only `*.ext` paths, typically a symlink to this
    // binary, and the `gohost` to run is the one next to the real file.
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let dir = exe
        .parent()
        .context("this executable has no parent directory")?;
    Ok(dir.join(format!("gohost{}", std::env::consts::EXE_SUFFIX)))
}

/// osquery may start extensions before its socket exists: wait up to `timeout` for it.
fn wait_for_socket(socket: &Path, timeout: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(socket).is_err() {
        if started.elapsed() >= timeout {
            anyhow::bail!(
                "no extension manager at {} after {:.1} s",
                socket.display(),
                timeout.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gohost-osquery: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let level = if args.verbose {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Warn
    };
    static LOGGER: std::sync::OnceLock<StderrLog> = std::sync::OnceLock::new();
    let _ = log::set_logger(LOGGER.get_or_init(|| StderrLog(level)));
    log::set_max_level(level);

    let timeout = seconds(args.timeout, "--timeout")?;
    let interval = seconds(args.interval, "--interval")?;
    let gohost = match args.gohost {
        Some(g) => g,
        None => default_gohost()?,
    };
    if !gohost.is_file() {
        anyhow::bail!(
            "no gohost binary at {} (install gohost next to gohost-osquery, or pass --gohost FILE)",
            gohost.display()
        );
    }
    // Often root under osqueryd: run only a gohost nobody else can replace.
    let gohost = gohost_osquery::trust::check_executable(&gohost)?;
    let engine = Engine::new(Config {
        gohost,
        ttl: seconds(args.ttl, "--ttl")?,
        budget: seconds(args.query_budget.unwrap_or(args.timeout), "--query-budget")?,
        run_limit: seconds(args.run_limit, "--run-limit")?,
        online: args.online,
        deep: args.deep,
        allow_root_probes: args.allow_root_probes,
    });

    wait_for_socket(&args.socket, timeout)?;
    let socket = args
        .socket
        .to_str()
        .context("the socket path is not UTF-8")?
        .to_owned();
    let mut server = Server::new(Some("gohost"), &socket)
        .with_context(|| format!("cannot connect to the extension manager at {socket}"))?;
    for def in tables::ALL {
        server.register_plugin(Plugin::readonly_table(Table {
            def,
            engine: engine.clone(),
        }));
    }

    // osquery's own extensions exit when the manager's socket is removed (its
    // ExtensionWatcher, osquery/extensions/extensions.cpp); the crate only notices a failed
    // ping on its connection, so watch the path too.
    let stop = server.get_stop_handle();
    let watched = args.socket.clone();
    let children = engine.children().clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(interval);
        if !watched.exists() {
            log::info!("{} is gone: exiting", watched.display());
            stop.stop();
            children.stop_all();
            // The crate's shutdown may wait on a connection to a manager that is gone.
            std::thread::sleep(Duration::from_secs(1));
            std::process::exit(0);
        }
    });

    engine.prefetch();
    let result = server.run_with_signal_handling();
    engine.children().stop_all();
    result.map_err(|e| anyhow::anyhow!("extension server: {e}"))
}

//! The command line: parsing (clap), precedence (flags > `GOHOST_*` env > config files), and
//! the commands. Errors here are for people: they say what was wrong and what to type.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use gohost_plugin_api::{Needs, RunOptions, UnmetNeed};

use crate::config::{self, FileConfig};
use crate::discovery::SearchConfig;
use crate::redact::Redactor;
use crate::report::{self, HumanStyle};
use crate::run::{self, Isolation, RunConfig, RunError, Selection};
use crate::sys::StdoutToStderr;

mod fix;
mod list;
mod options;

use fix::do_fix;
use list::{do_explain, do_list, do_plugin_check};
#[cfg(test)]
use options::parse_size;
use options::{discovery_only, load_config, run_config};

/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "gohost",
    version,
    args_override_self = true,
    about = "Is this machine really ready to build, test and benchmark Go natively? gohost runs diagnostic plugins and tells you what is wrong and how to fix it.",
    after_help = "Exit codes: 0 no failures, 1 a check failed (or warned with --strict), 2 usage or config error, 3 a plugin could not run. `gohost fix`: 0 nothing left to fix, 1 problems remain (in a dry run: something to fix), 2 usage error, 4 a change failed (its backup is kept)."
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only the report (no progress, no warnings on stderr).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, env = "GOHOST_COLOR")]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run plugins: `gohost run all`, `gohost run arch toolchain`, `gohost run --check arch.translation`.
    Run(RunArgs),
    /// Apply the fixes gohost can make and undo (go env -u/-w, deleting a line of the go env
    /// file), show the rest: `gohost fix`, `gohost fix toolchain.go-env-file`. Dry run unless
    /// --yes.
    Fix(FixArgs),
    /// Record every probe answer into a snapshot file (`--record FILE`, default
    /// gohost-snapshot.json), without a report.
    Snapshot {
        #[command(flatten)]
        run: RunArgs,
    },
    /// List plugins, their versions and checks, and where each was loaded from.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
        #[command(flatten)]
        discovery: DiscoveryArgs,
    },
    /// Explain what a check verifies, why it matters and how to fix it.
    Explain {
        /// A check id such as `arch.translation`.
        check: String,
        #[command(flatten)]
        discovery: DiscoveryArgs,
    },
    /// Work with plugin files.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
    #[command(name = "__worker", hide = true)]
    Worker,
}

#[derive(Debug, Clone, Args)]
pub struct FixArgs {
    /// Check ids (`toolchain.go-env-file`), plugin names, or `all` (the default).
    #[arg(value_name = "CHECK")]
    pub targets: Vec<String>,
    /// Apply the changes; without it gohost only shows what it would do.
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[arg(long, value_enum, default_value_t = Format::Human, env = "GOHOST_FORMAT")]
    pub format: Format,
    /// Default timeout in seconds of each command a plugin runs (default 30).
    #[arg(long, value_name = "SECS")]
    pub exec_timeout: Option<f64>,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub discovery: DiscoveryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Inspect a plugin file without running any of its code.
    Check { file: PathBuf },
}

#[derive(Debug, Clone, Args)]
pub struct DiscoveryArgs {
    /// Search this directory for plugins first (repeatable).
    #[arg(long = "plugin-dir", value_name = "DIR", global = true)]
    pub plugin_dirs: Vec<PathBuf>,
    /// Load this plugin file (repeatable).
    #[arg(long = "plugin", value_name = "FILE", global = true)]
    pub plugin_files: Vec<PathBuf>,
    /// Search only --plugin-dir, --plugin and GOHOST_PLUGIN_PATH.
    #[arg(long, global = true, env = "GOHOST_NO_DEFAULT_PLUGIN_DIRS", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_default_plugin_dirs: bool,
    /// Load plugins from files and directories that fail the trust rules (SECURITY.md).
    #[arg(long, global = true)]
    pub allow_untrusted: bool,
    /// Use this config file instead of gohost.toml discovery.
    #[arg(long, value_name = "FILE", global = true, env = "GOHOST_CONFIG")]
    pub config: Option<PathBuf>,
    /// Isolation of plugins: worker (a process each) or none (in-process, for development).
    #[arg(long, value_enum, global = true, env = "GOHOST_ISOLATION")]
    pub isolation: Option<Isolation>,
    /// Per-plugin timeout in seconds (default 120).
    #[arg(long, value_name = "SECS", global = true, env = "GOHOST_TIMEOUT")]
    pub timeout: Option<f64>,
    /// Time limit of the whole run in seconds (default 600): plugins still running then are
    /// killed, ones not started are not started.
    #[arg(long, value_name = "SECS", global = true, env = "GOHOST_RUN_TIMEOUT")]
    pub run_timeout: Option<f64>,
    /// How many plugins run at once (default: 2 × CPUs, at least 4).
    #[arg(long, value_name = "N", global = true, env = "GOHOST_JOBS")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// `all`, or plugin names.
    #[arg(value_name = "PLUGIN")]
    pub plugins: Vec<String>,
    /// Run only this check of its plugin (repeatable), e.g. `--check arch.translation`; other
    /// plugins named on the command line still run whole.
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,
    /// Leave this plugin out (repeatable).
    #[arg(long = "skip", value_name = "PLUGIN")]
    pub skip: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Human, env = "GOHOST_FORMAT")]
    pub format: Format,
    /// Warnings make the run fail (exit 1).
    #[arg(long, env = "GOHOST_STRICT", value_parser = clap::builder::BoolishValueParser::new())]
    pub strict: bool,
    /// Allow checks that use the network (e.g. the checksum database).
    #[arg(long, env = "GOHOST_ONLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub online: bool,
    /// Allow slow, measuring checks.
    #[arg(long, env = "GOHOST_DEEP", value_parser = clap::builder::BoolishValueParser::new())]
    pub deep: bool,
    /// Allow checks that need root, through non-interactive sudo (never prompts); implied when
    /// gohost itself runs as root (except with --replay).
    #[arg(long, env = "GOHOST_ALLOW_ROOT_PROBES", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_root_probes: bool,
    /// Allow network, root and slow checks only through --online, --allow-root-probes and
    /// --deep: not through a config file's `online`, nor because gohost runs as root (for
    /// callers that decide capabilities themselves, such as gohost-osquery under osqueryd).
    #[arg(long)]
    pub explicit_capabilities: bool,
    /// Do not use cached results.
    #[arg(long, env = "GOHOST_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
    /// Also write a snapshot of every probe answer to FILE (mode 0600; secrets, home and user
    /// name redacted).
    #[arg(long, value_name = "FILE", conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Answer every probe from a snapshot instead of this machine.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Default timeout in seconds of each command a plugin runs (default 30).
    #[arg(long, value_name = "SECS")]
    pub exec_timeout: Option<f64>,
    /// Replace private module hosts and paths (the patterns of GOPRIVATE, GONOSUMDB,
    /// GONOPROXY, GOINSECURE) by `private-host-N.invalid` in the snapshot, report and log.
    #[arg(long, env = "GOHOST_REDACT_HOSTS", value_parser = clap::builder::BoolishValueParser::new())]
    pub redact_hosts: bool,
    /// The largest snapshot --replay reads (bytes, or with a unit: 64MiB, 500KB; default 64MiB).
    #[arg(long, value_name = "SIZE", env = "GOHOST_MAX_SNAPSHOT_SIZE")]
    pub max_snapshot_size: Option<String>,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub discovery: DiscoveryArgs,
}

/// Write a file only its owner can read: a snapshot holds a machine's whole configuration.
/// Created 0600 from the start (never a chmod after, which leaves a window) under a fresh
/// name in the same directory, then renamed over `path`, so an existing file's looser mode
/// or a symlink planted at `path` is not reused.
fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".to_owned());
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp);
        let mut file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = file
            .write_all(contents)
            .and_then(|_| file.sync_all())
            .and_then(|_| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return written;
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "no free temporary name next to the snapshot",
    ))
}

fn colour_enabled(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty())
                && std::io::stdout().is_terminal()
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

fn write_output(path: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`gohost run | head`) is not an error worth a message.
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}

fn do_run(cli: &Cli, args: &RunArgs, snapshot_to: Option<&PathBuf>) -> anyhow::Result<i32> {
    let file = load_config(&args.discovery, cli.quiet)?;
    let config = run_config(args, &file, cli.quiet)?;
    let mut config = config;
    if snapshot_to.is_some() {
        config.record = true;
        config.options.no_cache = true;
    }
    let guard = (config.isolation == Isolation::None)
        .then(StdoutToStderr::new)
        .flatten();
    let output = run::run(&config);
    drop(guard);
    let output = match output {
        Ok(o) => o,
        Err(RunError::Usage(message)) => {
            // Usage errors may quote a snapshot's or config's text: same redaction as the log,
            // shown inert.
            eprintln!(
                "gohost: {}",
                report::terminal_safe(&crate::redact::for_log(&message))
            );
            return Ok(EXIT_USAGE);
        }
        Err(e) => return Err(e.into()),
    };
    if !cli.quiet {
        for s in &output.shadowed {
            eprintln!(
                "{}",
                report::terminal_safe(&format!(
                    "gohost: note: plugin `{}` at {} is shadowed by {} (found first)",
                    s.name, s.path, s.winner
                ))
            );
        }
    }
    // One set of private-host placeholders for the snapshot, the report and the log, so
    // `private-host-1.invalid` means the same host in all three.
    let snapshot_value = match &output.snapshot {
        Some(snapshot) => {
            Some(serde_json::to_value(snapshot).context("cannot serialize the snapshot")?)
        }
        None => None,
    };
    let private_patterns: Vec<String> = if args.redact_hosts {
        let env_json = output
            .facts
            .go
            .as_ref()
            .map(|g| g.env_json.to_string())
            .unwrap_or_default();
        let mut patterns = crate::redact::private_patterns_from(&env_json);
        if let Some(value) = &snapshot_value {
            patterns.extend(crate::redact::private_patterns_in_snapshot(value));
        }
        patterns
    } else {
        Vec::new()
    };
    let with_hosts =
        |r: Redactor| r.with_private_patterns(private_patterns.iter().map(String::as_str));
    if args.redact_hosts {
        crate::redact::set_log_redactor(with_hosts(Redactor::secrets_only()));
    }
    if let (Some(mut value), Some(path)) = (snapshot_value, snapshot_to.or(args.record.as_ref())) {
        let redactor = with_hosts(Redactor::from_env());
        redactor.value(&mut value);
        if let Some(map) = value.as_object_mut() {
            let applied: serde_json::Map<String, serde_json::Value> = redactor
                .applied()
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            map.insert("redacted".to_owned(), serde_json::Value::Object(applied));
            let counts: serde_json::Map<String, serde_json::Value> = redactor
                .counts()
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::from(v)))
                .collect();
            map.insert(
                "redacted_counts".to_owned(),
                serde_json::Value::Object(counts),
            );
        }
        let text = serde_json::to_string_pretty(&value).context("cannot serialize the snapshot")?;
        write_private(path, text.as_bytes())
            .with_context(|| format!("cannot write snapshot {}", path.display()))?;
        if !cli.quiet {
            eprintln!("gohost: snapshot written to {}", path.display());
        }
    }
    if snapshot_to.is_some() {
        return Ok(output.report.exit_code);
    }
    let report = &report::redacted(&output.report, &with_hosts(Redactor::secrets_only()));
    let text = match args.format {
        Format::Human => report::render_human(
            report,
            HumanStyle {
                colour: args.output.is_none() && colour_enabled(cli.color),
                verbose: cli.verbose > 0,
            },
        ),
        Format::Json => report::render_json(report) + "\n",
        Format::Junit => report::render_junit(report),
        Format::Markdown => report::render_markdown(report),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(report.exit_code)
}

/// Run the selected checks on this machine (never cached, never with network, root or slow
/// checks), quietly: `fix` shows its own report.
fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Every log line passes the same secret redaction as the report.
        .with_writer(crate::redact::RedactingStderr)
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty()),
        )
        .with_target(false)
        .try_init();
}

/// Parse the command line and run; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if matches!(cli.command, Command::Worker) {
        return crate::worker_main::worker_main();
    }
    init_tracing(cli.verbose, cli.quiet);
    crate::interrupt::install();
    let result = match &cli.command {
        Command::Run(args) => do_run(&cli, args, None),
        Command::Fix(args) => do_fix(&cli, args),
        Command::Snapshot { run } => {
            let file = run
                .record
                .clone()
                .unwrap_or_else(|| PathBuf::from("gohost-snapshot.json"));
            do_run(&cli, run, Some(&file))
        }
        Command::List { format, discovery } => do_list(&cli, *format, discovery),
        Command::Explain { check, discovery } => do_explain(&cli, check, discovery),
        Command::Plugin {
            command: PluginCommand::Check { file },
        } => do_plugin_check(file),
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "gohost",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Command::Worker => Ok(0),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gohost: {}", crate::redact::for_log(&format!("{e:#}")));
            // Configuration problems are usage errors; everything else here is too (the run
            // itself reports plugin failures in the report, not as errors).
            EXIT_USAGE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("500KB"), Ok(500_000));
        assert_eq!(parse_size(" 2 GiB "), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("99999999999999GiB").is_err());
    }
}

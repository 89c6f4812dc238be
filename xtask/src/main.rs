//! `cargo xtask <task>`; see the library docs for the tasks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use xtask::build::{build_all, BuildOptions, Target};
use xtask::dist::{check_reproducible, dist, source_fingerprint, DistOptions};
use xtask::scaffold::{new_plugin, Location};
use xtask::workspace::{default_root, Workspace};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, package, verify and scaffold gohost"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the host and every plugin.
    Build {
        #[arg(long)]
        release: bool,
        /// A Rust target triple (aarch64-apple-darwin goes through cargo zigbuild off a Mac).
        #[arg(long)]
        target: Option<String>,
    },
    /// Build a verified release tarball into dist/.
    Dist {
        #[arg(long, default_value = "aarch64-apple-darwin")]
        target: String,
        /// Output directory.
        #[arg(long, default_value = "dist")]
        out: PathBuf,
        /// Build a second time in a fresh target directory and compare every hash.
        #[arg(long)]
        check_reproducible: bool,
    },
    /// Verify a dist tarball or directory; exit 1 on any problem.
    VerifyDist { path: PathBuf },
    /// Install the host and plugins (release build) into a prefix.
    Install {
        /// Default: ~/.local (bin/gohost, lib/gohost/plugins/).
        #[arg(long)]
        prefix: Option<PathBuf>,
    },
    /// Build (debug), then run gohost with these arguments; plugins are found next to it.
    Run {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Measure everything gohost promises, side by side, and write the ratios to BENCHMARKS.md.
    Bench {
        /// hyperfine runs per command.
        #[arg(long, default_value_t = 10)]
        runs: u32,
        /// Skip the sumdb benchmark (it builds a ~1.7 GB module cache the first time).
        #[arg(long)]
        no_sumdb: bool,
    },
    /// Coverage-guided fuzzing (cargo-fuzz, nightly): build the fuzz/ targets, run each for
    /// a bounded time, fail on any crash. See FUZZING.md.
    Fuzz {
        /// Targets to run (default: all of fuzz/fuzz_targets).
        targets: Vec<String>,
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        time: u64,
        /// Targets fuzzed at once (one core each).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Rebuild the seed corpora (fuzz/seeds.py) first.
        #[arg(long)]
        seeds: bool,
        /// Then replay each corpus through a coverage build and print lines/regions covered.
        #[arg(long)]
        coverage: bool,
    },
    /// Scaffold a plugin crate with one working check and its tests.
    NewPlugin {
        /// Plugin name: lowercase letters, digits, dashes (the crate is gohost-plugin-<name>).
        name: String,
        /// Create the crate in DIR (its own workspace) instead of plugins/<name>.
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let ws = Workspace::load(&default_root())?;
    match cli.task {
        Task::Build { release, target } => {
            let (target, explicit) = match target {
                Some(t) => (Target::parse(&t)?, true),
                None => (Target::native(), false),
            };
            let built = build_all(
                &ws,
                &BuildOptions {
                    target,
                    explicit_target: explicit,
                    release,
                    target_dir: ws.target_dir.clone(),
                    distribution: false,
                },
            )?;
            println!("{}", built.host.display());
            println!("{}", built.extension.display());
            for (_, file) in &built.plugins {
                println!("{}", file.display());
            }
        }
        Task::Dist {
            target,
            out,
            check_reproducible: repro,
        } => {
            let target = Target::parse(&target)?;
            let before = if repro {
                Some(source_fingerprint(&ws.root)?)
            } else {
                None
            };
            let out = if out.is_absolute() {
                out
            } else {
                ws.root.join(out)
            };
            let target_dir = ws.target_dir.join("xtask-dist");
            let result = dist(
                &ws,
                &DistOptions {
                    target: target.clone(),
                    out_dir: out,
                    target_dir,
                },
            )?;
            for plugin in &result.manifest.plugins {
                println!("{}  {}", plugin.sha256, plugin.file);
            }
            println!("{}", result.tarball.display());
            if repro {
                let differences = check_reproducible(
                    &ws,
                    &target,
                    &result.manifest,
                    &ws.target_dir.join("xtask-dist-repro"),
                )?;
                if before.as_deref() != Some(source_fingerprint(&ws.root)?.as_str()) {
                    bail!("inconclusive: the sources changed (commit, diff or untracked files) while the two builds ran; run again on a quiet tree");
                }
                if differences.is_empty() {
                    println!("reproducible: a second build in a fresh target directory gave identical hashes");
                } else {
                    for d in &differences {
                        eprintln!("xtask: differs: {d}");
                    }
                    bail!("not reproducible: {} files differ", differences.len());
                }
            }
        }
        Task::VerifyDist { path } => {
            let report = xtask::verify::verify_path(&path)?;
            for line in &report.ok {
                println!("ok  {line}");
            }
            for problem in &report.problems {
                println!("BAD {problem}");
            }
            if !report.problems.is_empty() {
                eprintln!(
                    "xtask: {} problems in {}",
                    report.problems.len(),
                    path.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            println!("verified {}", path.display());
        }
        Task::Install { prefix } => {
            let prefix = match prefix {
                Some(p) => p,
                None => xtask::install::default_prefix()?,
            };
            let bin = xtask::install::install(&ws, &prefix, &ws.target_dir.join("xtask-install"))?;
            println!("installed {}", bin.display());
        }
        Task::Run { args } => {
            let built = build_all(&ws, &BuildOptions::native(false, ws.target_dir.clone()))?;
            let status = std::process::Command::new(&built.host)
                .args(&args)
                .status()
                .with_context(|| format!("running {}", built.host.display()))?;
            let code = status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1);
            return Ok(ExitCode::from(code));
        }
        Task::Bench { runs, no_sumdb } => {
            let path = xtask::bench::bench(
                &ws,
                &xtask::bench::BenchOptions {
                    runs,
                    sumdb: !no_sumdb,
                },
            )?;
            println!("wrote {}", path.display());
        }
        Task::Fuzz {
            targets,
            time,
            jobs,
            seeds,
            coverage,
        } => {
            let outcomes = xtask::fuzz::run(
                &ws.root,
                &xtask::fuzz::FuzzOptions {
                    targets,
                    seconds: time,
                    jobs,
                    seeds,
                    coverage,
                    target_dir: ws.target_dir.clone(),
                },
            )?;
            let mut failed = 0;
            for o in &outcomes {
                let coverage = o.coverage.as_deref().unwrap_or("");
                println!(
                    "{:<22} {:<6} {coverage}",
                    o.target,
                    if o.ok { "ok" } else { "CRASH" }
                );
                if !o.ok {
                    failed += 1;
                    println!("    log: {}", o.log.display());
                    for a in &o.artifacts {
                        println!("    input: {}", a.display());
                    }
                }
            }
            if failed > 0 {
                eprintln!("xtask: {failed} fuzz targets failed");
                return Ok(ExitCode::FAILURE);
            }
        }
        Task::NewPlugin { name, path } => {
            let location = match path {
                Some(dir) => Location::OutOfTree(dir),
                None => Location::InTree,
            };
            let dir = new_plugin(&ws, &name, &location)?;
            println!("created {}", dir.display());
            match location {
                Location::InTree => println!(
                    "next: cargo test -p gohost-plugin-{name} && cargo xtask run run {name}"
                ),
                Location::OutOfTree(_) => println!(
                    "next: (cd {} && cargo test && cargo build) && gohost run {name} --plugin-dir {}/target/debug",
                    dir.display(),
                    dir.display()
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(argv: &[&str]) -> Vec<String> {
        match Cli::try_parse_from(argv).map(|cli| cli.task) {
            Ok(Task::Run { args }) => args,
            Ok(_) => panic!("{argv:?} did not parse as `run`"),
            Err(err) => panic!("{argv:?}: {err}"),
        }
    }

    /// README's first command is `cargo xtask run -- run all`: everything after `run` goes to
    /// gohost unchanged, flags included.
    #[test]
    fn run_passes_arguments_verbatim() {
        assert_eq!(
            run_args(&["xtask", "run", "--", "run", "all"]),
            ["run", "all"]
        );
        assert_eq!(
            run_args(&["xtask", "run", "run", "all", "--format", "json"]),
            ["run", "all", "--format", "json"]
        );
        assert_eq!(
            run_args(&["xtask", "run", "--", "--version"]),
            ["--version"]
        );
    }
}

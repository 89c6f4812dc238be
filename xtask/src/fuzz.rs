//! `cargo xtask fuzz`: build and run the libFuzzer targets of `fuzz/` (cargo-fuzz, nightly).
//!
//! One runner for CI (`.ci/fuzz`: every target for a short, bounded time) and for longer
//! local campaigns (`cargo xtask fuzz TARGET --time 600`), so both use the same seeds,
//! dictionaries and libFuzzer limits. `--coverage` replays each target's corpus through a
//! coverage build (`cargo fuzz coverage`) and prints the line and region coverage of the
//! repository's own sources (`llvm-cov report`), the numbers FUZZING.md records.
//!
//! It is not a fuzzer itself and does not install anything: it needs `cargo +nightly`,
//! `cargo fuzz` and, for `--coverage`, the nightly `llvm-tools` component.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// What to fuzz and how long.
#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// Targets to run; empty means every target in `fuzz/fuzz_targets`.
    pub targets: Vec<String>,
    /// Seconds per target (libFuzzer `-max_total_time`).
    pub seconds: u64,
    /// Targets run at once (each libFuzzer process uses one core).
    pub jobs: usize,
    /// Rebuild the seed corpora first (`fuzz/seeds.py`), even where a corpus exists.
    pub seeds: bool,
    /// After fuzzing, measure coverage of each target's corpus.
    pub coverage: bool,
    /// Cargo's target directory (shared with the workspace: no extra build tree).
    pub target_dir: PathBuf,
}

/// How one target's run ended.
#[derive(Debug)]
pub struct Outcome {
    pub target: String,
    pub ok: bool,
    /// libFuzzer's log of the run.
    pub log: PathBuf,
    /// Crash or timeout inputs libFuzzer saved (`fuzz/artifacts/TARGET/`).
    pub artifacts: Vec<PathBuf>,
    /// `lines covered/total, regions covered/total` of the repository's sources.
    pub coverage: Option<String>,
}

/// Every fuzz target: the file stems of `fuzz/fuzz_targets/*.rs`, sorted.
pub fn all_targets(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("fuzz/fuzz_targets");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    out.sort();
    if out.is_empty() {
        bail!("no fuzz targets in {}", dir.display());
    }
    Ok(out)
}

/// The dictionary of a target: `fuzz/dicts/TARGET.dict`, else the one of its format family.
pub fn dict_for(root: &Path, target: &str) -> Option<PathBuf> {
    let dicts = root.join("fuzz/dicts");
    let family = match target {
        t if t.starts_with("probes_") => "probes",
        "lookup_record" | "tlog_tiles" => "note",
        "go_env_json" | "snapshot_json" | "worker_protocol" => "json",
        t => t,
    };
    [target, family]
        .iter()
        .map(|name| dicts.join(format!("{name}.dict")))
        .find(|p| p.is_file())
}

fn nightly_cargo(root: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly").current_dir(root.join("fuzz"));
    cmd
}

fn check(status: std::process::ExitStatus, what: &str) -> Result<()> {
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Build the seed corpora with `fuzz/seeds.py` (needs the shared fixtures and Go).
pub fn build_seeds(root: &Path) -> Result<()> {
    let status = Command::new("python3")
        .arg(root.join("fuzz/seeds.py"))
        .current_dir(root)
        .status()
        .context("running python3 fuzz/seeds.py")?;
    check(status, "fuzz/seeds.py")
}

/// Build every target once (release, debug assertions on: overflow checks find arithmetic
/// bugs that a release build would turn into silent wrap-arounds).
pub fn build(root: &Path, target_dir: &Path) -> Result<()> {
    let status = nightly_cargo(root)
        .args(["fuzz", "build", "--debug-assertions", "--target-dir"])
        .arg(target_dir)
        .status()
        .context("running cargo +nightly fuzz build (is cargo-fuzz installed?)")?;
    check(status, "cargo fuzz build")
}

/// The inputs libFuzzer saved for `target` since `since` (older ones are earlier runs').
fn artifacts(root: &Path, target: &str, since: std::time::SystemTime) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root.join("fuzz/artifacts").join(target))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    e.metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t >= since)
                })
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The libFuzzer binary `cargo fuzz build` left for `target`.
fn fuzz_binary(target_dir: &Path, target: &str) -> Result<PathBuf> {
    Ok(target_dir.join(host_triple()?).join("release").join(target))
}

/// Start one target's libFuzzer binary directly (what `cargo fuzz run` does after its
/// build, without taking cargo's locks again per target: two runs at once would otherwise
/// wait on each other, and on any other cargo on the machine).
fn spawn(root: &Path, target: &str, opts: &FuzzOptions, log: &Path) -> Result<Child> {
    let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let corpus = root.join("fuzz/corpus").join(target);
    let artifacts = root.join("fuzz/artifacts").join(target);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&artifacts)?;
    let mut cmd = Command::new(fuzz_binary(&opts.target_dir, target)?);
    cmd.current_dir(root.join("fuzz"))
        // As cargo-fuzz sets it: the plugin rlibs are also cdylibs, which ASan's ODR check
        // misreads as one global defined twice.
        .env("ASAN_OPTIONS", "detect_odr_violation=0")
        .env("RUST_BACKTRACE", "1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(format!("-max_total_time={}", opts.seconds))
        // One input may take at most 10 s and 2 GiB: past that is a finding (a hang or a
        // memory blow-up on hostile input), not a slow machine.
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        .arg("-print_final_stats=1");
    if let Some(dict) = dict_for(root, target) {
        cmd.arg(format!("-dict={}", dict.display()));
    }
    cmd.arg(&corpus)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    cmd.spawn()
        .with_context(|| format!("starting the fuzz target {target}"))
}

/// Run the targets, at most `jobs` at once; each outcome says whether libFuzzer found a crash.
pub fn run(root: &Path, opts: &FuzzOptions) -> Result<Vec<Outcome>> {
    let all = all_targets(root)?;
    let targets: Vec<String> = if opts.targets.is_empty() {
        all.clone()
    } else {
        for t in &opts.targets {
            if !all.contains(t) {
                bail!("no fuzz target `{t}` (targets: {})", all.join(", "));
            }
        }
        opts.targets.clone()
    };
    let missing_corpus = targets
        .iter()
        .any(|t| t != "zip_oracle" && !root.join("fuzz/corpus").join(t).is_dir());
    if opts.seeds || missing_corpus {
        build_seeds(root)?;
    }
    build(root, &opts.target_dir)?;
    let logs = opts.target_dir.join("fuzz-logs");
    std::fs::create_dir_all(&logs)?;
    let mut queue = targets.iter();
    let mut running: Vec<(String, Child, PathBuf, Instant)> = Vec::new();
    let since = std::time::SystemTime::now();
    let mut outcomes = Vec::new();
    loop {
        while running.len() < opts.jobs.max(1) {
            let Some(t) = queue.next() else { break };
            let log = logs.join(format!("{t}.log"));
            eprintln!("fuzz: {t} for {} s", opts.seconds);
            let child = spawn(root, t, opts, &log)?;
            running.push((t.clone(), child, log, Instant::now()));
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        let mut i = 0;
        while i < running.len() {
            if let Some(status) = running[i].1.try_wait()? {
                let (target, _, log, started) = running.remove(i);
                let found = artifacts(root, &target, since);
                eprintln!(
                    "fuzz: {target}: {} after {:.0} s{}",
                    if status.success() { "ok" } else { "FAILED" },
                    started.elapsed().as_secs_f64(),
                    if found.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} artifacts)", found.len())
                    }
                );
                outcomes.push(Outcome {
                    ok: status.success(),
                    target,
                    log,
                    artifacts: found,
                    coverage: None,
                });
            } else {
                i += 1;
            }
        }
    }
    if opts.coverage {
        for o in &mut outcomes {
            o.coverage = Some(coverage(root, &o.target, &opts.target_dir)?);
        }
    }
    outcomes.sort_by(|a, b| a.target.cmp(&b.target));
    Ok(outcomes)
}

/// Replay a target's corpus through a coverage build and summarize the repository's own
/// sources (dependencies, the standard library and the fuzz harness itself left out).
pub fn coverage(root: &Path, target: &str, target_dir: &Path) -> Result<String> {
    // Its own directory inside target/: coverage flags differ from the fuzz build's, and
    // sharing one directory would make each build overwrite the other's artifacts.
    let target_dir = &target_dir.join("fuzz-coverage");
    let status = nightly_cargo(root)
        .args(["fuzz", "coverage", "--target-dir"])
        .arg(target_dir)
        .arg(target)
        .stdout(Stdio::null())
        .status()
        .context("running cargo fuzz coverage")?;
    check(status, "cargo fuzz coverage")?;
    let sysroot = Command::new("rustc")
        .args(["+nightly", "--print", "sysroot"])
        .output()
        .context("rustc +nightly --print sysroot")?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
    let llvm_cov = find_llvm_cov(Path::new(&sysroot)).context(
        "no llvm-cov in the nightly toolchain: rustup component add llvm-tools --toolchain nightly",
    )?;
    let triple = host_triple()?;
    // With --target-dir, cargo fuzz coverage puts the binary at DIR/<triple>/release.
    let binary = target_dir.join(&triple).join("release").join(target);
    let profdata = root
        .join("fuzz/coverage")
        .join(target)
        .join("coverage.profdata");
    let out = Command::new(llvm_cov)
        .arg("report")
        .arg(&binary)
        .arg(format!("-instr-profile={}", profdata.display()))
        .arg("-ignore-filename-regex=(\\.cargo/registry|/rustc/|/fuzz/fuzz_targets/|/fuzz/src/)")
        .arg("-summary-only")
        .output()
        .context("running llvm-cov report")?;
    check(out.status, "llvm-cov report")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let total = text
        .lines()
        .find(|l| l.starts_with("TOTAL"))
        .context("llvm-cov report printed no TOTAL line")?;
    // TOTAL regions missed cover% functions missed executed% lines missed cover% ...
    let f: Vec<&str> = total.split_whitespace().collect();
    let (regions, rmiss, lines, lmiss) = (
        f.get(1).and_then(|v| v.parse::<u64>().ok()),
        f.get(2).and_then(|v| v.parse::<u64>().ok()),
        f.get(7).and_then(|v| v.parse::<u64>().ok()),
        f.get(8).and_then(|v| v.parse::<u64>().ok()),
    );
    match (regions, rmiss, lines, lmiss) {
        (Some(r), Some(rm), Some(l), Some(lm)) => Ok(format!(
            "lines {}/{l} ({:.1}%), regions {}/{r} ({:.1}%)",
            l - lm.min(l),
            100.0 * (l - lm.min(l)) as f64 / l.max(1) as f64,
            r - rm.min(r),
            100.0 * (r - rm.min(r)) as f64 / r.max(1) as f64,
        )),
        _ => bail!("unexpected llvm-cov TOTAL line: {total}"),
    }
}

fn find_llvm_cov(sysroot: &Path) -> Option<PathBuf> {
    let lib = sysroot.join("lib/rustlib");
    std::fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/llvm-cov"))
        .find(|p| p.is_file())
}

fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .args(["+nightly", "-vV"])
        .output()
        .context("rustc +nightly -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV printed no host line")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Each target has a dictionary file or a family one, except the binary and structured
    /// ones; and every dictionary named exists.
    #[test]
    fn every_text_target_has_a_dictionary() {
        let targets = all_targets(&root()).expect("fuzz targets");
        assert!(targets.len() >= 20, "{targets:?}");
        let binary = ["buildinfo", "inspect_binary", "zip_hash", "zip_oracle"];
        for t in targets.iter().filter(|t| !binary.contains(&t.as_str())) {
            assert!(dict_for(&root(), t).is_some(), "{t} has no dictionary");
        }
    }

    /// Every target file is declared as a [[bin]] of fuzz/Cargo.toml (cargo fuzz builds
    /// only those), and the seed script seeds every target but the structured one.
    #[test]
    fn targets_are_declared_and_seeded() {
        let manifest =
            std::fs::read_to_string(root().join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
        let seeds = std::fs::read_to_string(root().join("fuzz/seeds.py")).expect("seeds.py");
        let targets = all_targets(&root()).expect("fuzz targets");
        for t in &targets {
            assert!(
                manifest.contains(&format!("path = \"fuzz_targets/{t}.rs\"")),
                "{t} not in fuzz/Cargo.toml"
            );
            if t != "zip_oracle" {
                assert!(seeds.contains(&format!("\"{t}\"")), "{t} not seeded");
            }
        }
    }
}

//! What the extension costs a machine under osquery's scheduler: its RSS, and per query its
//! CPU time and wall time, cold (a `gohost run` behind it) and cached. Every workspace plugin
//! is loaded. Prints a Markdown table for BENCHMARKS.md.
//!
//! `cargo bench -p gohost-osquery --bench query_cost` (debug binaries from the e2e build), or
//! with `GOHOST_OSQUERY_DIR=<dir with gohost, gohost-osquery and the plugins>` for a release
//! build (e.g. `target/xtask-dist/<triple>/release` after `cargo xtask dist`).
//! `GOHOST_OSQUERY_BENCH_QUERIES` sets the number of cached queries (default 1000).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::*;
use gohost_e2e::plugin_dir;
use serde_json::json;

/// utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15), and of its
/// waited-for children (cutime + cstime, fields 16 and 17): the gohost runs it started.
fn cpu_seconds(pid: u32) -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return (f64::NAN, f64::NAN);
    };
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return (f64::NAN, f64::NAN);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // SAFETY: sysconf has no memory effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    // After the ')': state (field 3) is index 0, so utime (field 14) is index 11.
    ((ticks(11) + ticks(12)) / hz, (ticks(13) + ticks(14)) / hz)
}

fn hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("GOHOST_OSQUERY_BENCH_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let plugins = [
        "arch",
        "toolchain",
        "cgo",
        "sumdb",
        "powermetrics",
        "ane",
        "scheduler",
    ];
    let files: Vec<_> = plugins.iter().map(|p| plugin_file(p)).collect();
    let dir = plugin_dir(&files);
    let mut fleet = Fleet::start(dir.path(), &[], &[]);
    let pid = fleet.ext_pid();
    // The extension prefetches `gohost run all` at start; wait for it so "cold" below is a
    // constrained query's own run.
    let started = Instant::now();
    let all = fleet.select("gohost_findings", &["check_id"], json!({}));
    let prefetch_wait = started.elapsed();
    assert_eq!(all["code"], 0, "{all}");
    let rss_idle = rss_kib(pid);

    // Cold: a selection not cached yet runs gohost (list is cached by the prefetch).
    let cpu0 = cpu_seconds(pid);
    let started = Instant::now();
    let cold = fleet.select(
        "gohost_findings",
        &["check_id"],
        json!({"plugin": "toolchain"}),
    );
    let cold_wall = started.elapsed();
    let cpu1 = cpu_seconds(pid);
    let (cold_cpu, cold_children) = (cpu1.0 - cpu0.0, cpu1.1 - cpu0.1);
    assert_eq!(cold["code"], 0, "{cold}");

    // Cached: n queries of the whole table.
    let cpu0 = cpu_seconds(pid);
    let started = Instant::now();
    let r = fleet.ask(json!({"cmd": "repeat", "table": "gohost_findings", "n": n}));
    let cached_wall = started.elapsed();
    let cached_cpu = cpu_seconds(pid).0 - cpu0.0;
    assert_eq!(r["ok"], n, "{r}");
    let rows = all["rows"].as_array().map_or(0, Vec::len);

    println!("| figure | value |");
    println!("|---|---|");
    println!("| plugins / findings | {} / {rows} |", plugins.len());
    println!(
        "| first query after start (waits for the prefetched `gohost run all`) | {:.0} ms |",
        prefetch_wait.as_secs_f64() * 1000.0
    );
    println!(
        "| RSS after start and the first query | {:.1} MiB |",
        rss_idle as f64 / 1024.0
    );
    println!(
        "| cold query (`WHERE plugin = 'toolchain'`, runs gohost): wall / extension CPU / gohost's CPU | {:.0} ms / {:.1} ms / {:.0} ms |",
        cold_wall.as_secs_f64() * 1000.0,
        cold_cpu * 1000.0,
        cold_children * 1000.0
    );
    println!(
        "| cached query (whole table, {n} in a row): wall / extension CPU per query | {:.2} ms / {:.2} ms |",
        cached_wall.as_secs_f64() * 1000.0 / n as f64,
        cached_cpu * 1000.0 / n as f64
    );
    println!(
        "| RSS after {n} more queries / peak (VmHWM) | {:.1} MiB / {:.1} MiB |",
        rss_kib(pid) as f64 / 1024.0,
        hwm_kib(pid) as f64 / 1024.0
    );
}

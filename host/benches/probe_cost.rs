//! What each probe costs a plugin, and what it adds to a `--record` snapshot, written down
//! in docs/plugin-authoring.md ("Probe cost and snapshot size") — measured, never asserted.
//!
//! Cost: the median wall time of one call through the plugin-side `Ctx`, over the host's own
//! context (`gohost::harness`: the ABI vtable, `HostCtx`, the live probe backend), on this
//! machine, for a typical argument. Size: the bytes one answer adds to a snapshot, as the
//! recorder writes it (the record serialized like `Snapshot::to_json`, pretty-printed).
//!
//! Run: `cargo bench -p gohost --bench probe_cost --features harness`.

use std::time::{Duration, Instant};

use gohost::harness::Harness;
use gohost_plugin_api::snapshot::{Answer, Bytes, ExecAnswer, ProbeRecord};
use gohost_plugin_api::Ctx;

/// Median and spread (min, max) of `rounds` calls of `f`, in microseconds.
fn measure(rounds: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..rounds.min(10) {
        f(); // warm the page cache and the dentry cache, as a check's second call sees them
    }
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (
        us(samples[samples.len() / 2]),
        us(samples[0]),
        us(samples[samples.len() - 1]),
    )
}

fn size(record: &ProbeRecord) -> usize {
    serde_json::to_string_pretty(record).map_or(0, |s| s.len())
}

fn row(probe: &str, what: &str, (median, min, max): (f64, f64, f64), bytes: usize) {
    println!("| `{probe}` | {what} | {median:.1} | {min:.1}–{max:.1} | {bytes} |");
}

fn main() {
    let temp = tempfile::tempdir().expect("tempdir");
    let big = temp.path().join("big.bin");
    // Every byte value: not UTF-8, so recorded as base64 (4 bytes per 3).
    let bytes: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    std::fs::write(&big, bytes).expect("write");
    let big = big.to_string_lossy().into_owned();
    let harness = Harness::new().with_setting("bench", "mode", "\"fast\"");

    println!("| probe | argument | median µs | min–max µs | snapshot bytes |");
    println!("| --- | --- | --- | --- | --- |");
    harness.with_ctx("bench", |ctx: &Ctx<'_>| {
        let out = ctx.run(&["true"]).expect("true runs");
        let exec = ProbeRecord::Exec {
            argv: vec!["true".into()],
            env: Vec::new(),
            clear_env: false,
            cwd: None,
            result: Answer::Ok(ExecAnswer::from(out.raw.clone())),
            source: None,
        };
        row(
            "exec",
            "`true` (spawn, wait)",
            measure(50, || {
                let _ = ctx.run(&["true"]);
            }),
            size(&exec),
        );
        let uname = ctx.run(&["uname", "-m"]).expect("uname runs");
        let uname_rec = ProbeRecord::Exec {
            argv: vec!["uname".into(), "-m".into()],
            env: Vec::new(),
            clear_env: false,
            cwd: None,
            result: Answer::Ok(ExecAnswer::from(uname.raw.clone())),
            source: None,
        };
        row(
            "exec",
            "`uname -m`",
            measure(50, || {
                let _ = ctx.run(&["uname", "-m"]);
            }),
            size(&uname_rec),
        );

        let name = "kernel.ostype";
        let value = ctx.sysctl(name).unwrap_or_default();
        row(
            "sysctl",
            name,
            measure(2000, || {
                let _ = ctx.sysctl(name);
            }),
            size(&ProbeRecord::Sysctl {
                name: name.into(),
                result: Answer::Ok(value),
                source: None,
            }),
        );

        let path = "/etc/os-release";
        let bytes = ctx.read_file(path).unwrap_or_default();
        row(
            "read_file",
            "`/etc/os-release` (whole)",
            measure(2000, || {
                let _ = ctx.read_file(path);
            }),
            size(&ProbeRecord::ReadFile {
                path: path.into(),
                result: Answer::Ok(Bytes(bytes)),
                source: None,
            }),
        );

        let chunk = ctx.read_file_at(&big, 512 << 10, 4096).unwrap_or_default();
        row(
            "read_file_at",
            "4 KiB at 512 KiB of a 1 MiB file (binary: base64)",
            measure(2000, || {
                let _ = ctx.read_file_at(&big, 512 << 10, 4096);
            }),
            size(&ProbeRecord::ReadFileAt {
                path: big.clone(),
                offset: 512 << 10,
                result: Answer::Ok(Bytes(chunk)),
                source: None,
            }),
        );
        let chunk = ctx.read_file_at(&big, 0, 256 << 10).unwrap_or_default();
        row(
            "read_file_at",
            "256 KiB chunk (binary: base64)",
            measure(200, || {
                let _ = ctx.read_file_at(&big, 0, 256 << 10);
            }),
            size(&ProbeRecord::ReadFileAt {
                path: big.clone(),
                offset: 0,
                result: Answer::Ok(Bytes(chunk)),
                source: None,
            }),
        );

        for dir in ["/etc", "/usr/bin"] {
            let entries = ctx.read_dir(dir).unwrap_or_default();
            let n = entries.len();
            row(
                "read_dir",
                &format!("`{dir}` ({n} entries)"),
                measure(200, || {
                    let _ = ctx.read_dir(dir);
                }),
                size(&ProbeRecord::ReadDir {
                    path: dir.into(),
                    result: Answer::Ok(entries),
                    source: None,
                }),
            );
        }

        let path = "/usr/bin/env";
        let info = ctx.file_info(path).expect("lstat /usr/bin/env");
        row(
            "file_info",
            "`/usr/bin/env` (lstat + readlink + realpath)",
            measure(2000, || {
                let _ = ctx.file_info(path);
            }),
            size(&ProbeRecord::FileInfo {
                path: path.into(),
                result: Answer::Ok(info),
                source: None,
            }),
        );
        let id = ctx.file_identity(path).expect("lstat /usr/bin/env");
        row(
            "file_identity",
            "`/usr/bin/env` (lstat)",
            measure(2000, || {
                let _ = ctx.file_identity(path);
            }),
            size(&ProbeRecord::FileIdentity {
                path: path.into(),
                result: Answer::Ok(id),
                source: None,
            }),
        );

        let home = ctx.env("HOME");
        row(
            "env",
            "`HOME`",
            measure(2000, || {
                let _ = ctx.env("HOME");
            }),
            size(&ProbeRecord::Env {
                name: "HOME".into(),
                value: home,
                source: None,
            }),
        );
        let found = ctx.which_all("sh");
        row(
            "which",
            "`sh`",
            measure(2000, || {
                let _ = ctx.which_all("sh");
            }),
            size(&ProbeRecord::Which {
                name: "sh".into(),
                found,
                source: None,
            }),
        );
        let value = ctx.setting("mode").expect("setting");
        row(
            "plugin_setting",
            "`mode = \"fast\"`",
            measure(2000, || {
                let _ = ctx.setting("mode");
            }),
            size(&ProbeRecord::PluginSetting {
                plugin: "bench".into(),
                key: "mode".into(),
                value,
                source: None,
            }),
        );
    });
}

//! `powermetrics.benchmark-ready`: the other observations combined.
//!
//! The observations are gathered again here (the checks are independent functions and a
//! plugin keeps no state between them); on Linux that is a few file reads, on macOS a few
//! short commands.

use gohost_plugin_api::{Ctx, Finding, Status};

use crate::{is_macos, linux, macos, Obs};

pub fn verdict(ctx: &Ctx<'_>) -> Finding {
    let mac = is_macos(ctx);
    let mut obs: Vec<(&str, &str, Obs)> = if mac {
        vec![
            ("thermal", "powermetrics.thermal", macos::thermal(ctx)),
            (
                "memory",
                "powermetrics.memory-pressure",
                macos::memory_pressure(ctx),
            ),
            (
                "power source",
                "powermetrics.power-source",
                macos::power_source(ctx),
            ),
            (
                "low power mode",
                "powermetrics.low-power-mode",
                macos::low_power_mode(ctx),
            ),
        ]
    } else {
        vec![
            ("thermal", "powermetrics.thermal", linux::thermal(ctx)),
            (
                "memory",
                "powermetrics.memory-pressure",
                linux::memory_pressure(ctx),
            ),
            ("load", "powermetrics.cpu-load", linux::cpu_load(ctx)),
            (
                "power source",
                "powermetrics.power-source",
                linux::power_source(ctx),
            ),
            (
                "platform profile",
                "powermetrics.low-power-mode",
                linux::low_power_mode(ctx),
            ),
            (
                "cpufreq",
                "powermetrics.cpu-frequency",
                linux::cpu_frequency(ctx),
            ),
            (
                "cgroup",
                "powermetrics.cgroup-throttling",
                linux::cgroup_throttling(ctx),
            ),
        ]
    };
    // The root sample is only taken when allowed; it answers the thermal pressure question.
    if mac && (ctx.options().allow_root || root_cheaply_known(ctx)) {
        let sample = macos::power_sample(ctx);
        if sample.unknown.is_none() {
            if let Some((_, _, t)) = obs.iter_mut().find(|(n, _, _)| *n == "thermal") {
                t.unknown = None;
            }
        }
        obs.push(("powermetrics sample", "powermetrics.power-sample", sample));
    }
    if ctx.options().deep && !ctx.options().replay {
        obs.push(("run-to-run noise", "powermetrics.benchmark-ready", noise()));
    }
    let blockers: Vec<String> = obs
        .iter()
        .filter_map(|(_, _, o)| o.blocker.clone())
        .collect();
    let unknown: Vec<String> = obs
        .iter()
        .filter_map(|(_, _, o)| o.unknown.clone())
        .collect();
    let mut f = if !blockers.is_empty() {
        Finding::warn(format!("Not ready to benchmark: {}", blockers.join("; ")))
            .detail("Numbers measured now would be lower or noisier than this machine can give. Fix the reasons, then re-check.")
            .remediation("See the individual powermetrics findings for the exact commands, then re-check:", ["gohost run powermetrics scheduler"])
    } else if !unknown.is_empty() {
        Finding::info(format!(
            "No reason found not to benchmark, but not verified: {}",
            unknown.join("; ")
        ))
        .detail("Every input gohost could read is fine; the ones listed could not be read here.")
    } else {
        Finding::pass(
            "Ready to benchmark: no throttling, pressure, battery or power-saving mode found",
        )
    };
    for (name, check, o) in &obs {
        let state = match (&o.blocker, &o.unknown, o.finding.status) {
            (Some(b), _, _) => format!("not ready: {b}"),
            (None, Some(u), _) => format!("unknown: {u}"),
            (None, None, Status::Skip) => format!("skipped: {}", o.finding.title),
            _ => format!("ok: {}", o.finding.title),
        };
        f = f.evidence(*name, state, *check);
    }
    f
}

/// In a replay or live run as root, `id -u` tells whether the sample can be taken without sudo.
fn root_cheaply_known(ctx: &Ctx<'_>) -> bool {
    macos::run(ctx, &["id", "-u"], std::time::Duration::from_secs(5))
        .map(|o| o.success() && o.stdout.trim() == "0")
        .unwrap_or(false)
}

/// With --deep: five short in-process integer loops; a spread above 5% means noisy numbers.
/// (The same measurement as scheduler.deep-run's unpinned case; plugins share no code.)
fn noise() -> Obs {
    let mut samples: Vec<std::time::Duration> = (0..5)
        .map(|_| {
            let start = std::time::Instant::now();
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            for i in 0..5_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
            }
            std::hint::black_box(x);
            start.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[2].as_secs_f64();
    let spread = if median > 0.0 {
        (samples[4] - samples[0]).as_secs_f64() / median * 100.0
    } else {
        0.0
    };
    let title = format!(
        "median {:.1} ms over 5 runs, spread {spread:.1}%",
        median * 1000.0
    );
    let f = Finding::info(title.clone()).evidence(
        "spread %",
        format!("{spread:.1}"),
        "in-process integer loop",
    );
    if spread > 5.0 {
        Obs::new(f).blocker(format!(
            "run-to-run spread {spread:.1}% (--deep measurement)"
        ))
    } else {
        Obs::new(f)
    }
}

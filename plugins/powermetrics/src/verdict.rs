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

//! `powermetrics.thermal`: is the CPU throttled by heat or power limits now (macOS), or has it
//! been since boot (Linux)?

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{cannot, cpu_dirs, list, read, say, Read, Said};
use crate::{is_macos, Obs};

use super::power_sample::MANUAL;

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// `pmset -g therm`.
    Mac { therm: Said },
    /// Per CPU: (name, core_throttle_count, package_throttle_count).
    Linux { counters: Vec<(String, Read, Read)> },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return Observations::Mac {
            therm: say(ctx, &["pmset", "-g", "therm"]),
        };
    }
    let counters = cpu_dirs(&list(ctx, "/sys/devices/system/cpu"))
        .into_iter()
        .map(|cpu| {
            let base = format!("/sys/devices/system/cpu/{cpu}/thermal_throttle");
            let core = read(ctx, &format!("{base}/core_throttle_count"));
            let package = read(ctx, &format!("{base}/package_throttle_count"));
            (cpu, core, package)
        })
        .collect();
    Observations::Linux { counters }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac { therm } => mac(therm),
        Observations::Linux { counters } => linux(counters),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn mac(therm: &Said) -> Obs {
    let text = match therm {
        Ok(t) => t,
        Err(e) => return cannot("the thermal state", e.clone()),
    };
    let t = parse::pmset_therm(text);
    let mut f;
    let speed = t.limits.get("CPU_Speed_Limit").copied();
    let sched = t.limits.get("CPU_Scheduler_Limit").copied();
    match (speed, sched) {
        (Some(s), Some(c)) if s < 100 || c < 100 => {
            f = Finding::warn(format!(
                "The CPU is thermally throttled: speed limit {s}%, scheduler limit {c}%"
            ))
            .detail("macOS reports the CPU running below full speed because of heat or power limits; benchmark numbers now are lower and unstable.")
            .remediation(
                "Let the machine cool down (close heavy apps, ensure airflow), then re-check.",
                ["pmset -g therm", "gohost run powermetrics"],
            );
            for (k, v) in &t.limits {
                f = f.evidence(k, v.to_string(), "pmset -g therm");
            }
            Obs::new(f).blocker(format!("CPU throttled (CPU_Speed_Limit {s}%)"))
        }
        (Some(s), _) => {
            f = Finding::pass(format!("No thermal throttling (CPU_Speed_Limit {s}%)"));
            for (k, v) in &t.limits {
                f = f.evidence(k, v.to_string(), "pmset -g therm");
            }
            Obs::new(f)
        }
        _ if !t.warnings.is_empty() => {
            f = Finding::warn("pmset reports a thermal or performance warning")
                .detail(t.warnings.join("; "))
                .evidence("warnings", t.warnings.join("; "), "pmset -g therm")
                .remediation(
                    "Let the machine cool down, then re-check.",
                    ["pmset -g therm"],
                );
            Obs::new(f).blocker("a thermal/performance warning level is recorded")
        }
        _ => {
            f = Finding::info("pmset reports no thermal or performance warning; no CPU limits to read")
                .detail("`pmset -g therm` prints only notes here (as on Apple Silicon), so the thermal pressure level is unknown without the root-only powermetrics sample.")
                .evidence("notes", t.notes.join("; "), "pmset -g therm")
                .remediation(
                    "Read the thermal pressure level with powermetrics (root):",
                    [MANUAL],
                );
            Obs::new(f).unknown("thermal pressure (needs the root-only powermetrics sample)")
        }
    }
}

fn linux(counters: &[(String, Read, Read)]) -> Obs {
    let mut core = 0u64;
    let mut package = 0u64;
    let mut seen = 0;
    for (_, c, p) in counters {
        if let Some(c) = c.text().and_then(|s| s.parse::<u64>().ok()) {
            core += c;
            seen += 1;
        }
        if let Some(p) = p.text().and_then(|s| s.parse::<u64>().ok()) {
            package = package.max(p);
        }
    }
    if seen == 0 {
        return Obs::new(
            Finding::info("No thermal throttle counters on this machine")
                .detail("/sys/devices/system/cpu/cpuN/thermal_throttle does not exist (not an Intel CPU with the therm_throt driver, or a virtual machine); throttling cannot be read here.")
                .evidence("thermal_throttle", "(absent)", "/sys/devices/system/cpu/cpuN/thermal_throttle"),
        )
        .unknown("thermal throttling (no counters)");
    }
    let src = "/sys/devices/system/cpu/cpuN/thermal_throttle/{core,package}_throttle_count";
    let f = if core + package > 0 {
        Finding::info(format!("Thermal throttling happened since boot: {core} core and {package} package events"))
            .detail("These counters only grow; compare them before and after a benchmark to see whether it was throttled.")
    } else {
        Finding::pass("No thermal throttling since boot")
    };
    Obs::new(
        f.evidence("core_throttle_count (sum)", core.to_string(), src)
            .evidence("package_throttle_count", package.to_string(), src),
    )
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

inventory::submit! { Check { id: "powermetrics.thermal", title: "Thermal throttling", tags: &["hardware", "benchmark"], needs: Needs::NONE, run,
explain: "macOS: `pmset -g therm` — on Intel Macs CPU_Speed_Limit / CPU_Scheduler_Limit below 100 mean the CPU is throttled now; Apple Silicon prints only notes there, so its thermal pressure comes from the root-only powermetrics sample (`powermetrics.power-sample`). Linux: the per-CPU `thermal_throttle/{core,package}_throttle_count` counters (since boot)." } }

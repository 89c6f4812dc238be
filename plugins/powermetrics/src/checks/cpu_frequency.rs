//! `powermetrics.cpu-frequency`: the Linux cpufreq policy (governor, driver, turbo/boost).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::probe::{cpu_dirs, list, read, Read};
use crate::{is_macos, Obs};

const BOOST: &str = "/sys/devices/system/cpu/cpufreq/boost";
const NO_TURBO: &str = "/sys/devices/system/cpu/intel_pstate/no_turbo";

/// One CPU's cpufreq files.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub cpu: String,
    pub governor: Read,
    pub driver: Read,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac,
    Linux {
        policies: Vec<Policy>,
        boost: Read,
        no_turbo: Read,
    },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return Observations::Mac;
    }
    let policies = cpu_dirs(&list(ctx, "/sys/devices/system/cpu"))
        .into_iter()
        .map(|cpu| {
            let base = format!("/sys/devices/system/cpu/{cpu}/cpufreq");
            Policy {
                governor: read(ctx, &format!("{base}/scaling_governor")),
                driver: read(ctx, &format!("{base}/scaling_driver")),
                cpu,
            }
        })
        .collect();
    Observations::Linux {
        policies,
        boost: read(ctx, BOOST),
        no_turbo: read(ctx, NO_TURBO),
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac => Obs::new(
            Finding::skip("macOS has no cpufreq interface")
                .detail("Cluster frequencies and residency come from the root-only powermetrics sample (powermetrics.power-sample)."),
        ),
        Observations::Linux {
            policies,
            boost,
            no_turbo,
        } => linux(policies, boost, no_turbo),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn linux(policies: &[Policy], boost: &Read, no_turbo: &Read) -> Obs {
    let governors: Vec<(&str, &str)> = policies
        .iter()
        .filter_map(|p| Some((p.cpu.as_str(), p.governor.text()?)))
        .collect();
    let driver = policies.iter().find_map(|p| p.driver.text());
    if governors.is_empty() {
        return Obs::new(
            Finding::info("No cpufreq on this machine (virtual machine or fixed frequency)")
                .detail("/sys/devices/system/cpu/cpuN/cpufreq does not exist, so the frequency policy is not visible here (in a VM the host decides).")
                .evidence("cpufreq", "(absent)", "/sys/devices/system/cpu/cpuN/cpufreq"),
        );
    }
    let mut distinct: Vec<String> = governors.iter().map(|(_, g)| (*g).to_owned()).collect();
    distinct.sort();
    distinct.dedup();
    let boost = boost
        .text()
        .map(|b| (if b == "1" { "on" } else { "off" }, BOOST))
        .or_else(|| {
            no_turbo
                .text()
                .map(|n| (if n == "0" { "on" } else { "off" }, NO_TURBO))
        });
    let all_perf = distinct == ["performance"];
    let title = format!(
        "cpufreq governor {} (driver {}){}",
        distinct.join("/"),
        driver.unwrap_or("unknown"),
        boost
            .map(|(b, _)| format!(", turbo/boost {b}"))
            .unwrap_or_default()
    );
    let mut f = if all_perf {
        Finding::pass(title)
    } else {
        Finding::warn(title)
            .detail("A governor other than `performance` changes frequency with load, so the first iterations of a benchmark run slower and results vary. (With intel_pstate in active mode, `powersave` is its dynamic default.)")
            .remediation("For benchmark runs, use the performance governor:", ["sudo cpupower frequency-set -g performance"])
    };
    f = f
        .evidence(
            "governors",
            distinct.join(", "),
            "/sys/devices/system/cpu/cpuN/cpufreq/scaling_governor",
        )
        .evidence(
            "driver",
            driver.unwrap_or_default(),
            "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver",
        );
    if let Some((b, src)) = boost {
        f = f.evidence("turbo/boost", b, src);
    }
    let obs = Obs::new(f);
    if all_perf {
        obs
    } else {
        obs.blocker(format!("cpufreq governor `{}`", distinct.join("/")))
    }
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

inventory::submit! { Check { id: "powermetrics.cpu-frequency", title: "CPU frequency policy", tags: &["hardware", "benchmark"], needs: Needs::NONE, run,
explain: "Linux: the cpufreq scaling driver and governor of every CPU and whether turbo/boost is on (`/sys/devices/system/cpu/cpufreq/boost`, `intel_pstate/no_turbo`). A governor other than `performance` ramps frequency with load, which adds warm-up noise. macOS has no cpufreq interface; cluster frequencies come from the powermetrics sample." } }

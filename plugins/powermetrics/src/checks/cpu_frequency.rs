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
    let failed: Vec<&str> = policies
        .iter()
        .filter(|p| matches!(p.governor, Read::Failed(_)))
        .map(|p| p.cpu.as_str())
        .collect();
    if governors.is_empty() {
        // No policy to judge is never a pass (issue 13 section 2): the verdict counts the
        // frequency policy as not verified.
        if !failed.is_empty() || policies.is_empty() {
            return Obs::new(
                Finding::skip("Could not read the cpufreq governors").detail(format!(
                    "scaling_governor could not be read for {}",
                    if failed.is_empty() {
                        "any CPU (no CPUs listed)".to_owned()
                    } else {
                        failed.join(", ")
                    }
                )),
            )
            .unknown("CPU frequency policy (cpufreq not read)");
        }
        return Obs::new(
            Finding::info("No cpufreq on this machine (virtual machine or fixed frequency)")
                .detail("/sys/devices/system/cpu/cpuN/cpufreq does not exist, so the frequency policy is not visible here (in a VM the host decides).")
                .evidence("cpufreq", "(does not exist)", "/sys/devices/system/cpu/cpuN/cpufreq"),
        )
        .unknown("CPU frequency policy (no cpufreq)");
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
    let mut f = if all_perf && !failed.is_empty() {
        Finding::info(format!("{title}; not read for {}", failed.join(", ")))
    } else if all_perf {
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
            driver.unwrap_or("(could not read)"),
            "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver",
        );
    if let Some((b, src)) = boost {
        f = f.evidence("turbo/boost", b, src);
    }
    let obs = Obs::new(f);
    if all_perf && !failed.is_empty() {
        obs.unknown(format!("cpufreq governor of {}", failed.join(", ")))
    } else if all_perf {
        obs
    } else {
        obs.blocker(format!("cpufreq governor `{}`", distinct.join("/")))
    }
}

inventory::submit! { Check { id: "powermetrics.cpu-frequency", title: "CPU frequency policy", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "Linux: the cpufreq scaling driver and governor of every CPU and whether turbo/boost is on (`/sys/devices/system/cpu/cpufreq/boost`, `intel_pstate/no_turbo`). A governor other than `performance` ramps frequency with load, which adds warm-up noise. macOS has no cpufreq interface; cluster frequencies come from the powermetrics sample." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    #[test]
    fn linux_table() {
        let t = |s: &str| Read::Text(format!("{s}\n"));
        let pol = |g: Read| Policy {
            cpu: "cpu0".into(),
            governor: g,
            driver: t("intel_pstate"),
        };
        let rows: Vec<(Vec<Policy>, Status, bool, bool)> = vec![
            (vec![pol(t("performance"))], Status::Pass, false, false),
            (vec![pol(t("powersave"))], Status::Warn, true, false),
            // Issue 13 section 2: no cpufreq is not verified, never a pass.
            (vec![pol(Read::Absent)], Status::Info, false, true),
            (
                vec![pol(Read::Failed("not recorded".into()))],
                Status::Skip,
                false,
                true,
            ),
            (Vec::new(), Status::Skip, false, true),
            (
                vec![
                    pol(t("performance")),
                    Policy {
                        cpu: "cpu1".into(),
                        governor: Read::Failed("denied".into()),
                        driver: Read::Absent,
                    },
                ],
                Status::Info,
                false,
                true,
            ),
        ];
        assert_eq!(rows.len(), 6);
        for (policies, status, blocker, unknown) in rows {
            let o = assess(&Observations::Linux {
                policies: policies.clone(),
                boost: Read::Absent,
                no_turbo: t("0"),
            });
            assert_eq!(o.finding.status, status, "{policies:?}");
            assert_eq!(o.blocker.is_some(), blocker, "{policies:?}");
            assert_eq!(o.unknown.is_some(), unknown, "{policies:?}");
        }
    }
}

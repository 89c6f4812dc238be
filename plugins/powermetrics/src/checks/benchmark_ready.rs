//! `powermetrics.benchmark-ready`: the other observations combined into one verdict.
//!
//! The observations are gathered again here (the checks are independent functions); on Linux
//! that is a few file reads, on macOS a few short commands. The exception is the CPU-load
//! window, which `cpu_load::gather` takes once per plugin run (`Ctx::run_memo`) instead of
//! sleeping through a second 250 ms window.

use std::time::{Duration, Instant};

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, Status};

use super::{
    cgroup_throttling, cpu_frequency, cpu_load, low_power_mode, memory_pressure, power_sample,
    power_source, thermal,
};
use crate::{is_macos, Obs};

/// One input of the verdict, as observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Thermal(thermal::Observations),
    Memory(memory_pressure::Observations),
    Load(cpu_load::Observations),
    PowerSource(power_source::Observations),
    LowPower(low_power_mode::Observations),
    Frequency(cpu_frequency::Observations),
    Cgroup(cgroup_throttling::Observations),
    Sample(power_sample::Observations),
    /// With --deep: the durations of five in-process loops.
    Noise(Vec<Duration>),
}

impl Part {
    fn assess(&self) -> Obs {
        match self {
            Part::Thermal(o) => thermal::assess(o),
            Part::Memory(o) => memory_pressure::assess(o),
            Part::Load(o) => cpu_load::assess(o),
            Part::PowerSource(o) => power_source::assess(o),
            Part::LowPower(o) => low_power_mode::assess(o),
            Part::Frequency(o) => cpu_frequency::assess(o),
            Part::Cgroup(o) => cgroup_throttling::assess(o),
            Part::Sample(o) => power_sample::assess(o),
            Part::Noise(d) => noise(d),
        }
    }
}

/// (evidence name, the check it comes from, what was observed)
#[derive(Debug, Clone, PartialEq)]
pub struct Observations {
    pub parts: Vec<(&'static str, &'static str, Part)>,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let mac = is_macos(ctx);
    let mut parts = vec![
        (
            "thermal",
            "powermetrics.thermal",
            Part::Thermal(thermal::gather(ctx)),
        ),
        (
            "memory",
            "powermetrics.memory-pressure",
            Part::Memory(memory_pressure::gather(ctx)),
        ),
    ];
    if !mac {
        parts.push((
            "load",
            "powermetrics.cpu-load",
            Part::Load(cpu_load::gather(ctx)),
        ));
    }
    parts.push((
        "power source",
        "powermetrics.power-source",
        Part::PowerSource(power_source::gather(ctx)),
    ));
    parts.push((
        if mac {
            "low power mode"
        } else {
            "platform profile"
        },
        "powermetrics.low-power-mode",
        Part::LowPower(low_power_mode::gather(ctx)),
    ));
    if !mac {
        parts.push((
            "cpufreq",
            "powermetrics.cpu-frequency",
            Part::Frequency(cpu_frequency::gather(ctx)),
        ));
        parts.push((
            "cgroup",
            "powermetrics.cgroup-throttling",
            Part::Cgroup(cgroup_throttling::gather(ctx)),
        ));
    }
    // The root sample is only taken when allowed; it answers the thermal pressure question.
    if mac && (ctx.options().allow_root || power_sample::is_root(ctx).unwrap_or(false)) {
        parts.push((
            "powermetrics sample",
            "powermetrics.power-sample",
            Part::Sample(power_sample::gather_mac(ctx)),
        ));
    }
    if ctx.options().deep && !ctx.options().replay {
        parts.push((
            "run-to-run noise",
            "powermetrics.benchmark-ready",
            Part::Noise(measure()),
        ));
    }
    Observations { parts }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let mut assessed: Vec<(&str, &str, Obs)> = obs
        .parts
        .iter()
        .map(|(name, check, part)| (*name, *check, part.assess()))
        .collect();
    // The sample answers the Apple Silicon thermal-pressure question only when it carries a
    // `thermal_pressure` value: a sample without one (or no sample) leaves it unknown
    // (issue 13 section 2).
    let pressure_read = obs.parts.iter().any(|(_, _, p)| match p {
        Part::Sample(power_sample::Observations::Mac {
            root,
            allow_root,
            attempts,
        }) => power_sample::sample_of(root, *allow_root, attempts)
            .is_ok_and(|(s, _)| s.thermal_pressure.is_some()),
        _ => false,
    });
    if pressure_read {
        if let Some((_, _, t)) = assessed.iter_mut().find(|(n, _, _)| *n == "thermal") {
            if t.unknown
                .as_deref()
                .is_some_and(|u| u.starts_with("thermal pressure"))
            {
                t.unknown = None;
            }
        }
    }
    let blockers: Vec<String> = assessed
        .iter()
        .filter_map(|(_, _, o)| o.blocker.clone())
        .collect();
    let unknown: Vec<String> = assessed
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
    for (name, check, o) in &assessed {
        let state = match (&o.blocker, &o.unknown, o.finding.status) {
            (Some(b), _, _) => format!("not ready: {b}"),
            (None, Some(u), _) => format!("unknown: {u}"),
            (None, None, Status::Skip) => format!("skipped: {}", o.finding.title),
            _ => format!("ok: {}", o.finding.title),
        };
        f = f.evidence(*name, state, *check);
    }
    vec![f]
}

/// With --deep: five short in-process integer loops. (The same measurement as
/// scheduler.deep-run's unpinned case; plugins share no code.)
fn measure() -> Vec<Duration> {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            for i in 0..5_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
            }
            std::hint::black_box(x);
            start.elapsed()
        })
        .collect()
}

/// A spread above 5% of the median means noisy numbers.
fn noise(samples: &[Duration]) -> Obs {
    let mut samples = samples.to_vec();
    samples.sort();
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Obs::new(Finding::skip("No run-to-run measurement")).unknown("run-to-run noise");
    };
    let median = samples[samples.len() / 2].as_secs_f64();
    let spread = if median > 0.0 {
        (*last - *first).as_secs_f64() / median * 100.0
    } else {
        0.0
    };
    let title = format!(
        "median {:.1} ms over {} runs, spread {spread:.1}%",
        median * 1000.0,
        samples.len()
    );
    let f = Finding::info(title).evidence(
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

inventory::submit! { Check { id: "powermetrics.benchmark-ready", title: "Ready to benchmark", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "Combines the other powermetrics checks: pass only when every input was verified and none is a reason for noisy numbers (throttling, thermal pressure, Low Power Mode, battery, memory or CPU pressure, cgroup throttling, a frequency governor other than performance, and with the powermetrics sample a CPU cluster or the GPU more than 20% busy or the Neural Engine in use; on Linux a CPU more than 20% busy over 250 ms); warn naming the reasons with their numbers when not ready; info when nothing is wrong but some input could not be verified (e.g. thermal pressure on Apple Silicon without root, no cpufreq). With --deep it also times five short in-process loops and counts a run-to-run spread above 5% as a reason." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
#[allow(clippy::disallowed_methods)] // the table reads the real captures in ../shared/fixtures
mod tests {
    use super::*;
    use crate::checks::power_sample::tests::{plist, sampled, without};

    /// A quiet Apple Silicon Mac: notes-only pmset therm (as the real M1 Pro capture), the real
    /// Mac mini memory answers, AC power, Low Power Mode off, and then the given sample.
    fn mac(sample: Option<String>) -> Observations {
        let mut parts = vec![
            ("thermal", "powermetrics.thermal", Part::Thermal(thermal::Observations::Mac {
                therm: Ok("Note: No thermal warning level has been recorded\nNote: No performance warning level has been recorded\nNote: No CPU power status has been recorded\n".into()),
            })),
            ("memory", "powermetrics.memory-pressure", Part::Memory(memory_pressure::Observations::Mac {
                memory_pressure: Ok("System-wide memory free percentage: 88%\n".into()),
                vm_stat: Err("not asked".into()),
            })),
            ("power source", "powermetrics.power-source", Part::PowerSource(power_source::Observations::Mac {
                batt: Ok("Now drawing from 'AC Power'\n".into()),
            })),
            ("low power mode", "powermetrics.low-power-mode", Part::LowPower(low_power_mode::Observations::Mac {
                pmset: Ok(" lowpowermode         0\n".into()),
            })),
        ];
        if let Some(s) = sample {
            parts.push((
                "powermetrics sample",
                "powermetrics.power-sample",
                Part::Sample(sampled(&s)),
            ));
        }
        Observations { parts }
    }

    #[test]
    fn verdict_table() {
        let m1 = plist("m1-macbookpro17-1-powermetrics-plist.xml");
        // MADE UP from the real M1 sample: its E-Cluster at rest.
        let quiet = m1.replace("0.772993", "0.95");
        let rows: Vec<(Option<String>, Status, &str)> = vec![
            // No root sample: thermal pressure is not verified.
            (None, Status::Info, "No reason found not to benchmark, but not verified: thermal pressure (needs the root-only powermetrics sample)"),
            (Some(quiet.clone()), Status::Pass, "Ready to benchmark"),
            // Issue 13 section 2: a sample without thermal_pressure does not clear the unknown.
            (Some(without(&quiet, "thermal_pressure")), Status::Info, "No reason found not to benchmark, but not verified: thermal pressure (needs the root-only powermetrics sample); in the powermetrics sample: thermal_pressure"),
            // Issue 13 section 3: the real M4 Max sample, Nominal but with busy clusters.
            (Some(plist("m4max-mac16-5-powermetrics-plist-tasks-disk.xml")), Status::Warn, "Not ready to benchmark: E-Cluster 53.0% busy, P0-Cluster 72.8% busy, P1-Cluster 99.8% busy"),
            // MADE UP: the GPU 95% busy.
            (Some(quiet.replace("0.983341", "0.05")), Status::Warn, "Not ready to benchmark: GPU 95.0% busy (15 mW)"),
        ];
        assert_eq!(rows.len(), 5);
        for (i, (sample, status, title)) in rows.into_iter().enumerate() {
            let f = judge(&mac(sample));
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].status, status, "row {i}: {:#?}", f[0]);
            assert!(f[0].title.starts_with(title), "row {i}: {}", f[0].title);
        }
    }

    #[test]
    fn noise_table() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|m| Duration::from_millis(*m))
                .collect::<Vec<_>>()
        };
        assert_eq!(noise(&ms(&[100, 100, 101, 100, 100])).blocker, None);
        assert!(noise(&ms(&[100, 130, 100, 100, 100])).blocker.is_some());
        assert!(noise(&[]).unknown.is_some(), "no measurement is not a pass");
    }
}

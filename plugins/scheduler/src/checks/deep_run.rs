//! `scheduler.deep-run` (`--deep`): a short measured run per core class, bounded to about 1.5 s.

use std::time::{Duration, Instant};

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

use crate::cpulist::format_cpu_list;
use crate::topology::Topology;

const RUNS: usize = 5;
const BUDGET: Duration = Duration::from_millis(1500);
/// A POSIX shell loop: the same work for every class, run as a separate pinned process.
const SHELL_LOOP: &str = "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done";

/// Median and relative spread ((max - min) / median) of durations.
pub fn stats(samples: &mut [Duration]) -> Option<(Duration, f64)> {
    if samples.is_empty() {
        return None;
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let spread = samples[samples.len() - 1].saturating_sub(samples[0]);
    let rel = if median.is_zero() {
        0.0
    } else {
        spread.as_secs_f64() / median.as_secs_f64()
    };
    Some((median, rel))
}

/// An in-process integer loop whose result the optimizer cannot drop.
fn spin(iterations: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..iterations {
        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    x
}

fn measure_in_process(deadline: Instant) -> Vec<Duration> {
    let mut out = Vec::new();
    for _ in 0..RUNS {
        if Instant::now() > deadline {
            break;
        }
        let start = Instant::now();
        std::hint::black_box(spin(5_000_000));
        out.push(start.elapsed());
    }
    out
}

fn measure_pinned(ctx: &Ctx<'_>, cpu: u32, deadline: Instant) -> Result<Vec<Duration>, String> {
    let mut out = Vec::new();
    for _ in 0..RUNS {
        if Instant::now() > deadline {
            break;
        }
        let cmd = Command::new(["taskset", "-c", &cpu.to_string(), "sh", "-c", SHELL_LOOP])
            .timeout(Duration::from_secs(2));
        let start = Instant::now();
        let output = ctx.exec(&cmd).map_err(|e| format!("taskset: {e}"))?;
        let elapsed = start.elapsed();
        if !output.success() {
            return Err(format!(
                "`{}` ended with {}: {}",
                output.command_line(),
                output.describe_exit(),
                output.stderr.trim()
            ));
        }
        out.push(elapsed);
    }
    Ok(out)
}

/// One measured series: its label, how it was measured, and the durations or why none.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub how: String,
    pub samples: Result<Vec<Duration>, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// A replayed snapshot cannot be timed.
    Replay,
    Measured(Vec<Series>),
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if ctx.options().replay {
        return Observations::Replay;
    }
    let topo = Topology::gather(ctx);
    let deadline = Instant::now() + BUDGET;
    let linux = ctx.facts().os.as_str() == "linux";
    let mut series = Vec::new();
    let pinned = linux && topo.classes.len() > 1 && ctx.which("taskset").is_some();
    if pinned {
        for class in &topo.classes {
            let Some(&cpu) = class.cpus.first() else {
                continue;
            };
            series.push(Series {
                label: format!(
                    "{} (CPU {cpu} of {})",
                    class.name,
                    format_cpu_list(&class.cpus)
                ),
                how: format!("taskset -c {cpu} sh -c '{SHELL_LOOP}'"),
                samples: measure_pinned(ctx, cpu, deadline)
                    .map_err(|e| format!("Could not measure {}: {e}", class.name)),
            });
        }
    } else {
        let label = if topo.classes.len() > 1 {
            "all cores, unpinned (the OS chooses the core)".to_owned()
        } else {
            "all cores".to_owned()
        };
        series.push(Series {
            label,
            how: "in-process integer loop, 5,000,000 iterations".to_owned(),
            samples: Ok(measure_in_process(deadline)),
        });
    }
    Observations::Measured(series)
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    match obs {
        Observations::Replay => {
            vec![
                Finding::skip("Not measured: a replayed snapshot cannot be timed").detail(
                    "A measurement describes the machine it runs on, not the recorded one.",
                ),
            ]
        }
        Observations::Measured(series) => series
            .iter()
            .map(|s| match &s.samples {
                Ok(samples) => report(&s.label, &mut samples.clone(), &s.how),
                Err(e) => {
                    let (title, detail) = e.split_once(": ").unwrap_or((e.as_str(), ""));
                    Finding::error(title).detail(detail)
                }
            })
            .collect(),
    }
}

fn report(label: &str, samples: &mut [Duration], how: &str) -> Finding {
    let n = samples.len();
    let Some((median, spread)) = stats(samples) else {
        return Finding::skip(format!("{label}: no run finished within the time budget"));
    };
    let pct = spread * 100.0;
    let title = format!(
        "{label}: median {:.1} ms over {n} runs, spread {pct:.1}%",
        median.as_secs_f64() * 1000.0
    );
    let f = if pct > 5.0 {
        Finding::warn(title)
            .detail("Run-to-run spread above 5%: something else is using this CPU, or its frequency is changing; benchmark numbers now would be noisy.")
            .remediation(
                "Close busy programs, plug in power, and re-check.",
                ["gohost run scheduler powermetrics --deep"],
            )
    } else {
        Finding::pass(title).detail("Run-to-run spread at or below 5%.")
    };
    f.evidence(
        "median ms",
        format!("{:.3}", median.as_secs_f64() * 1000.0),
        how,
    )
    .evidence("spread %", format!("{pct:.1}"), how)
    .evidence("runs", n.to_string(), how)
}

inventory::submit! {
    Check {
        id: "scheduler.deep-run",
        title: "Measured speed and noise per core class",
        explain: "With `--deep`: on Linux with more than one core class and `taskset`, runs a fixed \
shell arithmetic loop five times pinned to the first CPU of each class; otherwise times five runs of \
an in-process integer loop, unpinned (the OS picks the core). Bounded to about 1.5 s in total, and reports the median time and run-to-run \
spread. A spread above 5% means benchmark numbers from this machine right now are noisy.",
        tags: &["benchmark", "slow"],
        needs: Needs { network: false, root: false, slow: true },
        run: |ctx| judge(&gather(ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    #[test]
    fn stats_median_and_spread() {
        let mut s = vec![
            Duration::from_millis(12),
            Duration::from_millis(10),
            Duration::from_millis(11),
        ];
        let (m, r) = stats(&mut s).expect("stats");
        assert_eq!(m, Duration::from_millis(11));
        assert!((r - 2.0 / 11.0).abs() < 1e-9);
        assert!(stats(&mut []).is_none());
    }

    #[test]
    fn judge_table() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|m| Duration::from_millis(*m))
                .collect::<Vec<_>>()
        };
        let series = |samples: Result<Vec<Duration>, String>| Series {
            label: "all cores".into(),
            how: "in-process integer loop".into(),
            samples,
        };
        let rows = vec![
            (Observations::Replay, Status::Skip),
            (
                Observations::Measured(vec![series(Ok(ms(&[10, 10, 10, 10, 10])))]),
                Status::Pass,
            ),
            (
                Observations::Measured(vec![series(Ok(ms(&[10, 13, 10, 10, 10])))]),
                Status::Warn,
            ),
            (
                Observations::Measured(vec![series(Ok(Vec::new()))]),
                Status::Skip,
            ),
            (
                Observations::Measured(vec![series(Err(
                    "Could not measure cpu_core: taskset: not found".into(),
                ))]),
                Status::Error,
            ),
        ];
        assert_eq!(rows.len(), 5);
        for (obs, status) in rows {
            let f = judge(&obs);
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].status, status, "{obs:?}");
        }
    }
}

//! `--deep`: a short measured run per core class, bounded to about a second.

use std::time::{Duration, Instant};

use gohost_plugin_api::{Command, Ctx, Finding};

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

pub fn findings(ctx: &Ctx<'_>) -> Vec<Finding> {
    let options = ctx.options();
    if options.replay {
        return vec![
            Finding::skip("Not measured: a replayed snapshot cannot be timed")
                .detail("A measurement describes the machine it runs on, not the recorded one."),
        ];
    }
    let topo = Topology::gather(ctx);
    let deadline = Instant::now() + BUDGET;
    let linux = ctx.facts().os.as_str() == "linux";
    let mut findings = Vec::new();
    let pinned = linux && topo.classes.len() > 1 && ctx.which("taskset").is_some();
    if pinned {
        for class in &topo.classes {
            let Some(&cpu) = class.cpus.first() else {
                continue;
            };
            match measure_pinned(ctx, cpu, deadline) {
                Ok(mut samples) => findings.push(report(
                    &format!(
                        "{} (CPU {cpu} of {})",
                        class.name,
                        format_cpu_list(&class.cpus)
                    ),
                    &mut samples,
                    &format!("taskset -c {cpu} sh -c '{SHELL_LOOP}'"),
                )),
                Err(e) => findings
                    .push(Finding::error(format!("Could not measure {}", class.name)).detail(e)),
            }
        }
    } else {
        let mut samples = measure_in_process(deadline);
        let label = if topo.classes.len() > 1 {
            "all cores, unpinned (the OS chooses the core)".to_owned()
        } else {
            "all cores".to_owned()
        };
        findings.push(report(
            &label,
            &mut samples,
            "in-process integer loop, 5,000,000 iterations",
        ));
    }
    findings
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

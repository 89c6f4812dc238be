//! `powermetrics.cpu-load`: is something else competing for the CPUs or disks now? Linux:
//! PSI plus how busy each CPU was over a short window (two `/proc/stat` readings).

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{read, Read};
use crate::{is_macos, Obs};

/// A CPU busier than this over the window is a reason not to benchmark now (issue 13 section 3,
/// the same 20% as for a Mac's clusters).
pub const BUSY: f64 = 0.20;
/// The window between the two `/proc/stat` readings: long enough for the kernel's 100 Hz
/// (USER_HZ) tick counters to move, short enough for a doctor's run.
pub const WINDOW: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac,
    Linux {
        cpu: Read,
        io: Read,
        /// `/proc/stat` before and after the window.
        stat: (Read, Read),
    },
}

/// The window's readings, taken once per plugin run: `cpu-load` and `benchmark-ready` both
/// judge load, and each used to sleep through a window of its own, one after the other (523 ms
/// of a 529 ms warm `run all`, BENCHMARKS.md, issue 14). Sharing one window within a run is
/// the same measurement a moment apart; nothing here outlives the run (the result cache never
/// holds a load reading: a cached "idle" would be a lie).
pub fn gather(ctx: &Ctx<'_>) -> Observations {
    Observations::clone(&ctx.run_memo(|| Memo(measure(ctx))).0)
}

/// The run's one reading (the `run_memo` key).
struct Memo(Observations);

fn measure(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return Observations::Mac;
    }
    let before = read(ctx, "/proc/stat");
    // A replay answers the second read from the snapshot: there is nothing to wait for.
    if !ctx.options().replay {
        std::thread::sleep(WINDOW);
    }
    let after = read(ctx, "/proc/stat");
    Observations::Linux {
        cpu: read(ctx, "/proc/pressure/cpu"),
        io: read(ctx, "/proc/pressure/io"),
        stat: (before, after),
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac => Obs::new(
            Finding::skip("macOS has no pressure-stall information (PSI)")
                .detail("The powermetrics sample's cluster residency (powermetrics.power-sample) shows how busy the CPU clusters are."),
        ),
        Observations::Linux { cpu, io, stat } => linux(cpu, io, stat),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn linux(cpu_file: &Read, io_file: &Read, stat: &(Read, Read)) -> Obs {
    let cpu = cpu_file.text().and_then(parse::psi);
    let io = io_file.text().and_then(parse::psi);
    // Per-CPU busy shares; empty when either reading is missing or no time passed between them
    // (as in a replay that recorded one answer): then busy-ness is unknown, never "idle".
    let busy: Vec<(String, f64)> = match (stat.0.text(), stat.1.text()) {
        (Some(a), Some(b)) => parse::busy_between(a, b),
        _ => Vec::new(),
    };
    let per_cpu: Vec<&(String, f64)> = busy.iter().filter(|(n, _)| n != "cpu").collect();
    if cpu.is_none() && io.is_none() && per_cpu.is_empty() {
        return Obs::new(
            Finding::skip("No pressure-stall information (PSI) and no CPU usage sample")
                .detail("/proc/pressure needs Linux 4.20+ with CONFIG_PSI (and psi=1 where it is off by default); two /proc/stat readings gave no usable difference."),
        )
        .unknown("competing load (no PSI, no /proc/stat sample)");
    }
    let mut reasons = Vec::new();
    if let Some((s, _)) = cpu {
        if s > 10.0 {
            reasons.push(format!("tasks waited for a CPU {s}% of the last 10 s"));
        }
    }
    if let Some((s, _)) = io {
        if s > 10.0 {
            reasons.push(format!("tasks waited for I/O {s}% of the last 10 s"));
        }
    }
    let busy_cpus: Vec<String> = per_cpu
        .iter()
        .filter(|(_, b)| *b > BUSY)
        .map(|(n, b)| format!("{n} {:.1}% busy", b * 100.0))
        .collect();
    if !busy_cpus.is_empty() {
        reasons.push(busy_cpus.join(", "));
    }
    let mut unknown = Vec::new();
    // A kernel without PSI (file absent) is a known state; an unreadable or unrecorded file is not.
    if cpu.is_none() && !matches!(cpu_file, Read::Absent) {
        unknown.push("PSI cpu");
    }
    if io.is_none() && !matches!(io_file, Read::Absent) {
        unknown.push("PSI io");
    }
    if per_cpu.is_empty() {
        unknown.push("per-CPU usage (/proc/stat)");
    }
    let fmt = |v: Option<(f64, Option<f64>)>| {
        v.map_or("(could not read)".to_owned(), |(s, _)| s.to_string())
    };
    let mut f = if !reasons.is_empty() {
        Finding::warn(format!("Competing load: {}", reasons.join("; ")))
            .detail("Other processes are using this machine's CPUs or disks; benchmark numbers now would be noisy.")
            .remediation("Find and stop the busy processes, then re-check.", ["top -o %CPU", "cat /proc/pressure/cpu /proc/pressure/io"])
    } else if !unknown.is_empty() {
        Finding::info(format!(
            "No competing load seen, but not read: {}",
            unknown.join(", ")
        ))
    } else {
        Finding::pass(format!(
            "No competing load: PSI cpu some avg10 {}, io some avg10 {}, no CPU above {:.0}% busy",
            fmt(cpu),
            fmt(io),
            BUSY * 100.0
        ))
    };
    f = f
        .evidence("cpu some avg10", fmt(cpu), "/proc/pressure/cpu")
        .evidence("io some avg10", fmt(io), "/proc/pressure/io");
    let window = format!("/proc/stat, two readings {} ms apart", WINDOW.as_millis());
    match busy.iter().find(|(n, _)| n == "cpu") {
        Some((_, b)) => f = f.evidence("all CPUs busy %", format!("{:.1}", b * 100.0), &window),
        None => f = f.evidence("all CPUs busy %", "(could not tell)", &window),
    }
    for (n, b) in &per_cpu {
        f = f.evidence(format!("{n} busy %"), format!("{:.1}", b * 100.0), &window);
    }
    let mut obs = Obs::new(f);
    if !reasons.is_empty() {
        obs = obs.blocker(format!("competing load ({})", reasons.join("; ")));
    } else if !unknown.is_empty() {
        obs = obs.unknown(format!("competing load ({} not read)", unknown.join(", ")));
    }
    obs
}

inventory::submit! { Check { id: "powermetrics.cpu-load", title: "Competing CPU and I/O load", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "Linux: PSI `/proc/pressure/cpu` and `/proc/pressure/io` (some avg10: the share of the last 10 s in which some task waited), and how busy each CPU was over 250 ms (two /proc/stat readings; busy = everything but idle and iowait, proc(5)). PSI above 10% or a CPU more than 20% busy means something else is competing with a benchmark. A missing reading is reported as not read, never as idle. macOS has no PSI; the powermetrics sample's cluster idle ratios show load there." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    #[test]
    fn linux_table() {
        let t = |s: &str| Read::Text(s.to_owned());
        // The PSI format of the kernel (Documentation/accounting/psi.rst); MADE UP values.
        let calm = "some avg10=0.50 avg60=0.40 avg300=0.10 total=100\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        let stalled = "some avg10=42.00 avg60=0.40 avg300=0.10 total=100\n";
        // MADE UP /proc/stat counters: cpu1 busy 90% between the two readings.
        let s0 = "cpu  100 0 0 100 0 0 0 0 0 0\ncpu0 50 0 0 50 0 0 0 0 0 0\ncpu1 50 0 0 50 0 0 0 0 0 0\n";
        let s1 = "cpu  195 0 0 205 0 0 0 0 0 0\ncpu0 55 0 0 145 0 0 0 0 0 0\ncpu1 140 0 0 60 0 0 0 0 0 0\n";
        let s1_idle = "cpu  102 0 0 298 0 0 0 0 0 0\ncpu0 51 0 0 149 0 0 0 0 0 0\ncpu1 51 0 0 149 0 0 0 0 0 0\n";
        let rows: Vec<(Read, Read, (Read, Read), Status, Option<&str>, bool)> = vec![
            (
                t(calm),
                t(calm),
                (t(s0), t(s1_idle)),
                Status::Pass,
                None,
                false,
            ),
            (
                t(calm),
                t(calm),
                (t(s0), t(s1)),
                Status::Warn,
                Some("cpu1 90.0% busy"),
                false,
            ),
            (
                t(stalled),
                t(calm),
                (t(s0), t(s1_idle)),
                Status::Warn,
                Some("tasks waited for a CPU 42% of the last 10 s"),
                false,
            ),
            // The same reading twice (no time passed): per-CPU use unknown, never idle.
            (t(calm), t(calm), (t(s0), t(s0)), Status::Info, None, true),
            (
                Read::Failed("not recorded".into()),
                t(calm),
                (t(s0), t(s1_idle)),
                Status::Info,
                None,
                true,
            ),
            (
                Read::Absent,
                Read::Absent,
                (t(s0), t(s1_idle)),
                Status::Pass,
                None,
                false,
            ),
            (
                Read::Absent,
                Read::Absent,
                (Read::Failed("x".into()), t(s1)),
                Status::Skip,
                None,
                true,
            ),
        ];
        assert_eq!(rows.len(), 7);
        for (i, (cpu, io, stat, status, reason, unknown)) in rows.into_iter().enumerate() {
            let o = assess(&Observations::Linux { cpu, io, stat });
            assert_eq!(o.finding.status, status, "row {i}: {o:#?}");
            match reason {
                Some(r) => assert!(
                    o.blocker.as_deref().is_some_and(|b| b.contains(r)),
                    "row {i}: {o:#?}"
                ),
                None => assert_eq!(o.blocker, None, "row {i}"),
            }
            assert_eq!(o.unknown.is_some(), unknown, "row {i}: {o:#?}");
        }
    }
}

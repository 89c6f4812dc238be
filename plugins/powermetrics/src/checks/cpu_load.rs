//! `powermetrics.cpu-load`: is something else competing for the CPUs or disks now?

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{read, Read};
use crate::{is_macos, Obs};

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac,
    Linux { cpu: Read, io: Read },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return Observations::Mac;
    }
    Observations::Linux {
        cpu: read(ctx, "/proc/pressure/cpu"),
        io: read(ctx, "/proc/pressure/io"),
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac => Obs::new(
            Finding::skip("macOS has no pressure-stall information (PSI)")
                .detail("The powermetrics sample's cluster residency (powermetrics.power-sample) shows how busy the CPU clusters are."),
        ),
        Observations::Linux { cpu, io } => linux(cpu, io),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn linux(cpu: &Read, io: &Read) -> Obs {
    let cpu = cpu.text().and_then(parse::psi);
    let io = io.text().and_then(parse::psi);
    if cpu.is_none() && io.is_none() {
        return Obs::new(
            Finding::skip("No pressure-stall information (PSI) on this kernel")
                .detail("/proc/pressure needs Linux 4.20+ with CONFIG_PSI (and psi=1 where it is off by default)."),
        )
        .unknown("competing load (no PSI)");
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
    let fmt = |v: Option<(f64, Option<f64>)>| v.map_or("-".to_owned(), |(s, _)| s.to_string());
    let mut f = if reasons.is_empty() {
        Finding::pass(format!(
            "No competing load: PSI cpu some avg10 {}, io some avg10 {}",
            fmt(cpu),
            fmt(io)
        ))
    } else {
        Finding::warn(format!("Competing load: {}", reasons.join("; ")))
            .detail("Other processes are using this machine's CPUs or disks; benchmark numbers now would be noisy.")
            .remediation("Find and stop the busy processes, then re-check.", ["top -o %CPU", "cat /proc/pressure/cpu /proc/pressure/io"])
    };
    f = f
        .evidence("cpu some avg10", fmt(cpu), "/proc/pressure/cpu")
        .evidence("io some avg10", fmt(io), "/proc/pressure/io");
    let obs = Obs::new(f);
    if reasons.is_empty() {
        obs
    } else {
        obs.blocker(format!("competing load ({})", reasons.join("; ")))
    }
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

inventory::submit! { Check { id: "powermetrics.cpu-load", title: "Competing CPU and I/O load", tags: &["hardware", "benchmark"], needs: Needs::NONE, run,
explain: "Linux: PSI `/proc/pressure/cpu` and `/proc/pressure/io` (some avg10: the share of the last 10 s in which some task waited). Above 10% something else is competing with a benchmark. macOS has no PSI; the powermetrics sample's cluster idle ratios show load there." } }

//! gohost plugin `powermetrics`: is this machine in a state where a Go benchmark gives
//! trustworthy numbers? Thermal state, memory pressure, swap, power source, Low Power Mode,
//! CPU frequency policy, competing load and cgroup throttling — sudo-free by default — and,
//! with root (or `--allow-root-probes` and non-interactive sudo), one short `powermetrics`
//! plist sample. `powermetrics.benchmark-ready` combines them into a verdict with reasons.
//!
//! It is **not** a monitor: it takes one look (one sample of at most a few hundred ms), changes
//! no setting, and never waits on a password prompt: sudo is only ever `sudo -n` with a timeout.
//!
//! Sources, chosen because they are real, sudo-free and cheap (one sysctl or one short command):
//! - macOS thermal: `pmset -g therm` (CPU_Speed_Limit / CPU_Scheduler_Limit on Intel; on Apple
//!   Silicon it prints only notes, so thermal *pressure* needs the powermetrics sample).
//! - macOS memory: `memory_pressure` ("System-wide memory free percentage"), `vm_stat`
//!   (compressor pages, swapins/outs, page size); swap: `sysctl vm.swapusage` (locale decimals).
//! - macOS power: `pmset -g batt` (AC or battery), `pmset -g` (`lowpowermode`, or `powermode`
//!   where 1 = low).
//! - Linux: /proc/pressure/{cpu,memory,io}, /proc/meminfo, /proc/swaps, zswap and zram in sysfs,
//!   cpufreq governor/driver/boost, thermal_throttle counters, power_supply, platform_profile,
//!   RAPL powercap, and the cgroup's `cpu.stat`.

pub mod checks;
pub mod parse;
pub mod probe;

use gohost_plugin_api::{export_plugin, Ctx, Finding};

export_plugin! {
    name: "powermetrics",
    version: env!("CARGO_PKG_VERSION"),
    description: "Thermal, memory, power and throttling state, and a ready-to-benchmark verdict",
}

/// One observation: the finding, plus what it means for the verdict.
#[derive(Debug, Clone)]
pub struct Obs {
    pub finding: Finding,
    /// A reason this machine is not ready to benchmark now.
    pub blocker: Option<String>,
    /// An input the verdict could not verify.
    pub unknown: Option<String>,
}

impl Obs {
    pub fn new(finding: Finding) -> Obs {
        Obs {
            finding,
            blocker: None,
            unknown: None,
        }
    }
    pub fn blocker(mut self, reason: impl Into<String>) -> Obs {
        self.blocker = Some(reason.into());
        self
    }
    pub fn unknown(mut self, what: impl Into<String>) -> Obs {
        self.unknown = Some(what.into());
        self
    }
}

pub(crate) fn is_macos(ctx: &Ctx<'_>) -> bool {
    ctx.facts().os.as_str() == "macos"
}

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

mod linux;
mod macos;
pub mod parse;
mod verdict;

use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

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

macro_rules! per_os {
    ($fn_name:ident, $mac:path, $linux:path) => {
        fn $fn_name(ctx: &Ctx<'_>) -> Vec<Finding> {
            let obs = if is_macos(ctx) {
                $mac(ctx)
            } else {
                $linux(ctx)
            };
            vec![obs.finding]
        }
    };
}

per_os!(thermal, macos::thermal, linux::thermal);
per_os!(
    memory_pressure,
    macos::memory_pressure,
    linux::memory_pressure
);
per_os!(swap, macos::swap, linux::swap);
per_os!(power_source, macos::power_source, linux::power_source);
per_os!(low_power_mode, macos::low_power_mode, linux::low_power_mode);
per_os!(cpu_frequency, macos::cpu_frequency, linux::cpu_frequency);
per_os!(cpu_load, macos::cpu_load, linux::cpu_load);
per_os!(power_sample, macos::power_sample, linux::power_sample);
per_os!(
    cgroup_throttling,
    macos::cgroup_throttling,
    linux::cgroup_throttling
);

fn benchmark_ready(ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![verdict::verdict(ctx)]
}

inventory::submit! { Check { id: "powermetrics.thermal", title: "Thermal throttling", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: thermal,
explain: "macOS: `pmset -g therm` — on Intel Macs CPU_Speed_Limit / CPU_Scheduler_Limit below 100 mean the CPU is throttled now; Apple Silicon prints only notes there, so its thermal pressure comes from the root-only powermetrics sample (`powermetrics.power-sample`). Linux: the per-CPU `thermal_throttle/{core,package}_throttle_count` counters (since boot)." } }
inventory::submit! { Check { id: "powermetrics.memory-pressure", title: "Memory pressure and compressed memory", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: memory_pressure,
explain: "macOS: the system-wide free-memory percentage from `memory_pressure` and the compressor's pages from `vm_stat`. Linux: PSI `/proc/pressure/memory` (some avg10) and MemAvailable/MemTotal from /proc/meminfo. Under memory pressure the OS compresses, swaps and reclaims, which shows up as noise in benchmarks. gohost calls under 25% free (macOS), under 10% available or PSI memory some avg10 above 10% (Linux) pressure." } }
inventory::submit! { Check { id: "powermetrics.swap", title: "Swap", tags: &["hardware"], needs: Needs::NONE, run: swap,
explain: "macOS: `sysctl vm.swapusage` (its decimals follow the locale: `1024,00M`) and swapins/swapouts from `vm_stat`. Linux: SwapTotal/SwapFree, /proc/swaps, zswap (`/sys/module/zswap/parameters/enabled`) and zram devices. Swap in use is reported, not judged: it matters for benchmarks together with memory pressure." } }
inventory::submit! { Check { id: "powermetrics.power-source", title: "Power source", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: power_source,
explain: "macOS: `pmset -g batt` (AC Power or Battery Power). Linux: /sys/class/power_supply (Mains online, Battery status). On battery, laptops lower their performance targets; benchmark on AC." } }
inventory::submit! { Check { id: "powermetrics.low-power-mode", title: "Low Power Mode", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: low_power_mode,
explain: "macOS: `pmset -g` shows `lowpowermode 1` (or, on newer macOS for some MacBook Pros, `powermode 1`; 0 is automatic, 2 high power) when Low Power Mode is on. Linux: /sys/firmware/acpi/platform_profile `low-power`. Low Power Mode caps CPU performance: numbers measured in it are not comparable." } }
inventory::submit! { Check { id: "powermetrics.cpu-frequency", title: "CPU frequency policy", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: cpu_frequency,
explain: "Linux: the cpufreq scaling driver and governor of every CPU and whether turbo/boost is on (`/sys/devices/system/cpu/cpufreq/boost`, `intel_pstate/no_turbo`). A governor other than `performance` ramps frequency with load, which adds warm-up noise. macOS has no cpufreq interface; cluster frequencies come from the powermetrics sample." } }
inventory::submit! { Check { id: "powermetrics.cpu-load", title: "Competing CPU and I/O load", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: cpu_load,
explain: "Linux: PSI `/proc/pressure/cpu` and `/proc/pressure/io` (some avg10: the share of the last 10 s in which some task waited). Above 10% something else is competing with a benchmark. macOS has no PSI; the powermetrics sample's cluster idle ratios show load there." } }
inventory::submit! { Check { id: "powermetrics.power-sample", title: "Power sample", tags: &["hardware", "root"], needs: Needs { network: false, root: true, slow: false }, run: power_sample,
explain: "macOS, as root or with --allow-root-probes and passwordless sudo: one `powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist` sample (powermetrics has no JSON output; its machine format is a plist), giving CPU/GPU/ANE power, per-cluster frequency and residency, and the thermal pressure level. sudo is only ever `sudo -n` with a timeout: no password prompt can block. Without root and without --allow-root-probes gohost does not run it; take the sample yourself with `sudo powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist`. Linux: RAPL energy counters under /sys/class/powercap (root-only on kernels patched for CVE-2020-8694)." } }
inventory::submit! { Check { id: "powermetrics.cgroup-throttling", title: "cgroup CPU throttling", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: cgroup_throttling,
explain: "Linux: `cpu.stat` of this process's CPU cgroup (nr_throttled, throttled time). A throttled cgroup stalls all its threads until the next period, which shows up as latency spikes in benchmarks. macOS has no cgroups." } }
inventory::submit! { Check { id: "powermetrics.benchmark-ready", title: "Ready to benchmark", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: benchmark_ready,
explain: "Combines the other powermetrics checks: pass only when every input was verified and none is a reason for noisy numbers (throttling, thermal pressure, Low Power Mode, battery, memory or CPU pressure, cgroup throttling, powersave frequency governor); warn with the reasons when not ready; info when nothing is wrong but some input could not be verified (e.g. thermal pressure on Apple Silicon without root). With --deep it also times five short in-process loops and counts a run-to-run spread above 5% as a reason." } }

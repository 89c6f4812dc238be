//! gohost plugin `scheduler`: what cores this machine has (performance levels on macOS, hybrid
//! or `cpu_capacity` classes and SMT on Linux), what `GOMAXPROCS` a Go program will get here
//! (environment, CPU affinity, cgroup CPU quota, the Go version's container rule), and advice
//! for stable `go test -bench` runs that is true for this OS. With `--deep` it measures a short
//! spin loop per core class.
//!
//! It is **not** a scheduler tuner: it changes nothing, pins nothing outside its own measuring
//! commands, and never claims how the OS places Go threads on P or E cores (Go's scheduler has
//! no notion of core classes; placement is the OS's business).
//!
//! All I/O goes through the host context; the logic decides on `facts().os`, so the macOS paths
//! run in tests on Linux from replayed snapshots.

mod cpulist;
mod deep;
mod gomaxprocs;
mod topology;

use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

pub use cpulist::parse_cpu_list;
pub use gomaxprocs::{predict, read_cgroup_limit, CgroupLimit, Prediction};
pub use topology::{CoreClass, Topology};

export_plugin! {
    name: "scheduler",
    version: env!("CARGO_PKG_VERSION"),
    description: "Core topology (P/E cores, hybrid, SMT), the GOMAXPROCS Go picks here, and advice for stable benchmarks",
}

fn core_topology(ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![topology::finding(ctx)]
}

fn gomaxprocs_check(ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![gomaxprocs::finding(ctx)]
}

fn benchmark_advice(ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![gomaxprocs::advice(ctx)]
}

fn deep_run(ctx: &Ctx<'_>) -> Vec<Finding> {
    deep::findings(ctx)
}

inventory::submit! {
    Check {
        id: "scheduler.core-topology",
        title: "Core topology",
        explain: "Reports the CPU core classes of this machine. macOS: `hw.nperflevels` and \
`hw.perflevelN.{physicalcpu,logicalcpu,name}` (perflevel0 is the fastest; `.name` is absent on \
older macOS, so it is never required), plus `hw.ncpu`/`hw.physicalcpu`/`hw.logicalcpu`. Linux: \
online CPUs, Intel hybrid classes from `/sys/devices/cpu_core/cpus` and `/sys/devices/cpu_atom/cpus`, \
arm big.LITTLE classes from `/sys/devices/system/cpu/cpuN/cpu_capacity`, and SMT from \
`/sys/devices/system/cpu/smt/{active,control}`. Benchmarks that spread over cores of different \
classes measure a mix of speeds.",
        tags: &["hardware", "benchmark"],
        needs: Needs::NONE,
        run: core_topology,
    }
}

inventory::submit! {
    Check {
        id: "scheduler.gomaxprocs",
        title: "GOMAXPROCS a Go program gets here",
        explain: "Predicts the default GOMAXPROCS of a Go program started from this environment and \
compares it with the CPUs it may really use. The `GOMAXPROCS` environment variable wins. Otherwise \
Go uses the logical CPUs the process may run on (`hw.ncpu` on macOS; the sched_getaffinity set on \
Linux, read from `Cpus_allowed_list` in /proc/self/status). Since Go 1.25 on Linux it is also \
capped by the cgroup CPU bandwidth limit of the process's own cgroup (`cpu.max` on v2, \
`cpu.cfs_quota_us`/`cpu.cfs_period_us` on v1): quota/period rounded up, at least 2 \
(Go src runtime/cgroup_linux.go); `GODEBUG=containermaxprocs=0` or a go.mod `go` line before 1.25 \
restores the old behaviour. An older Go in a CPU-limited container starts more threads than its \
quota and gets throttled, which makes benchmarks noisy.",
        tags: &["go", "benchmark"],
        needs: Needs::NONE,
        run: gomaxprocs_check,
    }
}

inventory::submit! {
    Check {
        id: "scheduler.benchmark-advice",
        title: "Advice for stable Go benchmarks",
        explain: "Turns the topology and GOMAXPROCS findings into concrete `go test -bench` advice for \
this OS: repeat runs and compare with benchstat, keep `-cpu` at or below the fastest core class, \
and on Linux pin with `taskset` to one core class.",
        tags: &["go", "benchmark"],
        needs: Needs::NONE,
        run: benchmark_advice,
    }
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
        run: deep_run,
    }
}

//! `scheduler.gomaxprocs`: the GOMAXPROCS a Go program started here gets, against the CPUs it
//! may really use.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::cgroup::{read_affinity, read_cgroup_limit};
use crate::cpulist::format_cpu_list;
use crate::rules::{predict, CgroupLimit};
use crate::topology::Topology;

/// Everything the GOMAXPROCS finding and the advice need.
#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    pub topo: Topology,
    pub cpus: Option<u32>,
    pub affinity: Option<Vec<u32>>,
    pub limit: Option<CgroupLimit>,
    pub env: Option<String>,
    pub godebug: Option<String>,
    pub go: Option<(u32, u32)>,
    pub go_version: Option<String>,
    pub problems: Vec<String>,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let linux = facts.os.as_str() == "linux";
    let topo = Topology::gather(ctx);
    let mut problems = Vec::new();
    let mut affinity = None;
    let mut limit = None;
    let cpus = if linux {
        match read_affinity(ctx) {
            Ok(a) => {
                let n = u32::try_from(a.len()).ok();
                affinity = Some(a);
                n
            }
            Err(e) => {
                problems.push(e);
                topo.logical_cpus
            }
        }
    } else {
        topo.logical_cpus
    };
    if linux {
        match read_cgroup_limit(ctx) {
            Ok(l) => limit = Some(l),
            Err(e) => problems.push(format!("cgroup CPU limit not read: {e}")),
        }
    }
    let go_version = facts
        .go
        .as_ref()
        .map(|g| g.version_output.to_string())
        .into_option();
    Observations {
        os: facts.os.to_string(),
        cpus,
        affinity,
        limit,
        env: ctx.env("GOMAXPROCS"),
        godebug: ctx.env("GODEBUG"),
        go: go_version
            .as_deref()
            .and_then(GoVersion::from_version_output)
            .map(|v| (v.major, v.minor)),
        go_version,
        problems,
        topo,
    }
}

/// The `scheduler.gomaxprocs` finding, from observations only.
pub fn judge(inputs: &Observations) -> Vec<Finding> {
    vec![finding(inputs)]
}

fn finding(inputs: &Observations) -> Finding {
    let os = inputs.os.as_str();
    let Some(cpus) = inputs.cpus else {
        return Finding::skip("Could not tell how many CPUs a Go program may use")
            .detail(inputs.problems.join("; "));
    };
    let limit_cpus = inputs.limit.as_ref().and_then(|l| l.cpus);
    let p = predict(
        os,
        inputs.env.as_deref(),
        inputs.godebug.as_deref(),
        inputs.go,
        cpus,
        limit_cpus,
    );
    // What the process can really use in parallel.
    let usable = match limit_cpus {
        Some(l) => cpus.min(l.ceil().max(1.0) as u32),
        None => cpus,
    };
    let go_label = match (&inputs.go_version, inputs.go) {
        (Some(_), Some((a, b))) => format!("go{a}.{b}"),
        _ => "the newest Go (no `go` found)".to_owned(),
    };
    let mut f = if p.value > cpus {
        Finding::warn(format!(
            "GOMAXPROCS={} is more than the {cpus} CPUs this process may use",
            p.value
        ))
        .detail(format!(
            "A Go program here gets GOMAXPROCS={} ({}), but only {cpus} CPUs are available: \
the extra Ps time-share CPUs, which adds scheduling noise to benchmarks.",
            p.value, p.reason
        ))
        .remediation(
            "Unset GOMAXPROCS, or set it no higher than the usable CPUs.",
            [
                "unset GOMAXPROCS".to_owned(),
                format!("export GOMAXPROCS={usable}"),
            ],
        )
    } else if p.value > usable {
        let mut commands = vec![format!("export GOMAXPROCS={usable}")];
        if inputs.go.is_some_and(|v| v < (1, 25)) {
            commands.push("go get go@1.25.0   # in the module: a go.mod `go` line >= 1.25 enables the container-aware default".to_owned());
        }
        Finding::warn(format!(
            "GOMAXPROCS={} exceeds the cgroup CPU limit ({} CPUs)",
            p.value,
            limit_cpus.unwrap_or_default()
        ))
        .detail(format!(
            "With {go_label}, a Go program here gets GOMAXPROCS={} ({}). The cgroup allows about {usable} \
CPUs of time per period, so running {} threads gets the process throttled in bursts, which shows up \
as latency spikes and noisy benchmarks. Go 1.25+ caps GOMAXPROCS at the limit by default (for modules \
whose go.mod says go 1.25 or later).",
            p.value, p.reason, p.value
        ))
        .remediation("Match GOMAXPROCS to the CPU limit.", commands)
    } else {
        Finding::pass(format!(
            "A Go program here gets GOMAXPROCS={} ({})",
            p.value, p.reason
        ))
        .detail(format!(
            "Predicted for {go_label}: it matches the {usable} CPUs this process may use."
        ))
    };
    f = f
        .evidence(
            "predicted GOMAXPROCS",
            p.value.to_string(),
            "gohost (Go runtime rules)",
        )
        .evidence(
            "GOMAXPROCS",
            inputs.env.clone().unwrap_or_else(|| "(unset)".to_owned()),
            "environment",
        );
    if let Some(gd) = &inputs.godebug {
        f = f.evidence("GODEBUG", gd, "environment");
    }
    f = f.evidence(
        "go version",
        inputs
            .go_version
            .clone()
            .unwrap_or_else(|| "(no go on PATH)".to_owned()),
        "go version",
    );
    if os == "macos" {
        f = f.evidence("hw.ncpu", cpus.to_string(), "sysctl hw.ncpu");
    }
    if let Some(a) = &inputs.affinity {
        f = f.evidence("Cpus_allowed_list", format_cpu_list(a), "/proc/self/status");
    }
    if let Some(l) = &inputs.limit {
        f = f
            .evidence(
                "cgroup",
                format!("v{} {}", l.version, l.dir),
                "/proc/self/cgroup, /proc/self/mountinfo",
            )
            .evidence("cgroup cpu limit", &l.raw, &l.source)
            .evidence(
                "cgroup cpu limit (CPUs)",
                l.cpus.map_or("none".to_owned(), |c| c.to_string()),
                &l.source,
            );
    }
    if !inputs.problems.is_empty() && os == "linux" {
        f.detail = format!("{} Not read: {}.", f.detail, inputs.problems.join("; ")).into();
    }
    f
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
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
        run,
    }
}

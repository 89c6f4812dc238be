//! `scheduler.gomaxprocs`: the GOMAXPROCS a Go program started here gets, against the CPUs it
//! may really use.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::cgroup::{read_affinity, read_cgroup_limit};
use crate::cpulist::format_cpu_list;
use crate::rules::{container_rule, predict, CgroupLimit, MainModule};
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
    /// The go.mod/go.work whose settings a program built here gets (from `go env -json`).
    pub module: MainModule,
    /// Whether the cgroup CPU limit was read (or is known to be absent) on Linux.
    pub limit_read: bool,
    pub problems: Vec<String>,
}

/// The main module as `go env -json` names it: GOWORK (workspace mode) or GOMOD, read through
/// the host.
fn main_module(ctx: &Ctx<'_>) -> MainModule {
    let Some(go) = ctx.facts().go.into_option() else {
        return MainModule::Unknown("no `go` was found, so no main module".to_owned());
    };
    let Some(env) = go.env() else {
        return MainModule::Unknown("`go env -json` gave no answer".to_owned());
    };
    let read = |path: &str| match ctx.read_to_string(path) {
        Ok(text) => MainModule::File {
            path: path.to_owned(),
            text,
        },
        Err(e) => MainModule::Unknown(format!("{path}: {e}")),
    };
    match env.get("GOWORK") {
        Some(w) if !w.is_empty() && w != "off" => return read(w),
        _ => {}
    }
    match env.get("GOMOD") {
        None => MainModule::Unknown("`go env -json` printed no GOMOD".to_owned()),
        Some("") => MainModule::GopathMode,
        Some("/dev/null") | Some("NUL") => MainModule::NoModule,
        Some(path) => read(path),
    }
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let linux = facts.os.as_str() == "linux";
    let topo = Topology::gather(ctx);
    let mut problems = Vec::new();
    let mut affinity = None;
    let mut limit = None;
    // On Linux the runtime counts the affinity mask, not the online CPUs: without the mask
    // the count is unknown (a restricted mask is exactly what it would miss).
    let cpus = if linux {
        match read_affinity(ctx) {
            Ok(a) => {
                let n = u32::try_from(a.len()).ok();
                affinity = Some(a);
                n
            }
            Err(e) => {
                problems.push(e);
                None
            }
        }
    } else {
        topo.logical_cpus
    };
    let mut limit_read = !linux;
    if linux {
        match read_cgroup_limit(ctx) {
            Ok(l) => {
                limit = Some(l);
                limit_read = true;
            }
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
        module: main_module(ctx),
        limit_read,
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
    let rule = container_rule(os, inputs.go, inputs.godebug.as_deref(), &inputs.module);
    let p = predict(os, inputs.env.as_deref(), &rule, cpus, limit_cpus);
    // What the process can really use in parallel.
    let usable = match limit_cpus {
        Some(l) => cpus.min(l.ceil().max(1.0) as u32),
        None => cpus,
    };
    let go_label = match inputs.go {
        Some((a, b)) => format!("go{a}.{b}"),
        None => "an unknown Go version (no `go version` answer)".to_owned(),
    };
    let mut f = match p.value {
        None => Finding::skip("Could not tell the GOMAXPROCS a Go program gets here")
            .detail(format!("It would be {}.", p.reason)),
        Some(value) if value > cpus => Finding::warn(format!(
            "GOMAXPROCS={value} is more than the {cpus} CPUs this process may use"
        ))
        .detail(format!(
            "A Go program here gets GOMAXPROCS={value} ({}), but only {cpus} CPUs are available: \
the extra Ps time-share CPUs, which adds scheduling noise to benchmarks.",
            p.reason
        ))
        .remediation(
            "Unset GOMAXPROCS, or set it no higher than the usable CPUs.",
            [
                "unset GOMAXPROCS".to_owned(),
                format!("export GOMAXPROCS={usable}"),
            ],
        ),
        Some(value) if value > usable => {
            let mut commands = vec![format!("export GOMAXPROCS={usable}")];
            // With a Go that has the rule but a module whose defaults turn it off, the module
            // can opt in (cmd/go `go mod edit -godebug=key=value`, Go 1.23+; the value 1 is the
            // rule's new default, internal/godebugs/table.go).
            // Only where the rule would lower the value (it never goes below 2).
            let helps = limit_cpus.is_some_and(|l| (l.ceil().max(2.0) as u32) < value);
            if helps
                && inputs.go.is_some_and(|v| v >= (1, 25))
                && matches!(inputs.module, MainModule::File { .. })
                && matches!(&rule, Ok((false, why)) if !why.starts_with("GODEBUG="))
            {
                commands.push("go mod edit -godebug=containermaxprocs=1".to_owned());
            }
            Finding::warn(format!(
                "GOMAXPROCS={value} exceeds the cgroup CPU limit ({} CPUs)",
                limit_cpus.unwrap_or_default()
            ))
            .detail(format!(
                "With {go_label}, a Go program here gets GOMAXPROCS={value} ({}). The cgroup allows about {usable} \
CPUs of time per period, so running {value} threads gets the process throttled in bursts, which shows up \
as latency spikes and noisy benchmarks. Go 1.25+ caps GOMAXPROCS at the limit (rounded up, at least 2) \
for programs whose GODEBUG defaults have containermaxprocs=1: a main module with go 1.25 or later.",
                p.reason
            ))
            .remediation("Match GOMAXPROCS to the CPU limit.", commands)
        }
        // Without the cgroup limit, "matches what the process may use" is not verified.
        Some(value) if !inputs.limit_read => Finding::info(format!(
            "A Go program here gets GOMAXPROCS={value} ({}), unless a cgroup CPU limit gohost could not read applies",
            p.reason
        )),
        Some(value) => Finding::pass(format!(
            "A Go program here gets GOMAXPROCS={value} ({})",
            p.reason
        ))
        .detail(format!(
            "Predicted for {go_label}: it matches the {usable} CPUs this process may use."
        )),
    };
    f = f
        .evidence(
            "predicted GOMAXPROCS",
            p.value
                .map_or("(could not tell)".to_owned(), |v| v.to_string()),
            "gohost (Go runtime rules)",
        )
        .evidence(
            "container-aware GOMAXPROCS",
            match &rule {
                Ok((true, why)) => format!("on: {why}"),
                Ok((false, why)) => format!("off: {why}"),
                Err(why) => format!("could not tell: {why}"),
            },
            "Go 1.25 containermaxprocs rules",
        )
        .evidence(
            "main module",
            match &inputs.module {
                MainModule::File { path, .. } => path.clone(),
                MainModule::GopathMode => "(none: GOPATH mode)".to_owned(),
                MainModule::NoModule => "(none: outside a module)".to_owned(),
                MainModule::Unknown(why) => format!("(could not tell: {why})"),
            },
            "go env GOMOD / GOWORK",
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

inventory::submit! {
    Check {
        id: "scheduler.gomaxprocs",
        title: "GOMAXPROCS a Go program gets here",
        explain: "Predicts the default GOMAXPROCS of a Go program built from this directory's main module \
and started from this environment, and compares it with the CPUs it may really use. The `GOMAXPROCS` \
environment variable wins. Otherwise Go uses the logical CPUs the process may run on (`hw.ncpu` on \
macOS; the sched_getaffinity set on Linux, read from `Cpus_allowed_list` in /proc/self/status). Since \
Go 1.25 on Linux it is also capped by the cgroup CPU bandwidth limit of the process's own cgroup \
(`cpu.max` on v2, `cpu.cfs_quota_us`/`cpu.cfs_period_us` on v1): quota/period rounded up, at least 2 \
(Go src runtime/cgroup_linux.go). That rule is the GODEBUG setting containermaxprocs (Changed: 25, \
internal/godebugs/table.go), so it follows what the go command compiles into the program: the main \
module's go.mod (or go.work) `go` line — below 1.25 it is off — and its `godebug` lines, and \
`//go:debug` lines in the main package, which gohost does not read (cmd/go/internal/load/godebug.go); \
GODEBUG in the environment overrides them at run time. gohost reads GOMOD/GOWORK from `go env -json` \
and that file, says which it assumed, and says it could not tell when that decides the number. An \
older Go, or a module below go 1.25, in a CPU-limited container starts more threads than its quota \
and gets throttled, which makes benchmarks noisy.",
        tags: &["go", "benchmark"],
        needs: Needs::NONE,
        run: |ctx| judge(&gather(ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn linux(
        cpus: Option<u32>,
        limit: Option<f64>,
        env: Option<&str>,
        limit_read: bool,
    ) -> Observations {
        Observations {
            os: "linux".into(),
            topo: Topology::default(),
            cpus,
            affinity: cpus.map(|n| (0..n).collect()),
            limit: limit.map(|c| CgroupLimit {
                version: 2,
                dir: "/sys/fs/cgroup".into(),
                cpus: Some(c),
                raw: format!("{} 100000", (c * 100000.0) as u64),
                source: "/sys/fs/cgroup/cpu.max".into(),
            }),
            env: env.map(str::to_owned),
            godebug: None,
            go: Some((1, 27)),
            go_version: Some("go version go1.27.3 linux/amd64".into()),
            module: MainModule::File {
                path: "/m/go.mod".into(),
                text: "module m\ngo 1.27\n".into(),
            },
            limit_read,
            problems: Vec::new(),
        }
    }

    #[test]
    fn judge_table() {
        let rows = vec![
            (linux(Some(8), None, None, true), Status::Pass, "8"),
            (linux(Some(8), Some(2.0), None, true), Status::Pass, "2"),
            (linux(Some(2), None, Some("64"), true), Status::Warn, "64"),
            (
                linux(Some(8), Some(2.0), Some("8"), true),
                Status::Warn,
                "8",
            ),
            // The cgroup limit could not be read: not verified, never a pass.
            (linux(Some(8), None, None, false), Status::Info, "8"),
            // No affinity answer: the CPU count is unknown.
            (linux(None, None, None, true), Status::Skip, ""),
        ];
        assert_eq!(rows.len(), 6);
        for (obs, status, predicted) in rows {
            let f = judge(&obs);
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].status, status, "{obs:?}: {:#?}", f[0]);
            if !predicted.is_empty() {
                let p = f[0]
                    .evidence
                    .iter()
                    .find(|e| e.key == "predicted GOMAXPROCS")
                    .expect("evidence");
                assert_eq!(p.value.as_str(), predicted);
            }
        }
    }
}

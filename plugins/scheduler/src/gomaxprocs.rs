//! The GOMAXPROCS a Go program gets here, mirroring Go's runtime rules, and benchmark advice.
//!
//! Go's rules (go1.27.3 src): `GOMAXPROCS` from the environment wins when it is a positive
//! integer (runtime/proc.go `procresize` caller); otherwise the CPU count (`hw.ncpu` on darwin,
//! runtime/os_darwin.go; the sched_getaffinity set on Linux). Since Go 1.25 on Linux that is
//! lowered to the cgroup CPU limit of the process's own cgroup, rounded up and at least 2
//! (runtime/cgroup_linux.go `adjustCgroupGOMAXPROCS`); a v1 hierarchy with the `cpu` controller
//! is preferred over v2 (internal/runtime/cgroup/cgroup.go). `GODEBUG=containermaxprocs=0`
//! turns that off (internal/godebugs/table.go, Changed: 25).

use gohost_plugin_api::{Ctx, Finding, GoVersion};

use crate::cpulist::{format_cpu_list, parse_cpu_list};
use crate::topology::Topology;

/// A cgroup CPU bandwidth limit, as Go reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupLimit {
    /// 1 or 2.
    pub version: u8,
    /// The cgroup directory of this process for the CPU controller.
    pub dir: String,
    /// quota/period in CPUs; None = no limit (`max` / `-1`).
    pub cpus: Option<f64>,
    /// The raw text read, for evidence.
    pub raw: String,
    /// The file(s) read.
    pub source: String,
}

/// What GOMAXPROCS will be and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    pub value: u32,
    pub reason: String,
}

/// Whether a GODEBUG value turns the container-aware default off (the last setting wins).
fn containermaxprocs_off(godebug: Option<&str>) -> bool {
    godebug
        .unwrap_or("")
        .split(',')
        .filter_map(|kv| kv.trim().split_once('='))
        .rfind(|(k, _)| *k == "containermaxprocs")
        .is_some_and(|(_, v)| v == "0")
}

/// Parse `GOMAXPROCS` the way the runtime does: a positive integer, else ignored.
fn env_gomaxprocs(value: Option<&str>) -> Option<u32> {
    value
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|n| *n > 0)
        .and_then(|n| u32::try_from(n).ok())
}

/// Predict the default GOMAXPROCS.
///
/// `go` is the Go version (None = unknown, predicted as the newest rules); `cpus` the CPU count
/// the runtime starts from; `limit` the cgroup limit in CPUs (Linux only).
pub fn predict(
    os: &str,
    env: Option<&str>,
    godebug: Option<&str>,
    go: Option<(u32, u32)>,
    cpus: u32,
    limit: Option<f64>,
) -> Prediction {
    if let Some(n) = env_gomaxprocs(env) {
        return Prediction {
            value: n,
            reason: "set by the GOMAXPROCS environment variable".to_owned(),
        };
    }
    let base = if os == "macos" {
        "hw.ncpu"
    } else {
        "the CPUs in this process's affinity mask"
    };
    let container_aware = os == "linux" && go.map_or(true, |v| v >= (1, 25));
    match limit {
        Some(limit) if container_aware && !containermaxprocs_off(godebug) => {
            let capped = (limit.ceil().max(2.0)) as u32;
            if capped < cpus {
                Prediction {
                    value: capped,
                    reason: format!(
                        "the cgroup CPU limit {limit} rounded up (at least 2), below {cpus} = {base}"
                    ),
                }
            } else {
                Prediction {
                    value: cpus,
                    reason: format!("{base}; the cgroup CPU limit {limit} is not lower"),
                }
            }
        }
        Some(_) if container_aware => Prediction {
            value: cpus,
            reason: format!("{base}; GODEBUG=containermaxprocs=0 ignores the cgroup limit"),
        },
        Some(_) => Prediction {
            value: cpus,
            reason: format!("{base}; Go before 1.25 ignores the cgroup CPU limit"),
        },
        None => Prediction {
            value: cpus,
            reason: base.to_owned(),
        },
    }
}

/// Find this process's CPU cgroup directory the way Go does: a v1 hierarchy with the `cpu`
/// controller first, else the v2 hierarchy.
fn cgroup_dir(ctx: &Ctx<'_>) -> Result<(u8, String), String> {
    let cgroups = ctx
        .read_to_string("/proc/self/cgroup")
        .map_err(|e| format!("/proc/self/cgroup: {e}"))?;
    let mut v2_path = None;
    let mut v1_path = None;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            v2_path = Some(path.to_owned());
        } else if controllers.split(',').any(|c| c == "cpu") {
            v1_path = Some(path.to_owned());
        }
    }
    let (version, path) = match (v1_path, v2_path) {
        (Some(p), _) => (1u8, p),
        (None, Some(p)) => (2u8, p),
        (None, None) => return Err("no CPU cgroup in /proc/self/cgroup".to_owned()),
    };
    let mountinfo = ctx
        .read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = left.split(' ').collect();
        let rfields: Vec<&str> = right.split(' ').collect();
        let (Some(root), Some(mount)) = (fields.get(3), fields.get(4)) else {
            continue;
        };
        let fstype = rfields.first().copied().unwrap_or("");
        let matches = match version {
            1 => {
                fstype == "cgroup"
                    && rfields
                        .get(2)
                        .is_some_and(|o| o.split(',').any(|c| c == "cpu"))
            }
            _ => fstype == "cgroup2",
        };
        if !matches {
            continue;
        }
        let rel = if *root == "/" {
            path.as_str()
        } else {
            path.strip_prefix(root).unwrap_or(path.as_str())
        };
        let dir = format!(
            "{}/{}",
            mount.trim_end_matches('/'),
            rel.trim_start_matches('/')
        );
        return Ok((version, dir.trim_end_matches('/').to_owned()));
    }
    Err(format!(
        "no cgroup v{version} mount with the cpu controller in /proc/self/mountinfo"
    ))
}

/// Read this process's cgroup CPU limit (Linux). Err: why it could not be read.
pub fn read_cgroup_limit(ctx: &Ctx<'_>) -> Result<CgroupLimit, String> {
    let (version, dir) = cgroup_dir(ctx)?;
    if version == 1 {
        let qpath = format!("{dir}/cpu.cfs_quota_us");
        let ppath = format!("{dir}/cpu.cfs_period_us");
        let quota = ctx
            .read_to_string(&qpath)
            .map_err(|e| format!("{qpath}: {e}"))?;
        let quota_n: i64 = quota
            .trim()
            .parse()
            .map_err(|_| format!("{qpath} is not a number: `{}`", quota.trim()))?;
        let raw_period = ctx
            .read_to_string(&ppath)
            .map_err(|e| format!("{ppath}: {e}"))?;
        let period: u64 = raw_period
            .trim()
            .parse()
            .map_err(|_| format!("{ppath} is not a number: `{}`", raw_period.trim()))?;
        let cpus = (quota_n >= 0 && period > 0).then(|| quota_n as f64 / period as f64);
        Ok(CgroupLimit {
            version,
            dir,
            cpus,
            raw: format!("quota {} period {}", quota.trim(), raw_period.trim()),
            source: format!("{qpath}, {ppath}"),
        })
    } else {
        let path = format!("{dir}/cpu.max");
        let text = ctx
            .read_to_string(&path)
            .map_err(|e| format!("{path}: {e}"))?;
        let mut parts = text.split_whitespace();
        let quota = parts.next().unwrap_or("");
        let period: u64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("{path} is not `<quota> <period>`: `{}`", text.trim()))?;
        let cpus = if quota == "max" {
            None
        } else {
            let q: u64 = quota
                .parse()
                .map_err(|_| format!("{path} quota is not a number: `{quota}`"))?;
            (period > 0).then(|| q as f64 / period as f64)
        };
        Ok(CgroupLimit {
            version,
            dir,
            cpus,
            raw: text.trim().to_owned(),
            source: path,
        })
    }
}

/// The CPU set this process may run on (Linux), from /proc/self/status.
pub fn read_affinity(ctx: &Ctx<'_>) -> Result<Vec<u32>, String> {
    let status = ctx
        .read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .ok_or("/proc/self/status has no Cpus_allowed_list")?;
    parse_cpu_list(list)
        .ok_or_else(|| format!("Cpus_allowed_list is not a CPU list: `{}`", list.trim()))
}

/// Everything the GOMAXPROCS finding and the advice need.
pub struct Inputs {
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

pub fn gather(ctx: &Ctx<'_>) -> Inputs {
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
    Inputs {
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

/// The `scheduler.gomaxprocs` finding.
pub fn finding(ctx: &Ctx<'_>) -> Finding {
    let os = ctx.facts().os.to_string();
    let inputs = gather(ctx);
    let Some(cpus) = inputs.cpus else {
        return Finding::skip("Could not tell how many CPUs a Go program may use")
            .detail(inputs.problems.join("; "));
    };
    let limit_cpus = inputs.limit.as_ref().and_then(|l| l.cpus);
    let p = predict(
        &os,
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

/// The `scheduler.benchmark-advice` finding.
pub fn advice(ctx: &Ctx<'_>) -> Finding {
    let os = ctx.facts().os.to_string();
    let inputs = gather(ctx);
    let Some(cpus) = inputs.cpus else {
        return Finding::skip("No advice: the CPU count could not be read")
            .detail(inputs.problems.join("; "));
    };
    let limit = inputs.limit.as_ref().and_then(|l| l.cpus);
    let p = predict(
        &os,
        inputs.env.as_deref(),
        inputs.godebug.as_deref(),
        inputs.go,
        cpus,
        limit,
    );
    let mut text = vec![
        "Run each benchmark several times and compare distributions, not single numbers."
            .to_owned(),
    ];
    let mut commands = vec!["go install golang.org/x/perf/cmd/benchstat@latest".to_owned()];
    let fastest = inputs.topo.fastest_if_hybrid().cloned();
    let mut title = format!(
        "Benchmark with -count 10 and benchstat; GOMAXPROCS will be {}",
        p.value
    );
    match (&fastest, os.as_str()) {
        (Some(fast), "macos") => {
            title = format!(
                "Benchmark with -cpu {} (the {} {} cores) or less, -count 10, benchstat",
                fast.logical, fast.logical, fast.name
            );
            text.push(format!(
                "This Mac has {} core classes and no `taskset`: the OS decides where threads run. Keep \
-cpu at or below the {} {} cores so the running goroutines can all fit on the fastest class, run on \
AC power without Low Power Mode, and close busy apps.",
                inputs.topo.classes.len(),
                fast.logical,
                fast.name
            ));
            commands.push(format!(
                "go test -run '^$' -bench . -count 10 -cpu {} ./... | tee new.txt",
                fast.logical
            ));
        }
        (Some(fast), _) => {
            let list = format_cpu_list(&fast.cpus);
            title = format!(
                "Benchmark pinned to the {} CPUs {list} with taskset, -count 10, benchstat",
                fast.name
            );
            text.push(format!(
                "This machine has {} core classes; pin benchmarks to one class with taskset so every \
run measures the same kind of core.",
                inputs.topo.classes.len()
            ));
            commands.push(format!(
                "taskset -c {list} go test -run '^$' -bench . -count 10 -cpu {} ./... | tee new.txt",
                fast.logical
            ));
        }
        (None, _) => {
            let n = match limit {
                Some(l) => p.value.min(l.ceil().max(1.0) as u32),
                None => p.value,
            };
            if limit.is_some() {
                text.push(format!(
                    "This process is in a cgroup with a CPU limit of {}; keep -cpu at or below {n}.",
                    limit.unwrap_or_default()
                ));
            }
            commands.push(format!(
                "go test -run '^$' -bench . -count 10 -cpu {n} ./... | tee new.txt"
            ));
        }
    }
    if os == "linux" {
        text.push(
            "Where cpufreq exists, the `performance` governor avoids frequency ramps.".to_owned(),
        );
    }
    commands.push("benchstat old.txt new.txt".to_owned());
    let mut f = Finding::info(title)
        .detail(text.join(" "))
        .remediation(text.join(" "), commands)
        .evidence(
            "GOMAXPROCS (predicted)",
            p.value.to_string(),
            "scheduler.gomaxprocs rules",
        );
    if let Some(fast) = &fastest {
        f = f.evidence(
            "fastest class",
            format!("{} ({} CPUs)", fast.name, fast.logical),
            "scheduler.core-topology",
        );
    }
    f
}

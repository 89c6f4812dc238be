//! The GOMAXPROCS a Go program gets here, mirroring Go's runtime rules (pure: no I/O).
//!
//! Go's rules (go1.27.3 src): `GOMAXPROCS` from the environment wins when it is a positive
//! integer (runtime/proc.go `procresize` caller); otherwise the CPU count (`hw.ncpu` on darwin,
//! runtime/os_darwin.go; the sched_getaffinity set on Linux). Since Go 1.25 on Linux that is
//! lowered to the cgroup CPU limit of the process's own cgroup, rounded up and at least 2
//! (runtime/cgroup_linux.go `adjustCgroupGOMAXPROCS`); a v1 hierarchy with the `cpu` controller
//! is preferred over v2 (internal/runtime/cgroup/cgroup.go). `GODEBUG=containermaxprocs=0`
//! turns that off (internal/godebugs/table.go, Changed: 25).

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

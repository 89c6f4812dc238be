//! Core classes: macOS performance levels, Linux hybrid / cpu_capacity classes and SMT.

use gohost_plugin_api::{Ctx, ProbeErrorKind};

use crate::cpulist::{format_cpu_list, parse_cpu_list};

/// One class of cores, fastest class first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreClass {
    /// `Performance`, `perflevel1`, `cpu_core`, `capacity 1024`, …
    pub name: String,
    pub logical: u32,
    pub physical: Option<u32>,
    /// Linux CPU numbers of this class (empty on macOS, which does not number them).
    pub cpus: Vec<u32>,
}

/// What the machine's cores look like, as far as the probes could tell.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// The logical CPU count Go's runtime starts from (`hw.ncpu` on macOS; online CPUs on Linux).
    pub logical_cpus: Option<u32>,
    pub physical_cpus: Option<u32>,
    /// Fastest first. Empty when the OS reports no classes (e.g. no perflevels).
    pub classes: Vec<CoreClass>,
    /// Linux online CPU numbers.
    pub online: Vec<u32>,
    /// Linux SMT: (`smt/active`, `smt/control`).
    pub smt: Option<(bool, String)>,
    /// (key, value, source)
    pub evidence: Vec<(String, String, String)>,
    /// Reads that failed in a way that matters, for `detail`.
    pub problems: Vec<String>,
    /// macOS: whether `hw.nperflevels` exists (None: not asked or unknown).
    pub has_perflevels: Option<bool>,
}

impl Topology {
    fn ev(&mut self, key: impl Into<String>, value: impl Into<String>, source: impl Into<String>) {
        self.evidence
            .push((key.into(), value.into(), source.into()));
    }

    /// The fastest class, when the OS reports more than one.
    pub fn fastest_if_hybrid(&self) -> Option<&CoreClass> {
        (self.classes.len() > 1).then(|| &self.classes[0])
    }

    /// Gather the topology through the host.
    pub fn gather(ctx: &Ctx<'_>) -> Topology {
        if ctx.facts().os.as_str() == "macos" {
            gather_macos(ctx)
        } else {
            gather_linux(ctx)
        }
    }
}

fn sysctl_u32(ctx: &Ctx<'_>, topo: &mut Topology, name: &str) -> Option<u32> {
    match ctx.sysctl(name) {
        Ok(v) => match v.trim().parse::<u32>() {
            Ok(n) => {
                topo.ev(name, v.trim(), format!("sysctl {name}"));
                Some(n)
            }
            Err(_) => {
                topo.problems
                    .push(format!("sysctl {name} is not a number: `{}`", v.trim()));
                None
            }
        },
        Err(e) => {
            if e.kind != ProbeErrorKind::NotFound {
                topo.problems.push(format!("sysctl {name}: {e}"));
            }
            None
        }
    }
}

fn gather_macos(ctx: &Ctx<'_>) -> Topology {
    let mut topo = Topology::default();
    topo.logical_cpus = sysctl_u32(ctx, &mut topo, "hw.ncpu");
    topo.physical_cpus = sysctl_u32(ctx, &mut topo, "hw.physicalcpu");
    match ctx.sysctl("hw.nperflevels") {
        Ok(v) => {
            let Ok(n) = v.trim().parse::<u32>() else {
                topo.problems
                    .push(format!("hw.nperflevels is not a number: `{}`", v.trim()));
                return topo;
            };
            topo.ev("hw.nperflevels", v.trim(), "sysctl hw.nperflevels");
            topo.has_perflevels = Some(true);
            for i in 0..n.min(16) {
                let logical = sysctl_u32(ctx, &mut topo, &format!("hw.perflevel{i}.logicalcpu"));
                let physical = sysctl_u32(ctx, &mut topo, &format!("hw.perflevel{i}.physicalcpu"));
                // `.name` is absent on older macOS (M2 under macOS 12): never required.
                let key = format!("hw.perflevel{i}.name");
                let name = match ctx.sysctl(&key) {
                    Ok(name) if !name.trim().is_empty() => {
                        topo.ev(&key, name.trim(), format!("sysctl {key}"));
                        name.trim().to_owned()
                    }
                    _ => format!("perflevel{i}"),
                };
                match logical.or(physical) {
                    Some(logical) => topo.classes.push(CoreClass {
                        name,
                        logical,
                        physical,
                        cpus: Vec::new(),
                    }),
                    None => topo
                        .problems
                        .push(format!("hw.perflevel{i}.logicalcpu could not be read")),
                }
            }
        }
        Err(e) if e.kind == ProbeErrorKind::NotFound => {
            topo.ev(
                "hw.nperflevels",
                "(does not exist)",
                "sysctl hw.nperflevels",
            );
            topo.has_perflevels = Some(false);
        }
        Err(e) => topo.problems.push(format!("sysctl hw.nperflevels: {e}")),
    }
    topo
}

fn read_trim(ctx: &Ctx<'_>, path: &str) -> Option<String> {
    ctx.read_to_string(path).ok().map(|s| s.trim().to_owned())
}

fn gather_linux(ctx: &Ctx<'_>) -> Topology {
    let mut topo = Topology::default();
    const ONLINE: &str = "/sys/devices/system/cpu/online";
    match ctx.read_to_string(ONLINE) {
        Ok(text) => match parse_cpu_list(&text) {
            Some(cpus) => {
                topo.ev("online", text.trim(), ONLINE);
                topo.logical_cpus = u32::try_from(cpus.len()).ok();
                topo.online = cpus;
            }
            None => topo
                .problems
                .push(format!("{ONLINE} is not a CPU list: `{}`", text.trim())),
        },
        Err(e) => topo.problems.push(format!("{ONLINE}: {e}")),
    }

    // Physical cores: distinct (package, core) pairs among online CPUs.
    let mut cores = Vec::new();
    for cpu in &topo.online {
        let base = format!("/sys/devices/system/cpu/cpu{cpu}/topology");
        let package = read_trim(ctx, &format!("{base}/physical_package_id"));
        let core = read_trim(ctx, &format!("{base}/core_id"));
        if let (Some(p), Some(c)) = (package, core) {
            cores.push((p, c));
        }
    }
    if !topo.online.is_empty() && cores.len() == topo.online.len() {
        cores.sort();
        cores.dedup();
        topo.physical_cpus = u32::try_from(cores.len()).ok();
        topo.ev(
            "physical cores",
            cores.len().to_string(),
            "/sys/devices/system/cpu/cpuN/topology/{physical_package_id,core_id}",
        );
    }

    // Intel hybrid: the PMU devices list the CPUs of each class.
    let hybrid: Vec<(&str, &str)> = vec![
        ("cpu_core", "/sys/devices/cpu_core/cpus"),
        ("cpu_atom", "/sys/devices/cpu_atom/cpus"),
    ];
    for (name, path) in hybrid {
        if let Some(cpus) = read_trim(ctx, path).and_then(|t| parse_cpu_list(&t)) {
            topo.ev(name, format_cpu_list(&cpus), path);
            let logical = u32::try_from(cpus.len()).unwrap_or(u32::MAX);
            topo.classes.push(CoreClass {
                name: name.to_owned(),
                logical,
                physical: None,
                cpus,
            });
        }
    }

    if topo.classes.is_empty() {
        // arm big.LITTLE (and some x86 VMs): cpu_capacity per CPU, higher is faster.
        let mut by_capacity: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut all_read = !topo.online.is_empty();
        for cpu in &topo.online {
            let path = format!("/sys/devices/system/cpu/cpu{cpu}/cpu_capacity");
            match read_trim(ctx, &path).and_then(|t| t.parse::<u32>().ok()) {
                Some(cap) => match by_capacity.iter_mut().find(|(c, _)| *c == cap) {
                    Some((_, cpus)) => cpus.push(*cpu),
                    None => by_capacity.push((cap, vec![*cpu])),
                },
                None => all_read = false,
            }
        }
        if all_read {
            by_capacity.sort_by_key(|c| std::cmp::Reverse(c.0));
            for (cap, cpus) in by_capacity {
                topo.ev(
                    format!("cpu_capacity {cap}"),
                    format_cpu_list(&cpus),
                    "/sys/devices/system/cpu/cpuN/cpu_capacity",
                );
                topo.classes.push(CoreClass {
                    name: format!("capacity {cap}"),
                    logical: u32::try_from(cpus.len()).unwrap_or(u32::MAX),
                    physical: None,
                    cpus,
                });
            }
        }
    }
    // The hybrid PMU files exist on hybrid machines only; a single class carries no news.
    if topo.classes.len() == 1 {
        topo.classes[0].name = format!("{} (uniform)", topo.classes[0].name);
    }

    let active = read_trim(ctx, "/sys/devices/system/cpu/smt/active");
    let control = read_trim(ctx, "/sys/devices/system/cpu/smt/control");
    if let (Some(active), Some(control)) = (active, control) {
        topo.ev("smt/active", &active, "/sys/devices/system/cpu/smt/active");
        topo.ev(
            "smt/control",
            &control,
            "/sys/devices/system/cpu/smt/control",
        );
        topo.smt = Some((active == "1", control));
    }
    topo
}

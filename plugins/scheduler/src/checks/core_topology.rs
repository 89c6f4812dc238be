//! `scheduler.core-topology`: the CPU core classes of this machine.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::cpulist::format_cpu_list;
use crate::topology::Topology;

#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    pub topo: Topology,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    Observations {
        os: ctx.facts().os.to_string(),
        topo: Topology::gather(ctx),
    }
}

fn describe_classes(topo: &Topology) -> String {
    topo.classes
        .iter()
        .map(|c| {
            if c.cpus.is_empty() {
                format!("{} {}", c.logical, c.name)
            } else {
                format!(
                    "{} {} (CPUs {})",
                    c.logical,
                    c.name,
                    format_cpu_list(&c.cpus)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The `scheduler.core-topology` finding, from observations only.
pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![finding(obs)]
}

fn finding(obs: &Observations) -> Finding {
    let topo = &obs.topo;
    let Some(logical) = topo.logical_cpus else {
        let mut f = Finding::skip("Could not read the CPU count").detail(topo.problems.join("; "));
        for (k, v, s) in &topo.evidence {
            f = f.evidence(k, v, s);
        }
        return f;
    };
    let macos = obs.os == "macos";
    let mut title = if topo.classes.len() > 1 {
        format!(
            "{} core classes: {} ({logical} logical CPUs)",
            topo.classes.len(),
            describe_classes(topo)
        )
    } else if macos && topo.has_perflevels == Some(false) {
        format!("{logical} logical CPUs; no performance levels reported (one core type)")
    } else if let Some(class) = topo.classes.first() {
        format!("{logical} logical CPUs, one core class ({})", class.name)
    } else {
        format!("{logical} logical CPUs")
    };
    let mut detail = Vec::new();
    if let Some(physical) = topo.physical_cpus {
        detail.push(format!("{physical} physical cores."));
    }
    if let Some((active, control)) = &topo.smt {
        let smt = match (active, control.as_str()) {
            (_, "notsupported" | "notimplemented") => "SMT not supported",
            (true, _) => "SMT on",
            (false, _) => "SMT off",
        };
        title.push_str(&format!(", {smt}"));
        detail.push(format!("SMT control: {control}."));
    }
    if topo.classes.len() > 1 {
        detail.push(
            "The first class is the fastest. A benchmark whose goroutines run on cores of different \
classes measures a mix of speeds. Go's runtime reads no core-class information (its \
source has no perflevel or cpu_capacity use); the OS decides which core runs each thread."
                .to_owned(),
        );
    }
    if !topo.problems.is_empty() {
        detail.push(format!("Not read: {}.", topo.problems.join("; ")));
    }
    let mut f = Finding::info(title).detail(detail.join(" "));
    for (k, v, s) in &topo.evidence {
        f = f.evidence(k, v, s);
    }
    f
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
        run: |ctx| judge(&gather(ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::CoreClass;
    use gohost_plugin_api::Status;

    #[test]
    fn judge_table() {
        let class = |name: &str, n: u32| CoreClass {
            name: name.into(),
            logical: n,
            physical: Some(n),
            cpus: Vec::new(),
        };
        // The M4 Max perflevels (shared fixture m4max-sequoia-…: 12 Performance + 4 Efficiency).
        let m4 = Topology {
            logical_cpus: Some(16),
            classes: vec![class("Performance", 12), class("Efficiency", 4)],
            has_perflevels: Some(true),
            ..Topology::default()
        };
        let intel = Topology {
            logical_cpus: Some(12),
            has_perflevels: Some(false),
            ..Topology::default()
        };
        let unread = Topology {
            problems: vec!["sysctl hw.ncpu: not recorded".into()],
            ..Topology::default()
        };
        let rows = vec![
            (
                m4,
                Status::Info,
                "2 core classes: 12 Performance + 4 Efficiency (16 logical CPUs)",
            ),
            (
                intel,
                Status::Info,
                "12 logical CPUs; no performance levels reported (one core type)",
            ),
            (unread, Status::Skip, "Could not read the CPU count"),
        ];
        assert_eq!(rows.len(), 3);
        for (topo, status, title) in rows {
            let f = judge(&Observations {
                os: "macos".into(),
                topo,
            });
            assert_eq!(f.len(), 1);
            assert_eq!((f[0].status, f[0].title.as_str()), (status, title));
        }
    }
}

//! `scheduler.benchmark-advice`: concrete `go test -bench` advice for this OS, from the
//! topology and the GOMAXPROCS prediction.

use gohost_plugin_api::{inventory, Check, Finding, Needs};

use crate::cpulist::format_cpu_list;
use crate::rules::{container_rule, predict};

pub use super::gomaxprocs::{gather, Observations};

/// The advice, from observations only.
pub fn judge(inputs: &Observations) -> Vec<Finding> {
    vec![advice(inputs)]
}

fn advice(inputs: &Observations) -> Finding {
    let os = inputs.os.clone();
    let Some(cpus) = inputs.cpus else {
        return Finding::skip("No advice: the CPU count could not be read")
            .detail(inputs.problems.join("; "));
    };
    let limit = inputs.limit.as_ref().and_then(|l| l.cpus);
    let rule = container_rule(&os, inputs.go, inputs.godebug.as_deref(), &inputs.module);
    let p = predict(&os, inputs.env.as_deref(), &rule, cpus, limit);
    let predicted = p
        .value
        .map_or("(could not tell)".to_owned(), |v| v.to_string());
    let mut text = vec![
        "Run each benchmark several times and compare distributions, not single numbers."
            .to_owned(),
    ];
    let mut commands = vec!["go install golang.org/x/perf/cmd/benchstat@latest".to_owned()];
    let fastest = inputs.topo.fastest_if_hybrid().cloned();
    let mut title = match p.value {
        Some(v) => format!("Benchmark with -count 10 and benchstat; GOMAXPROCS will be {v}"),
        None => "Benchmark with -count 10 and benchstat".to_owned(),
    };
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
            // Unpredicted: the CPUs the process may use bound it anyway.
            let value = p.value.unwrap_or(cpus);
            let n = match limit {
                Some(l) => value.min(l.ceil().max(1.0) as u32),
                None => value,
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
            predicted,
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

inventory::submit! {
    Check {
        id: "scheduler.benchmark-advice",
        title: "Advice for stable Go benchmarks",
        explain: "Turns the topology and GOMAXPROCS findings into concrete `go test -bench` advice for \
this OS: repeat runs and compare with benchstat, keep `-cpu` at or below the fastest core class, \
and on Linux with more than one core class pin with `taskset` to one class. GOMAXPROCS in the advice \
is scheduler.gomaxprocs's prediction; when that could not be told, the advice bounds -cpu by the \
CPUs this process may use.",
        tags: &["go", "benchmark"],
        needs: Needs::NONE,
        run: |ctx| judge(&gather(ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::MainModule;
    use crate::topology::{CoreClass, Topology};
    use gohost_plugin_api::Status;

    #[test]
    fn judge_table() {
        let mac = |classes: Vec<CoreClass>| Observations {
            os: "macos".into(),
            topo: Topology {
                logical_cpus: Some(16),
                classes,
                ..Topology::default()
            },
            cpus: Some(16),
            affinity: None,
            limit: None,
            env: None,
            godebug: None,
            go: Some((1, 27)),
            go_version: None,
            module: MainModule::NoModule,
            limit_read: true,
            problems: Vec::new(),
        };
        let class = |name: &str, n: u32| CoreClass {
            name: name.into(),
            logical: n,
            physical: None,
            cpus: Vec::new(),
        };
        let mut none = mac(Vec::new());
        none.cpus = None;
        let rows = vec![
            (
                mac(vec![class("Performance", 12), class("Efficiency", 4)]),
                Status::Info,
                "Benchmark with -cpu 12 (the 12 Performance cores) or less, -count 10, benchstat",
            ),
            (
                mac(Vec::new()),
                Status::Info,
                "Benchmark with -count 10 and benchstat; GOMAXPROCS will be 16",
            ),
            (
                none,
                Status::Skip,
                "No advice: the CPU count could not be read",
            ),
        ];
        assert_eq!(rows.len(), 3);
        for (obs, status, title) in rows {
            let f = judge(&obs);
            assert_eq!(f.len(), 1);
            assert_eq!((f[0].status, f[0].title.as_str()), (status, title));
        }
    }
}

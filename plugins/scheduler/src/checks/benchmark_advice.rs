//! `scheduler.benchmark-advice`: concrete `go test -bench` advice for this OS, from the
//! topology and the GOMAXPROCS prediction.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::cpulist::format_cpu_list;
use crate::rules::predict;

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

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
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
        run,
    }
}

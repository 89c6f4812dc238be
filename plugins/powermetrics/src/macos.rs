//! The macOS observations (decided on `facts().os`, so they run from replays anywhere).

use std::time::Duration;

use gohost_plugin_api::{Command, Ctx, Finding, Output, ProbeErrorKind};

use crate::parse;
use crate::Obs;

const SHORT: Duration = Duration::from_secs(5);

pub const POWERMETRICS_ARGV: [&str; 9] = [
    "powermetrics",
    "-n",
    "1",
    "-i",
    "200",
    "--samplers",
    "cpu_power,gpu_power,ane_power,thermal",
    "-f",
    "plist",
];

pub(crate) fn run(ctx: &Ctx<'_>, argv: &[&str], timeout: Duration) -> Result<Output, String> {
    let out = ctx
        .exec(&Command::new(argv.iter().copied()).timeout(timeout))
        .map_err(|e| format!("`{}` could not run: {e}", argv.join(" ")))?;
    if out.raw.exit.timed_out {
        return Err(format!("`{}` timed out after {timeout:?}", argv.join(" ")));
    }
    Ok(out)
}

fn run_ok(ctx: &Ctx<'_>, argv: &[&str]) -> Result<Output, String> {
    let out = run(ctx, argv, SHORT)?;
    if !out.success() {
        return Err(format!(
            "`{}` ended with {}: {}",
            argv.join(" "),
            out.describe_exit(),
            out.stderr.trim()
        ));
    }
    Ok(out)
}

fn cannot(what: &str, why: String) -> Obs {
    Obs::new(Finding::skip(format!("Could not read {what}")).detail(why)).unknown(what.to_owned())
}

pub fn thermal(ctx: &Ctx<'_>) -> Obs {
    let out = match run_ok(ctx, &["pmset", "-g", "therm"]) {
        Ok(o) => o,
        Err(e) => return cannot("the thermal state", e),
    };
    let t = parse::pmset_therm(&out.stdout);
    let mut f;
    let speed = t.limits.get("CPU_Speed_Limit").copied();
    let sched = t.limits.get("CPU_Scheduler_Limit").copied();
    match (speed, sched) {
        (Some(s), Some(c)) if s < 100 || c < 100 => {
            f = Finding::warn(format!(
                "The CPU is thermally throttled: speed limit {s}%, scheduler limit {c}%"
            ))
            .detail("macOS reports the CPU running below full speed because of heat or power limits; benchmark numbers now are lower and unstable.")
            .remediation(
                "Let the machine cool down (close heavy apps, ensure airflow), then re-check.",
                ["pmset -g therm", "gohost run powermetrics"],
            );
            for (k, v) in &t.limits {
                f = f.evidence(k, v.to_string(), "pmset -g therm");
            }
            Obs::new(f).blocker(format!("CPU throttled (CPU_Speed_Limit {s}%)"))
        }
        (Some(s), _) => {
            f = Finding::pass(format!("No thermal throttling (CPU_Speed_Limit {s}%)"));
            for (k, v) in &t.limits {
                f = f.evidence(k, v.to_string(), "pmset -g therm");
            }
            Obs::new(f)
        }
        _ if !t.warnings.is_empty() => {
            f = Finding::warn("pmset reports a thermal or performance warning")
                .detail(t.warnings.join("; "))
                .evidence("warnings", t.warnings.join("; "), "pmset -g therm")
                .remediation(
                    "Let the machine cool down, then re-check.",
                    ["pmset -g therm"],
                );
            Obs::new(f).blocker("a thermal/performance warning level is recorded")
        }
        _ => {
            f = Finding::info("pmset reports no thermal or performance warning; no CPU limits to read")
                .detail("`pmset -g therm` prints only notes here (as on Apple Silicon), so the thermal pressure level is unknown without the root-only powermetrics sample.")
                .evidence("notes", t.notes.join("; "), "pmset -g therm")
                .remediation(
                    "Read the thermal pressure level with powermetrics (root):",
                    [format!("sudo {}", POWERMETRICS_ARGV.join(" "))],
                );
            Obs::new(f).unknown("thermal pressure (needs the root-only powermetrics sample)")
        }
    }
}

pub fn memory_pressure(ctx: &Ctx<'_>) -> Obs {
    let mp = match run_ok(ctx, &["memory_pressure"]) {
        Ok(o) => o,
        Err(e) => return cannot("memory pressure", e),
    };
    let Some(free) = parse::memory_free_percent(&mp.stdout) else {
        return cannot(
            "memory pressure",
            "`memory_pressure` printed no \"System-wide memory free percentage\" line".to_owned(),
        );
    };
    let mut f_evidence = vec![(
        "memory free %".to_owned(),
        free.to_string(),
        "memory_pressure".to_owned(),
    )];
    let mut compressed_mib = None;
    if let Ok(vm) = run_ok(ctx, &["vm_stat"]) {
        let (page, counters) = parse::vm_stat(&vm.stdout);
        if let (Some(page), Some(pages)) = (page, counters.get("Pages occupied by compressor")) {
            let mib = (*pages as f64 * page as f64) / (1024.0 * 1024.0);
            compressed_mib = Some(mib);
            f_evidence.push((
                "compressor MiB".to_owned(),
                format!("{mib:.0}"),
                format!("vm_stat (Pages occupied by compressor {pages} × page size {page})"),
            ));
        }
    }
    let compressed = compressed_mib
        .map(|m| format!(", {m:.0} MiB held by the memory compressor"))
        .unwrap_or_default();
    let (mut f, blocker) = if free < 25 {
        (
            Finding::warn(format!("Memory pressure: only {free}% of memory free{compressed}"))
                .detail("macOS is compressing and may swap; allocation-heavy benchmarks will be slower and noisy.")
                .remediation("Quit memory-hungry apps, then re-check.", ["memory_pressure", "gohost run powermetrics"]),
            Some(format!("memory pressure ({free}% free)")),
        )
    } else {
        (
            Finding::pass(format!("{free}% of memory free{compressed}")),
            None,
        )
    };
    for (k, v, s) in f_evidence {
        f = f.evidence(k, v, s);
    }
    let mut obs = Obs::new(f);
    obs.blocker = blocker;
    obs
}

pub fn swap(ctx: &Ctx<'_>) -> Obs {
    let raw = match ctx.sysctl("vm.swapusage") {
        Ok(v) => v,
        Err(e) => return cannot("swap use", format!("sysctl vm.swapusage: {e}")),
    };
    let Some((total, used, free)) = parse::swapusage(&raw) else {
        return cannot(
            "swap use",
            format!("unexpected vm.swapusage `{}`", raw.trim()),
        );
    };
    let f = if used > 0.0 {
        Finding::info(format!("{used:.2} MiB of {total:.2} MiB swap in use"))
            .detail("Swap in use means memory ran short at some point; it matters for benchmarks together with memory pressure.")
    } else {
        Finding::pass(format!("No swap in use ({total:.2} MiB swap configured)"))
    };
    Obs::new(
        f.evidence("vm.swapusage", raw.trim(), "sysctl vm.swapusage")
            .evidence("free MiB", format!("{free:.2}"), "sysctl vm.swapusage"),
    )
}

pub fn power_source(ctx: &Ctx<'_>) -> Obs {
    let out = match run_ok(ctx, &["pmset", "-g", "batt"]) {
        Ok(o) => o,
        Err(e) => return cannot("the power source", e),
    };
    let (source, battery) = parse::pmset_batt(&out.stdout);
    let mut f = match source.as_deref() {
        Some("AC Power") => Finding::pass("On AC power"),
        Some("Battery Power") => Finding::warn("On battery power")
            .detail("On battery, macOS may favour efficiency; benchmark on AC power.")
            .remediation(
                "Plug in the power adapter, then re-check.",
                ["pmset -g batt"],
            ),
        Some(other) => Finding::info(format!("Power source: {other}")),
        None => {
            return cannot(
                "the power source",
                "no \"Now drawing from\" line in `pmset -g batt`".to_owned(),
            )
        }
    };
    f = f.evidence(
        "source",
        source.clone().unwrap_or_default(),
        "pmset -g batt",
    );
    if let Some(b) = &battery {
        f = f.evidence("battery", b, "pmset -g batt");
    }
    let obs = Obs::new(f);
    if source.as_deref() == Some("Battery Power") {
        obs.blocker("on battery power")
    } else {
        obs
    }
}

pub fn low_power_mode(ctx: &Ctx<'_>) -> Obs {
    let out = match run_ok(ctx, &["pmset", "-g"]) {
        Ok(o) => o,
        Err(e) => return cannot("Low Power Mode", e),
    };
    let (key, value) = match (
        parse::pmset_setting(&out.stdout, "lowpowermode"),
        parse::pmset_setting(&out.stdout, "powermode"),
    ) {
        (Some(v), _) => ("lowpowermode", v),
        (None, Some(v)) => ("powermode", v),
        (None, None) => {
            return Obs::new(
                Finding::info("`pmset -g` shows no lowpowermode or powermode setting").detail(
                    "This Mac or macOS version does not report Low Power Mode through pmset.",
                ),
            )
            .unknown("Low Power Mode")
        }
    };
    let on = value == "1";
    let f = if on {
        Finding::warn("Low Power Mode is on")
            .detail("Low Power Mode lowers CPU performance; benchmark numbers are not comparable with normal runs.")
            .remediation(
                "Turn Low Power Mode off (System Settings > Battery, or):",
                [if key == "powermode" { "sudo pmset -a powermode 0" } else { "sudo pmset -a lowpowermode 0" }],
            )
    } else {
        Finding::pass("Low Power Mode is off")
    };
    let obs = Obs::new(f.evidence(key, &value, "pmset -g"));
    if on {
        obs.blocker("Low Power Mode is on")
    } else {
        obs
    }
}

pub fn cpu_frequency(_ctx: &Ctx<'_>) -> Obs {
    Obs::new(
        Finding::skip("macOS has no cpufreq interface")
            .detail("Cluster frequencies and residency come from the root-only powermetrics sample (powermetrics.power-sample)."),
    )
}

pub fn cpu_load(_ctx: &Ctx<'_>) -> Obs {
    Obs::new(
        Finding::skip("macOS has no pressure-stall information (PSI)")
            .detail("The powermetrics sample's cluster residency (powermetrics.power-sample) shows how busy the CPU clusters are."),
    )
}

pub fn cgroup_throttling(_ctx: &Ctx<'_>) -> Obs {
    Obs::new(
        Finding::skip("macOS has no cgroups")
            .detail("CPU bandwidth throttling by cgroup is a Linux mechanism."),
    )
}

/// Whether this process runs as root: `id -u`.
fn is_root(ctx: &Ctx<'_>) -> Result<bool, String> {
    let out = run_ok(ctx, &["id", "-u"])?;
    Ok(out.stdout.trim() == "0")
}

/// The powermetrics sample, or why not.
#[allow(clippy::result_large_err)] // Finding is the ABI type; a skip is the normal outcome
pub fn take_sample(ctx: &Ctx<'_>) -> Result<(parse::Sample, String), Finding> {
    let manual = format!("sudo {}", POWERMETRICS_ARGV.join(" "));
    let root = is_root(ctx)
        .map_err(|e| Finding::skip("Could not tell whether gohost runs as root").detail(e))?;
    let mut argv: Vec<&str> = Vec::new();
    if !root {
        if !ctx.options().allow_root {
            return Err(Finding::skip("powermetrics needs root: not sampled")
                .detail("Without root gohost uses only sudo-free sources. Allow a non-interactive sudo (`sudo -n`, never a password prompt) with --allow-root-probes, or run the sample yourself.")
                .evidence("command", &manual, "powermetrics.power-sample")
                .remediation("Take the sample yourself, or let gohost use passwordless sudo:", [manual.clone(), "gohost run powermetrics --allow-root-probes".to_owned()]));
        }
        argv.extend(["sudo", "-n"]);
    }
    argv.extend(POWERMETRICS_ARGV);
    let sample = |argv: &[&str]| {
        run(ctx, argv, Duration::from_secs(10)).map_err(|e| {
            Finding::skip("powermetrics could not be sampled")
                .detail(e)
                .evidence("command", argv.join(" "), "powermetrics.power-sample")
                .remediation("Run it yourself:", [manual.clone()])
        })
    };
    let mut out = sample(&argv)?;
    // The exact sampler list of every macOS version is not documented: should this
    // powermetrics reject `ane_power`, the cpu_power sampler still reports ane_power (as in
    // the captured M1 plists, taken with cpu_power,gpu_power,thermal).
    if !out.success() && out.stderr.to_ascii_lowercase().contains("sampler") {
        let fallback: Vec<&str> = argv
            .iter()
            .map(|a| {
                if *a == "cpu_power,gpu_power,ane_power,thermal" {
                    "cpu_power,gpu_power,thermal"
                } else {
                    a
                }
            })
            .collect();
        out = sample(&fallback)?;
        argv = fallback;
    }
    if !out.success() {
        let needs_password = !root
            && (out.stderr.contains("password is required")
                || out.stderr.contains("a terminal is required"));
        let title = if needs_password {
            "sudo needs a password: powermetrics not sampled (gohost never prompts)"
        } else {
            "powermetrics failed"
        };
        return Err(Finding::skip(title)
            .detail(format!(
                "`{}` ended with {}: {}",
                argv.join(" "),
                out.describe_exit(),
                out.stderr.trim()
            ))
            .evidence("command", argv.join(" "), "powermetrics.power-sample")
            .remediation("Run it yourself (it will ask for your password):", [manual]));
    }
    let sample = parse::powermetrics_plist(&out.raw.stdout).map_err(|e| {
        Finding::error("powermetrics printed something gohost cannot read").detail(e)
    })?;
    Ok((sample, argv.join(" ")))
}

pub fn power_sample(ctx: &Ctx<'_>) -> Obs {
    let (s, cmd) = match take_sample(ctx) {
        Ok(v) => v,
        Err(f) => return Obs::new(f).unknown("the powermetrics sample"),
    };
    let pressure = s
        .thermal_pressure
        .clone()
        .unwrap_or_else(|| "(not reported)".to_owned());
    let mw = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.0} mW"));
    let title = format!(
        "Thermal pressure {pressure}; CPU {}, GPU {}, ANE {}",
        mw(s.cpu_power_mw),
        mw(s.gpu_power_mw),
        mw(s.ane_power_mw)
    );
    let nominal = s.thermal_pressure.as_deref() == Some("Nominal");
    let mut f = if nominal || s.thermal_pressure.is_none() {
        Finding::info(title)
    } else {
        Finding::warn(title)
            .detail("The system reports thermal pressure above Nominal: the CPU may be slowed to cool down.")
            .remediation("Let the machine cool down, then re-check.", ["gohost run powermetrics --allow-root-probes"])
    };
    f = f
        .evidence("thermal_pressure", &pressure, &cmd)
        .evidence(
            "cpu_power mW",
            s.cpu_power_mw.map_or("-".into(), |v| v.to_string()),
            &cmd,
        )
        .evidence(
            "gpu_power mW",
            s.gpu_power_mw.map_or("-".into(), |v| v.to_string()),
            &cmd,
        )
        .evidence(
            "ane_power mW",
            s.ane_power_mw.map_or("-".into(), |v| v.to_string()),
            &cmd,
        );
    if let Some(m) = &s.hw_model {
        f = f.evidence("hw_model", m, &cmd);
    }
    for (name, mhz, active) in &s.clusters {
        f = f.evidence(
            name.to_string(),
            format!("{mhz:.0} MHz, {:.1}% active", active * 100.0),
            &cmd,
        );
    }
    if let (Some(mhz), Some(active)) = (s.gpu_mhz, s.gpu_active) {
        f = f.evidence(
            "GPU",
            format!("{mhz:.0} MHz, {:.1}% active", active * 100.0),
            &cmd,
        );
    }
    let obs = Obs::new(f);
    match s.thermal_pressure {
        Some(p) if p != "Nominal" => obs.blocker(format!("thermal pressure {p}")),
        _ => obs,
    }
}

/// Whether an error means "not there" rather than "could not tell".
#[allow(dead_code)]
pub(crate) fn missing(kind: ProbeErrorKind) -> bool {
    kind == ProbeErrorKind::NotFound
}

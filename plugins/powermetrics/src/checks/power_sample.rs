//! `powermetrics.power-sample`: one short `powermetrics -f plist` sample on macOS (root, or
//! non-interactive sudo when root probes are allowed); RAPL energy counters on Linux.

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs, ProbeErrorKind};

use crate::parse::{self, Sample};
use crate::probe::{list, read, run as run_cmd, say, Listing, Read};
use crate::{is_macos, Obs};

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

const SAMPLERS: &str = "cpu_power,gpu_power,ane_power,thermal";
const SAMPLERS_WITHOUT_ANE: &str = "cpu_power,gpu_power,thermal";

/// The command a user runs to take the sample by hand.
pub const MANUAL: &str =
    "sudo powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist";

/// A command that ran to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub ok: bool,
    pub exit: String,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// One try at taking the sample: its command line and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub argv: Vec<String>,
    pub result: Result<Ran, String>,
}

/// One RAPL zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub zone: String,
    pub name: Read,
    pub energy: Read,
    pub denied: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac {
        /// Whether gohost runs as root (`id -u`), or why that is unknown.
        root: Result<bool, String>,
        allow_root: bool,
        /// The tries, in order; the last one decides.
        attempts: Vec<Attempt>,
    },
    Linux {
        zones: Listing,
        read: Vec<Zone>,
    },
}

/// Whether this process runs as root: `id -u`.
pub fn is_root(ctx: &Ctx<'_>) -> Result<bool, String> {
    say(ctx, &["id", "-u"]).map(|out| out.trim() == "0")
}

fn attempt(ctx: &Ctx<'_>, argv: &[&str]) -> Attempt {
    let result = run_cmd(
        ctx,
        Command::new(argv.iter().copied()),
        Duration::from_secs(10),
    )
    .map(|out| Ran {
        ok: out.success(),
        exit: out.describe_exit(),
        stderr: out.stderr.clone(),
        stdout: out.raw.stdout.to_vec(),
    });
    Attempt {
        argv: argv.iter().map(|s| (*s).to_owned()).collect(),
        result,
    }
}

pub fn gather_mac(ctx: &Ctx<'_>) -> Observations {
    let allow_root = ctx.options().allow_root;
    let root = is_root(ctx);
    let mut attempts = Vec::new();
    if let Ok(root) = root {
        if root || allow_root {
            let mut argv: Vec<&str> = Vec::new();
            if !root {
                argv.extend(["sudo", "-n"]);
            }
            argv.extend(POWERMETRICS_ARGV);
            let first = attempt(ctx, &argv);
            // The exact sampler list of every macOS version is not documented: should this
            // powermetrics reject `ane_power`, the cpu_power sampler still reports ane_power
            // (as in the captured M1 plists, taken with cpu_power,gpu_power,thermal).
            let retry = matches!(&first.result, Ok(r) if !r.ok && r.stderr.to_ascii_lowercase().contains("sampler"));
            attempts.push(first);
            if retry {
                let fallback: Vec<&str> = argv
                    .iter()
                    .map(|a| {
                        if *a == SAMPLERS {
                            SAMPLERS_WITHOUT_ANE
                        } else {
                            a
                        }
                    })
                    .collect();
                attempts.push(attempt(ctx, &fallback));
            }
        }
    }
    Observations::Mac {
        root,
        allow_root,
        attempts,
    }
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return gather_mac(ctx);
    }
    const BASE: &str = "/sys/class/powercap";
    let zones = list(ctx, BASE);
    let read_zones = zones
        .as_ref()
        .map(|names| {
            names
                .iter()
                .filter(|n| n.starts_with("intel-rapl:"))
                .map(|z| {
                    let path = format!("{BASE}/{z}/energy_uj");
                    let (energy, denied) = match ctx.read_to_string(&path) {
                        Ok(v) => (Read::Text(v), false),
                        Err(e) => (
                            Read::Failed(format!("{path}: {e}")),
                            e.kind == ProbeErrorKind::PermissionDenied,
                        ),
                    };
                    Zone {
                        zone: z.clone(),
                        name: read(ctx, &format!("{BASE}/{z}/name")),
                        energy,
                        denied,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Observations::Linux {
        zones,
        read: read_zones,
    }
}

/// The sample, or the finding that says why there is none.
#[allow(clippy::result_large_err)] // Finding is the ABI type; a skip is the normal outcome
pub fn sample_of(
    root: &Result<bool, String>,
    allow_root: bool,
    attempts: &[Attempt],
) -> Result<(Sample, String), Finding> {
    let root = match root {
        Ok(r) => *r,
        Err(e) => return Err(Finding::skip("Could not tell whether gohost runs as root").detail(e)),
    };
    if !root && !allow_root {
        return Err(Finding::skip("powermetrics needs root: not sampled")
            .detail("Without root gohost uses only sudo-free sources. Allow a non-interactive sudo (`sudo -n`, never a password prompt) with --allow-root-probes, or run the sample yourself.")
            .evidence("command", MANUAL, "powermetrics.power-sample")
            .remediation("Take the sample yourself, or let gohost use passwordless sudo:", [MANUAL, "gohost run powermetrics --allow-root-probes"]));
    }
    let Some(last) = attempts.last() else {
        return Err(
            Finding::skip("powermetrics could not be sampled").detail("no sample was taken")
        );
    };
    let line = last.argv.join(" ");
    let out = match &last.result {
        Ok(out) => out,
        Err(e) => {
            return Err(Finding::skip("powermetrics could not be sampled")
                .detail(e.clone())
                .evidence("command", &line, "powermetrics.power-sample")
                .remediation("Run it yourself:", [MANUAL]))
        }
    };
    if !out.ok {
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
                "`{line}` ended with {}: {}",
                out.exit,
                out.stderr.trim()
            ))
            .evidence("command", &line, "powermetrics.power-sample")
            .remediation("Run it yourself (it will ask for your password):", [MANUAL]));
    }
    let sample = parse::powermetrics_plist(&out.stdout).map_err(|e| {
        Finding::error("powermetrics printed something gohost cannot read").detail(e)
    })?;
    Ok((sample, line))
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac {
            root,
            allow_root,
            attempts,
        } => match sample_of(root, *allow_root, attempts) {
            Ok((s, cmd)) => mac(&s, &cmd),
            Err(f) => Obs::new(f).unknown("the powermetrics sample"),
        },
        Observations::Linux { zones, read } => linux(zones, read),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn mac(s: &Sample, cmd: &str) -> Obs {
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
        .evidence("thermal_pressure", &pressure, cmd)
        .evidence(
            "cpu_power mW",
            s.cpu_power_mw.map_or("-".into(), |v| v.to_string()),
            cmd,
        )
        .evidence(
            "gpu_power mW",
            s.gpu_power_mw.map_or("-".into(), |v| v.to_string()),
            cmd,
        )
        .evidence(
            "ane_power mW",
            s.ane_power_mw.map_or("-".into(), |v| v.to_string()),
            cmd,
        );
    if let Some(m) = &s.hw_model {
        f = f.evidence("hw_model", m, cmd);
    }
    for (name, mhz, active) in &s.clusters {
        f = f.evidence(
            name.to_string(),
            format!("{mhz:.0} MHz, {:.1}% active", active * 100.0),
            cmd,
        );
    }
    if let (Some(mhz), Some(active)) = (s.gpu_mhz, s.gpu_active) {
        f = f.evidence(
            "GPU",
            format!("{mhz:.0} MHz, {:.1}% active", active * 100.0),
            cmd,
        );
    }
    let obs = Obs::new(f);
    match &s.thermal_pressure {
        Some(p) if p != "Nominal" => obs.blocker(format!("thermal pressure {p}")),
        _ => obs,
    }
}

fn linux(zones: &Listing, read: &[Zone]) -> Obs {
    const BASE: &str = "/sys/class/powercap";
    if zones.is_err() || read.is_empty() {
        return Obs::new(
            Finding::skip("No RAPL energy counters on this machine")
                .detail("/sys/class/powercap has no intel-rapl zones (not an Intel/AMD CPU with the RAPL powercap driver, or a virtual machine)."),
        );
    }
    let mut f_ev = Vec::new();
    let mut denied = None;
    for z in read {
        let path = format!("{BASE}/{}/energy_uj", z.zone);
        let name = z.name.text().unwrap_or(&z.zone).to_owned();
        match z.energy.text() {
            Some(v) => f_ev.push((format!("{} ({name}) energy_uj", z.zone), v.to_owned(), path)),
            None if z.denied => denied = Some(path),
            None => {}
        }
    }
    if let Some(path) = denied.filter(|_| f_ev.is_empty()) {
        return Obs::new(
            Finding::skip("RAPL energy counters are root-only here")
                .detail("Kernels patched for CVE-2020-8694 restrict energy_uj to root.")
                .evidence("energy_uj", "permission denied", &path)
                .remediation("Read it as root:", [format!("sudo cat {path}")]),
        );
    }
    let mut f = Finding::info(format!(
        "RAPL energy counters readable ({} zones)",
        f_ev.len()
    ))
    .detail(
        "Cumulative energy in microjoules; read before and after a benchmark to get its energy.",
    );
    for (k, v, s) in f_ev {
        f = f.evidence(k, v, s);
    }
    Obs::new(f)
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

inventory::submit! { Check { id: "powermetrics.power-sample", title: "Power sample", tags: &["hardware", "root"], needs: Needs { network: false, root: true, slow: false }, run,
explain: "macOS, as root or with --allow-root-probes and passwordless sudo: one `powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist` sample (powermetrics has no JSON output; its machine format is a plist), giving CPU/GPU/ANE power, per-cluster frequency and residency, and the thermal pressure level. sudo is only ever `sudo -n` with a timeout: no password prompt can block. Without root and without --allow-root-probes gohost does not run it; take the sample yourself with `sudo powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist`. Linux: RAPL energy counters under /sys/class/powercap (root-only on kernels patched for CVE-2020-8694)." } }

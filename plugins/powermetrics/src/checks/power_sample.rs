//! `powermetrics.power-sample`: one short `powermetrics -f plist` sample on macOS (root, or
//! non-interactive sudo when root probes are allowed); RAPL energy counters on Linux.

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs, ProbeErrorKind};

use crate::parse::{self, Sample};
use crate::probe::{list, read, run as run_cmd, Listing, Read, SHORT};
use crate::{is_macos, Obs};

/// Absolute paths and a minimal environment: a PATH entry or an environment variable of the
/// user's must not choose which `sudo`, `powermetrics` or `id` runs (issue 20 item 10), least
/// of all as root. macOS ships them at these paths (`/usr/bin/sudo -n /usr/bin/powermetrics`
/// and `sh-3.2# /usr/bin/powermetrics -s cpu_power -n 1` in public code and docs; FACTS.md:
/// powermetrics needs root).
pub const SUDO: &str = "/usr/bin/sudo";
pub const ID: &str = "/usr/bin/id";
/// The only environment these commands get.
pub const MINIMAL_PATH: &str = "/usr/bin:/bin:/usr/sbin:/sbin";

pub const POWERMETRICS_ARGV: [&str; 9] = [
    "/usr/bin/powermetrics",
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

/// A command with a cleared environment but for a fixed PATH.
pub fn minimal(argv: &[&str]) -> Command {
    Command::new(argv.iter().copied())
        .clear_env()
        .env("PATH", MINIMAL_PATH)
}

/// Whether this process runs as root: `/usr/bin/id -u`.
pub fn is_root(ctx: &Ctx<'_>) -> Result<bool, String> {
    let out = run_cmd(ctx, minimal(&[ID, "-u"]), SHORT)?;
    if !out.success() {
        return Err(format!(
            "`{ID} -u` ended with {}: {}",
            out.describe_exit(),
            out.stderr.trim()
        ));
    }
    match out.stdout.trim() {
        "" => Err(format!("`{ID} -u` printed nothing")),
        uid => Ok(uid == "0"),
    }
}

fn attempt(ctx: &Ctx<'_>, argv: &[&str]) -> Attempt {
    let result = run_cmd(ctx, minimal(argv), Duration::from_secs(10)).map(|out| Ran {
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
                argv.extend([SUDO, "-n"]);
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

/// A CPU cluster or the GPU busier than this share of the sample is a reason not to benchmark
/// now (issue 13 section 3: "busy above a threshold (say 20%)"). Busy = 1 − `idle_ratio`, the
/// plist's key per cluster and for the GPU (FACTS.md; shared fixtures m1-macbookpro17-1-…,
/// m4max-mac16-5-…).
pub const BUSY: f64 = 0.20;
/// The Neural Engine drawing more than this is in use by something. gohost's own threshold:
/// all three real samples at rest read `ane_power` 0 (shared fixtures).
pub const ANE_BUSY_MW: f64 = 10.0;

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// What in the sample is busy (reasons not to benchmark), and which of its answers are missing.
pub fn busy_and_missing(s: &Sample) -> (Vec<String>, Vec<String>) {
    let mut busy = Vec::new();
    let mut missing = Vec::new();
    if s.clusters.is_empty() {
        missing.push("CPU cluster idle ratios (no clusters in the sample)".to_owned());
    }
    for c in &s.clusters {
        match c.active {
            Some(a) if a > BUSY => busy.push(format!("{} {} busy", c.name, pct(a))),
            Some(_) => {}
            None => missing.push(format!("{} idle_ratio", c.name)),
        }
    }
    match s.gpu_active {
        Some(a) if a > BUSY => busy.push(format!(
            "GPU {} busy{}",
            pct(a),
            s.gpu_power_mw
                .map(|p| format!(" ({p:.0} mW)"))
                .unwrap_or_default()
        )),
        Some(_) => {}
        None => missing.push("GPU idle_ratio".to_owned()),
    }
    match s.ane_power_mw {
        Some(p) if p > ANE_BUSY_MW => busy.push(format!("Neural Engine drawing {p:.0} mW")),
        Some(_) => {}
        None => missing.push("ane_power".to_owned()),
    }
    if s.thermal_pressure.is_none() {
        missing.push("thermal_pressure".to_owned());
    }
    (busy, missing)
}

fn mac(s: &Sample, cmd: &str) -> Obs {
    let pressure = s
        .thermal_pressure
        .clone()
        .unwrap_or_else(|| "(not in the sample)".to_owned());
    let mw = |v: Option<f64>| v.map_or("(not in the sample)".to_owned(), |v| format!("{v:.0} mW"));
    let (busy, missing) = busy_and_missing(s);
    let hot = s
        .thermal_pressure
        .as_deref()
        .is_some_and(|p| p != "Nominal");
    let mut title = format!(
        "Thermal pressure {pressure}; CPU {}, GPU {}, ANE {}",
        mw(s.cpu_power_mw),
        mw(s.gpu_power_mw),
        mw(s.ane_power_mw)
    );
    if !busy.is_empty() {
        title = format!("Busy: {}; {title}", busy.join(", "));
    }
    let mut f = if hot || !busy.is_empty() {
        let mut why = Vec::new();
        if hot {
            why.push("The system reports thermal pressure above Nominal: the CPU may be slowed to cool down.".to_owned());
        }
        if !busy.is_empty() {
            why.push(format!(
                "Something else is using this Mac ({}): a benchmark now shares the chip with it.",
                busy.join(", ")
            ));
        }
        Finding::warn(title).detail(why.join(" ")).remediation(
            "Quit busy apps and let the machine cool down, then re-check.",
            ["gohost run powermetrics --allow-root-probes"],
        )
    } else {
        Finding::info(title)
    };
    if !missing.is_empty() {
        f.detail = format!("{} Not in the sample: {}.", f.detail, missing.join(", "))
            .trim()
            .to_owned()
            .into();
    }
    let raw = |v: Option<f64>| v.map_or("(not in the sample)".into(), |v| v.to_string());
    f = f
        .evidence("thermal_pressure", &pressure, cmd)
        .evidence("cpu_power mW", raw(s.cpu_power_mw), cmd)
        .evidence("gpu_power mW", raw(s.gpu_power_mw), cmd)
        .evidence("ane_power mW", raw(s.ane_power_mw), cmd);
    if let Some(m) = &s.hw_model {
        f = f.evidence("hw_model", m, cmd);
    }
    for c in &s.clusters {
        let mhz = c.mhz.map_or("? MHz".to_owned(), |m| format!("{m:.0} MHz"));
        let active = c
            .active
            .map_or("idle ratio not in the sample".to_owned(), |a| {
                format!("{:.1}% active", a * 100.0)
            });
        f = f.evidence(c.name.clone(), format!("{mhz}, {active}"), cmd);
    }
    if let Some(active) = s.gpu_active {
        let mhz = s
            .gpu_mhz
            .map_or("? MHz".to_owned(), |m| format!("{m:.0} MHz"));
        f = f.evidence("GPU", format!("{mhz}, {:.1}% active", active * 100.0), cmd);
    }
    let mut reasons = busy;
    if hot {
        reasons.insert(0, format!("thermal pressure {pressure}"));
    }
    let mut obs = Obs::new(f);
    if !reasons.is_empty() {
        obs = obs.blocker(reasons.join(", "));
    }
    if !missing.is_empty() {
        obs = obs.unknown(format!(
            "in the powermetrics sample: {}",
            missing.join(", ")
        ));
    }
    obs
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
                .remediation(
                    "Read it as root:",
                    [format!("sudo cat {}", crate::probe::shell_quote(&path))],
                ),
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

inventory::submit! { Check { id: "powermetrics.power-sample", title: "Power sample", tags: &["hardware", "root"], needs: Needs { network: false, root: true, slow: false }, run: |ctx| judge(&gather(ctx)),
explain: "macOS, as root or with --allow-root-probes and passwordless sudo: one `powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist` sample (powermetrics has no JSON output; its machine format is a plist), giving CPU/GPU/ANE power, per-cluster frequency and residency (busy = 1 − idle_ratio), GPU residency and the thermal pressure level. A cluster or the GPU more than 20% busy, or the Neural Engine drawing more than 10 mW, is something else using the chip. gohost runs `/usr/bin/id`, `/usr/bin/sudo -n` and `/usr/bin/powermetrics` by absolute path with an environment of only PATH=/usr/bin:/bin:/usr/sbin:/sbin, with a timeout: no password prompt can block and no PATH entry chooses what runs as root. Without root and without --allow-root-probes gohost does not run it; take the sample yourself with `sudo powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist`. Linux: RAPL energy counters under /sys/class/powercap (root-only on kernels patched for CVE-2020-8694)." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
#[allow(clippy::disallowed_methods)] // the table reads the real captures in ../shared/fixtures
pub(crate) mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    pub fn plist(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../../../shared/fixtures/macos/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("a shared capture")
    }

    /// Observations of a root run whose powermetrics printed `stdout`.
    pub fn sampled(stdout: &str) -> Observations {
        Observations::Mac {
            root: Ok(true),
            allow_root: false,
            attempts: vec![Attempt {
                argv: POWERMETRICS_ARGV.iter().map(|s| (*s).to_owned()).collect(),
                result: Ok(Ran {
                    ok: true,
                    exit: "exit 0".into(),
                    stdout: stdout.as_bytes().to_vec(),
                    stderr: String::new(),
                }),
            }],
        }
    }

    /// The M1 capture with one key/value pair cut out (MADE UP: a sample missing that answer).
    pub fn without(text: &str, key: &str) -> String {
        let k = format!("<key>{key}</key>");
        let start = text.find(&k).expect("key in capture");
        let rest = &text[start + k.len()..];
        let value_end = ["</string>", "</real>", "</integer>"]
            .iter()
            .filter_map(|end| rest.find(end).map(|i| i + end.len()))
            .min()
            .expect("a scalar value");
        format!("{}{}", &text[..start], &rest[value_end..])
    }

    /// (sample, status, blocker, unknown mentions)
    #[test]
    fn busy_table() {
        let m1 = plist("m1-macbookpro17-1-powermetrics-plist.xml");
        let rows: Vec<(String, Status, Option<&str>, Option<&str>)> = vec![
            // Real M1 (graelo/pumas): E-Cluster idle_ratio 0.772993 -> 22.7% busy > 20%.
            (m1.clone(), Status::Warn, Some("E-Cluster 22.7% busy"), None),
            // Real M1, second sample: E-Cluster idle 0.487248 -> 51.3% busy.
            (
                plist("m1-macbookpro17-1-powermetrics-plist-2.xml"),
                Status::Warn,
                Some("E-Cluster 51.3% busy"),
                None,
            ),
            // Real M4 Max (hluisi/pause-monitor): E 53.0%, P0 72.8%, P1 99.8% busy; GPU idle
            // 0.877343 -> 12.3%, under the threshold.
            (
                plist("m4max-mac16-5-powermetrics-plist-tasks-disk.xml"),
                Status::Warn,
                Some("E-Cluster 53.0% busy, P0-Cluster 72.8% busy, P1-Cluster 99.8% busy"),
                None,
            ),
            // MADE UP from the real M1: the E-Cluster at rest -> nothing busy.
            (m1.replace("0.772993", "0.95"), Status::Info, None, None),
            // MADE UP: the GPU 95% busy (idle_ratio 0.05) and the ANE drawing power.
            (
                m1.replace("0.772993", "0.95")
                    .replace("0.983341", "0.05")
                    .replace(
                        "<key>ane_power</key>\n      <real>0</real>",
                        "<key>ane_power</key><real>850</real>",
                    ),
                Status::Warn,
                Some("GPU 95.0% busy (15 mW), Neural Engine drawing 850 mW"),
                None,
            ),
            // Issue 13 section 2: no thermal_pressure in the sample is a missing answer.
            (
                without(&m1.replace("0.772993", "0.95"), "thermal_pressure"),
                Status::Info,
                None,
                Some("thermal_pressure"),
            ),
        ];
        assert_eq!(rows.len(), 6);
        for (i, (text, status, blocker, unknown)) in rows.into_iter().enumerate() {
            let o = assess(&sampled(&text));
            assert_eq!(o.finding.status, status, "row {i}: {o:#?}");
            match blocker {
                Some(b) => assert!(
                    o.blocker.as_deref().is_some_and(|x| x.contains(b)),
                    "row {i}: {o:#?}"
                ),
                None => assert_eq!(o.blocker, None, "row {i}"),
            }
            match unknown {
                Some(u) => assert!(
                    o.unknown.as_deref().is_some_and(|x| x.contains(u)),
                    "row {i}: {o:#?}"
                ),
                None => assert_eq!(o.unknown, None, "row {i}"),
            }
        }
    }

    #[test]
    fn missing_values_are_never_shown_as_values() {
        let m1 = plist("m1-macbookpro17-1-powermetrics-plist.xml");
        let s = parse::powermetrics_plist(without(&m1, "idle_ratio").as_bytes()).expect("parses");
        // The first idle_ratio in the file is the E-Cluster's.
        assert_eq!(s.clusters[0].active, None);
        let (busy, missing) = busy_and_missing(&s);
        assert!(busy.is_empty(), "{busy:?}");
        assert!(
            missing.iter().any(|m| m.contains("idle_ratio")),
            "{missing:?}"
        );
        let o = assess(&sampled(&without(&m1, "gpu_power")));
        let gpu = o
            .finding
            .evidence
            .iter()
            .find(|e| e.key == "gpu_power mW")
            .expect("evidence");
        assert_eq!(gpu.value.as_str(), "(not in the sample)");
    }

    #[test]
    fn why_not_sampled_table() {
        let rows: Vec<(Result<bool, String>, bool, Vec<Attempt>, &str)> = vec![
            (
                Err("`/usr/bin/id -u` could not run".into()),
                true,
                vec![],
                "Could not tell whether gohost runs as root",
            ),
            (
                Ok(false),
                false,
                vec![],
                "powermetrics needs root: not sampled",
            ),
            (
                Ok(false),
                true,
                vec![Attempt {
                    argv: vec!["/usr/bin/sudo".into(), "-n".into()],
                    result: Ok(Ran {
                        ok: false,
                        exit: "exit 1".into(),
                        stdout: vec![],
                        stderr: "sudo: a password is required\n".into(),
                    }),
                }],
                "sudo needs a password: powermetrics not sampled (gohost never prompts)",
            ),
            (
                Ok(true),
                false,
                vec![Attempt {
                    argv: POWERMETRICS_ARGV.iter().map(|s| (*s).to_owned()).collect(),
                    result: Err("timed out".into()),
                }],
                "powermetrics could not be sampled",
            ),
        ];
        assert_eq!(rows.len(), 4);
        for (root, allow, attempts, title) in rows {
            let o = assess(&Observations::Mac {
                root,
                allow_root: allow,
                attempts,
            });
            assert_eq!(o.finding.status, Status::Skip);
            assert_eq!(o.finding.title.as_str(), title);
            assert!(
                o.unknown.is_some(),
                "not sampled is unknown for the verdict"
            );
        }
    }
}

//! The shared facts: computed once per run by the host, handed to every plugin.
//!
//! Absent Go is a fact (`go: None`), a broken Go is a fact (`problem`), never a crash.

use std::time::Duration;

use abi_stable::std_types::ROption;
use gohost_plugin_api::{ExecRequest, Facts, GoFacts, ProbeErrorKind, Translation};

use crate::probes::Probes;

/// `None`: the run's `--exec-timeout` (the probes' default), so one knob bounds every command
/// gohost starts, the facts' included (a hung `go` costs the run that long, not more).
fn request(argv: &[&str], timeout: Option<Duration>) -> ExecRequest {
    ExecRequest {
        argv: argv.iter().map(|a| (*a).into()).collect(),
        env: Default::default(),
        clear_env: false,
        cwd: ROption::RNone,
        timeout_ms: timeout.map_or(0, |t| {
            u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1)
        }),
    }
}

fn run_text(
    probes: &dyn Probes,
    argv: &[&str],
    timeout: Option<Duration>,
) -> Result<String, String> {
    match probes.exec(&request(argv, timeout)) {
        Ok(out) if out.exit.success() => Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
        Ok(out) => {
            let how = if out.exit.timed_out {
                match timeout {
                    Some(t) => format!("timed out after {:.1}s", t.as_secs_f64()),
                    None => {
                        "timed out (raise --exec-timeout if this machine is just slow)".to_owned()
                    }
                }
            } else if let ROption::RSome(sig) = out.exit.signal {
                format!("killed by signal {sig}")
            } else {
                format!("exit status {}", out.exit.code.unwrap_or(-1))
            };
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: String = stderr
                .trim()
                .chars()
                .rev()
                .take(300)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Err(format!("`{}` failed ({how}): {tail}", argv.join(" ")))
        }
        Err(e) => Err(format!("`{}` could not run: {e}", argv.join(" "))),
    }
}

/// Compute the facts through `probes` (so they are the same backend plugins see).
pub fn compute(probes: &dyn Probes) -> Facts {
    let os = std::env::consts::OS;
    let process_arch = std::env::consts::ARCH;
    let quick = None;
    let go_timeout = None;

    std::thread::scope(|scope| {
        let go = scope.spawn(|| go_facts(probes, go_timeout));
        let machine =
            run_text(probes, &["uname", "-m"], quick).unwrap_or_else(|_| "unknown".to_owned());
        let (translation, translation_evidence) = translation(probes, os, process_arch, &machine);
        let (os_version, chip) = if os == "macos" {
            (
                run_text(probes, &["sw_vers", "-productVersion"], quick).unwrap_or_default(),
                probes.sysctl("machdep.cpu.brand_string").ok(),
            )
        } else {
            (linux_version(probes), linux_chip(probes))
        };
        Facts {
            os: os.into(),
            process_arch: process_arch.into(),
            machine: machine.into(),
            os_version: os_version.into(),
            translation,
            translation_evidence: translation_evidence.into(),
            chip: chip.map(Into::into).into(),
            go: go.join().ok().flatten().into(),
        }
    })
}

/// `go version` and `go env -json` of the first `go` on the probes' PATH (None: no `go`).
pub fn go_facts(probes: &dyn Probes, timeout: Option<Duration>) -> Option<GoFacts> {
    let path = probes.which("go").into_iter().next()?;
    let (version, env) = std::thread::scope(|scope| {
        let env = scope.spawn(|| run_text(probes, &[&path, "env", "-json"], timeout));
        let version = run_text(probes, &[&path, "version"], timeout);
        (
            version,
            env.join()
                .unwrap_or_else(|_| Err("go env thread failed".to_owned())),
        )
    });
    let mut problems = Vec::new();
    let version_output = version.unwrap_or_else(|e| {
        problems.push(e);
        String::new()
    });
    let env_json = match env {
        Ok(text)
            if serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.is_object()) =>
        {
            text
        }
        Ok(text) => {
            problems.push(format!(
                "`go env -json` printed something that is not a JSON object: {:.200}",
                text
            ));
            String::new()
        }
        Err(e) => {
            problems.push(e);
            String::new()
        }
    };
    Some(GoFacts {
        path: path.into(),
        version_output: version_output.into(),
        env_json: env_json.into(),
        problem: if problems.is_empty() {
            ROption::RNone
        } else {
            ROption::RSome(problems.join("; ").into())
        },
    })
}

/// Native, Rosetta or emulated, with the evidence that decided it.
fn translation(
    probes: &dyn Probes,
    os: &str,
    process_arch: &str,
    machine: &str,
) -> (Translation, String) {
    if os == "macos" {
        return match probes.sysctl("sysctl.proc_translated") {
            Ok(v) if v.trim() == "1" => {
                (Translation::Rosetta, "sysctl.proc_translated: 1".to_owned())
            }
            Ok(v) if v.trim() == "0" => {
                (Translation::Native, "sysctl.proc_translated: 0".to_owned())
            }
            Ok(v) => (Translation::Unknown, format!("sysctl.proc_translated: {v}")),
            // The oid exists only on Apple Silicon; on an Intel Mac nothing is translated.
            Err(e) if e.kind == ProbeErrorKind::NotFound => (
                Translation::Native,
                "sysctl.proc_translated: unknown oid (an Intel Mac: no Rosetta)".to_owned(),
            ),
            Err(e) => (Translation::Unknown, format!("sysctl.proc_translated: {e}")),
        };
    }
    let kernel = normalize_arch(machine);
    let process = normalize_arch(process_arch);
    if kernel == "unknown" {
        return (Translation::Unknown, format!("uname -m: {machine}"));
    }
    if kernel == process {
        (
            Translation::Native,
            format!("process {process_arch} on kernel {machine} (uname -m)"),
        )
    } else if kernel == "x86_64" && process == "x86" {
        (
            Translation::Native,
            format!("32-bit process {process_arch} on kernel {machine}"),
        )
    } else {
        (
            Translation::Emulated,
            format!("process {process_arch} on kernel {machine} (uname -m): user-mode emulation"),
        )
    }
}

/// Map the many spellings of an architecture to Rust's names.
pub fn normalize_arch(name: &str) -> &'static str {
    match name.trim() {
        "arm64" | "aarch64" | "arm64e" => "aarch64",
        "x86_64" | "amd64" | "x64" => "x86_64",
        "i386" | "i686" | "x86" => "x86",
        _ => "unknown",
    }
}

fn linux_version(probes: &dyn Probes) -> String {
    let pretty = probes
        .read_file("/etc/os-release", 64 * 1024)
        .ok()
        .and_then(|b| {
            String::from_utf8_lossy(&b).lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_owned())
            })
        })
        .unwrap_or_else(|| "Linux".to_owned());
    let kernel = probes.sysctl("kernel.osrelease").unwrap_or_default();
    if kernel.is_empty() {
        pretty
    } else {
        format!("{pretty} (kernel {kernel})")
    }
}

fn linux_chip(probes: &dyn Probes) -> Option<String> {
    let cpuinfo = probes.read_file("/proc/cpuinfo", 1 << 20).ok()?;
    let text = String::from_utf8_lossy(&cpuinfo);
    text.lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            matches!(key.trim(), "model name" | "Hardware" | "Model")
                .then(|| value.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
}

/// Facts for a worker that will only report its manifest (nothing is probed).
pub fn placeholder() -> Facts {
    Facts {
        os: std::env::consts::OS.into(),
        process_arch: std::env::consts::ARCH.into(),
        machine: "".into(),
        os_version: "".into(),
        translation: Translation::Unknown,
        translation_evidence: "not computed (listing only)".into(),
        chip: ROption::RNone,
        go: ROption::RNone,
    }
}

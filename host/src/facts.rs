//! The shared facts: computed once per run by the host, handed to every plugin.
//!
//! Absent Go is a fact (`go: None`), a broken Go is a fact (`problem`), never a crash.
//!
//! `go version` and `go env -json` of the first go are kept in the result cache under a
//! fingerprint of everything that decides their output (see [`fingerprint`]), so a warm run
//! executes no Go when nothing changed. The cache is used only when the caller passes one
//! (never for `--no-cache`, `--record` or `--replay`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::Cache;

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
#[cfg(feature = "harness")]
pub fn compute(probes: &dyn Probes) -> Facts {
    compute_cached(probes, None).0
}

/// `compute`, taking the Go facts from `cache` when their fingerprint still matches; the
/// flag says whether they did.
pub fn compute_cached(probes: &dyn Probes, cache: Option<&Cache>) -> (Facts, bool) {
    let os = std::env::consts::OS;
    let process_arch = std::env::consts::ARCH;
    let quick = None;
    let go_timeout = None;

    std::thread::scope(|scope| {
        let go = scope.spawn(|| go_facts_cached(probes, go_timeout, cache));
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
        let (go, cached) = go.join().unwrap_or((None, false));
        let facts = Facts {
            os: os.into(),
            process_arch: process_arch.into(),
            machine: machine.into(),
            os_version: os_version.into(),
            translation,
            translation_evidence: translation_evidence.into(),
            chip: chip.map(Into::into).into(),
            go: go.into(),
        };
        (facts, cached)
    })
}

/// The result-cache namespace of the Go facts (plugin names cannot contain `/`).
const CACHE_NAMESPACE: &str = "gohost/go-facts";

/// What is cached: the two outputs, for the go at `path`.
#[derive(Serialize, Deserialize)]
struct CachedGoFacts {
    path: String,
    version_output: String,
    env_json: String,
}

/// [`go_facts`] through `cache`: (facts, whether they came from the cache). Only facts without
/// a problem are stored (a failure may be passing), and only when the fingerprint taken before
/// running go still holds after it (the binary was not replaced meanwhile).
pub fn go_facts_cached(
    probes: &dyn Probes,
    timeout: Option<Duration>,
    cache: Option<&Cache>,
) -> (Option<GoFacts>, bool) {
    let Some(cache) = cache else {
        return (go_facts(probes, timeout), false);
    };
    let Some(path) = probes.which("go").into_iter().next() else {
        return (None, false);
    };
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let cwd = std::env::current_dir().ok();
    let key = fingerprint(Path::new(&path), &env, cwd.as_deref());
    if let Some(key) = &key {
        let hit = cache
            .get(CACHE_NAMESPACE, key)
            .and_then(|text| serde_json::from_str::<CachedGoFacts>(&text).ok())
            .filter(|c| c.path == path);
        if let Some(c) = hit {
            return (
                Some(GoFacts {
                    path: c.path.into(),
                    version_output: c.version_output.into(),
                    env_json: c.env_json.into(),
                    problem: ROption::RNone,
                }),
                true,
            );
        }
    }
    let facts = go_facts(probes, timeout);
    if let (Some(key), Some(f)) = (key, &facts) {
        let unchanged = fingerprint(Path::new(&path), &env, cwd.as_deref()).as_ref() == Some(&key);
        if unchanged && f.problem.is_none() && f.path.as_str() == path {
            let entry = CachedGoFacts {
                path: path.clone(),
                version_output: f.version_output.to_string(),
                env_json: f.env_json.to_string(),
            };
            if let Ok(text) = serde_json::to_string(&entry) {
                cache.put(CACHE_NAMESPACE, &key, &text);
            }
        }
    }
    (facts, false)
}

/// How much of each end of the go binary is hashed: enough to see a rebuilt or replaced
/// binary whose size and mtime were kept, without reading tens of megabytes per run.
const END_HASH: u64 = 64 * 1024;

/// The SHA-256 (hex) of everything that decides what `go version` and `go env -json` print:
/// - the binary: resolved path, size, mtime, inode and device, and a hash of its first and
///   last 64 KiB;
/// - the environment the go command reads: every `GO*` and `CGO_*` variable, `CC`, `CXX`,
///   `AR`, `PKG_CONFIG`, `HOME`, `XDG_CONFIG_HOME` and `PATH`;
/// - the go env file (`$GOENV`, else `os.UserConfigDir()/go/env`: Go src
///   cmd/go/internal/cfg/cfg.go `EnvFile`, os/file.go `UserConfigDir`) and `$GOROOT/go.env`
///   for the GOROOTs the binary's location implies (`findGOROOT`): identity and contents;
/// - the working directory and every `go.mod`/`go.work` from it up to `/` (GOMOD, GOWORK and a
///   `toolchain` line that switches Go depend on them: cmd/go/internal/modload `findModuleRoot`).
///
/// None (do not cache) when the first go is a script (a wrapper or version-manager shim picks
/// its target by rules and files of its own) or when something cannot be read.
pub fn fingerprint(go: &Path, env: &[(OsString, OsString)], cwd: Option<&Path>) -> Option<String> {
    let real = std::fs::canonicalize(go).ok()?;
    let mut material = Vec::new();
    let mut file = std::fs::File::open(&real).ok()?;
    let meta = file.metadata().ok()?;
    let mut head = vec![0u8; END_HASH.min(meta.len()) as usize];
    file.read_exact(&mut head).ok()?;
    if head.starts_with(b"#!") {
        return None;
    }
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(meta.len().saturating_sub(END_HASH)))
        .ok()?;
    file.take(END_HASH).read_to_end(&mut tail).ok()?;
    material.push(format!(
        "go {} size {} mtime {:?} ino {} dev {} head {} tail {}",
        real.display(),
        meta.len(),
        meta.modified().ok()?,
        std::os::unix::fs::MetadataExt::ino(&meta),
        std::os::unix::fs::MetadataExt::dev(&meta),
        sha256_hex(&head),
        sha256_hex(&tail)
    ));
    let vars: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .filter(|(k, _)| affects_go_env(k))
        .collect();
    for (k, v) in &vars {
        material.push(format!("env {k}={v}"));
    }
    let var = |name: &str| vars.get(name).map(String::as_str).filter(|v| !v.is_empty());
    match var("GOENV") {
        Some("off") => material.push("goenv off".to_owned()),
        Some(file) => material.push(file_state(Path::new(file))?),
        None => {
            let config = if std::env::consts::OS == "macos" {
                var("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
            } else {
                var("XDG_CONFIG_HOME")
                    .filter(|x| x.starts_with('/'))
                    .map(PathBuf::from)
                    .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")))
            };
            match config {
                Some(dir) => material.push(file_state(&dir.join("go/env"))?),
                None => material.push("goenv none".to_owned()),
            }
        }
    }
    // $GOROOT/go.env holds the release's defaults (Go ≥ 1.21): for an explicit GOROOT and
    // for the ones the binary's location implies.
    if let Some(root) = var("GOROOT") {
        material.push(file_state(&Path::new(root).join("go.env"))?);
    }
    for up in ["../..", "../../.."] {
        material.push(file_state(&real.join(up).join("go.env"))?);
    }
    match cwd {
        Some(cwd) => {
            material.push(format!("cwd {}", cwd.display()));
            for dir in cwd.ancestors() {
                material.push(file_state(&dir.join("go.mod"))?);
                material.push(file_state(&dir.join("go.work"))?);
            }
        }
        None => material.push("cwd unknown".to_owned()),
    }
    Some(sha256_hex(material.join("\n").as_bytes()))
}

/// Variables the go command reads for `go env`/`go version` (GOHOST_* are gohost's own).
fn affects_go_env(name: &str) -> bool {
    (name.starts_with("GO") && !name.starts_with("GOHOST_"))
        || name.starts_with("CGO_")
        || matches!(
            name,
            "CC" | "CXX" | "AR" | "PKG_CONFIG" | "HOME" | "XDG_CONFIG_HOME" | "PATH"
        )
}

/// A file's identity and contents hash, or that it is missing; None when it exists but
/// cannot be read (then nothing can be promised about it).
fn file_state(path: &Path) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let meta = std::fs::metadata(path).ok()?;
            Some(format!(
                "file {} size {} mtime {:?} sha256 {}",
                path.display(),
                meta.len(),
                meta.modified().ok()?,
                sha256_hex(&bytes)
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("missing {}", path.display()))
        }
        // A path through a regular file (`<file>/go.mod`) cannot exist either (ENOTDIR, 20 on
        // Linux and macOS).
        Err(e) if e.raw_os_error() == Some(20) => Some(format!("missing {}", path.display())),
        Err(_) => None,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

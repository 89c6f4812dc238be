//! gohost plugin `arch`: is this process, its shell and terminal, and this machine's CPU what
//! a native Go developer expects?
//!
//! It reports the platform, whether the process runs natively or translated (Rosetta 2 on
//! macOS via `sysctl.proc_translated`; on Linux, the process's ELF machine against the
//! kernel's and qemu-user/Rosetta-for-Linux interpreters), whether a parent (shell,
//! terminal) runs translated, whether Rosetta is installed, the `GOARM64` level the CPU
//! features verify, and Linux binfmt_misc emulation handlers.
//!
//! It is not a toolchain check (that is the `toolchain` plugin) and it never runs Go. All
//! I/O goes through the host context, so every macOS path is tested on Linux from replayed
//! snapshots.

/// Executable header parsing, shared with the other plugins through plugin-api.
pub use gohost_plugin_api::binary;
pub mod goarm64;

use gohost_plugin_api::{
    export_plugin, inventory, Check, Command, Ctx, Facts, Finding, Needs, ProbeErrorKind,
    Translation,
};

use crate::binary::{normalize_arch, parse_header, BinaryInfo, HEADER_PREFIX};
use crate::goarm64::{highest_level, level_minor, parse_goarm64, Feature};

export_plugin! {
    name: "arch",
    version: env!("CARGO_PKG_VERSION"),
    description: "Is this process, its shell and the CPU native for Go? Rosetta, emulation, GOARM64.",
}

/// Where Rosetta 2's runtime lives once installed.
pub const ROSETTA_RUNTIME: &str = "/Library/Apple/usr/libexec/oah/libRosettaRuntime";
/// `P_TRANSLATED` in XNU's `<sys/proc.h>`: the process runs translated (shown by `ps -o flags`).
pub const P_TRANSLATED: u64 = 0x0002_0000;

const ROSETTA_DOC: &str = "https://developer.apple.com/documentation/apple-silicon/about-the-rosetta-translation-environment";

fn is_macos(f: &Facts) -> bool {
    f.os.as_str() == "macos"
}

fn is_linux(f: &Facts) -> bool {
    f.os.as_str() == "linux"
}

fn translation_name(t: Translation) -> &'static str {
    match t {
        Translation::Native => "native",
        Translation::Rosetta => "rosetta",
        Translation::Emulated => "emulated",
        Translation::Unknown => "unknown",
    }
}

/// A sysctl read as the three states a check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sysctl {
    Value(String),
    /// The oid does not exist (`unknown oid`).
    Missing,
    /// Could not be read for another reason (replay without a record, permission, …).
    Unreadable(String),
}

fn sysctl(ctx: &Ctx<'_>, name: &str) -> Sysctl {
    match ctx.sysctl(name) {
        Ok(v) => Sysctl::Value(v.trim().to_owned()),
        Err(e) if e.kind == ProbeErrorKind::NotFound => Sysctl::Missing,
        Err(e) => Sysctl::Unreadable(e.to_string()),
    }
}

impl Sysctl {
    fn evidence_value(&self) -> String {
        match self {
            Sysctl::Value(v) => v.clone(),
            Sysctl::Missing => "unknown oid".to_owned(),
            Sysctl::Unreadable(e) => format!("unreadable: {e}"),
        }
    }
}

/// Whether this Mac has an Apple Silicon CPU, from `hw.optional.arm64` (which stays 1 in a
/// translated process, see fixtures/macos m1-rosetta-monterey).
fn apple_silicon(ctx: &Ctx<'_>) -> (Option<bool>, Sysctl) {
    let s = sysctl(ctx, "hw.optional.arm64");
    let v = match &s {
        Sysctl::Value(v) => Some(v == "1"),
        Sysctl::Missing => Some(false),
        Sysctl::Unreadable(_) => None,
    };
    (v, s)
}

// ---------------------------------------------------------------- arch.platform

fn platform(ctx: &Ctx<'_>) -> Vec<Finding> {
    let f = ctx.facts();
    let chip = f
        .chip
        .clone()
        .into_option()
        .map(String::from)
        .unwrap_or_else(|| "unknown".to_owned());
    let chip_source = if is_macos(&f) {
        "sysctl machdep.cpu.brand_string"
    } else {
        "/proc/cpuinfo model name"
    };
    let title = format!(
        "{} {} on {} ({}), process {}",
        f.os, f.os_version, f.machine, chip, f.process_arch
    );
    vec![Finding::info(title)
        .evidence("os", f.os.as_str(), "host facts")
        .evidence("os_version", f.os_version.as_str(), "host facts")
        .evidence("machine", f.machine.as_str(), "uname -m")
        .evidence(
            "process_arch",
            f.process_arch.as_str(),
            "gohost binary (as compiled)",
        )
        .evidence("chip", chip, chip_source)
        .evidence(
            "translation",
            translation_name(f.translation),
            f.translation_evidence.as_str(),
        )]
}

// ---------------------------------------------------------------- arch.process-translation

fn process_translation(ctx: &Ctx<'_>) -> Vec<Finding> {
    let f = ctx.facts();
    if is_macos(&f) {
        vec![macos_translation(ctx, &f)]
    } else if is_linux(&f) {
        vec![linux_translation(ctx, &f)]
    } else {
        vec![Finding::skip(format!(
            "no translation probe for OS `{}`",
            f.os
        ))]
    }
}

fn macos_translation(ctx: &Ctx<'_>, f: &Facts) -> Finding {
    let translated = sysctl(ctx, "sysctl.proc_translated");
    let (arm, arm_raw) = apple_silicon(ctx);
    let base = |finding: Finding| {
        finding
            .evidence(
                "sysctl.proc_translated",
                translated.evidence_value(),
                "sysctl sysctl.proc_translated",
            )
            .evidence(
                "hw.optional.arm64",
                arm_raw.evidence_value(),
                "sysctl hw.optional.arm64",
            )
            .evidence("machine", f.machine.as_str(), "uname -m")
            .evidence(
                "process_arch",
                f.process_arch.as_str(),
                "gohost binary (as compiled)",
            )
    };
    match (&translated, arm) {
        (Sysctl::Value(v), _) if v == "1" => base(Finding::fail(
            "this process runs under Rosetta 2 (x86_64 translated on Apple Silicon)",
        ))
        .detail(
            "sysctl.proc_translated is 1: the kernel is translating this x86_64 process. \
             Everything it starts prefers x86_64 too, so `uname -m` says x86_64, universal \
             tools (clang, make) run as x86_64 and Go builds target darwin/amd64 unless told \
             otherwise. Either the terminal was opened with \"Open using Rosetta\", the shell \
             was started with `arch -x86_64`, or this gohost binary is x86_64-only.",
        )
        .remediation(
            "Open a native arm64 shell (or untick \"Open using Rosetta\" in the terminal app's \
             Get Info window and restart it), check the gohost binary is arm64, and run again.",
            [
                "arch -arm64 /bin/zsh -l",
                "file \"$(command -v gohost)\"",
                "sysctl -n sysctl.proc_translated   # expect 0",
            ],
        )
        .doc(ROSETTA_DOC),
        (Sysctl::Value(v), _) if v == "0" => base(Finding::pass(
            "native arm64 process on Apple Silicon (not translated)",
        ))
        .detail("sysctl.proc_translated is 0: this process runs natively."),
        (Sysctl::Missing, Some(false)) => base(Finding::pass(
            "native x86_64 process on an Intel Mac (no translation layer)",
        ))
        .detail(
            "sysctl.proc_translated does not exist (it does not on Intel Macs) and \
             hw.optional.arm64 is not 1: this is an Intel Mac, where every x86_64 process is \
             native.",
        ),
        (Sysctl::Missing, Some(true)) => base(Finding::warn(
            "Apple Silicon, but sysctl.proc_translated does not exist: translation state unknown",
        ))
        .detail(
            "hw.optional.arm64 is 1 yet the kernel has no sysctl.proc_translated oid, which \
             every Apple Silicon macOS provides. The translation state cannot be decided.",
        )
        .remediation(
            "Check by hand from the same terminal:",
            [
                "sysctl sysctl.proc_translated hw.optional.arm64",
                "uname -m",
                "arch",
            ],
        ),
        (Sysctl::Value(v), _) => base(Finding::warn(format!(
            "unexpected sysctl.proc_translated value `{v}`"
        )))
        .remediation(
            "Check by hand from the same terminal:",
            ["sysctl sysctl.proc_translated", "uname -m"],
        ),
        (Sysctl::Unreadable(_), _) | (Sysctl::Missing, None) => {
            let reason = match (&translated, &arm_raw) {
                (Sysctl::Unreadable(e), _) | (_, Sysctl::Unreadable(e)) => e.clone(),
                _ => translated.evidence_value(),
            };
            base(Finding::skip("could not read sysctl.proc_translated")).detail(reason)
        }
    }
}

/// `(arch, how it was found)` of a Linux process's executable, from `/proc/<pid>/exe`.
fn linux_exe_arch(ctx: &Ctx<'_>, pid: &str) -> Result<(BinaryInfo, Option<String>), String> {
    let exe = format!("/proc/{pid}/exe");
    let target = ctx
        .file_info(&exe)
        .ok()
        .and_then(|i| i.link_target.into_option().map(String::from));
    let bytes = ctx
        .read_file_prefix(&exe, HEADER_PREFIX)
        .map_err(|e| format!("{exe}: {e}"))?;
    Ok((parse_header(&bytes), target))
}

/// A Linux interpreter that runs foreign binaries (binfmt_misc targets).
fn is_emulator_path(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.starts_with("qemu-") || base.contains("rosetta")
}

fn linux_translation(ctx: &Ctx<'_>, f: &Facts) -> Finding {
    let kernel = normalize_arch(f.machine.as_str());
    let (info, target) = match linux_exe_arch(ctx, "self") {
        Ok(v) => v,
        Err(e) => {
            return Finding::skip("could not read this process's executable header")
                .detail(e)
                .evidence("machine", f.machine.as_str(), "uname -m");
        }
    };
    let process = info.arches().into_iter().next();
    let base = |finding: Finding| {
        finding
            .evidence("machine", f.machine.as_str(), "uname -m")
            .evidence("exe_header", info.describe(), "/proc/self/exe (ELF header)")
            .evidence(
                "exe",
                target.clone().unwrap_or_else(|| "unknown".to_owned()),
                "readlink /proc/self/exe",
            )
            .evidence(
                "host_translation",
                translation_name(f.translation),
                f.translation_evidence.as_str(),
            )
    };
    let emulator = target.as_deref().is_some_and(is_emulator_path);
    match process {
        Some(p) if p != kernel || emulator || f.translation == Translation::Emulated => {
            base(Finding::fail(format!(
                "this process is a {p} program on a {kernel} kernel: it runs under user-mode emulation"
            )))
            .detail(
                "The executable's ELF machine differs from the kernel's (or its image is a \
                 qemu/Rosetta interpreter): a binfmt_misc handler is emulating it, which is \
                 many times slower and hides the real machine from Go.",
            )
            .remediation(
                "Run a gohost (and Go) built for this machine's architecture:",
                [
                    format!("uname -m   # {}", f.machine),
                    "ls /proc/sys/fs/binfmt_misc/".to_owned(),
                    "file \"$(command -v gohost)\"".to_owned(),
                ],
            )
        }
        Some(p) => base(Finding::pass(format!(
            "native process: its {p} executable matches the {kernel} kernel"
        ))),
        None => base(Finding::warn(format!(
            "could not tell this process's architecture ({})",
            info.describe()
        )))
        .remediation("Check the executable by hand:", ["file /proc/self/exe"]),
    }
}

// ---------------------------------------------------------------- arch.parent-chain

#[derive(Debug, Clone)]
struct Ancestor {
    pid: String,
    name: String,
    /// Some(true) translated/emulated, Some(false) native, None unknown.
    foreign: Option<bool>,
    how: String,
}

fn parent_chain(ctx: &Ctx<'_>) -> Vec<Finding> {
    let f = ctx.facts();
    let chain = if is_macos(&f) {
        macos_ancestors(ctx)
    } else if is_linux(&f) {
        linux_ancestors(ctx, &f)
    } else {
        return vec![Finding::skip(format!("no process probe for OS `{}`", f.os))];
    };
    let chain = match chain {
        Ok(c) => c,
        Err(e) => return vec![Finding::skip("could not walk the parent processes").detail(e)],
    };
    let describe = chain
        .iter()
        .map(|a| {
            format!(
                "{} {} ({})",
                a.pid,
                a.name,
                match a.foreign {
                    Some(true) => "TRANSLATED",
                    Some(false) => "native",
                    None => "unknown",
                }
            )
        })
        .collect::<Vec<_>>()
        .join(" <- ");
    let mut finding;
    let translated: Vec<&Ancestor> = chain.iter().filter(|a| a.foreign == Some(true)).collect();
    if let Some(first) = translated.first() {
        let word = if is_macos(&f) {
            "runs under Rosetta 2"
        } else {
            "runs under emulation"
        };
        finding = Finding::warn(format!("parent process `{}` {word}", first.name))
            .detail(
                "A shell or terminal that runs translated starts everything as x86_64 where it \
                 can: universal tools such as clang and make, `uname -m`, Homebrew. A native Go \
                 still builds arm64, but cgo's C compiler and scripts see an x86_64 machine.",
            )
            .remediation(
                if is_macos(&f) {
                    "Start the terminal natively (Finder > Applications > your terminal > Get \
                     Info > untick \"Open using Rosetta\", then restart it), or start a native \
                     shell from it:"
                } else {
                    "Run the shell with a native binary for this machine:"
                },
                if is_macos(&f) {
                    vec![
                        "arch -arm64 /bin/zsh -l".to_owned(),
                        format!("ps -o pid,flags,comm -p {}", first.pid),
                    ]
                } else {
                    vec![format!("ls -l /proc/{}/exe", first.pid)]
                },
            )
            .doc(ROSETTA_DOC);
    } else if chain.iter().any(|a| a.foreign.is_none()) {
        finding = Finding::info("no translated parent found (some could not be checked)");
    } else {
        finding = Finding::pass(format!("all {} parent processes run natively", chain.len()));
    }
    finding = finding.evidence(
        "chain",
        describe,
        if is_macos(&f) {
            "ps -A -o pid=,ppid=,flags=,comm= (P_TRANSLATED 0x20000)"
        } else {
            "/proc/<pid>/stat, /proc/<pid>/exe"
        },
    );
    for a in &chain {
        finding = finding.evidence(format!("pid {}", a.pid), &a.name, &a.how);
    }
    vec![finding]
}

/// One `ps` for the whole table, prefixed by the pid of the process that spawned the shell
/// (the gohost process running this plugin).
fn macos_ancestors(ctx: &Ctx<'_>) -> Result<Vec<Ancestor>, String> {
    let cmd = Command::new([
        "/bin/sh",
        "-c",
        "echo $PPID; exec ps -A -o pid=,ppid=,flags=,comm=",
    ]);
    let out = ctx.exec(&cmd).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "`ps` failed ({}): {}",
            out.describe_exit(),
            out.stderr.trim()
        ));
    }
    let mut lines = out.stdout.lines();
    let me = lines.next().unwrap_or_default().trim().to_owned();
    let mut table = std::collections::HashMap::new();
    for line in lines {
        let mut parts = line.split_whitespace();
        let (Some(pid), Some(ppid), Some(flags)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let name = parts.collect::<Vec<_>>().join(" ");
        table.insert(pid.to_owned(), (ppid.to_owned(), flags.to_owned(), name));
    }
    let mut chain = Vec::new();
    let mut pid = table
        .get(&me)
        .map(|(ppid, _, _)| ppid.clone())
        .ok_or_else(|| format!("own pid `{me}` not in the ps table"))?;
    for _ in 0..32 {
        if pid == "0" || pid == "1" {
            break;
        }
        let Some((ppid, flags, name)) = table.get(&pid) else {
            break;
        };
        let foreign = u64::from_str_radix(flags.trim_start_matches("0x"), 16)
            .ok()
            .map(|v| v & P_TRANSLATED != 0);
        chain.push(Ancestor {
            pid: pid.clone(),
            name: name.clone(),
            foreign,
            how: format!("ps flags {flags}"),
        });
        pid = ppid.clone();
    }
    Ok(chain)
}

/// `/proc/<pid>/stat`: `pid (comm) state ppid …`; comm may contain `)`, so split at the last.
fn parse_stat(stat: &str) -> Option<(String, String)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let ppid = stat.get(close + 1..)?.split_whitespace().nth(1)?.to_owned();
    Some((comm, ppid))
}

fn linux_ancestors(ctx: &Ctx<'_>, f: &Facts) -> Result<Vec<Ancestor>, String> {
    let kernel = normalize_arch(f.machine.as_str());
    let own = ctx
        .read_to_string("/proc/self/stat")
        .map_err(|e| format!("/proc/self/stat: {e}"))?;
    let (_, mut pid) = parse_stat(&own).ok_or("cannot parse /proc/self/stat")?;
    let mut chain = Vec::new();
    for _ in 0..32 {
        if pid == "0" || pid == "1" {
            break;
        }
        let Ok(stat) = ctx.read_to_string(&format!("/proc/{pid}/stat")) else {
            break;
        };
        let Some((comm, ppid)) = parse_stat(&stat) else {
            break;
        };
        let (foreign, how, name) = match linux_exe_arch(ctx, &pid) {
            Ok((info, target)) => {
                let arch = info.arches().into_iter().next();
                let emu = target.as_deref().is_some_and(is_emulator_path);
                let foreign = arch.as_ref().map(|a| *a != kernel || emu);
                (
                    foreign,
                    format!("/proc/{pid}/exe: {}", info.describe()),
                    target.unwrap_or(comm),
                )
            }
            Err(e) => (None, e, comm),
        };
        chain.push(Ancestor {
            pid: pid.clone(),
            name,
            foreign,
            how,
        });
        pid = ppid;
    }
    Ok(chain)
}

// ---------------------------------------------------------------- arch.rosetta-installed

fn rosetta_installed(ctx: &Ctx<'_>) -> Vec<Finding> {
    let f = ctx.facts();
    if !is_macos(&f) {
        return vec![Finding::skip(
            "Rosetta 2 is a macOS component (Rosetta for Linux shows up in arch.binfmt-emulation)",
        )];
    }
    let (arm, arm_raw) = apple_silicon(ctx);
    match arm {
        Some(false) => {
            return vec![
                Finding::skip("Intel Mac: Rosetta 2 does not apply").evidence(
                    "hw.optional.arm64",
                    arm_raw.evidence_value(),
                    "sysctl hw.optional.arm64",
                ),
            ]
        }
        None => {
            return vec![
                Finding::skip("could not tell whether this is Apple Silicon").evidence(
                    "hw.optional.arm64",
                    arm_raw.evidence_value(),
                    "sysctl hw.optional.arm64",
                ),
            ]
        }
        Some(true) => {}
    }
    match ctx.file_info(ROSETTA_RUNTIME) {
        Ok(_) => {
            vec![Finding::info("Rosetta 2 is installed: x86_64 programs run translated, silently")
            .detail(
                "With Rosetta installed an x86_64 `go`, Homebrew or terminal keeps working, just \
                 translated, so nothing tells you it is not native. The other arch and toolchain \
                 checks look for exactly that.",
            )
            .evidence("runtime", ROSETTA_RUNTIME, "file exists (lstat)")
            .evidence("hw.optional.arm64", arm_raw.evidence_value(), "sysctl hw.optional.arm64")
            .doc(ROSETTA_DOC)]
        }
        Err(e) if e.kind == ProbeErrorKind::NotFound => vec![Finding::info(
            "Rosetta 2 is not installed: x86_64 programs cannot run at all",
        )
        .detail(
            "Nothing can run translated by accident. Install Rosetta only if you need an \
             x86_64 tool.",
        )
        .evidence("runtime", format!("{ROSETTA_RUNTIME}: not found"), "lstat")
        .remediation(
            "Only if you need to run x86_64 programs:",
            ["softwareupdate --install-rosetta --agree-to-license"],
        )
        .doc(ROSETTA_DOC)],
        Err(e) => vec![Finding::skip("could not check for the Rosetta runtime")
            .detail(format!("{ROSETTA_RUNTIME}: {e}"))],
    }
}

// ---------------------------------------------------------------- arch.goarm64

/// Older macOS names (`hw.optional.<name>`) of FEAT_* sysctls, as Go's internal/cpu and the
/// macOS 12 M1 dump in fixtures/macos show them.
const LEGACY_SYSCTLS: &[(&str, &str)] = &[
    ("FEAT_CRC32", "armv8_crc32"),
    ("FEAT_LSE", "armv8_1_atomics"),
    ("FEAT_FHM", "armv8_2_fhm"),
    ("FEAT_FCMA", "armv8_3_compnum"),
];

/// Linux `/proc/cpuinfo` feature names for the FEAT_* names [`goarm64::MANDATORY`] uses.
/// (Kernel Documentation/arch/arm64/elf_hwcaps.rst.)
const LINUX_HWCAPS: &[(&str, &str)] = &[
    ("FEAT_CRC32", "crc32"),
    ("FEAT_LSE", "atomics"),
    ("FEAT_RDM", "asimdrdm"),
    ("FEAT_DPB", "dcpop"),
    ("FEAT_FCMA", "fcma"),
    ("FEAT_JSCVT", "jscvt"),
    ("FEAT_LRCPC", "lrcpc"),
    ("FEAT_PAuth", "paca"),
    ("FEAT_DIT", "dit"),
    ("FEAT_DotProd", "asimddp"),
    ("FEAT_FHM", "asimdfhm"),
    ("FEAT_FlagM", "flagm"),
    ("FEAT_LRCPC2", "ilrcpc"),
    ("FEAT_LSE2", "uscat"),
    ("FEAT_DPB2", "dcpodp"),
    ("FEAT_FlagM2", "flagm2"),
    ("FEAT_FRINTTS", "frint"),
    ("FEAT_SB", "sb"),
    ("FEAT_BF16", "bf16"),
    ("FEAT_I8MM", "i8mm"),
    ("FEAT_ECV", "ecv"),
    ("FEAT_AFP", "afp"),
    ("FEAT_WFxT", "wfxt"),
    ("FEAT_HBC", "hbc"),
];

fn user_goarm64(ctx: &Ctx<'_>, f: &Facts) -> Option<(String, String)> {
    if let Some(v) = ctx.env("GOARM64").filter(|v| !v.is_empty()) {
        return Some((v, "environment GOARM64".to_owned()));
    }
    let go = f.go.clone().into_option()?;
    let env: serde_json::Value = serde_json::from_str(go.env_json.as_str()).ok()?;
    let v = env.get("GOARM64")?.as_str()?.to_owned();
    Some((v, format!("{} env -json", go.path)))
}

fn goarm64_check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let f = ctx.facts();
    let mut evidence: Vec<(String, String, String)> = Vec::new();
    let level = if is_macos(&f) {
        let (arm, raw) = apple_silicon(ctx);
        if arm != Some(true) {
            return vec![
                Finding::skip("not Apple Silicon: GOARM64 applies to arm64 only").evidence(
                    "hw.optional.arm64",
                    raw.evidence_value(),
                    "sysctl hw.optional.arm64",
                ),
            ];
        }
        let mut states = std::collections::HashMap::new();
        for feat in goarm64::all_features() {
            let mut name = format!("hw.optional.arm.{feat}");
            let mut s = sysctl(ctx, &name);
            // macOS 11 and early 12 report some features only under their older names.
            if s == Sysctl::Missing {
                if let Some((_, legacy)) = LEGACY_SYSCTLS.iter().find(|(f2, _)| *f2 == feat) {
                    evidence.push((name.clone(), s.evidence_value(), format!("sysctl {name}")));
                    name = format!("hw.optional.{legacy}");
                    s = sysctl(ctx, &name);
                }
            }
            let state = match &s {
                Sysctl::Value(v) if v == "1" => Feature::Present,
                Sysctl::Value(_) => Feature::Absent,
                _ => Feature::Unknown,
            };
            evidence.push((name.clone(), s.evidence_value(), format!("sysctl {name}")));
            states.insert(feat, state);
        }
        highest_level(|feat| states.get(feat).copied().unwrap_or(Feature::Unknown))
    } else if is_linux(&f) && normalize_arch(f.machine.as_str()) == "arm64" {
        let cpuinfo = match ctx.read_to_string("/proc/cpuinfo") {
            Ok(c) => c,
            Err(e) => {
                return vec![Finding::skip("could not read /proc/cpuinfo").detail(e.to_string())]
            }
        };
        let flags: Vec<&str> = cpuinfo
            .lines()
            .find(|l| l.starts_with("Features"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.split_whitespace().collect())
            .unwrap_or_default();
        evidence.push((
            "Features".to_owned(),
            flags.join(" "),
            "/proc/cpuinfo".to_owned(),
        ));
        highest_level(
            |feat| match LINUX_HWCAPS.iter().find(|(f2, _)| *f2 == feat) {
                Some((_, cap)) if flags.contains(cap) => Feature::Present,
                Some(_) => Feature::Absent,
                None => Feature::Unknown,
            },
        )
    } else {
        return vec![Finding::skip(format!(
            "{} machine: GOARM64 applies to arm64 only",
            f.machine
        ))];
    };

    let blocked = level
        .blocked_at
        .as_ref()
        .map(|(at, missing)| {
            format!(
                "{at} not verified: {}",
                missing
                    .iter()
                    .map(|(name, st)| format!(
                        "{name} {}",
                        match st {
                            Feature::Absent => "absent",
                            _ => "not reported",
                        }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_else(|| "every feature macOS reports up to v8.8 is present".to_owned());
    let add_evidence = |mut finding: Finding| {
        finding = finding
            .evidence(
                "supported_goarm64",
                level.level,
                "hw.optional.arm.FEAT_* mapped per Arm's mandatory features",
            )
            .evidence("limit", blocked.clone(), "feature sysctls");
        for (k, v, s) in &evidence {
            finding = finding.evidence(k, v, s);
        }
        finding
    };
    let user = user_goarm64(ctx, &f);
    let finding = match user {
        Some((value, source)) => match parse_goarm64(&value) {
            None => add_evidence(Finding::fail(format!(
                "GOARM64=`{value}` is not a value Go accepts"
            )))
            .detail("Go accepts v8.0 (default) to v8.9 and v9.0 to v9.5, optionally followed by `,lse` and/or `,crypto`; anything else makes every build fail.")
            .evidence("GOARM64", &value, &source)
            .remediation(
                format!("Use a valid value, e.g. the level this CPU supports ({}):", level.level),
                goarm64_fix(&source, level.level),
            ),
            Some(parsed) if parsed.as_v8_minor() > level_minor(level.level) => add_evidence(
                Finding::fail(format!(
                    "GOARM64={value} asks for more than this CPU is verified to support ({})",
                    level.level
                )),
            )
            .detail(
                "Code built with a GOARM64 level above what the CPU implements may use \
                 instructions it lacks and die with SIGILL. The level shown is the highest \
                 whose mandatory features macOS/Linux report as present.",
            )
            .evidence("GOARM64", &value, &source)
            .remediation("Lower it to what this machine supports (or unset it):", goarm64_fix(&source, level.level)),
            Some(_) => add_evidence(Finding::pass(format!(
                "GOARM64={value} is within what this CPU supports ({})",
                level.level
            )))
            .evidence("GOARM64", &value, &source),
        },
        None => add_evidence(Finding::info(format!(
            "this CPU supports GOARM64={} (Go's default is v8.0)",
            level.level
        )))
        .detail(format!(
            "GOARM64 (Go 1.23+) lets the compiler assume newer arm64 features. Binaries built \
             with GOARM64={} run on this machine and on CPUs at least as new; the default v8.0 \
             runs everywhere.",
            level.level
        )),
    };
    vec![finding.doc("https://go.dev/doc/go1.23")]
}

fn goarm64_fix(source: &str, level: &str) -> Vec<String> {
    if source.starts_with("environment") {
        vec![
            "unset GOARM64".to_owned(),
            format!("export GOARM64={level}   # only for binaries that run on this class of CPU"),
        ]
    } else {
        vec![
            "go env -u GOARM64".to_owned(),
            format!(
                "go env -w GOARM64={level}   # only for binaries that run on this class of CPU"
            ),
        ]
    }
}

// ---------------------------------------------------------------- arch.binfmt-emulation

const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

fn binfmt_emulation(ctx: &Ctx<'_>) -> Vec<Finding> {
    let f = ctx.facts();
    if !is_linux(&f) {
        return vec![Finding::skip("binfmt_misc is a Linux kernel feature")];
    }
    let entries = match ctx.read_dir(BINFMT_DIR) {
        Ok(e) => e,
        Err(e) if e.kind == ProbeErrorKind::NotFound => {
            return vec![Finding::pass(
            "binfmt_misc is not mounted: foreign-architecture programs cannot run transparently",
        )
        .evidence(BINFMT_DIR, "not found", "readdir")]
        }
        Err(e) => {
            return vec![Finding::skip("could not list binfmt_misc handlers").detail(e.to_string())]
        }
    };
    // A mounted binfmt_misc always has `register` and `status`; an empty directory is only
    // the mount point.
    if !entries.iter().any(|e| e.name.as_str() == "status") {
        return vec![Finding::pass(
            "binfmt_misc is not mounted: foreign-architecture programs cannot run transparently",
        )
        .evidence(BINFMT_DIR, "empty (not mounted)", "readdir")];
    }
    let mut names: Vec<String> = entries
        .iter()
        .map(|e| e.name.to_string())
        .filter(|n| n != "register" && n != "status")
        .collect();
    names.sort();
    let mut emulators = Vec::new();
    let mut finding_evidence = Vec::new();
    for name in &names {
        let path = format!("{BINFMT_DIR}/{name}");
        let Ok(text) = ctx.read_to_string(&path) else {
            continue;
        };
        let enabled = text.lines().next().map(str::trim) == Some("enabled");
        let interpreter = text
            .lines()
            .find_map(|l| l.strip_prefix("interpreter "))
            .unwrap_or("")
            .trim()
            .to_owned();
        let summary = format!(
            "{} interpreter {}",
            if enabled { "enabled" } else { "disabled" },
            if interpreter.is_empty() {
                "?"
            } else {
                &interpreter
            }
        );
        if enabled && (is_emulator_path(&interpreter) || is_emulator_path(name)) {
            emulators.push(format!("{name} ({interpreter})"));
        }
        finding_evidence.push((name.clone(), summary, path));
    }
    let mut finding = if emulators.is_empty() {
        Finding::pass(
            "no qemu-user or Rosetta binfmt handler: foreign binaries cannot run silently",
        )
    } else {
        Finding::info(format!(
            "emulation handlers registered: {}",
            emulators.join(", ")
        ))
        .detail(
            "Foreign-architecture ELF programs (e.g. an x86_64 `go` on arm64) start without any \
             error and run emulated, much slower. arch.process-translation and the toolchain \
             checks tell whether anything gohost found actually runs through them.",
        )
        .remediation(
            "To see which binaries would be emulated, compare `file` of your tools with `uname -m`; to disable a handler until reboot:",
            emulators
                .iter()
                .filter_map(|e| e.split(' ').next())
                .map(|n| format!("echo 0 | sudo tee {BINFMT_DIR}/{n}"))
                .collect::<Vec<_>>(),
        )
    };
    finding = finding.evidence("handlers", names.join(", "), BINFMT_DIR);
    for (k, v, s) in finding_evidence {
        finding = finding.evidence(k, v, s);
    }
    vec![finding]
}

// ---------------------------------------------------------------- registration

inventory::submit! { Check {
    id: "arch.platform",
    title: "Platform: OS, machine, chip",
    explain: "Reports the OS and version, the kernel's machine name (`uname -m`), the architecture gohost itself was compiled for, the chip name (`machdep.cpu.brand_string` on macOS, `model name` on Linux) and the host's translation verdict, so every other finding can be read in context. Always informational.",
    tags: &["arch"],
    needs: Needs::NONE,
    run: platform,
} }

inventory::submit! { Check {
    id: "arch.process-translation",
    title: "Process runs natively",
    explain: "macOS: reads `sysctl.proc_translated` (1 = this process runs under Rosetta 2, 0 = native; the oid does not exist on Intel Macs, which is confirmed with `hw.optional.arm64`). A translated process means the shell or gohost binary is x86_64, so tools it starts prefer x86_64 and Go defaults can end up darwin/amd64: fail, with how to get a native shell. Linux: compares the ELF machine of /proc/self/exe with the kernel's `uname -m` and checks whether the image is a qemu-user or Rosetta interpreter: a mismatch means user-mode emulation.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run: process_translation,
} }

inventory::submit! { Check {
    id: "arch.parent-chain",
    title: "Shell and terminal run natively",
    explain: "Walks the parent processes (the shell, the terminal, …). macOS: one `ps -A -o pid=,ppid=,flags=,comm=` and the kernel's P_TRANSLATED flag (0x20000, <sys/proc.h>) per process. Linux: /proc/<pid>/stat for the parent and the ELF header of /proc/<pid>/exe against the kernel's machine. A translated parent makes universal tools (clang, make, uname) run as x86_64 even when gohost and go are native: warn, with how to start a native shell.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run: parent_chain,
} }

inventory::submit! { Check {
    id: "arch.rosetta-installed",
    title: "Rosetta 2 installed",
    explain: "On Apple Silicon, checks whether Rosetta 2's runtime (/Library/Apple/usr/libexec/oah/libRosettaRuntime) exists. When it does, x86_64 programs (an Intel Homebrew, an x86_64 go) run silently translated; when it does not, they cannot run at all. Informational; skipped on Intel Macs and Linux.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run: rosetta_installed,
} }

inventory::submit! { Check {
    id: "arch.goarm64",
    title: "GOARM64 fits this CPU",
    explain: "Maps the CPU features the OS reports (macOS `hw.optional.arm.FEAT_*`, Linux /proc/cpuinfo Features) to the highest GOARM64 level (Go 1.23+: v8.0 to v8.9, v9.0 to v9.5) whose Arm-mandatory features are all present; features the OS does not report are not assumed, so the level is a verified lower bound (v8.9 and v9.x are never claimed). Fails when your GOARM64 (environment or `go env -w`) is invalid or asks for more than that. Skipped on non-arm64 machines.",
    tags: &["arch", "cpu"],
    needs: Needs::NONE,
    run: goarm64_check,
} }

inventory::submit! { Check {
    id: "arch.binfmt-emulation",
    title: "Linux binfmt_misc emulation handlers",
    explain: "Linux: lists /proc/sys/fs/binfmt_misc handlers and flags enabled qemu-user or Rosetta-for-Linux interpreters, through which foreign-architecture binaries (such as an x86_64 go on arm64) start without error and run emulated. Skipped on macOS.",
    tags: &["arch", "linux"],
    needs: Needs::NONE,
    run: binfmt_emulation,
} }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parens_in_comm() {
        assert_eq!(
            parse_stat("123 (my (odd) prog) S 45 123 123 0"),
            Some(("my (odd) prog".to_owned(), "45".to_owned()))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn emulator_names() {
        assert!(is_emulator_path("/usr/bin/qemu-aarch64-static"));
        assert!(is_emulator_path("/mnt/lima-rosetta/rosetta"));
        assert!(!is_emulator_path("/usr/bin/bash"));
    }
}

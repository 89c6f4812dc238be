//! `arch.goarm64`: the highest GOARM64 level consistent with the CPU features the OS reports,
//! and whether the user's GOARM64 (environment or `go env -w`) is valid and within it.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::binary::normalize_arch;
use crate::goarm64::{all_features, highest_level, level_minor, parse_goarm64, Feature, Level};
use crate::probe::{apple_silicon, is_linux, is_macos, sysctl, Host, Sysctl};

inventory::submit! { Check {
    id: "arch.goarm64",
    title: "GOARM64 fits this CPU",
    explain: "Maps the CPU features the OS reports (macOS `hw.optional.arm.FEAT_*`, Linux /proc/cpuinfo Features) to the highest GOARM64 level (Go 1.23+: v8.0 to v8.9, v9.0 to v9.5) whose Arm-mandatory features are all present; features the OS does not report are not assumed, so the level is a verified lower bound (v8.9 and v9.x are never claimed). Fails when your GOARM64 (environment or `go env -w`) is invalid or asks for more than that. Skipped on non-arm64 machines.",
    tags: &["arch", "cpu"],
    needs: Needs::NONE,
    run,
} }

/// Older macOS names (`hw.optional.<name>`) of FEAT_* sysctls, as Go's internal/cpu and the
/// macOS 12 M1 dump in fixtures/macos show them.
const LEGACY_SYSCTLS: &[(&str, &str)] = &[
    ("FEAT_CRC32", "armv8_crc32"),
    ("FEAT_LSE", "armv8_1_atomics"),
    ("FEAT_FHM", "armv8_2_fhm"),
    ("FEAT_FCMA", "armv8_3_compnum"),
];

/// Linux `/proc/cpuinfo` feature names for the FEAT_* names [`crate::goarm64::MANDATORY`]
/// uses. (Kernel Documentation/arch/arm64/elf_hwcaps.rst.)
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

/// One feature sysctl as read: the FEAT_ name, the oid read last and its answer, plus the
/// modern oid's answer when a legacy name was tried after it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FeatureRead {
    feature: &'static str,
    tried_first: Option<(String, Sysctl)>,
    oid: String,
    answer: Sysctl,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Cpu {
    /// `hw.optional.arm64`, then (only when it says Apple Silicon) every feature sysctl.
    Macos {
        arm64: Sysctl,
        features: Vec<FeatureRead>,
    },
    /// `/proc/cpuinfo` of an arm64 Linux, or why it could not be read.
    Linux { cpuinfo: Result<String, String> },
    /// Not an arm64 machine (or an OS without a feature probe).
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    cpu: Cpu,
    /// The user's GOARM64 and where it came from.
    user: Option<(String, String)>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let f = ctx.facts();
    let host = Host::from_facts(&f);
    let cpu = if is_macos(&host.os) {
        let arm64 = sysctl(ctx, "hw.optional.arm64");
        let features = if apple_silicon(&arm64) == Some(true) {
            all_features().map(|feat| read_feature(ctx, feat)).collect()
        } else {
            Vec::new()
        };
        Cpu::Macos { arm64, features }
    } else if is_linux(&host.os) && normalize_arch(&host.machine) == "arm64" {
        Cpu::Linux {
            cpuinfo: ctx
                .read_to_string("/proc/cpuinfo")
                .map_err(|e| e.to_string()),
        }
    } else {
        Cpu::Other
    };
    let user = if let Some(v) = ctx.env("GOARM64").filter(|v| !v.is_empty()) {
        Some((v, "environment GOARM64".to_owned()))
    } else {
        f.go.clone().into_option().and_then(|go| {
            let env = go.env()?;
            let v = env.get("GOARM64")?.to_owned();
            Some((v, format!("{} env -json", go.path)))
        })
    };
    Observations { host, cpu, user }
}

fn read_feature(ctx: &Ctx<'_>, feature: &'static str) -> FeatureRead {
    let oid = format!("hw.optional.arm.{feature}");
    let answer = sysctl(ctx, &oid);
    // macOS 11 and early 12 report some features only under their older names.
    if answer == Sysctl::Missing {
        if let Some((_, legacy)) = LEGACY_SYSCTLS.iter().find(|(f2, _)| *f2 == feature) {
            let legacy_oid = format!("hw.optional.{legacy}");
            return FeatureRead {
                feature,
                answer: sysctl(ctx, &legacy_oid),
                oid: legacy_oid,
                tried_first: Some((oid, answer)),
            };
        }
    }
    FeatureRead {
        feature,
        tried_first: None,
        oid,
        answer,
    }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let mut evidence: Vec<(String, String, String)> = Vec::new();
    let level = match &obs.cpu {
        Cpu::Macos { arm64, features } => {
            if apple_silicon(arm64) != Some(true) {
                return vec![
                    Finding::skip("not Apple Silicon: GOARM64 applies to arm64 only").evidence(
                        "hw.optional.arm64",
                        arm64.evidence_value(),
                        "sysctl hw.optional.arm64",
                    ),
                ];
            }
            for r in features {
                if let Some((oid, answer)) = &r.tried_first {
                    evidence.push((
                        oid.clone(),
                        answer.evidence_value(),
                        format!("sysctl {oid}"),
                    ));
                }
                evidence.push((
                    r.oid.clone(),
                    r.answer.evidence_value(),
                    format!("sysctl {}", r.oid),
                ));
            }
            highest_level(|feat| {
                match features
                    .iter()
                    .find(|r| r.feature == feat)
                    .map(|r| &r.answer)
                {
                    Some(Sysctl::Value(v)) if v == "1" => Feature::Present,
                    Some(Sysctl::Value(_)) => Feature::Absent,
                    _ => Feature::Unknown,
                }
            })
        }
        Cpu::Linux { cpuinfo } => {
            let cpuinfo = match cpuinfo {
                Ok(c) => c,
                Err(e) => return vec![Finding::skip("could not read /proc/cpuinfo").detail(e)],
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
        }
        Cpu::Other => {
            return vec![Finding::skip(format!(
                "{} machine: GOARM64 applies to arm64 only",
                obs.host.machine
            ))]
        }
    };
    verdict(&level, &evidence, obs.user.as_ref())
}

fn verdict(
    level: &Level,
    evidence: &[(String, String, String)],
    user: Option<&(String, String)>,
) -> Vec<Finding> {
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
        for (k, v, s) in evidence {
            finding = finding.evidence(k, v, s);
        }
        finding
    };
    let finding = match user {
        Some((value, source)) => match parse_goarm64(value) {
            None => add_evidence(Finding::fail(format!(
                "GOARM64=`{value}` is not a value Go accepts"
            )))
            .detail("Go accepts v8.0 (default) to v8.9 and v9.0 to v9.5, optionally followed by `,lse` and/or `,crypto`; anything else makes every build fail.")
            .evidence("GOARM64", value, source)
            .remediation(
                format!("Use a valid value, e.g. the level this CPU supports ({}):", level.level),
                goarm64_fix(source, level.level),
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
            .evidence("GOARM64", value, source)
            .remediation("Lower it to what this machine supports (or unset it):", goarm64_fix(source, level.level)),
            Some(_) => add_evidence(Finding::pass(format!(
                "GOARM64={value} is within what this CPU supports ({})",
                level.level
            )))
            .evidence("GOARM64", value, source),
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

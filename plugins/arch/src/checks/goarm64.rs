//! `arch.goarm64`: the highest GOARM64 level consistent with the CPU features the OS reports,
//! and whether the user's GOARM64 (environment or `go env -w`) is valid and within it.

use gohost_plugin_api::go::GoVersion;
use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::binary::normalize_arch;
use crate::goarm64::{
    all_features, highest_level, level_minor, parse_goarm64, Feature, Level, LEGACY_SYSCTLS,
    LINUX_HWCAPS,
};
use crate::probe::{is_linux, is_macos, mac_cpu, shell_quote, sysctl, Host, MacCpu, Sysctl};

inventory::submit! { Check {
    id: "arch.goarm64",
    title: "GOARM64 fits this CPU",
    explain: "Maps the CPU features the OS reports (macOS `hw.optional.arm.FEAT_*`, Linux /proc/cpuinfo Features) to the highest GOARM64 level (Go 1.23+: v8.0 to v8.9, v9.0 to v9.5) whose Arm-mandatory features (FEAT_BTI, FEAT_SB, FEAT_SSBS, FEAT_SPECRES… from v8.5) all read present. That is the highest level consistent with what the OS reports, not a guarantee: features the OS does not report are not assumed and a missing answer stops the level, so v8.9 and v9.x are never reached. Go 1.27 itself uses from the level only LSE atomics (on from v8.1) and the arm64.vX.Y build tags code can select files with (internal/buildcfg). Fails when your GOARM64 (environment or the go env file) is not a value Go 1.23+ accepts (in the environment every go command then fails, in the go env file every GOARCH=arm64 build), on any machine; warns when it is above the level the CPU reports. Go before 1.23 ignores GOARM64. Skipped on non-arm64 machines otherwise.",
    tags: &["arch", "cpu"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

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

/// Where the user's GOARM64 came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Environment,
    /// `go env -json` of this go (the environment or the go env file, or Go's default).
    GoEnvJson(String),
    /// A `GOARM64=` line in the go env file (`go env -json` omits GOARM64 unless GOARCH is
    /// arm64, verified with go1.27.3 here).
    EnvFile(String),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Environment => "environment GOARM64".to_owned(),
            Source::GoEnvJson(go) => format!("{go} env -json"),
            Source::EnvFile(path) => format!("go env file {path}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    cpu: Cpu,
    /// The user's GOARM64 and where it came from.
    user: Option<(String, Source)>,
    /// The version of the first go, when known.
    go_version: Option<GoVersion>,
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let f = ctx.facts();
    let host = Host::from_facts(&f);
    let cpu = if is_macos(&host.os) {
        let arm64 = sysctl(ctx, "hw.optional.arm64");
        let features = if matches!(mac_cpu(&arm64, &host), MacCpu::AppleSilicon(_)) {
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
    let go = f.go.clone().into_option();
    let go_version = go.as_ref().and_then(|g| g.version());
    let user = if let Some(v) = ctx.env("GOARM64").filter(|v| !v.is_empty()) {
        Some((v, Source::Environment))
    } else {
        go.and_then(|go| {
            let env = go.env()?;
            if let Some(v) = env.non_empty("GOARM64") {
                return Some((v.to_owned(), Source::GoEnvJson(go.path.to_string())));
            }
            let path = env.non_empty("GOENV").filter(|p| *p != "off")?.to_owned();
            let text = ctx.read_to_string(&path).ok()?;
            let v = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == "GOARM64")
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())?;
            Some((v, Source::EnvFile(path)))
        })
    };
    Observations {
        host,
        cpu,
        user,
        go_version,
    }
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

/// GOARM64 exists from Go 1.23 (FACTS.md; go.dev/doc/go1.23): older Go ignores it.
fn go_reads_goarm64(v: Option<GoVersion>) -> bool {
    v.map_or(true, |v| (v.major, v.minor) >= (1, 23))
}

fn judge(obs: &Observations) -> Vec<Finding> {
    // An invalid or ignored value is wrong on every machine: check it before the CPU.
    if let Some((value, source)) = &obs.user {
        if !go_reads_goarm64(obs.go_version) {
            let v = obs.go_version.map(|v| v.to_string()).unwrap_or_default();
            return vec![Finding::info(format!(
                "GOARM64={value} is set, but {v} ignores it (GOARM64 exists since Go 1.23)"
            ))
            .evidence("GOARM64", value, source.describe())
            .doc("https://go.dev/doc/go1.23")];
        }
        if parse_goarm64(value).is_none() {
            return vec![invalid(value, source)];
        }
    }
    let mut evidence: Vec<(String, String, String)> = Vec::new();
    let level = match &obs.cpu {
        Cpu::Macos { arm64, features } => {
            match mac_cpu(arm64, &obs.host) {
                MacCpu::AppleSilicon(_) => {}
                MacCpu::Intel(why) => {
                    return vec![not_arm64(
                        Finding::skip("Intel Mac: GOARM64 applies to arm64 only").detail(why),
                        obs,
                    )
                    .evidence(
                        "hw.optional.arm64",
                        arm64.evidence_value(),
                        "sysctl hw.optional.arm64",
                    )]
                }
                MacCpu::Unknown(why) => {
                    return vec![
                        Finding::skip("could not tell whether this Mac has an arm64 CPU")
                            .detail(why)
                            .evidence(
                                "hw.optional.arm64",
                                arm64.evidence_value(),
                                "sysctl hw.optional.arm64",
                            ),
                    ]
                }
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
            // 1 present, 0 absent; anything else (no oid, unreadable, unrecorded, odd value)
            // is not known and stops the level.
            highest_level(|feat| {
                match features
                    .iter()
                    .find(|r| r.feature == feat)
                    .map(|r| &r.answer)
                {
                    Some(Sysctl::Value(v)) if v == "1" => Feature::Present,
                    Some(Sysctl::Value(v)) if v == "0" => Feature::Absent,
                    _ => Feature::Unknown,
                }
            })
        }
        Cpu::Linux { cpuinfo } => {
            let cpuinfo = match cpuinfo {
                Ok(c) => c,
                Err(e) => return vec![Finding::skip("could not read /proc/cpuinfo").detail(e)],
            };
            let Some(flags) = cpuinfo
                .lines()
                .find(|l| l.starts_with("Features"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.split_whitespace().collect::<Vec<&str>>())
            else {
                return vec![Finding::skip("/proc/cpuinfo has no Features line")];
            };
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
            return vec![not_arm64(
                Finding::skip(format!(
                    "{} machine: GOARM64 applies to arm64 only",
                    obs.host.machine
                )),
                obs,
            )]
        }
    };
    verdict(&level, &evidence, obs.user.as_ref())
}

fn not_arm64(f: Finding, obs: &Observations) -> Finding {
    match &obs.user {
        Some((value, source)) => f.evidence("GOARM64", value, source.describe()),
        None => f,
    }
}

/// Go 1.23+ rejects the value: internal/buildcfg ParseGoarm64 sets buildcfg.Error ("invalid
/// GOARM64: must start with v8.{0-9} or v9.{0-5}…"). Checked with go1.27.3 here: in the
/// environment every go command exits 2 on any GOARCH; in the go env file `go build` of a
/// GOARCH=arm64 target fails while GOARCH=amd64 builds still work.
fn invalid(value: &str, source: &Source) -> Finding {
    let effect = match source {
        Source::Environment => {
            "With it in the environment every go command fails (\"go: invalid GOARM64\")."
        }
        _ => "With it in the go env file every GOARCH=arm64 build fails (\"invalid GOARM64\").",
    };
    Finding::fail(format!("GOARM64=`{value}` is not a value Go accepts"))
        .detail(format!("Go 1.23+ accepts v8.0 (default) to v8.9 and v9.0 to v9.5, optionally followed by `,lse` and/or `,crypto` (go help environment). {effect}"))
        .evidence("GOARM64", value, source.describe())
        .remediation(
            "Remove it; Go's default v8.0 runs on every arm64 CPU:",
            unset_fix(source),
        )
        .doc("https://go.dev/doc/go1.23")
}

fn unset_fix(source: &Source) -> Vec<String> {
    match source {
        Source::Environment => vec!["unset GOARM64".to_owned()],
        _ => vec!["go env -u GOARM64".to_owned()],
    }
}

fn verdict(
    level: &Level,
    evidence: &[(String, String, String)],
    user: Option<&(String, Source)>,
) -> Vec<Finding> {
    let blocked = level
        .blocked_at
        .as_ref()
        .map(|(at, missing)| {
            format!(
                "{at} not reached: {}",
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
        .unwrap_or_else(|| "every reportable feature up to v8.8 is present".to_owned());
    let absent_blocks = level
        .blocked_at
        .as_ref()
        .is_some_and(|(_, m)| m.iter().any(|(_, st)| *st == Feature::Absent));
    let add_evidence = |mut finding: Finding| {
        finding = finding
            .evidence(
                "supported_goarm64",
                level.level,
                "highest level whose Arm-mandatory features the OS reports present (unreported ones not assumed)",
            )
            .evidence("limit", blocked.clone(), "feature reports");
        for (k, v, s) in evidence {
            finding = finding.evidence(k, v, s);
        }
        finding
    };
    let what_go_uses = "Go 1.27's compiler uses only LSE atomics from the level (on from v8.1; \
         internal/buildcfg, cmd/compile ssagen), and the level sets build tags arm64.v8.0 … \
         arm64.vX.Y that code can use to select instructions (buildcfg gogoarchTags).";
    let finding = match user {
        Some((value, source)) => match parse_goarm64(value) {
            None => invalid(value, source),
            Some(parsed) if parsed.major == 9 => add_evidence(Finding::warn(format!(
                "GOARM64={value} asks for Armv9, which the OS does not report for this CPU (highest consistent level {})",
                level.level
            )))
            .detail(format!("v9.x includes v8.(x+5) (internal/buildcfg) and Armv9 features such as FEAT_SVE2 that no Apple chip implements and these reports do not show. {what_go_uses}"))
            .evidence("GOARM64", value, source.describe())
            .remediation("Remove it (Go's default v8.0 runs on every arm64 CPU):", unset_fix(source)),
            Some(parsed) if parsed.as_v8_minor() > level_minor(level.level) => {
                let (f, how) = if absent_blocks {
                    (Finding::warn(format!(
                        "GOARM64={value} is above what this CPU reports ({}: {blocked})",
                        level.level
                    )), "The CPU reports a feature that level makes mandatory as absent.")
                } else {
                    (Finding::info(format!(
                        "GOARM64={value} is above what the OS reports for this CPU ({}); its features are not reported, so it cannot be verified",
                        level.level
                    )), "The OS does not report every feature that level makes mandatory.")
                };
                add_evidence(f)
                    .detail(format!("{how} {what_go_uses} Code selected by such tags may use instructions this CPU lacks (SIGILL)."))
                    .evidence("GOARM64", value, source.describe())
                    .remediation(
                        format!("Remove it; set a level only for binaries that run on CPUs like this one (up to {}):", level.level),
                        unset_fix(source),
                    )
            }
            Some(_) => add_evidence(Finding::pass(format!(
                "GOARM64={value} is within the highest level this CPU reports ({})",
                level.level
            )))
            .evidence("GOARM64", value, source.describe()),
        },
        None => add_evidence(Finding::info(format!(
            "the features this CPU reports are consistent with GOARM64 up to {} (Go's default is v8.0)",
            level.level
        )))
        .detail(format!(
            "GOARM64 (Go 1.23+) lets the compiler assume newer arm64 features. {what_go_uses} \
             The default v8.0 runs on every arm64 CPU; {} is the highest level whose \
             mandatory features the OS reports present. To use it: go env -w GOARM64={}",
            level.level,
            shell_quote(level.level)
        )),
    };
    vec![finding.doc("https://go.dev/doc/go1.23")]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::{Status, Translation};

    fn host(os: &str, machine: &str) -> Host {
        Host {
            os: os.into(),
            machine: machine.into(),
            process_arch: machine.into(),
            translation: Translation::Native,
            translation_evidence: String::new(),
        }
    }

    /// An M1 as fixtures/macos/m1-sysctl-hw.txt reports it (FEAT_BTI 0, FEAT_SPECRES 0, the
    /// rest up to v8.4 1), with one feature's answer replaced.
    fn m1(replace: Option<(&str, Sysctl)>) -> Cpu {
        let features = all_features()
            .map(|feature| {
                let v = match feature {
                    "FEAT_BTI" | "FEAT_SPECRES" => "0",
                    "FEAT_BF16" | "FEAT_ECV" | "FEAT_I8MM" | "FEAT_AFP" | "FEAT_WFxT"
                    | "FEAT_HBC" | "FEAT_PAuth2" => "0",
                    _ => "1",
                };
                let answer = match &replace {
                    Some((f, a)) if *f == feature => a.clone(),
                    _ => Sysctl::Value(v.into()),
                };
                FeatureRead {
                    feature,
                    tried_first: None,
                    oid: format!("hw.optional.arm.{feature}"),
                    answer,
                }
            })
            .collect();
        Cpu::Macos {
            arm64: Sysctl::Value("1".into()),
            features,
        }
    }

    fn obs(
        os: &str,
        machine: &str,
        cpu: Cpu,
        user: Option<(&str, Source)>,
        go: Option<(u32, u32)>,
    ) -> Observations {
        Observations {
            host: host(os, machine),
            cpu,
            user: user.map(|(v, s)| (v.to_owned(), s)),
            go_version: go.map(|(a, b)| GoVersion::new(a, b, 0)),
        }
    }

    /// Data → findings. Sources: FACTS.md "GOARM64 levels" (FEAT_BTI, FEAT_SB, FEAT_SSBS,
    /// FEAT_SPECRES mandatory from v8.5; "highest level consistent with what the OS reports",
    /// not a verified lower bound; v9.N ⊇ v8.(N+5)); Go src internal/buildcfg/cfg.go
    /// ParseGoarm64 (valid values); FACTS.md (GOARM64 since Go 1.23); fixtures/README.md (no
    /// hw.optional.arm64 on Intel).
    #[test]
    fn table() {
        let env = || Source::Environment;
        let file = || Source::EnvFile("/home/u/.config/go/env".into());
        let nr = || Sysctl::Unreadable("not recorded".into());
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            (
                "m1, no value",
                obs("macos", "arm64", m1(None), None, Some((1, 27))),
                Status::Info,
                "consistent with GOARM64 up to v8.4",
            ),
            (
                "m1, v8.4",
                obs(
                    "macos",
                    "arm64",
                    m1(None),
                    Some(("v8.4,crypto", env())),
                    Some((1, 27)),
                ),
                Status::Pass,
                "within",
            ),
            (
                "m1, v8.6 (absent features)",
                obs(
                    "macos",
                    "arm64",
                    m1(None),
                    Some(("v8.6", env())),
                    Some((1, 27)),
                ),
                Status::Warn,
                "above what this CPU reports",
            ),
            (
                "m1, v9.0",
                obs(
                    "macos",
                    "arm64",
                    m1(None),
                    Some(("v9.0", env())),
                    Some((1, 27)),
                ),
                Status::Warn,
                "Armv9",
            ),
            (
                "invalid env",
                obs(
                    "macos",
                    "arm64",
                    m1(None),
                    Some(("2", env())),
                    Some((1, 27)),
                ),
                Status::Fail,
                "not a value Go accepts",
            ),
            (
                "invalid, go1.19",
                obs(
                    "linux",
                    "x86_64",
                    Cpu::Other,
                    Some(("2", env())),
                    Some((1, 19)),
                ),
                Status::Info,
                "ignores it",
            ),
            (
                "invalid file on amd64",
                obs(
                    "linux",
                    "x86_64",
                    Cpu::Other,
                    Some(("2", file())),
                    Some((1, 27)),
                ),
                Status::Fail,
                "not a value Go accepts",
            ),
            (
                "valid on amd64",
                obs(
                    "linux",
                    "x86_64",
                    Cpu::Other,
                    Some(("v8.1", file())),
                    Some((1, 27)),
                ),
                Status::Skip,
                "applies to arm64 only",
            ),
            (
                "intel",
                obs(
                    "macos",
                    "x86_64",
                    Cpu::Macos {
                        arm64: Sysctl::Missing,
                        features: vec![],
                    },
                    None,
                    Some((1, 27)),
                ),
                Status::Skip,
                "Intel Mac",
            ),
            // Issue 13 section 2: the M1 snapshot lacking hw.optional.arm64 is not "not Apple
            // Silicon": uname -m arm64 decides it.
            (
                "m1 lacking hw.optional.arm64",
                obs(
                    "macos",
                    "arm64",
                    match m1(None) {
                        Cpu::Macos { features, .. } => Cpu::Macos {
                            arm64: nr(),
                            features,
                        },
                        c => c,
                    },
                    None,
                    Some((1, 27)),
                ),
                Status::Info,
                "up to v8.4",
            ),
            (
                "x86 view lacking hw.optional.arm64",
                obs(
                    "macos",
                    "x86_64",
                    Cpu::Macos {
                        arm64: nr(),
                        features: vec![],
                    },
                    None,
                    None,
                ),
                Status::Skip,
                "could not tell",
            ),
            // A missing feature answer stops the level; it is never read as present.
            (
                "m1, FEAT_LSE unrecorded",
                obs(
                    "macos",
                    "arm64",
                    m1(Some(("FEAT_LSE", nr()))),
                    None,
                    Some((1, 27)),
                ),
                Status::Info,
                "up to v8.0",
            ),
            (
                "m1, FEAT_DIT unrecorded, v8.4 set",
                obs(
                    "macos",
                    "arm64",
                    m1(Some(("FEAT_DIT", nr()))),
                    Some(("v8.4", file())),
                    Some((1, 27)),
                ),
                Status::Info,
                "cannot be verified",
            ),
            (
                "linux cpuinfo unreadable",
                obs(
                    "linux",
                    "aarch64",
                    Cpu::Linux {
                        cpuinfo: Err("not recorded".into()),
                    },
                    None,
                    None,
                ),
                Status::Skip,
                "could not read",
            ),
            (
                "linux cpuinfo without Features",
                obs(
                    "linux",
                    "aarch64",
                    Cpu::Linux {
                        cpuinfo: Ok("processor : 0\n".into()),
                    },
                    None,
                    None,
                ),
                Status::Skip,
                "no Features line",
            ),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
            assert!(!f[0].title.contains("verified lower bound"), "{name}");
            if matches!(status, Status::Fail | Status::Warn) {
                let fix = f[0]
                    .remediation
                    .as_ref()
                    .into_option()
                    .expect("remediation");
                assert!(!fix.commands.is_empty(), "{name}");
                // Every printed command is meant to be run: none sets a level again.
                for c in &fix.commands {
                    assert!(
                        !c.contains("-w GOARM64") && !c.contains("export"),
                        "{name}: {c}"
                    );
                }
            }
        }
    }

    /// The M1's limit names FEAT_BTI: with the table fixed, BTI 0 stops v8.5 (issue 13).
    #[test]
    fn m1_limit_names_bti() {
        let f = judge(&obs("macos", "arm64", m1(None), None, Some((1, 27))));
        let limit = f[0].evidence_value("limit").expect("limit");
        assert!(
            limit.contains("FEAT_BTI absent") && limit.contains("FEAT_SPECRES absent"),
            "{limit}"
        );
    }
}

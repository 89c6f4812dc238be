//! `toolchain.release-support`: whether the Go release is still supported, and whether it
//! runs on this macOS at all.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::discover::version_from_output;
use crate::util::{install_remedy, native_arch, shown, Native, NO_GO};
use crate::version::{LATEST_KNOWN, LATEST_KNOWN_DATE};

inventory::submit! { Check {
    id: "toolchain.release-support",
    title: "Go release still supported",
    explain: "Each Go major release is supported until two newer majors exist (go.dev/doc/devel/release); gohost knows releases up to go1.27.3 (2026-10-19), so 1.27 and 1.26 are supported. On macOS it also checks darwin/arm64 support on Apple Silicon (Go 1.16+) and the oldest macOS each release runs on, from the release notes: Go 1.20 needs macOS 10.13 High Sierra, Go 1.21-1.22 macOS 10.15 Catalina, Go 1.23-1.24 macOS 11 Big Sur, Go 1.25-1.26 macOS 12 Monterey, Go 1.27 macOS 13 Ventura (its linker also stamps 13.0 as the minimum on what it builds). A release outside that table, or a macOS version gohost could not read, is reported as not known rather than passed.",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// The oldest macOS (major, minor) each Go release line runs on, with its source.
/// - 1.20 → 10.13: golang/go#58105 (the Go 1.21 installer moves from 10.13 to 10.15; "the
///   Go 1.20 installer need not change").
/// - 1.21, 1.22 → 10.15: proposal golang/go#57125, golang/go#58105; "Go 1.22 is the last
///   release that will run on macOS 10.15" (go.dev/doc/go1.22, FACTS.md).
/// - 1.23, 1.24 → 11: go.dev/doc/go1.23 ("Darwin"); Go 1.24 is the last on macOS 11
///   (go.dev/doc/go1.24, FACTS.md).
/// - 1.25, 1.26 → 12: go.dev/doc/go1.25 ("requires macOS 12 Monterey"); golang/go#75836:
///   Go 1.26 is the last with macOS 12 (FACTS.md).
/// - 1.27 → 13: Go 1.27 release notes, "Go 1.27 requires macOS 13 Ventura or later"
///   (golang/go#75836); Go src cmd/link/internal/ld/macho.go `macOS = macVersionFlag{13, 0, 0}`
///   (FACTS.md).
pub const MACOS_MINIMUM: &[(u32, (u32, u32), &str)] = &[
    (20, (10, 13), "golang/go#58105"),
    (21, (10, 15), "golang/go#57125, golang/go#58105"),
    (22, (10, 15), "go.dev/doc/go1.22"),
    (23, (11, 0), "go.dev/doc/go1.23"),
    (24, (11, 0), "go.dev/doc/go1.24"),
    (25, (12, 0), "go.dev/doc/go1.25"),
    (26, (12, 0), "golang/go#75836"),
    (
        27,
        (13, 0),
        "go.dev/doc/go1.27; Go src cmd/link/internal/ld/macho.go",
    ),
];

/// The macOS names of the versions in the table, for titles.
fn macos_name(v: (u32, u32)) -> String {
    let name = match v {
        (10, 13) => " High Sierra",
        (10, 15) => " Catalina",
        (11, _) => " Big Sur",
        (12, _) => " Monterey",
        (13, _) => " Ventura",
        _ => "",
    };
    if v.0 >= 11 {
        format!("macOS {}{name}", v.0)
    } else {
        format!("macOS {}.{}{name}", v.0, v.1)
    }
}

/// `13.3`, `12`, `10.15.7` → (major, minor). None when it does not start with a number.
pub fn parse_macos(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    /// `sw_vers -productVersion` from the host's facts (empty: not answered).
    pub os_version: String,
    pub native: Native,
    /// `go version` output of the first go (None: no go).
    pub version_output: Option<String>,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    Observations {
        os: facts.os.to_string(),
        os_version: facts.os_version.to_string(),
        native: native_arch(ctx, &facts),
        version_output: facts
            .go
            .as_ref()
            .into_option()
            .map(|g| g.version_output.to_string()),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(version_output) = &obs.version_output else {
        return vec![Finding::skip(NO_GO)];
    };
    let local = version_from_output(version_output);
    let Some(v) = local.as_deref().and_then(GoVersion::parse) else {
        return vec![Finding::skip("could not parse the go version").evidence(
            "go version",
            shown(version_output),
            "go version",
        )];
    };
    let local = local.unwrap_or_default();
    let latest = LATEST_KNOWN;
    let base = |f: Finding| {
        f.evidence("go version", shown(version_output), "go version")
            .evidence(
                "latest known release",
                format!(
                    "go{}.{}.{} ({LATEST_KNOWN_DATE})",
                    latest.major, latest.minor, latest.patch
                ),
                "gohost FACTS.md",
            )
            .doc("https://go.dev/doc/devel/release")
    };
    let mut findings = Vec::new();
    let upgrade = install_remedy(&obs.os);
    if (v.major, v.minor) > (latest.major, latest.minor) {
        findings.push(base(Finding::info(format!(
            "{local} is newer than the newest release gohost knows"
        ))));
    } else if v.major == latest.major && v.minor + 1 >= latest.minor {
        findings.push(base(Finding::pass(format!(
            "{local} is a supported release (supported: go{}.{} and go{}.{})",
            latest.major,
            latest.minor,
            latest.major,
            latest.minor - 1
        ))));
    } else {
        findings.push(base(Finding::warn(format!("{local} is no longer supported (supported: go{}.{} and go{}.{})", latest.major, latest.minor, latest.major, latest.minor - 1)))
            .detail("Each Go release is supported until there are two newer major releases; unsupported releases get no security fixes.")
            .remediation("Upgrade Go:", upgrade.clone()));
    }
    if obs.os != "macos" {
        return findings;
    }
    if v < GoVersion::new(1, 16, 0) {
        // darwin/arm64 arrived in Go 1.16 (go.dev/doc/go1.16, FACTS.md).
        match obs.native.arch() {
            Some("arm64") => findings.push(
                base(Finding::fail(format!(
                    "{local} predates darwin/arm64 support (Go 1.16)"
                )))
                .remediation("Install a current arm64 Go:", upgrade.clone()),
            ),
            Some(_) => {}
            None => findings.push(base(Finding::skip(format!(
                "{local} predates darwin/arm64 (Go 1.16); could not tell whether this Mac is Apple Silicon"
            )))
            .detail(obs.native.describe())),
        }
    }
    let row = MACOS_MINIMUM
        .iter()
        .find(|(minor, _, _)| v.major == 1 && *minor == v.minor);
    let have = parse_macos(&obs.os_version);
    match (row, have) {
        (Some((_, need, source)), Some(have)) if have < *need => findings.push(
            base(Finding::fail(format!(
                "{local} requires {} or newer; this is macOS {}",
                macos_name(*need),
                obs.os_version
            )))
            .detail(format!(
                "Go {}.{} does not support older macOS releases ({source}); its tools and the binaries it builds may fail to start or misbehave here.",
                v.major, v.minor
            ))
            .evidence("macOS", &obs.os_version, "sw_vers -productVersion")
            .remediation(
                "Update macOS, or use the newest Go that supports this macOS:",
                {
                    let mut cmds = vec!["softwareupdate --list".to_owned()];
                    // The newest release line in the table whose minimum this macOS meets.
                    if let Some((minor, _, _)) = MACOS_MINIMUM
                        .iter()
                        .rev()
                        .find(|(_, need, _)| have >= *need)
                    {
                        cmds.push(format!(
                            "# or stay on Go 1.{minor}, the newest release that supports macOS {} (https://go.dev/dl/)",
                            obs.os_version
                        ));
                    }
                    cmds
                },
            ),
        ),
        (Some(_), Some(_)) => {}
        (Some((_, need, _)), None) => findings.push(
            base(Finding::skip(format!(
                "{local} requires {}; could not tell this macOS version",
                macos_name(*need)
            )))
            .evidence(
                "macOS",
                if obs.os_version.is_empty() { "no answer" } else { obs.os_version.as_str() },
                "sw_vers -productVersion",
            ),
        ),
        (None, _) if v.major == 1 && v.minor > 27 => findings.push(base(Finding::info(format!(
            "the oldest macOS {local} supports is not in gohost's table (it ends at Go 1.27: macOS 13)"
        )))),
        (None, _) => {}
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn obs(go: &str, macos: &str) -> Observations {
        Observations {
            os: "macos".into(),
            os_version: macos.into(),
            native: Native::known("arm64", "sysctl hw.optional.arm64 = 1"),
            version_output: Some(format!("go version {go} darwin/arm64")),
        }
    }

    /// Data → findings; each macOS row's source is in MACOS_MINIMUM's doc comment.
    #[test]
    fn table() {
        let rows: Vec<(&str, Observations, Vec<Status>)> = vec![
            // The audit: go1.27 on macOS 12 passed. Go 1.27 requires macOS 13 (release notes).
            (
                "1.27 on 12",
                obs("go1.27.3", "12.7.6"),
                vec![Status::Pass, Status::Fail],
            ),
            ("1.27 on 13", obs("go1.27.3", "13.0"), vec![Status::Pass]),
            ("1.26 on 12", obs("go1.26.1", "12"), vec![Status::Pass]),
            (
                "1.26 on 11",
                obs("go1.26.1", "11.7"),
                vec![Status::Pass, Status::Fail],
            ),
            (
                "1.24 on 10.15",
                obs("go1.24.0", "10.15.7"),
                vec![Status::Warn, Status::Fail],
            ),
            (
                "1.22 on 10.15",
                obs("go1.22.0", "10.15.7"),
                vec![Status::Warn],
            ),
            (
                "1.21 on 10.14",
                obs("go1.21.0", "10.14.6"),
                vec![Status::Warn, Status::Fail],
            ),
            (
                "1.20 on 10.13",
                obs("go1.20.6", "10.13"),
                vec![Status::Warn],
            ),
            (
                "1.15 on arm64",
                obs("go1.15", "11.0"),
                vec![Status::Warn, Status::Fail],
            ),
            // Missing answers: never a verdict drawn from them.
            (
                "1.27, macOS unknown",
                obs("go1.27.3", ""),
                vec![Status::Pass, Status::Skip],
            ),
            (
                "no version",
                Observations {
                    version_output: Some(String::new()),
                    ..obs("x", "13")
                },
                vec![Status::Skip],
            ),
            (
                "1.28",
                obs("go1.28.0", "13"),
                vec![Status::Info, Status::Info],
            ),
        ];
        assert_eq!(rows.len(), 12);
        for (name, o, want) in rows {
            let got = judge(&o);
            assert_eq!(
                got.iter().map(|f| f.status).collect::<Vec<_>>(),
                want,
                "{name}: {got:#?}"
            );
        }
        let got = judge(&obs("go1.27.3", "12.7.6"));
        assert!(
            got[1].title.contains("macOS 13 Ventura"),
            "{}",
            got[1].title
        );
        let mut o = obs("go1.15", "11.0");
        o.native = Native::Unknown {
            reason: "not recorded".into(),
        };
        let got = judge(&o);
        assert_eq!(
            got.iter().map(|f| f.status).collect::<Vec<_>>(),
            vec![Status::Warn, Status::Skip]
        );
    }

    #[test]
    fn macos_versions_parse() {
        assert_eq!(parse_macos("13.3"), Some((13, 3)));
        assert_eq!(parse_macos("12"), Some((12, 0)));
        assert_eq!(parse_macos("10.15.7"), Some((10, 15)));
        assert_eq!(parse_macos(""), None);
        assert_eq!(parse_macos("x"), None);
    }
}

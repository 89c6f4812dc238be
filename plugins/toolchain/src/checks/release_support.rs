//! `toolchain.release-support`: whether the Go release is still supported, and whether it
//! runs on this macOS at all.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::discover::version_from_output;
use crate::util::{install_remedy, native_arch, NO_GO};
use crate::version::{LATEST_KNOWN, LATEST_KNOWN_DATE};

inventory::submit! { Check {
    id: "toolchain.release-support",
    title: "Go release still supported",
    explain: "Each Go major release is supported until two newer majors exist (go.dev/doc/devel/release); gohost knows releases up to go1.27.3 (2026-10-19), so 1.27 and 1.26 are supported. On macOS also checks darwin/arm64 support (Go 1.16+) and the macOS minimum of the release (Go 1.23-1.24 need macOS 11, Go 1.25+ macOS 12).",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run,
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    /// `sw_vers`-style OS version from the host's facts.
    pub os_version: String,
    pub native: String,
    /// `go version` output of the first go (None: no go).
    pub version_output: Option<String>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
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
            version_output.as_str(),
            "go version",
        )];
    };
    let latest = LATEST_KNOWN;
    let base = |f: Finding| {
        f.evidence("go version", version_output.as_str(), "go version")
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
            "{} is newer than the newest release gohost knows",
            local.clone().unwrap_or_default()
        ))));
    } else if v.major == latest.major && v.minor + 1 >= latest.minor {
        findings.push(base(Finding::pass(format!(
            "{} is a supported release (supported: go{}.{} and go{}.{})",
            local.clone().unwrap_or_default(),
            latest.major,
            latest.minor,
            latest.major,
            latest.minor - 1
        ))));
    } else {
        findings.push(base(Finding::warn(format!("{} is no longer supported (supported: go{}.{} and go{}.{})", local.clone().unwrap_or_default(), latest.major, latest.minor, latest.major, latest.minor - 1)))
            .detail("Each Go release is supported until there are two newer major releases; unsupported releases get no security fixes.")
            .remediation("Upgrade Go:", upgrade.clone()));
    }
    if obs.os == "macos" {
        if obs.native == "arm64" && v < GoVersion::new(1, 16, 0) {
            findings.push(
                base(Finding::fail(format!(
                    "{} predates darwin/arm64 support (Go 1.16)",
                    local.clone().unwrap_or_default()
                )))
                .remediation("Install a current arm64 Go:", upgrade.clone()),
            );
        }
        let macos_major: Option<u32> = obs
            .os_version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok());
        let needed = if v >= GoVersion::new(1, 25, 0) {
            Some(12)
        } else if v >= GoVersion::new(1, 23, 0) {
            Some(11)
        } else {
            None
        };
        if let (Some(have), Some(need)) = (macos_major, needed) {
            if have < need {
                findings.push(
                    base(Finding::fail(format!(
                        "{} requires macOS {need} or newer; this is macOS {}",
                        local.clone().unwrap_or_default(),
                        obs.os_version
                    )))
                    .remediation(
                        "Use an older Go or update macOS:",
                        ["softwareupdate --list".to_owned()],
                    ),
                );
            }
        }
    }
    findings
}

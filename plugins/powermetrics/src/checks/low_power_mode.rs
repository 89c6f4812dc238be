//! `powermetrics.low-power-mode`: macOS Low Power Mode, or a low-power ACPI platform profile
//! on Linux.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{cannot, read, say, Read, Said};
use crate::{is_macos, Obs};

const PROFILE: &str = "/sys/firmware/acpi/platform_profile";

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac { pmset: Said },
    Linux { profile: Read },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        Observations::Mac {
            pmset: say(ctx, &["pmset", "-g"]),
        }
    } else {
        Observations::Linux {
            profile: read(ctx, PROFILE),
        }
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac { pmset } => mac(pmset),
        Observations::Linux { profile } => linux(profile),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn mac(pmset: &Said) -> Obs {
    let out = match pmset {
        Ok(o) => o,
        Err(e) => return cannot("Low Power Mode", e.clone()),
    };
    let (key, value) = match (
        parse::pmset_setting(out, "lowpowermode"),
        parse::pmset_setting(out, "powermode"),
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

fn linux(profile: &Read) -> Obs {
    match profile.text() {
        Some(p) => {
            if p == "low-power" || p == "quiet" {
                Obs::new(
                    Finding::warn(format!("Platform profile is `{p}`"))
                        .detail("A low-power platform profile caps performance; benchmark numbers are not comparable.")
                        .evidence("platform_profile", p, PROFILE)
                        .remediation("Switch to the balanced or performance profile:", [format!("echo performance | sudo tee {PROFILE}")]),
                )
                .blocker(format!("platform profile `{p}`"))
            } else {
                Obs::new(
                    Finding::pass(format!("Platform profile is `{p}`")).evidence(
                        "platform_profile",
                        p,
                        PROFILE,
                    ),
                )
            }
        }
        None => Obs::new(
            Finding::info("No ACPI platform profile (no low-power mode to report)").evidence(
                "platform_profile",
                "(absent)",
                PROFILE,
            ),
        ),
    }
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

inventory::submit! { Check { id: "powermetrics.low-power-mode", title: "Low Power Mode", tags: &["hardware", "benchmark"], needs: Needs::NONE, run,
explain: "macOS: `pmset -g` shows `lowpowermode 1` (or, on newer macOS for some MacBook Pros, `powermode 1`; 0 is automatic, 2 high power) when Low Power Mode is on. Linux: /sys/firmware/acpi/platform_profile `low-power`. Low Power Mode caps CPU performance: numbers measured in it are not comparable." } }

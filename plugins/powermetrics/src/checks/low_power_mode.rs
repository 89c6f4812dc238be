//! `powermetrics.low-power-mode`: macOS Low Power Mode, or a low-power ACPI platform profile
//! on Linux.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{cannot, read, say, Read, Said};
use crate::{is_macos, Obs};

const PROFILE: &str = "/sys/firmware/acpi/platform_profile";
const CHOICES: &str = "/sys/firmware/acpi/platform_profile_choices";

/// Profiles that trade performance for power, temperature or noise. The names and their
/// meanings are the kernel's (Documentation/ABI/testing/sysfs-platform_profile: low-power "Low
/// power consumption", cool "Cooler operation", quiet "Quieter operation").
const LOW: [&str; 3] = ["low-power", "cool", "quiet"];
/// The profiles to switch to, best first (same document: performance "High performance
/// operation", then balanced-performance, then balanced).
const BETTER: [&str; 3] = ["performance", "balanced-performance", "balanced"];

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac { pmset: Said },
    Linux { profile: Read, choices: Read },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        Observations::Mac {
            pmset: say(ctx, &["pmset", "-g"]),
        }
    } else {
        Observations::Linux {
            profile: read(ctx, PROFILE),
            choices: read(ctx, CHOICES),
        }
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac { pmset } => mac(pmset),
        Observations::Linux { profile, choices } => linux(profile, choices),
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

fn linux(profile: &Read, choices: &Read) -> Obs {
    let p =
        match profile {
            Read::Absent => {
                return Obs::new(
                    Finding::info("No ACPI platform profile (no low-power mode to report)")
                        .evidence("platform_profile", "(does not exist)", PROFILE),
                )
            }
            Read::Failed(why) => {
                return Obs::new(
                    Finding::skip("Could not read the ACPI platform profile").detail(why.clone()),
                )
                .unknown("platform profile")
            }
            Read::Text(t) => t.trim(),
        };
    // The kernel accepts only a value listed in platform_profile_choices (same ABI document:
    // "Writing this file with one of the strings from platform_profile_choices").
    let listed: Option<Vec<&str>> = choices.text().map(|c| c.split_whitespace().collect());
    let choices_ev = listed.as_ref().map_or_else(
        || match choices {
            Read::Absent => "(does not exist)".to_owned(),
            _ => "(could not read)".to_owned(),
        },
        |c| c.join(" "),
    );
    let ev = |f: Finding| {
        f.evidence("platform_profile", p, PROFILE).evidence(
            "platform_profile_choices",
            &choices_ev,
            CHOICES,
        )
    };
    if p == "custom" || listed.as_ref().is_some_and(|c| !c.contains(&p)) {
        // `custom` means several profile drivers disagree (sysfs-platform_profile); a value
        // outside the choices is one gohost cannot place.
        return Obs::new(ev(Finding::info(format!(
            "Platform profile `{p}` is not one of the listed choices"
        ))
        .detail(
            "The profile's effect on performance cannot be told from its name here.",
        )))
        .unknown(format!("platform profile `{p}`"));
    }
    if LOW.contains(&p) {
        let target = listed
            .as_ref()
            .and_then(|c| BETTER.iter().find(|b| c.contains(b)));
        let commands = match target {
            Some(t) => vec![format!("echo {t} | sudo tee {PROFILE}")],
            // No readable list to pick from: the placeholder is visible and cannot run
            // (`<profile>` is a shell syntax error), so it never writes something else.
            None => vec![
                format!("cat {CHOICES}"),
                format!("echo <profile> | sudo tee {PROFILE}"),
            ],
        };
        return Obs::new(ev(Finding::warn(format!("Platform profile is `{p}`"))
            .detail("A platform profile that favours low power, cool or quiet operation caps performance; benchmark numbers are not comparable.")
            .remediation(
                match target {
                    Some(t) => format!("Switch to the `{t}` profile (listed in {CHOICES}):"),
                    None => format!("Switch to performance, balanced-performance or balanced, whichever {CHOICES} lists:"),
                },
                commands,
            )))
        .blocker(format!("platform profile `{p}`"));
    }
    if listed.is_none() {
        return Obs::new(ev(Finding::info(format!(
            "Platform profile is `{p}`; its choices could not be read"
        ))))
        .unknown(format!("platform profile `{p}` (choices not read)"));
    }
    Obs::new(ev(Finding::pass(format!("Platform profile is `{p}`"))))
}

inventory::submit! { Check { id: "powermetrics.low-power-mode", title: "Low Power Mode", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "macOS: `pmset -g` shows `lowpowermode 1` (or, on newer macOS for some MacBook Pros, `powermode 1`; 0 is automatic, 2 high power) when Low Power Mode is on. Linux: /sys/firmware/acpi/platform_profile `low-power`, `cool` or `quiet` (checked against platform_profile_choices; the fix writes the best listed of performance, balanced-performance, balanced). Low Power Mode caps CPU performance: numbers measured in it are not comparable." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    /// The remediation's commands of the finding (none when it has no remediation).
    fn commands(o: &Obs) -> Vec<String> {
        o.finding
            .remediation
            .clone()
            .into_option()
            .map(|r| r.commands.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default()
    }

    /// Profile names and choices as the kernel documents them (sysfs-platform_profile); no
    /// capture of a machine with a platform profile exists in ../shared/fixtures.
    #[test]
    fn linux_table() {
        let t = |s: &str| Read::Text(format!("{s}\n"));
        let failed = || Read::Failed("not recorded".into());
        let rows: Vec<(Read, Read, Status, bool, bool, Option<&str>)> = vec![
            (
                t("low-power"),
                t("low-power balanced performance"),
                Status::Warn,
                true,
                false,
                Some("echo performance | sudo tee /sys/firmware/acpi/platform_profile"),
            ),
            (
                t("quiet"),
                t("quiet balanced"),
                Status::Warn,
                true,
                false,
                Some("echo balanced | sudo tee /sys/firmware/acpi/platform_profile"),
            ),
            (
                t("cool"),
                t("cool balanced-performance balanced"),
                Status::Warn,
                true,
                false,
                Some("echo balanced-performance | sudo tee /sys/firmware/acpi/platform_profile"),
            ),
            // No readable choices: a visible placeholder that a shell refuses to run.
            (
                t("low-power"),
                failed(),
                Status::Warn,
                true,
                false,
                Some("echo <profile> | sudo tee /sys/firmware/acpi/platform_profile"),
            ),
            (
                t("balanced"),
                t("low-power balanced performance"),
                Status::Pass,
                false,
                false,
                None,
            ),
            // Issue 13 (MISLEADING): a value not among the choices is not judged by its name.
            (
                t("performance"),
                t("low-power balanced"),
                Status::Info,
                false,
                true,
                None,
            ),
            (
                t("custom"),
                t("low-power balanced performance"),
                Status::Info,
                false,
                true,
                None,
            ),
            (t("balanced"), failed(), Status::Info, false, true, None),
            (Read::Absent, Read::Absent, Status::Info, false, false, None),
            (
                failed(),
                t("low-power balanced"),
                Status::Skip,
                false,
                true,
                None,
            ),
        ];
        assert_eq!(rows.len(), 10);
        for (profile, choices, status, blocker, unknown, command) in rows {
            let o = assess(&Observations::Linux {
                profile: profile.clone(),
                choices: choices.clone(),
            });
            assert_eq!(o.finding.status, status, "{profile:?} {choices:?}");
            assert_eq!(o.blocker.is_some(), blocker, "{profile:?} {choices:?}");
            assert_eq!(o.unknown.is_some(), unknown, "{profile:?} {choices:?}");
            let cmds = commands(&o);
            assert_eq!(
                cmds.last().map(String::as_str),
                command,
                "{profile:?} {choices:?}"
            );
        }
    }

    #[test]
    fn mac_table() {
        // The real `pmset -g` line (applesilicon-mbp-pmset-g.txt) and its powermode variant.
        let rows: Vec<(Said, Status, Option<&str>)> = vec![
            (Ok(" lowpowermode         0\n".into()), Status::Pass, None),
            (
                Ok(" lowpowermode         1\n".into()),
                Status::Warn,
                Some("sudo pmset -a lowpowermode 0"),
            ),
            (
                Ok(" powermode            1\n".into()),
                Status::Warn,
                Some("sudo pmset -a powermode 0"),
            ),
            (Ok(" sleep 1\n".into()), Status::Info, None),
            (Err("not recorded".into()), Status::Skip, None),
        ];
        assert_eq!(rows.len(), 5);
        for (pmset, status, command) in rows {
            let o = assess(&Observations::Mac {
                pmset: pmset.clone(),
            });
            assert_eq!(o.finding.status, status, "{pmset:?}");
            let cmds = commands(&o);
            assert_eq!(cmds.first().map(String::as_str), command);
        }
    }
}

//! `powermetrics.power-source`: AC or battery.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{cannot, list, read, say, Read, Said};
use crate::{is_macos, Obs};

/// One /sys/class/power_supply entry: its name, `type`, `online` and `status` files.
#[derive(Debug, Clone, PartialEq)]
pub struct Supply {
    pub name: String,
    pub kind: Read,
    pub online: Read,
    pub status: Read,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac {
        batt: Said,
    },
    /// Err(None): no /sys/class/power_supply; Err(Some(why)): it could not be listed.
    Linux {
        supplies: Result<Vec<Supply>, Option<String>>,
    },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return Observations::Mac {
            batt: say(ctx, &["pmset", "-g", "batt"]),
        };
    }
    let supplies = list(ctx, "/sys/class/power_supply").map(|names| {
        names
            .into_iter()
            .map(|name| {
                let base = format!("/sys/class/power_supply/{name}");
                Supply {
                    kind: read(ctx, &format!("{base}/type")),
                    online: read(ctx, &format!("{base}/online")),
                    status: read(ctx, &format!("{base}/status")),
                    name,
                }
            })
            .collect()
    });
    Observations::Linux { supplies }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac { batt } => mac(batt),
        Observations::Linux { supplies } => linux(supplies),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn mac(batt: &Said) -> Obs {
    let out = match batt {
        Ok(o) => o,
        Err(e) => return cannot("the power source", e.clone()),
    };
    let (source, battery) = parse::pmset_batt(out);
    let mut f = match source.as_deref() {
        Some("AC Power") => Finding::pass("On AC power"),
        Some("Battery Power") => Finding::warn("On battery power")
            .detail("On battery, macOS may favour efficiency; benchmark on AC power.")
            .remediation(
                "Plug in the power adapter, then re-check.",
                ["pmset -g batt"],
            ),
        Some(other) => Finding::info(format!("Power source: {other}")),
        None => {
            return cannot(
                "the power source",
                "no \"Now drawing from\" line in `pmset -g batt`",
            )
        }
    };
    f = f.evidence(
        "source",
        source.clone().unwrap_or_default(),
        "pmset -g batt",
    );
    if let Some(b) = &battery {
        f = f.evidence("battery", b, "pmset -g batt");
    }
    let obs = Obs::new(f);
    if source.as_deref() == Some("Battery Power") {
        obs.blocker("on battery power")
    } else {
        obs
    }
}

fn linux(supplies: &Result<Vec<Supply>, Option<String>>) -> Obs {
    let supplies = match supplies {
        Ok(s) => s,
        Err(Some(why)) => {
            return Obs::new(Finding::skip("Could not read the power supplies").detail(why.clone()))
                .unknown("the power source")
        }
        Err(None) => {
            return Obs::new(
                Finding::info("No power supply information (desktop, server or VM)").evidence(
                    "/sys/class/power_supply",
                    "(absent)",
                    "/sys/class/power_supply",
                ),
            )
        }
    };
    // A supply whose type or state could not be read leaves the power source undecided unless
    // another one already shows battery power.
    let unread: Vec<&str> = supplies
        .iter()
        .filter(|s| match s.kind.text() {
            None => true,
            Some("Mains" | "USB") => s.online.text().is_none(),
            Some("Battery") => s.status.text().is_none(),
            Some(_) => false,
        })
        .map(|s| s.name.as_str())
        .collect();
    let mut ac_online = None;
    let mut discharging = false;
    let mut f_ev = Vec::new();
    for s in supplies {
        let base = format!("/sys/class/power_supply/{}", s.name);
        match s.kind.text().unwrap_or_default() {
            "Mains" | "USB" => {
                // An unread state is not "offline": it only leaves the answer undecided below.
                let Some(online) = s.online.text().map(str::to_owned) else {
                    continue;
                };
                f_ev.push((
                    format!("{} online", s.name),
                    online.clone(),
                    format!("{base}/online"),
                ));
                if online == "1" {
                    ac_online = Some(true);
                } else if ac_online.is_none() {
                    ac_online = Some(false);
                }
            }
            "Battery" => {
                let Some(status) = s.status.text().map(str::to_owned) else {
                    continue;
                };
                f_ev.push((
                    format!("{} status", s.name),
                    status.clone(),
                    format!("{base}/status"),
                ));
                discharging |= status == "Discharging";
            }
            _ => {}
        }
    }
    let (f, blocker) = if discharging || ac_online == Some(false) {
        (
            Finding::warn("On battery power")
                .detail("On battery, laptops lower performance targets; benchmark on AC power.")
                .remediation(
                    "Plug in the power adapter, then re-check.",
                    ["cat /sys/class/power_supply/*/status"],
                ),
            true,
        )
    } else if !unread.is_empty() {
        let f = Finding::info(format!(
            "Could not tell the power source: {} not read",
            unread.join(", ")
        ));
        let mut f = f;
        for (k, v, s) in f_ev {
            f = f.evidence(k, v, s);
        }
        return Obs::new(f).unknown("the power source");
    } else if ac_online == Some(true) {
        (Finding::pass("On AC power"), false)
    } else {
        (
            Finding::info("No AC adapter or battery reported (desktop, server or VM)"),
            false,
        )
    };
    let mut f = f;
    for (k, v, s) in f_ev {
        f = f.evidence(k, v, s);
    }
    let obs = Obs::new(f);
    if blocker {
        obs.blocker("on battery power")
    } else {
        obs
    }
}

inventory::submit! { Check { id: "powermetrics.power-source", title: "Power source", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "macOS: `pmset -g batt` (AC Power or Battery Power). Linux: /sys/class/power_supply (Mains online, Battery status). On battery, laptops lower their performance targets; benchmark on AC." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    #[test]
    fn linux_table() {
        let t = |s: &str| Read::Text(format!("{s}\n"));
        let ac = |online: Read| Supply {
            name: "AC".into(),
            kind: t("Mains"),
            online,
            status: Read::Absent,
        };
        let bat = |status: Read| Supply {
            name: "BAT0".into(),
            kind: t("Battery"),
            online: Read::Absent,
            status,
        };
        let rows: Vec<(Result<Vec<Supply>, Option<String>>, Status, bool, bool)> = vec![
            (
                Ok(vec![ac(t("1")), bat(t("Charging"))]),
                Status::Pass,
                false,
                false,
            ),
            (
                Ok(vec![ac(t("0")), bat(t("Discharging"))]),
                Status::Warn,
                true,
                false,
            ),
            (
                Ok(vec![
                    ac(Read::Failed("not recorded".into())),
                    bat(t("Full")),
                ]),
                Status::Info,
                false,
                true,
            ),
            (Err(None), Status::Info, false, false),
            (Err(Some("not recorded".into())), Status::Skip, false, true),
        ];
        assert_eq!(rows.len(), 5);
        for (i, (supplies, status, blocker, unknown)) in rows.into_iter().enumerate() {
            let o = assess(&Observations::Linux { supplies });
            assert_eq!(o.finding.status, status, "row {i}: {o:#?}");
            assert_eq!(o.blocker.is_some(), blocker, "row {i}");
            assert_eq!(o.unknown.is_some(), unknown, "row {i}");
        }
    }

    #[test]
    fn mac_table() {
        // The real `pmset -g batt` (m1-mbp-pmset-g-batt.txt) starts "Now drawing from 'AC Power'".
        let rows: Vec<(Said, Status)> = vec![
            (Ok("Now drawing from 'AC Power'\n".into()), Status::Pass),
            (
                Ok("Now drawing from 'Battery Power'\n".into()),
                Status::Warn,
            ),
            (Ok("\n".into()), Status::Skip),
            (Err("not recorded".into()), Status::Skip),
        ];
        assert_eq!(rows.len(), 4);
        for (batt, status) in rows {
            assert_eq!(
                assess(&Observations::Mac { batt: batt.clone() })
                    .finding
                    .status,
                status,
                "{batt:?}"
            );
        }
    }
}

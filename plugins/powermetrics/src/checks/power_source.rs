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
    let Ok(supplies) = supplies else {
        return Obs::new(
            Finding::info("No power supply information (desktop, server or VM)").evidence(
                "/sys/class/power_supply",
                "(absent)",
                "/sys/class/power_supply",
            ),
        );
    };
    let mut ac_online = None;
    let mut discharging = false;
    let mut f_ev = Vec::new();
    for s in supplies {
        let base = format!("/sys/class/power_supply/{}", s.name);
        match s.kind.text().unwrap_or_default() {
            "Mains" | "USB" => {
                let online = s.online.text().unwrap_or_default().to_owned();
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
                let status = s.status.text().unwrap_or_default().to_owned();
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

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

inventory::submit! { Check { id: "powermetrics.power-source", title: "Power source", tags: &["hardware", "benchmark"], needs: Needs::NONE, run,
explain: "macOS: `pmset -g batt` (AC Power or Battery Power). Linux: /sys/class/power_supply (Mains online, Battery status). On battery, laptops lower their performance targets; benchmark on AC." } }

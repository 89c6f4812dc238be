//! `ane.driver`: the Neural Engine's IOKit service (`ioreg -l -r -c H11ANEIn`) on macOS; the
//! driver bound to each `/sys/class/accel` device on Linux.

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

use super::neural_engine::driver_text;
use crate::accel::{self, driver_link, Listing};
use crate::chip::{ane_for_chip, Ane, CHIP_SOURCE};
use crate::ioreg::{parse_ioreg, IoregAne, IOREG_ARGV};

inventory::submit! { Check { id: "ane.driver", title: "Neural Engine service / NPU driver", tags: &["hardware"], needs: Needs::NONE, run,
explain: "macOS: `ioreg -l -r -c H11ANEIn` — the Neural Engine's IOKit service (driver com.apple.driver.AppleH11ANEInterface) and its ANEDevicePropertyNumANECores and FirmwareLoaded properties. Linux: the driver bound to each /sys/class/accel device." } }

/// What `ioreg` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoregAnswer {
    /// Exit 0: its parsed output.
    Parsed(IoregAne),
    /// It ran and failed: exit description and stderr.
    Failed { exit: String, stderr: String },
    /// It could not be run (or, in a replay, was not recorded).
    NotRun(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observations {
    Mac {
        chip: Option<String>,
        /// None when the chip has no Neural Engine to look for (ioreg is not run).
        ioreg: Option<IoregAnswer>,
    },
    Linux {
        classes: Listing,
    },
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    if facts.os.as_str() != "macos" {
        return Observations::Linux {
            classes: accel::list(ctx, "/sys/class/accel", |_| true),
        };
    }
    let chip = facts.chip.into_option().map(|c| c.to_string());
    if ane_for_chip(chip.as_deref().unwrap_or_default()) == Ane::None {
        return Observations::Mac { chip, ioreg: None };
    }
    let ioreg = match ctx.exec(&Command::new(IOREG_ARGV).timeout(Duration::from_secs(10))) {
        Ok(o) if o.success() => IoregAnswer::Parsed(parse_ioreg(&o.stdout)),
        Ok(o) => IoregAnswer::Failed {
            exit: o.describe_exit(),
            stderr: o.stderr.trim().to_owned(),
        },
        Err(e) => IoregAnswer::NotRun(e.to_string()),
    };
    Observations::Mac {
        chip,
        ioreg: Some(ioreg),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    match obs {
        Observations::Linux { classes } => vec![judge_linux(classes)],
        Observations::Mac { chip, ioreg } => {
            vec![judge_mac(
                chip.as_deref().unwrap_or_default(),
                ioreg.as_ref(),
            )]
        }
    }
}

fn judge_mac(chip: &str, ioreg: Option<&IoregAnswer>) -> Finding {
    let cmd = IOREG_ARGV.join(" ");
    let r = match ioreg {
        None => {
            return Finding::info("Intel Mac: no Neural Engine service to look for").evidence(
                "chip",
                chip,
                CHIP_SOURCE,
            )
        }
        Some(IoregAnswer::Failed { exit, stderr }) => {
            return Finding::skip("ioreg failed")
                .detail(format!("`{cmd}` ended with {exit}: {stderr}"))
        }
        Some(IoregAnswer::NotRun(e)) => {
            return Finding::skip("Could not run ioreg").detail(format!("`{cmd}`: {e}"))
        }
        Some(IoregAnswer::Parsed(r)) => r,
    };
    if !r.found {
        return Finding::warn("No H11ANEIn service in the IOKit registry")
            .detail("On Apple Silicon the Neural Engine driver (com.apple.driver.AppleH11ANEInterface) registers an H11ANEIn service; it is missing here (a VM, or a Mac without the driver loaded).")
            .evidence("H11ANEIn", "(absent)", &cmd)
            .remediation("Look for it yourself:", [cmd.clone()]);
    }
    let table = ane_for_chip(chip);
    let mut title = "Neural Engine service H11ANEIn present".to_owned();
    if let Some(n) = r.cores {
        title.push_str(&format!(", {n} cores"));
    }
    if r.firmware_loaded == Some(true) {
        title.push_str(", firmware loaded");
    }
    let mut f = Finding::pass(title);
    if let (Ane::Cores(want), Some(got)) = (table, r.cores) {
        if want != got {
            f = Finding::info(format!("{} (gohost's table says {want} for {chip})", f.title))
                .detail("The registry's count is what this machine reports; gohost's table may be wrong for this chip variant.");
        }
    }
    f = f.evidence("IOClass", "H11ANEIn", &cmd);
    if let Some(b) = &r.bundle {
        f = f.evidence("CFBundleIdentifier", b, &cmd);
    }
    if let Some(n) = r.cores {
        f = f.evidence("ANEDevicePropertyNumANECores", n.to_string(), &cmd);
    }
    if let Some(a) = &r.arch {
        f = f.evidence("ANEDevicePropertyTypeANEArchitectureTypeStr", a, &cmd);
    }
    if let Some(l) = r.firmware_loaded {
        f = f.evidence("FirmwareLoaded", if l { "Yes" } else { "No" }, &cmd);
    }
    f
}

fn judge_linux(classes: &Listing) -> Finding {
    let classes = match classes {
        Listing::Entries(c) => c.as_slice(),
        Listing::Absent | Listing::Unreadable(_) => &[],
    };
    if classes.is_empty() {
        return Finding::info("No accel class devices in sysfs (no NPU driver bound)").evidence(
            "/sys/class/accel",
            "(absent or empty)",
            "/sys/class/accel",
        );
    }
    let mut f = Finding::info(format!("{} accel device(s) with drivers", classes.len()));
    for (c, d) in classes {
        f = f.evidence(c, driver_text(d), driver_link(c));
    }
    f
}

//! `ane.driver`: the Neural Engine's IOKit service (`ioreg -l -r -c H11ANEIn`) on macOS; the
//! driver bound to each `/sys/class/accel` device on Linux.

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

use super::neural_engine::driver_text;
use crate::accel::{self, driver_link, Listing};
use crate::chip::{ane_for_chip, Ane, CHIP_SOURCE};
use crate::ioreg::{parse_ioreg, IoregAne, IOREG_ARGV};

inventory::submit! { Check { id: "ane.driver", title: "Neural Engine service / NPU driver", tags: &["hardware"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
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
            vec![judge_mac(chip.as_deref(), ioreg.as_ref())]
        }
    }
}

fn judge_mac(known_chip: Option<&str>, ioreg: Option<&IoregAnswer>) -> Finding {
    let chip = known_chip.unwrap_or_default();
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
            return Finding::skip("Could not tell: ioreg failed")
                .detail(format!("`{cmd}` ended with {exit}: {stderr}"))
        }
        Some(IoregAnswer::NotRun(e)) => {
            return Finding::skip("Could not run ioreg").detail(format!(
                "`{cmd}`: {e}; whether the H11ANEIn service exists could not be told."
            ))
        }
        Some(IoregAnswer::Parsed(r)) => r,
    };
    if !r.found && known_chip.is_none() {
        // Without the chip an absent service proves nothing: Intel Macs have none either.
        return Finding::skip("Could not tell whether a Neural Engine service should exist")
            .detail("The IOKit registry has no H11ANEIn service, and the chip is unknown (no machdep.cpu.brand_string): an Intel Mac has no Neural Engine, an Apple Silicon Mac should have the service.")
            .evidence("H11ANEIn", "(absent)", &cmd);
    }
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
        Listing::Absent => &[],
        Listing::Unreadable(why) => {
            return Finding::skip("Could not tell which accelerator drivers are bound")
                .detail(format!("/sys/class/accel could not be listed: {why}."))
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn mac(chip: &str, ioreg: Option<IoregAnswer>) -> Observations {
        Observations::Mac {
            chip: Some(chip.to_owned()),
            ioreg,
        }
    }

    fn parsed(found: bool, cores: Option<u32>) -> Option<IoregAnswer> {
        Some(IoregAnswer::Parsed(IoregAne {
            found,
            cores,
            firmware_loaded: found.then_some(true),
            ..IoregAne::default()
        }))
    }

    /// Observations → (status, title). The H11ANEIn properties are those of
    /// ../shared/fixtures/macos/m2max-macos26-ioreg-H11ANEIn.txt; counts as in FACTS.md.
    #[test]
    fn judge_table() {
        let rows: Vec<(Observations, Status, &str)> = vec![
            (mac("Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz", None), Status::Info, "Intel Mac: no Neural Engine service to look for"),
            (mac("Apple M2 Max", parsed(true, Some(16))), Status::Pass, "Neural Engine service H11ANEIn present, 16 cores, firmware loaded"),
            (mac("Apple M1", parsed(true, Some(8))), Status::Info, "Neural Engine service H11ANEIn present, 8 cores, firmware loaded (gohost's table says 16 for Apple M1)"),
            (mac("Apple M2 Max", parsed(false, None)), Status::Warn, "No H11ANEIn service in the IOKit registry"),
            // No chip: an absent service is no verdict (Intel Macs have none).
            (Observations::Mac { chip: None, ioreg: parsed(false, None) }, Status::Skip, "Could not tell whether a Neural Engine service should exist"),
            (Observations::Mac { chip: None, ioreg: parsed(true, Some(16)) }, Status::Pass, "Neural Engine service H11ANEIn present, 16 cores, firmware loaded"),
            // ioreg that failed or was not recorded: could not tell, never a verdict.
            (mac("Apple M2 Max", Some(IoregAnswer::Failed { exit: "exit code 1".into(), stderr: "".into() })), Status::Skip, "Could not tell: ioreg failed"),
            (mac("Apple M2 Max", Some(IoregAnswer::NotRun("not recorded".into()))), Status::Skip, "Could not run ioreg"),
            (Observations::Linux { classes: Listing::Absent }, Status::Info, "No accel class devices in sysfs (no NPU driver bound)"),
            (Observations::Linux { classes: Listing::Unreadable("denied".into()) }, Status::Skip, "Could not tell which accelerator drivers are bound"),
        ];
        assert_eq!(rows.len(), 10);
        for (obs, status, title) in &rows {
            let f = judge(obs);
            assert_eq!(f.len(), 1, "{obs:?}");
            assert_eq!(
                (f[0].status, f[0].title.as_str()),
                (*status, *title),
                "{obs:?}"
            );
        }
    }
}

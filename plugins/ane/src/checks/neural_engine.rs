//! `ane.neural-engine`: the chip looked up in gohost's table on macOS; `/dev/accel` devices on
//! Linux.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, Translation};

use crate::accel::{self, driver_link, Driver, Listing};
use crate::chip::{ane_for_chip, Ane, CHIP_SOURCE, TABLE_SOURCE};

inventory::submit! { Check { id: "ane.neural-engine", title: "Neural Engine / NPU present", tags: &["hardware"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "macOS: looks the chip (machdep.cpu.brand_string, which names the Apple chip even under Rosetta) up in gohost's table of what Apple lists: 16 Neural Engine cores on M1-M4 base/Pro/Max, 32 on M1 Ultra and M2 Ultra, none on Intel; any other chip is reported as not in the table, never guessed, and a missing brand string as could not tell. Linux: accelerator devices under /dev/accel (the kernel's compute-accelerator subsystem: Intel NPU, AMD XDNA, …)." } }

/// Everything the verdict depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observations {
    Mac {
        /// `machdep.cpu.brand_string` from the host's facts; None when the host had none.
        chip: Option<String>,
        translation: Translation,
    },
    Linux {
        /// `/dev/accel` entries named `accel*`, with their drivers.
        devices: Listing,
    },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    if facts.os.as_str() != "macos" {
        return Observations::Linux {
            devices: accel::list(ctx, "/dev/accel", |n| n.starts_with("accel")),
        };
    }
    Observations::Mac {
        chip: facts.chip.into_option().map(|c| c.to_string()),
        translation: facts.translation,
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    match obs {
        Observations::Linux { devices } => vec![judge_linux(devices)],
        Observations::Mac { chip, translation } => judge_mac(chip.as_deref(), *translation),
    }
}

fn judge_mac(chip: Option<&str>, translation: Translation) -> Vec<Finding> {
    let Some(chip) = chip else {
        return vec![Finding::skip(
            "Could not tell the chip, so the Neural Engine cannot be looked up",
        )
        .detail("The host found no machdep.cpu.brand_string (missing or unreadable); gohost does not guess the chip.")];
    };
    // Under Rosetta the brand string still names the Apple chip: `machdep.cpu.brand_string:
    // Apple M1` in ../shared/fixtures/macos/m1-rosetta-monterey-sysctl-hw-machdep.txt, a
    // translated process (FACTS.md, "macOS and Apple Silicon"). So translation changes nothing.
    let translated = if translation == Translation::Rosetta {
        " gohost runs under Rosetta here; the brand string still names the real chip."
    } else {
        ""
    };
    let f = match ane_for_chip(chip) {
        // FACTS.md: Apple's per-variant figures are UNCONFIRMED, so say whose number it is.
        Ane::Cores(n) => Finding::info(format!("{chip}: Apple lists a {n}-core Neural Engine"))
            .detail(format!("The core count is from gohost's table of Apple's published figures; ane.driver shows what the IOKit registry of this Mac reports.{translated}")),
        Ane::None => Finding::info(format!("{chip}: no Neural Engine"))
            .detail("Intel Macs have no Apple Neural Engine; Core ML runs on the CPU/GPU there."),
        Ane::Unknown => Finding::info(format!("{chip}: not in gohost's chip table"))
            .detail(format!("gohost's table covers M1–M4 (base/Pro/Max) and M1/M2 Ultra; this chip is not in it, and gohost does not guess. ane.driver reads the count from the IOKit registry.{translated}")),
    };
    vec![f.evidence("chip", chip, CHIP_SOURCE).evidence(
        "Neural Engine cores",
        match ane_for_chip(chip) {
            Ane::Cores(n) => n.to_string(),
            Ane::None => "none".to_owned(),
            Ane::Unknown => "not in the table".to_owned(),
        },
        TABLE_SOURCE,
    )]
}

/// A driver as evidence text; an unreadable link says so instead of posing as a value.
pub fn driver_text(d: &Driver) -> String {
    match d {
        Driver::Bound(name) => name.clone(),
        Driver::NotBound => "(no driver bound)".to_owned(),
        Driver::Unreadable(why) => format!("(could not tell: {why})"),
    }
}

fn judge_linux(devices: &Listing) -> Finding {
    let devices: &[(String, Driver)] = match devices {
        Listing::Entries(d) => d,
        Listing::Absent => &[],
        Listing::Unreadable(why) => {
            return Finding::skip("Could not tell whether there are accelerator devices")
                .detail(format!("/dev/accel could not be listed: {why}."))
        }
    };
    if devices.is_empty() {
        return Finding::info("No NPU/accelerator devices under /dev/accel")
            .detail("The Linux compute-accelerator subsystem (drivers/accel: Intel NPU, AMD XDNA, Habana, …) exposes devices as /dev/accel/accelN; none exist here.")
            .evidence("/dev/accel", "(absent or empty)", "/dev/accel");
    }
    let mut f = Finding::info(format!(
        "{} accelerator device(s) under /dev/accel",
        devices.len()
    ));
    for (d, driver) in devices {
        f = f.evidence(
            format!("/dev/accel/{d}"),
            driver_text(driver),
            driver_link(d),
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn mac(chip: Option<&str>, translation: Translation) -> Observations {
        Observations::Mac {
            chip: chip.map(str::to_owned),
            translation,
        }
    }

    /// Observations → (status, title), one row per case. Sources: the chip table and the
    /// Rosetta brand string are FACTS.md ("macOS and Apple Silicon"); the Rosetta row uses the
    /// brand string of ../shared/fixtures/macos/m1-rosetta-monterey-sysctl-hw-machdep.txt.
    #[test]
    fn judge_table() {
        let rows: Vec<(Observations, Status, &str)> = vec![
            (
                mac(Some("Apple M1"), Translation::Native),
                Status::Info,
                "Apple M1: Apple lists a 16-core Neural Engine",
            ),
            // The old text claimed the brand string hides the chip under Rosetta; it does not.
            (
                mac(Some("Apple M1"), Translation::Rosetta),
                Status::Info,
                "Apple M1: Apple lists a 16-core Neural Engine",
            ),
            (
                mac(Some("Apple M2 Ultra"), Translation::Native),
                Status::Info,
                "Apple M2 Ultra: Apple lists a 32-core Neural Engine",
            ),
            (
                mac(Some("Apple M5"), Translation::Rosetta),
                Status::Info,
                "Apple M5: not in gohost's chip table",
            ),
            (
                mac(Some("Apple M5"), Translation::Native),
                Status::Info,
                "Apple M5: not in gohost's chip table",
            ),
            (
                mac(
                    Some("Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz"),
                    Translation::Native,
                ),
                Status::Info,
                "Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz: no Neural Engine",
            ),
            // A missing brand string is "could not tell", never a verdict.
            (
                mac(None, Translation::Native),
                Status::Skip,
                "Could not tell the chip, so the Neural Engine cannot be looked up",
            ),
            (
                mac(None, Translation::Rosetta),
                Status::Skip,
                "Could not tell the chip, so the Neural Engine cannot be looked up",
            ),
            (
                Observations::Linux {
                    devices: Listing::Absent,
                },
                Status::Info,
                "No NPU/accelerator devices under /dev/accel",
            ),
            (
                Observations::Linux {
                    devices: Listing::Entries(vec![]),
                },
                Status::Info,
                "No NPU/accelerator devices under /dev/accel",
            ),
            (
                Observations::Linux {
                    devices: Listing::Unreadable("/dev/accel: permission denied".into()),
                },
                Status::Skip,
                "Could not tell whether there are accelerator devices",
            ),
            (
                Observations::Linux {
                    devices: Listing::Entries(vec![(
                        "accel0".into(),
                        Driver::Bound("intel_vpu".into()),
                    )]),
                },
                Status::Info,
                "1 accelerator device(s) under /dev/accel",
            ),
        ];
        assert_eq!(rows.len(), 12);
        for (obs, status, title) in &rows {
            let f = judge(obs);
            assert_eq!(f.len(), 1, "{obs:?}");
            assert_eq!(
                (f[0].status, f[0].title.as_str()),
                (*status, *title),
                "{obs:?}"
            );
            assert!(
                !f[0].detail.contains("does not name"),
                "{obs:?}: {}",
                f[0].detail
            );
        }
    }

    #[test]
    fn evidence_never_presents_a_missing_answer_as_a_value() {
        let f = judge(&Observations::Linux {
            devices: Listing::Entries(vec![
                ("accel0".into(), Driver::Unreadable("not recorded".into())),
                ("accel1".into(), Driver::NotBound),
            ]),
        });
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence_value("/dev/accel/accel0"),
            Some("(could not tell: not recorded)")
        );
        assert_eq!(
            f[0].evidence_value("/dev/accel/accel1"),
            Some("(no driver bound)")
        );
        let f = judge(&mac(Some("Apple M5"), Translation::Native));
        assert_eq!(
            f[0].evidence_value("Neural Engine cores"),
            Some("not in the table")
        );
    }
}

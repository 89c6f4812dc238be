//! `ane.neural-engine`: the chip looked up in gohost's table on macOS; `/dev/accel` devices on
//! Linux.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, Translation};

use crate::accel::{self, driver_link, Driver, Listing};
use crate::chip::{ane_for_chip, Ane, CHIP_SOURCE, TABLE_SOURCE};

inventory::submit! { Check { id: "ane.neural-engine", title: "Neural Engine / NPU present", tags: &["hardware"], needs: Needs::NONE, run,
explain: "macOS: looks the chip (machdep.cpu.brand_string) up in gohost's table from Apple's product pages: 16 Neural Engine cores on M1-M4 base/Pro/Max, 32 on M1 Ultra and M2 Ultra, none on Intel; any other chip is reported as unknown, never guessed. Linux: accelerator devices under /dev/accel (the kernel's compute-accelerator subsystem: Intel NPU, AMD XDNA, …)." } }

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

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
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
            "The chip name is unknown, so the Neural Engine cannot be looked up",
        )
        .detail("The host found no machdep.cpu.brand_string.")];
    };
    let f = match ane_for_chip(chip) {
        Ane::Cores(n) => Finding::info(format!("{chip}: Neural Engine with {n} cores"))
            .detail("The core count is Apple's published figure for this chip; ane.driver shows what the IOKit registry reports."),
        Ane::None => Finding::info(format!("{chip}: no Neural Engine"))
            .detail("Intel Macs have no Apple Neural Engine; Core ML runs on the CPU/GPU there."),
        Ane::Unknown if translation == Translation::Rosetta => {
            Finding::info(format!("`{chip}` is how the chip looks under Rosetta: Neural Engine unknown"))
                .detail("This gohost runs translated, so the brand string does not name the Apple chip; run the native arm64 gohost.")
        }
        Ane::Unknown => Finding::info(format!("{chip}: Neural Engine unknown to gohost"))
            .detail("This chip is not in gohost's table; gohost does not guess. ane.driver reads the count from the IOKit registry."),
    };
    vec![f.evidence("chip", chip, CHIP_SOURCE).evidence(
        "Neural Engine cores",
        match ane_for_chip(chip) {
            Ane::Cores(n) => n.to_string(),
            Ane::None => "none".to_owned(),
            Ane::Unknown => "unknown".to_owned(),
        },
        TABLE_SOURCE,
    )]
}

/// A driver as evidence text.
pub fn driver_text(d: &Driver) -> String {
    match d {
        Driver::Bound(name) => name.clone(),
        Driver::NotBound | Driver::Unreadable(_) => "(no driver bound)".to_owned(),
    }
}

fn judge_linux(devices: &Listing) -> Finding {
    let devices: &[(String, Driver)] = match devices {
        Listing::Entries(d) => d,
        Listing::Absent | Listing::Unreadable(_) => &[],
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

//! gohost plugin `ane`: the Apple Neural Engine on macOS (chip → presence and core count from
//! gohost's table, the `H11ANEIn` service in the IOKit registry via `ioreg`, and, with `--deep`,
//! whether a cgo program can link Core ML) and NPU accelerators under `/dev/accel` on Linux.
//!
//! It is **not** an ML benchmark: no model is downloaded or run, no Python is needed, and a
//! chip missing from the table is reported as unknown, never guessed.

mod coreml;

use std::time::Duration;

use gohost_plugin_api::{
    export_plugin, inventory, Check, Command, Ctx, FileKind, Finding, Needs, Translation,
};

export_plugin! {
    name: "ane",
    version: env!("CARGO_PKG_VERSION"),
    description: "Apple Neural Engine (chip table, IOKit service, Core ML link) or Linux /dev/accel NPUs",
}

/// What gohost knows about a chip's Neural Engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ane {
    Cores(u32),
    None,
    Unknown,
}

/// The chip table (../shared/FACTS.md, from Apple's product pages): 16 cores on M1, M2, M3 and
/// M4 (base, Pro, Max); 32 on M1 Ultra and M2 Ultra; none on Intel Macs. Anything else is
/// unknown.
pub fn ane_for_chip(chip: &str) -> Ane {
    let chip = chip.trim();
    if chip.contains("Intel") {
        return Ane::None;
    }
    let Some(rest) = chip.strip_prefix("Apple M") else {
        return Ane::Unknown;
    };
    let (gen, variant) = match rest.split_once(' ') {
        Some((g, v)) => (g, v.trim()),
        None => (rest, ""),
    };
    match (gen, variant) {
        ("1" | "2" | "3" | "4", "" | "Pro" | "Max") => Ane::Cores(16),
        ("1" | "2", "Ultra") => Ane::Cores(32),
        _ => Ane::Unknown,
    }
}

const TABLE_SOURCE: &str = "gohost chip table (Apple product pages, FACTS.md)";

fn neural_engine(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    if facts.os.as_str() != "macos" {
        return vec![linux_accel(ctx)];
    }
    let Some(chip) = facts.chip.clone().into_option() else {
        return vec![Finding::skip(
            "The chip name is unknown, so the Neural Engine cannot be looked up",
        )
        .detail("The host found no machdep.cpu.brand_string.")];
    };
    let chip = chip.to_string();
    let f = match ane_for_chip(&chip) {
        Ane::Cores(n) => Finding::info(format!("{chip}: Neural Engine with {n} cores"))
            .detail("The core count is Apple's published figure for this chip; ane.driver shows what the IOKit registry reports."),
        Ane::None => Finding::info(format!("{chip}: no Neural Engine"))
            .detail("Intel Macs have no Apple Neural Engine; Core ML runs on the CPU/GPU there."),
        Ane::Unknown if facts.translation == Translation::Rosetta => {
            Finding::info(format!("`{chip}` is how the chip looks under Rosetta: Neural Engine unknown"))
                .detail("This gohost runs translated, so the brand string does not name the Apple chip; run the native arm64 gohost.")
        }
        Ane::Unknown => Finding::info(format!("{chip}: Neural Engine unknown to gohost"))
            .detail("This chip is not in gohost's table; gohost does not guess. ane.driver reads the count from the IOKit registry."),
    };
    vec![f
        .evidence("chip", &chip, "machdep.cpu.brand_string (host facts)")
        .evidence(
            "Neural Engine cores",
            match ane_for_chip(&chip) {
                Ane::Cores(n) => n.to_string(),
                Ane::None => "none".to_owned(),
                Ane::Unknown => "unknown".to_owned(),
            },
            TABLE_SOURCE,
        )]
}

fn linux_accel(ctx: &Ctx<'_>) -> Finding {
    let devices: Vec<String> = match ctx.read_dir("/dev/accel") {
        Ok(entries) => entries
            .into_iter()
            .map(|e| e.name.to_string())
            .filter(|n| n.starts_with("accel"))
            .collect(),
        Err(_) => Vec::new(),
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
    for d in &devices {
        f = f.evidence(
            format!("/dev/accel/{d}"),
            driver_of(ctx, d),
            format!("/sys/class/accel/{d}/device/driver"),
        );
    }
    f
}

fn driver_of(ctx: &Ctx<'_>, dev: &str) -> String {
    let link = format!("/sys/class/accel/{dev}/device/driver");
    match ctx.file_info(&link) {
        Ok(info) if info.kind == FileKind::Symlink => info
            .link_target
            .into_option()
            .map(|t| t.rsplit('/').next().unwrap_or("").to_owned())
            .unwrap_or_else(|| "(unknown)".to_owned()),
        _ => "(no driver bound)".to_owned(),
    }
}

/// What `ioreg -l -r -c H11ANEIn` says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IoregAne {
    pub found: bool,
    pub bundle: Option<String>,
    pub cores: Option<u32>,
    pub arch: Option<String>,
    pub firmware_loaded: Option<bool>,
}

fn quoted_after(line: &str, key: &str) -> Option<String> {
    let rest = line.split(&format!("\"{key}\"")).nth(1)?;
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.split('"').next().map(str::to_owned)
}

fn number_after(line: &str, key: &str) -> Option<u32> {
    let rest = line.split(&format!("\"{key}\"=")).nth(1)?;
    rest.chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .ok()
}

pub fn parse_ioreg(text: &str) -> IoregAne {
    let mut r = IoregAne::default();
    for line in text.lines() {
        if line.contains("<class H11ANEIn,") {
            r.found = true;
        }
        if r.bundle.is_none() {
            r.bundle = quoted_after(line, "CFBundleIdentifier");
        }
        if r.cores.is_none() {
            r.cores = number_after(line, "ANEDevicePropertyNumANECores");
        }
        if r.arch.is_none() {
            r.arch = line
                .split("\"ANEDevicePropertyTypeANEArchitectureTypeStr\"=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_owned);
        }
        if let Some(rest) = line.split("\"FirmwareLoaded\" = ").nth(1) {
            r.firmware_loaded = Some(rest.trim() == "Yes");
        }
    }
    r
}

pub const IOREG_ARGV: [&str; 5] = ["ioreg", "-l", "-r", "-c", "H11ANEIn"];

fn driver(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    if facts.os.as_str() != "macos" {
        return vec![linux_drivers(ctx)];
    }
    let chip = facts
        .chip
        .clone()
        .into_option()
        .map(|c| c.to_string())
        .unwrap_or_default();
    if ane_for_chip(&chip) == Ane::None {
        return vec![
            Finding::info("Intel Mac: no Neural Engine service to look for").evidence(
                "chip",
                &chip,
                "machdep.cpu.brand_string (host facts)",
            ),
        ];
    }
    let cmd = IOREG_ARGV.join(" ");
    let out = match ctx.exec(&Command::new(IOREG_ARGV).timeout(Duration::from_secs(10))) {
        Ok(o) if o.success() => o,
        Ok(o) => {
            return vec![Finding::skip("ioreg failed").detail(format!(
                "`{cmd}` ended with {}: {}",
                o.describe_exit(),
                o.stderr.trim()
            ))]
        }
        Err(e) => return vec![Finding::skip("Could not run ioreg").detail(format!("`{cmd}`: {e}"))],
    };
    let r = parse_ioreg(&out.stdout);
    if !r.found {
        return vec![Finding::warn("No H11ANEIn service in the IOKit registry")
            .detail("On Apple Silicon the Neural Engine driver (com.apple.driver.AppleH11ANEInterface) registers an H11ANEIn service; it is missing here (a VM, or a Mac without the driver loaded).")
            .evidence("H11ANEIn", "(absent)", &cmd)
            .remediation("Look for it yourself:", [cmd.clone()])];
    }
    let table = ane_for_chip(&chip);
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
    vec![f]
}

fn linux_drivers(ctx: &Ctx<'_>) -> Finding {
    let classes = match ctx.read_dir("/sys/class/accel") {
        Ok(e) => e
            .into_iter()
            .map(|e| e.name.to_string())
            .collect::<Vec<_>>(),
        Err(_) => Vec::new(),
    };
    if classes.is_empty() {
        return Finding::info("No accel class devices in sysfs (no NPU driver bound)").evidence(
            "/sys/class/accel",
            "(absent or empty)",
            "/sys/class/accel",
        );
    }
    let mut f = Finding::info(format!("{} accel device(s) with drivers", classes.len()));
    for c in &classes {
        f = f.evidence(
            c,
            driver_of(ctx, c),
            format!("/sys/class/accel/{c}/device/driver"),
        );
    }
    f
}

fn coreml_link(ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![coreml::check(ctx)]
}

inventory::submit! { Check { id: "ane.neural-engine", title: "Neural Engine / NPU present", tags: &["hardware"], needs: Needs::NONE, run: neural_engine,
explain: "macOS: looks the chip (machdep.cpu.brand_string) up in gohost's table from Apple's product pages: 16 Neural Engine cores on M1-M4 base/Pro/Max, 32 on M1 Ultra and M2 Ultra, none on Intel; any other chip is reported as unknown, never guessed. Linux: accelerator devices under /dev/accel (the kernel's compute-accelerator subsystem: Intel NPU, AMD XDNA, …)." } }
inventory::submit! { Check { id: "ane.driver", title: "Neural Engine service / NPU driver", tags: &["hardware"], needs: Needs::NONE, run: driver,
explain: "macOS: `ioreg -l -r -c H11ANEIn` — the Neural Engine's IOKit service (driver com.apple.driver.AppleH11ANEInterface) and its ANEDevicePropertyNumANECores and FirmwareLoaded properties. Linux: the driver bound to each /sys/class/accel device." } }
inventory::submit! { Check { id: "ane.coreml-link", title: "A cgo program links Core ML", tags: &["hardware", "cgo", "slow"], needs: Needs { network: false, root: false, slow: true }, run: coreml_link,
explain: "macOS with --deep: builds a tiny cgo program with `-framework CoreML` for this Mac's architecture (needs Go and the Xcode Command Line Tools), checks the output is a Mach-O of that architecture, runs it and checks that the Objective-C class MLModel is loadable. Nothing is downloaded and no model runs. Elsewhere: skip (Core ML is macOS-only)." } }

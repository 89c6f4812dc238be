//! `powermetrics.swap`: swap configured and in use (reported, not judged).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{cannot, list, read, Listing, Read};
use crate::{is_macos, Obs};

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// `sysctl vm.swapusage`: the value, or why it could not be read.
    Mac { swapusage: Result<String, String> },
    Linux {
        meminfo: Read,
        swaps: Read,
        zswap: Read,
        /// (zram device, its disksize)
        zram: Vec<(String, Read)>,
    },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return Observations::Mac {
            swapusage: ctx
                .sysctl("vm.swapusage")
                .map_err(|e| format!("sysctl vm.swapusage: {e}")),
        };
    }
    let block: Listing = list(ctx, "/sys/block");
    let zram = block
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with("zram"))
        .map(|n| {
            let size = read(ctx, &format!("/sys/block/{n}/disksize"));
            (n, size)
        })
        .collect();
    Observations::Linux {
        meminfo: read(ctx, "/proc/meminfo"),
        swaps: read(ctx, "/proc/swaps"),
        zswap: read(ctx, "/sys/module/zswap/parameters/enabled"),
        zram,
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac { swapusage } => mac(swapusage),
        Observations::Linux {
            meminfo,
            swaps,
            zswap,
            zram,
        } => linux(meminfo, swaps, zswap, zram),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn mac(swapusage: &Result<String, String>) -> Obs {
    let raw = match swapusage {
        Ok(v) => v,
        Err(e) => return cannot("swap use", e.clone()),
    };
    let Some((total, used, free)) = parse::swapusage(raw) else {
        return cannot(
            "swap use",
            format!("unexpected vm.swapusage `{}`", raw.trim()),
        );
    };
    let f = if used > 0.0 {
        Finding::info(format!("{used:.2} MiB of {total:.2} MiB swap in use"))
            .detail("Swap in use means memory ran short at some point; it matters for benchmarks together with memory pressure.")
    } else {
        Finding::pass(format!("No swap in use ({total:.2} MiB swap configured)"))
    };
    Obs::new(
        f.evidence("vm.swapusage", raw.trim(), "sysctl vm.swapusage")
            .evidence("free MiB", format!("{free:.2}"), "sysctl vm.swapusage"),
    )
}

fn linux(meminfo: &Read, swaps: &Read, zswap: &Read, zram: &[(String, Read)]) -> Obs {
    let mi = meminfo.text().map(parse::meminfo).unwrap_or_default();
    let (Some(total), Some(free)) = (mi.get("SwapTotal").copied(), mi.get("SwapFree").copied())
    else {
        return Obs::new(
            Finding::skip("Could not read swap use")
                .detail("/proc/meminfo has no SwapTotal/SwapFree."),
        );
    };
    let used = total.saturating_sub(free);
    let devices: Vec<String> = swaps
        .text()
        .map(|t| {
            t.lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let zram: Vec<String> = zram
        .iter()
        .map(|(name, size)| {
            format!(
                "{name} disksize {}",
                size.text().unwrap_or("(could not read)")
            )
        })
        .collect();
    let title = if total == 0 {
        "No swap configured".to_owned()
    } else {
        format!("{} MiB of {} MiB swap in use", used / 1024, total / 1024)
    };
    let f = if used > 0 {
        Finding::info(title)
    } else {
        Finding::pass(title)
    };
    let f = f
        .evidence("SwapTotal kB", total.to_string(), "/proc/meminfo")
        .evidence("SwapFree kB", free.to_string(), "/proc/meminfo")
        .evidence(
            "swap devices",
            if matches!(swaps, Read::Failed(_)) {
                "(could not read)".to_owned()
            } else if devices.is_empty() {
                "(none)".to_owned()
            } else {
                devices.join(", ")
            },
            "/proc/swaps",
        )
        .evidence(
            "zswap enabled",
            match zswap {
                Read::Text(t) => t.trim().to_owned(),
                Read::Absent => "(no zswap module)".to_owned(),
                Read::Failed(_) => "(could not read)".to_owned(),
            },
            "/sys/module/zswap/parameters/enabled",
        )
        .evidence(
            "zram",
            if zram.is_empty() {
                "(none)".to_owned()
            } else {
                zram.join(", ")
            },
            "/sys/block/zram*/disksize",
        );
    Obs::new(f)
}

inventory::submit! { Check { id: "powermetrics.swap", title: "Swap", tags: &["hardware"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "macOS: `sysctl vm.swapusage` (its decimals follow the locale: `1024,00M`). Linux: SwapTotal/SwapFree, /proc/swaps, zswap (`/sys/module/zswap/parameters/enabled`) and zram devices. Swap in use is reported, not judged: it matters for benchmarks together with memory pressure." } }

//! The Linux observations: /proc and /sys through the host.

use gohost_plugin_api::{Ctx, Finding, ProbeErrorKind};

use crate::parse;
use crate::Obs;

fn read(ctx: &Ctx<'_>, path: &str) -> Option<String> {
    ctx.read_to_string(path).ok().map(|s| s.trim().to_owned())
}

fn cpus(ctx: &Ctx<'_>) -> Vec<String> {
    let mut v: Vec<String> = ctx
        .read_dir("/sys/devices/system/cpu")
        .map(|entries| {
            entries
                .into_iter()
                .map(|e| e.name.to_string())
                .filter(|n| {
                    n.strip_prefix("cpu")
                        .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort_by_key(|n| n[3..].parse::<u32>().unwrap_or(u32::MAX));
    v
}

pub fn thermal(ctx: &Ctx<'_>) -> Obs {
    let mut core = 0u64;
    let mut package = 0u64;
    let mut seen = 0;
    for cpu in cpus(ctx) {
        let base = format!("/sys/devices/system/cpu/{cpu}/thermal_throttle");
        if let Some(c) =
            read(ctx, &format!("{base}/core_throttle_count")).and_then(|s| s.parse::<u64>().ok())
        {
            core += c;
            seen += 1;
        }
        if let Some(p) =
            read(ctx, &format!("{base}/package_throttle_count")).and_then(|s| s.parse::<u64>().ok())
        {
            package = package.max(p);
        }
    }
    if seen == 0 {
        return Obs::new(
            Finding::info("No thermal throttle counters on this machine")
                .detail("/sys/devices/system/cpu/cpuN/thermal_throttle does not exist (not an Intel CPU with the therm_throt driver, or a virtual machine); throttling cannot be read here.")
                .evidence("thermal_throttle", "(absent)", "/sys/devices/system/cpu/cpuN/thermal_throttle"),
        )
        .unknown("thermal throttling (no counters)");
    }
    let src = "/sys/devices/system/cpu/cpuN/thermal_throttle/{core,package}_throttle_count";
    let f = if core + package > 0 {
        Finding::info(format!("Thermal throttling happened since boot: {core} core and {package} package events"))
            .detail("These counters only grow; compare them before and after a benchmark to see whether it was throttled.")
    } else {
        Finding::pass("No thermal throttling since boot")
    };
    Obs::new(
        f.evidence("core_throttle_count (sum)", core.to_string(), src)
            .evidence("package_throttle_count", package.to_string(), src),
    )
}

pub fn memory_pressure(ctx: &Ctx<'_>) -> Obs {
    let mut f_ev = Vec::new();
    let mut reasons = Vec::new();
    let psi = read(ctx, "/proc/pressure/memory").and_then(|t| parse::psi(&t));
    if let Some((some, full)) = psi {
        f_ev.push((
            "memory some avg10",
            some.to_string(),
            "/proc/pressure/memory",
        ));
        if let Some(full) = full {
            f_ev.push((
                "memory full avg10",
                full.to_string(),
                "/proc/pressure/memory",
            ));
        }
        if some > 10.0 {
            reasons.push(format!("tasks stalled on memory {some}% of the last 10 s"));
        }
    }
    let mi = read(ctx, "/proc/meminfo")
        .map(|t| parse::meminfo(&t))
        .unwrap_or_default();
    let avail = match (mi.get("MemAvailable"), mi.get("MemTotal")) {
        (Some(a), Some(t)) if *t > 0 => {
            let pct = *a as f64 * 100.0 / *t as f64;
            f_ev.push(("MemAvailable kB", a.to_string(), "/proc/meminfo"));
            f_ev.push(("MemTotal kB", t.to_string(), "/proc/meminfo"));
            if pct < 10.0 {
                reasons.push(format!("only {pct:.0}% of memory available"));
            }
            Some(pct)
        }
        _ => None,
    };
    if psi.is_none() && avail.is_none() {
        return Obs::new(
            Finding::skip("Could not read memory pressure")
                .detail("Neither /proc/pressure/memory nor /proc/meminfo could be read."),
        )
        .unknown("memory pressure");
    }
    let avail_txt = avail
        .map(|p| format!("{p:.0}% of memory available"))
        .unwrap_or_else(|| "memory available unknown".into());
    let psi_txt = psi
        .map(|(s, _)| format!("PSI memory some avg10 {s}"))
        .unwrap_or_else(|| "no PSI".into());
    let mut f = if reasons.is_empty() {
        Finding::pass(format!("No memory pressure: {avail_txt}, {psi_txt}"))
    } else {
        Finding::warn(format!("Memory pressure: {}", reasons.join("; ")))
            .detail("The kernel is reclaiming memory; allocation-heavy benchmarks will be slow and noisy.")
            .remediation("Stop memory-hungry processes, then re-check.", ["cat /proc/pressure/memory", "gohost run powermetrics"])
    };
    for (k, v, s) in f_ev {
        f = f.evidence(k, v, s);
    }
    let obs = Obs::new(f);
    if reasons.is_empty() {
        obs
    } else {
        obs.blocker(format!("memory pressure ({})", reasons.join("; ")))
    }
}

pub fn swap(ctx: &Ctx<'_>) -> Obs {
    let mi = read(ctx, "/proc/meminfo")
        .map(|t| parse::meminfo(&t))
        .unwrap_or_default();
    let (Some(total), Some(free)) = (mi.get("SwapTotal").copied(), mi.get("SwapFree").copied())
    else {
        return Obs::new(
            Finding::skip("Could not read swap use")
                .detail("/proc/meminfo has no SwapTotal/SwapFree."),
        );
    };
    let used = total.saturating_sub(free);
    let devices: Vec<String> = read(ctx, "/proc/swaps")
        .map(|t| {
            t.lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let zswap = read(ctx, "/sys/module/zswap/parameters/enabled");
    let mut zram = Vec::new();
    if let Ok(entries) = ctx.read_dir("/sys/block") {
        for e in entries.into_iter().filter(|e| e.name.starts_with("zram")) {
            let size = read(ctx, &format!("/sys/block/{}/disksize", e.name)).unwrap_or_default();
            zram.push(format!("{} disksize {size}", e.name));
        }
    }
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
    let mut f = f
        .evidence("SwapTotal kB", total.to_string(), "/proc/meminfo")
        .evidence("SwapFree kB", free.to_string(), "/proc/meminfo")
        .evidence(
            "swap devices",
            if devices.is_empty() {
                "(none)".to_owned()
            } else {
                devices.join(", ")
            },
            "/proc/swaps",
        )
        .evidence(
            "zswap enabled",
            zswap.unwrap_or_else(|| "(no zswap module)".to_owned()),
            "/sys/module/zswap/parameters/enabled",
        );
    f = f.evidence(
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

pub fn power_source(ctx: &Ctx<'_>) -> Obs {
    let Ok(entries) = ctx.read_dir("/sys/class/power_supply") else {
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
    for e in entries {
        let base = format!("/sys/class/power_supply/{}", e.name);
        let kind = read(ctx, &format!("{base}/type")).unwrap_or_default();
        match kind.as_str() {
            "Mains" | "USB" => {
                let online = read(ctx, &format!("{base}/online")).unwrap_or_default();
                f_ev.push((
                    format!("{} online", e.name),
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
                let status = read(ctx, &format!("{base}/status")).unwrap_or_default();
                f_ev.push((
                    format!("{} status", e.name),
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

pub fn low_power_mode(ctx: &Ctx<'_>) -> Obs {
    const P: &str = "/sys/firmware/acpi/platform_profile";
    match ctx.read_to_string(P) {
        Ok(p) => {
            let p = p.trim().to_owned();
            if p == "low-power" || p == "quiet" {
                Obs::new(
                    Finding::warn(format!("Platform profile is `{p}`"))
                        .detail("A low-power platform profile caps performance; benchmark numbers are not comparable.")
                        .evidence("platform_profile", &p, P)
                        .remediation("Switch to the balanced or performance profile:", [format!("echo performance | sudo tee {P}")]),
                )
                .blocker(format!("platform profile `{p}`"))
            } else {
                Obs::new(
                    Finding::pass(format!("Platform profile is `{p}`")).evidence(
                        "platform_profile",
                        &p,
                        P,
                    ),
                )
            }
        }
        Err(_) => Obs::new(
            Finding::info("No ACPI platform profile (no low-power mode to report)").evidence(
                "platform_profile",
                "(absent)",
                P,
            ),
        ),
    }
}

pub fn cpu_frequency(ctx: &Ctx<'_>) -> Obs {
    let mut governors: Vec<(String, String)> = Vec::new();
    let mut driver = None;
    for cpu in cpus(ctx) {
        let base = format!("/sys/devices/system/cpu/{cpu}/cpufreq");
        if let Some(g) = read(ctx, &format!("{base}/scaling_governor")) {
            governors.push((cpu.clone(), g));
        }
        if driver.is_none() {
            driver = read(ctx, &format!("{base}/scaling_driver"));
        }
    }
    if governors.is_empty() {
        return Obs::new(
            Finding::info("No cpufreq on this machine (virtual machine or fixed frequency)")
                .detail("/sys/devices/system/cpu/cpuN/cpufreq does not exist, so the frequency policy is not visible here (in a VM the host decides).")
                .evidence("cpufreq", "(absent)", "/sys/devices/system/cpu/cpuN/cpufreq"),
        );
    }
    let mut distinct: Vec<String> = governors.iter().map(|(_, g)| g.clone()).collect();
    distinct.sort();
    distinct.dedup();
    let boost = read(ctx, "/sys/devices/system/cpu/cpufreq/boost")
        .map(|b| {
            (
                if b == "1" { "on" } else { "off" },
                "/sys/devices/system/cpu/cpufreq/boost",
            )
        })
        .or_else(|| {
            read(ctx, "/sys/devices/system/cpu/intel_pstate/no_turbo").map(|n| {
                (
                    if n == "0" { "on" } else { "off" },
                    "/sys/devices/system/cpu/intel_pstate/no_turbo",
                )
            })
        });
    let all_perf = distinct == ["performance"];
    let title = format!(
        "cpufreq governor {} (driver {}){}",
        distinct.join("/"),
        driver.clone().unwrap_or_else(|| "unknown".into()),
        boost
            .map(|(b, _)| format!(", turbo/boost {b}"))
            .unwrap_or_default()
    );
    let mut f = if all_perf {
        Finding::pass(title)
    } else {
        Finding::warn(title)
            .detail("A governor other than `performance` changes frequency with load, so the first iterations of a benchmark run slower and results vary. (With intel_pstate in active mode, `powersave` is its dynamic default.)")
            .remediation("For benchmark runs, use the performance governor:", ["sudo cpupower frequency-set -g performance"])
    };
    f = f
        .evidence(
            "governors",
            distinct.join(", "),
            "/sys/devices/system/cpu/cpuN/cpufreq/scaling_governor",
        )
        .evidence(
            "driver",
            driver.unwrap_or_default(),
            "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver",
        );
    if let Some((b, src)) = boost {
        f = f.evidence("turbo/boost", b, src);
    }
    let obs = Obs::new(f);
    if all_perf {
        obs
    } else {
        obs.blocker(format!("cpufreq governor `{}`", distinct.join("/")))
    }
}

pub fn cpu_load(ctx: &Ctx<'_>) -> Obs {
    let cpu = read(ctx, "/proc/pressure/cpu").and_then(|t| parse::psi(&t));
    let io = read(ctx, "/proc/pressure/io").and_then(|t| parse::psi(&t));
    if cpu.is_none() && io.is_none() {
        return Obs::new(
            Finding::skip("No pressure-stall information (PSI) on this kernel")
                .detail("/proc/pressure needs Linux 4.20+ with CONFIG_PSI (and psi=1 where it is off by default)."),
        )
        .unknown("competing load (no PSI)");
    }
    let mut reasons = Vec::new();
    if let Some((s, _)) = cpu {
        if s > 10.0 {
            reasons.push(format!("tasks waited for a CPU {s}% of the last 10 s"));
        }
    }
    if let Some((s, _)) = io {
        if s > 10.0 {
            reasons.push(format!("tasks waited for I/O {s}% of the last 10 s"));
        }
    }
    let fmt = |v: Option<(f64, Option<f64>)>| v.map_or("-".to_owned(), |(s, _)| s.to_string());
    let mut f = if reasons.is_empty() {
        Finding::pass(format!(
            "No competing load: PSI cpu some avg10 {}, io some avg10 {}",
            fmt(cpu),
            fmt(io)
        ))
    } else {
        Finding::warn(format!("Competing load: {}", reasons.join("; ")))
            .detail("Other processes are using this machine's CPUs or disks; benchmark numbers now would be noisy.")
            .remediation("Find and stop the busy processes, then re-check.", ["top -o %CPU", "cat /proc/pressure/cpu /proc/pressure/io"])
    };
    f = f
        .evidence("cpu some avg10", fmt(cpu), "/proc/pressure/cpu")
        .evidence("io some avg10", fmt(io), "/proc/pressure/io");
    let obs = Obs::new(f);
    if reasons.is_empty() {
        obs
    } else {
        obs.blocker(format!("competing load ({})", reasons.join("; ")))
    }
}

pub fn power_sample(ctx: &Ctx<'_>) -> Obs {
    const BASE: &str = "/sys/class/powercap";
    let zones: Vec<String> = match ctx.read_dir(BASE) {
        Ok(e) => e
            .into_iter()
            .map(|e| e.name.to_string())
            .filter(|n| n.starts_with("intel-rapl:"))
            .collect(),
        Err(_) => Vec::new(),
    };
    if zones.is_empty() {
        return Obs::new(
            Finding::skip("No RAPL energy counters on this machine")
                .detail("/sys/class/powercap has no intel-rapl zones (not an Intel/AMD CPU with the RAPL powercap driver, or a virtual machine)."),
        );
    }
    let mut f_ev = Vec::new();
    let mut denied = None;
    for z in &zones {
        let path = format!("{BASE}/{z}/energy_uj");
        let name = read(ctx, &format!("{BASE}/{z}/name")).unwrap_or_else(|| z.clone());
        match ctx.read_to_string(&path) {
            Ok(v) => f_ev.push((format!("{z} ({name}) energy_uj"), v.trim().to_owned(), path)),
            Err(e) if e.kind == ProbeErrorKind::PermissionDenied => denied = Some(path),
            Err(_) => {}
        }
    }
    if let Some(path) = denied.filter(|_| f_ev.is_empty()) {
        return Obs::new(
            Finding::skip("RAPL energy counters are root-only here")
                .detail("Kernels patched for CVE-2020-8694 restrict energy_uj to root.")
                .evidence("energy_uj", "permission denied", &path)
                .remediation("Read it as root:", [format!("sudo cat {path}")]),
        );
    }
    let mut f = Finding::info(format!(
        "RAPL energy counters readable ({} zones)",
        f_ev.len()
    ))
    .detail(
        "Cumulative energy in microjoules; read before and after a benchmark to get its energy.",
    );
    for (k, v, s) in f_ev {
        f = f.evidence(k, v, s);
    }
    Obs::new(f)
}

/// This process's CPU cgroup directory (v1 `cpu` hierarchy first, else v2), as Go finds it.
fn cgroup_dir(ctx: &Ctx<'_>) -> Option<(u8, String)> {
    let cgroups = read(ctx, "/proc/self/cgroup")?;
    let mut v1 = None;
    let mut v2 = None;
    for line in cgroups.lines() {
        let mut p = line.splitn(3, ':');
        let (Some(id), Some(ctrl), Some(path)) = (p.next(), p.next(), p.next()) else {
            continue;
        };
        if id == "0" && ctrl.is_empty() {
            v2 = Some(path.to_owned());
        } else if ctrl.split(',').any(|c| c == "cpu") {
            v1 = Some(path.to_owned());
        }
    }
    let (version, path) = v1.map(|p| (1u8, p)).or(v2.map(|p| (2u8, p)))?;
    let mountinfo = read(ctx, "/proc/self/mountinfo")?;
    for line in mountinfo.lines() {
        let (left, right) = line.split_once(" - ")?;
        let f: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        let ok = match version {
            1 => {
                r.first() == Some(&"cgroup")
                    && r.get(2).is_some_and(|o| o.split(',').any(|c| c == "cpu"))
            }
            _ => r.first() == Some(&"cgroup2"),
        };
        if !ok {
            continue;
        }
        let (root, mount) = (f.get(3)?, f.get(4)?);
        let rel = if *root == "/" {
            path.as_str()
        } else {
            path.strip_prefix(root).unwrap_or(&path)
        };
        let dir = format!(
            "{}/{}",
            mount.trim_end_matches('/'),
            rel.trim_start_matches('/')
        );
        return Some((version, dir.trim_end_matches('/').to_owned()));
    }
    None
}

pub fn cgroup_throttling(ctx: &Ctx<'_>) -> Obs {
    let Some((version, dir)) = cgroup_dir(ctx) else {
        return Obs::new(
            Finding::info("No CPU cgroup found for this process")
                .detail("/proc/self/cgroup lists no cpu controller hierarchy with a mount."),
        );
    };
    let path = format!("{dir}/cpu.stat");
    let Some(stat) = read(ctx, &path) else {
        return Obs::new(
            Finding::info(format!("No cpu.stat in this process's cgroup ({dir})")).evidence(
                "cgroup",
                format!("v{version} {dir}"),
                "/proc/self/cgroup",
            ),
        );
    };
    let get = |k: &str| {
        stat.lines()
            .find_map(|l| l.strip_prefix(k)?.trim().parse::<u64>().ok())
    };
    let periods = get("nr_periods ").unwrap_or(0);
    let throttled = get("nr_throttled ").unwrap_or(0);
    let time = get("throttled_usec ")
        .map(|u| format!("{u} µs"))
        .or_else(|| get("throttled_time ").map(|n| format!("{n} ns")))
        .unwrap_or_else(|| "-".into());
    let f = if throttled > 0 {
        Finding::warn(format!("This cgroup was CPU-throttled {throttled} times in {periods} periods ({time})"))
            .detail("The cgroup's CPU quota stalled its threads; a benchmark run here sees latency spikes. Keep GOMAXPROCS at or below the quota (see scheduler.gomaxprocs).")
            .remediation("Raise the quota or lower the parallelism:", ["cat /proc/self/cgroup".to_owned(), format!("cat {path}")])
    } else {
        Finding::pass(format!(
            "No CPU throttling in this cgroup ({periods} quota periods)"
        ))
    };
    let obs = Obs::new(
        f.evidence(
            "cgroup",
            format!("v{version} {dir}"),
            "/proc/self/cgroup, /proc/self/mountinfo",
        )
        .evidence("nr_periods", periods.to_string(), &path)
        .evidence("nr_throttled", throttled.to_string(), &path)
        .evidence("throttled time", time, &path),
    );
    if throttled > 0 {
        obs.blocker(format!("cgroup throttled {throttled} times"))
    } else {
        obs
    }
}

//! `powermetrics.memory-pressure`: is the OS short of memory (compressing, swapping,
//! reclaiming) now?

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::parse;
use crate::probe::{cannot, read, say, Read, Said};
use crate::{is_macos, Obs};

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac {
        memory_pressure: Said,
        vm_stat: Said,
    },
    Linux {
        psi: Read,
        meminfo: Read,
    },
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        let memory_pressure = say(ctx, &["memory_pressure"]);
        // Only worth asking when the decisive answer is there.
        let vm_stat = match &memory_pressure {
            Ok(_) => say(ctx, &["vm_stat"]),
            Err(_) => Err("not asked".to_owned()),
        };
        Observations::Mac {
            memory_pressure,
            vm_stat,
        }
    } else {
        Observations::Linux {
            psi: read(ctx, "/proc/pressure/memory"),
            meminfo: read(ctx, "/proc/meminfo"),
        }
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac {
            memory_pressure,
            vm_stat,
        } => mac(memory_pressure, vm_stat),
        Observations::Linux { psi, meminfo } => linux(psi, meminfo),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn mac(mp: &Said, vm: &Said) -> Obs {
    let mp = match mp {
        Ok(o) => o,
        Err(e) => return cannot("memory pressure", e.clone()),
    };
    let Some(free) = parse::memory_free_percent(mp) else {
        return cannot(
            "memory pressure",
            "`memory_pressure` printed no \"System-wide memory free percentage\" line",
        );
    };
    let mut f_evidence = vec![(
        "memory free %".to_owned(),
        free.to_string(),
        "memory_pressure".to_owned(),
    )];
    let mut compressed_mib = None;
    if let Ok(vm) = vm {
        let (page, counters) = parse::vm_stat(vm);
        if let (Some(page), Some(pages)) = (page, counters.get("Pages occupied by compressor")) {
            let mib = (*pages as f64 * page as f64) / (1024.0 * 1024.0);
            compressed_mib = Some(mib);
            f_evidence.push((
                "compressor MiB".to_owned(),
                format!("{mib:.0}"),
                format!("vm_stat (Pages occupied by compressor {pages} × page size {page})"),
            ));
        }
    }
    let compressed = compressed_mib
        .map(|m| format!(", {m:.0} MiB held by the memory compressor"))
        .unwrap_or_default();
    let (mut f, blocker) = if free < 25 {
        (
            Finding::warn(format!("Memory pressure: only {free}% of memory free{compressed}"))
                .detail("macOS is compressing and may swap; allocation-heavy benchmarks will be slower and noisy.")
                .remediation("Quit memory-hungry apps, then re-check.", ["memory_pressure", "gohost run powermetrics"]),
            Some(format!("memory pressure ({free}% free)")),
        )
    } else {
        (
            Finding::pass(format!("{free}% of memory free{compressed}")),
            None,
        )
    };
    for (k, v, s) in f_evidence {
        f = f.evidence(k, v, s);
    }
    let mut obs = Obs::new(f);
    obs.blocker = blocker;
    obs
}

fn linux(psi_file: &Read, meminfo: &Read) -> Obs {
    let mut f_ev = Vec::new();
    let mut reasons = Vec::new();
    let psi = psi_file.text().and_then(parse::psi);
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
    let mi = meminfo.text().map(parse::meminfo).unwrap_or_default();
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
    // An input that exists but could not be read is not verified (a kernel without PSI, file
    // absent, is a known state).
    let mut not_read = Vec::new();
    if psi.is_none() && !matches!(psi_file, Read::Absent) {
        not_read.push("/proc/pressure/memory");
    }
    if avail.is_none() {
        not_read.push("MemAvailable/MemTotal in /proc/meminfo");
    }
    let mut f = if reasons.is_empty() && !not_read.is_empty() {
        Finding::info(format!(
            "No memory pressure seen: {avail_txt}, {psi_txt}; not read: {}",
            not_read.join(", ")
        ))
    } else if reasons.is_empty() {
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
    if !reasons.is_empty() {
        obs.blocker(format!("memory pressure ({})", reasons.join("; ")))
    } else if !not_read.is_empty() {
        obs.unknown(format!(
            "memory pressure ({} not read)",
            not_read.join(", ")
        ))
    } else {
        obs
    }
}

inventory::submit! { Check { id: "powermetrics.memory-pressure", title: "Memory pressure and compressed memory", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "macOS: the system-wide free-memory percentage from `memory_pressure` and the compressor's pages from `vm_stat`. Linux: PSI `/proc/pressure/memory` (some avg10) and MemAvailable/MemTotal from /proc/meminfo. Under memory pressure the OS compresses, swaps and reclaims, which shows up as noise in benchmarks. gohost calls under 25% free (macOS), under 10% available or PSI memory some avg10 above 10% (Linux) pressure." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    #[test]
    fn linux_table() {
        let t = |s: &str| Read::Text(s.to_owned());
        let psi = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        let mem = "MemTotal:       8000000 kB\nMemAvailable:   6000000 kB\n";
        let low = "MemTotal:       8000000 kB\nMemAvailable:    400000 kB\n";
        let rows: Vec<(Read, Read, Status, bool, bool)> = vec![
            (t(psi), t(mem), Status::Pass, false, false),
            (t(psi), t(low), Status::Warn, true, false),
            (Read::Absent, t(mem), Status::Pass, false, false),
            (
                Read::Failed("not recorded".into()),
                t(mem),
                Status::Info,
                false,
                true,
            ),
            (
                t(psi),
                Read::Failed("not recorded".into()),
                Status::Info,
                false,
                true,
            ),
            (
                Read::Failed("x".into()),
                Read::Failed("y".into()),
                Status::Skip,
                false,
                true,
            ),
        ];
        assert_eq!(rows.len(), 6);
        for (i, (psi, meminfo, status, blocker, unknown)) in rows.into_iter().enumerate() {
            let o = assess(&Observations::Linux { psi, meminfo });
            assert_eq!(o.finding.status, status, "row {i}: {o:#?}");
            assert_eq!(o.blocker.is_some(), blocker, "row {i}");
            assert_eq!(o.unknown.is_some(), unknown, "row {i}");
        }
    }

    #[test]
    fn mac_table() {
        // The real Mac mini answer (macmini-32gb-applesilicon-memory_pressure.txt) says 88%.
        let rows: Vec<(Said, Status)> = vec![
            (
                Ok("System-wide memory free percentage: 88%\n".into()),
                Status::Pass,
            ),
            (
                Ok("System-wide memory free percentage: 12%\n".into()),
                Status::Warn,
            ),
            (Ok("garbage\n".into()), Status::Skip),
            (Err("not recorded".into()), Status::Skip),
        ];
        assert_eq!(rows.len(), 4);
        for (mp, status) in rows {
            let o = assess(&Observations::Mac {
                memory_pressure: mp.clone(),
                vm_stat: Err("not asked".into()),
            });
            assert_eq!(o.finding.status, status, "{mp:?}");
            assert_eq!(o.unknown.is_some(), status == Status::Skip);
        }
    }
}

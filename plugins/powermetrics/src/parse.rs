//! Pure parsers for the outputs this plugin reads (no I/O), each tested on real captures.

use std::collections::BTreeMap;

/// `pmset -g therm`: the `CPU_*` limits (Intel Macs) and the warning-level lines.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Therm {
    pub limits: BTreeMap<String, u32>,
    /// Lines about warning levels that are not "No … has been recorded".
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

pub fn pmset_therm(text: &str) -> Therm {
    let mut t = Therm::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some((k, v)) = line.split_once('=') {
            let k = k.trim();
            if k.starts_with("CPU_") {
                if let Ok(n) = v.trim().parse() {
                    t.limits.insert(k.to_owned(), n);
                }
            }
        } else if let Some(note) = line.strip_prefix("Note:") {
            t.notes.push(note.trim().to_owned());
        } else if line.to_ascii_lowercase().contains("warning level") {
            t.warnings.push(line.to_owned());
        }
    }
    t
}

/// `pmset -g`: the value of a setting line ` name   value …`.
pub fn pmset_setting(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut parts = line.split_whitespace();
        (parts.next() == Some(name)).then(|| parts.next().unwrap_or("").to_owned())
    })
}

/// `pmset -g batt`: the power source and the first battery line.
pub fn pmset_batt(text: &str) -> (Option<String>, Option<String>) {
    let source = text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("Now drawing from '")?;
        rest.split_once('\'').map(|(s, _)| s.to_owned())
    });
    let battery = text
        .lines()
        .find(|l| l.trim_start().starts_with('-'))
        .map(|l| l.trim().replace('\t', " "));
    (source, battery)
}

/// `vm_stat`: page size and `name: N.` counters.
pub fn vm_stat(text: &str) -> (Option<u64>, BTreeMap<String, u64>) {
    let page = text.lines().next().and_then(|l| {
        let rest = l.split("page size of ").nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    });
    let mut map = BTreeMap::new();
    for line in text.lines().skip(1) {
        if let Some((k, v)) = line.rsplit_once(':') {
            if let Ok(n) = v.trim().trim_end_matches('.').parse() {
                map.insert(k.trim().trim_matches('"').to_owned(), n);
            }
        }
    }
    (page, map)
}

/// `memory_pressure`: "System-wide memory free percentage: 88%".
pub fn memory_free_percent(text: &str) -> Option<u32> {
    text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("System-wide memory free percentage:")?
            .trim()
            .trim_end_matches('%')
            .parse()
            .ok()
    })
}

/// A size such as `1024,00M` or `379.25M` in MiB (locale decimal comma or point).
pub fn locale_mib(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.replace(',', ".").parse().ok()?;
    let factor = match unit {
        "K" => 1.0 / 1024.0,
        "M" => 1.0,
        "G" => 1024.0,
        "T" => 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * factor)
}

/// `sysctl -n vm.swapusage`: (total, used, free) MiB.
pub fn swapusage(text: &str) -> Option<(f64, f64, f64)> {
    let get = |key: &str| {
        let rest = text.split(&format!("{key} = ")).nth(1)?;
        locale_mib(rest.split_whitespace().next()?)
    };
    Some((get("total")?, get("used")?, get("free")?))
}

/// A PSI file: (some avg10, full avg10).
pub fn psi(text: &str) -> Option<(f64, Option<f64>)> {
    let get = |kind: &str| {
        text.lines()
            .find(|l| l.starts_with(kind))?
            .split_whitespace()
            .find_map(|f| f.strip_prefix("avg10="))?
            .parse::<f64>()
            .ok()
    };
    Some((get("some")?, get("full")))
}

/// /proc/meminfo values in kB.
pub fn meminfo(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((
                k.trim().to_owned(),
                v.split_whitespace().next()?.parse().ok()?,
            ))
        })
        .collect()
}

/// What gohost reads from one powermetrics plist sample. Powers are in mW as printed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sample {
    pub hw_model: Option<String>,
    pub elapsed_ms: Option<f64>,
    pub thermal_pressure: Option<String>,
    pub cpu_power_mw: Option<f64>,
    pub gpu_power_mw: Option<f64>,
    pub ane_power_mw: Option<f64>,
    pub combined_power_mw: Option<f64>,
    /// (name, MHz, active residency 0..1)
    pub clusters: Vec<(String, f64, f64)>,
    pub gpu_mhz: Option<f64>,
    pub gpu_active: Option<f64>,
}

fn real(v: Option<&plist::Value>) -> Option<f64> {
    match v? {
        plist::Value::Real(r) => Some(*r),
        plist::Value::Integer(i) => i.as_signed().map(|i| i as f64),
        _ => None,
    }
}

/// Parse one `powermetrics -f plist` sample. Samples are separated by NUL bytes; only the
/// first is read.
pub fn powermetrics_plist(bytes: &[u8]) -> Result<Sample, String> {
    let first = bytes
        .split(|b| *b == 0)
        .find(|chunk| chunk.iter().any(|b| !b.is_ascii_whitespace()));
    let Some(first) = first else {
        return Err("powermetrics printed no plist".to_owned());
    };
    let value = plist::Value::from_reader_xml(first).map_err(|e| format!("not a plist: {e}"))?;
    let dict = value
        .as_dictionary()
        .ok_or("the plist's root is not a dictionary")?;
    let mut s = Sample {
        hw_model: dict
            .get("hw_model")
            .and_then(|v| v.as_string())
            .map(str::to_owned),
        elapsed_ms: real(dict.get("elapsed_ns")).map(|ns| ns / 1e6),
        thermal_pressure: dict
            .get("thermal_pressure")
            .and_then(|v| v.as_string())
            .map(str::to_owned),
        ..Sample::default()
    };
    if let Some(p) = dict.get("processor").and_then(|v| v.as_dictionary()) {
        s.cpu_power_mw = real(p.get("cpu_power"));
        s.gpu_power_mw = real(p.get("gpu_power"));
        s.ane_power_mw = real(p.get("ane_power"));
        s.combined_power_mw = real(p.get("combined_power"));
        if let Some(clusters) = p.get("clusters").and_then(|v| v.as_array()) {
            for c in clusters.iter().filter_map(|c| c.as_dictionary()) {
                let name = c.get("name").and_then(|v| v.as_string()).unwrap_or("?");
                let hz = real(c.get("freq_hz")).unwrap_or(0.0);
                let idle = real(c.get("idle_ratio")).unwrap_or(1.0);
                s.clusters
                    .push((name.to_owned(), hz / 1e6, (1.0 - idle).clamp(0.0, 1.0)));
            }
        }
    }
    if let Some(g) = dict.get("gpu").and_then(|v| v.as_dictionary()) {
        // The GPU's freq_hz is printed in MHz already (714.836 on an M1).
        s.gpu_mhz = real(g.get("freq_hz"));
        s.gpu_active = real(g.get("idle_ratio")).map(|i| (1.0 - i).clamp(0.0, 1.0));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_decimals() {
        assert_eq!(locale_mib("1024,00M"), Some(1024.0));
        assert_eq!(locale_mib("379.25M"), Some(379.25));
        assert_eq!(locale_mib("2,00G"), Some(2048.0));
        assert_eq!(locale_mib("12"), None);
        assert_eq!(
            swapusage("total = 1024,00M  used = 379,25M  free = 644,75M  (encrypted)"),
            Some((1024.0, 379.25, 644.75))
        );
    }

    #[test]
    fn psi_lines() {
        let t = "some avg10=70.17 avg60=38.54 avg300=12.69 total=51774630\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(psi(t), Some((70.17, Some(0.0))));
        assert_eq!(psi("garbage"), None);
    }

    #[test]
    fn not_a_plist_is_an_error() {
        assert!(powermetrics_plist(b"").is_err());
        assert!(powermetrics_plist(b"powermetrics must be invoked as the superuser\n").is_err());
    }
}

//! `arch.platform`: the OS, machine, chip and translation verdict every other finding is read
//! against. Always informational.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::probe::{is_macos, translation_name, Host};

inventory::submit! { Check {
    id: "arch.platform",
    title: "Platform: OS, machine, chip",
    explain: "Reports the OS and version, the kernel's machine name (`uname -m`), the architecture gohost itself was compiled for, the chip name (`machdep.cpu.brand_string` on macOS, `model name` on Linux) and the host's translation verdict, so every other finding can be read in context. Always informational.",
    tags: &["arch"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    os_version: String,
    /// None when the host could not read the chip name.
    chip: Option<String>,
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let f = ctx.facts();
    Observations {
        host: Host::from_facts(&f),
        os_version: f.os_version.to_string(),
        chip: f.chip.clone().into_option().map(String::from),
    }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let h = &obs.host;
    let chip = obs.chip.clone().unwrap_or_else(|| "unknown".to_owned());
    let chip_source = if is_macos(&h.os) {
        "sysctl machdep.cpu.brand_string"
    } else {
        "/proc/cpuinfo model name"
    };
    // An empty version is a missing answer, not a version: say so rather than show "".
    let os_version = if obs.os_version.trim().is_empty() {
        "unknown (not recorded)".to_owned()
    } else {
        obs.os_version.clone()
    };
    let title = if obs.os_version.trim().is_empty() {
        format!(
            "{} (version unknown) on {} ({}), process {}",
            h.os, h.machine, chip, h.process_arch
        )
    } else {
        format!(
            "{} {} on {} ({}), process {}",
            h.os, os_version, h.machine, chip, h.process_arch
        )
    };
    vec![Finding::info(title)
        .evidence("os", &h.os, "host facts")
        .evidence("os_version", &os_version, "host facts")
        .evidence("machine", &h.machine, "uname -m")
        .evidence(
            "process_arch",
            &h.process_arch,
            "gohost binary (as compiled)",
        )
        .evidence("chip", chip, chip_source)
        .evidence(
            "translation",
            translation_name(h.translation),
            &h.translation_evidence,
        )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::{Status, Translation};

    fn obs(chip: Option<&str>) -> Observations {
        Observations {
            host: Host {
                os: "macos".into(),
                machine: "arm64".into(),
                process_arch: "aarch64".into(),
                translation: Translation::Native,
                translation_evidence: "sysctl.proc_translated: 0".into(),
            },
            os_version: "14.5".into(),
            chip: chip.map(str::to_owned),
        }
    }

    /// Data → findings: always one info; a missing chip name is shown as unknown, not guessed.
    #[test]
    fn table() {
        for (chip, want) in [(Some("Apple M2"), "Apple M2"), (None, "unknown")] {
            let f = judge(&obs(chip));
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].status, Status::Info);
            assert_eq!(f[0].evidence_value("chip"), Some(want));
            assert!(f[0].title.contains(want), "{}", f[0].title);
        }
        // A missing OS version is shown as unknown, never as an empty value.
        let mut o = obs(Some("Apple M2"));
        o.os_version = String::new();
        let f = judge(&o);
        assert_eq!(
            f[0].evidence_value("os_version"),
            Some("unknown (not recorded)")
        );
        assert!(f[0].title.contains("version unknown"), "{}", f[0].title);
    }
}

//! Every macOS command line the powermetrics plugin prints as a remediation (issue 13 section
//! 4: commands that only run on macOS): each parses with `bash -n` and `zsh -n`, and each is a
//! known-good macOS command line from the table below, with its source. The commands are
//! collected by judging observations that put every macOS check in its failing states, so a
//! new or changed command fails here until the table knows it.

#![allow(clippy::disallowed_methods)] // runs bash/zsh on purpose
use std::process::Command;

use gohost_plugin_powermetrics::checks::{
    low_power_mode, memory_pressure, power_sample, power_source, thermal,
};

/// Known-good macOS command lines: (command, source).
const KNOWN: &[(&str, &str)] = &[
    ("pmset -g therm", "shared/fixtures/macos/intel-12cpu-pmset-g-therm.txt (`$ pmset -g therm`, real output)"),
    ("pmset -g batt", "shared/fixtures/macos/m1-mbp-pmset-g-batt.txt (real output); pmset(1): `pmset -g [option]`, `-g batt`"),
    ("memory_pressure", "shared/fixtures/macos/macmini-32gb-applesilicon-memory_pressure.txt (real output)"),
    ("sudo pmset -a lowpowermode 0", "pmset(1) (macOS 14.2): `pmset [-a | -b | -c | -u] [setting value]`, -a = all power sources, must run as root; `lowpowermode` is the setting `pmset -g` prints (shared/fixtures/macos/applesilicon-mbp-pmset-g.txt)"),
    ("sudo pmset -a powermode 0", "pmset(1) as above; `powermode` (0 automatic, 1 low, 2 high) is the setting newer macOS prints instead (shared/fixtures/README.md)"),
    ("sudo powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist", "FACTS.md: powermetrics needs root, `-n` count, `-i` interval ms, samplers cpu_power/gpu_power/ane_power/thermal, `-f plist`; the real plists in shared/fixtures were taken with `--samplers … -f plist`"),
];

/// gohost's own command lines; their flags are checked against the real `gohost run --help`.
const GOHOST: &[&str] = &[
    "gohost run powermetrics",
    "gohost run powermetrics --allow-root-probes",
];

fn plist(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../../shared/fixtures/macos/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("a shared capture")
}

fn all_mac_commands() -> Vec<String> {
    use power_sample::{Attempt, Ran, POWERMETRICS_ARGV};
    let said = |s: &str| -> Result<String, String> { Ok(s.to_owned()) };
    let sampled = |stdout: String| power_sample::Observations::Mac {
        root: Ok(true),
        allow_root: false,
        attempts: vec![Attempt {
            argv: POWERMETRICS_ARGV.iter().map(|s| (*s).to_owned()).collect(),
            result: Ok(Ran {
                ok: true,
                exit: "exit 0".into(),
                stdout: stdout.into_bytes(),
                stderr: String::new(),
            }),
        }],
    };
    let m4 = plist("m4max-mac16-5-powermetrics-plist-tasks-disk.xml");
    let findings = vec![
        thermal::assess(&thermal::Observations::Mac {
            therm: said("\tCPU_Scheduler_Limit \t= 100\n\tCPU_Speed_Limit \t= 35\n"),
        })
        .finding,
        thermal::assess(&thermal::Observations::Mac {
            therm: said("Thermal warning level set to 3\n"),
        })
        .finding,
        thermal::assess(&thermal::Observations::Mac {
            therm: said("Note: No thermal warning level has been recorded\n"),
        })
        .finding,
        memory_pressure::assess(&memory_pressure::Observations::Mac {
            memory_pressure: said("System-wide memory free percentage: 9%\n"),
            vm_stat: Err("x".into()),
        })
        .finding,
        power_source::assess(&power_source::Observations::Mac {
            batt: said("Now drawing from 'Battery Power'\n"),
        })
        .finding,
        low_power_mode::assess(&low_power_mode::Observations::Mac {
            pmset: said(" lowpowermode 1\n"),
        })
        .finding,
        low_power_mode::assess(&low_power_mode::Observations::Mac {
            pmset: said(" powermode 1\n"),
        })
        .finding,
        power_sample::assess(&sampled(m4.clone())).finding,
        power_sample::assess(&sampled(m4.replace("Nominal", "Heavy"))).finding,
        power_sample::assess(&power_sample::Observations::Mac {
            root: Ok(false),
            allow_root: false,
            attempts: vec![],
        })
        .finding,
        power_sample::assess(&power_sample::Observations::Mac {
            root: Ok(false),
            allow_root: true,
            attempts: vec![Attempt {
                argv: vec!["/usr/bin/sudo".into(), "-n".into()],
                result: Ok(Ran {
                    ok: false,
                    exit: "exit 1".into(),
                    stdout: vec![],
                    stderr: "sudo: a password is required".into(),
                }),
            }],
        })
        .finding,
    ];
    let mut cmds: Vec<String> = findings
        .iter()
        .filter_map(|f| f.remediation.clone().into_option())
        .flat_map(|r| r.commands.into_iter().map(|c| c.to_string()))
        .collect();
    cmds.sort();
    cmds.dedup();
    cmds
}

#[test]
fn every_macos_remediation_is_known_good_and_parses() {
    let cmds = all_mac_commands();
    // Every failing state above prints at least one command; the set must not shrink silently.
    assert_eq!(cmds.len(), 8, "{cmds:#?}");
    let have_zsh =
        std::path::Path::new("/usr/bin/zsh").exists() || std::path::Path::new("/bin/zsh").exists();
    for cmd in &cmds {
        let known = KNOWN.iter().any(|(k, _)| k == cmd) || GOHOST.contains(&cmd.as_str());
        assert!(
            known,
            "`{cmd}` is not in the table of known-good macOS command lines"
        );
        let mut shells = vec!["bash"];
        if have_zsh {
            shells.push("zsh");
        }
        for sh in shells {
            let out = Command::new(sh)
                .args(["-n", "-c", cmd])
                .output()
                .expect("shell runs");
            assert!(
                out.status.success(),
                "{sh} -n rejects `{cmd}`: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// gohost's own flags in the commands exist in the real CLI.
#[test]
fn gohost_commands_use_real_flags() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "-q", "-p", "gohost"])
        .status()
        .expect("cargo runs");
    assert!(built.success(), "cargo build -p gohost failed");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| workspace.join("target"));
    let bin = target.join("debug/gohost");
    assert!(
        bin.is_file(),
        "build the host first: cargo build -p gohost ({})",
        bin.display()
    );
    let help = Command::new(&bin)
        .args(["run", "--help"])
        .output()
        .expect("gohost runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert_eq!(GOHOST.len(), 2);
    for cmd in GOHOST {
        for flag in cmd.split_whitespace().filter(|w| w.starts_with("--")) {
            assert!(
                help.contains(flag),
                "`{flag}` of `{cmd}` is not a `gohost run` flag"
            );
        }
    }
}

/// The Linux remediations parse too, except a placeholder, which must not parse (so that pasting
/// it can never run something else): `echo <profile> | …` is a shell syntax error.
#[test]
fn linux_remediations_parse_and_placeholders_do_not() {
    use gohost_plugin_powermetrics::checks::{cpu_frequency, cpu_load};
    use gohost_plugin_powermetrics::probe::Read;
    let t = |s: &str| Read::Text(s.to_owned());
    let findings = [
        low_power_mode::assess(&low_power_mode::Observations::Linux {
            profile: t("quiet"),
            choices: t("quiet balanced performance"),
        })
        .finding,
        low_power_mode::assess(&low_power_mode::Observations::Linux {
            profile: t("low-power"),
            choices: Read::Failed("x".into()),
        })
        .finding,
        cpu_frequency::assess(&cpu_frequency::Observations::Linux {
            policies: vec![cpu_frequency::Policy {
                cpu: "cpu0".into(),
                governor: t("powersave"),
                driver: t("intel_pstate"),
            }],
            boost: Read::Absent,
            no_turbo: Read::Absent,
        })
        .finding,
        cpu_load::assess(&cpu_load::Observations::Linux {
            cpu: t("some avg10=50.00 avg60=0 avg300=0 total=0\n"),
            io: Read::Absent,
            stat: (Read::Absent, Read::Absent),
        })
        .finding,
    ];
    let cmds: Vec<String> = findings
        .iter()
        .filter_map(|f| f.remediation.clone().into_option())
        .flat_map(|r| r.commands.into_iter().map(|c| c.to_string()))
        .collect();
    assert_eq!(cmds.len(), 6, "{cmds:#?}");
    for cmd in &cmds {
        let out = Command::new("bash")
            .args(["-n", "-c", cmd])
            .output()
            .expect("bash runs");
        assert_eq!(
            out.status.success(),
            !cmd.contains('<'),
            "bash -n on `{cmd}`"
        );
    }
}

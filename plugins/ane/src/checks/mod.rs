//! One module per check; each registers itself with `inventory` next to its code.

pub mod coreml_link;
pub mod driver;
pub mod neural_engine;

#[cfg(test)]
mod tests {
    use gohost_plugin_api::{Finding, Translation};

    use super::coreml_link::{self, Ran, Stage};
    use super::{driver, neural_engine};
    use crate::ioreg::IoregAne;

    /// `(program, flags)` of each row of tests/macos_commands.md.
    fn known() -> Vec<(String, Vec<String>)> {
        include_str!("../../tests/macos_commands.md")
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once('`'))
            .map(|(cmd, _)| shape(cmd))
            .collect()
    }

    fn shape(cmd: &str) -> (String, Vec<String>) {
        let mut words = cmd.split_whitespace();
        let program = words.next().unwrap_or_default().to_owned();
        let mut flags: Vec<String> = words
            .filter(|w| w.starts_with('-'))
            .map(str::to_owned)
            .collect();
        flags.sort();
        (program, flags)
    }

    /// Every finding every judge can print that carries commands.
    fn all_findings() -> Vec<Finding> {
        let mut out = Vec::new();
        let done = |ok: bool| Ran::Done {
            success: ok,
            exit: "exit code 1".into(),
            stdout: String::new(),
            stderr: String::new(),
        };
        for stage in [
            Stage::NoGo,
            Stage::NoSdk(done(false)),
            Stage::NoSdk(Ran::NotRun("not found".into())),
            Stage::Build {
                build: done(false),
                binary: String::new(),
                header: None,
                run: None,
            },
        ] {
            out.push(coreml_link::judge(&coreml_link::Observations {
                goarch: "arm64",
                why_goarch: String::new(),
                stage,
            }));
        }
        out.extend(driver::judge(&driver::Observations::Mac {
            chip: Some("Apple M1".into()),
            ioreg: Some(driver::IoregAnswer::Parsed(IoregAne::default())),
        }));
        out.extend(neural_engine::judge(&neural_engine::Observations::Mac {
            chip: Some("Apple M1".into()),
            translation: Translation::Rosetta,
        }));
        out
    }

    #[test]
    fn every_command_is_known_and_parses() {
        let known = known();
        assert_eq!(known.len(), 5, "rows of tests/macos_commands.md");
        let commands: Vec<String> = all_findings()
            .into_iter()
            .filter_map(|f| f.remediation.into_option())
            .flat_map(|r| r.commands.into_iter().map(|c| c.to_string()))
            .collect();
        assert!(commands.len() >= 6, "{commands:?}");
        for cmd in &commands {
            assert!(
                known.contains(&shape(cmd)),
                "`{cmd}` is not in tests/macos_commands.md"
            );
            assert!(!cmd.contains('<'), "placeholder or redirect in `{cmd}`");
            // zsh is what macOS users run (their default shell); CI installs it.
            gohost_e2e::macos_commands::assert_parses(cmd, "ane");
        }
    }
}

#[cfg(test)]
mod explain_tests {
    /// Issue 13: under Rosetta the brand string still names the Apple chip (FACTS.md, fixture
    /// m1-rosetta-monterey-sysctl-hw-machdep.txt); the probe builds for the native arch.
    #[test]
    fn explain_texts_hold_no_audited_claims() {
        let checks = gohost_plugin_api::registered_checks("ane");
        assert_eq!(checks.len(), 3);
        let all: String = checks
            .iter()
            .map(|c| c.explain)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!all.contains("does not name"), "{all}");
        assert!(all.contains("even under Rosetta"), "{all}");
        assert!(all.contains("native architecture"), "{all}");
        assert!(all.contains("not in the table"), "{all}");
    }
}

//! One module per check; each registers itself with `inventory` next to its code.

pub mod cache;
pub mod config;
pub mod goroot_authentic;
pub mod gosum;
pub mod lookup;
pub mod tree_head;

/// Test support: every remediation command parses in bash and zsh (the macOS default shell),
/// holds no `<placeholder>` (which a shell would take as a redirect), and is counted.
#[cfg(test)]
pub(crate) fn assert_commands_parse(findings: &[gohost_plugin_api::Finding]) -> usize {
    let mut n = 0;
    for f in findings {
        let Some(r) = f.remediation.clone().into_option() else {
            continue;
        };
        for cmd in r.commands.iter() {
            let cmd = cmd.as_str();
            assert!(
                !cmd.contains(" <") && !cmd.contains("=<"),
                "placeholder in `{cmd}`"
            );
            gohost_e2e::macos_commands::assert_parses(cmd, "sumdb");
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod explain_tests {
    /// The explain pages repeat none of the claims issue 13 found false or misleading, and
    /// state the true ones (sources cited in each check's module).
    #[test]
    fn explain_texts_hold_no_audited_claims() {
        let checks = gohost_plugin_api::registered_checks("sumdb");
        assert_eq!(checks.len(), 6);
        let all: String = checks
            .iter()
            .map(|c| c.explain)
            .collect::<Vec<_>>()
            .join("\n");
        for false_claim in [
            "uses its default",
            "clean -modcache",
            "refuses to build",
            "The go command refuses a malformed go.sum",
        ] {
            assert!(
                !all.contains(false_claim),
                "{false_claim:?} in an explain text"
            );
        }
        for true_claim in [
            "$GOROOT/go.env",
            "contains no entries",
            "keepSums",
            "never a pass",
        ] {
            assert!(
                all.contains(true_claim),
                "{true_claim:?} missing from the explain texts"
            );
        }
    }
}

//! One file per check. Each file registers its check with `inventory::submit!` next to its
//! code and splits it in two: `gather(ctx) -> Observations` does all the probing, and the
//! pure `judge(&Observations) -> Vec<Finding>` draws the verdict, so verdicts are tested as
//! data → findings tables in the same file.

pub mod go_binary_arch;
pub mod go_env_file;
pub mod go_on_path;
pub mod goarch;
pub mod gobin_on_path;
pub mod gotoolchain;
pub mod lc_uuid_binaries;
pub mod lc_uuid_go;
pub mod release_support;
pub mod version_goroot;

/// Test support for judge tables whose rows are `(name, observations, status, first
/// command)`: each row must give exactly one finding with that status and, when given, that
/// first remediation command; no command may contain `never` (a fix the table rules out).
#[cfg(test)]
pub(crate) fn assert_judge_table<O>(
    rows: Vec<(&str, O, gohost_plugin_api::Status, Option<&str>)>,
    judge: fn(&O) -> Vec<gohost_plugin_api::Finding>,
    never: &str,
) {
    for (name, o, want, first_cmd) in rows {
        let got = judge(&o);
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(got[0].status, want, "{name}: {:#?}", got[0]);
        let cmds: Vec<String> = got[0]
            .remediation
            .clone()
            .into_option()
            .map(|r| r.commands.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default();
        assert!(!cmds.iter().any(|c| c.contains(never)), "{name}: {cmds:?}");
        if let Some(cmd) = first_cmd {
            assert_eq!(cmds.first().map(String::as_str), Some(cmd), "{name}");
        }
    }
}

//! The probe answers the checks' `gather` functions record, as plain data, and the helpers that
//! read them through the host. A `judge` sees only these values, so every verdict can be tested
//! from a table, and a missing answer is visible as such (never as an empty value).

use std::time::Duration;

use gohost_plugin_api::{Command, Ctx, Finding, Output, ProbeErrorKind};

use crate::Obs;

/// How long a sudo-free macOS command may take.
pub const SHORT: Duration = Duration::from_secs(5);

/// A command's answer: its standard output when it ran and exited 0, else why not.
pub type Said = Result<String, String>;

/// A file's answer. `Absent` is only a recorded "does not exist"; anything else that kept the
/// contents from us (permission, timeout, not recorded in a snapshot) is `Failed`.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Text(String),
    Absent,
    Failed(String),
}

impl Read {
    /// The trimmed contents, when there are any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Read::Text(t) => Some(t.trim()),
            _ => None,
        }
    }
}

pub fn read(ctx: &Ctx<'_>, path: &str) -> Read {
    match ctx.read_to_string(path) {
        Ok(t) => Read::Text(t),
        Err(e) if e.kind == ProbeErrorKind::NotFound => Read::Absent,
        Err(e) => Read::Failed(format!("{path}: {e}")),
    }
}

/// A directory's entry names: Ok(names), Err(None) when it does not exist, Err(Some(why))
/// when it could not be listed.
pub type Listing = Result<Vec<String>, Option<String>>;

pub fn list(ctx: &Ctx<'_>, path: &str) -> Listing {
    match ctx.read_dir(path) {
        Ok(entries) => Ok(entries.into_iter().map(|e| e.name.to_string()).collect()),
        Err(e) if e.kind == ProbeErrorKind::NotFound => Err(None),
        Err(e) => Err(Some(format!("{path}: {e}"))),
    }
}

/// The `cpuN` directories of /sys/devices/system/cpu, in numeric order.
pub fn cpu_dirs(listing: &Listing) -> Vec<String> {
    let mut v: Vec<String> = listing
        .as_ref()
        .map(|names| {
            names
                .iter()
                .filter(|n| {
                    n.strip_prefix("cpu")
                        .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    v.sort_by_key(|n| n[3..].parse::<u32>().unwrap_or(u32::MAX));
    v
}

/// Run a command with a timeout; Err when it could not run or timed out.
pub fn run(ctx: &Ctx<'_>, command: Command, timeout: Duration) -> Result<Output, String> {
    let command = command.timeout(timeout);
    let line = command
        .request()
        .argv
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let out = ctx
        .exec(&command)
        .map_err(|e| format!("`{line}` could not run: {e}"))?;
    if out.raw.exit.timed_out {
        return Err(format!("`{line}` timed out after {timeout:?}"));
    }
    Ok(out)
}

/// Run a short command that must exit 0; its stdout, or why not.
pub fn say(ctx: &Ctx<'_>, argv: &[&str]) -> Said {
    let out = run(ctx, Command::new(argv.iter().copied()), SHORT)?;
    if !out.success() {
        return Err(format!(
            "`{}` ended with {}: {}",
            argv.join(" "),
            out.describe_exit(),
            out.stderr.trim()
        ));
    }
    Ok(out.stdout)
}

/// "Could not read X": a skip that is an unknown for the verdict.
pub fn cannot(what: &str, why: impl Into<String>) -> Obs {
    Obs::new(Finding::skip(format!("Could not read {what}")).detail(why.into()))
        .unknown(what.to_owned())
}

/// Paths in remediation commands come from the machine (cgroup names are chosen by whoever
/// made the cgroup), so they are always passed through the plugin API's one shell quoting.
pub use gohost_plugin_api::shell::quote as shell_quote;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(
            shell_quote("/sys/fs/cgroup/cpu/a.slice/cpu.stat"),
            "/sys/fs/cgroup/cpu/a.slice/cpu.stat"
        );
        assert_eq!(
            shell_quote("/x/a b;rm -rf ~/cpu.stat"),
            "'/x/a b;rm -rf ~/cpu.stat'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}

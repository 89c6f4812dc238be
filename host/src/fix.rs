//! `gohost fix`: apply the remediations that are safe to apply and to undo, show the rest.
//!
//! It is **not** a command runner for plugins. A remediation is a list of shell commands a
//! plugin wrote; `fix` reads them against a closed grammar of changes the host knows how to
//! make and undo, and applies a remediation only when every one of its commands is in it:
//!
//! - `go env -u NAME…` and `go env -w NAME=VALUE…`: the go command edits its own env file
//!   (the one `go env GOENV` names); gohost backs that file up first. `-w` only for the
//!   variables the checks set ([`WRITABLE`]), and GOFLAGS never with a flag that runs or
//!   reads something else ([`GOFLAGS_REFUSED`]);
//! - `awk 'index($0, "NAME=") != 1' FILE > TMP && mv TMP FILE`, the portable "delete the NAME
//!   line" the toolchain plugin prints where `go env -u` cannot work (Go 1.27 refuses
//!   `go env -u GOROOT`): gohost makes that edit itself, only when FILE is the go env file,
//!   after a backup, by an atomic rename;
//! - `go env [NAME…]` and `go version`, which only read, to show the result.
//!
//! Anything else — `unset`, profile edits, `sudo`, installers, removals — is shown for the
//! user to run, with the reason it was not applied. So a plugin (or a snapshot, or a `go`
//! that prints something odd) can never make `gohost fix` run a program of its choosing,
//! delete a file, or change anything but one named line of the go env file.
//!
//! Dry run by default; `--yes` applies, then runs the affected checks again and reports
//! before → after.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gohost_plugin_api::{Finding, Status};
use serde::Serialize;

use crate::report::{self, Report};

mod render;

pub use render::{render_human, render_json, render_junit, render_markdown};

/// Exit code when a change could not be applied (its backup, if any, is kept and named).
pub const EXIT_ACTION_FAILED: i32 = 4;

/// One change (or read-only command) `fix` knows how to carry out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// `go env -u NAME…`.
    GoEnvUnset { names: Vec<String> },
    /// `go env -w NAME=VALUE…`.
    GoEnvWrite { assignments: Vec<(String, String)> },
    /// Delete every line of the go env file that starts with `NAME=`.
    RemoveEnvLine { file: PathBuf, name: String },
    /// A command that only reads (`go env NAME`, `go version`).
    Show { argv: Vec<String> },
}

impl Action {
    /// What the action does, in the words a user would type or read.
    pub fn describe(&self) -> String {
        match self {
            Action::GoEnvUnset { names } => format!("go env -u {}", names.join(" ")),
            Action::GoEnvWrite { assignments } => {
                let words: Vec<String> = assignments
                    .iter()
                    .map(|(n, v)| shell_quote(&format!("{n}={v}")))
                    .collect();
                format!("go env -w {}", words.join(" "))
            }
            Action::RemoveEnvLine { file, name } => format!(
                "remove the line starting with {name}= from {}",
                file.display()
            ),
            Action::Show { argv } => argv.join(" "),
        }
    }

    fn changes_env_file(&self) -> bool {
        !matches!(self, Action::Show { .. })
    }
}

/// Why a remediation is left to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicable {
    pub command: String,
    pub reason: String,
}

fn shell_quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| format!("{word:?}"), |q| q.into_owned())
}

fn is_env_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The variables the checks set with `go env -w`: the module proxy and checksum database
/// settings (sumdb), GOTOOLCHAIN (toolchain), GOFLAGS (sumdb's `-trimpath`, or flags kept),
/// GOARM64 (arch) and CC (cgo). `fix` refuses to write any other: it applies what the checks
/// were written to suggest, not any variable a remediation's text names. Plugins are trusted
/// code, but the values they print echo what they observed; the list bounds what such a value
/// can reach (GOROOT, GOBIN, GOENV, GOCACHEPROG and the like are never written).
const WRITABLE: &[&str] = &[
    "GOTOOLCHAIN",
    "GOPROXY",
    "GOSUMDB",
    "GONOSUMDB",
    "GONOPROXY",
    "GOPRIVATE",
    "GOINSECURE",
    "GOFLAGS",
    "GOARM64",
    "CC",
];

/// Build flags that make every go command run another program or read other files in place of
/// the ones named (`go help build`: -toolexec runs a program for each tool, -exec runs test and
/// run binaries through one, -overlay replaces source files, -modfile another go.mod): no check
/// suggests them, and persisted in GOFLAGS they would apply to every build.
const GOFLAGS_REFUSED: &[&str] = &["-toolexec", "-exec", "-overlay", "-modfile"];

fn refused_goflag(value: &str) -> Option<&'static str> {
    value.split_whitespace().find_map(|word| {
        // Go's flag package takes `-name` and `--name`, with or without `=value`.
        let flag = word.strip_prefix("--").or_else(|| word.strip_prefix('-'))?;
        let name = flag.split('=').next().unwrap_or(flag);
        GOFLAGS_REFUSED
            .iter()
            .find(|r| r.trim_start_matches('-') == name)
            .copied()
    })
}

/// Read one remediation command against the grammar in the module docs.
pub fn parse_command(command: &str) -> Result<Action, NotApplicable> {
    let refuse = |reason: &str| NotApplicable {
        command: command.to_owned(),
        reason: reason.to_owned(),
    };
    let words = shlex::split(command).ok_or_else(|| refuse("its quoting does not parse"))?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["go", "env", "-u", names @ ..] if !names.is_empty() => {
            if let Some(bad) = names.iter().find(|n| !is_env_name(n)) {
                return Err(refuse(&format!("`{bad}` is not a variable name")));
            }
            Ok(Action::GoEnvUnset {
                names: names.iter().map(|s| (*s).to_owned()).collect(),
            })
        }
        ["go", "env", "-w", pairs @ ..] if !pairs.is_empty() => {
            let mut assignments = Vec::new();
            for pair in pairs {
                let Some((name, value)) = pair.split_once('=') else {
                    return Err(refuse(&format!("`{pair}` is not NAME=VALUE")));
                };
                if !is_env_name(name) {
                    return Err(refuse(&format!("`{name}` is not a variable name")));
                }
                if !WRITABLE.contains(&name) {
                    return Err(refuse(&format!(
                        "gohost fix writes only the variables its checks set ({}), not {name}",
                        WRITABLE.join(", ")
                    )));
                }
                if name == "GOFLAGS" {
                    if let Some(flag) = refused_goflag(value) {
                        return Err(refuse(&format!(
                            "GOFLAGS with {flag} would make every go command run or read something else: not applied"
                        )));
                    }
                }
                assignments.push((name.to_owned(), value.to_owned()));
            }
            Ok(Action::GoEnvWrite { assignments })
        }
        ["go", "version"] => Ok(Action::Show {
            argv: vec!["go".into(), "version".into()],
        }),
        ["go", "env", names @ ..] if names.iter().all(|n| is_env_name(n)) => Ok(Action::Show {
            argv: words.iter().map(|s| (*s).to_owned()).collect(),
        }),
        ["awk", program, file, ">", tmp, "&&", "mv", tmp2, file2]
            if tmp == tmp2 && file == file2 =>
        {
            let name = program
                .strip_prefix("index($0, \"")
                .and_then(|rest| rest.strip_suffix("=\") != 1"))
                .filter(|name| is_env_name(name))
                .ok_or_else(|| refuse("the awk program is not the delete-one-line form"))?;
            Ok(Action::RemoveEnvLine {
                file: PathBuf::from(file),
                name: name.to_owned(),
            })
        }
        [first, ..] if *first == "sudo" => Err(refuse("gohost fix never uses sudo")),
        [first, ..] if *first == "unset" || *first == "export" => Err(refuse(
            "it changes your shell's environment, which only your shell (or its profile) can do",
        )),
        _ => Err(refuse(
            "gohost fix applies only `go env -u`, `go env -w` and deleting a line of the go env file",
        )),
    }
}

/// A problem found, and what `fix` does about it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub check: String,
    pub status: Status,
    pub title: String,
    /// The remediation's own words.
    pub advice: String,
    /// The commands as the check printed them.
    pub commands: Vec<String>,
    /// Set when every command is one `fix` can carry out.
    pub actions: Option<Vec<Action>>,
    /// Why it is left to the user, when it is.
    pub manual_reason: Option<String>,
    /// After `--yes`: whether the check no longer reports this problem (None in a dry run).
    pub resolved: Option<bool>,
}

/// One check's worst status before and after `--yes`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckChange {
    pub check: String,
    pub before: Status,
    pub after: Option<Status>,
    /// The title of the check's worst finding after the fix.
    pub title_after: Option<String>,
}

/// What happened to one distinct action.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub action: Action,
    /// A copy of the go env file taken before the change.
    pub backup: Option<PathBuf>,
    pub ok: bool,
    /// Output, or what went wrong.
    pub output: String,
}

/// The report of one `gohost fix`.
#[derive(Debug, Clone, Serialize)]
pub struct FixReport {
    pub schema: &'static str,
    /// `dry-run` or `apply`.
    pub mode: &'static str,
    pub items: Vec<Item>,
    pub applied: Vec<Applied>,
    /// Every check with a problem, before → after (after only with `--yes`).
    pub checks: Vec<CheckChange>,
    pub exit_code: i32,
}

impl Action {
    fn map_text(&self, f: &dyn Fn(&str) -> String) -> Action {
        match self {
            Action::GoEnvUnset { names } => Action::GoEnvUnset {
                names: names.iter().map(|n| f(n)).collect(),
            },
            Action::GoEnvWrite { assignments } => Action::GoEnvWrite {
                assignments: assignments.iter().map(|(n, v)| (f(n), f(v))).collect(),
            },
            Action::RemoveEnvLine { file, name } => Action::RemoveEnvLine {
                file: PathBuf::from(f(&file.to_string_lossy())),
                name: f(name),
            },
            Action::Show { argv } => Action::Show {
                argv: argv.iter().map(|a| f(a)).collect(),
            },
        }
    }
}

impl FixReport {
    /// A copy for display with every string passed through `f` (the report's secret
    /// redaction): the plan itself keeps the real values, which is what gets applied.
    pub fn map_text(&self, f: &dyn Fn(&str) -> String) -> FixReport {
        let path = |p: &PathBuf| PathBuf::from(f(&p.to_string_lossy()));
        FixReport {
            schema: self.schema,
            mode: self.mode,
            items: self
                .items
                .iter()
                .map(|i| Item {
                    check: f(&i.check),
                    status: i.status,
                    title: f(&i.title),
                    advice: f(&i.advice),
                    commands: i.commands.iter().map(|c| f(c)).collect(),
                    actions: i
                        .actions
                        .as_ref()
                        .map(|a| a.iter().map(|a| a.map_text(f)).collect()),
                    manual_reason: i.manual_reason.as_deref().map(f),
                    resolved: i.resolved,
                })
                .collect(),
            applied: self
                .applied
                .iter()
                .map(|a| Applied {
                    action: a.action.map_text(f),
                    backup: a.backup.as_ref().map(path),
                    ok: a.ok,
                    output: f(&a.output),
                })
                .collect(),
            checks: self
                .checks
                .iter()
                .map(|c| CheckChange {
                    check: f(&c.check),
                    before: c.before,
                    after: c.after,
                    title_after: c.title_after.as_deref().map(f),
                })
                .collect(),
            exit_code: self.exit_code,
        }
    }
}

/// The problems in `report` (fail and warn findings with a remediation), each planned.
pub fn plan(report: &Report) -> Vec<Item> {
    let mut items = Vec::new();
    for finding in report.plugins.iter().flat_map(|p| p.findings.iter()) {
        if !matches!(finding.status, Status::Fail | Status::Warn) {
            continue;
        }
        items.push(plan_finding(finding));
    }
    items
}

fn plan_finding(finding: &Finding) -> Item {
    let remediation = finding.remediation.as_ref().into_option();
    let commands: Vec<String> = remediation
        .map(|r| r.commands.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let mut item = Item {
        check: finding.check.to_string(),
        status: finding.status,
        title: finding.title.to_string(),
        advice: remediation.map(|r| r.text.to_string()).unwrap_or_default(),
        commands: commands.clone(),
        actions: None,
        manual_reason: None,
        resolved: None,
    };
    if commands.is_empty() {
        item.manual_reason = Some("the check gives no command to run".into());
        return item;
    }
    let parsed: Result<Vec<Action>, NotApplicable> =
        commands.iter().map(|c| parse_command(c)).collect();
    match parsed {
        Ok(actions) if actions.iter().any(Action::changes_env_file) => item.actions = Some(actions),
        Ok(_) => {
            item.manual_reason = Some("its commands only show state; nothing to change".into())
        }
        Err(n) => {
            item.manual_reason = Some(format!("`{}`: {}", n.command, n.reason));
        }
    }
    item
}

/// The distinct actions of the fixable items, in first-seen order.
pub fn distinct_actions(items: &[Item]) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for action in items.iter().filter_map(|i| i.actions.as_ref()).flatten() {
        if !out.contains(action) {
            out.push(action.clone());
        }
    }
    out
}

/// The go env file `go env GOENV` names (None when go cannot say, or says `off`).
fn go_env_file() -> Result<Option<PathBuf>, String> {
    let out = Command::new("go")
        .args(["env", "GOENV"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `go env GOENV`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`go env GOENV` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok((!path.is_empty() && path != "off").then(|| PathBuf::from(path)))
}

/// Copy `file` next to itself under a name no other file has; the copy's path.
fn back_up(file: &Path) -> Result<PathBuf, String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let contents =
        std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    for n in 0..100 {
        let mut name = file.as_os_str().to_owned();
        name.push(format!(".gohost-backup-{stamp}"));
        if n > 0 {
            name.push(format!("-{n}"));
        }
        let backup = PathBuf::from(name);
        // create_new: a backup never overwrites anything.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&backup)
        {
            Ok(mut f) => {
                use std::io::Write as _;
                f.write_all(&contents)
                    .map_err(|e| format!("cannot write {}: {e}", backup.display()))?;
                if let Ok(meta) = std::fs::metadata(file) {
                    let _ = std::fs::set_permissions(&backup, meta.permissions());
                }
                return Ok(backup);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", backup.display())),
        }
    }
    Err(format!("no free backup name next to {}", file.display()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Delete the lines starting with `NAME=` from `file`, by writing a sibling and renaming it.
fn remove_line(file: &Path, name: &str) -> Result<usize, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let prefix = format!("{name}=");
    let mut removed = 0;
    let mut kept = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with(&prefix) {
            removed += 1;
        } else {
            kept.push_str(line);
        }
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    std::fs::write(tmp.path(), kept)
        .map_err(|e| format!("cannot write {}: {e}", tmp.path().display()))?;
    if let Ok(meta) = std::fs::metadata(file) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(file)
        .map_err(|e| format!("cannot replace {}: {e}", file.display()))?;
    Ok(removed)
}

fn run_go(argv: &[String]) -> Result<String, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("empty command".into());
    };
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", argv.join(" ")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .trim()
    .to_owned();
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("`{}` failed: {text}", argv.join(" ")))
    }
}

/// Carry out one action: back up the go env file it changes, then change it.
pub fn apply(action: &Action) -> Applied {
    let mut applied = Applied {
        action: action.clone(),
        backup: None,
        ok: false,
        output: String::new(),
    };
    let env_file = if action.changes_env_file() {
        match go_env_file() {
            Ok(f) => f,
            Err(e) => {
                applied.output = e;
                return applied;
            }
        }
    } else {
        None
    };
    if let Some(file) = env_file.as_deref().filter(|f| f.is_file()) {
        match back_up(file) {
            Ok(b) => applied.backup = Some(b),
            Err(e) => {
                applied.output = e;
                return applied;
            }
        }
    }
    let result = match action {
        Action::GoEnvUnset { names } => {
            let mut argv: Vec<String> = vec!["go".into(), "env".into(), "-u".into()];
            argv.extend(names.iter().cloned());
            run_go(&argv)
        }
        Action::GoEnvWrite { assignments } => {
            let mut argv: Vec<String> = vec!["go".into(), "env".into(), "-w".into()];
            argv.extend(assignments.iter().map(|(n, v)| format!("{n}={v}")));
            run_go(&argv)
        }
        Action::Show { argv } => run_go(argv),
        Action::RemoveEnvLine { file, name } => match env_file.as_deref() {
            Some(env) if same_file(env, file) => remove_line(file, name)
                .map(|n| format!("removed {n} line(s) starting with {name}=")),
            Some(env) => Err(format!(
                "{} is not the go env file (`go env GOENV` is {}): gohost edits only that file",
                file.display(),
                env.display()
            )),
            None => Err("`go env GOENV` names no file: nothing to edit".into()),
        },
    };
    match result {
        Ok(out) => {
            applied.ok = true;
            applied.output = out;
        }
        Err(e) => applied.output = e,
    }
    applied
}

/// Whether `after` still reports `item`'s problem: a fail or warn of the same check with the
/// same title.
pub fn still_reported(after: &Report, item: &Item) -> bool {
    after
        .plugins
        .iter()
        .flat_map(|p| p.findings.iter())
        .any(|f| {
            f.check.as_str() == item.check
                && f.title.as_str() == item.title
                && matches!(f.status, Status::Fail | Status::Warn)
        })
}

/// Every check with a problem in `items`, with its worst status in `before` and `after`.
pub fn check_changes(items: &[Item], before: &Report, after: Option<&Report>) -> Vec<CheckChange> {
    let mut checks: Vec<&str> = items.iter().map(|i| i.check.as_str()).collect();
    checks.sort_unstable();
    checks.dedup();
    checks
        .into_iter()
        .filter_map(|check| {
            let (before_status, _) = worst(before, check)?;
            let after = after.and_then(|a| worst(a, check));
            Some(CheckChange {
                check: check.to_owned(),
                before: before_status,
                after: after.as_ref().map(|(s, _)| *s),
                title_after: after.map(|(_, t)| t),
            })
        })
        .collect()
}

/// Worst status of `check` in `report` (error > fail > warn > skip > info > pass), and the
/// title of that finding.
pub fn worst(report: &Report, check: &str) -> Option<(Status, String)> {
    let rank = |s: Status| match s {
        Status::Error => 5,
        Status::Fail => 4,
        Status::Warn => 3,
        Status::Skip => 2,
        Status::Info => 1,
        _ => 0,
    };
    report
        .plugins
        .iter()
        .flat_map(|p| p.findings.iter())
        .filter(|f| f.check.as_str() == check)
        .max_by_key(|f| rank(f.status))
        .map(|f| (f.status, f.title.to_string()))
}

/// The exit code: 0 nothing left to fix, 1 problems remain (in a dry run: anything to fix),
/// [`EXIT_ACTION_FAILED`] a change failed.
pub fn exit_code(report: &FixReport) -> i32 {
    if report.applied.iter().any(|a| !a.ok) {
        return EXIT_ACTION_FAILED;
    }
    let remaining = report.items.iter().any(|i| i.resolved != Some(true));
    i32::from(remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(cmd: &str) -> Action {
        parse_command(cmd).unwrap_or_else(|n| panic!("{cmd}: {}", n.reason))
    }

    #[test]
    fn the_grammar_accepts_only_what_fix_can_undo() {
        assert_eq!(
            action("go env -u GOARCH GOOS"),
            Action::GoEnvUnset {
                names: vec!["GOARCH".into(), "GOOS".into()]
            }
        );
        assert_eq!(
            action("go env -w 'GOPROXY=https://proxy.golang.org,direct'"),
            Action::GoEnvWrite {
                assignments: vec![("GOPROXY".into(), "https://proxy.golang.org,direct".into())]
            }
        );
        assert_eq!(
            action(
                "awk 'index($0, \"GOROOT=\") != 1' '/home/a b/.config/go/env' > '/home/a b/.config/go/env.gohost-tmp' && mv '/home/a b/.config/go/env.gohost-tmp' '/home/a b/.config/go/env'"
            ),
            Action::RemoveEnvLine {
                file: "/home/a b/.config/go/env".into(),
                name: "GOROOT".into()
            }
        );
        // What the checks print is applied (sumdb config.rs, toolchain gotoolchain.rs, arch
        // goarm64.rs, cgo compiler.rs).
        for accepted in [
            "go env -w GOFLAGS=-trimpath",
            "go env -w 'GOFLAGS=-mod=mod -trimpath'",
            "go env -w GOFLAGS=",
            "go env -w GOSUMDB=sum.golang.org",
            "go env -w GONOSUMDB= GOPRIVATE=example.com/private",
            "go env -w GONOPROXY= GOINSECURE=",
            "go env -w GOTOOLCHAIN=auto",
            "go env -w GOARM64=v8.0",
            "go env -w CC=clang",
        ] {
            assert!(
                matches!(action(accepted), Action::GoEnvWrite { .. }),
                "{accepted}"
            );
        }
        assert!(matches!(action("go env GOARCH"), Action::Show { .. }));
        assert!(matches!(action("go version"), Action::Show { .. }));

        for refused in [
            "unset GOARCH",
            "sudo rm -rf /usr/local/go",
            "rm -rf ~/go",
            "go env -u 'GOARCH; rm -rf /'",
            "go env -w GOARCH",
            "go env -u",
            "go clean -modcache",
            "go env -u GOARCH && rm x",
            "awk 'index($0, \"GOROOT=\") != 1' /a > /t && mv /t /b",
            "awk '{print}' /a > /t && mv /t /a",
            "echo 'export PATH=$PATH:~/go/bin' >> ~/.zprofile",
            "go env -u 'GOARCH",
            // Variables no check sets, and GOFLAGS that run or read something else.
            "go env -w GOROOT=/tmp/evil",
            "go env -w GOCACHEPROG=/tmp/evil",
            "go env -w GOPROXY=https://proxy.golang.org GOENV=/tmp/env",
            "go env -w GOFLAGS=-toolexec=/tmp/evil",
            "go env -w 'GOFLAGS=-trimpath --toolexec /tmp/evil'",
            "go env -w GOFLAGS=-overlay=/tmp/o.json",
            "go env -w 'GOFLAGS=-mod=mod -modfile=/tmp/go.mod'",
            "go env -w GOFLAGS=-exec=/tmp/evil",
        ] {
            assert!(
                parse_command(refused).is_err(),
                "{refused} must not be applied"
            );
        }
    }

    #[test]
    fn remove_line_keeps_every_other_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("env");
        std::fs::write(
            &file,
            "GOARCH=arm64\nGOROOT=/old\nGOROOTX=keep\nGOFLAGS=-x\nGOROOT=/dup",
        )
        .expect("write");
        assert_eq!(remove_line(&file, "GOROOT"), Ok(2));
        assert_eq!(
            std::fs::read_to_string(&file).expect("read"),
            "GOARCH=arm64\nGOROOTX=keep\nGOFLAGS=-x\n"
        );
        let backup = back_up(&file).expect("backup");
        let second = back_up(&file).expect("a second backup gets its own name");
        assert_ne!(backup, second);
        assert_eq!(std::fs::read(&backup).ok(), std::fs::read(&file).ok());
    }
}

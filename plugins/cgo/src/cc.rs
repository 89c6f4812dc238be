//! The C compiler `go env CC` names: found on PATH, its target triple (`-dumpmachine`) and
//! version line, or why it cannot be used.

use std::time::Duration;

use gohost_plugin_api::{Command, Ctx, ProbeErrorKind};

use crate::binary::normalize_arch;
use crate::goenv::GoEnv;
use crate::probe::tail;

/// A resolved C compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Compiler {
    /// `go env CC` as written (may carry arguments).
    pub spec: String,
    pub path: Option<String>,
    pub triple: Option<String>,
    pub version_line: Option<String>,
    pub problem: Option<String>,
    /// A decisive answer is missing (not recorded, unreadable): nothing can be said.
    pub unknown: Option<String>,
}

pub(crate) fn xcode_ok(ctx: &Ctx<'_>) -> Option<bool> {
    ctx.run(&["xcode-select", "-p"]).ok().map(|o| o.success())
}

pub(crate) fn resolve_cc(ctx: &Ctx<'_>, macos: bool, env: &GoEnv) -> Compiler {
    let spec = env.get("CC");
    let argv: Vec<String> = spec.split_whitespace().map(str::to_owned).collect();
    let mut c = Compiler {
        spec: spec.clone(),
        path: None,
        triple: None,
        version_line: None,
        problem: None,
        unknown: None,
    };
    let Some(first) = argv.first() else {
        c.problem = Some("`go env CC` is empty".into());
        return c;
    };
    c.path = if first.contains('/') {
        match ctx.file_info(first) {
            Ok(_) => Some(first.clone()),
            Err(e) if e.kind == ProbeErrorKind::NotFound => None,
            Err(e) => {
                c.unknown = Some(format!("could not look at {first}: {e}"));
                return c;
            }
        }
    } else {
        ctx.which(first)
    };
    let Some(path) = c.path.clone() else {
        c.problem = Some(format!("`{first}` is not found"));
        return c;
    };
    // /usr/bin/clang and cc on macOS are stubs that pop up an installer dialog when the
    // Command Line Tools are missing: never run them then.
    if macos && path.starts_with("/usr/bin/") && xcode_ok(ctx) == Some(false) {
        c.problem = Some("no developer tools: `xcode-select -p` fails, so the /usr/bin stub would only offer to install them".into());
        return c;
    }
    let mut dump = vec![path.clone()];
    dump.extend(argv.iter().skip(1).cloned());
    dump.push("-dumpmachine".into());
    match ctx.exec(&Command::new(dump.clone()).timeout(Duration::from_secs(20))) {
        Ok(o) if o.success() && !o.stdout.trim().is_empty() => {
            c.triple = Some(o.stdout.trim().to_owned())
        }
        Ok(o) => {
            c.problem = Some(format!(
                "`{}` failed ({}): {}",
                dump.join(" "),
                o.describe_exit(),
                tail(&o.stderr, 400)
            ))
        }
        // Replaying a snapshot without this command: nothing is known, nothing is wrong.
        Err(e) if e.kind == ProbeErrorKind::NotRecorded => {
            c.unknown = Some(format!("`{}` was not recorded", dump.join(" ")));
            return c;
        }
        Err(e) => c.problem = Some(format!("could not run {path}: {e}")),
    }
    let mut ver = vec![path.clone()];
    ver.extend(argv.iter().skip(1).cloned());
    ver.push("--version".into());
    if let Ok(o) = ctx.exec(&Command::new(ver).timeout(Duration::from_secs(20))) {
        if o.success() {
            c.version_line = o.stdout.lines().next().map(str::to_owned);
        }
    }
    c
}

/// The Go architecture of a target triple (`x86_64-linux-gnu`, `arm64-apple-darwin22.4.0`).
pub fn triple_arch(triple: &str) -> String {
    normalize_arch(triple.split('-').next().unwrap_or(triple))
}

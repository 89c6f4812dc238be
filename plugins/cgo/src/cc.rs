//! The C compiler `go env CC` names: found on PATH, its target triple (`-dumpmachine`) and
//! version line, or why it cannot be used.

use std::time::Duration;

use gohost_plugin_api::{Command, Ctx, Facts, ProbeErrorKind};

use crate::binary::normalize_arch;
use crate::cache::{base_fingerprint, cc_from_cache, cc_key, cc_to_cache, now_secs};
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
    /// `triple` and `version_line` came from the result cache (an earlier run's answers under
    /// the same fingerprint), not from running the compiler now.
    pub cached: bool,
}

impl Compiler {
    /// Found and not yet known to be unusable: running it (or its cached answers) tells more.
    fn needs_identity(&self) -> bool {
        self.path.is_some()
            && self.problem.is_none()
            && self.unknown.is_none()
            && self.triple.is_none()
    }
}

/// This run's compiler, once known (shared by `cgo.compiler` and `cgo.build`).
#[derive(Debug)]
struct Resolved(Compiler);

/// The compiler, resolved once per plugin run: located, then identified from the cache when
/// an earlier run stored its identity under the same fingerprint, else by running it.
pub(crate) fn resolve_cc(ctx: &Ctx<'_>, facts: &Facts, macos: bool, env: &GoEnv) -> Compiler {
    let (c, done) = known_cc(ctx, facts, macos, env);
    if done {
        c
    } else {
        identify_cc(ctx, facts, env, c)
    }
}

/// The compiler as far as it is known without running it, and whether that is all there is
/// to know (`false`: [`identify_cc`] must still run it). Lets `cgo.build` start its build
/// while the compiler is asked (issue 14 item 2).
pub(crate) fn known_cc(ctx: &Ctx<'_>, facts: &Facts, macos: bool, env: &GoEnv) -> (Compiler, bool) {
    if let Some(r) = ctx.memo_get::<Resolved>() {
        return (r.0.clone(), true);
    }
    let mut c = locate_cc(ctx, macos, env);
    if !c.needs_identity() {
        ctx.memo_put(Resolved(c.clone()));
        return (c, true);
    }
    if let Some(key) = identity_key(ctx, facts, env, &c) {
        if let Some((triple, version)) = ctx
            .cache_get(&key)
            .and_then(|t| cc_from_cache(&t, now_secs()))
        {
            c.triple = Some(triple);
            c.version_line = version;
            c.cached = true;
            ctx.memo_put(Resolved(c.clone()));
            return (c, true);
        }
    }
    (c, false)
}

/// Run the located compiler (`-dumpmachine` and `--version`, side by side), remember the
/// answer for this run, and cache a usable identity.
pub(crate) fn identify_cc(ctx: &Ctx<'_>, facts: &Facts, env: &GoEnv, mut c: Compiler) -> Compiler {
    identify(ctx, &mut c);
    if c.triple.is_some() && c.problem.is_none() && c.unknown.is_none() {
        if let Some(key) = identity_key(ctx, facts, env, &c) {
            ctx.cache_put(
                &key,
                &cc_to_cache(
                    c.triple.as_deref().unwrap_or_default(),
                    c.version_line.as_deref(),
                    now_secs(),
                ),
            );
        }
    }
    ctx.memo_put(Resolved(c.clone()));
    c
}

/// The cache key of the compiler's identity; none when the run must not use the cache
/// (a replay never reads or writes it; `--no-cache` neither).
fn identity_key(ctx: &Ctx<'_>, facts: &Facts, env: &GoEnv, c: &Compiler) -> Option<String> {
    let options = ctx.options();
    (!options.replay && !options.no_cache)
        .then(|| cc_key(&base_fingerprint(ctx, facts, env, c.path.as_deref())))
}

pub(crate) fn xcode_ok(ctx: &Ctx<'_>) -> Option<bool> {
    ctx.run(&["xcode-select", "-p"]).ok().map(|o| o.success())
}

/// Where `go env CC` points, and whether it can be run at all (no compiler is run).
fn locate_cc(ctx: &Ctx<'_>, macos: bool, env: &GoEnv) -> Compiler {
    let spec = env.get("CC");
    let argv: Vec<String> = spec.split_whitespace().map(str::to_owned).collect();
    let mut c = Compiler {
        spec: spec.clone(),
        path: None,
        triple: None,
        version_line: None,
        problem: None,
        unknown: None,
        cached: false,
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
    c
}

/// `<cc> -dumpmachine` and `<cc> --version`, run at the same time (each is a compiler
/// driver start; neither depends on the other).
fn identify(ctx: &Ctx<'_>, c: &mut Compiler) {
    let Some(path) = c.path.clone() else { return };
    let argv: Vec<String> = c.spec.split_whitespace().map(str::to_owned).collect();
    let mut dump = vec![path.clone()];
    dump.extend(argv.iter().skip(1).cloned());
    dump.push("-dumpmachine".into());
    let mut ver = vec![path.clone()];
    ver.extend(argv.iter().skip(1).cloned());
    ver.push("--version".into());
    let (dumped, versioned) = std::thread::scope(|s| {
        let v = s.spawn(|| ctx.exec(&Command::new(ver).timeout(Duration::from_secs(20))));
        let d = ctx.exec(&Command::new(dump.clone()).timeout(Duration::from_secs(20)));
        (d, v.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    });
    match dumped {
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
            return;
        }
        Err(e) => c.problem = Some(format!("could not run {path}: {e}")),
    }
    if let Ok(o) = versioned {
        if o.success() {
            c.version_line = o.stdout.lines().next().map(str::to_owned);
        }
    }
}

/// The Go architecture of a target triple (`x86_64-linux-gnu`, `arm64-apple-darwin22.4.0`).
pub fn triple_arch(triple: &str) -> String {
    normalize_arch(triple.split('-').next().unwrap_or(triple))
}

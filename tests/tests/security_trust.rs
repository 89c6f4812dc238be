//! Issue 20, the trust half: no other local user can get code run through gohost. Each test
//! performs the attack end to end against the real `gohost` binary, with another user
//! (`nobody`, through `setpriv`) writing the attacker's files, and gohost run as root (and as
//! `nobody` where that matters).
//!
//! The "plugin" is a real shared library built here with gcc: its ELF constructor
//! (`__attribute__((constructor))`, run by `dlopen` before any symbol or ABI check) appends
//! `uid=N` to a marker file. It carries a valid `GOHOST_PLUGIN_ABI` tag so that it passes the
//! host's inspection exactly as a crafted library would; the proof that the instrument works
//! is [`the_constructor_runs_when_the_library_is_loaded`]. Every attack test asserts that the
//! marker was never written and that the refusal names the reason and the fix.
//!
//! Needs root (to switch to `nobody` and to chown; CI runs as root) and gcc.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gohost_e2e::*;
use gohost_plugin_api::AbiVersionTag;

const NOBODY: u32 = 65534;

fn require_root() {
    assert!(
        is_root(),
        "these tests switch to `nobody` with setpriv and chown files: run them as root (CI does)"
    );
}

/// A scratch area: `base` (root, 0755) holding the malicious library and a marker directory
/// everyone may write (so a constructor run as `nobody` would leave its mark too).
struct Scene {
    base: tempfile::TempDir,
    evil: PathBuf,
    marker: PathBuf,
}

impl Scene {
    fn new() -> Scene {
        require_root();
        // Build first: the race test's time budget is for runs, not for cargo.
        let _ = gohost_bin();
        let _ = fixture("fixture-status");
        let base = tempfile::Builder::new()
            .prefix("gohost-sec-")
            .tempdir()
            .expect("tempdir");
        chmod(base.path(), 0o755);
        let marks = base.path().join("marks");
        std::fs::create_dir(&marks).expect("mkdir");
        chmod(&marks, 0o777);
        let marker = marks.join("ran");
        let build = base.path().join("build");
        std::fs::create_dir(&build).expect("mkdir");
        chmod(&build, 0o755);
        let evil = build.join("evil.so");
        build_evil_library(&evil, &marker);
        Scene { base, evil, marker }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.base.path().join(rel)
    }

    /// The constructor never ran: no process loaded the attacker's library.
    fn assert_never_loaded(&self, context: &str) {
        let ran = std::fs::read_to_string(&self.marker).ok();
        assert!(
            ran.is_none(),
            "{context}: the attacker's library ran ({})",
            ran.unwrap_or_default().trim()
        );
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

fn chown(path: &Path, uid: u32, gid: u32) {
    let status = Command::new("chown")
        .arg(format!("{uid}:{gid}"))
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success(), "chown {}", path.display());
}

/// Compile the attacker's library: a constructor recording the uid that loaded it, and the
/// version tag of this gohost (`AbiVersionTag`'s frozen layout: 8 magic bytes, four u32).
fn build_evil_library(out: &Path, marker: &Path) {
    let tag = AbiVersionTag::CURRENT;
    let source = format!(
        r#"#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
struct tag {{ char magic[8]; unsigned major, minor, patch, reserved; }};
__attribute__((visibility("default"))) const struct tag GOHOST_PLUGIN_ABI =
    {{ {{'G','O','H','O','S','T','P','L'}}, {major}u, {minor}u, {patch}u, 0u }};
__attribute__((constructor)) static void record_uid(void) {{
    int fd = open("{marker}", O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd >= 0) {{
        char line[64];
        int n = snprintf(line, sizeof line, "uid=%d\n", (int)getuid());
        if (n > 0) write(fd, line, (size_t)n);
        close(fd);
    }}
}}
"#,
        major = tag.major,
        minor = tag.minor,
        patch = tag.patch,
        marker = marker.display()
    );
    let c_file = out.with_extension("c");
    std::fs::write(&c_file, source).expect("write C source");
    let status = Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(out)
        .arg(&c_file)
        .status()
        .expect("gcc must be installed");
    assert!(status.success(), "gcc failed");
    chmod(out, 0o755);
}

/// A shell command run as `nobody` (the attacker), which must succeed.
fn as_attacker(script: &str) {
    let out = Command::new("/usr/bin/setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "/bin/sh",
            "-c",
        ])
        .arg(script)
        .output()
        .expect("setpriv");
    assert!(
        out.status.success(),
        "attacker's step failed: {script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sh_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// A trusted plugin directory with the healthy fixture plugin, readable by `nobody`.
fn good_plugins() -> tempfile::TempDir {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    chmod(dir.path(), 0o755);
    dir
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn load_errors(report: &serde_json::Value) -> Vec<String> {
    report["load_errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect()
}

/// The instrument itself: loading the library (here allowed on purpose) runs the constructor
/// and leaves the uid in the marker. Without this, "the marker was never written" would prove
/// nothing.
#[test]
fn the_constructor_runs_when_the_library_is_loaded() {
    let scene = Scene::new();
    let dir = scene.path("trusted");
    std::fs::create_dir(&dir).expect("mkdir");
    chmod(&dir, 0o755);
    let plugin = dir.join("libgohost_plugin_evil.so");
    std::fs::copy(&scene.evil, &plugin).expect("copy");
    let out = output(gohost(&dir).args(["run", "all", "--allow-untrusted"]));
    // Not a real plugin: abi_stable refuses it, but only after dlopen ran its constructor.
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    let ran = std::fs::read_to_string(&scene.marker).unwrap_or_default();
    assert_eq!(ran.trim(), "uid=0", "the constructor did not record root");
}

/// Item 1, the `/tmp` case: a root-owned sticky world-writable directory (what /tmp is;
/// a private stand-in so that no other test sees it) where another user left `gohost.toml`
/// pointing at their library with `allow_untrusted = true`. Root runs gohost in a project
/// below it; so does that user. Before issue 20 both loaded the library (uid=0 and 65534).
#[test]
fn a_config_left_in_a_shared_parent_cannot_load_another_users_code() {
    let scene = Scene::new();
    let shared = scene.path("tmp");
    std::fs::create_dir(&shared).expect("mkdir");
    chmod(&shared, 0o1777);
    as_attacker(&format!(
        "mkdir {evil_dir} && cp {lib} {evil_dir}/libgohost_plugin_evil.so && printf 'plugin_dirs = [\"evil\"]\\nallow_untrusted = true\\n' > {toml}",
        evil_dir = sh_quote(&shared.join("evil")),
        lib = sh_quote(&scene.evil),
        toml = sh_quote(&shared.join("gohost.toml")),
    ));
    let project = shared.join("project");
    std::fs::create_dir(&project).expect("mkdir");
    chmod(&project, 0o755);
    let good = good_plugins();

    let out = output(
        gohost(good.path())
            .current_dir(&project)
            .args(["run", "all"]),
    );
    let err = stderr_of(&out);
    scene.assert_never_loaded("root in a project below another user's gohost.toml");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "ignored config file {}",
            shared.join("gohost.toml").display()
        )) && err.contains("owned by uid 65534")
            && err.contains("chown"),
        "the warning must name the file, the reason and the fix: {err}"
    );

    // The attacker's own run: their file is theirs, but a project file may not choose code.
    let out = output(&mut as_nobody(
        gohost(good.path())
            .current_dir(&project)
            .args(["run", "all"]),
    ));
    let err = stderr_of(&out);
    scene.assert_never_loaded("nobody in a project below their own gohost.toml");
    assert!(
        err.contains("ignored `plugin_dirs`") && err.contains("--plugin-dir"),
        "{err}"
    );
    assert!(
        err.contains("ignored `allow_untrusted = true`") && err.contains("--allow-untrusted"),
        "{err}"
    );
}

/// Item 1, the cloned repository: every file root's own (so the owner rules pass), but the
/// repository's `gohost.toml` names a plugin directory inside it. Run as root and as `nobody`,
/// the repository's library is never loaded and the user is told what was ignored and where
/// such a setting belongs. Before issue 20 both runs loaded it.
#[test]
fn a_repositorys_config_cannot_choose_plugins_or_lower_trust() {
    let scene = Scene::new();
    let repo = scene.path("repo");
    let plugins = repo.join("plugins");
    std::fs::create_dir_all(&plugins).expect("mkdir");
    chmod(&repo, 0o755);
    chmod(&plugins, 0o755);
    std::fs::copy(&scene.evil, plugins.join("libgohost_plugin_evil.so")).expect("copy");
    std::fs::write(
        repo.join("gohost.toml"),
        "plugin_dirs = [\"plugins\"]\nallow_untrusted = true\ntimeout = 60\n",
    )
    .expect("write");
    chmod(&repo.join("gohost.toml"), 0o644);
    let good = good_plugins();

    let out = output(gohost(good.path()).current_dir(&repo).args(["run", "all"]));
    let err = stderr_of(&out);
    scene.assert_never_loaded("root in a repository naming its own plugin dir");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "ignored `plugin_dirs` in {}",
            repo.join("gohost.toml").display()
        )),
        "{err}"
    );

    let out = output(&mut as_nobody(
        gohost(good.path()).current_dir(&repo).args(["run", "all"]),
    ));
    scene.assert_never_loaded("nobody in the same repository");
    assert!(
        stderr_of(&out).contains("ignored `plugin_dirs`"),
        "{}",
        stderr_of(&out)
    );
}

/// Item 3: a `root:nogroup 0664` plugin; `nobody` (a member of nogroup) overwrites it with
/// the attacker's library; root runs gohost. Before issue 20 root loaded it.
#[test]
fn a_group_writable_plugin_overwritten_by_a_group_member_is_refused() {
    let scene = Scene::new();
    let dir = scene.path("plugins");
    std::fs::create_dir(&dir).expect("mkdir");
    chmod(&dir, 0o755);
    let plugin = dir.join("libgohost_plugin_fixture_status.so");
    std::fs::copy(fixture("fixture-status"), &plugin).expect("copy");
    chown(&plugin, 0, NOBODY);
    chmod(&plugin, 0o664);
    as_attacker(&format!(
        "cat {} > {}",
        sh_quote(&scene.evil),
        sh_quote(&plugin)
    ));
    assert_eq!(
        std::fs::read(&plugin).expect("read"),
        std::fs::read(&scene.evil).expect("read"),
        "the group member could not overwrite the plugin: the attack was not performed"
    );

    let (code, report, err) = run_json(gohost(&dir).args(["run", "all"]));
    scene.assert_never_loaded("root loading a group-writable plugin");
    assert_eq!(code, 3, "{err}");
    let errors = load_errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("group-writable")
            && errors[0].contains("nogroup")
            && errors[0].contains("chmod g-w"),
        "{}",
        errors[0]
    );

    // Group-writable by the owner's private group stays allowed (Debian's umask 002 with
    // user private groups): root's own group, when root is its only member here.
    if gohost::is_private_group(0, 0) {
        std::fs::copy(fixture("fixture-status"), &plugin).expect("restore the plugin");
        chown(&plugin, 0, 0);
        chmod(&plugin, 0o664);
        let (code, report, err) = run_json(gohost(&dir).args(["run", "all"]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(load_errors(&report), Vec::<String>::new());
    }
}

/// Item 2: another user owns a directory above the plugin directory and swaps it (a symlink
/// flipped between root's real plugin directory and theirs, about every millisecond) while
/// root runs gohost again and again. Before issue 20 the check saw root's directory and the
/// worker loaded the attacker's. Now the real path of every file is resolved and every
/// directory above it checked: each run is refused and names the other user's directory.
#[test]
fn a_directory_swapped_while_gohost_runs_never_loads_the_swapped_in_library() {
    let scene = Scene::new();
    let theirs = scene.path("shared");
    std::fs::create_dir(&theirs).expect("mkdir");
    let good = theirs.join("good");
    std::fs::create_dir(&good).expect("mkdir");
    chmod(&good, 0o755);
    std::fs::copy(
        fixture("fixture-status"),
        good.join("libgohost_plugin_fixture_status.so"),
    )
    .expect("copy");
    chown(&theirs, NOBODY, NOBODY);
    chmod(&theirs, 0o755);
    as_attacker(&format!(
        "mkdir {evil} && cp {lib} {evil}/libgohost_plugin_fixture_status.so && ln -s good {cur}",
        evil = sh_quote(&theirs.join("evil")),
        lib = sh_quote(&scene.evil),
        cur = sh_quote(&theirs.join("cur")),
    ));
    // The swapper: bounded in time by itself, and killed when the runs end.
    let swap_for = Duration::from_secs(25);
    let script = format!(
        "import os, time\nos.chdir({dir:?})\nend = time.time() + {secs}\nwhile time.time() < end:\n    for target in ('evil', 'good'):\n        os.symlink(target, 'cur.tmp')\n        os.replace('cur.tmp', 'cur')\n        time.sleep(0.001)\n",
        dir = theirs.display().to_string(),
        secs = swap_for.as_secs()
    );
    let mut swapper = Command::new("/usr/bin/setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "python3",
            "-c",
        ])
        .arg(&script)
        .spawn()
        .expect("python3 as nobody");

    let started = Instant::now();
    let mut runs = 0;
    let mut loaded_at = None;
    let mut not_refused = Vec::new();
    while runs < 20 && started.elapsed() < Duration::from_secs(20) {
        runs += 1;
        let (code, report, err) = run_json(
            gohost(&theirs.join("cur"))
                .current_dir(scene.base.path())
                .env("XDG_CONFIG_HOME", scene.path("no-config"))
                .env("XDG_CACHE_HOME", scene.path("cache"))
                .args(["run", "all"]),
        );
        if scene.marker.exists() {
            loaded_at = Some(runs);
            break;
        }
        let errors = load_errors(&report);
        let named = errors.len() == 1
            && errors[0].contains("owned by uid 65534")
            && errors[0].contains("chown");
        if code != 3 || !named {
            not_refused.push(format!(
                "run {runs}: exit {code}, load errors {errors:?}, stderr {err}"
            ));
        }
    }
    let _ = swapper.kill();
    let _ = swapper.wait();
    if let Some(run) = loaded_at {
        scene.assert_never_loaded(&format!(
            "run {run} of {runs}, while another user swaps a directory above the plugins"
        ));
    }
    scene.assert_never_loaded("root while another user swaps a directory above the plugins");
    assert_eq!(
        not_refused,
        Vec::<String>::new(),
        "every run must be refused, naming the other user's directory"
    );
    assert!(runs >= 5, "too few runs to mean anything: {runs}");
}

/// Item 2, the worker's side: the worker is given the identity (device, inode, size, mtime)
/// discovery verified, and must refuse the file at the path if it is not that file — here the
/// attacker's library renamed over the checked one after the check.
#[test]
fn a_worker_refuses_a_file_replaced_after_the_check() {
    use gohost::{TimeLimit, Worker, WorkerEvents, WorkerStart};
    struct Ignore;
    impl WorkerEvents for Ignore {
        fn log(&mut self, _: gohost_plugin_api::LogLevel, _: &str, _: &str) {}
        fn progress(&mut self, _: &str) {}
        fn probe(&mut self, _: gohost_plugin_api::snapshot::ProbeRecord) {}
    }
    let scene = Scene::new();
    let dir = scene.path("plugins");
    std::fs::create_dir(&dir).expect("mkdir");
    let plugin = dir.join("libgohost_plugin_fixture_status.so");
    std::fs::copy(fixture("fixture-status"), &plugin).expect("copy");
    let checked = gohost::FileIdentity::of(&std::fs::metadata(&plugin).expect("stat the plugin"));
    let replacement = dir.join("incoming");
    std::fs::copy(&scene.evil, &replacement).expect("copy");
    std::fs::rename(&replacement, &plugin).expect("swap in the attacker's library");

    let start = WorkerStart {
        plugin_path: plugin.clone(),
        plugin_identity: Some(checked),
        expected_name: Some("fixture-status".to_owned()),
        temp_root: dir.clone(),
        setup: gohost::Setup::listing(),
    };
    let limit = TimeLimit {
        plugin: Duration::from_secs(30),
        run: None,
    };
    let mut worker = Worker::spawn(&gohost_bin(), start, limit).expect("spawn a worker");
    let result = worker.manifest(&mut Ignore);
    worker.exit();
    scene.assert_never_loaded("a worker given the identity of the replaced file");
    let message = match result {
        Ok(manifest) => panic!("the worker loaded a replaced file: {}", manifest.name),
        Err(failure) => failure.message(),
    };
    assert!(
        message.contains("changed after gohost checked it") && message.contains("refusing"),
        "{message}"
    );
}

/// Verified safe before issue 20 and kept: a plugin directory owned by another user is
/// refused when root runs gohost, even though the library in it is root's own file.
#[test]
fn a_plugin_directory_owned_by_another_user_is_refused_as_root() {
    let scene = Scene::new();
    let dir = scene.path("theirs");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::copy(&scene.evil, dir.join("libgohost_plugin_evil.so")).expect("copy");
    chown(&dir, NOBODY, NOBODY);
    chmod(&dir, 0o755);
    let (code, report, err) = run_json(gohost(&dir).args(["run", "all"]));
    scene.assert_never_loaded("root with a plugin dir owned by nobody");
    assert_eq!(code, 3, "{err}");
    let errors = load_errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("owned by uid 65534") && errors[0].contains("--allow-untrusted"),
        "{}",
        errors[0]
    );
}

/// Item 5: `gohost plugin check` is for untrusted files; a SONAME carrying a terminal escape
/// (OSC 0, which retitles the terminal) is shown inert, as the report shows command output.
#[test]
fn plugin_check_shows_strings_from_the_file_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("libgohost_plugin_odd.so");
    let c_file = dir.path().join("odd.c");
    std::fs::write(&c_file, "int odd(void) { return 1; }\n").expect("write");
    let status = Command::new("gcc")
        .args([
            "-shared",
            "-fPIC",
            "-Wl,-soname,\u{1b}]0;pwned\u{7}odd.so",
            "-o",
        ])
        .arg(&lib)
        .arg(&c_file)
        .status()
        .expect("gcc");
    assert!(status.success());
    let out = output(
        Command::new(gohost_bin())
            .args(["plugin", "check"])
            .arg(&lib),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("\\u{1b}]0;pwned\\u{7}odd.so"),
        "the SONAME must be shown, escaped: {stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "raw control characters reached the terminal: {stdout:?}"
    );
}

/// Item 13: the run's temporary directories, looked at while a plugin runs (a hanging fixture,
/// cut short by --timeout). Before issue 20 both were 0755 under umask 022: any user could list
/// and read what plugins built there.
#[test]
fn the_runs_temp_dirs_are_private_while_plugins_run() {
    let plugins = plugin_dir(&[fixture("fault-hang")]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut child = gohost(plugins.path())
        .env("TMPDIR", tmp.path())
        .args(["run", "all", "--timeout", "3", "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("gohost");
    // Wait (bounded) for the per-plugin directory to appear.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut dirs: Vec<PathBuf> = Vec::new();
    while Instant::now() < deadline {
        dirs = std::fs::read_dir(tmp.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("gohost-run-"))
            })
            .flat_map(|run| [run.join("p0"), run])
            .filter(|p| p.is_dir())
            .collect();
        if dirs.len() == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let modes: Vec<(PathBuf, u32)> = dirs
        .iter()
        .filter_map(|d| {
            Some((
                d.clone(),
                std::fs::metadata(d).ok()?.permissions().mode() & 0o7777,
            ))
        })
        .collect();
    let _ = child.wait();
    assert_eq!(
        modes.len(),
        2,
        "the run dir and the plugin's dir: {modes:?}"
    );
    for (dir, mode) in modes {
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
}

/// Item 5, the rest of "every string from a file": `gohost list` shows a plugin file whose
/// name carries an escape sequence (and the load error about it) inert.
#[test]
fn list_shows_file_names_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("libgohost_plugin_\u{1b}]0;pwned\u{7}.so"),
        b"not a library",
    )
    .expect("write");
    let out = output(gohost(dir.path()).args(["list"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\\u{1b}]0;pwned\\u{7}"),
        "the file must be listed, escaped: {stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "raw control characters reached the terminal: {stdout:?}"
    );
}

/// Item 1, the user config: root runs gohost with another user's config directory (as
/// `sudo -E` keeps XDG_CONFIG_HOME); that user's `gohost.toml` names their plugin directory
/// and lowers trust. The file is not root's nor yours: it is ignored, with a warning. Before
/// issue 20 root loaded the library.
#[test]
fn another_users_config_directory_cannot_load_their_code_as_root() {
    let scene = Scene::new();
    let home = scene.path("home");
    std::fs::create_dir(&home).expect("mkdir");
    chown(&home, NOBODY, NOBODY);
    chmod(&home, 0o755);
    as_attacker(&format!(
        "mkdir -p {cfg}/gohost {plugins} && cp {lib} {plugins}/libgohost_plugin_evil.so && printf 'plugin_dirs = [\"{plugins_raw}\"]\\nallow_untrusted = true\\n' > {cfg}/gohost/gohost.toml",
        cfg = sh_quote(&home.join(".config")),
        plugins = sh_quote(&home.join("plugins")),
        plugins_raw = home.join("plugins").display(),
        lib = sh_quote(&scene.evil),
    ));
    let good = good_plugins();
    let out = output(
        gohost(good.path())
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .args(["run", "all"]),
    );
    let err = stderr_of(&out);
    scene.assert_never_loaded("root with another user's XDG_CONFIG_HOME");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "ignored config file {}",
            home.join(".config/gohost/gohost.toml").display()
        )) && err.contains("owned by uid 65534"),
        "{err}"
    );
}

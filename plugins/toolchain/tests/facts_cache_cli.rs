//! The real gohost binary's report says when the Go facts came from the facts cache
//! (`platform.go_facts_cached`), and `--no-cache`, `--record` and `--replay` never use it.
//! (The fingerprint itself is tested in host/tests/facts_cache.rs.)

#![allow(clippy::disallowed_methods)]

use gohost_e2e::plugin_e2e as support;

use support::*;

#[test]
fn the_report_says_when_go_facts_were_cached() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tools = tools_path_without_go(tmp.path());
    let (real_bin, _) = pypi_go();
    let path = join_path(&[&real_bin, &tools]);
    let cache = tmp.path().join("cache").display().to_string();
    let env = [
        ("PATH", Some(path.as_str())),
        ("XDG_CACHE_HOME", Some(cache.as_str())),
    ];
    let cached = |r: &Report| r.json["platform"]["go_facts_cached"].clone();

    let cold = run("toolchain", &env, &[]);
    assert_eq!(cached(&cold), false, "{:#}", cold.json["platform"]);
    let warm = run("toolchain", &env, &[]);
    assert_eq!(cached(&warm), true, "{:#}", warm.json["platform"]);
    // The same facts, so the same findings.
    let verdicts = |r: &Report| -> Vec<String> {
        r.findings()
            .iter()
            .map(|f| format!("{} {} {}", f["check"], f["status"], f["title"]))
            .collect()
    };
    assert!(!verdicts(&cold).is_empty());
    assert_eq!(verdicts(&cold), verdicts(&warm));
    assert_eq!(
        cold.json["platform"]["go_version"],
        warm.json["platform"]["go_version"]
    );

    let uncached = run("toolchain", &env, &["--no-cache"]);
    assert_eq!(cached(&uncached), false);
    let snap = tmp.path().join("snap.json").display().to_string();
    let recorded = run("toolchain", &env, &["--record", &snap]);
    assert_eq!(cached(&recorded), false);
    let replayed = run("toolchain", &env, &["--replay", &snap]);
    assert_eq!(cached(&replayed), false);
}

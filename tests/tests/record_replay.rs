//! `--record` then `--replay` gives the same findings, and replay never touches the machine.

use gohost_e2e::*;

fn strip_timings(report: &mut serde_json::Value) {
    for plugin in report["plugins"].as_array_mut().into_iter().flatten() {
        plugin["duration_ms"] = 0.into();
        for f in plugin["findings"].as_array_mut().into_iter().flatten() {
            f["duration_us"] = 0.into();
        }
    }
}

#[test]
fn replay_reproduces_the_recorded_findings() {
    let dir = plugin_dir(&[fixture("fixture-status"), workspace_plugin("arch")]);
    let snap = dir.path().join("snap.json");
    let (code, mut recorded, _) = run_json(
        gohost(dir.path())
            .args(["run", "all", "--record"])
            .arg(&snap)
            .env("GOHOST_FIXTURE_STATUS", "warn"),
    );
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&snap).expect("snapshot written");
    let snapshot: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(snapshot["format"], "gohost-snapshot");
    assert_eq!(snapshot["version"], 1);
    assert!(snapshot["probes"]
        .as_array()
        .is_some_and(|p| p.iter().any(|r| r["probe"] == "exec")));
    if let Ok(home) = std::env::var("HOME") {
        if home.len() > 1 {
            assert!(
                !text.contains(&format!("{home}/")),
                "home directory redacted"
            );
        }
    }

    // Replay with nothing useful on PATH and a different environment: answers come from the file.
    let (code, mut replayed, _) = run_json(
        gohost(dir.path())
            .args(["run", "all", "--replay"])
            .arg(&snap)
            .env("PATH", "/nonexistent")
            .env_remove("GOHOST_FIXTURE_STATUS"),
    );
    assert_eq!(code, 0);
    assert_eq!(replayed["run"]["replay"], snap.display().to_string());
    strip_timings(&mut recorded);
    strip_timings(&mut replayed);
    // The snapshot is redacted (`$HOME`), and replay maps `$HOME` back to the replaying
    // user's home (host/src/replay_home.rs): replaying your own snapshot gives your report,
    // paths included, and plugins never see a literal `$HOME/...`.
    let recorded_text = serde_json::to_string(&recorded["plugins"]).expect("json");
    let replayed_text = serde_json::to_string(&replayed["plugins"]).expect("json");
    assert_eq!(recorded_text, replayed_text);
    assert!(!replayed_text.contains("$HOME/"), "{replayed_text}");
    let told = findings(&replayed, "fixture-status")
        .into_iter()
        .find(|f| f["check"] == "fixture-status.told")
        .cloned();
    assert_eq!(
        told.map(|f| f["status"].clone()),
        Some("warn".into()),
        "the recorded environment, not this one"
    );
}

#[test]
fn snapshot_command_records_without_a_report() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let snap = dir.path().join("s.json");
    let out = output(gohost(dir.path()).args(["snapshot", "--record"]).arg(&snap));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "no report on stdout");
    assert!(snap.exists());
}

#[test]
fn a_bad_snapshot_is_a_usage_error() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let snap = dir.path().join("bad.json");
    std::fs::write(&snap, "{\"format\": \"something-else\", \"version\": 1}").expect("write");
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--replay"])
            .arg(&snap),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a gohost snapshot"));
    std::fs::write(&snap, "{\"format\": \"gohost-snapshot\", \"version\": 9}").expect("write");
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--replay"])
            .arg(&snap),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("snapshot version 9 is not supported"));
}

/// Issue 15 item 6: `--record` writes the home directory as `$HOME`; `--replay` hands plugins
/// the replaying user's home instead of a literal `$HOME/...` (host/src/replay_home.rs).
/// Recorded as "alice" (HOME=<tmp>/alice) with the real toolchain plugin and go, replayed as
/// "bob": bob's home appears where alice's was.
#[test]
fn replay_maps_the_redacted_home_to_the_replaying_users() {
    let dir = plugin_dir(&[workspace_plugin("toolchain")]);
    let alice = dir.path().join("alice");
    let bob = dir.path().join("bob");
    std::fs::create_dir_all(&alice).expect("mkdir");
    std::fs::create_dir_all(&bob).expect("mkdir");
    let snap = dir.path().join("snap.json");
    let (code, _, stderr) = run_json(
        gohost(dir.path())
            .args(["run", "toolchain", "--record"])
            .arg(&snap)
            .env("HOME", &alice)
            .env_remove("GOPATH")
            .env_remove("GOENV"),
    );
    assert!([0, 1].contains(&code), "exit {code}: {stderr}");
    let text = std::fs::read_to_string(&snap).expect("snapshot written");
    let alice_s = alice.display().to_string();
    let bob_s = bob.display().to_string();
    assert!(!text.contains(&alice_s), "alice's home is redacted");
    assert!(text.contains("$HOME/go"), "GOPATH defaults to $HOME/go");

    let (code, replayed, stderr) = run_json(
        gohost(dir.path())
            .args(["run", "toolchain", "--replay"])
            .arg(&snap)
            .env("HOME", &bob)
            .env("PATH", "/nonexistent"),
    );
    assert!([0, 1].contains(&code), "exit {code}: {stderr}");
    let findings = findings(&replayed, "toolchain");
    assert!(findings.len() >= 5, "{replayed}");
    let shown = serde_json::to_string(&replayed["plugins"]).expect("json");
    assert!(!shown.contains("$HOME/"), "{shown}");
    assert!(shown.contains(&format!("{bob_s}/go")), "{shown}");
}

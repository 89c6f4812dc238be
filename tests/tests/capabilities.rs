//! Capabilities (issue 8): each check declares whether it needs the network, root, or is slow;
//! the host reads that from the manifest and does not run a check whose needs the run does
//! not allow, and the report says so. The fixture is built against the frozen plugin-api
//! 1.0.0, whose runtime gates only the network: a root or slow check that is skipped here was
//! skipped by the host. Each of its checks reports `fail` if it runs without permission.

use std::os::unix::fs::PermissionsExt;

use gohost_e2e::*;

fn gated_dir() -> tempfile::TempDir {
    let dir = plugin_dir(&[compat("old-gated")]);
    // Readable by `nobody`, who runs gohost in the tests that need a user without root.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn by_check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    findings(report, "old-gated")
        .into_iter()
        .find(|f| f["check"] == id)
        .unwrap_or_else(|| panic!("no finding for {id}: {report:#}"))
}

fn needs(finding: &serde_json::Value) -> Vec<String> {
    finding["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["key"] == "needs" && e["source"] == "check manifest")
        .filter_map(|e| e["value"].as_str().map(str::to_owned))
        .collect()
}

/// A check skipped for `need`, told which flag allows it and how to run it alone.
fn assert_not_run(report: &serde_json::Value, id: &str, need: &str, flag: &str) {
    let f = by_check(report, id);
    assert_eq!(f["status"], "skip", "{f:#}");
    assert_eq!(needs(f), vec![need.to_owned()], "{f:#}");
    let title = f["title"].as_str().unwrap_or_default();
    assert!(
        title.ends_with(&format!("not run without {flag}")),
        "{title}"
    );
    let commands: Vec<&str> = f["remediation"]["commands"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        commands.contains(&format!("gohost run --check {id} {flag}").as_str()),
        "{commands:?}"
    );
}

#[test]
fn without_flags_an_unprivileged_run_skips_network_root_and_slow_checks_in_both_isolation_modes() {
    assert!(
        is_root(),
        "this test switches to `nobody` with setpriv and needs root (CI runs as root)"
    );
    let dir = gated_dir();
    for isolation in ["worker", "none"] {
        let (code, report, stderr) = run_json(&mut as_nobody(gohost(dir.path()).args([
            "run",
            "old-gated",
            "--isolation",
            isolation,
        ])));
        assert_eq!(code, 0, "{isolation}: {report:#}\n{stderr}");
        assert_eq!(report["run"]["allow_root"], false, "{isolation}");
        assert_eq!(by_check(&report, "old-gated.plain")["status"], "pass");
        assert_not_run(&report, "old-gated.network", "network", "--online");
        assert_not_run(&report, "old-gated.root", "root", "--allow-root-probes");
        assert_not_run(&report, "old-gated.slow", "slow", "--deep");
        // In check-id order, as the plugin reports its own.
        let ids: Vec<&str> = findings(&report, "old-gated")
            .iter()
            .filter_map(|f| f["check"].as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "old-gated.network",
                "old-gated.plain",
                "old-gated.root",
                "old-gated.slow"
            ],
            "{isolation}"
        );
    }
    let out = output(&mut as_nobody(
        gohost(dir.path()).args(["run", "old-gated"]),
    ));
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains(
            "3 checks not run for what they need: allow with --online (1), --allow-root-probes (1), --deep (1)"
        ),
        "{human}"
    );
}

#[test]
fn flags_allow_each_need_and_nothing_else() {
    assert!(
        is_root(),
        "this test switches to `nobody` with setpriv and needs root (CI runs as root)"
    );
    let dir = gated_dir();
    for (flag, allowed) in [
        ("--online", "old-gated.network"),
        ("--allow-root-probes", "old-gated.root"),
        ("--deep", "old-gated.slow"),
    ] {
        let (code, report, stderr) = run_json(&mut as_nobody(gohost(dir.path()).args([
            "run",
            "old-gated",
            flag,
        ])));
        assert_eq!(code, 0, "{flag}: {report:#}\n{stderr}");
        for id in ["old-gated.network", "old-gated.root", "old-gated.slow"] {
            let want = if id == allowed { "pass" } else { "skip" };
            assert_eq!(by_check(&report, id)["status"], want, "{flag} {id}");
        }
    }
    // The same three, from the environment.
    let (_, report, _) = run_json(&mut as_nobody(
        gohost(dir.path())
            .args(["run", "old-gated"])
            .env("GOHOST_ONLINE", "1")
            .env("GOHOST_ALLOW_ROOT_PROBES", "1")
            .env("GOHOST_DEEP", "1"),
    ));
    let found = findings(&report, "old-gated");
    assert_eq!(
        found.len(),
        4,
        "the four checks (three gated, one plain) ran: {report:#}"
    );
    for f in found {
        assert_eq!(f["status"], "pass", "{f:#}");
    }
}

#[test]
fn naming_a_check_is_not_permission_and_a_fully_gated_plugin_is_not_run() {
    let dir = gated_dir();
    let (code, report, stderr) =
        run_json(gohost(dir.path()).args(["run", "--check", "old-gated.slow"]));
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let f = findings(&report, "old-gated");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_not_run(&report, "old-gated.slow", "slow", "--deep");
    let (_, report, _) =
        run_json(gohost(dir.path()).args(["run", "--check", "old-gated.slow", "--deep"]));
    assert_eq!(by_check(&report, "old-gated.slow")["status"], "pass");
}

#[test]
fn running_as_root_allows_root_checks_but_a_replay_needs_the_flag() {
    assert!(
        is_root(),
        "this test runs gohost as root and needs root (CI runs as root)"
    );
    let dir = gated_dir();
    let snapshot = dir.path().join("gated.snap.json");
    let (code, report, stderr) = run_json(gohost(dir.path()).args([
        "run",
        "old-gated",
        "--record",
        &snapshot.display().to_string(),
    ]));
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["run"]["allow_root"], true);
    assert_eq!(by_check(&report, "old-gated.root")["status"], "pass");

    // The replayed machine is not this one: being root here allows nothing there.
    let replay = snapshot.display().to_string();
    let (_, report, _) =
        run_json(gohost(dir.path()).args(["run", "old-gated", "--replay", &replay]));
    assert_eq!(report["run"]["allow_root"], false);
    assert_not_run(&report, "old-gated.root", "root", "--allow-root-probes");
    let (_, report, _) = run_json(gohost(dir.path()).args([
        "run",
        "old-gated",
        "--replay",
        &replay,
        "--allow-root-probes",
    ]));
    assert_eq!(by_check(&report, "old-gated.root")["status"], "pass");
}

#[test]
fn list_and_explain_show_what_a_check_needs() {
    let dir = gated_dir();
    let out = output(gohost(dir.path()).args(["list"]));
    let list = String::from_utf8_lossy(&out.stdout);
    let line = |id: &str| {
        list.lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("{id} not listed: {list}"))
            .to_owned()
    };
    assert!(line("old-gated.network").ends_with("[needs network (--online)]"));
    assert!(line("old-gated.root").contains("[needs root (--allow-root-probes, or run as root)]"));
    assert!(line("old-gated.slow").ends_with("[needs slow (--deep)]"));
    assert!(!line("old-gated.plain").contains("[needs"));
    let out = output(gohost(dir.path()).args(["explain", "old-gated.slow"]));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("needs: slow (--deep)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

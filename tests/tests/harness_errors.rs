//! The test harness (`gohost::harness`) reports what a test asked wrongly as errors the test
//! sees, in `gohost run`'s own wording, instead of panicking inside the harness (issue 15,
//! item 1); and a test's exec answers sit under the host's context without replacing it.

use gohost::harness::{Harness, HarnessError};
use gohost_e2e::harness::{fixture, fixture_path, replay, run_plugin};
use gohost_plugin_api::snapshot::Snapshot;
use gohost_plugin_api::{ExecOutput, ExitInfo, Status};

// The crate must be linked for its checks to register.
use gohost_plugin_arch as _;

#[test]
fn an_unknown_selected_check_is_the_usage_error_not_a_panic() {
    let harness = fixture("mac-m1-native.json");
    let err = harness
        .run("arch", &["arch.no-such-check"])
        .expect_err("an unknown check is refused");
    assert!(matches!(err, HarnessError::Selection(_)), "{err:?}");
    let text = err.to_string();
    // gohost run's wording (invoke::plan): the unknown id and the plugin's real checks.
    assert!(
        text.contains("unknown check `arch.no-such-check`"),
        "{text}"
    );
    assert!(text.contains("arch.goarm64"), "{text}");
    // A known selection on the same harness still runs.
    let findings = run_plugin("arch", &harness, &["arch.goarm64"]);
    assert_eq!(findings.len(), 1);
}

#[test]
fn a_bad_snapshot_is_refused_with_the_replay_wording() {
    let missing = fixture_path("no-such-snapshot.json");
    let Err(err) = Harness::replay(&missing) else {
        panic!("a missing snapshot must be refused");
    };
    assert!(matches!(err, HarnessError::Snapshot(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("cannot read snapshot "),
        "{err}"
    );
}

#[test]
fn an_edited_snapshot_reads_like_the_file_and_exec_answers_sit_under_the_context() {
    let text = std::fs::read_to_string(fixture_path("mac-m1-native.json")).expect("fixture");
    let snapshot = Snapshot::from_json(&text).expect("snapshot");
    let from_file = run_plugin("arch", &fixture("mac-m1-native.json"), &[]);
    let from_memory = run_plugin("arch", &replay(snapshot.clone()), &[]);
    assert_eq!(from_file.len(), 6);
    let strip = |f: &[gohost_plugin_api::Finding]| {
        f.iter()
            .map(|f| (f.check.to_string(), f.status, f.title.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&from_file), strip(&from_memory));
    // Every command fails in the hook: the checks that read `ps` see a failed command, not
    // the recording, so the hook really answers (and nothing turns into a pass).
    let hooked = replay(snapshot).with_exec(|_| {
        Some(Ok(ExecOutput {
            exit: ExitInfo {
                code: gohost_plugin_api::abi_stable::std_types::ROption::RSome(1),
                signal: gohost_plugin_api::abi_stable::std_types::ROption::RNone,
                timed_out: false,
            },
            stdout: Default::default(),
            stderr: b"made up by the test".to_vec().into(),
            truncated: false,
        }))
    });
    let findings = run_plugin("arch", &hooked, &["arch.parent-chain"]);
    assert_eq!(findings.len(), 1);
    assert_ne!(findings[0].status, Status::Pass, "{}", findings[0].title);
}

/// Every `gohost run --replay` has `options.replay` set, whatever other flags it has: a replay
/// harness keeps it through `with_options`, and only `as_live_run` (a made-up machine with a
/// live run's cache) turns it off.
#[test]
fn a_replay_keeps_options_replay_unless_made_a_live_run() {
    let options = |h: &Harness| h.with_ctx("arch", |ctx| ctx.options());
    let online = gohost_plugin_api::RunOptions {
        online: true,
        ..gohost_plugin_api::RunOptions::default()
    };
    let replayed = fixture("mac-m1-native.json").with_options(online);
    let seen = options(&replayed);
    assert!(seen.replay && seen.online, "{seen:?}");
    let live = fixture("mac-m1-native.json")
        .as_live_run()
        .with_options(online);
    let seen = options(&live);
    assert!(!seen.replay && seen.online, "{seen:?}");
}

//! Plugin API 1.3.0 through the real `gohost` binary and a real plugin dylib
//! (`tests/fixture-plugins/fixture-settings`): a plugin's `[plugins.<name>]` settings and a
//! file identity, live (both isolation modes), recorded (secret-named settings redacted, other
//! plugins' tables absent), replayed (answers from the snapshot; a missing one is "could not
//! tell"), refused from a project gohost.toml, and shown by `list`/`explain`.

use std::path::Path;

use gohost_e2e::*;

const PLUGIN: &str = "fixture-settings";
const TOKEN: &str = "tok-0123456789abcdef";

fn evidence(finding: &serde_json::Value, key: &str) -> String {
    finding["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["key"] == key)
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("no evidence `{key}`: {finding}"))
        .to_owned()
}

/// Write the user config gohost() points XDG_CONFIG_HOME at.
fn user_config(dir: &Path, text: &str) {
    let config = dir.join(".no-config").join("gohost");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(config.join("gohost.toml"), text).expect("write config");
}

fn one_finding(report: &serde_json::Value) -> serde_json::Value {
    let f = findings(report, PLUGIN);
    assert_eq!(f.len(), 1, "{report:#}");
    f[0].clone()
}

#[test]
fn settings_and_file_identity_live_recorded_and_replayed() {
    let dir = plugin_dir(&[fixture(PLUGIN)]);
    user_config(
        dir.path(),
        &format!(
            "[plugins.fixture-settings]\ngreeting = \"hello\"\napi_token = \"{TOKEN}\"\n\n[plugins.other-plugin]\nsecret_word = \"never-shown-to-fixture\"\n"
        ),
    );
    let data = dir.path().join("data.bin");
    std::fs::write(&data, b"12345").expect("write");
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&data).expect("stat"));
    let snap = dir.path().join("settings.snap.json");

    for isolation in ["worker", "none"] {
        let mut cmd = gohost(dir.path());
        cmd.env("GOHOST_FIXTURE_IDENTITY_FILE", &data).args([
            "run",
            PLUGIN,
            "--isolation",
            isolation,
        ]);
        if isolation == "worker" {
            cmd.arg("--record").arg(&snap);
        }
        let (code, report, stderr) = run_json(&mut cmd);
        assert_eq!(code, 0, "{isolation}: {report:#}\n{stderr}");
        let f = one_finding(&report);
        assert_eq!(f["status"], "pass", "{isolation}: {f}");
        assert_eq!(evidence(&f, "greeting"), "hello", "{isolation}");
        assert_eq!(evidence(&f, "size"), "5", "{isolation}");
        assert_eq!(evidence(&f, "inode"), inode.to_string(), "{isolation}");
        // The plugin received the token; the report (pasted into issues) does not show it.
        assert_eq!(evidence(&f, "api_token"), "REDACTED", "{isolation}");
        assert!(!report.to_string().contains(TOKEN), "{isolation}");
    }

    let recorded = std::fs::read_to_string(&snap).expect("snapshot written");
    assert!(
        recorded.contains("\"probe\": \"plugin_setting\""),
        "{recorded}"
    );
    assert!(
        recorded.contains("\"probe\": \"file_identity\""),
        "{recorded}"
    );
    assert!(
        !recorded.contains(TOKEN),
        "the token never reaches the snapshot"
    );
    assert!(
        !recorded.contains("never-shown-to-fixture") && !recorded.contains("other-plugin"),
        "another plugin's table is not asked for, so not recorded"
    );

    // Replay with no config and no file: every answer comes from the snapshot.
    std::fs::remove_dir_all(dir.path().join(".no-config")).expect("rm config");
    std::fs::remove_file(&data).expect("rm data");
    let (code, replayed, stderr) = run_json(
        gohost(dir.path())
            .env("GOHOST_FIXTURE_IDENTITY_FILE", &data)
            .args(["run", PLUGIN, "--replay"])
            .arg(&snap),
    );
    assert_eq!(code, 0, "{replayed:#}\n{stderr}");
    let g = one_finding(&replayed);
    assert_eq!(g["status"], "pass", "{g}");
    assert_eq!(evidence(&g, "greeting"), "hello");
    assert_eq!(evidence(&g, "size"), "5");
    assert_eq!(evidence(&g, "inode"), inode.to_string());
    // The redacted token replays as the TOML string "REDACTED" (it still parses).
    assert_eq!(evidence(&g, "api_token"), "REDACTED");

    // A snapshot without the setting answers (as an older gohost recorded it): could not tell.
    let mut value: serde_json::Value = serde_json::from_str(&recorded).expect("json");
    let probes = value["probes"].as_array_mut().expect("probes");
    let before = probes.len();
    probes.retain(|p| p["probe"] != "plugin_setting");
    assert!(probes.len() < before, "there were setting records to drop");
    let older = dir.path().join("older.snap.json");
    std::fs::write(&older, value.to_string()).expect("write");
    let (_, report, stderr) = run_json(
        gohost(dir.path())
            .env("GOHOST_FIXTURE_IDENTITY_FILE", &data)
            .args(["run", PLUGIN, "--replay"])
            .arg(&older),
    );
    let h = one_finding(&report);
    assert_eq!(h["status"], "error", "{h}\n{stderr}");
    assert!(
        h["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no answer"),
        "{h}"
    );
}

#[test]
fn a_project_gohost_toml_cannot_set_plugin_settings_and_a_bad_value_is_named() {
    let dir = plugin_dir(&[fixture(PLUGIN)]);
    // The project file (found from the current directory) tries to set the greeting.
    std::fs::write(
        dir.path().join("gohost.toml"),
        "[plugins.fixture-settings]\ngreeting = \"from-the-repository\"\n",
    )
    .expect("write");
    let (code, report, stderr) = run_json(gohost(dir.path()).args(["run", PLUGIN]));
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let f = one_finding(&report);
    assert_eq!(evidence(&f, "greeting"), "(unset)", "{f}");
    assert!(
        stderr.contains("ignored [plugins.fixture-settings]")
            && stderr.contains("may not configure plugins"),
        "{stderr}"
    );
    std::fs::remove_file(dir.path().join("gohost.toml")).expect("rm");

    // The user's own config may; a value of the wrong type is a `fail` naming key and table.
    user_config(dir.path(), "[plugins.fixture-settings]\ngreeting = 42\n");
    let (code, report, stderr) = run_json(gohost(dir.path()).args(["run", PLUGIN]));
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    let f = one_finding(&report);
    assert_eq!(f["status"], "fail", "{f}");
    let detail = f["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("setting `greeting` in [plugins.fixture-settings]")
            && detail.contains("42"),
        "{detail}"
    );

    // Unknown top-level keys stay errors.
    user_config(dir.path(), "greeting = \"hi\"\n");
    let out = output(gohost(dir.path()).args(["run", PLUGIN]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown field `greeting`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn list_and_explain_show_what_a_plugin_receives_with_secrets_redacted() {
    let dir = plugin_dir(&[fixture(PLUGIN)]);
    user_config(
        dir.path(),
        &format!("[plugins.fixture-settings]\ngreeting = \"hello\"\napi_token = \"{TOKEN}\"\n"),
    );
    let out = output(gohost(dir.path()).args(["list", "--format", "json"]));
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let shown = &list["settings"][PLUGIN];
    assert_eq!(shown["greeting"], "\"hello\"", "{list:#}");
    assert_eq!(shown["api_token"], "REDACTED", "{list:#}");
    assert!(!list.to_string().contains(TOKEN));

    let out = output(gohost(dir.path()).args(["explain", "fixture-settings.read"]));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("settings: api_token = REDACTED, greeting = \"hello\""),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
}

// The plugin-side harness (`gohost_plugin_api::testing`): the same two methods answered from
// records built with its builders, as a plugin author's unit test would.
mod test_context {
    use gohost_plugin_api::snapshot::Snapshot;
    use gohost_plugin_api::testing::{
        file_identity_ok, one, plugin_setting, run_plugin, statuses, TestContext,
    };
    use gohost_plugin_api::{inventory, Check, Ctx, FileIdentity, Finding, Needs, Status};

    fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
        let limit = match ctx.setting_as::<u64>("limit") {
            Ok(v) => v,
            Err(e) => return vec![Finding::error("could not tell").detail(e.to_string())],
        };
        let id = match ctx.file_identity("/etc/demo.conf") {
            Ok(id) => id,
            Err(e) => return vec![Finding::error("no identity").detail(e.to_string())],
        };
        vec![Finding::pass("read").evidence(
            "seen",
            format!("{limit:?} {} {}", id.size, id.inode),
            "test",
        )]
    }

    inventory::submit! {
        Check {
            id: "demo-settings.read",
            title: "reads a setting and an identity",
            explain: "Reads `limit` and the identity of /etc/demo.conf through the context.",
            tags: &[],
            needs: Needs::NONE,
            run: check,
        }
    }

    const IDENTITY: FileIdentity = FileIdentity {
        size: 42,
        mtime_sec: 1_700_000_000,
        mtime_nsec: 5,
        ctime_sec: 1_700_000_000,
        ctime_nsec: 5,
        inode: 77,
        device: 3,
    };

    fn snapshot(records: Vec<gohost_plugin_api::snapshot::ProbeRecord>) -> Snapshot {
        let mut s = Snapshot::new(TestContext::linux_facts(), "test");
        s.probes = records;
        s
    }

    #[test]
    fn test_context_answers_settings_per_plugin_and_identities_from_records() {
        let ctx = TestContext::new(snapshot(vec![
            plugin_setting("demo-settings", "limit", Some("3")),
            plugin_setting("someone-else", "limit", Some("999")),
            file_identity_ok("/etc/demo.conf", IDENTITY),
        ]));
        let findings = run_plugin("demo-settings", &ctx, &[]);
        assert_eq!(
            statuses(&findings),
            [("demo-settings.read".to_owned(), Status::Pass)]
        );
        assert_eq!(
            gohost_plugin_api::testing::ev(one(&findings, "demo-settings.read"), "seen"),
            "Some(3) 42 77"
        );

        // Recorded as unset: None. Not recorded at all: could not tell (an error finding).
        let unset = TestContext::new(snapshot(vec![
            plugin_setting("demo-settings", "limit", None),
            file_identity_ok("/etc/demo.conf", IDENTITY),
        ]));
        let findings = run_plugin("demo-settings", &unset, &[]);
        assert_eq!(
            gohost_plugin_api::testing::ev(&findings[0], "seen"),
            "None 42 77"
        );
        let missing = TestContext::new(snapshot(vec![
            plugin_setting("someone-else", "limit", Some("1")),
            file_identity_ok("/etc/demo.conf", IDENTITY),
        ]));
        let findings = run_plugin("demo-settings", &missing, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Error, "{:?}", findings[0]);
        assert!(
            findings[0].detail.contains("no answer"),
            "{:?}",
            findings[0]
        );
    }
}

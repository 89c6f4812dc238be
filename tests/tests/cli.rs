//! Selection, discovery, trust, list/explain/completions, `plugin check`, configuration.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use gohost_e2e::*;
use gohost_plugin_api::AbiVersionTag;

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn selecting_plugins_checks_and_skips() {
    let dir = plugin_dir(&[fixture("fixture-status"), workspace_plugin("arch")]);
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "fixture-status"]));
    assert_eq!(code, 0);
    assert_eq!(report["plugins"].as_array().map(Vec::len), Some(1));

    let (_, report, _) =
        run_json(gohost(dir.path()).args(["run", "--check", "fixture-status.second"]));
    let f = findings(&report, "fixture-status");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["check"], "fixture-status.second");
    assert_eq!(
        report["plugins"].as_array().map(Vec::len),
        Some(1),
        "only the check's plugin runs"
    );

    // A --check narrows its own plugin even when that plugin is also named (it used to run
    // every check of a named plugin: the union of "all of fixture-status" and one check).
    let (_, report, _) = run_json(gohost(dir.path()).args([
        "run",
        "fixture-status",
        "--check",
        "fixture-status.second",
    ]));
    let f = findings(&report, "fixture-status");
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["check"], "fixture-status.second");

    // A named plugin without a --check of its own still runs whole, next to the narrowed one.
    let (_, all_arch, _) = run_json(gohost(dir.path()).args(["run", "arch"]));
    let whole = findings(&all_arch, "arch").len();
    assert!(
        whole > 1,
        "arch reports more than one finding: {all_arch:#}"
    );
    let (_, report, _) =
        run_json(gohost(dir.path()).args(["run", "arch", "--check", "fixture-status.second"]));
    assert_eq!(findings(&report, "arch").len(), whole, "{report:#}");
    let f = findings(&report, "fixture-status");
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["check"], "fixture-status.second");

    let (_, report, _) = run_json(gohost(dir.path()).args(["run", "all", "--skip", "arch"]));
    let names: Vec<&str> = report["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["fixture-status"]);
}

#[test]
fn unknown_plugin_or_check_lists_the_valid_ones_and_exits_2() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let (out_text, err) = text(&output(gohost(dir.path()).args(["run", "nope"])));
    assert!(out_text.is_empty());
    assert!(
        err.contains("unknown plugin `nope`; available plugins: fixture-status"),
        "{err}"
    );

    let out = output(gohost(dir.path()).args(["run", "--check", "fixture-status.nope"]));
    assert_eq!(out.status.code(), Some(2));
    let (_, err) = text(&out);
    assert!(err.contains("unknown check `fixture-status.nope`"), "{err}");
    assert!(
        err.contains("fixture-status.second, fixture-status.told"),
        "{err}"
    );

    let out = output(gohost(dir.path()).args(["run", "--check", "nodots"]));
    assert_eq!(out.status.code(), Some(2));
    let out = output(gohost(dir.path()).args(["run", "--skip", "ghost"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_explain_and_completions() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let out = output(gohost(dir.path()).args(["list"]));
    assert_eq!(out.status.code(), Some(0));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!(
            "fixture-status 0.1.0 (plugin API {})",
            AbiVersionTag::CURRENT
        )),
        "{stdout}"
    );
    assert!(stdout.contains("fixture-status.told"), "{stdout}");
    assert!(
        stdout.contains("[GOHOST_PLUGIN_PATH]"),
        "origin shown: {stdout}"
    );

    let out = output(gohost(dir.path()).args(["list", "--format", "json"]));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        listed["plugins"][0]["manifest"]["checks"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let (stdout, _) = text(&output(
        gohost(dir.path()).args(["explain", "fixture-status.told"]),
    ));
    assert!(stdout.contains("Reads GOHOST_FIXTURE_STATUS."), "{stdout}");
    let out = output(gohost(dir.path()).args(["explain", "fixture-status.zzz"]));
    assert_eq!(out.status.code(), Some(2));

    let out = output(gohost(dir.path()).args(["completions", "bash"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("_gohost()"));
}

#[test]
fn duplicate_names_first_found_wins_and_the_output_says_so() {
    let first = plugin_dir(&[fixture("fixture-status")]);
    let second = plugin_dir(&[fixture("fixture-status")]);
    let out = output(
        gohost(first.path())
            .arg("run")
            .arg("all")
            .arg("--plugin-dir")
            .arg(second.path()),
    );
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    // --plugin-dir is searched before GOHOST_PLUGIN_PATH.
    assert!(
        err.contains(&format!(
            "is shadowed by {}",
            second
                .path()
                .join("libgohost_plugin_fixture_status.so")
                .display()
        )),
        "{err}"
    );
}

#[test]
fn world_writable_or_foreign_plugin_dirs_are_refused_unless_allowed() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 3);
    let message = report["load_errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("world-writable") && message.contains("--allow-untrusted"),
        "{message}"
    );
    let (code, _, _) = run_json(gohost(dir.path()).args(["run", "all", "--allow-untrusted"]));
    assert_eq!(code, 0);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");

    // A plugin file owned by another (non-root) user. Needs root to chown; CI runs as root.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let file = dir.path().join("libgohost_plugin_fixture_status.so");
        let status = Command::new("chown")
            .arg("12345")
            .arg(&file)
            .status()
            .expect("chown");
        assert!(status.success());
        let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
        assert_eq!(code, 3);
        let message = report["load_errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains("owned by uid 12345"), "{message}");
    }
}

/// Issue 15 item 6: naming a plugin whose only file was refused must say why, with the fix,
/// not only "unknown plugin …; available plugins: none found".
#[test]
fn naming_a_refused_plugin_says_why_and_how_to_fix_it() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let out = output(
        gohost(dir.path())
            .args(["run", "fixture-status", "--plugin-dir"])
            .arg(dir.path()),
    );
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    let shown = dir.path().display().to_string();
    assert!(
        stderr.contains("unknown plugin `fixture-status`"),
        "{stderr}"
    );
    assert!(stderr.contains("refused 1 plugin file(s)"), "{stderr}");
    assert!(
        stderr.contains("world-writable")
            && stderr.contains(&format!("chmod o-w {shown}"))
            && stderr.contains("--allow-untrusted"),
        "{stderr}"
    );
    // Each named fix works.
    let out = output(
        gohost(dir.path())
            .args(["run", "fixture-status", "--allow-untrusted", "--plugin-dir"])
            .arg(dir.path()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = output(
        gohost(dir.path())
            .args(["run", "fixture-status", "--plugin-dir"])
            .arg(dir.path()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    // With nothing refused, the message stays the short one.
    let out = output(gohost(dir.path()).args(["run", "nonexistent"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out).1.contains("refused"), "{}", text(&out).1);
}

#[test]
fn the_current_directory_is_never_searched() {
    let cwd = plugin_dir(&[fixture("fixture-status")]);
    let empty = tempfile::tempdir().expect("tempdir");
    let out = output(
        gohost(empty.path())
            .current_dir(cwd.path())
            .env("GOHOST_PLUGIN_PATH", ".")
            .args(["list"]),
    );
    let (stdout, _) = text(&out);
    assert!(stdout.contains("no plugins found"), "{stdout}");
}

fn cross_built_plugin() -> PathBuf {
    // The fixture plugin cross-compiled for aarch64 Linux (rustup target + aarch64-linux-gnu-gcc).
    let target_dir = e2e_target_dir();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "build",
            "--quiet",
            "-p",
            "gohost-fixture-status",
            "--target",
            "aarch64-unknown-linux-gnu",
        ])
        .arg("--manifest-path")
        .arg(workspace_root().join("tests/fixture-plugins/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
            "aarch64-linux-gnu-gcc",
        )
        .status()
        .expect("cargo");
    assert!(status.success(), "cross build failed (needs `rustup target add aarch64-unknown-linux-gnu` and gcc-aarch64-linux-gnu)");
    target_dir.join("aarch64-unknown-linux-gnu/debug/libgohost_plugin_fixture_status.so")
}

#[test]
fn plugin_check_inspects_without_loading() {
    let native = output(
        Command::new(gohost_bin())
            .args(["plugin", "check"])
            .arg(fixture("fixture-status")),
    );
    assert_eq!(native.status.code(), Some(0));
    let (stdout, _) = text(&native);
    assert!(
        stdout.contains(&format!(
            "loadable by this gohost (plugin API {})",
            AbiVersionTag::CURRENT
        )),
        "{stdout}"
    );

    // A renamed copy: the ABI is fine, but `run` refuses it (the manifest says
    // `fixture-status`). `plugin check` must not call it plainly loadable: it names what it
    // could not check, and the command it points to shows the mismatch.
    let renamed_dir = plugin_dir(&[]);
    let renamed = renamed_dir.path().join("libgohost_plugin_renamed.so");
    std::fs::copy(fixture("fixture-status"), &renamed).expect("copy");
    let out = output(
        Command::new(gohost_bin())
            .args(["plugin", "check"])
            .arg(&renamed),
    );
    assert_eq!(out.status.code(), Some(0));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("not checked without loading it")
            && stdout.contains("call itself `renamed`"),
        "{stdout}"
    );
    let out = output(
        gohost(renamed_dir.path())
            .args(["list", "--plugin-dir"])
            .arg(renamed_dir.path()),
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "a plugin that cannot load: exit 3"
    );
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("promises plugin `renamed` but the plugin calls itself `fixture-status`"),
        "{stdout}"
    );
    let out = output(gohost(renamed_dir.path()).args(["run", "renamed"]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out).1);
    assert!(
        text(&out).0.contains("calls itself `fixture-status`"),
        "{}",
        text(&out).0
    );

    let foreign = cross_built_plugin();
    let out = output(
        Command::new(gohost_bin())
            .args(["plugin", "check"])
            .arg(&foreign),
    );
    assert_eq!(out.status.code(), Some(3));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("aarch64")
            && stdout.contains(&format!("gohost plugin ABI {}", AbiVersionTag::CURRENT)),
        "{stdout}"
    );
    assert!(stdout.contains("not loadable here"), "{stdout}");

    // And in a run, the same file is a clear one-line load error, not a dlopen message.
    let dir = plugin_dir(&[foreign]);
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 3);
    let message = report["load_errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("aarch64") && !message.contains("dlopen"),
        "{message}"
    );

    let major = output(
        Command::new(gohost_bin())
            .args(["plugin", "check"])
            .arg(fixture("fault-major")),
    );
    assert_eq!(major.status.code(), Some(3));
    assert!(
        text(&major).0.contains("built for plugin API 99.0.0"),
        "{}",
        text(&major).0
    );
}

#[test]
fn config_file_env_and_flags_in_that_order() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    std::fs::write(
        dir.path().join("gohost.toml"),
        "isolation = \"none\"\ntimeout = 30\n",
    )
    .expect("write");
    let (_, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(report["run"]["isolation"], "none", "config applies");
    let (_, report, _) = run_json(
        gohost(dir.path())
            .args(["run", "all"])
            .env("GOHOST_ISOLATION", "worker"),
    );
    assert_eq!(report["run"]["isolation"], "worker", "env beats config");
    let (_, report, _) = run_json(
        gohost(dir.path())
            .args(["run", "all", "--isolation", "none"])
            .env("GOHOST_ISOLATION", "worker"),
    );
    assert_eq!(report["run"]["isolation"], "none", "flag beats env");

    std::fs::write(dir.path().join("gohost.toml"), "isolaton = \"none\"\n").expect("write");
    let out = output(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("unknown field `isolaton`"),
        "{}",
        text(&out).1
    );

    std::fs::write(
        dir.path().join("gohost.toml"),
        "skip = [\"fixture-status\"]\n",
    )
    .expect("write");
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 0);
    assert_eq!(report["plugins"].as_array().map(Vec::len), Some(0));
}

#[test]
fn plugin_tracing_events_reach_the_host_log_with_the_plugin_name() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    for isolation in ["worker", "none"] {
        let out = output(gohost(dir.path()).args(["-v", "run", "all", "--isolation", isolation]));
        let (stdout, stderr) = text(&out);
        assert!(
            stderr.contains("fixture-status check running"),
            "{isolation}: {stderr}"
        );
        assert!(
            stderr.contains("plugin=\"fixture-status\""),
            "{isolation}: {stderr}"
        );
        assert!(!stdout.contains("check running"), "logs never on stdout");
        assert!(
            !stderr.contains('\x1b'),
            "no colour codes when stderr is not a terminal"
        );
    }
    // Without -v, info-level plugin logs stay quiet.
    let (_, stderr) = text(&output(gohost(dir.path()).args(["run", "all"])));
    assert!(!stderr.contains("check running"), "{stderr}");
}

//! Output formats and exit codes, with the real binary and real fixture plugins.

use gohost_e2e::*;

fn status_dir() -> tempfile::TempDir {
    plugin_dir(&[fixture("fixture-status")])
}

#[test]
fn json_report_matches_its_schema() {
    let schema_text =
        std::fs::read_to_string(workspace_root().join("docs/report.schema.json")).expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let dir = plugin_dir(&[
        fixture("fixture-status"),
        fixture("fault-segv"),
        workspace_plugin("arch"),
    ]);
    std::fs::write(dir.path().join("libgohost_plugin_empty.so"), b"").expect("write");
    for isolation in ["worker", "none"] {
        let mut cmd = gohost(dir.path());
        cmd.args(["run", "all", "--isolation", isolation]);
        if isolation == "none" {
            cmd.args(["--skip", "fault-segv"]);
        }
        let (code, report, _) = run_json(&mut cmd);
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "schema violations ({isolation}): {errors:#?}"
        );
        assert_eq!(report["exit_code"], code);
        assert_eq!(code, 3);
    }
}

#[test]
fn junit_is_parseable_and_counts_match() {
    let dir = plugin_dir(&[fixture("fixture-status"), fixture("fault-panic")]);
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--format", "junit"])
            .env("GOHOST_FIXTURE_STATUS", "fail"),
    );
    assert_eq!(out.status.code(), Some(3));
    let xml = String::from_utf8(out.stdout).expect("utf-8");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("bad XML ({e}):\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("1"));
    assert_eq!(root.attribute("errors"), Some("1"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    assert!(cases
        .iter()
        .any(|c| c.children().any(|k| k.has_tag_name("failure"))));
    assert!(cases
        .iter()
        .any(|c| c.children().any(|k| k.has_tag_name("error"))));
}

#[test]
fn markdown_has_a_table_per_plugin() {
    let dir = status_dir();
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--format", "markdown"])
            .env("GOHOST_FIXTURE_STATUS", "warn"),
    );
    let md = String::from_utf8(out.stdout).expect("utf-8");
    assert!(md.contains("### fixture-status 0.1.0"), "{md}");
    assert!(
        md.contains("| ! warn | `fixture-status.told` | told to report warn |"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary><code>fixture-status.told</code>"),
        "{md}"
    );
}

#[test]
fn human_output_symbols_summary_and_colour_rules() {
    let dir = status_dir();
    let out = output(
        gohost(dir.path())
            .args(["run", "all"])
            .env("GOHOST_FIXTURE_STATUS", "fail"),
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("✗ fixture-status.told  told to report fail"),
        "{text}"
    );
    assert!(text.contains("✓ fixture-status.second"), "{text}");
    assert!(
        text.contains("1 passed, 0 warnings, 1 failed, 0 skipped, 0 errors, 0 info · 1 plugins"),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    // Progress never goes to stdout; stderr carries nothing but notes here.
    let forced = output(gohost(dir.path()).args(["--color", "always", "run", "all"]));
    assert!(
        String::from_utf8_lossy(&forced.stdout).contains("\x1b[32m✓"),
        "--color always paints"
    );
    let no_color = output(
        gohost(dir.path())
            .args(["run", "all"])
            .env("NO_COLOR", "1")
            .env("GOHOST_COLOR", "auto"),
    );
    assert!(!String::from_utf8_lossy(&no_color.stdout).contains('\x1b'));
}

#[test]
fn exit_codes() {
    let dir = status_dir();
    let code = |status: &str, extra: &[&str]| {
        output(
            gohost(dir.path())
                .args(["run", "all"])
                .args(extra)
                .env("GOHOST_FIXTURE_STATUS", status),
        )
        .status
        .code()
    };
    assert_eq!(code("pass", &[]), Some(0));
    assert_eq!(code("info", &[]), Some(0));
    assert_eq!(code("skip", &[]), Some(0));
    assert_eq!(code("warn", &[]), Some(0));
    assert_eq!(code("warn", &["--strict"]), Some(1));
    assert_eq!(code("fail", &[]), Some(1));
    assert_eq!(code("error", &[]), Some(3));
    assert_eq!(code("pass", &["--bogus-flag"]), Some(2));
    assert_eq!(code("pass", &["no-such-plugin"]), Some(2));
    let crash = plugin_dir(&[fixture("fault-exit")]);
    assert_eq!(
        output(gohost(crash.path()).args(["run", "all"]))
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn report_can_go_to_a_file() {
    let dir = status_dir();
    let path = dir.path().join("report.json");
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--format", "json", "-o"])
            .arg(&path),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("json");
    assert_eq!(report["summary"]["pass"], 2);
}

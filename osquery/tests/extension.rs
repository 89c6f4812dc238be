//! gohost-osquery against a real extension manager built from osquery's own generated Thrift
//! code (`manager.py`, the `osquery` package from PyPI), with the real gohost binary and real
//! plugin dylibs: registration and the declared registry, rows against `gohost run --format
//! json`, constraints, capability gates, crashing and slow plugins, the manager going away,
//! and 1,000 queries without a leak.

mod common;

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use common::*;
use gohost_e2e::*;
use serde_json::{json, Value};

fn pairs(rows: &[Value], a: &str, b: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[a].as_str().unwrap_or_default().to_owned(),
                r[b].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn report_pairs(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["findings"].as_array().into_iter().flatten())
        .map(|f| {
            (
                f["check"].as_str().unwrap_or_default().to_owned(),
                f["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The contract fleets write queries against: table names, column names and SQL types.
const EXPECTED_TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "gohost_findings",
        &[
            ("check_id", "TEXT"),
            ("plugin", "TEXT"),
            ("plugin_version", "TEXT"),
            ("status", "TEXT"),
            ("title", "TEXT"),
            ("detail", "TEXT"),
            ("evidence", "TEXT"),
            ("remediation", "TEXT"),
            ("duration_ms", "DOUBLE"),
            ("cached", "INTEGER"),
            ("run_started", "BIGINT"),
            ("stale", "INTEGER"),
        ],
    ),
    (
        "gohost_checks",
        &[
            ("id", "TEXT"),
            ("plugin", "TEXT"),
            ("plugin_version", "TEXT"),
            ("title", "TEXT"),
            ("needs", "TEXT"),
            ("loaded_from", "TEXT"),
        ],
    ),
    (
        "gohost_plugins",
        &[
            ("name", "TEXT"),
            ("version", "TEXT"),
            ("api_version", "TEXT"),
            ("path", "TEXT"),
            ("origin", "TEXT"),
            ("state", "TEXT"),
            ("reason", "TEXT"),
        ],
    ),
];

fn all_plugins_dir() -> tempfile::TempDir {
    let files: Vec<PathBuf> = [
        "arch",
        "toolchain",
        "powermetrics",
        "sumdb",
        "scheduler",
        "cgo",
        "ane",
    ]
    .iter()
    .map(|p| workspace_plugin(p))
    .collect();
    let dir = plugin_dir(&files);
    // Not a plugin: gohost_plugins must say it was not loaded, and why.
    std::fs::write(
        dir.path().join("libgohost_plugin_junk.so"),
        b"not a library\n",
    )
    .expect("write");
    dir
}

#[test]
fn registry_and_rows_match_gohost() {
    let dir = all_plugins_dir();
    let mut fleet = Fleet::start(dir.path(), &[], &[]);

    // The registry the extension declared, as the manager recorded it.
    let reg = fleet.ask(json!({"cmd": "wait_registered"}));
    assert_eq!(reg["info"]["name"], "gohost", "{reg}");
    let tables = reg["registry"]["table"]
        .as_object()
        .expect("table registry");
    assert_eq!(tables.len(), EXPECTED_TABLES.len(), "{reg}");
    for (name, columns) in EXPECTED_TABLES {
        let routes = tables[*name].as_array().expect("routes");
        let declared: Vec<(&str, &str)> = routes
            .iter()
            .filter(|r| r["id"] == "column")
            .map(|r| {
                (
                    r["name"].as_str().unwrap_or_default(),
                    r["type"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(declared, *columns, "{name}");
    }

    // Done-when: SELECT check_id, status FROM gohost_findings WHERE plugin = 'arch' is exactly
    // the arch findings of `gohost run arch` on the same machine.
    let (_, arch_report, _) = run_json(gohost(dir.path()).args(["run", "arch"]));
    let expected = report_pairs(&arch_report);
    assert!(expected.len() >= 5, "arch has checks: {arch_report:#}");
    let answer = fleet.select(
        "gohost_findings",
        &["check_id", "status"],
        json!({"plugin": "arch"}),
    );
    assert_eq!(answer["code"], 0, "{answer}");
    // The constraint narrowed the run itself: only arch's findings came back to filter.
    assert_eq!(answer["raw_rows"], expected.len(), "{answer}");
    let rows = answer["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(pairs(&rows, "check_id", "status"), expected);

    // One check by id: one row, the run narrowed to it.
    let one = fleet.select(
        "gohost_findings",
        &["check_id", "plugin", "plugin_version"],
        json!({"check_id": "arch.platform"}),
    );
    assert_eq!(one["code"], 0, "{one}");
    assert_eq!(one["raw_rows"], 1, "{one}");
    assert_eq!(one["rows"][0]["plugin"], "arch");
    assert_eq!(one["rows"][0]["plugin_version"], "0.1.0");

    // Names that do not exist: no rows, not an error.
    for filter in [json!({"plugin": "nope"}), json!({"check_id": "arch.nope"})] {
        let none = fleet.select("gohost_findings", &["check_id"], filter.clone());
        assert_eq!(none["code"], 0, "{filter}: {none}");
        assert_eq!(none["raw_rows"], 0, "{filter}: {none}");
    }

    // Everything: the same checks as `gohost run all`, every column well-formed.
    let (_, all_report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    let all = fleet.rows("gohost_findings", &[], json!({}));
    let mut ids: Vec<String> = all
        .iter()
        .map(|r| r["check_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    let expected_ids: Vec<String> = report_pairs(&all_report).into_iter().map(|p| p.0).collect();
    assert!(expected_ids.len() > 20, "{all_report:#}");
    assert_eq!(ids, expected_ids);
    for r in &all {
        assert!(
            ["pass", "info", "warn", "fail", "skip", "error"]
                .contains(&r["status"].as_str().unwrap_or("")),
            "{r}"
        );
        let ev: Value =
            serde_json::from_str(r["evidence"].as_str().unwrap_or("")).expect("evidence JSON");
        assert!(ev.is_array(), "{r}");
        let rem: Value = serde_json::from_str(r["remediation"].as_str().unwrap_or(""))
            .expect("remediation JSON");
        assert!(rem.is_null() || rem["commands"].is_array(), "{r}");
        assert!(
            r["duration_ms"]
                .as_str()
                .unwrap_or("")
                .parse::<f64>()
                .is_ok(),
            "{r}"
        );
        assert!(
            r["run_started"]
                .as_str()
                .unwrap_or("")
                .parse::<u64>()
                .expect("run_started")
                > 1_600_000_000_000
        );
        assert_eq!(r["stale"], "0", "{r}");
    }

    // Capability gates: started without --online/--deep/--allow-root-probes, every check
    // that needs one is a skip, even though the test (and CI) may run as root.
    let checks = fleet.rows("gohost_checks", &[], json!({}));
    let gated: Vec<&Value> = checks.iter().filter(|c| c["needs"] != "").collect();
    let gated_needs: Vec<&str> = gated
        .iter()
        .map(|c| c["needs"].as_str().unwrap_or(""))
        .collect();
    assert!(
        gated_needs.contains(&"root"),
        "powermetrics has a root check: {checks:?}"
    );
    assert!(
        gated_needs.contains(&"network"),
        "sumdb has network checks: {checks:?}"
    );
    assert!(
        gated_needs.contains(&"slow"),
        "scheduler has a slow check: {checks:?}"
    );
    for c in &gated {
        let f = all
            .iter()
            .find(|f| f["check_id"] == c["id"])
            .unwrap_or_else(|| panic!("no finding for {c}"));
        assert_eq!(f["status"], "skip", "{} needs {}: {f}", c["id"], c["needs"]);
    }

    // gohost_checks is `gohost list`.
    let list_out = output(gohost(dir.path()).args(["list", "--format", "json"]));
    let list: Value = serde_json::from_slice(&list_out.stdout).expect("list JSON");
    let mut listed: Vec<String> = list["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["manifest"]["checks"].as_array().into_iter().flatten())
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    listed.sort();
    let mut check_ids: Vec<String> = checks
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    check_ids.sort();
    assert!(!listed.is_empty());
    assert_eq!(check_ids, listed);
    assert!(checks.iter().all(|c| c["loaded_from"]
        .as_str()
        .is_some_and(|p| p.starts_with(dir.path().to_str().unwrap_or("?")))));

    // gohost_plugins: the seven loaded plugins, and the junk file refused with a reason.
    let plugins = fleet.rows("gohost_plugins", &[], json!({}));
    let loaded = plugins.iter().filter(|p| p["state"] == "loaded").count();
    assert_eq!(loaded, 7, "{plugins:?}");
    let junk = plugins
        .iter()
        .find(|p| {
            p["path"]
                .as_str()
                .is_some_and(|s| s.ends_with("libgohost_plugin_junk.so"))
        })
        .unwrap_or_else(|| panic!("the junk file is listed: {plugins:?}"));
    assert_ne!(junk["state"], "loaded", "{junk}");
    assert!(
        junk["reason"]
            .as_str()
            .is_some_and(|r| r.contains("text file")),
        "{junk}"
    );
}

#[test]
fn capability_flags_reach_gohost() {
    let dir = plugin_dir(&[workspace_plugin("powermetrics")]);
    let mut fleet = Fleet::start(dir.path(), &["--allow-root-probes"], &[]);
    let rows = fleet.rows(
        "gohost_findings",
        &["check_id", "status", "title"],
        json!({"check_id": "powermetrics.power-sample"}),
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    // Allowed now, so not the capability gate's skip (the gate's title names the flag).
    let title = rows[0]["title"].as_str().unwrap_or_default();
    assert!(!title.contains("--allow-root-probes"), "{rows:?}");
}

#[test]
fn crashing_plugin_is_an_error_row_and_the_extension_lives() {
    let dir = plugin_dir(&[
        fixture("fault-panic"),
        fixture("fault-segv"),
        workspace_plugin("arch"),
    ]);
    let mut fleet = Fleet::start(dir.path(), &[], &[]);
    let rows = fleet.rows(
        "gohost_findings",
        &["plugin", "check_id", "status", "title"],
        json!({}),
    );
    for crashed in ["fault-panic", "fault-segv"] {
        let theirs: Vec<&Value> = rows.iter().filter(|r| r["plugin"] == crashed).collect();
        assert_eq!(theirs.len(), 1, "{crashed}: {rows:?}");
        assert_eq!(theirs[0]["status"], "error", "{crashed}: {rows:?}");
    }
    assert!(
        rows.iter().filter(|r| r["plugin"] == "arch").count() >= 5,
        "{rows:?}"
    );
    // Still serving.
    assert_eq!(fleet.ask(json!({"cmd": "ping"}))["error"], Value::Null);
    assert_eq!(fleet.rows("gohost_plugins", &[], json!({})).len(), 3);
    assert!(
        fleet.ext.try_wait().expect("status").is_none(),
        "the extension died"
    );
}

#[test]
fn slow_plugin_gets_stale_rows_not_a_hang() {
    let dir = plugin_dir(&[fixture("fault-hang"), workspace_plugin("arch")]);
    // fault-hang never returns; gohost kills it after its per-plugin timeout (3 s), so every
    // run takes at least 3 s, far longer than the 0.5 s budget each query may wait. An answer
    // within budget + 1.5 s (slack for a loaded machine) proves no query waited for a run.
    let mut fleet = Fleet::start(
        dir.path(),
        &["--query-budget", "0.5", "--ttl", "1"],
        &[("GOHOST_TIMEOUT", "3")],
    );
    let budget_ms = 500.0;
    const SLACK_MS: f64 = 1500.0;
    // Nothing cached yet: an answer on time that says so, never invented rows.
    let first = fleet.select("gohost_findings", &["check_id", "status"], json!({}));
    assert_eq!(first["code"], 1, "{first}");
    assert!(
        first["message"]
            .as_str()
            .unwrap_or("")
            .contains("still running"),
        "{first}"
    );
    assert!(
        first["ms"].as_f64().unwrap_or(f64::MAX) < budget_ms + SLACK_MS,
        "{first}"
    );
    // The run goes on in the background; a later query gets its rows.
    let started = Instant::now();
    let fresh = loop {
        let r = fleet.select(
            "gohost_findings",
            &["plugin", "check_id", "status", "stale"],
            json!({}),
        );
        assert!(
            r["ms"].as_f64().unwrap_or(f64::MAX) < budget_ms + SLACK_MS,
            "{r}"
        );
        if r["code"] == 0 {
            break r;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no rows: {r}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let rows = fresh["rows"].as_array().cloned().unwrap_or_default();
    let hang: Vec<&Value> = rows
        .iter()
        .filter(|r| r["plugin"] == "fault-hang")
        .collect();
    assert_eq!(hang.len(), 1, "{rows:?}");
    assert_eq!(
        hang[0]["status"], "error",
        "the hung plugin is an error row: {rows:?}"
    );
    assert!(
        rows.iter().any(|r| r["check_id"] == "arch.platform"),
        "{rows:?}"
    );
    // Past the TTL: the refresh is slow again, so the same rows come back marked stale, on
    // time.
    std::thread::sleep(Duration::from_millis(1200));
    let stale = fleet.select(
        "gohost_findings",
        &["check_id", "status", "stale"],
        json!({}),
    );
    assert_eq!(stale["code"], 0, "{stale}");
    assert!(
        stale["ms"].as_f64().unwrap_or(f64::MAX) < budget_ms + SLACK_MS,
        "{stale}"
    );
    let stale_rows = stale["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(stale_rows.len(), rows.len(), "{stale}");
    assert!(stale_rows.iter().all(|r| r["stale"] == "1"), "{stale}");
}

#[test]
fn extension_exits_when_the_manager_goes_away() {
    let dir = plugin_dir(&[workspace_plugin("arch")]);
    // The manager removes its socket and exits, as osqueryd does on shutdown.
    let mut fleet = Fleet::start(dir.path(), &["--timeout", "3"], &[]);
    assert_eq!(
        fleet
            .rows("gohost_findings", &["check_id"], json!({"plugin": "arch"}))
            .len(),
        6
    );
    let bye = fleet.ask(json!({"cmd": "exit"}));
    assert_eq!(bye["bye"], true);
    let status = wait_exit(&mut fleet.ext, Duration::from_secs(3));
    assert!(status.is_some(), "still running 3 s after the manager left");
    assert!(
        !fleet.socket.with_extension("em.4242").exists(),
        "extension socket left behind"
    );

    // The manager killed outright (its socket file stays): the broken connection is enough.
    let mut fleet = Fleet::start(dir.path(), &["--timeout", "3"], &[]);
    fleet.manager.kill().expect("kill manager");
    let _ = fleet.manager.wait();
    let status = wait_exit(&mut fleet.ext, Duration::from_secs(3));
    assert!(
        status.is_some(),
        "still running 3 s after the manager was killed"
    );
}

#[test]
fn a_thousand_queries_do_not_leak() {
    let dir = plugin_dir(&[workspace_plugin("arch"), workspace_plugin("toolchain")]);
    let mut fleet = Fleet::start(dir.path(), &[], &[]);
    let pid = fleet.ext_pid();
    // Warm up: the first run fills the cache; then 100 queries settle allocator pools.
    assert!(fleet.rows("gohost_findings", &[], json!({})).len() > 10);
    let warm = fleet.ask(json!({"cmd": "repeat", "table": "gohost_findings", "n": 100}));
    assert_eq!(warm["ok"], 100, "{warm}");
    let (fd0, rss0) = (fd_count(pid), rss_kib(pid));
    assert!(fd0 > 0 && rss0 > 0, "cannot read /proc/{pid}");
    let mut samples = Vec::new();
    for table in [
        "gohost_findings",
        "gohost_checks",
        "gohost_plugins",
        "gohost_findings",
    ] {
        let r = fleet.ask(json!({"cmd": "repeat", "table": table, "n": 250}));
        assert_eq!(r["ok"], 250, "{table}: {r}");
        samples.push((fd_count(pid), rss_kib(pid)));
    }
    let (fd1, rss1) = samples[samples.len() - 1];
    eprintln!("fds {fd0} -> {samples:?}; RSS {rss0} KiB -> {rss1} KiB");
    assert_eq!(
        fd1, fd0,
        "file descriptors grew over 1,000 queries: {samples:?}"
    );
    // Rows of ~30 findings are a few tens of KiB; a leak per query would show in MiBs.
    assert!(
        rss1 <= rss0 + 2048,
        "RSS grew from {rss0} KiB to {rss1} KiB over 1,000 queries: {samples:?}"
    );
}

/// Queries the README's "Fleet use" section shows; their output there was printed by this
/// test (`cargo test -p gohost-osquery --test extension pack -- --nocapture`).
const README_EXAMPLES: &[&str] = &[
    "SELECT check_id, status FROM gohost_findings WHERE plugin = 'arch';",
    "SELECT plugin, check_id, status, title FROM gohost_findings WHERE status IN ('warn', 'fail', 'error');",
    "SELECT id, needs FROM gohost_checks WHERE needs != '';",
    "SELECT name, version, api_version, state, reason FROM gohost_plugins;",
];

#[test]
fn pack_queries_run_against_the_tables() {
    let pack_path = workspace_root().join("packs/gohost.conf");
    let text = std::fs::read_to_string(&pack_path).expect("packs/gohost.conf");
    let pack: Value = serde_json::from_str(&text).expect("the pack is valid JSON");
    let queries = pack["queries"].as_object().expect("a `queries` object");
    assert!(queries.len() >= 5, "{pack}");
    let dir = all_plugins_dir();
    let mut fleet = Fleet::start(dir.path(), &[], &[]);
    // Discovery: the pack runs only where the extension is loaded.
    for d in pack["discovery"].as_array().expect("discovery queries") {
        let r = fleet.ask(json!({"cmd": "sql", "query": d}));
        assert_eq!(r["rows"], json!([[1]]), "{d}: {r}");
    }
    for (name, q) in queries {
        assert!(name.starts_with("gohost_"), "{name}");
        assert!(
            q["interval"].as_u64().is_some_and(|i| i >= 60),
            "{name}: {q}"
        );
        assert!(
            q["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}"
        );
        let sql = q["query"].as_str().expect("query text");
        // SQLite over tables made from the registered columns: an unknown table or column
        // is an error here, as it would be in osquery.
        let r = fleet.ask(json!({"cmd": "sql", "query": sql}));
        assert!(r.get("error").is_none(), "{name}: {sql}: {r}");
        assert!(
            r["columns"].as_array().is_some_and(|c| !c.is_empty()),
            "{name}: {r}"
        );
    }
    // A misspelled column is caught the same way (the check above is not vacuous).
    let bad = fleet.ask(json!({"cmd": "sql", "query": "SELECT check FROM gohost_findings;"}));
    assert!(bad.get("error").is_some(), "{bad}");
    for sql in README_EXAMPLES {
        let r = fleet.ask(json!({"cmd": "sql", "query": sql}));
        assert!(r.get("error").is_none(), "{sql}: {r}");
        eprintln!("osquery> {sql}");
        let columns: Vec<&str> = r["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        eprintln!("{}", columns.join(" | "));
        for row in r["rows"].as_array().into_iter().flatten() {
            let cells: Vec<String> = row
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            eprintln!("{}", cells.join(" | "));
        }
        eprintln!();
    }
}

#[test]
fn refuses_a_gohost_others_could_replace() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::Builder::new()
        .prefix("gohost-osq-untrusted-")
        .tempdir()
        .expect("tempdir");
    let bin = dir.path().join("gohost");
    std::fs::copy(gohost_binary(), &bin).expect("copy gohost");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let out = std::process::Command::new(extension_bin())
        .arg("--socket")
        .arg(dir.path().join("no.em"))
        .arg("--gohost")
        .arg(&bin)
        .output()
        .expect("gohost-osquery runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("writable by others") && stderr.contains(&dir.path().display().to_string()),
        "{stderr}"
    );
}

#[test]
fn plugins_table_says_refused_and_shadowed() {
    use std::os::unix::fs::PermissionsExt as _;
    let first = plugin_dir(&[workspace_plugin("arch")]);
    let second = plugin_dir(&[workspace_plugin("arch")]);
    // A plugin file anyone could replace: refused by gohost's trust rules.
    let evil = first.path().join("libgohost_plugin_evil.so");
    std::fs::copy(workspace_plugin("toolchain"), &evil).expect("copy");
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let path = format!("{}:{}", first.path().display(), second.path().display());
    let mut fleet = Fleet::start(first.path(), &[], &[("GOHOST_PLUGIN_PATH", &path)]);
    let rows = fleet.rows("gohost_plugins", &[], json!({}));
    assert_eq!(rows.len(), 3, "{rows:?}");
    let by_state = |s: &str| -> Vec<&Value> { rows.iter().filter(|r| r["state"] == s).collect() };
    assert_eq!(by_state("loaded").len(), 1, "{rows:?}");
    let refused = by_state("refused");
    assert_eq!(refused.len(), 1, "{rows:?}");
    assert_eq!(refused[0]["path"], evil.display().to_string());
    assert!(
        refused[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("world-writable")),
        "{rows:?}"
    );
    let shadowed = by_state("shadowed");
    assert_eq!(shadowed.len(), 1, "{rows:?}");
    assert_eq!(shadowed[0]["name"], "arch");
    assert!(
        shadowed[0]["path"]
            .as_str()
            .is_some_and(|p| p.starts_with(&second.path().display().to_string())),
        "{rows:?}"
    );
    // The refused file never ran: its checks are not in gohost_checks.
    let checks = fleet.rows("gohost_checks", &["id", "plugin"], json!({}));
    assert!(
        !checks.is_empty() && checks.iter().all(|c| c["plugin"] == "arch"),
        "{checks:?}"
    );
}

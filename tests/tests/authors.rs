//! Plugin API evolution, proven with real dylibs and the real host (issue 8):
//! - a plugin built against the frozen plugin-api 1.0.0 (`tests/compat/plugin-api-1.0.0`)
//!   loads and runs in this host, in both isolation modes;
//! - a plugin tagged with a newer minor is refused with "needs a gohost supporting plugin API
//!   >= X.Y" (the choice documented in plugin-api's crate docs);
//! - a different major is refused from the plain version symbol;
//! - `http_get`, the method 1.1.0 appended, works live, is gated by `--online`, and is
//!   recorded and replayed;
//! - a plugin built against the frozen plugin-api 1.2.0 (`tests/compat/plugin-api-1.2.0`),
//!   calling the methods 1.2.0 appended, loads through `compat::v1_2` and runs in both
//!   isolation modes, live and in replay;
//! - a plugin built against the frozen plugin-api 1.3.0 (`tests/compat/plugin-api-1.3.0`),
//!   calling the methods 1.3.0 appended (`file_identity` after `read_dir`, `plugin_setting`),
//!   loads through `compat::v1_3` and runs in both isolation modes, live and in replay.

use std::io::{Read, Write};
use std::net::TcpListener;

use gohost_e2e::*;
use gohost_plugin_api::AbiVersionTag;

fn load_error<'a>(report: &'a serde_json::Value, file_suffix: &str) -> &'a str {
    report["load_errors"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["path"].as_str().is_some_and(|p| p.ends_with(file_suffix)))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no load error for {file_suffix}: {report:#}"))
}

#[test]
fn plugin_built_against_frozen_1_0_0_loads_and_runs_in_both_isolation_modes() {
    const _: () = assert!(
        AbiVersionTag::CURRENT.minor >= 1,
        "this test is about an older minor"
    );
    let dir = plugin_dir(&[compat("old-plugin"), workspace_plugin("arch")]);
    for isolation in ["worker", "none"] {
        let (code, report, stderr) = run_json(gohost(dir.path()).args([
            "run",
            "old-plugin",
            "arch",
            "--isolation",
            isolation,
        ]));
        assert!(
            report["load_errors"].as_array().is_some_and(Vec::is_empty),
            "{isolation}: {report:#}\n{stderr}"
        );
        assert!(
            code == 0 || code == 1,
            "{isolation}: exit {code}: {report:#}"
        );
        let old = findings(&report, "old-plugin");
        assert_eq!(old.len(), 1, "{isolation}: {old:?}");
        assert_eq!(old[0]["status"], "pass", "{isolation}: {}", old[0]);
        let evidence = |key: &str| {
            old[0]["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["key"] == key)
                .map(|e| e["value"].clone())
        };
        // Exec and the 1.0 vtable's last method (cache_put/cache_get) answered by this host.
        assert_eq!(
            evidence("exec"),
            Some("old-plugin-exec-ok".into()),
            "{isolation}"
        );
        assert_eq!(
            evidence("cache"),
            Some("cached-value".into()),
            "{isolation}"
        );
        assert_eq!(evidence("api_version"), Some("1.0.0".into()), "{isolation}");
        // A current-minor plugin loads alongside it in the same process.
        assert!(
            !findings(&report, "arch").is_empty(),
            "{isolation}: arch ran too"
        );
    }
    let out = output(gohost(dir.path()).args(["list"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("old-plugin 0.1.0 (plugin API 1.0.0)"),
        "{stdout}"
    );
}

#[test]
fn plugin_built_against_frozen_1_2_0_loads_and_runs_in_both_isolation_modes_and_replays() {
    const _: () = assert!(
        AbiVersionTag::CURRENT.minor >= 3,
        "this test is about an older minor"
    );
    let dir = plugin_dir(&[compat("api12-probe"), workspace_plugin("arch")]);
    let data = dir.path().join("data.txt");
    std::fs::write(&data, "0123456789abcdef").expect("write");
    let snap = dir.path().join("api12.snap.json");
    for isolation in ["worker", "none"] {
        let mut cmd = gohost(dir.path());
        cmd.env("GOHOST_TEST_API12_FILE", &data).args([
            "run",
            "api12-probe",
            "arch",
            "--isolation",
            isolation,
        ]);
        if isolation == "worker" {
            cmd.arg("--record").arg(&snap);
        }
        let (code, report, stderr) = run_json(&mut cmd);
        assert!(
            report["load_errors"].as_array().is_some_and(Vec::is_empty),
            "{isolation}: {report:#}\n{stderr}"
        );
        assert!(
            code == 0 || code == 1,
            "{isolation}: exit {code}: {report:#}"
        );
        let f = findings(&report, "api12-probe");
        assert_eq!(f.len(), 1, "{isolation}: {f:?}");
        assert_eq!(f[0]["status"], "pass", "{isolation}: {}", f[0]);
        assert_eq!(evidence(f[0], "api_version"), "1.2.0", "{isolation}");
        assert_eq!(
            evidence(f[0], "range"),
            "456789",
            "{isolation}: read_file_at"
        );
        assert!(
            evidence(f[0], "sh_found")
                .parse::<u32>()
                .is_ok_and(|n| n > 0),
            "{isolation}: which_answer: {}",
            f[0]
        );
        assert!(
            !findings(&report, "arch").is_empty(),
            "{isolation}: arch ran too"
        );
    }
    // Replay: the file is gone and the variable unset here; every answer is the recorded one.
    std::fs::remove_file(&data).expect("remove");
    let (code, replayed, stderr) = run_json(
        gohost(dir.path())
            .env_remove("GOHOST_TEST_API12_FILE")
            .args(["run", "api12-probe", "--replay"])
            .arg(&snap),
    );
    assert_eq!(code, 0, "{replayed:#}\n{stderr}");
    let g = findings(&replayed, "api12-probe");
    assert_eq!(g.len(), 1, "{replayed:#}");
    assert_eq!(evidence(g[0], "range"), "456789", "{}", g[0]);
    let out = output(gohost(dir.path()).args(["list"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("api12-probe 0.1.0 (plugin API 1.2.0)"),
        "{stdout}"
    );
}

#[test]
fn plugin_built_against_frozen_1_3_0_loads_and_runs_in_both_isolation_modes_and_replays() {
    const _: () = assert!(
        AbiVersionTag::CURRENT.minor >= 4,
        "this test is about an older minor"
    );
    let dir = plugin_dir(&[compat("api13-probe"), workspace_plugin("arch")]);
    // The user's config (gohost's XDG_CONFIG_HOME in these tests) sets the plugin's setting.
    let config = dir.path().join(".no-config").join("gohost");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(
        config.join("gohost.toml"),
        "[plugins.api13-probe]\nmode = \"fast\"\n",
    )
    .expect("write config");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::write(data.join("a"), "0123456789abcdef").expect("write");
    std::fs::write(data.join("b"), "xyz").expect("write");
    let snap = dir.path().join("api13.snap.json");
    for isolation in ["worker", "none"] {
        let mut cmd = gohost(dir.path());
        cmd.env("GOHOST_TEST_API13_DIR", &data).args([
            "run",
            "api13-probe",
            "arch",
            "--isolation",
            isolation,
        ]);
        if isolation == "worker" {
            cmd.arg("--record").arg(&snap);
        }
        let (code, report, stderr) = run_json(&mut cmd);
        assert!(
            report["load_errors"].as_array().is_some_and(Vec::is_empty),
            "{isolation}: {report:#}\n{stderr}"
        );
        assert!(
            code == 0 || code == 1,
            "{isolation}: exit {code}: {report:#}"
        );
        let f = findings(&report, "api13-probe");
        assert_eq!(f.len(), 1, "{isolation}: {f:?}");
        assert_eq!(f[0]["status"], "pass", "{isolation}: {}", f[0]);
        assert_eq!(evidence(f[0], "api_version"), "1.3.0", "{isolation}");
        assert_eq!(
            evidence(f[0], "sizes"),
            "a=16,b=3",
            "{isolation}: file_identity"
        );
        assert_eq!(
            evidence(f[0], "mode"),
            "\"fast\"",
            "{isolation}: plugin_setting"
        );
        assert!(
            !findings(&report, "arch").is_empty(),
            "{isolation}: arch ran too"
        );
    }
    // Replay: the directory is gone and the variable unset here; every answer is the
    // recorded one.
    std::fs::remove_dir_all(&data).expect("remove");
    let (code, replayed, stderr) = run_json(
        gohost(dir.path())
            .env_remove("GOHOST_TEST_API13_DIR")
            .args(["run", "api13-probe", "--replay"])
            .arg(&snap),
    );
    assert_eq!(code, 0, "{replayed:#}\n{stderr}");
    let g = findings(&replayed, "api13-probe");
    assert_eq!(g.len(), 1, "{replayed:#}");
    assert_eq!(g[0]["status"], "pass", "{}", g[0]);
    assert_eq!(evidence(g[0], "sizes"), "a=16,b=3", "{}", g[0]);
    assert_eq!(evidence(g[0], "mode"), "\"fast\"", "{}", g[0]);
    let out = output(gohost(dir.path()).args(["list"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("api13-probe 0.1.0 (plugin API 1.3.0)"),
        "{stdout}"
    );
}

#[test]
fn plugin_built_for_a_newer_minor_is_refused_with_the_version_it_needs() {
    let dir = plugin_dir(&[compat("newer-minor")]);
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 3, "{report:#}");
    let host = AbiVersionTag::CURRENT;
    let message = load_error(
        &report,
        &format!(
            "libgohost_plugin_newer_minor.{}",
            std::env::consts::DLL_EXTENSION
        ),
    );
    let newer = format!("{}.{}", host.major, host.minor + 1);
    assert!(
        message.contains(&format!("needs a gohost supporting plugin API >= {newer}")),
        "{message}"
    );
    assert!(
        message.contains(&format!("newer than this gohost's {host}"))
            && message.contains("upgrade gohost"),
        "{message}"
    );
    assert!(
        findings(&report, "newer-minor").is_empty(),
        "never ran: {report:#}"
    );
}

#[test]
fn plugin_built_for_another_major_is_refused_from_the_plain_symbol() {
    let dir = plugin_dir(&[fixture("fault-major")]);
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 3);
    let message = load_error(&report, "libgohost_plugin_fault_major.so");
    let major = AbiVersionTag::CURRENT.major;
    assert!(
        message.contains(&format!(
            "built for plugin API 99.0.0 but this gohost speaks plugin API {major}.x; rebuild the plugin against gohost-plugin-api {major}.x"
        )),
        "{message}"
    );
    // From the plain symbol: the fixture has no abi_stable root module at all, so a message
    // naming the version can only come from GOHOST_PLUGIN_ABI.
    assert!(!message.contains("abi_stable"), "{message}");
}

/// A one-thread HTTP server answering every request with `status` and `body`.
fn serve(status: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/lookup")
}

fn evidence(finding: &serde_json::Value, key: &str) -> String {
    finding["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["key"] == key)
        .and_then(|e| e["value"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn http_get_is_live_with_online_skipped_without_and_recorded_and_replayed() {
    let body = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz-END";
    let url = serve("200 OK", body);
    let dir = plugin_dir(&[compat("http-probe")]);

    let (_, report, _) = run_json(
        gohost(dir.path())
            .env("GOHOST_TEST_HTTP_URL", &url)
            .args(["run", "http-probe"]),
    );
    let f = findings(&report, "http-probe");
    assert_eq!(f[0]["status"], "skip", "no --online: {}", f[0]);
    assert!(
        f[0]["title"]
            .as_str()
            .unwrap_or_default()
            .ends_with("not run without --online"),
        "{}",
        f[0]
    );

    let snap = dir.path().join("http.snap.json");
    let (code, live, stderr) = run_json(
        gohost(dir.path())
            .env("GOHOST_TEST_HTTP_URL", &url)
            .args(["run", "http-probe", "--online", "--record"])
            .arg(&snap),
    );
    assert_eq!(code, 0, "{live:#}\n{stderr}");
    let f = findings(&live, "http-probe");
    assert_eq!(f[0]["status"], "pass", "{}", f[0]);
    assert_eq!(evidence(f[0], "status"), "200");
    assert_eq!(evidence(f[0], "body"), &body[..64], "cut at max_bytes");
    assert_eq!(evidence(f[0], "truncated"), "true");
    let recorded = std::fs::read_to_string(&snap).expect("snapshot written");
    assert!(recorded.contains("\"probe\": \"http\""), "{recorded}");

    // Replay: the server is not asked (a dead URL in the env would not matter: env is replayed).
    let (code, replayed, stderr) = run_json(
        gohost(dir.path())
            .args(["run", "http-probe", "--online", "--replay"])
            .arg(&snap),
    );
    assert_eq!(code, 0, "{replayed:#}\n{stderr}");
    let g = findings(&replayed, "http-probe");
    assert_eq!(
        (evidence(g[0], "status"), evidence(g[0], "body")),
        (evidence(f[0], "status"), evidence(f[0], "body"))
    );

    // Any HTTP status is an answer, not a probe error.
    let missing = serve("404 Not Found", "no such module");
    let (_, report, _) = run_json(
        gohost(dir.path())
            .env("GOHOST_TEST_HTTP_URL", &missing)
            .args(["run", "http-probe", "--online"]),
    );
    let f = findings(&report, "http-probe");
    assert_eq!(
        (f[0]["status"].as_str(), evidence(f[0], "status").as_str()),
        (Some("pass"), "404"),
        "{}",
        f[0]
    );

    // Nothing listening: an error finding that says what happened.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}/", closed.local_addr().expect("addr"));
    drop(closed);
    let (_, report, _) = run_json(gohost(dir.path()).env("GOHOST_TEST_HTTP_URL", &dead).args([
        "run",
        "http-probe",
        "--online",
    ]));
    let f = findings(&report, "http-probe");
    assert_eq!(f[0]["status"], "error", "{}", f[0]);
    assert!(
        f[0]["detail"].as_str().unwrap_or_default().contains(&dead),
        "{}",
        f[0]
    );
}

//! Fuzz targets for the host's parsers of outside input: snapshots (`--replay FILE`),
//! `gohost.toml`, Mach-O/ELF/PE inspection of plugin files (done before any plugin code
//! runs, so it sees whatever file sits in a plugin directory), and the worker protocol (JSON
//! lines a crashed or hostile worker may garble). See `fuzz_common` for the method.

#[path = "fuzz_common/mod.rs"]
mod fuzz_common;

use fuzz_common::*;
use gohost::{FromWorker, ToWorker};
use gohost_plugin_api::snapshot::{ProbeRecord, Snapshot};
use gohost_plugin_api::{Finding, LogLevel};
use proptest::prelude::*;

const JSON_DICT: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "-1",
    "1e999",
    "\\u0000",
    "\\ud800",
    "{\"base64\":\"",
    "\"ok\":",
    "\"err\":",
    "\"probe\":\"exec\"",
    "\"type\":\"findings\"",
    "\"status\":\"pass\"",
];
const TOML_DICT: &[&str] = &[
    "=",
    "\n",
    "[",
    "]",
    "\"",
    "'''",
    "timeout",
    "exec_timeout",
    "jobs",
    "isolation",
    "plugin_dirs",
    "skip",
    "strict",
    "online",
    "allow_untrusted",
    "no_cache",
    "\"none\"",
    "\"worker\"",
    "-1",
    "nan",
    "inf",
    "1e400",
    "[table]",
    "#",
];

fn snapshot_seeds() -> Vec<Vec<u8>> {
    let dir = gohost_e2e::workspace_root().join("tests/replay");
    seeds(&dir, |n| n.ends_with(".json"))
}

proptest! {
    #![proptest_config(config(0.5))]

    #[test]
    fn snapshot_from_json(text in text_input(snapshot_seeds(), JSON_DICT)) {
        if let Ok(snapshot) = Snapshot::from_json(&text) {
            // What parses must survive a round trip and be usable for replay.
            let again = Snapshot::from_json(&snapshot.to_json()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&again, &snapshot);
            let replayer = gohost_plugin_api::snapshot::Replayer::new(snapshot);
            let _ = replayer.sysctl("hw.optional.arm64");
            let _ = replayer.read_file("/proc/cpuinfo", 0);
            let _ = replayer.which("go");
        }
    }
}

fn config_seeds() -> Vec<Vec<u8>> {
    vec![
        b"isolation = \"none\"\ntimeout = 30\n".to_vec(),
        b"timeout = 5\nplugin_dirs = [\"p\", \"/abs\"]\nisolation = \"worker\"\njobs = 4\n".to_vec(),
        b"skip = [\"arch\"]\nstrict = true\nonline = false\nallow_untrusted = false\nno_cache = true\nexec_timeout = 2.5\n"
            .to_vec(),
    ]
}

proptest! {
    #![proptest_config(config(0.5))]

    #[test]
    fn config_file(bytes in input(config_seeds(), TOML_DICT)) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("gohost.toml");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match gohost::load_config_file(&path) {
            Ok(config) => {
                for d in &config.plugin_dirs {
                    prop_assert!(d.is_absolute(), "relative plugin dir survived: {}", d.display());
                }
                let _ = gohost::merge_configs(config.clone(), config);
            }
            // Errors are for people: one line, naming the file.
            Err(e) => {
                let message = e.to_string();
                prop_assert!(!message.contains('\n'), "{message}");
                prop_assert!(message.contains("gohost.toml"), "{message}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(2.0))]

    #[test]
    fn inspect_plugin_file(bytes in input(binary_seeds(), &["\u{7f}ELF", "\u{cf}\u{fa}\u{ed}\u{fe}", "\u{ca}\u{fe}\u{ba}\u{be}", "MZ", "GOHOST_PLUGIN_ABI"])) {
        match gohost_inspect::inspect_bytes(&bytes) {
            Ok(inspection) => {
                let _ = inspection.check_loadable_here();
                for slice in &inspection.slices {
                    let _ = slice.arch_name();
                    let _ = slice.min_os_string();
                }
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(!message.is_empty());
            }
        }
    }
}

/// Real protocol lines: every probe record of the replay snapshots, and the other messages
/// built with the same types the worker uses.
fn protocol_seeds() -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut push = |m: &FromWorker| lines.push(serde_json::to_vec(m).unwrap_or_default());
    for (_, snapshot) in replay_snapshots() {
        for record in snapshot.probes.iter().take(40) {
            push(&FromWorker::Probe {
                record: record.clone(),
            });
        }
    }
    let finding = Finding::error("plugin `x` could not finish")
        .detail("the plugin crashed: killed by signal 11")
        .with_check("x.plugin")
        .evidence("file", "/tmp/libgohost_plugin_x.so", "discovery")
        .remediation("Report it.", ["gohost run all --skip x".to_owned()]);
    push(&FromWorker::Findings {
        findings: vec![finding.clone(), Finding::pass("ok").with_check("x.ok")],
    });
    push(&FromWorker::Manifest {
        manifest: gohost_plugin_api::runtime::manifest("x", "0.1.0", "fuzz"),
    });
    push(&FromWorker::LoadError {
        message: "built for plugin API 99.0.0".into(),
    });
    push(&FromWorker::Log {
        level: LogLevel::Warn,
        target: "x".into(),
        message: "m".into(),
    });
    push(&FromWorker::Progress {
        message: "halfway".into(),
    });
    lines.push(
        serde_json::to_vec(&ToWorker::Run {
            selection: vec!["x.ok".into()],
        })
        .unwrap_or_default(),
    );
    lines.push(serde_json::to_vec(&ToWorker::Exit).unwrap_or_default());
    lines
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn worker_protocol_line(line in input(protocol_seeds(), JSON_DICT)) {
        if let Ok(message) = serde_json::from_slice::<FromWorker>(&line) {
            // Whatever the host accepts it can also log and re-send.
            let _ = format!("{message:?}");
            let again = serde_json::to_vec(&message).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(serde_json::from_slice::<FromWorker>(&again).is_ok());
            if let FromWorker::Probe { record: ProbeRecord::Exec { argv, .. } } = &message {
                let _ = argv.join(" ");
            }
        }
        let _ = serde_json::from_slice::<ToWorker>(&line);
    }
}

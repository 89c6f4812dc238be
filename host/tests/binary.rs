//! The gohost binary on its own, with no plugins: clear messages and exit codes. (Having an
//! integration test here also makes `cargo test` build `target/debug/gohost`, which the
//! plugins' end-to-end tests run.)

use std::process::Command;

fn gohost() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gohost"));
    let empty = std::env::temp_dir().join("gohost-binary-test-no-plugins");
    cmd.env("GOHOST_NO_DEFAULT_PLUGIN_DIRS", "1")
        .env("GOHOST_PLUGIN_PATH", &empty)
        .env_remove("GOHOST_CONFIG");
    cmd
}

#[test]
fn no_plugins_is_a_clear_usage_error_that_says_where_gohost_looked() {
    let out = gohost().args(["run", "all"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no plugins found; searched:"), "{stderr}");
    assert!(
        stderr.contains("gohost-binary-test-no-plugins [GOHOST_PLUGIN_PATH]"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn list_with_no_plugins_says_so() {
    let out = gohost().arg("list").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no plugins found") && stdout.contains("searched:"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(
        gohost()
            .arg("frobnicate")
            .output()
            .expect("run")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        gohost()
            .args(["run", "--timeout", "-1", "all"])
            .output()
            .expect("run")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        gohost()
            .args(["run", "--timeout", "nan", "all"])
            .output()
            .expect("run")
            .status
            .code(),
        Some(2)
    );
    let help = gohost().arg("--help").output().expect("run");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes: 0 no failures"));
    let version = gohost().arg("--version").output().expect("run");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("gohost {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn plugin_check_of_a_missing_file_names_it() {
    let out = gohost()
        .args(["plugin", "check", "/nonexistent/libgohost_plugin_x.so"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/nonexistent/libgohost_plugin_x.so"));
}

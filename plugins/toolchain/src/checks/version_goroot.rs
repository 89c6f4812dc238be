//! `toolchain.version-goroot`: `go version` against `$GOROOT/VERSION` and the binary's place,
//! and, when the go command does not start at all, the GOROOT or GOTOOLCHAIN setting that
//! stops it.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoFacts, Needs, ProbeErrorKind};

use crate::discover::{parse_header_is_script, version_from_output};
use crate::util::{
    default_env_file, env_json, env_str, parse_env_file, read_env_file, remove_env_line_command,
    shown, EnvFile, NO_GO,
};

inventory::submit! { Check {
    id: "toolchain.version-goroot",
    title: "go version matches its GOROOT",
    explain: "Compares `go version` with `$GOROOT/VERSION` and where the go binary lives. A GOROOT exported in a shell profile, or persisted in the go env file, that points at another release mixes tools and standard library: fail. The fix depends on where GOROOT comes from: `unset GOROOT` (and the profile line) for the environment; for the go env file, deleting its GOROOT line with a portable awk command — `go env -u GOROOT` is not a fix, because current Go refuses it (\"go: GOROOT cannot be modified\", cmd/go/internal/envcmd/env.go) while still reading the line. When go does not start at all because of a GOROOT that does not exist, an invalid GOTOOLCHAIN, or GOTOOLCHAIN=path with the toolchain a go.mod asks for missing from PATH, it names that setting and where it is. A missing `go version` or `go env -json` answer is reported as could not tell.",
    tags: &["toolchain"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    /// The host's facts about the first go (None: no go).
    pub go: Option<GoFacts>,
    /// Whether `go env -json` was answered and parsed.
    pub env_answered: bool,
    /// GOROOT from `go env -json`.
    pub goroot: Option<String>,
    /// GOROOT and GOTOOLCHAIN in this process's environment (non-empty).
    pub goroot_env: Option<String>,
    pub gotoolchain_env: Option<String>,
    /// The go env file: from `go env GOENV` when go runs, else where go would look for it.
    pub env_file: EnvFile,
    /// `$GOROOT/VERSION`.
    pub version_file: String,
    /// Its first line, or why it could not be read.
    pub file_version: Result<String, String>,
    /// `$GOROOT/bin/go` and the go on PATH, resolved (None: not answered).
    pub goroot_bin: Option<String>,
    pub go_real: Option<String>,
    /// Whether the resolved go on PATH is a script.
    pub go_real_is_script: Option<bool>,
}

fn resolved(ctx: &Ctx<'_>, path: &str) -> Option<String> {
    ctx.file_info(path)
        .ok()
        .and_then(|i| i.canonical.into_option().map(String::from))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let go = facts.go.clone().into_option();
    let env = env_json(&facts);
    let goroot = env_str(&env, "GOROOT");
    let env_file = if env.is_some() {
        read_env_file(ctx, &env)
    } else {
        // go did not answer `go env -json`: look where it would look (cfg.EnvFile).
        match default_env_file(
            facts.os.as_str(),
            ctx.env("GOENV").as_deref(),
            ctx.env("HOME").as_deref(),
            ctx.env("XDG_CONFIG_HOME").as_deref(),
        ) {
            Some(path) => match ctx.read_to_string(&path) {
                Ok(t) => EnvFile::Read {
                    path,
                    settings: parse_env_file(&t),
                },
                Err(e) if e.kind == ProbeErrorKind::NotFound => EnvFile::Missing { path },
                Err(e) => EnvFile::Unreadable {
                    path,
                    error: e.to_string(),
                },
            },
            None => EnvFile::NoAnswer {
                reason: "GOENV=off, or no HOME to find the go env file".to_owned(),
            },
        }
    };
    let version_file = goroot
        .as_ref()
        .map(|g| format!("{g}/VERSION"))
        .unwrap_or_default();
    let file_version = match &goroot {
        Some(_) => ctx
            .read_to_string(&version_file)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                t.lines()
                    .next()
                    .map(|l| l.trim().to_owned())
                    .ok_or_else(|| "empty".to_owned())
            }),
        None => Err("no GOROOT".to_owned()),
    };
    let goroot_bin = goroot
        .as_ref()
        .and_then(|g| resolved(ctx, &format!("{}/bin/go", g.trim_end_matches('/'))));
    let go_real = go.as_ref().and_then(|g| resolved(ctx, g.path.as_str()));
    let go_real_is_script = match (&go_real, &goroot_bin) {
        (Some(r), Some(b)) if r != b => parse_header_is_script(ctx, r),
        _ => None,
    };
    Observations {
        go,
        env_answered: env.is_some(),
        goroot,
        goroot_env: ctx.env("GOROOT").filter(|v| !v.is_empty()),
        gotoolchain_env: ctx.env("GOTOOLCHAIN").filter(|v| !v.is_empty()),
        env_file,
        version_file,
        file_version,
        goroot_bin,
        go_real,
        go_real_is_script,
    }
}

/// Commands that take `name` away from where it is set: the environment first (it wins over
/// the file, FACTS.md), else the go env file's line. None when neither is known to set it.
fn unset_commands(
    obs: &Observations,
    name: &str,
    env_value: Option<&String>,
) -> Option<Vec<String>> {
    let mut cmds = Vec::new();
    if env_value.is_some() {
        cmds.push(format!(
            "unset {name}   # and delete the line that exports it from your shell profile"
        ));
    }
    // The file's line is read as soon as the environment no longer sets it.
    if obs.env_file.sets(name) == Some(true) {
        if let Some(cmd) = obs
            .env_file
            .path()
            .and_then(|p| remove_env_line_command(p, name))
        {
            cmds.push(cmd);
        }
    }
    (!cmds.is_empty()).then_some(cmds)
}

fn go_does_not_run(obs: &Observations, go: &GoFacts, problem: &str) -> Finding {
    let f = Finding::fail("the go on PATH does not run")
        .detail(problem.to_owned())
        .evidence("go", go.path.as_str(), "which go");
    let f = match obs.env_file.path() {
        Some(p) => f.evidence("go env file", p, "GOENV / os.UserConfigDir()/go/env"),
        None => f,
    };
    // The go command stops before anything else when GOROOT names a missing directory
    // ("cannot find GOROOT directory", Go src cmd/go/main.go) or GOTOOLCHAIN
    // is not a valid value ("invalid GOTOOLCHAIN", cmd/go/internal/toolchain/select.go).
    for (name, marker, env_value) in [
        (
            "GOROOT",
            "cannot find GOROOT directory",
            obs.goroot_env.as_ref(),
        ),
        (
            "GOTOOLCHAIN",
            "invalid GOTOOLCHAIN",
            obs.gotoolchain_env.as_ref(),
        ),
    ] {
        if !problem.contains(marker) {
            continue;
        }
        let where_ = if env_value.is_some() {
            "exported in the environment".to_owned()
        } else {
            match obs.env_file.path() {
                Some(p) if obs.env_file.sets(name) == Some(true) => {
                    format!("in the go env file {p}")
                }
                _ => "set somewhere gohost could not see".to_owned(),
            }
        };
        let f = Finding::fail(format!(
            "the go on PATH does not run: its {name} setting ({where_}) stops it"
        ))
        .detail(problem.to_owned())
        .evidence("go", go.path.as_str(), "which go");
        let f = match obs.env_file.path() {
            Some(p) => f.evidence("go env file", p, "GOENV / os.UserConfigDir()/go/env"),
            None => f,
        };
        return match unset_commands(obs, name, env_value) {
            Some(mut cmds) => {
                cmds.push(format!("{} version", go.path));
                f.remediation(format!("Remove the {name} setting so go uses its default:"), cmds)
            }
            None => f.remediation(
                format!("Find where {name} is set (environment, shell profile, go env file) and remove it:"),
                [format!("env | grep '^{name}='"), format!("{} version", go.path)],
            ),
        };
    }
    // GOTOOLCHAIN=path (or goX+path) and a go.mod/go.work line asking for a toolchain that
    // is not on PATH: every command in that module stops ("cannot find %q in PATH",
    // cmd/go/internal/toolchain/select.go `Exec`).
    if problem.contains("cannot find \"go") && problem.contains("in PATH") {
        let mut cmds = vec![
            "GOTOOLCHAIN=local go env GOMOD GOWORK   # which go.mod/go.work asks for it".to_owned(),
        ];
        match unset_commands(obs, "GOTOOLCHAIN", obs.gotoolchain_env.as_ref()) {
            Some(more) => {
                cmds.push("# then let go download it instead (GOTOOLCHAIN=auto, the default):".to_owned());
                cmds.extend(more);
            }
            None => cmds.push(
                "# then put that toolchain on PATH, or set GOTOOLCHAIN=auto where GOTOOLCHAIN=path is set".to_owned(),
            ),
        }
        return Finding::fail(
            "the go on PATH does not run here: go.mod or go.work asks for a toolchain that GOTOOLCHAIN=path looks for only on PATH, and it is not there",
        )
        .detail(problem.to_owned())
        .evidence("go", go.path.as_str(), "which go")
        .remediation("Find what asks for it, then provide it:", cmds);
    }
    f.remediation(
        "Run it by hand to see the error, then reinstall Go:",
        [
            format!("{} version", go.path),
            format!("{} env GOROOT", go.path),
        ],
    )
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(go) = &obs.go else {
        return vec![Finding::skip(NO_GO)];
    };
    if let Some(p) = go.problem.clone().into_option() {
        return vec![go_does_not_run(obs, go, p.as_str())];
    }
    let Some(version) = version_from_output(go.version_output.as_str()) else {
        return vec![
            Finding::skip("could not tell: `go version` gave no version").evidence(
                "go version",
                if go.version_output.is_empty() {
                    "no answer"
                } else {
                    go.version_output.as_str()
                },
                format!("{} version", go.path),
            ),
        ];
    };
    if !obs.env_answered {
        return vec![Finding::skip(
            "could not tell: `go env -json` gave no answer",
        )];
    }
    let Some(goroot) = obs.goroot.clone() else {
        return vec![Finding::skip("`go env -json` gave no GOROOT")];
    };
    let describe = |v: &Option<String>| v.clone().unwrap_or_else(|| "could not resolve".to_owned());
    let base = |f: Finding| {
        f.evidence(
            "go version",
            shown(go.version_output.as_str()),
            format!("{} version", go.path),
        )
        .evidence("GOROOT", &goroot, "go env -json")
        .evidence(
            "GOROOT/VERSION",
            match &obs.file_version {
                Ok(v) => v.clone(),
                Err(e) => format!("could not read ({e})"),
            },
            &obs.version_file,
        )
        .evidence("GOROOT/bin/go", describe(&obs.goroot_bin), "realpath")
        .evidence("go (resolved)", describe(&obs.go_real), "realpath")
        .evidence(
            "GOROOT env",
            obs.goroot_env.clone().unwrap_or_else(|| "unset".to_owned()),
            "environment",
        )
    };
    let mut f = match &obs.file_version {
        Ok(fv) if fv.starts_with("go") && *fv != version => {
            let fix = unset_commands(obs, "GOROOT", obs.goroot_env.as_ref());
            let f = base(Finding::fail(format!(
                "`go version` says {version} but GOROOT {goroot} holds {fv}"
            )))
            .detail(
                "The go command and its GOROOT are from different releases (usually a GOROOT \
                 exported in a shell profile or persisted in the go env file): the compiler, \
                 standard library and tools will not match and builds fail in confusing ways.",
            );
            match fix {
                Some(mut cmds) => {
                    cmds.push("go env GOROOT".to_owned());
                    f.remediation("Let go find its own GOROOT:", cmds)
                }
                None if obs.env_file.sets("GOROOT") == Some(false) => f.remediation(
                    "GOROOT is neither exported nor in the go env file: this go binary sits in another release's tree. Run the go that belongs to it, or reinstall:",
                    [format!("{}/bin/go version", goroot), "type -a go".to_owned()],
                ),
                None => f.remediation(
                    "Find where GOROOT is set (environment, shell profile, go env file) and remove it:",
                    ["env | grep '^GOROOT='".to_owned(), "cat \"$(go env GOENV)\"".to_owned()],
                ),
            }
        }
        Ok(fv) if fv.starts_with("go") => base(Finding::pass(format!(
            "go version {version} matches GOROOT {goroot}"
        ))),
        Ok(_) | Err(_) => base(Finding::info(format!(
            "go {version} with GOROOT {goroot} (no readable VERSION file to compare)"
        ))),
    };
    if let (Some(go_real), Some(goroot_bin)) = (&obs.go_real, &obs.goroot_bin) {
        if go_real != goroot_bin
            && !go_real.contains("/.pyenv/")
            && obs.go_real_is_script == Some(false)
        {
            f = f.detail(format!(
                "Note: the go on PATH resolves to {go_real}, not {goroot_bin}."
            ));
        }
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    const ENV: &str = "/home/u/.config/go/env";

    fn facts(problem: Option<&str>) -> GoFacts {
        GoFacts {
            path: "/usr/local/go/bin/go".into(),
            version_output: "go version go1.27.3 linux/amd64".into(),
            env_json: "{}".into(),
            problem: problem.map(Into::into).into(),
        }
    }

    fn obs(file_version: &str, settings: &[(&str, &str)]) -> Observations {
        Observations {
            go: Some(facts(None)),
            env_answered: true,
            goroot: Some("/usr/lib/go-1.19".into()),
            goroot_env: None,
            gotoolchain_env: None,
            env_file: EnvFile::Read {
                path: ENV.into(),
                settings: settings
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
            },
            version_file: "/usr/lib/go-1.19/VERSION".into(),
            file_version: Ok(file_version.into()),
            goroot_bin: Some("/usr/lib/go-1.19/bin/go".into()),
            go_real: Some("/usr/local/go/bin/go".into()),
            go_real_is_script: Some(false),
        }
    }

    /// The audit: `go env -u GOROOT` was the fix; Go 1.27 refuses it ("GOROOT cannot be
    /// modified", Go src cmd/go/internal/envcmd/env.go checkEnvWrite; FACTS.md), so the fix
    /// deletes the line from the go env file.
    #[test]
    fn table() {
        let awk = "awk 'index($0, \"GOROOT=\") != 1' /home/u/.config/go/env > /home/u/.config/go/env.gohost-tmp && mv /home/u/.config/go/env.gohost-tmp /home/u/.config/go/env";
        let mut rows: Vec<(&str, Observations, Status, Option<&str>)> = vec![
            ("match", obs("go1.27.3", &[]), Status::Pass, None),
            (
                "persisted GOROOT",
                obs("go1.19.8", &[("GOROOT", "/usr/lib/go-1.19")]),
                Status::Fail,
                Some(awk),
            ),
            (
                "not from a setting",
                obs("go1.19.8", &[]),
                Status::Fail,
                Some("/usr/lib/go-1.19/bin/go version"),
            ),
        ];
        let mut o = obs("go1.19.8", &[("GOROOT", "/x")]);
        o.goroot_env = Some("/usr/lib/go-1.19".into());
        rows.push((
            "exported GOROOT",
            o,
            Status::Fail,
            Some("unset GOROOT   # and delete the line that exports it from your shell profile"),
        ));
        let mut o = obs("go1.19.8", &[]);
        o.env_file = EnvFile::Unreadable {
            path: ENV.into(),
            error: "not recorded".into(),
        };
        rows.push((
            "file unreadable",
            o,
            Status::Fail,
            Some("env | grep '^GOROOT='"),
        ));
        let mut o = obs("go1.27.3", &[]);
        o.go = Some(facts(Some(
            "`go version` failed: go: cannot find GOROOT directory: /nonexistent",
        )));
        o.env_answered = false;
        o.env_file = EnvFile::Read {
            path: ENV.into(),
            settings: vec![("GOROOT".into(), "/nonexistent".into())],
        };
        rows.push(("go stopped by GOROOT", o, Status::Fail, Some(awk)));
        let mut o = obs("go1.27.3", &[]);
        o.go = Some(facts(Some("go: invalid GOTOOLCHAIN \"bogus\"")));
        o.gotoolchain_env = Some("bogus".into());
        rows.push((
            "go stopped by GOTOOLCHAIN",
            o,
            Status::Fail,
            Some(
                "unset GOTOOLCHAIN   # and delete the line that exports it from your shell profile",
            ),
        ));
        let mut o = obs("go1.27.3", &[("GOTOOLCHAIN", "path")]);
        o.go = Some(facts(Some("go: cannot find \"go1.99.0\" in PATH")));
        o.env_answered = false;
        rows.push((
            "path mode, toolchain missing",
            o,
            Status::Fail,
            Some("GOTOOLCHAIN=local go env GOMOD GOWORK   # which go.mod/go.work asks for it"),
        ));
        // Missing answers: could not tell, never pass.
        let mut o = obs("go1.27.3", &[]);
        o.file_version = Err("not recorded".into());
        rows.push(("VERSION unreadable", o, Status::Info, None));
        let mut o = obs("go1.27.3", &[]);
        o.go = Some(GoFacts {
            version_output: "".into(),
            ..facts(None)
        });
        rows.push(("no go version", o, Status::Skip, None));
        let mut o = obs("go1.27.3", &[]);
        o.env_answered = false;
        o.goroot = None;
        rows.push(("no go env", o, Status::Skip, None));
        let mut o = obs("go1.27.3", &[]);
        o.go = None;
        rows.push(("no go", o, Status::Skip, None));
        assert_eq!(rows.len(), 12);
        crate::checks::assert_judge_table(rows, judge, "go env -u GOROOT");
    }
}

//! `toolchain.gobin-on-path`: whether the directory `go install` writes to is on PATH.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::util::{env_json, env_str, NO_GO};

inventory::submit! { Check {
    id: "toolchain.gobin-on-path",
    title: "GOBIN / GOPATH/bin on PATH",
    explain: "Checks that the directory `go install` writes to (GOBIN, else the first GOPATH entry's bin) is on PATH, so installed tools (gopls, linters) are found.",
    tags: &["toolchain", "path"],
    needs: Needs::NONE,
    run,
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub has_go: bool,
    /// GOBIN from `go env -json` (None when empty).
    pub gobin: Option<String>,
    /// GOPATH from `go env -json` (None when empty).
    pub gopath: Option<String>,
    /// PATH as the host sees it.
    pub path_env: String,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let env = env_json(&facts);
    Observations {
        has_go: facts.go.is_some(),
        gobin: env_str(&env, "GOBIN"),
        gopath: env_str(&env, "GOPATH"),
        path_env: ctx.env("PATH").unwrap_or_default(),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if !obs.has_go {
        return vec![Finding::skip(NO_GO)];
    }
    let (dir, source) = match obs.gobin.clone() {
        Some(b) => (b, "GOBIN"),
        None => match obs.gopath.clone() {
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
    let path = obs.path_env.clone();
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

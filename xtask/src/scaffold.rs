//! `new-plugin`: scaffold a plugin crate that builds, is discovered by `gohost run <name>`
//! and passes its own test without further edits — in-tree under `plugins/<name>` (picked up
//! by the workspace's `plugins/*` glob) or out-of-tree (`--path DIR`, its own workspace,
//! depending on this checkout's plugin-api by path).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::workspace::{Workspace, PLUGIN_PREFIX};

#[derive(Debug, Clone)]
pub enum Location {
    /// `<root>/plugins/<name>`.
    InTree,
    /// Exactly this directory (created; must not exist or be empty).
    OutOfTree(PathBuf),
}

/// Create the crate; returns its directory.
pub fn new_plugin(ws: &Workspace, name: &str, location: &Location) -> Result<PathBuf> {
    if let Some(problem) = gohost_plugin_api::check::plugin_name_problem(name) {
        bail!("{problem}");
    }
    if name == "api" || name == "all" {
        bail!("`{name}` is reserved: choose another plugin name");
    }
    if name.ends_with('-') || name.contains("--") {
        bail!("plugin name `{name}` must not end with or double a dash");
    }
    if let Some(existing) = ws.plugin(name) {
        bail!(
            "a plugin named `{name}` already exists: {}",
            existing.manifest_path.display()
        );
    }
    let (dir, manifest) = match location {
        Location::InTree => (ws.root.join("plugins").join(name), in_tree_manifest(name)),
        Location::OutOfTree(dir) => {
            let api = ws.root.join("plugin-api");
            (dir.clone(), out_of_tree_manifest(name, &api))
        }
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!("{} exists and is not empty", dir.display());
    }
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    write(&dir.join("Cargo.toml"), &manifest)?;
    write(&dir.join("src/lib.rs"), &lib_rs(name))?;
    if matches!(location, Location::OutOfTree(_)) {
        write(&dir.join(".gitignore"), "/target\n")?;
    }
    Ok(dir)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn in_tree_manifest(name: &str) -> String {
    format!(
        r#"[package]
name = "{PLUGIN_PREFIX}{name}"
version = "0.1.0"
description = "gohost plugin: {name}"
edition.workspace = true
license.workspace = true
rust-version.workspace = true

[lib]
# cdylib: the file gohost loads; rlib: so that tests can call the checks in-process.
crate-type = ["cdylib", "rlib"]

[dependencies]
gohost-plugin-api.workspace = true
abi_stable.workspace = true

[dev-dependencies]
gohost-plugin-api = {{ workspace = true, features = ["testing"] }}

[lints]
workspace = true
"#
    )
}

fn out_of_tree_manifest(name: &str, api: &Path) -> String {
    let api = api.display().to_string().replace('\\', "/");
    format!(
        r#"[package]
name = "{PLUGIN_PREFIX}{name}"
version = "0.1.0"
description = "gohost plugin: {name}"
edition = "2021"
publish = false

[lib]
# cdylib: the file gohost loads; rlib: so that tests can call the checks in-process.
crate-type = ["cdylib", "rlib"]

[dependencies]
gohost-plugin-api = {{ path = "{api}" }}
abi_stable = "0.11.3"

[dev-dependencies]
gohost-plugin-api = {{ path = "{api}", features = ["testing"] }}

[profile.release]
lto = "thin"

# Its own workspace: this crate lives outside the gohost checkout.
[workspace]
"#
    )
}

fn lib_rs(name: &str) -> String {
    const TEMPLATE: &str = r#"//! gohost plugin `@NAME@`: TODO say what it checks and what it does not.
//!
//! All I/O goes through the host context (`ctx`): never `std::process`, `std::fs` or
//! `std::env`, so that the host can time out, record and replay every probe.

use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! {
    name: "@NAME@",
    version: env!("CARGO_PKG_VERSION"),
    description: "TODO: one line on what @NAME@ checks",
}

const NEEDS_NOTHING: Needs = Needs {
    network: false,
    root: false,
    slow: false,
};

/// Is there a `go` on PATH, and what does `go version` say? (The host resolved it once.)
fn go_found(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    match facts.go.into_option() {
        Some(go) => {
            let finding = match go.problem.into_option() {
                None => Finding::info(format!("{} at {}", go.version_output, go.path)),
                Some(problem) => Finding::warn(format!("{} does not run cleanly", go.path))
                    .detail(problem.to_string())
                    .remediation("Check that this go works:", ["go version", "go env"]),
            };
            vec![finding
                .evidence("path", go.path.as_str(), "first go on PATH (host facts)")
                .evidence("version", go.version_output.as_str(), "go version")]
        }
        None => vec![Finding::warn("no go on PATH")
            .detail("The host found no `go` executable on PATH.")
            .evidence(
                "PATH",
                ctx.env("PATH").unwrap_or_default(),
                "environment",
            )
            .remediation(
                "Install Go from https://go.dev/dl/ and make sure it is on PATH:",
                ["go version"],
            )],
    }
}

inventory::submit! { Check {
    id: "@NAME@.go-found",
    title: "go is on PATH",
    explain: "Reports the first `go` on PATH and its `go version` output, as the host resolved them once for all plugins. Warns when there is none or it does not run.",
    tags: &["@NAME@"],
    needs: NEEDS_NOTHING,
    run: go_found,
} }

#[cfg(test)]
mod tests {
    use gohost_plugin_api::abi_stable::std_types::{RNone, RSome};
    use gohost_plugin_api::snapshot::Snapshot;
    use gohost_plugin_api::testing::{run_plugin, TestContext};
    use gohost_plugin_api::{GoFacts, Status};

    #[test]
    fn warns_without_go() {
        let ctx = TestContext::new(Snapshot::new(TestContext::linux_facts(), "test"));
        let findings = run_plugin("@NAME@", &ctx, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].check.as_str(), "@NAME@.go-found");
        assert_eq!(findings[0].status, Status::Warn);
        assert!(findings[0].remediation.is_some());
    }

    #[test]
    fn reports_the_go_the_host_found() {
        let mut facts = TestContext::linux_facts();
        facts.go = RSome(GoFacts {
            path: "/usr/local/go/bin/go".into(),
            version_output: "go version go1.22.2 linux/amd64".into(),
            env_json: "{}".into(),
            problem: RNone,
        });
        let ctx = TestContext::new(Snapshot::new(facts, "test"));
        let findings = run_plugin("@NAME@", &ctx, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Info);
        assert_eq!(findings[0].evidence_value("path"), Some("/usr/local/go/bin/go"));
    }
}
"#;
    TEMPLATE.replace("@NAME@", name)
}

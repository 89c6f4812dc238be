//! The workspace as `cargo metadata` describes it: the host package and every plugin crate
//! (packages named `gohost-plugin-*` with a `cdylib` target), never a hard-coded list.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The host package's name.
pub const HOST_PACKAGE: &str = "gohost";
/// The osquery extension's package and binary, shipped next to the host (`bin/`).
pub const EXTENSION_PACKAGE: &str = "gohost-osquery";
/// Plugin packages are named `gohost-plugin-<name>`; this one is the ABI crate, not a plugin.
pub const PLUGIN_PREFIX: &str = "gohost-plugin-";
pub const API_PACKAGE: &str = "gohost-plugin-api";

#[derive(Debug, Clone)]
pub struct Package {
    /// Cargo package name, e.g. `gohost-plugin-arch`.
    pub package: String,
    pub version: String,
    pub manifest_path: PathBuf,
}

impl Package {
    /// The plugin's name as gohost shows it (`arch`).
    pub fn plugin_name(&self) -> &str {
        self.package
            .strip_prefix(PLUGIN_PREFIX)
            .unwrap_or(&self.package)
    }

    /// The library's file stem as cargo writes it: `libgohost_plugin_arch`.
    pub fn lib_stem(&self) -> String {
        format!("lib{}", self.package.replace('-', "_"))
    }
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub host: Package,
    pub plugins: Vec<Package>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
    workspace_root: PathBuf,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    version: String,
    id: String,
    manifest_path: PathBuf,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaTarget {
    crate_types: Vec<String>,
}

/// The root of this workspace (xtask lives in `<root>/xtask`).
pub fn default_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

impl Workspace {
    /// Read the workspace rooted at `root` with `cargo metadata --no-deps`.
    pub fn load(root: &Path) -> Result<Workspace> {
        let output = Command::new(cargo())
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--manifest-path",
            ])
            .arg(root.join("Cargo.toml"))
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let meta: Metadata =
            serde_json::from_slice(&output.stdout).context("parsing cargo metadata output")?;
        let members: Vec<&MetaPackage> = meta
            .packages
            .iter()
            .filter(|p| meta.workspace_members.contains(&p.id))
            .collect();
        let to_package = |p: &MetaPackage| Package {
            package: p.name.clone(),
            version: p.version.clone(),
            manifest_path: p.manifest_path.clone(),
        };
        let host = members
            .iter()
            .find(|p| p.name == HOST_PACKAGE)
            .map(|p| to_package(p))
            .with_context(|| format!("no `{HOST_PACKAGE}` package in the workspace"))?;
        let mut plugins: Vec<Package> = members
            .iter()
            .filter(|p| is_plugin(p))
            .map(|p| to_package(p))
            .collect();
        plugins.sort_by(|a, b| a.package.cmp(&b.package));
        Ok(Workspace {
            root: meta.workspace_root,
            target_dir: meta.target_directory,
            host,
            plugins,
        })
    }

    pub fn plugin(&self, name: &str) -> Option<&Package> {
        self.plugins
            .iter()
            .find(|p| p.plugin_name() == name || p.package == name)
    }
}

fn is_plugin(p: &MetaPackage) -> bool {
    p.name.starts_with(PLUGIN_PREFIX)
        && p.name != API_PACKAGE
        && p.targets
            .iter()
            .any(|t| t.crate_types.iter().any(|c| c == "cdylib"))
}

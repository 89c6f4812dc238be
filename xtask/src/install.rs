//! `install`: native release build of the host, the osquery extension and every plugin into
//! `<prefix>/bin/gohost`, `<prefix>/bin/gohost-osquery` and `<prefix>/lib/gohost/plugins/`, which the host searches by itself
//! (`<exe>/../lib/gohost/plugins`). Files are 0755/0644 and directories 0755, because the
//! host refuses world-writable plugin files and directories.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use gohost_inspect as inspect;

use crate::build::{build_all, copy_file, set_mode, BuildOptions};
use crate::verify::{EXTENSION_PATH, HOST_PATH, PLUGIN_DIR};
use crate::workspace::Workspace;

/// `~/.local` unless told otherwise.
pub fn default_prefix() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set: pass --prefix")?;
    Ok(PathBuf::from(home).join(".local"))
}

/// Install; returns the installed host binary's path.
pub fn install(ws: &Workspace, prefix: &Path, target_dir: &Path) -> Result<PathBuf> {
    let built = build_all(
        ws,
        &BuildOptions {
            distribution: true,
            ..BuildOptions::native(true, target_dir.to_path_buf())
        },
    )?;
    // Refuse before copying anything: a plugin the host would reject is a build problem.
    for (_, file) in &built.plugins {
        let found = inspect::inspect_path(file)?;
        if let Err(err) = found.check_loadable_here() {
            bail!("{}: {err}", file.display());
        }
    }
    let bin = prefix.join(HOST_PATH);
    copy_file(&built.host, &bin, 0o755)?;
    copy_file(&built.extension, &prefix.join(EXTENSION_PATH), 0o755)?;
    let plugin_dir = prefix.join(PLUGIN_DIR);
    for (_, file) in &built.plugins {
        let name = file
            .file_name()
            .context("plugin path without a file name")?;
        copy_file(file, &plugin_dir.join(name), 0o644)?;
    }
    for dir in [
        prefix.join("bin"),
        prefix.join("lib"),
        prefix.join("lib/gohost"),
        plugin_dir,
    ] {
        set_mode(&dir, 0o755)?;
    }
    Ok(bin)
}

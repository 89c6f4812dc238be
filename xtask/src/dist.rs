//! `dist`: release builds of the host and every plugin for one target, staged as
//! `bin/gohost` + `bin/gohost-osquery` + `lib/gohost/plugins/*`, with `manifest.json` and `SHA256SUMS`, verified with
//! [`crate::verify`] before the deterministic tarball is written.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use gohost_inspect::{self as inspect, TargetOs};

use crate::build::{build_all, copy_file, BuildOptions, Built, Target, MIN_MACOS};
use crate::verify::{
    self, arch_label, sha256_hex, FileEntry, Manifest, PluginEntry, EXTENSION_PATH, HOST_PATH,
    MANIFEST, PLUGIN_DIR, SUMS,
};
use crate::workspace::Workspace;

#[derive(Debug, Clone)]
pub struct DistOptions {
    pub target: Target,
    /// Where the staging directory and the tarball go (`<root>/dist`).
    pub out_dir: PathBuf,
    /// Cargo target dir for dist builds (kept apart from development builds because of the
    /// path-remapping RUSTFLAGS).
    pub target_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct DistResult {
    pub stage: PathBuf,
    pub tarball: PathBuf,
    pub manifest: Manifest,
}

pub fn dist_name(ws: &Workspace, target: &Target) -> String {
    format!("gohost-{}-{}", ws.host.version, target.triple)
}

pub fn build_for_dist(ws: &Workspace, target: &Target, target_dir: &Path) -> Result<Built> {
    build_all(
        ws,
        &BuildOptions {
            target: target.clone(),
            explicit_target: true,
            release: true,
            target_dir: target_dir.to_path_buf(),
            distribution: true,
        },
    )
}

pub fn dist(ws: &Workspace, opts: &DistOptions) -> Result<DistResult> {
    let built = build_for_dist(ws, &opts.target, &opts.target_dir)?;
    let name = dist_name(ws, &opts.target);
    let stage = opts.out_dir.join(&name);
    if stage.exists() {
        std::fs::remove_dir_all(&stage)
            .with_context(|| format!("removing the old {}", stage.display()))?;
    }
    let manifest = stage_files(ws, &opts.target, &built, &stage)?;
    let report = verify::verify_dir(&stage)?;
    if !report.problems.is_empty() {
        for problem in &report.problems {
            eprintln!("xtask: {problem}");
        }
        bail!(
            "{} failed verification ({} problems above); no tarball written",
            stage.display(),
            report.problems.len()
        );
    }
    let tarball = opts.out_dir.join(format!("{name}.tar.gz"));
    crate::tarball::create(&stage, &name, &tarball)?;
    Ok(DistResult {
        stage,
        tarball,
        manifest,
    })
}

/// Copy the built files into `stage` and write the manifest and checksums.
pub fn stage_files(
    ws: &Workspace,
    target: &Target,
    built: &Built,
    stage: &Path,
) -> Result<Manifest> {
    let min_macos = (target.os == TargetOs::MacOs).then(|| MIN_MACOS.to_string());
    copy_file(&built.host, &stage.join(HOST_PATH), 0o755)?;
    let host_bytes = std::fs::read(stage.join(HOST_PATH))?;
    // Next to gohost: the extension runs the `gohost` in its own directory by default.
    copy_file(&built.extension, &stage.join(EXTENSION_PATH), 0o755)?;
    let extension_bytes = std::fs::read(stage.join(EXTENSION_PATH))?;
    let mut plugins = Vec::new();
    for (package, file) in &built.plugins {
        let file_name = file
            .file_name()
            .context("plugin path without a file name")?
            .to_string_lossy()
            .into_owned();
        let rel = format!("{PLUGIN_DIR}/{file_name}");
        copy_file(file, &stage.join(&rel), 0o644)?;
        let bytes = std::fs::read(stage.join(&rel))?;
        let inspection = inspect::inspect_bytes(&bytes)
            .with_context(|| format!("inspecting {}", file.display()))?;
        let plugin_api = inspection
            .thin()
            .and_then(|s| s.abi_tag)
            .map(|tag| tag.to_string())
            .with_context(|| format!("{} has no readable GOHOST_PLUGIN_ABI tag", file.display()))?;
        plugins.push(PluginEntry {
            name: package.plugin_name().to_string(),
            version: package.version.clone(),
            plugin_api,
            file: rel,
            sha256: sha256_hex(&bytes),
            arch: arch_label(target),
            min_macos: min_macos.clone(),
        });
    }
    let manifest = Manifest {
        name: "gohost".to_string(),
        version: ws.host.version.clone(),
        target: target.triple.clone(),
        min_macos,
        // The host is built from this workspace, which also built this xtask.
        plugin_api: Some(gohost_plugin_api::AbiVersionTag::CURRENT.to_string()),
        host: FileEntry {
            file: HOST_PATH.to_string(),
            sha256: sha256_hex(&host_bytes),
            arch: arch_label(target),
        },
        extension: Some(FileEntry {
            file: EXTENSION_PATH.to_string(),
            sha256: sha256_hex(&extension_bytes),
            arch: arch_label(target),
        }),
        plugins,
    };
    let json = serde_json::to_string_pretty(&manifest)? + "\n";
    std::fs::write(stage.join(MANIFEST), &json)?;
    write_sums(stage)?;
    Ok(manifest)
}

/// `SHA256SUMS` in `sha256sum -c` format over every other file of the dist.
pub fn write_sums(stage: &Path) -> Result<()> {
    let mut text = String::new();
    for rel in crate::tarball::files_below(stage)? {
        let rel = rel.to_string_lossy().into_owned();
        if rel == SUMS {
            continue;
        }
        let bytes = std::fs::read(stage.join(&rel))?;
        text.push_str(&format!("{}  {rel}\n", sha256_hex(&bytes)));
    }
    std::fs::write(stage.join(SUMS), text)?;
    Ok(())
}

/// Build everything a second time in a fresh target directory (a different path, so path
/// leaks show too) and compare the hashes with `first`.
pub fn check_reproducible(
    ws: &Workspace,
    target: &Target,
    first: &Manifest,
    repro_dir: &Path,
) -> Result<Vec<String>> {
    if repro_dir.exists() {
        std::fs::remove_dir_all(repro_dir)
            .with_context(|| format!("removing {}", repro_dir.display()))?;
    }
    let built = build_for_dist(ws, target, repro_dir)?;
    let mut differences = Vec::new();
    let host = sha256_hex(&std::fs::read(&built.host)?);
    if host != first.host.sha256 {
        differences.push(format!("{HOST_PATH}: {} vs {host}", first.host.sha256));
    }
    let extension = sha256_hex(&std::fs::read(&built.extension)?);
    match &first.extension {
        Some(entry) if entry.sha256 == extension => {}
        Some(entry) => {
            differences.push(format!("{EXTENSION_PATH}: {} vs {extension}", entry.sha256))
        }
        None => differences.push(format!("{EXTENSION_PATH}: not in the first build")),
    }
    for (package, file) in &built.plugins {
        let hash = sha256_hex(&std::fs::read(file)?);
        match first
            .plugins
            .iter()
            .find(|p| p.name == package.plugin_name())
        {
            Some(entry) if entry.sha256 == hash => {}
            Some(entry) => differences.push(format!("{}: {} vs {hash}", entry.file, entry.sha256)),
            None => differences.push(format!("{}: not in the first build", package.package)),
        }
    }
    Ok(differences)
}

/// A digest of the source tree's state (commit, uncommitted diff, untracked files), so that
/// a reproducibility check can tell "not reproducible" from "the sources changed meanwhile"
/// (a full release build takes minutes, and others may be committing).
pub fn source_fingerprint(root: &Path) -> Result<String> {
    let mut all = Vec::new();
    for args in [
        &["rev-parse", "HEAD"][..],
        &["diff", "HEAD", "--binary"][..],
        &["ls-files", "--others", "--exclude-standard"][..],
    ] {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .context("running git")?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        all.extend_from_slice(&out.stdout);
    }
    Ok(sha256_hex(&all))
}

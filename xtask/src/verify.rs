//! `verify-dist`: prove a dist tarball or directory is what users can run, using the host's
//! own inspection code (the `gohost-inspect` crate, the same code as `gohost plugin check`).
//!
//! For a macOS target every plugin must be a thin 64-bit arm64 Mach-O `MH_DYLIB` (a fat file
//! is rejected even when it holds arm64), export the plugin-api symbols, carry
//! `LC_CODE_SIGNATURE`, have an `LC_ID_DYLIB` of `@rpath/<its file name>`, an
//! `LC_BUILD_VERSION` for macOS with the manifest's minimum, and depend only on `/usr/lib/`
//! and `/System/Library/`. The host must be a thin arm64 executable with the same rules.
//! For Linux: ELF of the target's machine, a shared object with the symbols, and only glibc
//! system libraries as `DT_NEEDED`. The manifest's and `SHA256SUMS`' hashes must match.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use gohost_inspect::{
    self as inspect, BinaryFormat, FileKind, Inspection, TargetOs, PLATFORM_MACOS,
};
use gohost_plugin_api::AbiVersionTag;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::build::Target;

pub const MANIFEST: &str = "manifest.json";
pub const SUMS: &str = "SHA256SUMS";
pub const HOST_PATH: &str = "bin/gohost";
/// The osquery extension (issue 16): an executable held to the same rules as the host.
pub const EXTENSION_PATH: &str = "bin/gohost-osquery";
pub const PLUGIN_DIR: &str = "lib/gohost/plugins";

/// Libraries every glibc Linux system has; anything else makes a plugin non-portable.
pub const LINUX_SYSTEM_LIBS: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
];

/// Where macOS system libraries live: present on every Mac (in the dyld shared cache).
pub const MACOS_SYSTEM_PREFIXES: &[&str] = &["/usr/lib/", "/System/Library/"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_macos: Option<String>,
    /// The plugin API the dist's host speaks (manifests before it was recorded lack it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_api: Option<String>,
    pub host: FileEntry,
    /// `bin/gohost-osquery` (dists made before the extension existed lack it, and now fail
    /// verification for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<FileEntry>,
    pub plugins: Vec<PluginEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub file: String,
    pub sha256: String,
    pub arch: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PluginEntry {
    pub name: String,
    pub version: String,
    /// The plugin-api version read from the file's `GOHOST_PLUGIN_ABI` tag.
    pub plugin_api: String,
    pub file: String,
    pub sha256: String,
    pub arch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_macos: Option<String>,
}

/// One reason a dist is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path relative to the dist root.
    pub file: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// What a dist must contain.
#[derive(Debug, Clone)]
pub struct Expect {
    pub target: Target,
    /// Stated minimum macOS (macOS targets only).
    pub min_macos: Option<(u16, u8, u8)>,
}

/// One plugin file's plugin-api version, as its tag and its manifest entry state it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginApi {
    /// Path relative to the dist root.
    pub file: String,
    /// Read from the file's `GOHOST_PLUGIN_ABI` tag (None: unreadable, reported elsewhere).
    pub tag: Option<AbiVersionTag>,
    /// What the manifest lists for the file (None: not listed, reported elsewhere).
    pub listed: Option<String>,
}

fn parse_tag(text: &str) -> Option<AbiVersionTag> {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(AbiVersionTag {
        major,
        minor,
        patch,
        ..AbiVersionTag::CURRENT
    })
}

/// The plugin-api rules of a dist: each file's tag is what the manifest lists, the dist's host
/// (`host`, the manifest's `plugin_api`) loads every plugin, and all plugins were built against
/// one plugin-api version — a dist is built from one workspace, so another version means a
/// stale or foreign file.
pub fn plugin_api_problems(host: Option<&str>, plugins: &[PluginApi]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let host_tag = match host.map(|h| (h, parse_tag(h))) {
        Some((_, Some(tag))) => Some(tag),
        Some((text, None)) => {
            problems.push(Problem {
                file: MANIFEST.to_string(),
                message: format!("plugin_api {text:?} is not a version"),
            });
            None
        }
        None => None,
    };
    let mut by_version: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for plugin in plugins {
        let Some(tag) = plugin.tag else { continue };
        by_version
            .entry(tag.to_string())
            .or_default()
            .push(&plugin.file);
        if let Some(listed) = &plugin.listed {
            if *listed != tag.to_string() {
                problems.push(Problem {
                    file: MANIFEST.to_string(),
                    message: format!(
                        "lists {} with plugin_api {listed}, but the file is tagged {tag}",
                        plugin.file
                    ),
                });
            }
        }
        if let Some(Err(mismatch)) = host_tag.map(|h| h.accepts(&tag)) {
            problems.push(Problem {
                file: plugin.file.clone(),
                message: format!("the dist's gohost cannot load it: {mismatch}"),
            });
        }
    }
    if by_version.len() > 1 {
        let versions: Vec<String> = by_version
            .iter()
            .map(|(v, files)| format!("{v}: {}", files.join(", ")))
            .collect();
        problems.push(Problem {
            file: PLUGIN_DIR.to_string(),
            message: format!(
                "plugins built against different plugin-api versions ({}); a dist is built from one workspace: rebuild it",
                versions.join("; ")
            ),
        });
    }
    problems
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn parse_version(text: &str) -> Option<(u16, u8, u8)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

fn version_string((major, minor, patch): (u16, u8, u8)) -> String {
    if patch == 0 {
        format!("{major}.{minor}")
    } else {
        format!("{major}.{minor}.{patch}")
    }
}

/// Problems of one plugin file's bytes against the expectation (empty = fine).
pub fn plugin_problems(bytes: &[u8], file_name: &str, expect: &Expect) -> Vec<String> {
    let inspection = match inspect::inspect_bytes(bytes) {
        Ok(found) => found,
        Err(err) => return vec![err.to_string()],
    };
    let mut problems = Vec::new();
    let Some(slice) = binary_problems(&inspection, expect, FileKind::Dylib, &mut problems) else {
        return problems;
    };
    match (&slice.abi_tag, slice.abi_symbol_unreadable) {
        (Some(_), _) => {}
        (None, true) => problems.push(inspect::InspectError::BadAbiSymbol.to_string()),
        (None, false) => problems.push(format!(
            "does not export {}: not a gohost plugin (build it with crate-type = [\"cdylib\"] and gohost_plugin_api::export_plugin!)",
            gohost_plugin_api::ABI_VERSION_SYMBOL
        )),
    }
    if !slice.has_root_module {
        problems.push(format!(
            "does not export abi_stable's root module ({}): not built with gohost_plugin_api::export_plugin!",
            inspect::ROOT_MODULE_SYMBOL
        ));
    }
    if expect.target.os == TargetOs::MacOs {
        let wanted = format!("@rpath/{file_name}");
        match slice.install_name.as_deref() {
            None => problems.push(
                "no LC_ID_DYLIB install name; link with -C link-arg=-Wl,-install_name,@rpath/<file>".to_string(),
            ),
            Some(name) if !name.starts_with("@rpath/") => problems.push(format!(
                "install name {name} is an absolute path (a build machine's path leaks and the file is not relocatable); link with -C link-arg=-Wl,-install_name,{wanted}"
            )),
            Some(name) if name != wanted => problems.push(format!(
                "install name {name} does not match the file name; expected {wanted}"
            )),
            Some(_) => {}
        }
    }
    problems
}

/// The checks common to the host binary and plugins; returns the thin slice to check further,
/// or None when the file is unusable at the format level (the reason is in `problems`).
fn binary_problems<'a>(
    inspection: &'a Inspection,
    expect: &Expect,
    kind: FileKind,
    problems: &mut Vec<String>,
) -> Option<&'a inspect::Slice> {
    let target = &expect.target;
    let wanted_format = match target.os {
        TargetOs::MacOs => BinaryFormat::MachO,
        _ => BinaryFormat::Elf,
    };
    if inspection.format == BinaryFormat::MachOFat {
        let arches: Vec<String> = inspection.slices.iter().map(|s| s.arch_name()).collect();
        problems.push(format!(
            "universal (fat) Mach-O (0xcafebabe) with slices {}: dist files must be thin {} Mach-O, even when a slice is {}; build for {} only or extract it with `lipo FILE -thin {} -output FILE`",
            arches.join(", "),
            target.arch.apple_name(),
            target.arch.apple_name(),
            target.triple,
            target.arch.apple_name(),
        ));
        return None;
    }
    if inspection.format != wanted_format {
        problems.push(format!(
            "{} file, not {wanted_format}: a {} dist needs {wanted_format} files (build with --target {})",
            inspection.format, target.os, target.triple
        ));
        return None;
    }
    let Some(slice) = inspection.thin() else {
        problems.push("no image in the file".to_string());
        return None;
    };
    if slice.arch != target.arch {
        problems.push(format!(
            "{} {}, not {}: rebuild with --target {}",
            slice.arch_name(),
            inspection.format,
            match target.os {
                TargetOs::MacOs => target.arch.apple_name().to_string(),
                _ => target.arch.to_string(),
            },
            target.triple
        ));
    }
    if !slice.is_64 {
        problems.push("32-bit image: dist files must be 64-bit".to_string());
    }
    if slice.os != target.os {
        problems.push(format!("built for {}, not {}", slice.os, target.os));
    }
    if slice.kind != kind {
        let wanted = match (&kind, &target.os) {
            (FileKind::Dylib, TargetOs::MacOs) => "a dynamic library (MH_DYLIB)",
            (FileKind::Dylib, _) => "a shared object (ET_DYN)",
            _ => "an executable",
        };
        problems.push(format!("{}, not {wanted}", slice.kind));
    }
    if target.os == TargetOs::MacOs {
        if !slice.has_code_signature {
            problems.push("no LC_CODE_SIGNATURE: arm64 macOS refuses to run unsigned code; sign it (`codesign -s - FILE`, ad-hoc is enough) or link with a linker that signs ad hoc (ld64, zig)".to_string());
        }
        match (slice.platform, slice.min_os) {
            (Some(PLATFORM_MACOS), Some(min)) => {
                if let Some(stated) = expect.min_macos {
                    if min != stated {
                        problems.push(format!(
                            "minimum macOS {} but the dist states {}: build with MACOSX_DEPLOYMENT_TARGET={}",
                            version_string(min),
                            version_string(stated),
                            version_string(stated)
                        ));
                    }
                }
            }
            (Some(other), _) => problems.push(format!(
                "LC_BUILD_VERSION platform {other}, not macOS ({PLATFORM_MACOS})"
            )),
            (None, _) => problems.push(
                "no LC_BUILD_VERSION: the minimum macOS is not stated; build with MACOSX_DEPLOYMENT_TARGET"
                    .to_string(),
            ),
        }
        for dep in &slice.dependencies {
            if !MACOS_SYSTEM_PREFIXES.iter().any(|p| dep.starts_with(p)) {
                problems.push(format!(
                    "links {dep}: only /usr/lib/ and /System/Library/ libraries exist on every Mac (a Homebrew, /usr/local or @rpath library makes it fail to load elsewhere)"
                ));
            }
        }
    } else {
        for dep in &slice.dependencies {
            if !LINUX_SYSTEM_LIBS.contains(&dep.as_str()) {
                problems.push(format!(
                    "needs {dep}: only glibc system libraries ({}) may be linked",
                    LINUX_SYSTEM_LIBS.join(", ")
                ));
            }
        }
    }
    Some(slice)
}

/// Problems of the host binary's bytes.
pub fn host_problems(bytes: &[u8], expect: &Expect) -> Vec<String> {
    match inspect::inspect_bytes(bytes) {
        Ok(found) => {
            let mut problems = Vec::new();
            binary_problems(&found, expect, FileKind::Executable, &mut problems);
            problems
        }
        Err(err) => vec![err.to_string()],
    }
}

/// Verified dist: the lines to print and the problems.
#[derive(Debug, Default)]
pub struct Report {
    pub ok: Vec<String>,
    pub problems: Vec<Problem>,
}

/// Verify a `.tar.gz` (extracted to a temporary directory) or a dist directory.
pub fn verify_path(path: &Path) -> Result<Report> {
    if path.is_dir() {
        return verify_dir(&dist_root(path)?);
    }
    let name = path.to_string_lossy();
    if !(name.ends_with(".tar.gz") || name.ends_with(".tgz")) {
        bail!(
            "{} is neither a directory nor a .tar.gz dist",
            path.display()
        );
    }
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    crate::tarball::extract(path, tmp.path())?;
    verify_dir(&dist_root(tmp.path())?)
}

/// The directory holding `manifest.json`: the given one or its only subdirectory (tarballs
/// have one top-level directory).
fn dist_root(dir: &Path) -> Result<PathBuf> {
    if dir.join(MANIFEST).is_file() {
        return Ok(dir.to_path_buf());
    }
    let mut subdirs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            subdirs.push(entry.path());
        }
    }
    match subdirs.as_slice() {
        [only] if only.join(MANIFEST).is_file() => Ok(only.clone()),
        _ => bail!(
            "no {MANIFEST} in {} (nor in its only subdirectory): not a gohost dist",
            dir.display()
        ),
    }
}

pub fn read_manifest(root: &Path) -> Result<Manifest> {
    let path = root.join(MANIFEST);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Verify an extracted dist directory.
pub fn verify_dir(root: &Path) -> Result<Report> {
    let manifest = read_manifest(root)?;
    let target = Target::parse(&manifest.target)?;
    let min_macos = match (&target.os, &manifest.min_macos) {
        (TargetOs::MacOs, Some(text)) => Some(
            parse_version(text)
                .with_context(|| format!("{MANIFEST}: min_macos {text:?} is not a version"))?,
        ),
        (TargetOs::MacOs, None) => bail!("{MANIFEST} states no min_macos for a macOS dist"),
        _ => None,
    };
    let expect = Expect { target, min_macos };
    let mut report = Report::default();
    let mut problem = |file: &str, message: String| {
        report.problems.push(Problem {
            file: file.to_string(),
            message,
        })
    };
    let mut ok = Vec::new();

    // Host and extension: executables, checked alike (thin, architecture, signature, minos).
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    for rel in [HOST_PATH, EXTENSION_PATH] {
        match std::fs::read(root.join(rel)) {
            Ok(bytes) => {
                let problems = host_problems(&bytes, &expect);
                if problems.is_empty() {
                    ok.push(format!("{rel}: {}", summary(&bytes)));
                }
                problems.into_iter().for_each(|m| problem(rel, m));
                hashes.insert(rel.to_string(), sha256_hex(&bytes));
            }
            Err(err) => problem(rel, format!("missing or unreadable: {err}")),
        }
    }

    // Plugins: every file in the plugin directory, listed or not.
    let plugin_dir = root.join(PLUGIN_DIR);
    let mut files = Vec::new();
    match std::fs::read_dir(&plugin_dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                files.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Err(err) => problem(PLUGIN_DIR, format!("missing or unreadable: {err}")),
    }
    files.sort();
    let mut plugin_apis = Vec::new();
    if files.is_empty() {
        problem(PLUGIN_DIR, "no plugins".to_string());
    }
    for name in &files {
        let rel = format!("{PLUGIN_DIR}/{name}");
        let ext = expect.target.dylib_ext();
        if !name.starts_with("libgohost_plugin_") || !name.ends_with(&format!(".{ext}")) {
            problem(
                &rel,
                format!(
                    "gohost discovers only libgohost_plugin_*.{ext} files: rename or remove it"
                ),
            );
        }
        let bytes = match std::fs::read(plugin_dir.join(name)) {
            Ok(bytes) => bytes,
            Err(err) => {
                problem(&rel, format!("unreadable: {err}"));
                continue;
            }
        };
        let problems = plugin_problems(&bytes, name, &expect);
        if problems.is_empty() {
            ok.push(format!("{rel}: {}", summary(&bytes)));
        }
        problems.into_iter().for_each(|m| problem(&rel, m));
        plugin_apis.push(PluginApi {
            file: rel.clone(),
            tag: inspect::inspect_bytes(&bytes)
                .ok()
                .and_then(|i| i.thin().and_then(|s| s.abi_tag)),
            listed: manifest
                .plugins
                .iter()
                .find(|p| p.file == rel)
                .map(|p| p.plugin_api.clone()),
        });
        hashes.insert(rel, sha256_hex(&bytes));
    }
    for p in plugin_api_problems(manifest.plugin_api.as_deref(), &plugin_apis) {
        problem(&p.file, p.message);
    }

    // Manifest against the files.
    if hashes
        .get(HOST_PATH)
        .is_some_and(|h| *h != manifest.host.sha256)
    {
        problem(
            MANIFEST,
            format!("sha256 of {HOST_PATH} does not match the file"),
        );
    }
    match &manifest.extension {
        None => problem(MANIFEST, format!("does not list {EXTENSION_PATH}")),
        Some(entry) if entry.file != EXTENSION_PATH => problem(
            MANIFEST,
            format!(
                "lists the extension as {}, not {EXTENSION_PATH}",
                entry.file
            ),
        ),
        Some(entry) => {
            if hashes
                .get(EXTENSION_PATH)
                .is_some_and(|h| *h != entry.sha256)
            {
                problem(
                    MANIFEST,
                    format!("sha256 of {EXTENSION_PATH} does not match the file"),
                );
            }
        }
    }
    for entry in &manifest.plugins {
        match hashes.get(&entry.file) {
            None => problem(
                MANIFEST,
                format!("lists {}, which is not in the dist", entry.file),
            ),
            Some(hash) if *hash != entry.sha256 => problem(
                MANIFEST,
                format!("sha256 of {} does not match the file", entry.file),
            ),
            Some(_) => {}
        }
        if expect.target.os == TargetOs::MacOs && entry.min_macos != manifest.min_macos {
            problem(
                MANIFEST,
                format!("{}: min_macos differs from the dist's", entry.name),
            );
        }
    }
    for rel in hashes.keys().filter(|k| k.starts_with(PLUGIN_DIR)) {
        if !manifest.plugins.iter().any(|p| &p.file == rel) {
            problem(MANIFEST, format!("does not list {rel}"));
        }
    }

    // SHA256SUMS against the files.
    match std::fs::read_to_string(root.join(SUMS)) {
        Ok(text) => {
            for (n, line) in text.lines().enumerate() {
                let Some((hash, file)) = line.split_once("  ") else {
                    problem(SUMS, format!("line {} is not `<sha256>  <file>`", n + 1));
                    continue;
                };
                match std::fs::read(root.join(file)) {
                    Ok(bytes) if sha256_hex(&bytes) == hash => {}
                    Ok(_) => problem(SUMS, format!("{file}: checksum mismatch")),
                    Err(err) => problem(SUMS, format!("{file}: {err}")),
                }
            }
            for rel in hashes.keys() {
                if !text.lines().any(|l| l.ends_with(&format!("  {rel}"))) {
                    problem(SUMS, format!("does not list {rel}"));
                }
            }
        }
        Err(err) => problem(SUMS, format!("missing or unreadable: {err}")),
    }
    report.ok = ok;
    Ok(report)
}

fn summary(bytes: &[u8]) -> String {
    inspect::inspect_bytes(bytes)
        .map(|i| i.summary())
        .unwrap_or_else(|e| e.to_string())
}

/// The arch name a manifest records (Apple spelling for macOS).
pub fn arch_label(target: &Target) -> String {
    match target.os {
        TargetOs::MacOs => target.arch.apple_name().to_string(),
        _ => target.arch.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(file: &str, tag: &str, listed: &str) -> PluginApi {
        PluginApi {
            file: file.to_string(),
            tag: parse_tag(tag),
            listed: Some(listed.to_string()),
        }
    }

    fn messages(problems: Vec<Problem>) -> Vec<String> {
        problems.into_iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn one_version_the_host_accepts_is_fine() {
        let plugins = [plugin("a", "1.1.0", "1.1.0"), plugin("b", "1.1.0", "1.1.0")];
        assert!(plugin_api_problems(Some("1.1.0"), &plugins).is_empty());
        assert!(plugin_api_problems(None, &plugins).is_empty());
    }

    #[test]
    fn mixed_versions_a_lying_manifest_and_what_the_host_refuses() {
        let plugins = [
            plugin("lib/a", "1.1.0", "1.1.0"),
            plugin("lib/b", "1.0.0", "1.1.0"),
            plugin("lib/c", "1.2.0", "1.2.0"),
            plugin("lib/d", "2.0.0", "2.0.0"),
        ];
        let text = messages(plugin_api_problems(Some("1.1.0"), &plugins));
        assert!(
            text.contains(
                &"manifest.json: lists lib/b with plugin_api 1.1.0, but the file is tagged 1.0.0"
                    .to_string()
            ),
            "{text:#?}"
        );
        assert!(
            text.iter().any(
                |t| t.starts_with("lib/c: the dist's gohost cannot load it:")
                    && t.contains(">= 1.2")
            ),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with(
                "lib/d: the dist's gohost cannot load it: built for plugin API 2.0.0"
            )),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.contains("different plugin-api versions (1.0.0: lib/b; 1.1.0: lib/a; 1.2.0: lib/c; 2.0.0: lib/d)")),
            "{text:#?}"
        );
        assert!(
            !text
                .iter()
                .any(|t| t.starts_with("lib/b: the dist's gohost")),
            "an older minor loads: {text:#?}"
        );
    }

    #[test]
    fn a_malformed_host_version_is_reported() {
        let text = messages(plugin_api_problems(Some("one.two"), &[]));
        assert_eq!(
            text,
            ["manifest.json: plugin_api \"one.two\" is not a version"]
        );
    }
}

//! `dist` for real: release builds of the host and every plugin for aarch64-apple-darwin
//! (through cargo zigbuild off a Mac) and for the native Linux target, then `verify-dist` on
//! the tarball; a tampered copy fails on its hashes; the tarball bytes are deterministic.

mod common;

use common::*;
use xtask::build::Target;
use xtask::dist::{dist, DistOptions};
use xtask::verify::{read_manifest, verify_dir, verify_path, EXTENSION_PATH, PLUGIN_DIR};

fn run_dist(triple: &str) -> xtask::dist::DistResult {
    let ws = workspace();
    dist(
        &ws,
        &DistOptions {
            target: Target::parse(triple).expect("target"),
            out_dir: fixture_dir(&format!("dist-{triple}")),
            // The same target dir as `cargo xtask dist`, so either warms the other's cache.
            target_dir: ws.target_dir.join("xtask-dist"),
        },
    )
    .expect("dist")
}

fn check_dist(triple: &str, plugin_ext: &str) {
    let ws = workspace();
    let result = run_dist(triple);
    let report = verify_path(&result.tarball).expect("verify tarball");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    // Host, extension, and one line per plugin.
    assert_eq!(report.ok.len(), 2 + ws.plugins.len(), "{:#?}", report.ok);
    assert!(
        report.ok.iter().any(|l| l.starts_with(EXTENSION_PATH)),
        "{:#?}",
        report.ok
    );

    let manifest = read_manifest(&result.stage).expect("manifest");
    assert_eq!(manifest.target, triple);
    assert_eq!(
        manifest.extension.as_ref().map(|e| e.file.as_str()),
        Some(EXTENSION_PATH)
    );
    assert_eq!(
        manifest.plugin_api,
        Some(gohost_plugin_api::AbiVersionTag::CURRENT.to_string())
    );
    let mut names: Vec<&str> = manifest.plugins.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = ws.plugins.iter().map(|p| p.plugin_name()).collect();
    expected.sort_unstable();
    assert_eq!(
        names, expected,
        "every gohost-plugin-* package of the workspace"
    );
    for plugin in &manifest.plugins {
        assert!(plugin.file.ends_with(plugin_ext), "{}", plugin.file);
        assert_eq!(
            plugin.plugin_api,
            gohost_plugin_api::AbiVersionTag::CURRENT.to_string()
        );
    }

    // The same staged files give the same tarball bytes.
    let again = result.tarball.with_extension("again.gz");
    let prefix = result
        .stage
        .file_name()
        .expect("stage name")
        .to_string_lossy()
        .into_owned();
    xtask::tarball::create(&result.stage, &prefix, &again).expect("tar again");
    assert_eq!(
        std::fs::read(&result.tarball).expect("read"),
        std::fs::read(&again).expect("read"),
        "tarball is not deterministic"
    );

    // Tampering with a plugin breaks both the manifest and SHA256SUMS.
    let tmp = tempfile::tempdir().expect("tempdir");
    xtask::tarball::extract(&result.tarball, tmp.path()).expect("extract");
    let root = tmp.path().join(&prefix);
    let victim = root.join(&manifest.plugins[0].file);
    let mut bytes = std::fs::read(&victim).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&victim, bytes).expect("write");
    let report = verify_dir(&root).expect("verify tampered");
    let text: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|p| p.contains("manifest.json: sha256 of lib/gohost/plugins/")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|p| p.contains("checksum mismatch")),
        "{text:#?}"
    );

    // The extension is checked like the host: tampered, then missing.
    let ext = root.join(EXTENSION_PATH);
    let mut bytes = std::fs::read(&ext).expect("read extension");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&ext, bytes).expect("write");
    let text: Vec<String> = verify_dir(&root)
        .expect("verify")
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        text.iter()
            .any(|p| p.contains("manifest.json: sha256 of bin/gohost-osquery")),
        "{text:#?}"
    );
    std::fs::remove_file(&ext).expect("remove extension");
    let report = verify_dir(&root).expect("verify");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.file == EXTENSION_PATH && p.message.contains("missing")),
        "{:#?}",
        report.problems
    );

    // An unlisted extra file in the plugin directory is reported.
    std::fs::write(root.join(PLUGIN_DIR).join("notes.txt"), "hi\n").expect("write");
    let report = verify_dir(&root).expect("verify");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.file.ends_with("notes.txt")),
        "{:#?}",
        report.problems
    );
}

#[test]
fn dist_aarch64_apple_darwin_verifies() {
    check_dist("aarch64-apple-darwin", ".dylib");
}

#[cfg(target_os = "linux")]
#[test]
fn dist_native_linux_verifies() {
    let triple = Target::native().triple;
    check_dist(&triple, ".so");
}

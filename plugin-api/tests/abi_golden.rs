//! The ABI golden file: abi_stable's own layout description of everything that crosses the
//! host ↔ plugin boundary, compared with the committed `abi-layout.golden.txt`.
//!
//! It fails on any change to a type a plugin and a host share: a field added, removed,
//! reordered or retyped, a method added to `HostContext`, an enum variant. Appending in a
//! minor release is allowed but must be deliberate: bump the crate version, re-bless
//! (`GOHOST_BLESS=1 cargo test -p gohost-plugin-api --test abi_golden`) and commit the golden
//! file in the same commit. Anything that is not an append is a major release.

use std::fmt::Write as _;
use std::path::Path;

use abi_stable::StableAbi;
use gohost_plugin_api::{compat, HostContextRef, PluginModRef};

type Layout = &'static abi_stable::type_layout::TypeLayout;

fn render() -> String {
    let mut text = String::new();
    let roots: [(&str, Layout); 10] = [
        (
            "root module PluginModRef (current)",
            <PluginModRef as StableAbi>::LAYOUT,
        ),
        (
            "HostContext trait object (current)",
            <HostContextRef<'static> as StableAbi>::LAYOUT,
        ),
        (
            "root module PluginModRef (frozen 1.0, compat::v1_0)",
            <compat::v1_0::PluginModRef as StableAbi>::LAYOUT,
        ),
        (
            "HostContext trait object (frozen 1.0, compat::v1_0)",
            <compat::v1_0::HostContextRef<'static> as StableAbi>::LAYOUT,
        ),
        (
            "root module PluginModRef (frozen 1.1, compat::v1_1)",
            <compat::v1_1::PluginModRef as StableAbi>::LAYOUT,
        ),
        (
            "HostContext trait object (frozen 1.1, compat::v1_1)",
            <compat::v1_1::HostContextRef<'static> as StableAbi>::LAYOUT,
        ),
        (
            "root module PluginModRef (frozen 1.2, compat::v1_2)",
            <compat::v1_2::PluginModRef as StableAbi>::LAYOUT,
        ),
        (
            "HostContext trait object (frozen 1.2, compat::v1_2)",
            <compat::v1_2::HostContextRef<'static> as StableAbi>::LAYOUT,
        ),
        (
            "root module PluginModRef (frozen 1.3, compat::v1_3)",
            <compat::v1_3::PluginModRef as StableAbi>::LAYOUT,
        ),
        (
            "HostContext trait object (frozen 1.3, compat::v1_3)",
            <compat::v1_3::HostContextRef<'static> as StableAbi>::LAYOUT,
        ),
    ];
    for (title, root) in roots {
        let _ = writeln!(text, "===== {title} =====");
        // Every type reachable from the root, breadth first (deterministic: static data).
        // Types of this crate are written out in full (fields, method signatures); types of
        // abi_stable and std by name and version only, since they change only with abi_stable.
        let mut seen: Vec<*const abi_stable::type_layout::TypeLayout> = Vec::new();
        let mut queue = std::collections::VecDeque::from([root]);
        while let Some(layout) = queue.pop_front() {
            let ptr: *const _ = layout;
            if seen.contains(&ptr) {
                continue;
            }
            seen.push(ptr);
            let (package, version) = layout.package_and_version();
            if package.as_str() == "gohost-plugin-api" {
                for line in layout.to_string().lines() {
                    // Source line numbers change with every doc edit; they are not ABI.
                    let _ = writeln!(text, "{}", strip_source_line(line).trim_end());
                }
            } else {
                let _ = writeln!(
                    text,
                    "--- {} ({package} {version}) size:{} align:{}",
                    layout.full_type(),
                    layout.size(),
                    layout.alignment()
                );
            }
            queue.extend(layout.shared_vars().type_layouts().iter().map(|f| f()));
            queue.extend(layout.phantom_fields().iter().map(|f| f.layout()));
        }
    }
    text
}

fn strip_source_line(line: &str) -> String {
    match line.find("line:") {
        Some(start) => {
            let rest = &line[start + 5..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            format!("{}line:_{}", &line[..start], &rest[digits..])
        }
        None => line.to_owned(),
    }
}

#[test]
fn abi_layout_matches_the_golden_file() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("abi-layout.golden.txt");
    let actual = render();
    if std::env::var_os("GOHOST_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&golden, &actual).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map(|(i, (e, a))| {
                format!(
                    "first difference at line {}:\n  golden: {e}\n  now:    {a}",
                    i + 1
                )
            })
            .unwrap_or_else(|| {
                format!(
                    "golden has {} lines, now {}",
                    expected.lines().count(),
                    actual.lines().count()
                )
            });
        panic!(
            "the plugin ABI layout changed ({first}).\n\
             Plugins and hosts built from different versions of gohost-plugin-api share these \
             types, so a change must be append-only (new HostContext methods after the last one, \
             new PluginMod fields after the last one, never moving `#[sabi(last_prefix_field)]`, \
             never touching compat::v1_0) and come with a minor version bump of plugin-api; \
             anything else (a changed, removed or reordered field, a new enum variant) needs a \
             major bump. Then re-bless in the same commit:\n  \
             GOHOST_BLESS=1 cargo test -p gohost-plugin-api --test abi_golden\n\
             and commit plugin-api/abi-layout.golden.txt."
        );
    }
}

#[test]
fn the_golden_file_names_this_crate_version() {
    // Re-blessing is tied to a version bump: the golden file records the version it was made
    // with, so editing the ABI without bumping shows up as a diff in review.
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("abi-layout.golden.txt"),
    )
    .unwrap_or_default();
    let needle = format!(
        "package:'gohost-plugin-api' version:'{}'",
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        golden.contains(&needle),
        "abi-layout.golden.txt was not blessed with plugin-api {}",
        env!("CARGO_PKG_VERSION")
    );
}

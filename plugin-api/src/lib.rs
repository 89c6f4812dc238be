//! `gohost-plugin-api`: the stable ABI between the `gohost` host and its plugins, and the
//! only crate a plugin depends on (plus `abi_stable` itself, whose export attribute needs it
//! by name).
//!
//! It is **not** the host: it loads nothing, spawns nothing and touches no file. It defines
//! what crosses the boundary ([`PluginMod`], [`HostContext`], [`Finding`]), how a plugin
//! declares checks ([`Check`] + [`inventory`]), what a plugin exports ([`export_plugin!`]),
//! the snapshot format for record/replay ([`snapshot`]) and, behind the `testing` feature, an
//! in-process test harness ([`testing`]).
//!
//! # A complete plugin
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "gohost-plugin-hello"
//! version = "0.1.0"
//! edition = "2021"
//!
//! [lib]
//! crate-type = ["cdylib", "rlib"]   # cdylib: what gohost loads; rlib: in-process tests
//!
//! [dependencies]
//! gohost-plugin-api = "1"
//! abi_stable = "0.11"
//! ```
//!
//! `src/lib.rs`:
//!
//! ```
//! use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};
//!
//! export_plugin! {
//!     name: "hello",
//!     version: "0.1.0",
//!     description: "Says whether `uname` runs.",
//! }
//!
//! fn uname_runs(ctx: &Ctx<'_>) -> Vec<Finding> {
//!     match ctx.run(&["uname", "-m"]) {
//!         Ok(out) if out.success() => vec![Finding::pass(format!("uname -m says {}", out.stdout.trim()))
//!             .evidence("machine", out.stdout.trim(), "uname -m")],
//!         Ok(out) => vec![Finding::fail("uname -m failed")
//!             .detail(out.stderr.trim())
//!             .evidence("exit", out.describe_exit(), "uname -m")],
//!         Err(e) => vec![Finding::skip("uname is not available").detail(e.to_string())],
//!     }
//! }
//!
//! inventory::submit! {
//!     Check {
//!         id: "hello.uname-runs",
//!         title: "uname runs",
//!         explain: "Runs `uname -m` through the host and reports the machine name.",
//!         tags: &["example"],
//!         needs: Needs { network: false, root: false, slow: false },
//!         run: uname_runs,
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --release` and put `target/release/libgohost_plugin_hello.so`
//! (`.dylib` on macOS) in a plugin directory (`--plugin-dir`, `GOHOST_PLUGIN_PATH`, or
//! `~/.local/share/gohost/plugins`); `gohost list` shows it and `gohost run hello` runs it.
//! See `docs/plugin-authoring.md` for testing, errors you may meet, and shipping.
//!
//! # Rules for plugin code
//!
//! - All I/O goes through [`Ctx`]: commands (with timeouts), sysctls, files, environment,
//!   `which`, temp dirs, the cache. Never `std::process`, `std::fs` or `std::env`: they escape
//!   the host's timeouts and record/replay, so your checks could hang and could not be tested
//!   from a snapshot.
//! - Every check returns at least one [`Finding`]; `skip` with the reason when it cannot run.
//!   Never `pass` something you did not verify.
//! - Findings carry evidence (what was observed and where) and, when not passing, a
//!   remediation with exact commands.
//! - Check ids are `<plugin>.<kebab-name>` and unique.
//!
//! # Compatibility promise (semver of this crate = the plugin ABI version)
//!
//! - A host accepts plugins built against the **same major** and an **equal or lower minor**
//!   of this crate. A plugin built against a newer minor is refused with "needs a gohost
//!   supporting plugin API >= X.Y"; a different major is refused from the plain
//!   `GOHOST_PLUGIN_ABI` symbol before abi_stable's layout check runs.
//! - Minor releases only append: new [`HostContext`] methods and [`PluginMod`] fields after
//!   the current last ones, new helper functions. Changing or removing anything that crosses
//!   the boundary, or adding an enum variant to an ABI enum, is a major release.
//! - `abi-layout.golden.txt` holds the layout abi_stable computes; a test fails when it changes,
//!   so an accidental break cannot land.

#[allow(non_local_definitions)] // emitted by `#[sabi_trait]`
pub mod abi;
pub mod check;
pub mod compat;
pub mod ctx;
pub mod runtime;
pub mod snapshot;
#[cfg(feature = "testing")]
pub mod testing;

pub use abi::*;
pub use check::{check_id_problem, registered_checks, Check};
pub use ctx::{Command, Ctx, Output, ProbeResult};

#[doc(hidden)]
pub use abi_stable;
pub use inventory;

/// Export the plugin: the root module abi_stable loads and the plain `GOHOST_PLUGIN_ABI`
/// version symbol. Use once, at the crate root.
///
/// Every call into the plugin is wrapped in `catch_unwind`: a panic becomes an `error`
/// finding naming the plugin and check, never an abort of the host.
#[macro_export]
macro_rules! export_plugin {
    (name: $name:expr, version: $version:expr, description: $description:expr $(,)?) => {
        /// The plugin-api version this plugin was built against, readable without running
        /// any plugin code.
        #[no_mangle]
        #[used]
        pub static GOHOST_PLUGIN_ABI: $crate::AbiVersionTag = $crate::AbiVersionTag::CURRENT;

        const _: () = {
            const PLUGIN_NAME: &str = $name;

            extern "C" fn gohost_manifest() -> $crate::PluginManifest {
                match ::std::panic::catch_unwind(|| {
                    $crate::runtime::manifest(PLUGIN_NAME, $version, $description)
                }) {
                    Ok(manifest) => manifest,
                    Err(_) => $crate::runtime::manifest(PLUGIN_NAME, $version, "manifest panicked"),
                }
            }

            extern "C" fn gohost_run(
                ctx: $crate::HostContextRef<'_>,
                selection: $crate::abi_stable::std_types::RSlice<
                    '_,
                    $crate::abi_stable::std_types::RString,
                >,
            ) -> $crate::abi_stable::std_types::RVec<$crate::Finding> {
                $crate::runtime::run(PLUGIN_NAME, ctx, selection)
            }

            #[$crate::abi_stable::export_root_module]
            fn gohost_plugin_root_module() -> $crate::PluginModRef {
                use $crate::abi_stable::prefix_type::PrefixTypeTrait;
                $crate::PluginMod {
                    manifest: gohost_manifest,
                    run: gohost_run,
                }
                .leak_into_prefix()
            }
        };
    };
}

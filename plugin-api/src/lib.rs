//! `gohost-plugin-api`: the stable ABI between the `gohost` host and its plugins. A plugin
//! depends on it and on `abi_stable` itself (whose export attribute needs the crate by name),
//! and on nothing else of gohost's.
//!
//! It is **not** the host: it loads nothing, spawns nothing and touches no file. It defines
//! what crosses the boundary ([`PluginMod`], [`HostContext`], [`Finding`]), how a plugin
//! declares checks ([`Check`] + [`inventory`]), what a plugin exports ([`export_plugin!`]),
//! the snapshot format for record/replay ([`snapshot`]), the one shell quoting for values put
//! into printed remediation commands ([`shell::quote`]), what an implementation of the host
//! context converts its answers with ([`convert`]) and, behind the `testing` feature, an
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
//! # Not on crates.io yet: a path into a gohost checkout (docs/plugin-authoring.md).
//! gohost-plugin-api = { path = "/path/to/gohost/plugin-api" }
//! abi_stable = "0.11"
//!
//! [dev-dependencies]
//! # The in-process test harness (`testing`), for `cargo test`.
//! gohost-plugin-api = { path = "/path/to/gohost/plugin-api", features = ["testing"] }
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
//!         needs: Needs::NONE,
//!         run: uname_runs,
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --release` and put `target/release/libgohost_plugin_hello.so`
//! (`.dylib` on macOS) in a plugin directory (`--plugin-dir`, `GOHOST_PLUGIN_PATH`, or
//! `~/.local/share/gohost/plugins`); `gohost list` shows it with where it was found and
//! `gohost run hello` runs it. The file name must be `libgohost_plugin_<name>` with the
//! plugin name's dashes as underscores. `docs/plugin-authoring.md` in the gohost repository
//! walks through the same steps for a crate outside the repository (an end-to-end test
//! builds that page's exact text), and lists the errors you may meet with their fixes.
//!
//! # Using the host context
//!
//! A check receives a [`Ctx`]. Everything it learns about the machine comes through it:
//!
//! - [`Ctx::facts`]: computed once by the host (OS, process and machine architecture,
//!   Rosetta/emulation, chip, the `go` on PATH with `go version` and `go env -json`).
//! - [`Ctx::run`] / [`Ctx::exec`] with a [`Command`] (environment, cwd, timeout): every
//!   command has a timeout (30 s default) after which its whole process group is killed.
//! - [`Ctx::sysctl`], [`Ctx::read_file`], [`Ctx::read_dir`], [`Ctx::file_info`], [`Ctx::env`],
//!   [`Ctx::which_all`], [`Ctx::make_temp_dir`] + [`Ctx::write_file`], [`Ctx::cache_get`] /
//!   [`Ctx::cache_put`], since 1.1.0 [`Ctx::http_get`], and since 1.2.0 [`Ctx::env_answer`]
//!   / [`Ctx::which_answer`] for a variable or lookup a verdict depends on.
//!
//! Why not `std::process`, `std::fs` or `std::env` directly: they escape the host's timeouts
//! (one hung `go` call would hang the check, and the run), they are invisible to
//! `gohost run --record` / `--replay` (so the check cannot be tested from a snapshot, or a
//! user's report reproduced), and network access through your own client ignores
//! `--online`. In replay, every probe is answered from the snapshot and unrecorded ones fail
//! with [`ProbeErrorKind::NotRecorded`]: handle `Err` by emitting `skip` or `error` with the
//! message, never by guessing. [`Ctx::env`] and [`Ctx::which_all`] have no error: in replay an
//! unrecorded variable reads as unset and an unrecorded lookup as "not found" (so plugins
//! built against older minors keep working); when your verdict depends on the answer, use
//! [`Ctx::env_answer`] / [`Ctx::which_answer`], which say "not recorded".
//!
//! Decide on `ctx.facts().os`, never on `#[cfg(target_os)]`: one build can then be tested with
//! a macOS snapshot on Linux.
//!
//! # Writing findings users can act on
//!
//! - Every check returns at least one [`Finding`]; `skip` with the reason when it cannot run.
//!   Never `pass` something you did not verify.
//! - The title states the result ("GOARCH=amd64 on an arm64 Mac"), `detail` explains why it
//!   matters in full sentences.
//! - [`Finding::evidence`]: what was observed, its value and where from (the command line,
//!   sysctl, file), so a user can check the conclusion.
//! - [`Finding::remediation`] for every `warn` and `fail`: what to do, with the exact commands.
//! - Check ids are `<plugin>.<kebab-name>` and unique; a duplicate or malformed id becomes an
//!   `error` finding instead of running.
//! - Declare [`Needs`] truthfully: the host reads them from the manifest and does not run a
//!   check whose needs the run does not allow — network checks without `--online`, root checks
//!   unless gohost runs as root or has `--allow-root-probes`, slow ones (seconds of work, or a
//!   measurement of the machine) without `--deep`. It reports a `skip` instead
//!   ([`not_run_finding`]: which flag allows it, with `needs` evidence), so a check never has
//!   to test these options itself. The in-process runtime applies the same rule, so
//!   [`testing::run_plugin`] behaves like the host. Ordinary work that is merely not instant
//!   (one `go build` that is cached afterwards) is not `slow`: declaring it would hide the
//!   check from every default run.
//!
//! # Testing a plugin
//!
//! With the `testing` feature (as a dev-dependency), [`testing::TestContext`] answers probes
//! from a [`snapshot::Snapshot`] — built in the test, or recorded with
//! `gohost run --record FILE` on a real machine — and optionally a closure for commands;
//! [`testing::run_plugin`] runs your registered checks exactly as the exported entry point
//! does. Add `"rlib"` to `crate-type` so tests link the plugin. [`snapshot`] has a record
//! builder per probe ([`snapshot::exec_ok`], [`snapshot::sysctl_ok`],
//! [`snapshot::read_file_ok`], [`snapshot::read_dir_ok`], [`snapshot::file_info_ok`],
//! [`snapshot::env_var`], [`snapshot::which_found`], [`snapshot::read_file_at_ok`],
//! [`snapshot::file_identity_ok`], [`snapshot::plugin_setting`], and [`snapshot::failed`] for
//! an error; [`testing`] re-exports them all), so a test needs no `abi_stable` types. [`testing::one`],
//! [`testing::ev`] and [`testing::statuses`] look findings up; [`testing::assert_actionable`]
//! and [`testing::assert_checks_explained`] hold a plugin to the finding rules above. See the
//! [`testing`] module.
//!
//! # Compatibility promise (semver of this crate = the plugin ABI version)
//!
//! A plugin records the version of this crate it was built with in its `GOHOST_PLUGIN_ABI`
//! symbol ([`AbiVersionTag`]). A host built with version `H` loads a plugin tagged `P` when:
//!
//! - **same major, `P.minor <= H.minor`**: loads. A plugin built today keeps loading in every
//!   later 1.x host; the host checks an older plugin against that minor's frozen layout
//!   ([`compat`]) and hands it a context whose vtable is a superset of the one it knows.
//!   Proven by an end-to-end test with a frozen copy of 1.0.0 (`tests/compat/`).
//! - **same major, `P.minor > H.minor`**: refused with "built for plugin API P, newer than
//!   this gohost's H; it needs a gohost supporting plugin API >= P.major.P.minor (upgrade
//!   gohost)". The alternative — load it and let calls to methods the host lacks fail at run
//!   time — was rejected: a check would break halfway instead of the user being told once, at
//!   load time, what to upgrade.
//! - **different major**: refused from the plain `GOHOST_PLUGIN_ABI` symbol, read from the
//!   file before any plugin code runs and before abi_stable's layout check: "built for plugin
//!   API P but this gohost speaks plugin API H.x; rebuild the plugin against
//!   gohost-plugin-api H.x".
//!
//! Rules for this crate's releases:
//!
//! - A **minor** release only appends: new [`HostContext`] methods after the current last one
//!   (with a default body, so other implementations keep compiling), new [`PluginMod`] fields
//!   after the current last one, new helpers, new snapshot probe kinds. The
//!   `#[sabi(last_prefix_field)]` attributes never move (they mark what 1.0.0 had), and the
//!   previous minor's layout is added to [`compat`] so the host can still check its plugins.
//! - Anything else that crosses the boundary — changing, removing or reordering a field or
//!   method, adding a variant to an ABI enum — is a **major** release.
//! - `abi-layout.golden.txt` holds the layout abi_stable computes for everything reachable
//!   from the root module and [`HostContext`]; the `abi_golden` test fails on any change and
//!   explains the rules. Re-bless with
//!   `GOHOST_BLESS=1 cargo test -p gohost-plugin-api --test abi_golden` in the same commit as
//!   the version bump.
//!
//! History: 1.0.0 — the first release. 1.1.0 — [`HostContext::http_get`] / [`Ctx::http_get`]
//! (and the `http` snapshot probe); [`Needs::unmet`], [`UnmetNeed`] and [`not_run_finding`], and
//! [`GoVersion`] (and [`GoFacts::version`]); the runtime skips root and slow checks the run does not allow, as it did network ones (no
//! ABI change: hosts gate every minor's checks from the manifest). 1.2.0 —
//! [`HostContext::env_answer`] / [`HostContext::which_answer`] ([`Ctx::env_answer`],
//! [`Ctx::which_answer`]): a replayed snapshot's missing answer told apart from an unset
//! variable or a failed lookup; [`HostContext::read_file_at`] / [`Ctx::read_file_at`] (a
//! range of a file, and the `read_file_at` snapshot probe); [`Needs::NONE`]; [`GoFacts::env`]
//! (parsed `go env -json`); record builders for every probe in [`snapshot`]. 1.3.0 —
//! [`HostContext::file_identity`] / [`Ctx::file_identity`] ([`FileIdentity`]: an `lstat`
//! identity for change detection, the `file_identity` snapshot probe);
//! [`HostContext::plugin_setting`] / [`Ctx::setting`] / [`Ctx::setting_as`] (the plugin's
//! own `[plugins.<name>]` table of the user's gohost.toml, the `plugin_setting` snapshot
//! probe); the `testing` module re-exports every record builder. 1.4.0 —
//! [`HostContext::read_dir_identities`] / [`Ctx::read_dir_identities`]
//! ([`DirEntryIdentity`]: a directory's entries, each with its [`FileIdentity`], in one host
//! call instead of one per file; `Ctx` falls back to `read_dir` + `file_identity` on a host
//! that answers `Unsupported`; the `read_dir_identities` snapshot probe and its record builder
//! `read_dir_identities_ok`).

#![warn(missing_docs)]

#[allow(non_local_definitions)] // emitted by `#[sabi_trait]`
pub mod abi;
#[cfg(feature = "binary")]
pub mod binary;
pub mod check;
pub mod compat;
pub mod convert;
pub mod ctx;
pub mod go;
pub mod runtime;
pub mod shell;
pub mod snapshot;
// Also in this crate's own unit tests, which build their snapshots with its facts.
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use abi::*;
pub use check::{check_id_problem, not_run_finding, registered_checks, Check, UnmetNeed};
pub use ctx::{parse_setting, Command, Ctx, Output, ProbeResult, SettingError};
pub use go::{GoEnvJson, GoVersion};

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

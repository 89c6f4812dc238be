//! `cargo xtask`: the project's build and packaging tasks as a workspace binary (the
//! rust-analyzer pattern), run through the `xtask` cargo alias.
//!
//! - `build`: the host and every plugin (found with `cargo metadata`: packages named
//!   `gohost-plugin-*` with a cdylib target).
//! - `dist`: release builds for one target (`aarch64-apple-darwin` by default; from Linux via
//!   `cargo zigbuild`), staged, verified and packed into a deterministic tarball.
//! - `verify-dist`: checks a tarball or directory with the host's own inspection code (`gohost-inspect`).
//! - `install`: host and plugins into a prefix the host discovers by itself.
//! - `run`: build, then run the freshly built gohost.
//! - `new-plugin`: scaffold a plugin crate.
//! - `fuzz`: build and run the cargo-fuzz targets of `fuzz/` (nightly), optionally with coverage.
//!
//! It is not part of the product: nothing here ships, and the host never depends on it.

pub mod bench;
pub mod build;
pub mod dist;
pub mod fuzz;
pub mod install;
pub mod scaffold;
pub mod tarball;
pub mod verify;
pub mod workspace;

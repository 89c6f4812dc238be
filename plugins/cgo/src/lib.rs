//! gohost plugin `cgo`: can this Go build and link C code natively, and if not, exactly why?
//!
//! It explains the effective `CGO_ENABLED` (environment, `go env -w`, cross-compiling, or
//! Go 1.20+'s "no C compiler found" default), resolves the C compiler `go env CC` names and
//! its target triple (`-dumpmachine`) against GOARCH, checks Xcode Command Line Tools and the
//! SDK on macOS, builds and links a small cgo program in a private temp dir and verifies the
//! output binary's architecture by parsing it (then runs it when the machine can), and flags
//! Intel-Homebrew `/usr/local` (or foreign multiarch) paths in the cgo flags.
//!
//! The build result is cached by a fingerprint of every input (the content of the go binaries
//! and CC, go version, the relevant `go env`, CC target/version, flags, SDK) for at most a day;
//! `--no-cache` bypasses it, and a cached finding says so (`cached`). It never installs
//! anything. A missing or unreadable probe answer is "could not tell", never a verdict.
//!
//! Each check lives in `checks/<name>.rs` with its registration, a `gather` that does all
//! the probing and a pure `judge` from those observations to findings.

/// Executable header parsing, shared with the other plugins through plugin-api.
pub use gohost_plugin_api::binary;

mod cache;
mod cc;
mod checks;
mod goenv;
mod probe;

pub use cc::triple_arch;
pub use checks::flags_leak::foreign_paths;
pub use goenv::CgoReason;

gohost_plugin_api::export_plugin! {
    name: "cgo",
    version: env!("CARGO_PKG_VERSION"),
    description: "Effective CGO_ENABLED and why, the C compiler's target, Xcode CLT, a real cgo build verified.",
}

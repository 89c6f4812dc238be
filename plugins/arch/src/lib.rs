//! gohost plugin `arch`: is this process, its shell and terminal, and this machine's CPU what
//! a native Go developer expects?
//!
//! It reports the platform, whether the process runs natively or translated (Rosetta 2 on
//! macOS via `sysctl.proc_translated`; on Linux, the process's ELF machine against the
//! kernel's and qemu-user/Rosetta-for-Linux interpreters), whether a parent (shell,
//! terminal) runs translated, whether Rosetta is installed, the highest `GOARM64` level
//! consistent with the CPU features the OS reports, and Linux binfmt_misc emulation handlers.
//! A missing or unreadable probe answer is "could not tell", never a verdict.
//!
//! It is not a toolchain check (that is the `toolchain` plugin) and it never runs Go. All
//! I/O goes through the host context, so every macOS path is tested on Linux from replayed
//! snapshots.
//!
//! Each check lives in `checks/<name>.rs` with its registration, a `gather` that does all
//! the probing and a pure `judge` from those observations to findings.

/// Executable header parsing, shared with the other plugins through plugin-api.
pub use gohost_plugin_api::binary;
mod checks;
pub mod goarm64;
mod probe;

pub use probe::{P_TRANSLATED, ROSETTA_RUNTIME};

gohost_plugin_api::export_plugin! {
    name: "arch",
    version: env!("CARGO_PKG_VERSION"),
    description: "Is this process, its shell and the CPU native for Go? Rosetta, emulation, GOARM64.",
}

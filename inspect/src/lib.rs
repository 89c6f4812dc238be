//! `gohost-inspect`: what a plugin or binary file is, read with the `object` crate, without
//! loading it or running any of its code.
//!
//! This is the one implementation behind the host's pre-load check (so that an x86_64,
//! wrong-OS, fat or non-plugin file gives a one-line reason instead of a `dlopen` error),
//! `gohost plugin check FILE`, and `cargo xtask verify-dist`; it is its own crate so that the
//! packager does not link the whole host for it.
//!
//! What it reads: the container format (Mach-O thin or fat/universal, ELF, PE), per slice
//! the architecture, the file type (dylib, executable, bundle, object), the `GOHOST_PLUGIN_ABI`
//! version tag's bytes, whether abi_stable's root-module loader symbol is exported, and on
//! Mach-O the load commands that decide whether macOS will load the file (`LC_ID_DYLIB`,
//! `LC_LOAD_DYLIB`, `LC_CODE_SIGNATURE`, `LC_BUILD_VERSION`/`LC_VERSION_MIN_MACOSX`); on ELF
//! `DT_NEEDED` and `DT_SONAME`.
//!
//! What it is not: a loader (nothing here calls `dlopen` or runs the file), a verifier of
//! code signatures (it only sees that `LC_CODE_SIGNATURE` is present), nor of the ABI
//! version's compatibility (compare the tag with
//! [`gohost_plugin_api::AbiVersionTag::accepts`]), nor of file ownership and permissions
//! (the host's trust rules do that, and hand this crate the bytes of a descriptor they
//! already checked). Every input — empty, truncated, random, text — gives an
//! [`InspectError`], never a panic.
//!
//! Modules: `sniff` names the format from the magic number (and text, archives,
//! truncation); `macho`, `elf` and `pe` read one format each into [`Slice`]s, with `symbols`
//! for the exported-symbol scan the first two share; `model` holds the types; `verdict`
//! judges an [`Inspection`] against a host and writes its one-line summary.

use std::io::Read;
use std::path::{Path, PathBuf};

use gohost_plugin_api::ABI_VERSION_SYMBOL;

mod elf;
mod macho;
mod model;
mod pe;
mod sniff;
mod symbols;
mod verdict;

#[cfg(test)]
mod tests;

pub use model::{Arch, BinaryFormat, FileKind, Slice, TargetOs};

/// abi_stable's exported root-module loader symbol (without the Mach-O `_` prefix).
pub const ROOT_MODULE_SYMBOL: &str =
    gohost_plugin_api::abi_stable::library::ROOT_MODULE_LOADER_NAME;

/// `LC_BUILD_VERSION` platform number of macOS (`PLATFORM_MACOS` in `<mach-o/loader.h>`;
/// also `PLATFORM_MACOS MachoPlatform = 1` in Go 1.27.3's `src/cmd/link/internal/ld/macho.go`).
pub const PLATFORM_MACOS: u32 = 1;

/// The result of inspecting one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub format: BinaryFormat,
    /// One slice for thin files, one per architecture for fat files.
    pub slices: Vec<Slice>,
    /// The file's size in bytes.
    pub len: u64,
}

/// Why a file cannot be inspected, or cannot be loaded as a plugin here. Each message is
/// one line, says what was found and what to do; the caller prefixes the file name.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("empty file (0 bytes): not a plugin; rebuild it or remove it")]
    Empty,
    #[error("truncated {format} file: {len} bytes, too short for its header ({detail}); the copy or build was cut off, rebuild or copy it again")]
    Truncated {
        format: BinaryFormat,
        len: u64,
        detail: String,
    },
    #[error("not a Mach-O, ELF or PE file (starts with {first_bytes}); a plugin is the shared library `cargo build` writes for a cdylib crate")]
    UnknownFormat { first_bytes: String },
    #[error("a text file, not a compiled library (starts with {first_line:?}); a plugin is the shared library `cargo build` writes for a cdylib crate")]
    Text { first_line: String },
    #[error("a static library or Rust rlib (an `ar` archive), not a shared library: set crate-type = [\"cdylib\"] in the plugin's Cargo.toml and install the .so/.dylib cargo builds")]
    StaticArchive,
    #[error("{found}, but this gohost runs on {host_os}; build the plugin for {host_os} (cargo build --target {hint})")]
    WrongOs {
        found: String,
        host_os: TargetOs,
        hint: String,
    },
    #[error("{found}, but this gohost is {host_arch}; rebuild the plugin for {host_arch} (cargo build --target {hint})")]
    WrongArch {
        found: String,
        host_arch: Arch,
        hint: String,
    },
    #[error("universal (fat) Mach-O with slices {arches}: gohost loads only thin files; extract one with `lipo FILE -thin {native} -output OUT.dylib` or build for one target")]
    Fat { arches: String, native: String },
    #[error(
        "{found}, not a dynamic library: a plugin must be built with crate-type = [\"cdylib\"]"
    )]
    NotALibrary { found: String },
    #[error("{found} without the {ABI_VERSION_SYMBOL} symbol: not a gohost plugin (did you set crate-type = [\"cdylib\"] and call gohost_plugin_api::export_plugin!?)")]
    NoAbiSymbol { found: String },
    #[error("exports {ABI_VERSION_SYMBOL} but its bytes are not a gohost version tag (wrong magic or size); the file is corrupt or not built with gohost-plugin-api, rebuild it")]
    BadAbiSymbol,
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "malformed {format} file ({len} bytes): {detail}; it is corrupt or truncated, rebuild it"
    )]
    Parse {
        format: BinaryFormat,
        len: u64,
        detail: String,
    },
}

/// Read and inspect a file. Reads it whole (plugins are small; the host caps nothing here
/// because the caller decides which files are worth inspecting).
pub fn inspect_path(path: &Path) -> Result<Inspection, InspectError> {
    let bytes = std::fs::read(path).map_err(|source| InspectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    inspect_bytes(&bytes)
}

/// Inspect a file's bytes.
pub fn inspect_bytes(bytes: &[u8]) -> Result<Inspection, InspectError> {
    let len = bytes.len() as u64;
    if bytes.is_empty() {
        return Err(InspectError::Empty);
    }
    let Some(format) = sniff::sniff(bytes) else {
        return Err(sniff::unknown(bytes));
    };
    let parse_err = |detail: object::Error| sniff::classify_parse_error(format, bytes, detail);
    let slices = match format {
        BinaryFormat::MachO => vec![macho::macho_slice(bytes, 0).map_err(parse_err)?],
        BinaryFormat::MachOFat => macho::fat_slices(bytes)?,
        BinaryFormat::Elf => vec![elf::elf_slice(bytes).map_err(parse_err)?],
        BinaryFormat::Pe => vec![pe::pe_slice(bytes).map_err(parse_err)?],
        BinaryFormat::Unknown => return Err(sniff::unknown(bytes)),
    };
    Ok(Inspection {
        format,
        slices,
        len,
    })
}

/// Read `reader` to its end and inspect what it held, e.g. an already-open (and, in the
/// host, already trust-checked) `&std::fs::File`, so that the bytes judged are those of that
/// descriptor and not of whatever the path names by now. Reads from the reader's current
/// position; `path` only names the file in a read error.
pub fn inspect_reader(mut reader: impl Read, path: &Path) -> Result<Inspection, InspectError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| InspectError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    inspect_bytes(&bytes)
}

//! Judging an [`Inspection`]: whether this (or a named) host could load it as a plugin,
//! with a one-line reason and the `cargo build --target` that would fix it, and the one-line
//! summary `gohost plugin check` prints. It reads nothing; the ABI tag's compatibility is the
//! caller's to judge with `AbiVersionTag::accepts`.

use gohost_plugin_api::{AbiVersionTag, ABI_VERSION_SYMBOL};

use crate::{
    Arch, BinaryFormat, FileKind, InspectError, Inspection, Slice, TargetOs, PLATFORM_MACOS,
};

impl Inspection {
    /// Why this file cannot be loaded as a gohost plugin by this process, or its version tag.
    ///
    /// The version tag's compatibility is not judged here: compare it with
    /// `AbiVersionTag::CURRENT.accepts(&tag)`.
    pub fn check_loadable_here(&self) -> Result<AbiVersionTag, InspectError> {
        self.check_loadable_on(&TargetOs::current(), &Arch::current())
    }

    /// [`Inspection::check_loadable_here`] for a host of the given OS and architecture.
    pub fn check_loadable_on(
        &self,
        host_os: &TargetOs,
        host_arch: &Arch,
    ) -> Result<AbiVersionTag, InspectError> {
        if self.format == BinaryFormat::MachOFat {
            let arches = self
                .slices
                .iter()
                .map(Slice::arch_name)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(InspectError::Fat {
                arches,
                native: host_arch.apple_name().to_string(),
            });
        }
        let Some(slice) = self.slices.first() else {
            return Err(InspectError::Parse {
                format: self.format,
                len: self.len,
                detail: "no image in the file".to_string(),
            });
        };
        let found = slice.describe(self.format);
        if &slice.os != host_os {
            return Err(InspectError::WrongOs {
                found,
                host_os: host_os.clone(),
                hint: rust_target(host_os, host_arch),
            });
        }
        if &slice.arch != host_arch || !slice.is_64 {
            return Err(InspectError::WrongArch {
                found,
                host_arch: host_arch.clone(),
                hint: rust_target(host_os, host_arch),
            });
        }
        if !matches!(slice.kind, FileKind::Dylib | FileKind::Bundle) {
            return Err(InspectError::NotALibrary { found });
        }
        match slice.abi_tag {
            Some(tag) => Ok(tag),
            None if slice.abi_symbol_unreadable => Err(InspectError::BadAbiSymbol),
            None => Err(InspectError::NoAbiSymbol { found }),
        }
    }

    /// The only slice of a thin file.
    pub fn thin(&self) -> Option<&Slice> {
        match (self.format, self.slices.as_slice()) {
            (BinaryFormat::MachOFat, _) => None,
            (_, [slice]) => Some(slice),
            _ => None,
        }
    }

    /// One line for `gohost plugin check`, e.g.
    /// `arm64 Mach-O dynamic library, gohost plugin ABI 1.0.0, min macOS 11.0, signed, install name @rpath/libx.dylib, 2 dependencies`.
    pub fn summary(&self) -> String {
        if self.format == BinaryFormat::MachOFat {
            let parts: Vec<String> = self
                .slices
                .iter()
                .map(|slice| slice_summary(slice, BinaryFormat::MachO))
                .collect();
            return format!(
                "{} with {} slices: {}",
                self.format,
                self.slices.len(),
                parts.join("; ")
            );
        }
        self.slices
            .iter()
            .map(|slice| slice_summary(slice, self.format))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn slice_summary(slice: &Slice, format: BinaryFormat) -> String {
    let mut parts = vec![slice.describe(format)];
    match (&slice.abi_tag, slice.abi_symbol_unreadable, &slice.kind) {
        (Some(tag), _, _) => parts.push(format!("gohost plugin ABI {tag}")),
        (None, true, _) => parts.push(format!("unreadable {ABI_VERSION_SYMBOL}")),
        // Executables and objects are not expected to be plugins; saying so is noise.
        (None, false, FileKind::Dylib | FileKind::Bundle) => {
            parts.push("not a gohost plugin (no GOHOST_PLUGIN_ABI)".to_string())
        }
        (None, false, _) => {}
    }
    if slice.abi_tag.is_some() && !slice.has_root_module {
        parts.push("no abi_stable root module".to_string());
    }
    if let Some(min) = slice.min_os_string() {
        let os = match slice.platform {
            Some(PLATFORM_MACOS) | None => "macOS".to_string(),
            Some(other) => format!("platform {other}"),
        };
        parts.push(format!("min {os} {min}"));
    }
    if format == BinaryFormat::MachO {
        parts.push(
            if slice.has_code_signature {
                "signed"
            } else {
                "unsigned"
            }
            .to_string(),
        );
    }
    if let Some(name) = &slice.install_name {
        let label = if format == BinaryFormat::Elf {
            "soname"
        } else {
            "install name"
        };
        parts.push(format!("{label} {name}"));
    }
    let n = slice.dependencies.len();
    parts.push(format!("{n} dependenc{}", if n == 1 { "y" } else { "ies" }));
    parts.join(", ")
}

/// The Rust target triple that builds for the given host, for error hints.
fn rust_target(os: &TargetOs, arch: &Arch) -> String {
    match os {
        TargetOs::MacOs => format!("{}-apple-darwin", arch),
        TargetOs::Linux => format!("{}-unknown-linux-gnu", arch),
        TargetOs::Other(name) => format!("<{arch} {name} target>"),
    }
}

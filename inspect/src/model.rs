//! The types an inspection is made of: the container format, and per image ([`Slice`]) its
//! architecture, OS, kind and what the loader cares about. Plain data with their display
//! names; no parsing (that is `macho`/`elf`/`pe`) and no verdicts (that is `verdict`).

use std::fmt;

use gohost_plugin_api::AbiVersionTag;

/// The container format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryFormat {
    /// A thin Mach-O file (one architecture).
    MachO,
    /// A fat/universal Mach-O file (`0xcafebabe`/`0xcafebabf`), one slice per architecture.
    MachOFat,
    Elf,
    Pe,
    Unknown,
}

impl fmt::Display for BinaryFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryFormat::MachO => "Mach-O",
            BinaryFormat::MachOFat => "universal (fat) Mach-O",
            BinaryFormat::Elf => "ELF",
            BinaryFormat::Pe => "PE",
            BinaryFormat::Unknown => "unknown format",
        })
    }
}

/// The CPU a slice is built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arch {
    Aarch64,
    /// arm64 with pointer authentication (Mach-O `CPU_SUBTYPE_ARM64E`): not loadable into a
    /// plain arm64 process such as gohost.
    Arm64e,
    X86_64,
    Other(String),
}

impl Arch {
    /// The architecture of the running gohost.
    pub fn current() -> Arch {
        Arch::from_rust_name(std::env::consts::ARCH)
    }

    /// From Rust's `target_arch` spelling (`std::env::consts::ARCH`).
    pub fn from_rust_name(name: &str) -> Arch {
        match name {
            "aarch64" => Arch::Aarch64,
            "x86_64" => Arch::X86_64,
            other => Arch::Other(other.to_string()),
        }
    }

    /// The name Apple's tools use (`arm64`, `x86_64`), for Mach-O messages.
    pub fn apple_name(&self) -> &str {
        match self {
            Arch::Aarch64 => "arm64",
            Arch::Arm64e => "arm64e",
            Arch::X86_64 => "x86_64",
            Arch::Other(name) => name,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arch::Aarch64 => "aarch64",
            Arch::Arm64e => "arm64e",
            Arch::X86_64 => "x86_64",
            Arch::Other(name) => name,
        })
    }
}

/// The operating system a slice is built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetOs {
    MacOs,
    Linux,
    Other(String),
}

impl TargetOs {
    /// The OS of the running gohost.
    pub fn current() -> TargetOs {
        match std::env::consts::OS {
            "macos" => TargetOs::MacOs,
            "linux" => TargetOs::Linux,
            other => TargetOs::Other(other.to_string()),
        }
    }

    /// The file extension plugins have on this OS.
    pub fn plugin_extension(&self) -> &'static str {
        match self {
            TargetOs::MacOs => "dylib",
            TargetOs::Other(name) if name == "windows" => "dll",
            _ => "so",
        }
    }
}

impl fmt::Display for TargetOs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetOs::MacOs => "macOS",
            TargetOs::Linux => "Linux",
            TargetOs::Other(name) => name,
        })
    }
}

/// What kind of file a slice is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// Mach-O `MH_DYLIB`, ELF `ET_DYN` shared object (not a PIE executable), PE DLL.
    Dylib,
    /// Mach-O `MH_EXECUTE`, ELF `ET_EXEC` or PIE, PE EXE.
    Executable,
    /// Mach-O `MH_BUNDLE` (what `-bundle` links; `dlopen` accepts it, but a cdylib is a dylib).
    Bundle,
    /// A relocatable object (`.o`).
    Object,
    Other(String),
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Dylib => "dynamic library",
            FileKind::Executable => "executable",
            FileKind::Bundle => "bundle",
            FileKind::Object => "object file",
            FileKind::Other(name) => name,
        })
    }
}

/// One architecture's image: the whole file when thin, one member of a fat file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub arch: Arch,
    pub os: TargetOs,
    pub kind: FileKind,
    pub is_64: bool,
    pub little_endian: bool,
    /// The decoded data of the exported `GOHOST_PLUGIN_ABI` symbol.
    pub abi_tag: Option<AbiVersionTag>,
    /// The `GOHOST_PLUGIN_ABI` symbol is exported but its bytes are not a valid tag
    /// (wrong magic, too short, or in a section with no file data).
    pub abi_symbol_unreadable: bool,
    /// abi_stable's root-module loader symbol is exported.
    pub has_root_module: bool,
    /// Mach-O `LC_ID_DYLIB`, or ELF `DT_SONAME`.
    pub install_name: Option<String>,
    /// Mach-O `LC_LOAD_DYLIB`/`LC_LOAD_WEAK_DYLIB`/`LC_REEXPORT_DYLIB`/…, or ELF `DT_NEEDED`.
    pub dependencies: Vec<String>,
    /// Mach-O `LC_CODE_SIGNATURE` is present (not verified).
    pub has_code_signature: bool,
    /// Mach-O minimum OS version from `LC_BUILD_VERSION` (`minos`) or `LC_VERSION_MIN_*`.
    pub min_os: Option<(u16, u8, u8)>,
    /// Mach-O `LC_BUILD_VERSION` platform (1 = macOS); `LC_VERSION_MIN_MACOSX` counts as 1.
    pub platform: Option<u32>,
    /// Byte offset of this slice in the file (non-zero only inside fat files).
    pub offset: u64,
    /// Byte length of this slice.
    pub size: u64,
}

impl Slice {
    /// The architecture as the file's own platform spells it (`arm64` for Mach-O).
    pub fn arch_name(&self) -> String {
        match self.os {
            TargetOs::MacOs => self.arch.apple_name().to_string(),
            _ => self.arch.to_string(),
        }
    }

    /// The minimum OS as `11.0` / `13.4.1`.
    pub fn min_os_string(&self) -> Option<String> {
        self.min_os.map(|(major, minor, patch)| {
            if patch == 0 {
                format!("{major}.{minor}")
            } else {
                format!("{major}.{minor}.{patch}")
            }
        })
    }

    pub(crate) fn describe(&self, format: BinaryFormat) -> String {
        let bits = if self.is_64 { "" } else { " (32-bit)" };
        format!("{} {format} {}{bits}", self.arch_name(), self.kind)
    }
}

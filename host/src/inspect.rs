//! Pre-load inspection of plugin and binary files: what a file is, read with the `object`
//! crate, without loading it or running any of its code.
//!
//! This is the one implementation behind the host's pre-load check (so that an x86_64,
//! wrong-OS, fat or non-plugin file gives a one-line reason instead of a `dlopen` error),
//! `gohost plugin check FILE`, and `cargo xtask verify-dist`.
//!
//! What it reads: the container format (Mach-O thin or fat/universal, ELF, PE), per slice
//! the architecture, the file type (dylib, executable, bundle, object), the `GOHOST_PLUGIN_ABI`
//! version tag's bytes, whether abi_stable's root-module loader symbol is exported, and on
//! Mach-O the load commands that decide whether macOS will load the file (`LC_ID_DYLIB`,
//! `LC_LOAD_DYLIB`, `LC_CODE_SIGNATURE`, `LC_BUILD_VERSION`/`LC_VERSION_MIN_MACOSX`); on ELF
//! `DT_NEEDED` and `DT_SONAME`.
//!
//! What it is not: a verifier of code signatures (it only sees that `LC_CODE_SIGNATURE` is
//! present), nor of the ABI version's compatibility (compare the tag with
//! [`AbiVersionTag::accepts`]), nor of file ownership and permissions (discovery does that).
//! Every input — empty, truncated, random, text — gives an [`InspectError`], never a panic.

use std::fmt;
use std::path::{Path, PathBuf};

use gohost_plugin_api::{AbiVersionTag, ABI_VERSION_SYMBOL};
use object::elf;
use object::macho;
use object::read::elf::{Dyn as _, FileHeader as ElfHeader, ProgramHeader as _};
use object::read::macho::{FatArch, MachHeader};
use object::{Object, ObjectSection, ObjectSymbol};

/// abi_stable's exported root-module loader symbol (without the Mach-O `_` prefix).
pub const ROOT_MODULE_SYMBOL: &str =
    gohost_plugin_api::abi_stable::library::ROOT_MODULE_LOADER_NAME;

/// `LC_BUILD_VERSION` platform number of macOS (`PLATFORM_MACOS` in `<mach-o/loader.h>`).
pub const PLATFORM_MACOS: u32 = 1;

/// How many leading bytes an [`InspectError::UnknownFormat`] shows.
const SHOWN_BYTES: usize = 8;

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

    fn describe(&self, format: BinaryFormat) -> String {
        let bits = if self.is_64 { "" } else { " (32-bit)" };
        format!("{} {format} {}{bits}", self.arch_name(), self.kind)
    }
}

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
    let Some(format) = sniff(bytes) else {
        return Err(unknown(bytes));
    };
    let parse_err = |detail: object::Error| classify_parse_error(format, bytes, detail);
    let slices = match format {
        BinaryFormat::MachO => vec![macho_slice(bytes, 0).map_err(parse_err)?],
        BinaryFormat::MachOFat => fat_slices(bytes)?,
        BinaryFormat::Elf => vec![elf_slice(bytes).map_err(parse_err)?],
        BinaryFormat::Pe => vec![pe_slice(bytes).map_err(parse_err)?],
        BinaryFormat::Unknown => return Err(unknown(bytes)),
    };
    Ok(Inspection {
        format,
        slices,
        len,
    })
}

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

/// The format from the magic number alone, so that a file cut short inside its header is
/// still recognised (and reported as truncated rather than as unknown).
fn sniff(bytes: &[u8]) -> Option<BinaryFormat> {
    let magic4 = bytes.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok());
    match magic4 {
        Some([0xfe, 0xed, 0xfa, 0xce | 0xcf]) | Some([0xce | 0xcf, 0xfa, 0xed, 0xfe]) => {
            Some(BinaryFormat::MachO)
        }
        Some([0xca, 0xfe, 0xba, 0xbe | 0xbf]) => Some(BinaryFormat::MachOFat),
        Some([0x7f, b'E', b'L', b'F']) => Some(BinaryFormat::Elf),
        _ if bytes.starts_with(b"MZ") => Some(BinaryFormat::Pe),
        _ => None,
    }
}

fn unknown(bytes: &[u8]) -> InspectError {
    // `ar` archives (.a, .rlib) start with this text line; name them before the text check.
    if bytes.starts_with(b"!<arch>\n") {
        return InspectError::StaticArchive;
    }
    if let Some(first_line) = text_prefix(bytes) {
        return InspectError::Text { first_line };
    }
    let first_bytes = bytes
        .iter()
        .take(SHOWN_BYTES)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    InspectError::UnknownFormat { first_bytes }
}

/// The first line (shortened) when the start of the file is UTF-8 text without control
/// characters other than whitespace.
fn text_prefix(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    // A multi-byte character may be cut at the 512-byte boundary.
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(&head[..err.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
    {
        return None;
    }
    let line = text.lines().next().unwrap_or("").trim();
    Some(line.chars().take(40).collect())
}

/// Turn an `object` parse error into Truncated when the file is shorter than the fixed
/// header of its format, else into Parse.
fn classify_parse_error(format: BinaryFormat, bytes: &[u8], err: object::Error) -> InspectError {
    let len = bytes.len() as u64;
    let min_header: u64 = match format {
        BinaryFormat::MachO if bytes.first() == Some(&0xcf) || bytes.get(3) == Some(&0xcf) => 32,
        BinaryFormat::MachO => 28,
        BinaryFormat::MachOFat => 8,
        BinaryFormat::Elf if bytes.get(4) == Some(&elf::ELFCLASS64) => 64,
        BinaryFormat::Elf => 52,
        BinaryFormat::Pe => 64,
        BinaryFormat::Unknown => 0,
    };
    if len < min_header {
        InspectError::Truncated {
            format,
            len,
            detail: format!("{format} headers need at least {min_header}"),
        }
    } else {
        InspectError::Parse {
            format,
            len,
            detail: err.to_string(),
        }
    }
}

fn fat_slices(bytes: &[u8]) -> Result<Vec<Slice>, InspectError> {
    let len = bytes.len() as u64;
    let fat_err = |err: object::Error| classify_parse_error(BinaryFormat::MachOFat, bytes, err);
    let slices = if bytes.get(3) == Some(&0xbf) {
        let fat = object::read::macho::MachOFatFile64::parse(bytes).map_err(fat_err)?;
        fat.arches()
            .iter()
            .map(|arch| fat_member(bytes, arch))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let fat = object::read::macho::MachOFatFile32::parse(bytes).map_err(fat_err)?;
        fat.arches()
            .iter()
            .map(|arch| fat_member(bytes, arch))
            .collect::<Result<Vec<_>, _>>()?
    };
    if slices.is_empty() {
        return Err(InspectError::Parse {
            format: BinaryFormat::MachOFat,
            len,
            detail: "the fat header lists no architectures".to_string(),
        });
    }
    Ok(slices)
}

fn fat_member<A: FatArch>(bytes: &[u8], arch: &A) -> Result<Slice, InspectError> {
    let (offset, size) = arch.file_range();
    let data = arch.data(bytes).map_err(|err| InspectError::Parse {
        format: BinaryFormat::MachOFat,
        len: bytes.len() as u64,
        detail: format!("slice at offset {offset}, {size} bytes: {err} (truncated?)"),
    })?;
    let mut slice = macho_slice(data, offset).map_err(|err| InspectError::Parse {
        format: BinaryFormat::MachOFat,
        len: bytes.len() as u64,
        detail: format!("slice at offset {offset}: {err}"),
    })?;
    slice.size = size;
    Ok(slice)
}

fn macho_slice(data: &[u8], offset: u64) -> object::Result<Slice> {
    let magic = data.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok());
    let is_64 = matches!(
        magic,
        Some([0xfe, 0xed, 0xfa, 0xcf] | [0xcf, 0xfa, 0xed, 0xfe])
    );
    if is_64 {
        macho_slice_of::<macho::MachHeader64<object::Endianness>>(data, offset)
    } else {
        macho_slice_of::<macho::MachHeader32<object::Endianness>>(data, offset)
    }
}

fn macho_slice_of<Mach: MachHeader<Endian = object::Endianness>>(
    data: &[u8],
    offset: u64,
) -> object::Result<Slice> {
    let file = object::read::macho::MachOFile::<Mach, &[u8]>::parse(data)?;
    let header = file.macho_header();
    let endian = file.endian();
    let cputype = header.cputype(endian);
    let subtype = header.cpusubtype(endian) & !macho::CPU_SUBTYPE_MASK;
    let arch = match cputype {
        macho::CPU_TYPE_ARM64 if subtype == macho::CPU_SUBTYPE_ARM64E => Arch::Arm64e,
        macho::CPU_TYPE_ARM64 => Arch::Aarch64,
        macho::CPU_TYPE_X86_64 => Arch::X86_64,
        other => Arch::Other(match file.architecture() {
            object::Architecture::Unknown => format!("cputype {other:#x}"),
            known => format!("{known:?}").to_lowercase(),
        }),
    };
    let kind = match header.filetype(endian) {
        macho::MH_DYLIB => FileKind::Dylib,
        macho::MH_EXECUTE => FileKind::Executable,
        macho::MH_BUNDLE => FileKind::Bundle,
        macho::MH_OBJECT => FileKind::Object,
        other => FileKind::Other(format!("Mach-O file type {other}")),
    };

    let mut install_name = None;
    let mut dependencies = Vec::new();
    let mut has_code_signature = false;
    let mut min_os = None;
    let mut platform = None;
    let mut commands = file.macho_load_commands()?;
    while let Some(command) = commands.next()? {
        match command.cmd() {
            macho::LC_ID_DYLIB => {
                let dylib: &macho::DylibCommand<_> = command.data()?;
                let name = command.string(endian, dylib.dylib.name)?;
                install_name = Some(String::from_utf8_lossy(name).into_owned());
            }
            macho::LC_LOAD_DYLIB
            | macho::LC_LOAD_WEAK_DYLIB
            | macho::LC_REEXPORT_DYLIB
            | macho::LC_LAZY_LOAD_DYLIB
            | macho::LC_LOAD_UPWARD_DYLIB => {
                if let Some(dylib) = command.dylib()? {
                    let name = command.string(endian, dylib.dylib.name)?;
                    dependencies.push(String::from_utf8_lossy(name).into_owned());
                }
            }
            macho::LC_CODE_SIGNATURE => has_code_signature = true,
            macho::LC_BUILD_VERSION => {
                if let Some(build) = command.build_version()? {
                    platform = Some(build.platform.get(endian));
                    min_os = Some(decode_version(build.minos.get(endian)));
                }
            }
            // LC_BUILD_VERSION wins when both are present (it is the newer command).
            cmd @ (macho::LC_VERSION_MIN_MACOSX
            | macho::LC_VERSION_MIN_IPHONEOS
            | macho::LC_VERSION_MIN_TVOS
            | macho::LC_VERSION_MIN_WATCHOS)
                if platform.is_none() =>
            {
                let version: &macho::VersionMinCommand<_> = command.data()?;
                min_os = Some(decode_version(version.version.get(endian)));
                platform = Some(match cmd {
                    macho::LC_VERSION_MIN_MACOSX => macho::PLATFORM_MACOS,
                    macho::LC_VERSION_MIN_IPHONEOS => macho::PLATFORM_IOS,
                    macho::LC_VERSION_MIN_TVOS => macho::PLATFORM_TVOS,
                    _ => macho::PLATFORM_WATCHOS,
                });
            }
            _ => {}
        }
    }
    let os = match platform {
        None | Some(macho::PLATFORM_MACOS) => TargetOs::MacOs,
        Some(macho::PLATFORM_IOS) => TargetOs::Other("iOS".to_string()),
        Some(macho::PLATFORM_MACCATALYST) => TargetOs::Other("Mac Catalyst".to_string()),
        Some(other) => TargetOs::Other(format!("Apple platform {other}")),
    };

    // Mach-O C symbol names carry a leading underscore; exports are the external defined
    // symbols of the symbol table (what the export trie is built from).
    let mut symbols = SymbolScan::new(
        format!("_{ABI_VERSION_SYMBOL}"),
        format!("_{ROOT_MODULE_SYMBOL}"),
    );
    for symbol in file.symbols() {
        if symbol.is_definition() && symbol.is_global() {
            symbols.visit(&file, &symbol, !header.is_big_endian());
        }
    }
    Ok(Slice {
        arch,
        os,
        kind,
        is_64: header.is_type_64(),
        little_endian: !header.is_big_endian(),
        abi_tag: symbols.tag,
        abi_symbol_unreadable: symbols.tag_unreadable,
        has_root_module: symbols.root_module,
        install_name,
        dependencies,
        has_code_signature,
        min_os,
        platform,
        offset,
        size: data.len() as u64,
    })
}

/// `xxxx.yy.zz` nibble-encoded Mach-O version.
fn decode_version(raw: u32) -> (u16, u8, u8) {
    ((raw >> 16) as u16, (raw >> 8) as u8, raw as u8)
}

struct SymbolScan {
    abi_name: String,
    root_name: String,
    tag: Option<AbiVersionTag>,
    tag_unreadable: bool,
    root_module: bool,
}

impl SymbolScan {
    fn new(abi_name: String, root_name: String) -> SymbolScan {
        SymbolScan {
            abi_name,
            root_name,
            tag: None,
            tag_unreadable: false,
            root_module: false,
        }
    }

    fn visit<'data, O, S>(&mut self, file: &O, symbol: &S, little_endian: bool)
    where
        O: Object<'data>,
        S: ObjectSymbol<'data>,
    {
        let Ok(name) = symbol.name_bytes() else {
            return;
        };
        if name == self.root_name.as_bytes() {
            self.root_module = true;
        } else if name == self.abi_name.as_bytes() && self.tag.is_none() {
            let tag = symbol_data(file, symbol, AbiVersionTag::SIZE as u64)
                .and_then(|bytes| AbiVersionTag::from_bytes(bytes, little_endian));
            self.tag = tag;
            self.tag_unreadable = tag.is_none();
        }
    }
}

/// The file bytes backing `size` bytes at the symbol's address, if it lives in a section
/// with file data.
fn symbol_data<'data, O, S>(file: &O, symbol: &S, size: u64) -> Option<&'data [u8]>
where
    O: Object<'data>,
    S: ObjectSymbol<'data>,
{
    let index = symbol.section_index()?;
    let section = file.section_by_index(index).ok()?;
    section.data_range(symbol.address(), size).ok().flatten()
}

fn elf_slice(data: &[u8]) -> object::Result<Slice> {
    if data.get(4) == Some(&elf::ELFCLASS64) {
        elf_slice_of::<elf::FileHeader64<object::Endianness>>(data)
    } else {
        elf_slice_of::<elf::FileHeader32<object::Endianness>>(data)
    }
}

fn elf_slice_of<Elf: ElfHeader<Endian = object::Endianness>>(data: &[u8]) -> object::Result<Slice> {
    let file = object::read::elf::ElfFile::<Elf, &[u8]>::parse(data)?;
    let header = file.elf_header();
    let endian = file.endian();
    let arch = match header.e_machine(endian) {
        elf::EM_AARCH64 => Arch::Aarch64,
        elf::EM_X86_64 => Arch::X86_64,
        other => Arch::Other(match file.architecture() {
            object::Architecture::Unknown => format!("e_machine {other}"),
            known => format!("{known:?}").to_lowercase(),
        }),
    };
    // Linux binaries normally say ELFOSABI_NONE (System V) rather than ELFOSABI_GNU.
    let os = match header.e_ident().os_abi {
        elf::ELFOSABI_NONE | elf::ELFOSABI_GNU => TargetOs::Linux,
        elf::ELFOSABI_FREEBSD => TargetOs::Other("FreeBSD".to_string()),
        other => TargetOs::Other(format!("ELF OS/ABI {other}")),
    };

    let mut install_name = None;
    let mut dependencies = Vec::new();
    let mut pie = false;
    let sections = file.elf_section_table();
    if let Some((dynamic, link)) = sections.dynamic(endian, data)? {
        let strings = sections.strings(endian, data, link)?;
        for entry in dynamic {
            let Some(tag) = entry.tag32(endian) else {
                continue;
            };
            match tag {
                elf::DT_NEEDED | elf::DT_SONAME => {
                    let name = entry.string(endian, strings)?;
                    let name = String::from_utf8_lossy(name).into_owned();
                    if tag == elf::DT_NEEDED {
                        dependencies.push(name);
                    } else {
                        install_name = Some(name);
                    }
                }
                elf::DT_FLAGS_1 => {
                    pie |= entry.val32(endian).is_some_and(|v| v & elf::DF_1_PIE != 0);
                }
                _ => {}
            }
        }
    }
    let has_interp = file
        .elf_program_headers()
        .iter()
        .any(|ph| ph.p_type(endian) == elf::PT_INTERP);
    let kind = match header.e_type(endian) {
        elf::ET_DYN if pie || (has_interp && install_name.is_none()) => FileKind::Executable,
        elf::ET_DYN => FileKind::Dylib,
        elf::ET_EXEC => FileKind::Executable,
        elf::ET_REL => FileKind::Object,
        other => FileKind::Other(format!("ELF type {other}")),
    };

    let little_endian = !header.is_big_endian();
    let mut symbols = SymbolScan::new(
        ABI_VERSION_SYMBOL.to_string(),
        ROOT_MODULE_SYMBOL.to_string(),
    );
    // Only .dynsym is visible to dlopen/dlsym; a name only in .symtab is not exported.
    for symbol in file.dynamic_symbols() {
        if symbol.is_definition() && symbol.is_global() {
            symbols.visit(&file, &symbol, little_endian);
        }
    }
    Ok(Slice {
        arch,
        os,
        kind,
        is_64: header.is_type_64(),
        little_endian,
        abi_tag: symbols.tag,
        abi_symbol_unreadable: symbols.tag_unreadable,
        has_root_module: symbols.root_module,
        install_name,
        dependencies,
        has_code_signature: false,
        min_os: None,
        platform: None,
        offset: 0,
        size: data.len() as u64,
    })
}

fn pe_slice(data: &[u8]) -> object::Result<Slice> {
    let kind = object::FileKind::parse(data)?;
    let file = object::File::parse(data)?;
    let arch = match file.architecture() {
        object::Architecture::Aarch64 => Arch::Aarch64,
        object::Architecture::X86_64 => Arch::X86_64,
        other => Arch::Other(format!("{other:?}").to_lowercase()),
    };
    let file_kind = match file.kind() {
        object::ObjectKind::Dynamic => FileKind::Dylib,
        object::ObjectKind::Executable => FileKind::Executable,
        other => FileKind::Other(format!("PE {other:?}")),
    };
    Ok(Slice {
        arch,
        os: TargetOs::Other("windows".to_string()),
        kind: file_kind,
        is_64: matches!(kind, object::FileKind::Pe64),
        little_endian: file.is_little_endian(),
        abi_tag: None,
        abi_symbol_unreadable: false,
        has_root_module: false,
        install_name: None,
        dependencies: Vec::new(),
        has_code_signature: false,
        min_os: None,
        platform: None,
        offset: 0,
        size: data.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    //! Every failure mode with real files: plugins built from `plugins/arch` by cargo (native,
    //! `aarch64-apple-darwin` via `cargo zigbuild`, `aarch64-unknown-linux-gnu` via
    //! `aarch64-linux-gnu-gcc`), C dylibs linked by zig's and the system's linkers, and a fat
    //! file assembled around real thin slices. Missing tools fail the test with what to install.

    use super::*;
    use std::process::Command;
    use std::sync::{Mutex, OnceLock};

    fn workspace_root() -> PathBuf {
        let start = Path::new(env!("CARGO_MANIFEST_DIR"));
        start
            .ancestors()
            .find(|dir| dir.join("plugins/arch/Cargo.toml").is_file())
            .unwrap_or_else(|| panic!("no plugins/arch above {}", start.display()))
            .to_path_buf()
    }

    /// Fixtures get their own target dir so that building them never waits on the lock of
    /// the `cargo test` that runs us.
    fn fixture_dir() -> PathBuf {
        let base = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        let dir = base.join("inspect-fixtures");
        std::fs::create_dir_all(&dir).expect("create fixture dir");
        dir
    }

    fn run(cmd: &mut Command, what: &str) {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Build `plugins/arch` for `target` (None = the host) once per test process.
    fn arch_plugin(target: Option<&'static str>) -> PathBuf {
        type Built = Vec<(Option<&'static str>, PathBuf)>;
        static BUILT: OnceLock<Mutex<Built>> = OnceLock::new();
        let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
        let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, path)) = built.iter().find(|(t, _)| *t == target) {
            return path.clone();
        }
        let manifest = workspace_root().join("plugins/arch/Cargo.toml");
        let manifest = manifest.canonicalize().unwrap_or(manifest);
        let dir = fixture_dir();
        let mut cmd = Command::new(env!("CARGO"));
        let file = match target {
            Some("aarch64-apple-darwin") => {
                cmd.arg("zigbuild").env("MACOSX_DEPLOYMENT_TARGET", "11.0");
                "libgohost_plugin_arch.dylib"
            }
            Some(_) => {
                cmd.arg("build").env(
                    "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
                    "aarch64-linux-gnu-gcc",
                );
                "libgohost_plugin_arch.so"
            }
            None => {
                cmd.arg("build");
                if cfg!(target_os = "macos") {
                    "libgohost_plugin_arch.dylib"
                } else {
                    "libgohost_plugin_arch.so"
                }
            }
        };
        cmd.arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&dir)
            .arg("--quiet");
        if let Some(target) = target {
            cmd.arg("--target").arg(target);
        }
        run(
            &mut cmd,
            "building plugins/arch (needs cargo-zigbuild + ziglang from pip, gcc-aarch64-linux-gnu, rustup targets)",
        );
        let path = match target {
            Some(t) => dir.join(t).join("debug").join(file),
            None => dir.join("debug").join(file),
        };
        built.push((target, path.clone()));
        path
    }

    /// A C dylib without any gohost symbol, linked by `zig cc` for a Mach-O target.
    fn zig_c_dylib(zig_target: &str) -> PathBuf {
        let dir = fixture_dir().join("c-dylibs");
        std::fs::create_dir_all(&dir).expect("create dir");
        let src = dir.join("hello.c");
        std::fs::write(&src, "int hello(void) { return 42; }\n").expect("write source");
        let out = dir.join(format!("libhello-{zig_target}.dylib"));
        run(
            Command::new("python3")
                .args([
                    "-m", "ziglang", "cc", "-target", zig_target, "-shared", "-o",
                ])
                .arg(&out)
                .arg(&src),
            "zig cc (pip install ziglang)",
        );
        out
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    fn err_of(result: Result<Inspection, InspectError>) -> InspectError {
        match result {
            Ok(found) => panic!("expected an error, got {}", found.summary()),
            Err(err) => err,
        }
    }

    #[test]
    fn empty_file_is_reported_as_empty() {
        let tmp =
            std::env::temp_dir().join(format!("gohost-inspect-empty-{}.so", std::process::id()));
        std::fs::write(&tmp, b"").expect("write");
        let err = err_of(inspect_path(&tmp));
        let _ = std::fs::remove_file(&tmp);
        assert!(matches!(err, InspectError::Empty), "{err}");
        assert!(err.to_string().contains("empty file"));
    }

    #[test]
    fn missing_file_is_an_io_error_naming_the_path() {
        let path = Path::new("/nonexistent/gohost/libnothing.so");
        let err = err_of(inspect_path(path));
        assert!(matches!(err, InspectError::Io { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("/nonexistent/gohost/libnothing.so"));
    }

    #[test]
    fn text_file_named_like_a_library_is_text() {
        let tmp =
            std::env::temp_dir().join(format!("gohost-inspect-text-{}.dylib", std::process::id()));
        std::fs::write(&tmp, "#!/bin/sh\necho not a library\n").expect("write");
        let err = err_of(inspect_path(&tmp));
        let _ = std::fs::remove_file(&tmp);
        match &err {
            InspectError::Text { first_line } => assert_eq!(first_line, "#!/bin/sh"),
            other => panic!("expected Text, got {other}"),
        }
    }

    /// Random bytes: unknown; random bytes behind every magic number this module knows:
    /// an error (never a panic) and never a plugin.
    #[test]
    fn random_bytes_never_panic() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut noise = vec![0u8; 64 * 1024];
        noise.iter_mut().for_each(|b| *b = next() as u8);
        noise[0] = 0x00; // no accidental magic
        let err = err_of(inspect_bytes(&noise));
        assert!(matches!(err, InspectError::UnknownFormat { .. }), "{err}");
        assert!(err.to_string().contains("00 "), "{err}");

        let magics: [&[u8]; 7] = [
            &[0xcf, 0xfa, 0xed, 0xfe],
            &[0xce, 0xfa, 0xed, 0xfe],
            &[0xca, 0xfe, 0xba, 0xbe],
            &[0xca, 0xfe, 0xba, 0xbf],
            b"\x7fELF\x02\x01\x01\x00",
            b"\x7fELF\x01\x01\x01\x00",
            b"MZ",
        ];
        for round in 0..300 {
            let magic = magics[round % magics.len()];
            let len = magic.len() + (next() % 4096) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            bytes[..magic.len()].copy_from_slice(magic);
            if let Ok(found) = inspect_bytes(&bytes) {
                // Whatever parsed is not a loadable plugin.
                assert!(found.check_loadable_here().is_err(), "{}", found.summary());
            }
        }
    }

    #[test]
    fn truncated_headers_are_truncated_and_cut_bodies_are_malformed() {
        let native = read(&arch_plugin(None));
        let mac = read(&arch_plugin(Some("aarch64-apple-darwin")));
        for (name, bytes) in [("native", &native), ("mac", &mac)] {
            let err = err_of(inspect_bytes(&bytes[..20]));
            assert!(
                matches!(err, InspectError::Truncated { len: 20, .. }),
                "{name}: {err}"
            );
            assert!(err.to_string().contains("truncated"), "{err}");
            // Cut inside the load commands / section table: an error, not a panic.
            for cut in [100, 1000, 3000, bytes.len() / 2] {
                let err = err_of(inspect_bytes(&bytes[..cut]));
                assert!(
                    matches!(
                        err,
                        InspectError::Parse { .. } | InspectError::Truncated { .. }
                    ),
                    "{name} cut at {cut}: {err}"
                );
            }
        }
        let err = err_of(inspect_bytes(&[0xca, 0xfe, 0xba, 0xbe, 0, 0]));
        assert!(
            matches!(
                err,
                InspectError::Truncated {
                    format: BinaryFormat::MachOFat,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn native_plugin_is_loadable_with_the_current_tag() {
        let found = inspect_path(&arch_plugin(None)).expect("inspect native plugin");
        let slice = found.thin().expect("thin");
        assert_eq!(slice.arch, Arch::current());
        assert_eq!(slice.os, TargetOs::current());
        assert_eq!(slice.kind, FileKind::Dylib);
        assert!(slice.has_root_module, "{}", found.summary());
        assert_eq!(
            found.check_loadable_here().expect("loadable"),
            AbiVersionTag::CURRENT
        );
        assert!(found
            .summary()
            .contains(&format!("gohost plugin ABI {}", AbiVersionTag::CURRENT)));
    }

    #[test]
    fn macos_arm64_plugin_reads_its_load_commands() {
        let found = inspect_path(&arch_plugin(Some("aarch64-apple-darwin"))).expect("inspect");
        assert_eq!(found.format, BinaryFormat::MachO);
        let slice = found.thin().expect("thin");
        assert_eq!(slice.arch, Arch::Aarch64);
        assert_eq!(slice.os, TargetOs::MacOs);
        assert_eq!(slice.kind, FileKind::Dylib);
        assert!(slice.is_64 && slice.little_endian);
        assert_eq!(slice.abi_tag, Some(AbiVersionTag::CURRENT));
        assert!(slice.has_root_module);
        assert!(
            slice.has_code_signature,
            "zig's linker signs arm64 dylibs ad hoc"
        );
        assert_eq!(
            slice.min_os,
            Some((11, 0, 0)),
            "MACOSX_DEPLOYMENT_TARGET=11.0"
        );
        assert_eq!(slice.platform, Some(PLATFORM_MACOS));
        let id = slice.install_name.as_deref().expect("LC_ID_DYLIB");
        assert!(id.ends_with("libgohost_plugin_arch.dylib"), "{id}");
        assert!(
            slice
                .dependencies
                .iter()
                .any(|d| d == "/usr/lib/libSystem.B.dylib"),
            "{:?}",
            slice.dependencies
        );
        assert_eq!(
            found
                .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
                .expect("loadable on arm64 macOS"),
            AbiVersionTag::CURRENT
        );
        let err = found
            .check_loadable_on(&TargetOs::Linux, &Arch::X86_64)
            .expect_err("wrong OS");
        assert!(matches!(err, InspectError::WrongOs { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("arm64 Mach-O dynamic library, but this gohost runs on Linux"),
            "{err}"
        );
        let err = found
            .check_loadable_on(&TargetOs::MacOs, &Arch::X86_64)
            .expect_err("wrong arch");
        assert!(matches!(err, InspectError::WrongArch { .. }), "{err}");
        if cfg!(not(all(target_os = "macos", target_arch = "aarch64"))) {
            assert!(found.check_loadable_here().is_err());
        }
    }

    #[test]
    fn x86_64_macho_dylib_on_arm64_mac_is_wrong_arch() {
        let found = inspect_path(&zig_c_dylib("x86_64-macos")).expect("inspect");
        let err = found
            .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
            .expect_err("x86_64");
        assert!(matches!(err, InspectError::WrongArch { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("x86_64 Mach-O dynamic library, but this gohost is aarch64"),
            "{err}"
        );
    }

    #[test]
    fn aarch64_linux_plugin_on_x86_64_linux_is_wrong_arch() {
        let found = inspect_path(&arch_plugin(Some("aarch64-unknown-linux-gnu"))).expect("inspect");
        let slice = found.thin().expect("thin");
        assert_eq!(
            (slice.arch.clone(), slice.os.clone()),
            (Arch::Aarch64, TargetOs::Linux)
        );
        assert_eq!(slice.abi_tag, Some(AbiVersionTag::CURRENT));
        let err = found
            .check_loadable_on(&TargetOs::Linux, &Arch::X86_64)
            .expect_err("aarch64");
        assert!(matches!(err, InspectError::WrongArch { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("aarch64 ELF dynamic library, but this gohost is x86_64"),
            "{err}"
        );
        assert!(found
            .check_loadable_on(&TargetOs::Linux, &Arch::Aarch64)
            .is_ok());
    }

    /// A fat file around two real thin slices (the layout of `<mach-o/fat.h>`: big-endian
    /// header and `fat_arch` records, slices aligned to 2^14), rejected even though it holds
    /// a loadable arm64 plugin.
    #[test]
    fn fat_file_is_rejected_even_with_a_native_slice() {
        let arm = read(&arch_plugin(Some("aarch64-apple-darwin")));
        let x86 = read(&zig_c_dylib("x86_64-macos"));
        let align_log2 = 14u32;
        let align = 1usize << align_log2;
        let mut fat = Vec::new();
        fat.extend_from_slice(&macho::FAT_MAGIC.to_be_bytes());
        fat.extend_from_slice(&2u32.to_be_bytes());
        let first = align;
        let second = (first + x86.len()).div_ceil(align) * align;
        for (cputype, subtype, offset, len) in [
            (
                macho::CPU_TYPE_X86_64,
                macho::CPU_SUBTYPE_X86_64_ALL,
                first,
                x86.len(),
            ),
            (
                macho::CPU_TYPE_ARM64,
                macho::CPU_SUBTYPE_ARM64_ALL,
                second,
                arm.len(),
            ),
        ] {
            for word in [cputype, subtype, offset as u32, len as u32, align_log2] {
                fat.extend_from_slice(&word.to_be_bytes());
            }
        }
        fat.resize(first, 0);
        fat.extend_from_slice(&x86);
        fat.resize(second, 0);
        fat.extend_from_slice(&arm);

        let found = inspect_bytes(&fat).expect("inspect fat");
        assert_eq!(found.format, BinaryFormat::MachOFat);
        assert_eq!(found.slices.len(), 2);
        assert_eq!(found.slices[0].arch, Arch::X86_64);
        assert_eq!(found.slices[1].arch, Arch::Aarch64);
        assert_eq!(found.slices[1].abi_tag, Some(AbiVersionTag::CURRENT));
        assert_eq!(found.slices[1].offset, second as u64);
        assert!(found.thin().is_none());
        let err = found
            .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
            .expect_err("fat");
        assert!(matches!(err, InspectError::Fat { .. }), "{err}");
        assert!(err.to_string().contains("slices x86_64, arm64"), "{err}");
        assert!(found
            .summary()
            .starts_with("universal (fat) Mach-O with 2 slices"));
    }

    #[test]
    fn dylib_without_plugin_symbol_is_not_a_plugin() {
        let found = inspect_path(&zig_c_dylib("aarch64-macos")).expect("inspect");
        let err = found
            .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
            .expect_err("no symbol");
        assert!(matches!(err, InspectError::NoAbiSymbol { .. }), "{err}");
        assert!(err.to_string().contains("not a gohost plugin"), "{err}");
        assert!(err.to_string().contains("cdylib"), "{err}");

        // And natively, with the system C compiler's linker.
        let dir = fixture_dir().join("c-dylibs");
        std::fs::create_dir_all(&dir).expect("dir");
        let src = dir.join("native.c");
        std::fs::write(&src, "int hello(void) { return 42; }\n").expect("write");
        let out = dir.join("libnative-hello.so");
        run(
            Command::new("cc")
                .arg("-shared")
                .arg("-fPIC")
                .arg("-o")
                .arg(&out)
                .arg(&src),
            "cc (Debian build-essential)",
        );
        let err = inspect_path(&out)
            .expect("inspect")
            .check_loadable_here()
            .expect_err("no symbol");
        assert!(matches!(err, InspectError::NoAbiSymbol { .. }), "{err}");
    }

    #[test]
    fn executable_is_not_a_library() {
        let exe = std::env::current_exe().expect("current exe");
        let found = inspect_path(&exe).expect("inspect test binary");
        assert_eq!(
            found.thin().map(|s| s.kind.clone()),
            Some(FileKind::Executable)
        );
        let err = found.check_loadable_here().expect_err("executable");
        assert!(matches!(err, InspectError::NotALibrary { .. }), "{err}");
    }

    #[test]
    fn an_rlib_or_static_archive_says_cdylib() {
        let err = inspect_bytes(
            b"!<arch>\n/               0           0     0     0       8         `\n",
        )
        .expect_err("an ar archive is not a plugin");
        assert!(matches!(err, InspectError::StaticArchive), "{err}");
        assert!(
            err.to_string().contains("crate-type = [\"cdylib\"]"),
            "{err}"
        );
    }
}

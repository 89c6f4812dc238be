//! Mach-O, thin and fat (universal): per slice the CPU (arm64, arm64e, x86_64), file type,
//! the load commands that decide whether macOS loads it (`LC_ID_DYLIB`, the `LC_LOAD_*DYLIB`
//! family, `LC_CODE_SIGNATURE`, `LC_BUILD_VERSION`/`LC_VERSION_MIN_*`) and the exported gohost
//! symbols. It does not verify the code signature, only sees that one is present.
//!
//! The numbers (`CPU_TYPE_ARM64` 0x0100000c, `MH_DYLIB` 6, `LC_ID_DYLIB` 0xd,
//! `LC_CODE_SIGNATURE` 0x1d, `LC_BUILD_VERSION` 0x32, platform 1 = macOS) are Apple's
//! `<mach-o/loader.h>` as object's `macho` module transcribes it; the team's FACTS.md
//! ("Mach-O and ELF") lists the same values.

use gohost_plugin_api::ABI_VERSION_SYMBOL;
use object::macho;
use object::read::macho::{FatArch, MachHeader};
use object::{Object, ObjectSymbol};

use crate::sniff::classify_parse_error;
use crate::symbols::SymbolScan;
use crate::{Arch, BinaryFormat, FileKind, InspectError, Slice, TargetOs, ROOT_MODULE_SYMBOL};

pub(crate) fn fat_slices(bytes: &[u8]) -> Result<Vec<Slice>, InspectError> {
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

pub(crate) fn macho_slice(data: &[u8], offset: u64) -> object::Result<Slice> {
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

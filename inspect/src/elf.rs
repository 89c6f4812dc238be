//! ELF (32/64-bit, either byte order): machine, OS/ABI, whether a `ET_DYN` file is a shared
//! library or a PIE executable, `DT_SONAME`/`DT_NEEDED`, and the gohost symbols among the
//! dynamic symbols (the only ones `dlopen`/`dlsym` see). No relocation or version checks.

use gohost_plugin_api::ABI_VERSION_SYMBOL;
use object::elf;
use object::read::elf::{Dyn as _, FileHeader as ElfHeader, ProgramHeader as _};
use object::{Object, ObjectSymbol};

use crate::symbols::SymbolScan;
use crate::{Arch, FileKind, Slice, TargetOs, ROOT_MODULE_SYMBOL};

pub(crate) fn elf_slice(data: &[u8]) -> object::Result<Slice> {
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
    // Linux binaries normally say ELFOSABI_NONE (System V) rather than ELFOSABI_GNU
    // (`ELFOSABI_NONE OSABI = 0 /* UNIX System V ABI */` in Go 1.27.3's src/debug/elf/elf.go).
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
                // A PIE executable is also ET_DYN; DF_1_PIE (0x08000000, Go 1.27.3's
                // src/debug/elf/elf.go) marks it when the linker sets it.
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

//! PE (Windows): machine, DLL or EXE, bitness. Only enough to say "a Windows file, not a
//! plugin for this host"; no imports, exports or signatures are read.

use object::Object;

use crate::{Arch, FileKind, Slice, TargetOs};

pub(crate) fn pe_slice(data: &[u8]) -> object::Result<Slice> {
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

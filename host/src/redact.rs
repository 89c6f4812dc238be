//! Redaction of secrets (and, on request, of private host names) before anything leaves
//! gohost: snapshots (`--record`), the report in every format, and the log on stderr.
//!
//! The rules, applied to every string (JSON keys of probes included, so a replay of a redacted
//! snapshot is self-consistent). SECURITY.md ("What is redacted") is the user-facing statement of them;
//! keep the two in step.
//!
//! * **URL credentials**: in `scheme://userinfo@host…`, a `userinfo` holding a `:`
//!   (`user:password`) or a token-like user name ([`token_like`]) becomes `REDACTED`.
//! * **Authorization values**: the credential after `Authorization:` / `Authorization=`
//!   (the scheme word `Bearer`/`Basic`/`token` is kept), and a token after a bare `Bearer ` or
//!   `Basic `, become `REDACTED`.
//! * **GOAUTH**: every argument of every `;`-separated entry becomes `REDACTED`; the keywords
//!   `off`, `netrc`, `git`, `command` stay (they carry no secret and checks judge them). Go
//!   documents the syntax in `go help goauth` (Go src cmd/go/internal/help/helpdoc.go).
//! * **Secret variables**: the value of a variable whose name ([`secret_name`]) contains
//!   `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD`, `PASSPHRASE`, `CREDENTIAL`, `AUTHORIZATION` or a
//!   private kind of key (`API_KEY`, `APIKEY`, `ACCESS_KEY`, `ACCESSKEY`, `PRIVATE_KEY`,
//!   `PRIVATEKEY`, `SIGNING_KEY`, `ENCRYPTION_KEY`, `MASTER_KEY`, `CLIENT_KEY`, `LICENSE_KEY`,
//!   `AUTH_KEY`), and is made of letters, digits and `_` only, becomes `REDACTED` — as `NAME=value`,
//!   `NAME='value'`, `NAME="value"`, JSON `"NAME": "value"`, and JSON objects
//!   `{"name"|"key": NAME, "value": …}` (env probes, command environments, evidence).
//! * **Home and user** (snapshots only): the home directory and the user name become `$HOME`
//!   and `$USER`.
//! * **Private hosts** (`--redact-hosts` only): each pattern of GOPRIVATE, GONOSUMDB,
//!   GONOPROXY and GOINSECURE ([`Redactor::with_private_patterns`]) becomes
//!   `private-host-N.invalid`, numbered in the order first seen, the same in one document.
//!
//! Every replacement is counted by kind; the counts (never the values) go into the
//! snapshot's `redacted_counts` field.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

/// What a secret is replaced with.
pub const REDACTED: &str = "REDACTED";

/// Kinds, as listed in a snapshot's `redacted` and `redacted_counts` fields.
pub const KIND_URL_CREDENTIALS: &str = "url-credentials";
pub const KIND_AUTHORIZATION: &str = "authorization";
pub const KIND_GOAUTH: &str = "goauth";
pub const KIND_SECRET_VARIABLE: &str = "secret-variable";
pub const KIND_PRIVATE_HOST: &str = "private-host";
pub const KIND_HOME: &str = "home";
pub const KIND_USER: &str = "user";

/// The Go variables whose comma-separated glob patterns name private module paths (Go src
/// cmd/go/alldocs.go; ../shared/FACTS.md "Modules and the checksum database").
pub const PRIVATE_PATTERN_VARS: [&str; 4] = ["GOPRIVATE", "GONOSUMDB", "GONOPROXY", "GOINSECURE"];

/// What to replace, and how often each kind was replaced.
#[derive(Debug, Default)]
pub struct Redactor {
    home: Option<String>,
    user: Option<String>,
    /// (literal, placeholder), longest literal first so `git.corp.example` wins over
    /// `corp.example`.
    hosts: Vec<(String, String)>,
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl Clone for Redactor {
    fn clone(&self) -> Redactor {
        Redactor {
            home: self.home.clone(),
            user: self.user.clone(),
            hosts: self.hosts.clone(),
            counts: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Redactor {
    /// Secrets plus the given home directory and user name.
    pub fn new(home: Option<String>, user: Option<String>) -> Redactor {
        // "/" as a home would redact every path; "root" and one-letter names are not private
        // and would mangle ordinary words.
        let home = home
            .map(|h| h.trim_end_matches('/').to_owned())
            .filter(|h| h.len() > 1);
        let user = user.filter(|u| u.len() > 1 && u != "root");
        Redactor {
            home,
            user,
            ..Redactor::default()
        }
    }

    /// Secrets only: what the report and the log get (home paths there are the user's own
    /// business and help them act on a finding).
    pub fn secrets_only() -> Redactor {
        Redactor::default()
    }

    /// Secrets plus this process's home directory and user name: what a snapshot gets.
    pub fn from_env() -> Redactor {
        let home = std::env::var("HOME")
            .ok()
            .or_else(|| dirs::home_dir().map(|d| d.display().to_string()));
        let user = std::env::var("USER")
            .ok()
            .or_else(|| std::env::var("LOGNAME").ok());
        Redactor::new(home, user)
    }

    /// Also replace private module path patterns (the values of [`PRIVATE_PATTERN_VARS`],
    /// comma-separated `path.Match` globs) by `private-host-N.invalid` placeholders. A
    /// placeholder under the reserved `.invalid` TLD (RFC 2606) keeps URLs and glob patterns
    /// parseable, so checks judge a replay of the redacted snapshot the same way.
    pub fn with_private_patterns<'a>(mut self, values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut literals: Vec<String> = Vec::new();
        for value in values {
            for pattern in value.split(',') {
                if let Some(literal) = pattern_literal(pattern) {
                    if !literals.contains(&literal) {
                        literals.push(literal);
                    }
                }
            }
        }
        let mut hosts: Vec<(String, String)> = literals
            .into_iter()
            .enumerate()
            .map(|(i, l)| (l, format!("private-host-{}.invalid", i + 1)))
            .collect();
        hosts.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        self.hosts = hosts;
        self
    }

    /// The placeholder of each kind replaced so far, for the snapshot's `redacted` field
    /// (home and user are listed whenever they are configured, as before).
    pub fn applied(&self) -> Vec<(String, String)> {
        let counts = self.counts();
        let mut out = Vec::new();
        if self.home.is_some() {
            out.push((KIND_HOME.to_owned(), "$HOME".to_owned()));
        }
        if self.user.is_some() {
            out.push((KIND_USER.to_owned(), "$USER".to_owned()));
        }
        for kind in [
            KIND_URL_CREDENTIALS,
            KIND_AUTHORIZATION,
            KIND_GOAUTH,
            KIND_SECRET_VARIABLE,
        ] {
            if counts.get(kind).copied().unwrap_or(0) > 0 {
                out.push((kind.to_owned(), REDACTED.to_owned()));
            }
        }
        if counts.get(KIND_PRIVATE_HOST).copied().unwrap_or(0) > 0 {
            out.push((
                KIND_PRIVATE_HOST.to_owned(),
                "private-host-N.invalid".to_owned(),
            ));
        }
        out
    }

    /// How many replacements of each kind were made so far.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .map(|c| c.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())
            .unwrap_or_default()
    }

    fn count(&self, kind: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(kind).or_default() += n;
        }
    }

    /// Redact one string.
    pub fn text(&self, text: &str) -> String {
        let (out, n) = url_credentials(text);
        self.count(KIND_URL_CREDENTIALS, n);
        let (out, n) = authorization(&out);
        self.count(KIND_AUTHORIZATION, n);
        let (out, goauth, secret) = assignments(&out);
        self.count(KIND_GOAUTH, goauth);
        self.count(KIND_SECRET_VARIABLE, secret);
        let mut out = out;
        if let Some(home) = &self.home {
            let (o, n) = replace_bounded(&out, home, "$HOME", |c| c == '/');
            self.count(KIND_HOME, n);
            out = o;
        }
        if let Some(user) = &self.user {
            let (o, n) = replace_bounded(&out, user, "$USER", |c| {
                !c.is_alphanumeric() && c != '_' && c != '-'
            });
            self.count(KIND_USER, n);
            out = o;
        }
        for (literal, placeholder) in &self.hosts {
            let (o, n) = replace_host(&out, literal, placeholder);
            self.count(KIND_PRIVATE_HOST, n);
            out = o;
        }
        out
    }

    /// Redact every string of a JSON document, and the `value` of every object whose `name`
    /// or `key` is a secret variable's name.
    pub fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            // Non-UTF-8 bytes (`{"base64": …}`, see the snapshot format): a replacement inside
            // the encoding would corrupt it, and a secret is not visible in it anyway.
            Value::Object(map) if map.len() == 1 && map.contains_key("base64") => {}
            Value::Object(map) => {
                let name = ["name", "key"]
                    .iter()
                    .find_map(|k| map.get(*k).and_then(Value::as_str))
                    .map(str::to_owned);
                if let (Some(name), Some(Value::String(v))) = (name, map.get_mut("value")) {
                    if let Some((redacted, kind)) = redact_variable(&name, v) {
                        if redacted != *v {
                            self.count(kind, 1);
                            *v = redacted;
                        }
                    }
                }
                map.values_mut().for_each(|v| self.value(v));
            }
            _ => {}
        }
    }
}

/// The literal part of one private-path glob worth replacing: the elements before the first
/// one with a glob character (`github.com/corp/*` → `github.com/corp`), or when the first
/// element is itself a glob, what follows its last glob character (`*.corp.example` →
/// `corp.example`). Too short or dot-less leftovers (`*`, `com`) are not replaced: they would
/// mangle ordinary text without hiding anything.
fn pattern_literal(pattern: &str) -> Option<String> {
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
fn replace_host(text: &str, literal: &str, with: &str) -> (String, u64) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut n = 0;
    while let Some(pos) = rest.find(literal) {
        let before_ok = rest[..pos]
            .chars()
            .next_back()
            .map_or(true, |c| !host_char(c));
        let after = &rest[pos + literal.len()..];
        let mut next = after.chars();
        let after_ok = match next.next() {
            None => true,
            Some('.') => !next.next().is_some_and(host_char),
            Some(c) => !host_char(c),
        };
        out.push_str(&rest[..pos]);
        if before_ok && after_ok {
            out.push_str(with);
            n += 1;
        } else {
            out.push_str(literal);
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
fn redact_variable(name: &str, value: &str) -> Option<(String, &'static str)> {
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
fn url_credentials(text: &str) -> (String, u64) {
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
fn authorization(text: &str) -> (String, u64) {
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
fn assignments(text: &str) -> (String, u64, u64) {
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
fn replace_bounded(
    text: &str,
    needle: &str,
    with: &str,
    boundary_after: impl Fn(char) -> bool,
) -> (String, u64) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut n = 0;
    while let Some(pos) = rest.find(needle) {
        let before_ok = rest[..pos]
            .chars()
            .next_back()
            .map_or(true, |c| !c.is_alphanumeric() && c != '_' && c != '-')
            || needle.starts_with('/');
        let after = &rest[pos + needle.len()..];
        let after_ok = after.chars().next().map_or(true, &boundary_after);
        out.push_str(&rest[..pos]);
        if before_ok && after_ok {
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

/// The private-path pattern values a run saw: the shared facts' `go env -json`, then this
/// process's environment. Snapshot-wide sources (env probes, `go env -json` outputs) are
/// added by [`private_patterns_in_snapshot`].
pub fn private_patterns_from(env_json: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(env_json) {
        for var in PRIVATE_PATTERN_VARS {
            if let Some(v) = map.get(var).and_then(Value::as_str) {
                out.push(v.to_owned());
            }
        }
    }
    for var in PRIVATE_PATTERN_VARS {
        if let Ok(v) = std::env::var(var) {
            out.push(v);
        }
    }
    out
}

/// Every private-path pattern value in a serialized snapshot: env probes of those variables,
/// and any recorded string that is a `go env -json` object.
pub fn private_patterns_in_snapshot(snapshot: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let (Some(Value::String(name)), Some(Value::String(value))) =
                    (map.get("name"), map.get("value"))
                {
                    if PRIVATE_PATTERN_VARS.contains(&name.as_str()) {
                        out.push(value.clone());
                    }
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::String(s) if s.trim_start().starts_with('{') && s.contains("\"GO") => {
                if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(s) {
                    for var in PRIVATE_PATTERN_VARS {
                        if let Some(v) = map.get(var).and_then(Value::as_str) {
                            out.push(v.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    walk(snapshot, &mut out);
    out
}

/// A `MakeWriter` for the log: every formatted event is redacted (secrets, and private hosts
/// when [`set_log_redactor`] was given them) before it reaches stderr.
#[derive(Clone, Copy, Default)]
pub struct RedactingStderr;

static LOG_REDACTOR: std::sync::OnceLock<Redactor> = std::sync::OnceLock::new();

/// Use `redactor` for the log from now on (once per process; later calls are ignored).
pub fn set_log_redactor(redactor: Redactor) {
    let _ = LOG_REDACTOR.set(redactor);
}

/// Redact `text` for the log.
pub fn for_log(text: &str) -> String {
    match LOG_REDACTOR.get() {
        Some(r) => r.text(text),
        None => Redactor::secrets_only().text(text),
    }
}

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // tracing-subscriber formats a whole event into one buffer and writes it at once, so
        // a secret is never split across two calls.
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(for_log(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingStderr;
    fn make_writer(&'a self) -> RedactingStderr {
        RedactingStderr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_home_paths_and_user_words_only() {
        let r = Redactor::new(Some("/home/ann".into()), Some("ann".into()));
        assert_eq!(
            r.text("/home/ann/go/bin:/home/anna/x"),
            "$HOME/go/bin:/home/anna/x"
        );
        assert_eq!(r.text("user ann; annual"), "user $USER; annual");
    }

    #[test]
    fn root_user_and_slash_home_are_left_alone() {
        let r = Redactor::new(Some("/".into()), Some("root".into()));
        assert_eq!(r.text("/usr/lib/go GOROOT root"), "/usr/lib/go GOROOT root");
    }

    #[test]
    fn url_credentials_go_and_plain_user_names_stay() {
        let r = Redactor::secrets_only();
        assert_eq!(
            r.text("GOPROXY=https://user:s3cret@proxy.example/,direct"),
            "GOPROXY=https://REDACTED@proxy.example/,direct"
        );
        assert_eq!(
            r.text("https://ghp_abcdefABCDEF0123456789@github.com/x"),
            "https://REDACTED@github.com/x"
        );
        assert_eq!(
            r.text("ssh://git@github.com/x and mailto:a@b"),
            "ssh://git@github.com/x and mailto:a@b"
        );
        assert_eq!(r.counts().get(KIND_URL_CREDENTIALS), Some(&2));
    }

    #[test]
    fn authorization_values_go_and_prose_stays() {
        let r = Redactor::secrets_only();
        assert_eq!(
            r.text("Authorization: Bearer abc.def\nnext"),
            "Authorization: Bearer REDACTED\nnext"
        );
        assert_eq!(
            r.text("curl -H 'Authorization: Basic dXNlcjpwYXNz'"),
            "curl -H 'Authorization: Basic REDACTED'"
        );
        assert_eq!(r.text("Bearer ab12cd34ef"), "Bearer REDACTED");
        assert_eq!(r.text("Basic checks pass"), "Basic checks pass");
    }

    #[test]
    fn goauth_keeps_keywords_and_secret_variables_lose_values() {
        assert_eq!(
            redact_goauth("netrc; git /home/a/src;command /bin/helper --token x"),
            "netrc;git REDACTED;command REDACTED"
        );
        let r = Redactor::secrets_only();
        assert_eq!(
            r.text("{\n\t\"GOAUTH\": \"command /bin/h -t abc\",\n\t\"GOARCH\": \"amd64\"\n}"),
            "{\n\t\"GOAUTH\": \"command REDACTED\",\n\t\"GOARCH\": \"amd64\"\n}"
        );
        assert_eq!(
            r.text("env GITHUB_TOKEN=abc123 GOAUTH='git /src' AWS_SECRET_ACCESS_KEY=\"x y\" GOOS=linux"),
            "env GITHUB_TOKEN=REDACTED GOAUTH='git REDACTED' AWS_SECRET_ACCESS_KEY=\"REDACTED\" GOOS=linux"
        );
        assert_eq!(
            r.text("GOPROXY=direct\nGOAUTH=command /opt/helper --token abc\nGOOS=linux\n"),
            "GOPROXY=direct\nGOAUTH=command REDACTED\nGOOS=linux\n",
            "an env-file line's value runs to its end"
        );
        assert_eq!(
            r.text("`go env -w GOAUTH=command /opt/h --token t` is persisted"),
            "`go env -w GOAUTH=command REDACTED` is persisted"
        );
        assert_eq!(r.text("GOAUTH=off"), "GOAUTH=off", "a keyword is no secret");
        let mut v = serde_json::json!({"probe": "env", "name": "NPM_TOKEN", "value": "t0k"});
        r.value(&mut v);
        assert_eq!(v["value"], "REDACTED");
        assert!(!secret_name("SSH_AUTH_SOCK") && !secret_name("GOSUMDB"));
        assert!(!secret_name("verifier key") && !secret_name("key") && !secret_name("cache_key"));
        assert!(secret_name("AWS_SECRET_ACCESS_KEY") && secret_name("apikey"));
        assert!(secret_name("OPENAI_API_KEY") && secret_name("github_token"));
    }

    #[test]
    fn base64_bytes_are_left_intact() {
        let r = Redactor::new(Some("/home/ann".into()), Some("ann".into()));
        let mut v = serde_json::json!({"stdout": {"base64": "aGVsbG8gYW5u+XTOKEN=="}});
        let before = v.clone();
        r.value(&mut v);
        assert_eq!(v, before);
    }

    #[test]
    fn private_patterns_become_stable_placeholders() {
        let r = Redactor::secrets_only().with_private_patterns([
            "*.corp.example,github.com/acme/*",
            "corp.example",
            "*",
        ]);
        assert_eq!(
            r.text("git.corp.example/x/y github.com/acme/tool github.com/golang/go corp.example.com"),
            "git.private-host-1.invalid/x/y private-host-2.invalid/tool github.com/golang/go corp.example.com"
        );
        assert_eq!(r.text("corp.example."), "private-host-1.invalid.");
        assert_eq!(r.counts().get(KIND_PRIVATE_HOST), Some(&3));
    }
}

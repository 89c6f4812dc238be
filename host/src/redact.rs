//! Redaction of secrets (and, on request, of private host names) before anything leaves
//! gohost: snapshots (`--record`), the report in every format, and the log on stderr.
//!
//! The rules, applied to every string (JSON keys of probes included, so a replay of a redacted
//! snapshot is self-consistent). SECURITY.md ("What is redacted") is the user-facing statement of them;
//! keep the two in step.
//!
//! * **URL credentials**: in `scheme://userinfo@host…`, a `userinfo` holding a `:`
//!   (`user:password`) or a token-like user name (`scan::token_like`) becomes `REDACTED`.
//! * **Authorization values**: the credential after `Authorization:` / `Authorization=`
//!   (the scheme word `Bearer`/`Basic`/`token` is kept), and a token after a bare `Bearer ` or
//!   `Basic `, become `REDACTED`.
//! * **GOAUTH**: every argument of every `;`-separated entry becomes `REDACTED`; the keywords
//!   `off`, `netrc`, `git`, `command` stay (they carry no secret and checks judge them). Go
//!   documents the syntax in `go help goauth` (Go src cmd/go/internal/help/helpdoc.go).
//! * **Secret variables**: the value of a variable whose name (`scan::secret_name`) contains
//!   `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD`, `PASSPHRASE`, `CREDENTIAL`, `AUTHORIZATION` or a
//!   private kind of key (`API_KEY`, `APIKEY`, `ACCESS_KEY`, `ACCESSKEY`, `PRIVATE_KEY`,
//!   `PRIVATEKEY`, `SIGNING_KEY`, `ENCRYPTION_KEY`, `MASTER_KEY`, `CLIENT_KEY`, `LICENSE_KEY`,
//!   `AUTH_KEY`), and is made of letters, digits and `_` only, becomes `REDACTED` — as `NAME=value`,
//!   `NAME='value'`, `NAME="value"`, JSON `"NAME": "value"`, and JSON objects
//!   `{"name"|"key": NAME, "value": …}` (env probes, command environments, evidence, plugin
//!   settings — whose placeholder is the TOML string `"REDACTED"`, so a replay still parses).
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

mod scan;

use scan::{
    assignments, authorization, pattern_literal, redact_variable, replace_bounded, replace_host,
    url_credentials,
};
#[cfg(test)]
use scan::{redact_goauth, secret_name};

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
                // A plugin setting's value is TOML text the replaying plugin parses: its
                // placeholder stays TOML (a string), so a replay reads "REDACTED", not an error.
                let toml_text = map.get("probe").and_then(Value::as_str) == Some("plugin_setting");
                if let (Some(name), Some(Value::String(v))) = (name, map.get_mut("value")) {
                    if let Some((redacted, kind)) = redact_variable(&name, v) {
                        let redacted = if toml_text {
                            format!("\"{redacted}\"")
                        } else {
                            redacted
                        };
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
    fn a_secret_named_plugin_setting_is_redacted_to_a_toml_string_once() {
        let r = Redactor::secrets_only();
        let mut record = serde_json::json!([
            {"probe": "plugin_setting", "plugin": "demo", "key": "api_token", "value": "\"s3cr3t-value\""},
            {"probe": "plugin_setting", "plugin": "demo", "key": "greeting", "value": "\"hello\""},
            {"probe": "plugin_setting", "plugin": "demo", "key": "password", "value": null},
        ]);
        r.value(&mut record);
        assert_eq!(record[0]["value"], "\"REDACTED\"");
        assert_eq!(record[1]["value"], "\"hello\"", "not secret-named: kept");
        assert_eq!(
            record[2]["value"],
            serde_json::Value::Null,
            "unset stays unset"
        );
        let again = record.clone();
        r.value(&mut record);
        assert_eq!(record, again, "redacting twice changes nothing");
        assert_eq!(r.counts().get(KIND_SECRET_VARIABLE), Some(&1));
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

//! Redaction of a snapshot before it is written: the home directory and the user name are
//! replaced by `$HOME` and `$USER` everywhere in the document (keys of probes included, so a
//! replay of the redacted snapshot is self-consistent).

use serde_json::Value;

/// What to replace.
#[derive(Debug, Clone)]
pub struct Redactor {
    home: Option<String>,
    user: Option<String>,
}

impl Redactor {
    pub fn new(home: Option<String>, user: Option<String>) -> Redactor {
        // "/" as a home would redact every path; "root" and one-letter names are not private
        // and would mangle ordinary words.
        let home = home
            .map(|h| h.trim_end_matches('/').to_owned())
            .filter(|h| h.len() > 1);
        let user = user.filter(|u| u.len() > 1 && u != "root");
        Redactor { home, user }
    }

    /// From this process's environment.
    pub fn from_env() -> Redactor {
        let home = std::env::var("HOME")
            .ok()
            .or_else(|| dirs::home_dir().map(|d| d.display().to_string()));
        let user = std::env::var("USER")
            .ok()
            .or_else(|| std::env::var("LOGNAME").ok());
        Redactor::new(home, user)
    }

    /// The placeholders used, for the snapshot's `redacted` field.
    pub fn applied(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.home.is_some() {
            out.push(("home".to_owned(), "$HOME".to_owned()));
        }
        if self.user.is_some() {
            out.push(("user".to_owned(), "$USER".to_owned()));
        }
        out
    }

    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        if let Some(home) = &self.home {
            out = replace_bounded(&out, home, "$HOME", |c| c == '/');
        }
        if let Some(user) = &self.user {
            out = replace_bounded(&out, user, "$USER", |c| {
                !c.is_alphanumeric() && c != '_' && c != '-'
            });
        }
        out
    }

    pub fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.value(v)),
            _ => {}
        }
    }
}

/// Replace `needle` where the character after it (if any) satisfies `boundary_after` and the
/// character before it is not part of a name.
fn replace_bounded(
    text: &str,
    needle: &str,
    with: &str,
    boundary_after: impl Fn(char) -> bool,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
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
        } else {
            out.push_str(needle);
        }
        rest = after;
    }
    out.push_str(rest);
    out
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
}

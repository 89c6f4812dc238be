//! `--replay` maps a recorded snapshot's `$HOME` back to a real path. `--record` replaces the
//! home directory in every string by `$HOME` (where a `/` or the end follows it; `redact.rs`),
//! so without this a replay handed plugins literal `$HOME/go/bin/go`: not an absolute path, and
//! not what any go command prints (issue 15, item 6).
//!
//! The choice: the *replaying* user's home directory (resolved as the redactor resolves the
//! recording user's: `HOME`, else the system's idea of it; never `/`). A replay of your own
//! snapshot then reproduces your report, paths included; someone else's snapshot shows their
//! home-relative paths under yours. Only snapshots whose `redacted` field lists `home` are
//! mapped; with no usable home, `$HOME` stays literal. The mapping is applied to the whole
//! snapshot text before it is parsed (facts, probe keys and answers alike), so it stays
//! self-consistent; the parent maps it once in `invoke::read_snapshot` and hands it down.
//! Not reversible in one case: text that already said `$HOME/` (a shell profile read as a
//! file) is mapped too; both meant the same directory.

use serde_json::Value;

const PLACEHOLDER: &str = "$HOME";

/// The replaying user's home, as `redact::Redactor::from_env` would redact it.
fn replaying_home() -> Option<String> {
    std::env::var("HOME")
        .ok()
        .or_else(|| dirs::home_dir().map(|d| d.display().to_string()))
        .map(|h| h.trim_end_matches('/').to_owned())
        .filter(|h| h.len() > 1)
}

/// `text` (a snapshot) with `$HOME` mapped to the replaying user's home.
pub(crate) fn map_back(text: String) -> String {
    match replaying_home() {
        Some(home) => map_back_to(text, &home),
        None => text,
    }
}

/// [`map_back`] with an explicit home. Anything that does not parse, or was not
/// home-redacted, is returned unchanged (the snapshot parser reports the errors).
pub(crate) fn map_back_to(text: String, home: &str) -> String {
    if !text.contains(PLACEHOLDER) {
        return text;
    }
    let Ok(mut value) = serde_json::from_str::<Value>(&text) else {
        return text;
    };
    if value["redacted"]["home"] != PLACEHOLDER {
        return text;
    }
    let Value::Object(top) = &mut value else {
        return text;
    };
    for (key, v) in top.iter_mut() {
        // `redacted` says what was done; it stays as recorded.
        if key != "redacted" {
            map_value(v, home);
        }
    }
    serde_json::to_string(&value).unwrap_or(text)
}

fn map_value(v: &mut Value, home: &str) {
    match v {
        Value::String(s) => {
            if let Some(m) = map_str(s, home) {
                *s = m;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| map_value(i, home)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut val) in entries {
                map_value(&mut val, home);
                map.insert(map_str(&k, home).unwrap_or(k), val);
            }
        }
        _ => {}
    }
}

/// `$HOME` where the redactor would have put it: not inside a word before it, and `/` or the
/// end after it (so `$HOMEBREW_PREFIX` is left alone). None when nothing changes.
fn map_str(s: &str, home: &str) -> Option<String> {
    if !s.contains(PLACEHOLDER) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + home.len());
    let mut rest = s;
    let mut changed = false;
    while let Some(pos) = rest.find(PLACEHOLDER) {
        let before_ok = rest[..pos]
            .chars()
            .next_back()
            .map_or(true, |c| !c.is_alphanumeric() && c != '_' && c != '-');
        let after = &rest[pos + PLACEHOLDER.len()..];
        let after_ok = after.chars().next().map_or(true, |c| c == '/');
        out.push_str(&rest[..pos]);
        if before_ok && after_ok {
            out.push_str(home);
            changed = true;
        } else {
            out.push_str(PLACEHOLDER);
        }
        rest = after;
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_and_keys_are_mapped_where_the_redactor_put_home() {
        let snap = json!({
            "format": "gohost-snapshot",
            "redacted": {"home": "$HOME"},
            "facts": {"go": {"path": "$HOME/go/bin/go", "env_json": "{\"GOPATH\":\"$HOME/go\"}"}},
            "probes": [
                {"probe": "env", "name": "HOME", "value": "$HOME"},
                {"probe": "env", "name": "X", "value": "$HOMEBREW_PREFIX/bin x$HOME/y $HOME:z"},
                {"probe": "read_dir", "path": "$HOME/.config", "result": {"$HOME/k": 1}},
            ],
        });
        let out = map_back_to(snap.to_string(), "/home/bob");
        let v: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["redacted"]["home"], "$HOME");
        assert_eq!(v["facts"]["go"]["path"], "/home/bob/go/bin/go");
        assert_eq!(
            v["facts"]["go"]["env_json"],
            "{\"GOPATH\":\"/home/bob/go\"}"
        );
        assert_eq!(v["probes"][0]["value"], "/home/bob");
        assert_eq!(
            v["probes"][1]["value"],
            "$HOMEBREW_PREFIX/bin x$HOME/y $HOME:z"
        );
        assert_eq!(v["probes"][2]["path"], "/home/bob/.config");
        assert_eq!(v["probes"][2]["result"]["/home/bob/k"], 1);
    }

    #[test]
    fn unredacted_or_unparseable_snapshots_are_untouched() {
        let plain = json!({"redacted": {}, "facts": {"p": "$HOME/x"}}).to_string();
        assert_eq!(map_back_to(plain.clone(), "/home/bob"), plain);
        let broken = "{\"redacted\": {\"home\": \"$HOME\"}, ".to_owned();
        assert_eq!(map_back_to(broken.clone(), "/home/bob"), broken);
    }
}

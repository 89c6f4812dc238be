//! Shell quoting for the commands plugins print in remediations: every value that came from
//! the machine or the user (a path, a GOPROXY list, a module path) goes through [`quote`], so
//! `|`, `;`, spaces, `$` or a `'` stay part of the value when the user pastes the command into
//! sh, bash or zsh (macOS's login shell). It quotes; it runs nothing and parses no command.

/// `s` as one POSIX shell word: unchanged when it holds only characters no shell treats
/// specially, else single-quoted (a `'` inside becomes `'\''`: close the quote, an escaped
/// quote, reopen). Inside single quotes every other character, a newline included, is literal
/// (POSIX XCU 2.2.2, "Single-Quotes"), so any `&str` round-trips; the empty string is `''`,
/// an empty word rather than no word.
///
/// A word starting with `=` is quoted although `=` is otherwise plain: zsh's `EQUALS` option
/// (on by default) replaces a word beginning with an unquoted `=` by the path of the command
/// named after it (zsh manual, "Expansion", section "`=` expansion"; `zsh -c 'echo =ls'`
/// prints `/usr/bin/ls`). `%`, which POSIX lists among the characters that "may need to be
/// quoted under certain circumstances" (XCU 2.2), is always quoted.
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with('=')
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | ',' | ':' | '@' | '+' | '=')
        });
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    /// Inputs a shell would split, expand, glob or mis-read, and the plain ones left alone.
    const AWKWARD: &[&str] = &[
        "",
        "'",
        "''",
        "it's",
        "a\nb",
        "trailing\n",
        "a b",
        "tab\there",
        "$HOME",
        "${HOME}",
        "`id`",
        "$(id)",
        "a;b",
        "a|b",
        "a&b",
        "*",
        "?",
        "[ab]",
        "~",
        "~/go",
        "#comment",
        "=ls",
        "==",
        "%1",
        "a\\b",
        "\"",
        "!x",
        "{a,b}",
        "-n",
        "ünïcødé",
        "/sys/fs/cgroup/cpu/a.slice/cpu.stat",
        "https://proxy.golang.org,direct",
        "golang.org/x/mod@v0.8.0",
        "GOFLAGS=-mod=mod",
    ];

    #[test]
    fn plain_words_stay_and_the_rest_is_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("'"), r"''\'''");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("a\nb"), "'a\nb'");
        assert_eq!(quote("=ls"), "'=ls'");
        assert_eq!(quote("%1"), "'%1'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(
            quote("https://a.example|direct"),
            "'https://a.example|direct'"
        );
        assert_eq!(quote("ünïcødé"), "'ünïcødé'");
        assert_eq!(
            quote("/sys/fs/cgroup/cpu/a.slice/cpu.stat"),
            "/sys/fs/cgroup/cpu/a.slice/cpu.stat"
        );
        assert_eq!(
            quote("https://proxy.golang.org,direct"),
            "https://proxy.golang.org,direct"
        );
        assert_eq!(quote("GOFLAGS=-mod=mod"), "GOFLAGS=-mod=mod");
    }

    /// Each awkward input, quoted, read back by the real shells as exactly one word equal to
    /// the input (`printf '%s\0'` prints each argument NUL-terminated).
    #[test]
    fn real_shells_read_every_quoted_word_back_unchanged() {
        let mut script = String::from("printf '%s\\0'");
        for word in AWKWARD {
            script.push(' ');
            script.push_str(&quote(word));
        }
        let mut expected: Vec<u8> = Vec::new();
        for word in AWKWARD {
            expected.extend_from_slice(word.as_bytes());
            expected.push(0);
        }
        for shell in ["sh", "bash", "zsh"] {
            let output = match std::process::Command::new(shell)
                .arg("-c")
                .arg(&script)
                .env("HOME", "/home/someone")
                .output()
            {
                Ok(output) => output,
                // zsh is installed by .ci/run; sh and bash are on every CI machine.
                Err(e) => panic!("cannot run {shell} (install it: .ci/run does): {e}"),
            };
            assert!(
                output.status.success(),
                "{shell}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&expected),
                "{shell} read a quoted word differently"
            );
        }
    }
}

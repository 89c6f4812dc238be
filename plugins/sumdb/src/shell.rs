//! Shell quoting for remediation commands: every value gohost puts into a printed command is
//! quoted, so `|`, `;`, spaces or `$` in a GOPROXY list or a path stay part of the value when
//! the user pastes the command into sh, bash or zsh. The quoting itself is the plugin API's
//! (`gohost_plugin_api::shell`), shared with the other plugins.

pub use gohost_plugin_api::shell::quote;

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_what_a_shell_would_split_or_expand() {
        assert_eq!(
            quote("https://proxy.golang.org,direct"),
            "https://proxy.golang.org,direct"
        );
        assert_eq!(
            quote("https://a.example|direct"),
            "'https://a.example|direct'"
        );
        assert_eq!(quote("/tmp/with space"), "'/tmp/with space'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("golang.org/x/mod@v0.8.0"), "golang.org/x/mod@v0.8.0");
    }
}

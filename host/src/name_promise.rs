//! What `gohost plugin check` cannot see without loading a plugin: whether the file's name
//! matches the name the plugin gives itself. `gohost run` refuses a mismatch (the loader's
//! "the file name promises plugin `x` but the plugin calls itself `y`"), and only the manifest,
//! which needs the library loaded, holds that name. `plugin check` never loads what it
//! inspects (its file is untrusted by definition), so it says what it did not check instead
//! of calling a renamed copy "loadable" (issue 15, item 6). Not a loader: nothing is opened
//! here beyond the path's name.

use std::path::Path;

use crate::discovery::plugin_file_name;
// One shell word, so the printed command can be pasted as is: the quoting the plugins'
// printed commands use too.
use gohost_plugin_api::shell::quote as sh_word;

/// The line `plugin check` prints under a positive ABI verdict.
pub(crate) fn note(file: &Path) -> String {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| ".".to_owned(), |d| sh_word(&d.display().to_string()));
    match plugin_file_name(file) {
        Some(name) => format!(
            "not checked without loading it: `gohost run` also needs the plugin to call itself `{name}`, as this file name promises (a renamed copy is refused); `gohost list --plugin-dir {dir}` loads it in a worker process and shows a mismatch"
        ),
        None => format!(
            "this file name is not libgohost_plugin_<name>.{{so,dylib}}, so a plugin directory search (--plugin-dir, GOHOST_PLUGIN_PATH) skips it; it must also match the name the plugin calls itself, which `gohost list --plugin-dir {dir}` shows after renaming"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_which_name_run_will_require() {
        let n = note(Path::new("/d/libgohost_plugin_archx.so"));
        assert!(n.contains("call itself `archx`"), "{n}");
        assert!(n.contains("gohost list --plugin-dir /d"), "{n}");
        let n = note(Path::new("/my dir/libgohost_plugin_a.so"));
        assert!(n.contains("--plugin-dir '/my dir'"), "{n}");
        let n = note(Path::new("/d/arch.so"));
        assert!(n.contains("skips it"), "{n}");
    }
}

//! `gohost.toml` (`config::load_file`, then `config::merge`), read from a real file as the
//! CLI reads it.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// One scratch directory per fuzzing process, removed when it exits normally.
fn config_path() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("gohost.toml");
        (dir, path)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let path = config_path();
    std::fs::write(path, data).expect("write the config file");
    match gohost::load_config_file(path) {
        Ok(config) => {
            // Relative plugin dirs are made absolute against the file's directory.
            for d in &config.plugin_dirs {
                assert!(d.is_absolute(), "relative plugin dir: {}", d.display());
            }
            let _ = gohost::merge_configs(config.clone(), config);
        }
        // Errors are for people: one line, naming the file.
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message}");
            assert!(message.contains("gohost.toml"), "{message}");
        }
    }
});

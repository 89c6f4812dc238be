//! The result cache for expensive probes (e.g. a cgo build), under the user cache dir.
//!
//! Keys are chosen by plugins (a fingerprint of every input); the cache stores one file per
//! key, named by the key's SHA-256, so any key is a safe file name.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// A directory-backed key/value cache. `enabled: false` (`--no-cache`, record, replay) makes
/// every lookup miss; writes still go through so the next cached run is fresh.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
    read_enabled: bool,
}

impl Cache {
    pub fn new(dir: Option<PathBuf>, read_enabled: bool) -> Cache {
        Cache { dir, read_enabled }
    }

    /// The default location: `<user cache dir>/gohost/results`.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("gohost").join("results"))
    }

    fn path(&self, plugin: &str, key: &str) -> Option<PathBuf> {
        let digest = Sha256::digest(format!("{plugin}\0{key}").as_bytes());
        let name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.as_ref().map(|d| d.join(name))
    }

    pub fn get(&self, plugin: &str, key: &str) -> Option<String> {
        if !self.read_enabled {
            return None;
        }
        let text = std::fs::read_to_string(self.path(plugin, key)?).ok()?;
        // The key is stored with the value so a (theoretical) hash collision is a miss.
        let (stored_key, value) = text.split_once('\n')?;
        (stored_key == key.replace('\n', " ")).then(|| value.to_owned())
    }

    pub fn put(&self, plugin: &str, key: &str, value: &str) {
        let Some(path) = self.path(plugin, key) else {
            return;
        };
        if let Some(parent) = path.parent() {
            if std::fs::create_dir_all(parent).is_err() {
                return;
            }
        }
        // Write-then-rename so concurrent runs never read half a value. A read-only or full
        // cache dir simply means no caching.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, format!("{}\n{value}", key.replace('\n', " "))).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

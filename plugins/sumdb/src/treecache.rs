//! The warm-run cache of `sumdb.goroot-authentic`: a GOROOT's toolchain-module `h1:` kept
//! under a fingerprint of the tree's file identities, so a run over an unchanged tree reads
//! no file content. Pure: the identities come from the check (`Ctx::read_dir_identities`,
//! plugin API 1.4.0: the `FileIdentity` of 1.3.0 per entry), the value goes through the host's result cache (`Ctx::cache_get`/`cache_put`).
//!
//! What it is not: a verdict cache. Only the tree's hash (h1, file and byte counts) is stored;
//! the references (`.ziphash`, the cached database record, the online lookup) are read and
//! proved again on every run, so a cached hash can never stand in for a missing or failed
//! reference, and a could-not-tell is never cached (only a completely hashed tree is).
//!
//! Why these fields: a rewrite of a file's content changes its mtime and ctime (POSIX `write`:
//! "shall mark for update the last data modification and last file status change
//! timestamps"); a file replaced by another (rename over it, `cp` after `rm`, an installer)
//! gets another inode; a file added or removed changes the list of paths. ctime cannot be set
//! from user space: `utimensat`/`futimens` set only atime and mtime and mark ctime for update
//! themselves (POSIX, https://pubs.opengroup.org/onlinepubs/9699919799/functions/futimens.html;
//! macOS's and FreeBSD's utimensat(2): "The inode-change-time of the file is set to the
//! current time"), so a content edit followed by restoring the old mtime (`touch -r`) still
//! changes the fingerprint. The device number covers a tree moved to another filesystem with
//! coincident inode numbers.

use sha2::{Digest, Sha256};

/// The identity of one file as the fingerprint uses it: the host's `lstat` answer (API 1.3.0).
pub type Ident = gohost_plugin_api::FileIdentity;

/// What is cached for a tree: its toolchain-module hash and the counts the pass names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedTree {
    pub h1: String,
    pub files: usize,
    pub bytes: u64,
}

/// Bumped when the fingerprint's input or the value's format changes, so old entries miss.
const FORMAT: &str = "goroot-authentic/v1";

/// The cache key: the module the tree is hashed as (version, GOOS, GOARCH in its name), the
/// GOROOT and the SHA-256 of every module file's (module name, GOROOT-relative path,
/// identity), in module-name order. `files` need not be sorted.
pub fn key(goroot: &str, module: &str, files: &[(String, String, Ident)]) -> String {
    let mut sorted: Vec<&(String, String, Ident)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    for (name, rel, i) in sorted {
        // Length-prefixed so no two lists hash the same input.
        for s in [name.as_str(), rel.as_str()] {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        for n in [i.size, i.inode, i.device] {
            h.update(n.to_le_bytes());
        }
        for n in [i.mtime_sec, i.ctime_sec] {
            h.update(n.to_le_bytes());
        }
        for n in [i.mtime_nsec, i.ctime_nsec] {
            h.update(n.to_le_bytes());
        }
    }
    let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{FORMAT} {goroot} {module} {} {digest}", files.len())
}

/// Whether a tree can be cached at `now_sec`: no file changed within the last two seconds.
/// A file written in the same timestamp tick as the fingerprint was taken could change again
/// without changing its mtime or ctime on filesystems with coarse timestamps (git's "racy
/// clean" problem, git's Documentation/technical/racy-git.txt), so such a tree is hashed but not
/// cached (https://git-scm.com/docs/racy-git).
pub fn settled(files: &[(String, String, Ident)], now_sec: i64) -> bool {
    files
        .iter()
        .all(|(_, _, i)| i.mtime_sec.max(i.ctime_sec) < now_sec.saturating_sub(2))
}

/// The cached value's text.
pub fn encode(t: &CachedTree) -> String {
    format!("{FORMAT}\n{}\n{}\n{}", t.h1, t.files, t.bytes)
}

/// A cached value read back; anything malformed is a miss.
pub fn decode(s: &str) -> Option<CachedTree> {
    let mut lines = s.lines();
    if lines.next()? != FORMAT {
        return None;
    }
    let h1 = lines.next()?.to_owned();
    if !h1.starts_with("h1:") {
        return None;
    }
    let files = lines.next()?.parse().ok()?;
    let bytes = lines.next()?.parse().ok()?;
    lines
        .next()
        .is_none()
        .then_some(CachedTree { h1, files, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident() -> Ident {
        Ident {
            size: 10,
            mtime_sec: 1_700_000_000,
            mtime_nsec: 5,
            ctime_sec: 1_700_000_000,
            ctime_nsec: 6,
            inode: 42,
            device: 7,
        }
    }

    type Files = Vec<(String, String, Ident)>;
    type Change = Box<dyn Fn(&mut Files)>;

    fn files() -> Files {
        vec![
            ("m@v/bin/go".into(), "bin/go".into(), ident()),
            (
                "m@v/src/go.mod".into(),
                "src/go.mod".into(),
                Ident {
                    inode: 43,
                    ..ident()
                },
            ),
        ]
    }

    /// Every kind of change a tree can see gives another key; order does not matter.
    #[test]
    fn each_change_gives_another_key() {
        let base = key("/g", "m@v", &files());
        let mut reversed = files();
        reversed.reverse();
        assert_eq!(key("/g", "m@v", &reversed), base);
        let changes: Vec<(&str, Change)> = vec![
            ("size", Box::new(|f| f[0].2.size += 1)),
            ("mtime", Box::new(|f| f[0].2.mtime_sec += 1)),
            ("mtime ns", Box::new(|f| f[0].2.mtime_nsec += 1)),
            ("ctime", Box::new(|f| f[0].2.ctime_sec += 1)),
            ("ctime ns", Box::new(|f| f[0].2.ctime_nsec += 1)),
            ("inode", Box::new(|f| f[0].2.inode += 1)),
            ("device", Box::new(|f| f[0].2.device += 1)),
            (
                "added",
                Box::new(|f| f.push(("m@v/x".into(), "x".into(), ident()))),
            ),
            (
                "removed",
                Box::new(|f| {
                    f.pop();
                }),
            ),
            ("renamed", Box::new(|f| f[1].0 = "m@v/src/_go.mod".into())),
        ];
        assert_eq!(changes.len(), 10);
        for (what, change) in &changes {
            let mut f = files();
            change(&mut f);
            assert_ne!(key("/g", "m@v", &f), base, "{what}");
        }
        assert_ne!(key("/other", "m@v", &files()), base, "GOROOT");
        assert_ne!(
            key("/g", "m@w", &files()),
            base,
            "module (version, platform)"
        );
    }

    #[test]
    fn values_round_trip_and_garbage_misses() {
        let t = CachedTree {
            h1: "h1:abc=".into(),
            files: 12065,
            bytes: 227_000_000,
        };
        assert_eq!(decode(&encode(&t)), Some(t));
        for bad in [
            "",
            "goroot-authentic/v0\nh1:abc=\n1\n2",
            "goroot-authentic/v1\nabc=\n1\n2",
            "goroot-authentic/v1\nh1:abc=\nx\n2",
            "goroot-authentic/v1\nh1:abc=\n1",
            "goroot-authentic/v1\nh1:abc=\n1\n2\nextra",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn recently_changed_trees_are_not_cached() {
        let f = files();
        assert!(settled(&f, 1_700_000_010));
        assert!(!settled(&f, 1_700_000_001));
        let mut g = files();
        g[1].2.ctime_sec = 1_700_000_009;
        assert!(!settled(&g, 1_700_000_010));
    }
}

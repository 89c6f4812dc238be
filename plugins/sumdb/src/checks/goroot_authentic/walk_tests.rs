//! The parallel walk of GOROOT against the walk it replaced (one directory after another,
//! kept here as the reference), on real trees made by the test and listed through the host's
//! own live context: the same module files, dropped files, symlinks and identities, in an
//! order that does not depend on the threads' timing, and the same error for a directory that
//! cannot be listed.
// The test makes its trees with std::fs: they are the walk's input, not the plugin's I/O.
#![allow(clippy::disallowed_methods)]

use std::os::unix::fs::symlink;
use std::path::Path;

use gohost::harness::Harness;
use gohost_plugin_api::{Ctx, FileKind};

use crate::dirhash::HashError;
use crate::distpack::{Disposition, Target};
use crate::treecache;

use super::tree::{cache_key, walk, Walked};

type Reference = (
    Vec<(String, String)>,
    Vec<(String, &'static str)>,
    Vec<String>,
);

/// The walk as it was before (tree.rs until this change): a stack of directories listed one
/// after another, stopping at the first that cannot be listed.
fn sequential_walk(ctx: &Ctx<'_>, goroot: &str, target: &Target) -> Result<Reference, HashError> {
    let mut files = Vec::new();
    let mut dropped = Vec::new();
    let mut symlinks = Vec::new();
    let mut stack = vec![(goroot.to_owned(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        let entries = ctx.read_dir(&abs).map_err(|e| HashError::probe(&abs, &e))?;
        let has_ugomod = entries.iter().any(|e| e.name.as_str() == "_go.mod");
        for e in entries {
            let name = e.name.as_str();
            let child_abs = format!("{abs}/{name}");
            let child_rel = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            match e.kind {
                FileKind::Dir => stack.push((child_abs, child_rel)),
                FileKind::Symlink => {
                    symlinks.push(child_rel.clone());
                    let to_dir = ctx
                        .file_info(&child_abs)
                        .ok()
                        .and_then(|i| i.canonical.into_option())
                        .is_some_and(|c| ctx.read_dir(c.as_str()).is_ok());
                    if to_dir {
                        dropped.push((child_rel, "a symlink to a directory is never in a release archive (cmd/distpack/archive.go:59-72)"));
                        continue;
                    }
                    match target.classify(&child_rel, name == "go.mod" && has_ugomod) {
                        Disposition::Module(m) => files.push((m, child_abs)),
                        Disposition::Dropped(why) => dropped.push((child_rel, why)),
                    }
                }
                _ => match target.classify(&child_rel, name == "go.mod" && has_ugomod) {
                    Disposition::Module(m) => files.push((m, child_abs)),
                    Disposition::Dropped(why) => dropped.push((child_rel, why)),
                },
            }
        }
    }
    Ok((files, dropped, symlinks))
}

fn target() -> Target {
    Target {
        go_version: "go1.27.3".into(),
        goos: "linux".into(),
        goarch: "amd64".into(),
    }
}

fn write(root: &Path, rel: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a file under the root")).expect("mkdir");
    std::fs::write(&p, rel.as_bytes()).expect("write");
}

/// A small GOROOT: kept and dropped files of each distpack rule, 60 package directories (so
/// several walkers take part), a symlink to a file, to a directory and one dangling.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for rel in [
        "VERSION",
        "go.env",
        "bin/go",
        "bin/gofmt",
        "bin/stringer",
        "api/go1.txt",
        ".git/HEAD",
        "src/go.mod",
        "src/cmd/go.mod",
        "src/cmd/_go.mod",
        "src/fmt/print.go",
        "pkg/tool/linux_amd64/compile",
        "pkg/tool/linux_amd64/pack",
        "pkg/include/asm_amd64.h",
    ] {
        write(root, rel);
    }
    for i in 0..60 {
        write(root, &format!("src/p{i:02}/a.go"));
        write(root, &format!("src/p{i:02}/sub/b.go"));
    }
    symlink("print.go", root.join("src/fmt/link.go")).expect("symlink");
    symlink("fmt", root.join("src/linkdir")).expect("symlink");
    symlink("nowhere", root.join("src/dangling.go")).expect("symlink");
    dir
}

fn sorted(mut r: Reference) -> Reference {
    r.0.sort();
    r.1.sort();
    r.2.sort();
    r
}

fn lists(w: &Walked) -> Reference {
    (w.files.clone(), w.dropped.clone(), w.symlinks.clone())
}

#[test]
fn parallel_walk_finds_what_the_sequential_walk_found_in_a_fixed_order() {
    let dir = tree();
    let goroot = dir.path().to_string_lossy().into_owned();
    let t = target();
    Harness::new().with_ctx("sumdb", |ctx| {
        let old = sorted(sequential_walk(ctx, &goroot, &t).expect("the old walk lists the tree"));
        // 9 kept top files + 120 package files + the symlink to a file + the dangling one.
        assert_eq!(old.0.len(), 131, "{:?}", old.0);
        // bin/stringer, api/go1.txt, .git/HEAD, src/cmd/go.mod, pkg/tool/…/pack, src/linkdir
        assert_eq!(old.1.len(), 6, "{:?}", old.1);
        assert_eq!(
            old.2,
            ["src/dangling.go", "src/fmt/link.go", "src/linkdir"],
            "symlinks"
        );

        let first = walk(ctx, &goroot, &t, false).expect("the parallel walk lists the tree");
        assert_eq!(first.identities, None, "not asked for");
        // Files in module-name order; dropped and symlinks in path order: exactly the old
        // walk's lists, sorted.
        let mut by_name = first.files.clone();
        by_name.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(first.files, by_name);
        assert_eq!(lists(&first), old);
        for _ in 0..20 {
            assert_eq!(walk(ctx, &goroot, &t, false).expect("walk"), first);
        }

        // With identities: one per module file, each the file's own lstat, and the cache key
        // made from them is the one the old cache_key made (one file_identity per listed file).
        let with = walk(ctx, &goroot, &t, true).expect("walk");
        let ids = with
            .identities
            .clone()
            .expect("a live host gives every identity");
        assert_eq!(ids.len(), with.files.len());
        let mut old_ids = Vec::new();
        for ((name, abs), id) in with.files.iter().zip(&ids) {
            let lstat = ctx.file_identity(abs).expect("lstat");
            assert_eq!(*id, lstat, "{abs}");
            let rel = abs.strip_prefix(&goroot).unwrap_or(abs).to_owned();
            old_ids.push((name.clone(), rel, lstat));
        }
        old_ids.reverse();
        let (key, _) = cache_key(&goroot, "m@v", &with).expect("a key");
        assert_eq!(key, treecache::key(&goroot, "m@v", &old_ids));
    });
}

/// A directory that cannot be listed gives the old walk's error; when several cannot, the
/// one first in a depth-first walk in name order, every time. As root no permission bit
/// stops a listing, so the directories are made unlistable by a name that is not UTF-8: the
/// host passes names as UTF-8 (lossy), so the listed name (with U+FFFD) does not exist.
/// Linux only: ext4/tmpfs take any bytes in a name, APFS refuses them.
#[cfg(target_os = "linux")]
#[test]
fn an_unlistable_directory_is_the_same_error_and_the_first_in_name_order_wins() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = tree();
    let root = dir.path();
    let goroot = root.to_string_lossy().into_owned();
    let t = target();
    let bad = |parent: &str| {
        let p = root.join(parent).join(OsStr::from_bytes(b"bad\xff"));
        std::fs::create_dir_all(&p).expect("mkdir");
        std::fs::write(p.join("x.go"), b"x").expect("write");
        format!("{goroot}/{parent}/bad\u{FFFD}")
    };
    let src_bad = bad("src/p30");
    Harness::new().with_ctx("sumdb", |ctx| {
        let old = sequential_walk(ctx, &goroot, &t).expect_err("an unlistable directory");
        let new = walk(ctx, &goroot, &t, true).expect_err("an unlistable directory");
        assert!(old.to_string().contains(&src_bad), "{old}");
        assert_eq!(new.to_string(), old.to_string());
    });
    // Two more, before and after it in name order: the first (api/…) is reported, whatever
    // the threads' timing (the old walk, last name first, reported src/p59/…).
    let api_bad = bad("api");
    bad("src/p59");
    Harness::new().with_ctx("sumdb", |ctx| {
        let old = sequential_walk(ctx, &goroot, &t).expect_err("unlistable directories");
        assert!(old.to_string().contains("src/p59/bad"), "{old}");
        for _ in 0..20 {
            let new = walk(ctx, &goroot, &t, true).expect_err("unlistable directories");
            assert!(new.to_string().contains(&api_bad), "{new}");
        }
    });
}

/// With identities wanted the walk asks the host once per directory
/// (`read_dir_identities`, plugin API 1.4.0) and never per file: replayed from a snapshot
/// holding only those answers (plus the two a symlink needs), it finds the live walk's lists
/// and identities. An entry the host could not stat leaves the tree without a key.
#[test]
fn the_walk_with_identities_asks_once_per_directory_and_never_per_file() {
    use gohost_plugin_api::snapshot::{Answer, ProbeRecord, Snapshot};

    let dir = tree();
    let goroot = dir.path().to_string_lossy().into_owned();
    let t = target();
    let (live, records) = Harness::new().with_ctx("sumdb", |ctx| {
        let live = walk(ctx, &goroot, &t, true).expect("live walk");
        // What a recording of that walk holds: each directory's entries with identities, and
        // for each symlink its lstat and a listing of its target (is it a directory?).
        let mut records = Vec::new();
        let mut stack = vec![goroot.clone()];
        while let Some(abs) = stack.pop() {
            let entries = ctx.read_dir_identities(&abs).expect("listing");
            for e in &entries {
                let child = format!("{abs}/{}", e.name);
                match e.kind {
                    FileKind::Dir => stack.push(child),
                    FileKind::Symlink => {
                        let info = ctx.file_info(&child);
                        if let Some(c) = info
                            .as_ref()
                            .ok()
                            .and_then(|i| i.canonical.clone().into_option())
                        {
                            records.push(ProbeRecord::ReadDir {
                                path: c.to_string(),
                                result: Answer::from_result(ctx.read_dir(c.as_str())),
                                source: None,
                            });
                        }
                        records.push(ProbeRecord::FileInfo {
                            path: child,
                            result: Answer::from_result(info),
                            source: None,
                        });
                    }
                    _ => {}
                }
            }
            records.push(ProbeRecord::ReadDirIdentities {
                path: abs,
                result: Answer::Ok(entries),
                source: None,
            });
        }
        (live, records)
    });
    assert!(
        live.identities.is_some(),
        "a live host gives every identity"
    );
    let dirs = records
        .iter()
        .filter(|r| matches!(r, ProbeRecord::ReadDirIdentities { .. }))
        .count();
    // The root, bin, api, .git, src (+ fmt, cmd, 60 packages with a sub each), pkg/tool/…,
    // pkg/include, misc…: one answer per directory.
    assert!(dirs > 120, "{dirs} directories");
    let replayed = |records: Vec<ProbeRecord>| {
        let mut snapshot = Snapshot::new(
            gohost_plugin_api::testing::TestContext::linux_facts(),
            "test",
        );
        snapshot.probes = records;
        Harness::replay_snapshot(&snapshot)
            .expect("snapshot")
            .with_ctx("sumdb", |ctx| walk(ctx, &goroot, &t, true))
            .expect("replayed walk")
    };
    assert_eq!(
        replayed(records.clone()),
        live,
        "no file_identity was needed"
    );

    // One module file without an identity (removed between the listing and its stat): the
    // lists are the same, the key is not made. The walk stops asking for identities then,
    // so the directories listed after it are plain listings.
    let mut without = records.clone();
    for r in &records {
        if let ProbeRecord::ReadDirIdentities {
            path,
            result: Answer::Ok(entries),
            ..
        } = r
        {
            without.push(ProbeRecord::ReadDir {
                path: path.clone(),
                result: Answer::Ok(
                    entries
                        .iter()
                        .map(|e| gohost_plugin_api::DirEntry {
                            name: e.name.clone(),
                            kind: e.kind,
                        })
                        .collect(),
                ),
                source: None,
            });
        }
    }
    let fmt_dir = format!("{goroot}/src/fmt");
    let mut cleared = 0;
    for r in &mut without {
        if let ProbeRecord::ReadDirIdentities {
            path,
            result: Answer::Ok(entries),
            ..
        } = r
        {
            if *path == fmt_dir {
                for e in entries.iter_mut().filter(|e| e.name.as_str() == "print.go") {
                    e.identity = abi_stable::std_types::ROption::RNone;
                    cleared += 1;
                }
            }
        }
    }
    assert_eq!(cleared, 1);
    let w = replayed(without);
    assert_eq!(w.identities, None);
    assert_eq!(lists(&w), lists(&live));
}

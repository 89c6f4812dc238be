//! `gather`: read VERSION and the Go facts, find the references, hash the tree (or take its
//! hash from the warm-run cache).

use std::collections::BTreeMap;

use gohost_plugin_api::binary::{read_build_info, BuildInfoError};
use gohost_plugin_api::{Ctx, FileKind, Finding, ProbeErrorKind};

use crate::distpack::{module_version, Target, MOD_PATH};
use crate::goenv::{GoEnv, SOURCE};
use crate::gosum::escape;
use crate::treecache;

use super::*;

use super::reference::*;
use super::tree::*;

pub fn gather(ctx: &Ctx<'_>) -> Result<Observations, Finding> {
    let env = GoEnv::from_ctx(ctx)
        .map_err(|p| Finding::skip(format!("Could not tell which Go is installed: {p}")))?;
    let goroot = env.get("GOROOT").trim_end_matches('/').to_owned();
    if goroot.is_empty() {
        return Err(Finding::skip("`go env` names no GOROOT: could not tell")
            .evidence("GOROOT", "", SOURCE));
    }
    let mut not_release = Vec::new();
    let version_path = format!("{goroot}/VERSION");
    let version = match ctx.read_file_prefix(&version_path, 4096) {
        Ok(b) => Some(
            String::from_utf8_lossy(&b)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned(),
        ),
        Err(e)
            if matches!(
                e.kind,
                ProbeErrorKind::NotRecorded | ProbeErrorKind::Timeout
            ) =>
        {
            return Err(
                Finding::skip(format!("{version_path}: no answer: could not tell"))
                    .detail(e.to_string())
                    .evidence("GOROOT", &goroot, SOURCE),
            );
        }
        Err(e) => {
            // distpack's readVERSION fails without it (pack.go:269-273): no release lacks it.
            not_release.push((
                "VERSION".to_owned(),
                format!("unreadable: {e}"),
                version_path.clone(),
            ));
            None
        }
    };
    let release: Option<String> = version.clone().filter(|v| is_release_version(v));
    if let Some(v) = &version {
        if release.is_none() {
            not_release.push((
                "VERSION".to_owned(),
                format!("{v:?} is not a release version (a source build says devel)"),
                version_path.clone(),
            ));
        }
    }
    // Toolchain modules exist for old releases too (golang.org/toolchain@v0.0.1-go1.9rc2.
    // windows-amd64 is published), but they were made after the fact, and go1.19's source has
    // no src/cmd/distpack: whether they follow distpack's file rules is unknown, so a
    // difference for a release before go1.21 is not judged.
    let pre_distpack = release.as_deref().and_then(minor).is_some_and(|m| m < 21);
    // Facts/go-env-homebrew-go1.20.6: Homebrew's GOROOT is <prefix>/Cellar/go/<v>/libexec.
    if goroot.contains("/Cellar/go") {
        not_release.push((
            "prefix".into(),
            goroot.clone(),
            "Homebrew's Cellar: installed by brew, not unpacked from a go.dev archive".into(),
        ));
    }
    if goroot.starts_with("/usr/lib/go") || goroot.starts_with("/usr/share/go") {
        not_release.push((
            "prefix".into(),
            goroot.clone(),
            "a distribution package's prefix (e.g. Debian's /usr/lib/go-1.19)".into(),
        ));
    }
    match ctx.read_dir(&goroot) {
        Ok(entries) => {
            for e in entries {
                if e.kind == FileKind::Symlink {
                    not_release.push((
                        "symlink".into(),
                        e.name.to_string(),
                        format!("{goroot}: a release archive holds only regular files"),
                    ));
                }
                if !in_release_top_level(e.name.as_str()) {
                    not_release.push((
                        "extra file".into(),
                        e.name.to_string(),
                        format!("{goroot}: not in a go.dev release's top level"),
                    ));
                }
            }
        }
        Err(e) => {
            return Err(
                Finding::skip(format!("GOROOT {goroot} is unreadable: could not tell"))
                    .detail(e.to_string())
                    .evidence("GOROOT", &goroot, SOURCE),
            )
        }
    }
    let platform = tree_platform(ctx, &goroot, &env);
    if platform.goos.is_empty() && release.is_some() && not_release.is_empty() {
        // Which module this release is cannot be named, so nothing can be compared.
        return Err(Finding::skip(format!(
            "Could not tell which platform {goroot} is for: could not tell"
        ))
        .detail(format!(
            "Its bin/go names the platform in its Go build info, and it could not be read ({}). \
             The toolchain module, and so the reference, depends on it.",
            platform.source
        ))
        .evidence("GOROOT", &goroot, SOURCE));
    }
    let target = Target {
        go_version: release.clone().unwrap_or_else(|| "devel".to_owned()),
        goos: platform.goos.clone(),
        goarch: platform.goarch.clone(),
    };
    let modver = module_version(&target.go_version, &target.goos, &target.goarch);
    let modcache = env.get("GOMODCACHE").to_owned();
    let mut obs = Observations {
        goroot: goroot.clone(),
        version,
        platform,
        module: release.as_ref().map(|_| format!("{MOD_PATH}@{modver}")),
        tree: None,
        not_release,
        references: Vec::new(),
        diff: None,
        online_problems: Vec::new(),
        db_unknown: None,
        online: ctx.options().online,
        ziphash_path: None,
        pre_distpack,
        tree_cached: false,
    };
    // Not a release, or the platform unknown (then the signs of another build alone are the
    // finding): no reference is looked for.
    if release.is_none() || obs.platform.goos.is_empty() {
        return Ok(obs);
    }
    let base = (!modcache.is_empty()).then(|| {
        format!(
            "{modcache}/cache/download/{MOD_PATH}/@v/{}",
            escape(&modver)
        )
    });
    if let Some(base) = &base {
        let ziphash = format!("{base}.ziphash");
        // Written by the go command after it verified the zip against go.sum or the
        // checksum database (cmd/go/internal/modfetch/fetch.go, writeZipHash / haveZipHash).
        if let Ok(b) = ctx.read_file_prefix(&ziphash, 4096) {
            let h1 = String::from_utf8_lossy(&b).trim().to_owned();
            obs.references.push(Reference {
                h1,
                kind: "module cache",
                source: ziphash.clone(),
                record: None,
            });
        }
        obs.ziphash_path = Some(ziphash);
        cached_lookup(ctx, &env, &modcache, &modver, &mut obs);
    }
    if obs.online {
        lookup(ctx, &env, &modver, &mut obs);
    }
    // Nothing to compare with: the tree is not hashed (it could not change the verdict, and
    // a default offline run on a machine that never switched toolchains stays cheap).
    if obs.references.is_empty() {
        return Ok(obs);
    }
    ctx.progress(&format!("hashing {goroot} as {MOD_PATH}@{modver}"));
    let tree = walk(ctx, &goroot, &target, identities_wanted(ctx)).and_then(|walked| {
        for s in walked.symlinks.iter().take(SHOW) {
            obs.not_release.push((
                "symlink".into(),
                s.clone(),
                format!("{goroot}: a release archive holds only regular files"),
            ));
        }
        let key = cache_key(&goroot, &obs.module.clone().unwrap_or_default(), &walked);
        let Walked { files, dropped, .. } = walked;
        if let Some((key, _)) = &key {
            // A cached hash is used only when every reference agrees with it: a disagreement
            // needs each file's digest for the list of changed files, so the tree is hashed.
            let cached = ctx.cache_get(key).and_then(|v| treecache::decode(&v));
            if let Some(c) = cached.filter(|c| obs.references.iter().all(|r| r.h1 == c.h1)) {
                obs.tree_cached = true;
                return Ok(TreeHash {
                    h1: c.h1,
                    files: c.files,
                    bytes: c.bytes,
                    digests: BTreeMap::new(),
                    dropped,
                });
            }
        }
        let tree = hash_tree(ctx, files, dropped)?;
        // Stored only after the whole tree was hashed (an error is never cached) and only
        // for a tree whose files all settled before the fingerprint was taken.
        if let Some((key, true)) = &key {
            ctx.cache_put(
                key,
                &treecache::encode(&treecache::CachedTree {
                    h1: tree.h1.clone(),
                    files: tree.files,
                    bytes: tree.bytes,
                }),
            );
        }
        Ok(tree)
    });
    if let (Ok(tree), Some(base)) = (&tree, &base) {
        // The diff is made only when a reference disagrees: reading the zip costs about as
        // much as hashing the tree again.
        let zip_path = format!("{base}.zip");
        if obs.references.iter().any(|r| r.h1 != tree.h1) && ctx.file_info(&zip_path).is_ok() {
            if let Ok(z) = zip_digests(ctx, &zip_path) {
                obs.diff = Some(diff(&tree.digests, &z, &zip_path));
            }
        }
    }
    obs.tree = Some(tree.map_err(|e| e.to_string()));
    Ok(obs)
}

/// The platform whose release this tree must equal: the tree's own `bin/go`, its Go build info
/// read (not run: the tree may be for another machine) — the release archive holds the go
/// command built for its GOOS/GOARCH (pack.go:182-202). `go env`'s GOHOSTOS/GOHOSTARCH only
/// when bin/go was read but names no single platform (no build info, a fat file): they
/// describe the go that answered `go env`, which is another binary when GOROOT is set to some
/// other tree (an old `export GOROOT=/usr/local/go` naming an Intel install under an arm64
/// Homebrew go, say). When bin/go cannot be read, the platform is not told (empty `goos`).
fn tree_platform(ctx: &Ctx<'_>, goroot: &str, env: &GoEnv) -> Platform {
    let host = (
        env.get("GOHOSTOS").to_owned(),
        env.get("GOHOSTARCH").to_owned(),
    );
    let bin_go = format!("{goroot}/bin/go");
    let mut read = |offset: u64, len: u64| {
        ctx.read_file_at(&bin_go, offset, len)
            .map_err(|e| e.to_string())
    };
    // One slice with both settings; a fat file (go.dev ships none), a file that is not a Go
    // executable or one without build info leaves the choice to `go env`. A file that could not
    // be read is no answer: the platform is then not told at all, not guessed from `go env`.
    let built_for = match read_build_info(&mut read) {
        Err(BuildInfoError::Read(e)) => Err(e),
        Err(_) => Ok(None),
        Ok(slices) => match slices.as_slice() {
            [one] => match &one.info {
                Err(BuildInfoError::Read(e)) => Err(e.clone()),
                Err(_) => Ok(None),
                Ok(info) => Ok(info
                    .goos()
                    .zip(info.goarch())
                    .map(|(os, arch)| (os.to_owned(), arch.to_owned()))),
            },
            _ => Ok(None),
        },
    };
    match built_for {
        Err(e) => Platform {
            goos: String::new(),
            goarch: String::new(),
            source: format!("{bin_go}: {e}"),
            go_env_differs: None,
        },
        Ok(Some((goos, goarch))) => {
            let go_env_differs = (!host.0.is_empty() && (host.0 != goos || host.1 != goarch))
                .then(|| format!("{}/{}", host.0, host.1));
            Platform {
                goos,
                goarch,
                source: format!("{bin_go}: its Go build info (GOOS, GOARCH)"),
                go_env_differs,
            }
        }
        Ok(None) => Platform {
            goos: host.0,
            goarch: host.1,
            source: format!(
                "{SOURCE} GOHOSTOS/GOHOSTARCH ({bin_go} has no Go build info that names one platform)"
            ),
            go_env_differs: None,
        },
    }
}

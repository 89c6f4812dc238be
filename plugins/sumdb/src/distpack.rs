//! The file list of a Go release's module form, `golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>`,
//! derived from an installed GOROOT by the rules of Go's `cmd/distpack` (Go 1.27.3 source,
//! `src/cmd/distpack/pack.go` and `archive.go`; line numbers below are that file's).
//!
//! What it is: a pure mapping from a GOROOT-relative path to its name in the module zip, or
//! the distpack rule that drops it. What it is not: it reads no file and hashes nothing
//! (`checks::goroot_authentic` walks and hashes the tree through the host context).
//!
//! The rules, in distpack's order:
//! 1. pack.go:111-124 — the base archive drops `.git/**`, `.gitattributes`, `.github/**`,
//!    `.gitignore`, `.jj/**`, `VERSION.cache`, `misc/cgo/*/_obj/**`, `**/.DS_Store`,
//!    `**/*.exe~`, `src/cmd/dist/dist`, `src/cmd/dist/dist.exe`.
//! 2. pack.go:151-180 — the binary archive keeps of `pkg/` only `pkg/include/**` and, in
//!    `pkg/tool/<GOOS>_<GOARCH>/`, only asm, cgo, compile, cover, fix, link, preprofile, vet
//!    (`.exe` trimmed); it discards `bin/` and adds back `bin/go` and `bin/gofmt`
//!    (pack.go:182-201; `.exe` on windows, pack.go:98-101). A cross-compiled build takes
//!    them from `bin/<GOOS>_<GOARCH>/`, but the archive names them `bin/go`, which is where an
//!    unpacked release has them: an installed tree's `bin/<GOOS>_<GOARCH>/` is not part of
//!    the release.
//! 3. pack.go:212-218 — the module form drops `api/**`, `doc/**`, `misc/**`, `test/**`;
//!    pack.go:219-220 prefixes every name with `golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>/`
//!    (VERSION is the first line of `$GOROOT/VERSION`, pack.go:269-274); archive.go:185-191
//!    renames every `…/go.mod` to `…/_go.mod`.
//!
//! A tree the go command itself unpacked from that module (GOTOOLCHAIN switching, cmd/go
//! `internal/toolchain/select.go:429-455`) holds the `_go.mod` files as they are and a copy of
//! each as `go.mod` next to it: such a `go.mod` (one with a sibling `_go.mod`) is the go
//! command's copy and is not part of the module.

/// `modPath` and `modVersionPrefix` (pack.go:56-59).
pub const MOD_PATH: &str = "golang.org/toolchain";
const MOD_VERSION_PREFIX: &str = "v0.0.1";

/// The tools kept in `pkg/tool/<GOOS>_<GOARCH>/` (pack.go:176, "Keep in sync with
/// toolsIncludedInDistpack in cmd/dist/build.go").
pub const KEPT_TOOLS: &[&str] = &[
    "asm",
    "cgo",
    "compile",
    "cover",
    "fix",
    "link",
    "preprofile",
    "vet",
];

/// pack.go:111-124: removed from every distribution.
const BASE_REMOVED: &[&str] = &[
    ".git/**",
    ".gitattributes",
    ".github/**",
    ".gitignore",
    ".jj/**",
    "VERSION.cache",
    "misc/cgo/*/_obj/**",
    "**/.DS_Store",
    "**/*.exe~",
    "src/cmd/dist/dist",
    "src/cmd/dist/dist.exe",
];

/// pack.go:213-218: removed from the module form only.
const MODULE_REMOVED: &[&str] = &["api/**", "doc/**", "misc/**", "test/**"];

/// The toolchain module's version for a Go release (pack.go:219):
/// `v0.0.1-go1.27.3.linux-amd64`.
pub fn module_version(go_version: &str, goos: &str, goarch: &str) -> String {
    format!("{MOD_VERSION_PREFIX}-{go_version}.{goos}-{goarch}")
}

/// What distpack does with one file of the installed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Part of the module, under this name (prefix included).
    Module(String),
    /// Not part of the module, by the rule named (for evidence).
    Dropped(&'static str),
}

/// The platform and release a tree is mapped for.
#[derive(Debug, Clone)]
pub struct Target {
    pub go_version: String,
    pub goos: String,
    pub goarch: String,
}

impl Target {
    /// `golang.org/toolchain@v0.0.1-…`, the prefix of every name in the module zip.
    pub fn prefix(&self) -> String {
        format!(
            "{MOD_PATH}@{}",
            module_version(&self.go_version, &self.goos, &self.goarch)
        )
    }

    /// Map one GOROOT-relative, `/`-separated path. `has_underscore_twin` says whether the
    /// same directory holds `_go.mod` (only asked for a file named `go.mod`).
    pub fn classify(&self, rel: &str, has_underscore_twin: bool) -> Disposition {
        for p in BASE_REMOVED {
            if amatch(p, rel) {
                return Disposition::Dropped(
                    "removed from every Go distribution (cmd/distpack/pack.go:111-124)",
                );
            }
        }
        let exe = if self.goos == "windows" { ".exe" } else { "" };
        if let Some(b) = rel.strip_prefix("bin/") {
            if b == format!("go{exe}") || b == format!("gofmt{exe}") {
                return Disposition::Module(format!("{}/{rel}", self.prefix()));
            }
            return Disposition::Dropped(
                "bin/ holds only go and gofmt in a release (cmd/distpack/pack.go:153-156, 182-201)",
            );
        }
        if rel.starts_with("pkg/") && !rel.starts_with("pkg/include/") {
            let tooldir = format!("pkg/tool/{}_{}/", self.goos, self.goarch);
            let Some(tool) = rel.strip_prefix(&tooldir) else {
                return Disposition::Dropped("pkg/ keeps only pkg/include and pkg/tool/<GOOS>_<GOARCH> in a release (cmd/distpack/pack.go:157-169)");
            };
            let base = tool.rsplit('/').next().unwrap_or(tool);
            let base = base.strip_suffix(".exe").unwrap_or(base);
            if !KEPT_TOOLS.contains(&base) {
                return Disposition::Dropped("pkg/tool keeps only the build tools in a release (cmd/distpack/pack.go:171-177)");
            }
        }
        for p in MODULE_REMOVED {
            if amatch(p, rel) {
                return Disposition::Dropped(
                    "api/, doc/, misc/, test/ are not in the module form (cmd/distpack/pack.go:213-218)",
                );
            }
        }
        let name = if rel == "go.mod" || rel.ends_with("/go.mod") {
            if has_underscore_twin {
                return Disposition::Dropped("the go command's copy of _go.mod in an unpacked toolchain module (cmd/go/internal/toolchain/select.go:429-455)");
            }
            // archive.go:185-191 renames names ending in "/go.mod"; after AddPrefix every
            // go.mod, the top-level one included, has a "/" before it.
            format!("{}_go.mod", rel.strip_suffix("go.mod").unwrap_or(rel))
        } else {
            rel.to_owned()
        };
        Disposition::Module(format!("{}/{name}", self.prefix()))
    }
}

/// distpack's `amatch` (archive.go:193-227): path.Match with a leading `**/` or trailing
/// `/**` matching any number of path elements.
pub fn amatch(pattern: &str, name: &str) -> bool {
    // firstN / lastN: the first or last n path elements of name (all of it when fewer).
    let first_n = |n: usize| -> &str {
        let mut left = n;
        for (i, b) in name.bytes().enumerate() {
            if b == b'/' {
                left -= 1;
                if left == 0 {
                    return &name[..i];
                }
            }
        }
        name
    };
    let last_n = |n: usize| -> &str {
        let mut left = n;
        for (i, b) in name.bytes().enumerate().rev() {
            if b == b'/' {
                left -= 1;
                if left == 0 {
                    return &name[i + 1..];
                }
            }
        }
        name
    };
    if let Some(p) = pattern.strip_prefix("**/") {
        return path_match(p, last_n(1 + p.matches('/').count()));
    }
    if let Some(p) = pattern.strip_suffix("/**") {
        return path_match(p, first_n(1 + p.matches('/').count()));
    }
    path_match(pattern, name)
}

/// Go's `path.Match`, as distpack's `amatch` calls it (its patterns are all well-formed).
fn path_match(pattern: &str, name: &str) -> bool {
    crate::pathmatch::path_match(pattern, name) == Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux() -> Target {
        Target {
            go_version: "go1.27.3".into(),
            goos: "linux".into(),
            goarch: "amd64".into(),
        }
    }

    #[test]
    fn amatch_like_distpack() {
        let rows = [
            (".git/**", ".git/config", true),
            (".git/**", ".git", true),
            (".git/**", ".gitignore", false),
            ("**/.DS_Store", ".DS_Store", true),
            ("**/.DS_Store", "src/a/.DS_Store", true),
            ("**/*.exe~", "bin/go.exe~", true),
            ("misc/cgo/*/_obj/**", "misc/cgo/x/_obj/a/b", true),
            ("misc/cgo/*/_obj/**", "misc/cgo/_obj/a", false),
            ("api/**", "api/go1.txt", true),
            ("api/**", "src/api/x.go", false),
            ("src/cmd/dist/dist", "src/cmd/dist/dist", true),
            ("src/cmd/dist/dist", "src/cmd/dist/dist.go", false),
        ];
        assert_eq!(rows.len(), 12);
        for (p, n, want) in rows {
            assert_eq!(amatch(p, n), want, "{p} {n}");
        }
    }

    #[test]
    fn classify_table() {
        let t = linux();
        let pre = "golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64";
        let m = |s: &str| Disposition::Module(format!("{pre}/{s}"));
        let rows: Vec<(&str, bool, Option<Disposition>)> = vec![
            ("VERSION", false, Some(m("VERSION"))),
            ("go.env", false, Some(m("go.env"))),
            ("src/go.mod", false, Some(m("src/_go.mod"))),
            ("src/cmd/go.mod", false, Some(m("src/cmd/_go.mod"))),
            ("src/go.mod", true, None),
            ("src/_go.mod", false, Some(m("src/_go.mod"))),
            ("go.mod", false, Some(m("_go.mod"))),
            ("bin/go", false, Some(m("bin/go"))),
            ("bin/gofmt", false, Some(m("bin/gofmt"))),
            ("bin/stringer", false, None),
            ("bin/linux_arm64/go", false, None),
            (
                "pkg/tool/linux_amd64/compile",
                false,
                Some(m("pkg/tool/linux_amd64/compile")),
            ),
            ("pkg/tool/linux_amd64/pack", false, None),
            ("pkg/tool/darwin_arm64/compile", false, None),
            (
                "pkg/include/asm_amd64.h",
                false,
                Some(m("pkg/include/asm_amd64.h")),
            ),
            ("pkg/linux_amd64/runtime.a", false, None),
            ("api/go1.txt", false, None),
            ("doc/go_spec.html", false, None),
            ("misc/wasm/wasm_exec.js", false, None),
            ("test/a.go", false, None),
            ("src/.DS_Store", false, None),
            (".git/HEAD", false, None),
            ("src/cmd/dist/dist", false, None),
            (
                "lib/time/zoneinfo.zip",
                false,
                Some(m("lib/time/zoneinfo.zip")),
            ),
            ("__init__.py", false, Some(m("__init__.py"))),
        ];
        assert_eq!(rows.len(), 25);
        for (rel, twin, want) in rows {
            let got = t.classify(rel, twin);
            match want {
                Some(w) => assert_eq!(got, w, "{rel}"),
                None => assert!(matches!(got, Disposition::Dropped(_)), "{rel}: {got:?}"),
            }
        }
        let w = Target {
            go_version: "go1.27.3".into(),
            goos: "windows".into(),
            goarch: "amd64".into(),
        };
        assert!(matches!(
            w.classify("bin/go.exe", false),
            Disposition::Module(_)
        ));
        assert!(matches!(
            w.classify("bin/go", false),
            Disposition::Dropped(_)
        ));
        assert!(matches!(
            w.classify("pkg/tool/windows_amd64/vet.exe", false),
            Disposition::Module(_)
        ));
    }
}

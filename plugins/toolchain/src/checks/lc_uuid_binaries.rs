//! `toolchain.lc-uuid-binaries`: the executables in GOBIN / each GOPATH's bin and the Go
//! toolchains' own binaries, read (never run) for an `LC_UUID` load command, which dyld
//! requires from macOS 26 on.

use gohost_plugin_api::{inventory, Check, Ctx, FileKind, Finding, GoVersion, Needs};

use crate::checks::lc_uuid_go::{with_macos, FIRST_WITH_UUID};
use crate::checks::release_support::parse_macos;
use crate::discover::{discover_some, version_from_output};
use crate::macho::{build_info, load_commands, slice_bytes, BuildInfo, Macho, Slice};
use crate::util::{env_json, env_str, sh_quote, NO_GO};
use crate::version::LATEST_KNOWN;

inventory::submit! { Check {
    id: "toolchain.lc-uuid-binaries",
    title: "Go-built executables have LC_UUID (macOS 26)",
    explain: "Reads the Mach-O load commands (every slice of a universal file) of the executables in GOBIN and each GOPATH entry's bin, and of every Go toolchain found (GOROOT/bin, GOROOT/pkg/tool) — reading only, nothing is run. Since macOS 26, dyld refuses an executable without LC_UUID, and Go's internal linker writes one only from Go 1.24 (Go 1.24 release notes; golang/go#68678): tools installed long ago with an older Go (dlv, linters) and toolchains older than 1.24 abort at start. Each such file is listed with the Go version that built it (its build info) and, for tools, the exact `go install <path>@<version>` that rebuilds it. On macOS 26+ that fails; on older macOS it is an info (they will break after the upgrade). Files that cannot be read are named, and a scan that found nothing to check is not a pass.",
    tags: &["toolchain", "macos"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// At most this many files are read (each only as far as its load commands, plus the whole
/// file for those lacking LC_UUID, for their build info).
const MAX_FILES: usize = 300;
const PREFIX: u64 = 64 * 1024;
const MAX_WHOLE: u64 = 256 * 1024 * 1024;

/// One Mach-O executable read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub path: String,
    /// Inside a Go toolchain (GOROOT), rather than an installed tool.
    pub toolchain: bool,
    pub slices: Vec<Slice>,
    /// Read only for files lacking LC_UUID.
    pub build: Option<BuildInfo>,
}

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    pub os_version: String,
    pub has_go: bool,
    /// The local go's version (for the rebuild command).
    pub local: Option<GoVersion>,
    /// Each directory read: Ok(number of entries) or why not.
    pub dirs: Vec<(String, Result<usize, String>)>,
    /// Mach-O executables found.
    pub files: Vec<Scanned>,
    /// Files that could not be read, with why.
    pub unreadable: Vec<(String, String)>,
}

fn read_macho(ctx: &Ctx<'_>, path: &str) -> Result<Option<Vec<Slice>>, String> {
    let mut want = PREFIX;
    for _ in 0..3 {
        let bytes = ctx
            .read_file_prefix(path, want)
            .map_err(|e| e.to_string())?;
        match load_commands(&bytes) {
            Macho::NotMacho => return Ok(None),
            Macho::Slices(s) => return Ok(Some(s)),
            Macho::Bad(e) => return Err(format!("Mach-O headers do not parse: {e}")),
            Macho::NeedBytes(n) if n > want && (bytes.len() as u64) >= want && n <= MAX_WHOLE => {
                want = n;
            }
            Macho::NeedBytes(n) => {
                return Err(format!(
                    "file ends before its load commands ({n} bytes needed)"
                ))
            }
        }
    }
    Err("load commands not reached".to_owned())
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let env = env_json(&facts);
    let mut dirs: Vec<(String, bool)> = Vec::new();
    let add = |d: String, toolchain: bool, dirs: &mut Vec<(String, bool)>| {
        let d = d.trim_end_matches('/').to_owned();
        if !d.is_empty() && !dirs.iter().any(|(x, _)| *x == d) {
            dirs.push((d, toolchain));
        }
    };
    if let Some(b) = env_str(&env, "GOBIN") {
        add(b, false, &mut dirs);
    }
    for p in env_str(&env, "GOPATH").unwrap_or_default().split(':') {
        if !p.is_empty() {
            add(format!("{}/bin", p.trim_end_matches('/')), false, &mut dirs);
        }
    }
    let mut goroots: Vec<String> = env_str(&env, "GOROOT").into_iter().collect();
    for g in discover_some(ctx, usize::MAX, false) {
        if let Some(r) = g.goroot {
            if !goroots.contains(&r) {
                goroots.push(r);
            }
        }
    }
    for r in &goroots {
        let r = r.trim_end_matches('/');
        add(format!("{r}/bin"), true, &mut dirs);
        if let Ok(entries) = ctx.read_dir(&format!("{r}/pkg/tool")) {
            for e in entries.iter().filter(|e| e.kind == FileKind::Dir) {
                add(format!("{r}/pkg/tool/{}", e.name), true, &mut dirs);
            }
        }
    }
    let mut obs = Observations {
        os: facts.os.to_string(),
        os_version: facts.os_version.to_string(),
        has_go: facts.go.is_some(),
        local: facts
            .go
            .as_ref()
            .into_option()
            .and_then(|g| version_from_output(g.version_output.as_str()))
            .and_then(|v| GoVersion::parse(&v)),
        dirs: Vec::new(),
        files: Vec::new(),
        unreadable: Vec::new(),
    };
    if obs.os != "macos" {
        return obs;
    }
    let mut budget = MAX_FILES;
    for (dir, toolchain) in dirs {
        let entries = match ctx.read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                obs.dirs.push((dir, Err(e.to_string())));
                continue;
            }
        };
        obs.dirs.push((dir.clone(), Ok(entries.len())));
        for e in entries.iter().filter(|e| e.kind == FileKind::File) {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let path = format!("{dir}/{}", e.name);
            match read_macho(ctx, &path) {
                Ok(None) => {}
                Ok(Some(slices)) if slices.iter().any(|s| s.executable) => {
                    // The build info of the (first) slice that lacks LC_UUID.
                    let build = slices
                        .iter()
                        .find(|s| s.executable && !s.has_uuid)
                        .and_then(|s| {
                            ctx.read_file_prefix(&path, MAX_WHOLE)
                                .ok()
                                .and_then(|b| build_info(slice_bytes(&b, s)))
                        });
                    obs.files.push(Scanned {
                        path,
                        toolchain,
                        slices,
                        build,
                    });
                }
                Ok(Some(_)) => {}
                Err(why) => obs.unreadable.push((path, why)),
            }
        }
    }
    obs
}

/// How to get a version of `f` that has LC_UUID.
fn rebuild(f: &Scanned, local: Option<GoVersion>) -> String {
    let latest = format!(
        "go{}.{}.{}",
        LATEST_KNOWN.major, LATEST_KNOWN.minor, LATEST_KNOWN.patch
    );
    if f.toolchain {
        return format!(
            "# {} belongs to a Go toolchain older than 1.24: upgrade that toolchain",
            sh_quote(&f.path)
        );
    }
    let path = f.build.as_ref().and_then(|b| b.path.clone());
    let version = f
        .build
        .as_ref()
        .and_then(|b| b.mod_version.clone())
        .filter(|v| v.starts_with('v'));
    match (path, version) {
        (Some(p), Some(v)) => {
            let target = sh_quote(&format!("{p}@{v}"));
            match local {
                Some(l) if l >= FIRST_WITH_UUID => format!("go install {target}"),
                // GOTOOLCHAIN exists from Go 1.21 (go.dev/doc/toolchain).
                Some(l) if l >= GoVersion::new(1, 21, 0) => {
                    format!("GOTOOLCHAIN={latest} go install {target}")
                }
                _ => format!("# after upgrading Go to 1.24+: go install {target}"),
            }
        }
        (Some(p), None) => format!(
            "# {} was built from a local checkout of {p}: rebuild it there with Go 1.24+",
            sh_quote(&f.path)
        ),
        _ => format!(
            "# {} has no readable Go build info: rebuild it from its source with Go 1.24+",
            sh_quote(&f.path)
        ),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if obs.os != "macos" {
        return vec![Finding::skip(
            "macOS only: dyld's LC_UUID requirement does not apply here",
        )];
    }
    if !obs.has_go {
        return vec![Finding::skip(NO_GO)];
    }
    let lacking: Vec<&Scanned> = obs
        .files
        .iter()
        .filter(|f| f.slices.iter().any(|s| s.executable && !s.has_uuid))
        .collect();
    let mut evidence: Vec<(String, String, String)> = Vec::new();
    for (d, r) in &obs.dirs {
        let v = match r {
            Ok(n) => format!("{n} entries"),
            Err(e) => format!("could not read ({e})"),
        };
        evidence.push((
            "directory".to_owned(),
            format!("{d}: {v}"),
            "read_dir".to_owned(),
        ));
    }
    for (p, why) in &obs.unreadable {
        evidence.push((
            "could not read".to_owned(),
            format!("{p}: {why}"),
            "read_file".to_owned(),
        ));
    }
    for f in &lacking {
        let arches: Vec<String> = f
            .slices
            .iter()
            .filter(|s| !s.has_uuid)
            .map(|s| s.arch.clone())
            .collect();
        let built = f.build.as_ref().map_or_else(
            || "Go version unknown".to_owned(),
            |b| format!("built by {}", b.go_version),
        );
        evidence.push((
            "no LC_UUID".to_owned(),
            format!("{} ({}; {built})", f.path, arches.join(", ")),
            "Mach-O load commands, Go build info".to_owned(),
        ));
    }
    let with_evidence = |mut f: Finding| {
        for (k, v, s) in &evidence {
            f = f.evidence(k.as_str(), v.as_str(), s.as_str());
        }
        with_macos(f, &obs.os_version)
    };
    if lacking.is_empty() {
        let n = obs.files.len();
        if n == 0 {
            return vec![with_evidence(Finding::info(
                "no Mach-O executables found to check for LC_UUID",
            ))];
        }
        let title = format!("all {n} Mach-O executables checked have LC_UUID");
        return vec![if obs.unreadable.is_empty() {
            with_evidence(Finding::pass(title))
        } else {
            with_evidence(Finding::info(format!(
                "{title}; {} could not be read",
                obs.unreadable.len()
            )))
        }];
    }
    let names: Vec<&str> = lacking
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap_or(&f.path))
        .collect();
    let fixes: Vec<String> = lacking.iter().map(|f| rebuild(f, obs.local)).collect();
    let f = match parse_macos(&obs.os_version) {
        Some((major, _)) if major >= 26 => Finding::fail(format!(
            "{} executable(s) without LC_UUID, which macOS {} refuses to start: {}",
            lacking.len(),
            obs.os_version,
            names.join(", ")
        ))
        .detail("dyld on macOS 26+ aborts a Mach-O executable that has no LC_UUID load command (\"missing LC_UUID load command\"); Go's internal linker writes one only from Go 1.24. Rebuild each with Go 1.24 or newer."),
        Some(_) => Finding::info(format!(
            "{} executable(s) without LC_UUID will not start after an upgrade to macOS 26: {}",
            lacking.len(),
            names.join(", ")
        )),
        None => Finding::warn(format!(
            "{} executable(s) without LC_UUID cannot start on macOS 26 or later (could not tell this macOS version): {}",
            lacking.len(),
            names.join(", ")
        )),
    };
    vec![with_evidence(
        f.remediation("Rebuild them with Go 1.24 or newer:", fixes),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn scanned(path: &str, uuid: bool, toolchain: bool, build: Option<(&str, &str)>) -> Scanned {
        Scanned {
            path: path.into(),
            toolchain,
            slices: vec![Slice {
                arch: "arm64".into(),
                has_uuid: uuid,
                executable: true,
                offset: 0,
                size: 0,
            }],
            build: build.map(|(p, v)| BuildInfo {
                go_version: "go1.19.8".into(),
                path: Some(p.into()),
                mod_version: Some(v.into()),
            }),
        }
    }

    fn obs(macos: &str, files: Vec<Scanned>) -> Observations {
        Observations {
            os: "macos".into(),
            os_version: macos.into(),
            has_go: true,
            local: Some(GoVersion::new(1, 27, 3)),
            dirs: vec![("/Users/a/go/bin".into(), Ok(files.len()))],
            files,
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn table() {
        let old = || {
            scanned(
                "/Users/a/go/bin/dlv",
                false,
                false,
                Some(("github.com/go-delve/delve/cmd/dlv", "v1.20.0")),
            )
        };
        let new = || scanned("/Users/a/go/bin/gopls", true, false, None);
        let rows: Vec<(&str, Observations, Status, Option<&str>)> = vec![
            ("old tool on 26", obs("26.0", vec![old(), new()]), Status::Fail, Some("go install github.com/go-delve/delve/cmd/dlv@v1.20.0")),
            ("old tool on 15", obs("15.5", vec![old()]), Status::Info, None),
            ("all good", obs("26.0", vec![new()]), Status::Pass, None),
            ("nothing found", obs("26.0", vec![]), Status::Info, None),
            ("devel build", obs("26.0", vec![scanned("/Users/a/go/bin/x", false, false, Some(("example.com/x", "(devel)")))]), Status::Fail,
                Some("# /Users/a/go/bin/x was built from a local checkout of example.com/x: rebuild it there with Go 1.24+")),
            ("old toolchain", obs("26.0", vec![scanned("/usr/local/go/bin/go", false, true, None)]), Status::Fail, None),
            ("macOS unknown", obs("", vec![old()]), Status::Warn, None),
        ];
        assert_eq!(rows.len(), 7);
        for (name, o, want, cmd) in rows {
            let got = judge(&o);
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!(got[0].status, want, "{name}: {:#?}", got[0]);
            if let Some(cmd) = cmd {
                let fix = got[0].remediation.clone().into_option().expect(name);
                assert_eq!(fix.commands[0].as_str(), cmd, "{name}");
            }
        }
        let mut o = obs("26.0", vec![new()]);
        o.unreadable
            .push(("/Users/a/go/bin/y".into(), "not recorded".into()));
        assert_eq!(
            judge(&o)[0].status,
            Status::Info,
            "an unread file is not verified"
        );
    }
}

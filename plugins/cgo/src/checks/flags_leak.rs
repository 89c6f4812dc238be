//! `cgo.flags-leak`: include/library paths of another architecture in the cgo flags, the C
//! environment variables or pkg-config (Intel Homebrew's /usr/local on Apple Silicon, a
//! foreign multiarch directory on Linux).

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

use crate::binary::{parse_header, BinaryInfo, HEADER_PREFIX};
use crate::goenv::{go_env, native_arch, NoGoEnv};
use crate::probe::{answer, Answer};

/// Where a leaking value comes from, which decides the command that removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    /// The process environment: `unset NAME`.
    Environment,
    /// `go env -json` without the variable in the environment: the go env file (`go env -u`).
    GoEnvFile,
    /// pkg-config itself (its binary or built-in search path): nothing to unset.
    PkgConfig,
}

inventory::submit! { Check {
    id: "cgo.flags-leak",
    title: "No foreign-architecture paths in cgo flags",
    explain: "Looks at CGO_CFLAGS/CPPFLAGS/CXXFLAGS/LDFLAGS, PKG_CONFIG_PATH, CPATH, C_INCLUDE_PATH, LIBRARY_PATH, and pkg-config itself (its binary's architecture and its default pc_path) for paths of another architecture: on Apple Silicon /usr/local (Intel Homebrew, x86_64 libraries) in an arm64 build; on Linux another architecture's multiarch directory (/usr/lib/aarch64-linux-gnu in an amd64 build, and the reverse).",
    tags: &["cgo"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

const GO_FLAGS: [&str; 4] = ["CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS"];
const C_ENV: [&str; 4] = ["PKG_CONFIG_PATH", "CPATH", "C_INCLUDE_PATH", "LIBRARY_PATH"];

/// Paths in C flags that belong to another architecture than `goarch`.
pub fn foreign_paths(value: &str, goarch: &str, macos: bool) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || c == ':')
        .filter(|w| !w.is_empty())
        .filter(|w| {
            let p = w
                .trim_start_matches("-I")
                .trim_start_matches("-L")
                .trim_start_matches("-isystem");
            if macos {
                goarch == "arm64" && p.starts_with("/usr/local")
            } else {
                (goarch != "amd64" && p.contains("/x86_64-linux-gnu"))
                    || (goarch != "arm64" && p.contains("/aarch64-linux-gnu"))
            }
        })
        .map(str::to_owned)
        .collect()
}

/// The commands that remove exactly the leaking settings, each once, in the order found.
fn fix_commands(culprits: &[(String, From)], macos: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |c: String| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    for (key, from) in culprits {
        match from {
            From::Environment => push(format!("unset {key}")),
            From::GoEnvFile => push(format!("go env -u {key}")),
            From::PkgConfig => push(if macos {
                "brew --prefix   # expect /opt/homebrew; an x86_64 Homebrew in /usr/local gives an x86_64 pkg-config".to_owned()
            } else {
                "pkg-config --variable pc_path pkg-config".to_owned()
            }),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PkgConfig {
    /// Where `which` found it.
    path: String,
    /// The resolved binary.
    real: String,
    /// Its header, when it could be read.
    header: Option<BinaryInfo>,
    pc_path: Answer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    goarch: String,
    /// `(name, value, set in the environment)` of the four CGO_*FLAGS from `go env -json`.
    go_flags: Vec<(String, String, bool)>,
    /// `(name, value)` of the C environment variables that are set.
    c_env: Vec<(String, String)>,
    pkg_config: Option<PkgConfig>,
    native: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    macos: bool,
    go: Result<Seen, NoGoEnv>,
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let macos = facts.os.as_str() == "macos";
    let go = go_env(&facts).map(|env| {
        let go_flags = GO_FLAGS
            .iter()
            .map(|k| {
                let in_env = ctx.env(k).is_some_and(|v| !v.is_empty());
                (k.to_string(), env.get(k), in_env)
            })
            .collect();
        let c_env = C_ENV
            .iter()
            .filter_map(|k| ctx.env(k).map(|v| (k.to_string(), v)))
            .collect();
        let pkg_config = ctx.which("pkg-config").map(|pc| {
            let real = ctx
                .file_info(&pc)
                .ok()
                .and_then(|i| i.canonical.into_option().map(String::from))
                .unwrap_or_else(|| pc.clone());
            let header = ctx
                .read_file_prefix(&real, HEADER_PREFIX)
                .ok()
                .map(|b| parse_header(&b));
            let cmd = Command::new([pc.as_str(), "--variable", "pc_path", "pkg-config"])
                .timeout(Duration::from_secs(10));
            PkgConfig {
                pc_path: answer(ctx.exec(&cmd)),
                path: pc,
                real,
                header,
            }
        });
        Seen {
            goarch: env.get("GOARCH"),
            go_flags,
            c_env,
            pkg_config,
            native: native_arch(ctx, &facts),
        }
    });
    Observations { macos, go }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let s = match &obs.go {
        Ok(s) => s,
        Err(e) => return vec![e.finding()],
    };
    let macos = obs.macos;
    let goarch = &s.goarch;
    let mut hits = Vec::new();
    let mut seen = Vec::new();
    let mut culprits: Vec<(String, From)> = Vec::new();
    for (key, v, in_env) in &s.go_flags {
        let from = if *in_env {
            From::Environment
        } else {
            From::GoEnvFile
        };
        seen.push((
            key.clone(),
            v.clone(),
            if *in_env {
                "go env -json (set in the environment)"
            } else {
                "go env -json (go env file or default)"
            }
            .to_owned(),
        ));
        for p in foreign_paths(v, goarch, macos) {
            hits.push(format!("{key}: {p}"));
            culprits.push((key.clone(), from));
        }
    }
    for (key, v) in &s.c_env {
        seen.push((key.clone(), v.clone(), "environment".to_owned()));
        for p in foreign_paths(v, goarch, macos) {
            hits.push(format!("{key}: {p}"));
            culprits.push((key.clone(), From::Environment));
        }
    }
    // pkg-config itself: an Intel Homebrew pkg-config searches /usr/local by default, and an
    // x86_64 binary means the whole Homebrew it came from is x86_64.
    if let Some(pc) = &s.pkg_config {
        if let Some(header) = &pc.header {
            let arches = header.arches();
            seen.push((
                "pkg-config".to_owned(),
                format!("{} ({})", pc.real, header.describe()),
                "which pkg-config, header".to_owned(),
            ));
            if !arches.is_empty() && !arches.contains(goarch) && *goarch == s.native {
                hits.push(format!("pkg-config {} is {}", pc.real, header.describe()));
                culprits.push(("pkg-config".to_owned(), From::PkgConfig));
            }
        }
        if let Ok(o) = &pc.pc_path {
            if o.success {
                let v = o.stdout.trim().to_owned();
                for p in foreign_paths(&v, goarch, macos) {
                    hits.push(format!("pkg-config default path: {p}"));
                    culprits.push(("pkg-config".to_owned(), From::PkgConfig));
                }
                seen.push((
                    "pkg-config pc_path".to_owned(),
                    v,
                    format!("{} --variable pc_path pkg-config", pc.path),
                ));
            }
        }
    }
    let mut f = if hits.is_empty() {
        Finding::pass(format!(
            "no foreign-architecture include/library paths in the cgo flags for GOARCH={goarch}"
        ))
    } else {
        Finding::warn(format!("cgo flags point at {} for an {goarch} build: {}", if macos { "/usr/local (Intel Homebrew)" } else { "another architecture's multiarch directories" }, hits.join("; ")))
            .detail(if macos {
                "On Apple Silicon /usr/local is where an x86_64 (Intel) Homebrew lives; its headers and libraries are x86_64, so an arm64 cgo link fails with \"ignoring file … building for macOS-arm64 but attempting to link with file built for macOS-x86_64\", or picks up mismatched headers."
            } else {
                "Headers or libraries for another architecture make the C part of a cgo build fail to link or mismatch the Go part."
            })
            .remediation(
                if macos {
                    "Remove them (then point the flags at the native arm64 Homebrew prefix \
                     /opt/homebrew if you need its libraries):"
                } else {
                    "Remove them (set them again only with this architecture's directories):"
                },
                fix_commands(&culprits, macos),
            )
    };
    for (k, v, src) in seen {
        f = f.evidence(k, v, src);
    }
    vec![f.evidence("GOARCH", goarch, "go env GOARCH")]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ok;
    use gohost_plugin_api::Status;

    fn seen(goarch: &str, cflags: (&str, bool), c_env: Vec<(&str, &str)>) -> Seen {
        Seen {
            goarch: goarch.into(),
            go_flags: GO_FLAGS
                .iter()
                .map(|k| {
                    if *k == "CGO_CFLAGS" {
                        (k.to_string(), cflags.0.to_owned(), cflags.1)
                    } else {
                        (k.to_string(), "-O2 -g".to_owned(), false)
                    }
                })
                .collect(),
            c_env: c_env
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            pkg_config: None,
            native: goarch.into(),
        }
    }

    /// Data → findings; each fix removes exactly the setting where it was found (issue 13
    /// section 4: the printed commands are run verbatim in the e2e round-trips).
    #[test]
    fn table() {
        let arm = "-I/usr/include/aarch64-linux-gnu";
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, Vec<&str>)> = vec![
            ("clean", Observations { macos: false, go: Ok(seen("amd64", ("-O2 -g", false), vec![])) }, Status::Pass, vec![]),
            ("file cflags", Observations { macos: false, go: Ok(seen("amd64", (arm, false), vec![])) }, Status::Warn, vec!["go env -u CGO_CFLAGS"]),
            ("env cflags", Observations { macos: false, go: Ok(seen("amd64", (arm, true), vec![])) }, Status::Warn, vec!["unset CGO_CFLAGS"]),
            ("env pkg-config path", Observations { macos: false, go: Ok(seen("amd64", ("-O2 -g", false), vec![("PKG_CONFIG_PATH", "/usr/lib/aarch64-linux-gnu/pkgconfig")])) }, Status::Warn, vec!["unset PKG_CONFIG_PATH"]),
            ("mac /usr/local", Observations { macos: true, go: Ok(seen("arm64", ("-I/usr/local/include", false), vec![("LIBRARY_PATH", "/usr/local/lib")])) }, Status::Warn, vec!["go env -u CGO_CFLAGS", "unset LIBRARY_PATH"]),
            ("mac amd64 build", Observations { macos: true, go: Ok(seen("amd64", ("-I/usr/local/include", false), vec![])) }, Status::Pass, vec![]),
            ("no go", Observations { macos: true, go: Err(NoGoEnv::NoGo) }, Status::Skip, vec![]),
        ];
        for (name, o, status, fix) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            let cmds: Vec<String> = f[0]
                .remediation
                .as_ref()
                .into_option()
                .map(|r| r.commands.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default();
            assert_eq!(cmds, fix, "{name}");
        }
        // A pkg-config whose pc_path was not recorded adds nothing (no claim from absence).
        let mut s = seen("amd64", ("-O2 -g", false), vec![]);
        s.pkg_config = Some(PkgConfig {
            path: "/usr/bin/pkg-config".into(),
            real: "/usr/bin/pkg-config".into(),
            header: None,
            pc_path: crate::probe::missing(gohost_plugin_api::ProbeErrorKind::NotRecorded),
        });
        let f = judge(&Observations {
            macos: false,
            go: Ok(s.clone()),
        });
        assert_eq!(f[0].status, Status::Pass);
        s.pkg_config = Some(PkgConfig {
            pc_path: ok("/usr/lib/aarch64-linux-gnu/pkgconfig\n"),
            ..s.pkg_config.clone().expect("pc")
        });
        assert_eq!(
            judge(&Observations {
                macos: false,
                go: Ok(s)
            })[0]
                .status,
            Status::Warn
        );
    }
}

//! `cgo.flags-leak`: include/library paths of another architecture in the cgo flags, the C
//! environment variables or pkg-config (Intel Homebrew's /usr/local on Apple Silicon, a
//! foreign multiarch directory on Linux).

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

use crate::binary::{parse_header, BinaryInfo, HEADER_PREFIX};
use crate::goenv::{go_env, native_arch, NoGoEnv};
use crate::probe::{answer, Answer};

inventory::submit! { Check {
    id: "cgo.flags-leak",
    title: "No foreign-architecture paths in cgo flags",
    explain: "Looks at CGO_CFLAGS/CPPFLAGS/CXXFLAGS/LDFLAGS, PKG_CONFIG_PATH, CPATH, C_INCLUDE_PATH, LIBRARY_PATH, and pkg-config itself (its binary's architecture and its default pc_path) for paths of another architecture: on Apple Silicon /usr/local (Intel Homebrew, x86_64 libraries) in an arm64 build; on Linux another architecture's multiarch directory (/usr/lib/aarch64-linux-gnu in an amd64 build, and the reverse).",
    tags: &["cgo"],
    needs: Needs::NONE,
    run,
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
    /// `(name, value)` of the four CGO_*FLAGS from `go env -json`.
    go_flags: Vec<(String, String)>,
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

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let macos = facts.os.as_str() == "macos";
    let go = go_env(&facts).map(|env| {
        let go_flags = GO_FLAGS
            .iter()
            .map(|k| (k.to_string(), env.get(k)))
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
    for (key, v) in &s.go_flags {
        seen.push((key.clone(), v.clone(), "go env -json".to_owned()));
        for p in foreign_paths(v, goarch, macos) {
            hits.push(format!("{key}: {p}"));
        }
    }
    for (key, v) in &s.c_env {
        seen.push((key.clone(), v.clone(), "environment".to_owned()));
        for p in foreign_paths(v, goarch, macos) {
            hits.push(format!("{key}: {p}"));
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
            }
        }
        if let Ok(o) = &pc.pc_path {
            if o.success {
                let v = o.stdout.trim().to_owned();
                for p in foreign_paths(&v, goarch, macos) {
                    hits.push(format!("pkg-config default path: {p}"));
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
                "Point the flags at the native prefix (or remove them):",
                if macos {
                    vec!["go env -u CGO_CFLAGS CGO_LDFLAGS CGO_CPPFLAGS CGO_CXXFLAGS".to_owned(), "export PKG_CONFIG_PATH=/opt/homebrew/lib/pkgconfig".to_owned(), "export CGO_CFLAGS=\"-I/opt/homebrew/include\" CGO_LDFLAGS=\"-L/opt/homebrew/lib\"".to_owned()]
                } else {
                    vec!["go env -u CGO_CFLAGS CGO_LDFLAGS CGO_CPPFLAGS CGO_CXXFLAGS".to_owned(), "unset PKG_CONFIG_PATH CPATH LIBRARY_PATH".to_owned()]
                },
            )
    };
    for (k, v, src) in seen {
        f = f.evidence(k, v, src);
    }
    vec![f.evidence("GOARCH", goarch, "go env GOARCH")]
}

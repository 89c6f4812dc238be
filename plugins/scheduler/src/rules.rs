//! The GOMAXPROCS a Go program gets here, mirroring Go's runtime rules (pure: no I/O).
//!
//! Go's rules (go1.27.3 src): `GOMAXPROCS` from the environment wins when it is a positive
//! integer (runtime/proc.go `procresize` caller); otherwise the CPU count (`hw.ncpu` on darwin,
//! runtime/os_darwin.go; the sched_getaffinity set on Linux). Since Go 1.25 on Linux that is
//! lowered to the cgroup CPU limit of the process's own cgroup, rounded up and at least 2
//! (runtime/cgroup_linux.go `adjustCgroupGOMAXPROCS`); a v1 hierarchy with the `cpu` controller
//! is preferred over v2 (internal/runtime/cgroup/cgroup.go). `containermaxprocs` is a GODEBUG
//! setting with `Changed: 25, Old: "0"` (internal/godebugs/table.go), so whether a program has
//! the container rule depends on the GODEBUG defaults the go command compiled into it, which
//! follow the main module's `go` line, its go.mod/go.work `godebug` lines and `//go:debug`
//! directives (cmd/go/internal/load/godebug.go `defaultGODEBUG`; FACTS.md), and the
//! environment's GODEBUG at run time wins over them (runtime/runtime1.go `parsedebugvars`
//! applies `godebugDefault`, then the environment).

/// A cgroup CPU bandwidth limit, as Go reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupLimit {
    /// 1 or 2.
    pub version: u8,
    /// The cgroup directory of this process for the CPU controller.
    pub dir: String,
    /// quota/period in CPUs; None = no limit (`max` / `-1`).
    pub cpus: Option<f64>,
    /// The raw text read, for evidence.
    pub raw: String,
    /// The file(s) read.
    pub source: String,
}

/// What GOMAXPROCS will be and why. `value` is None when it depends on something gohost could
/// not tell (then `reason` names both candidates and what decides between them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    pub value: Option<u32>,
    pub reason: String,
}

/// Where a program built here takes its default GODEBUG settings from, as the go command
/// decides it (cmd/go/internal/load/godebug.go `defaultGODEBUGGoVersion`,
/// cmd/go/internal/modload/init.go `MainModuleSet.GoVersion`).
#[derive(Debug, Clone, PartialEq)]
pub enum MainModule {
    /// `go env GOMOD` is empty: GOPATH mode, whose defaults are Go 1.20's.
    GopathMode,
    /// `go env GOMOD` is /dev/null: no main module (`go run x.go`), the toolchain's own version.
    NoModule,
    /// The go.mod (or go.work, in workspace mode) that decides, with its text.
    File { path: String, text: String },
    /// Could not tell, and why.
    Unknown(String),
}

/// A go.mod/go.work `go` line as (major, minor), and its `godebug` key=value settings in order.
pub type ModSettings = (Option<(u32, u32)>, Vec<(String, String)>);

/// The `go` line and the `godebug` settings of a go.mod or go.work text (line or block form).
pub fn mod_file_settings(text: &str) -> ModSettings {
    let mut go = None;
    let mut godebug = Vec::new();
    let mut in_block = false;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if in_block {
            if line == ")" {
                in_block = false;
            } else if let Some((k, v)) = line.split_once('=') {
                godebug.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            continue;
        }
        let mut words = line.split_whitespace();
        match words.next() {
            Some("go") => {
                go = words
                    .next()
                    .and_then(gohost_plugin_api::GoVersion::parse)
                    .map(|v| (v.major, v.minor));
            }
            Some("godebug") => {
                let rest: String = words.collect::<Vec<_>>().join(" ");
                if rest == "(" {
                    in_block = true;
                } else if let Some((k, v)) = rest.split_once('=') {
                    godebug.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            _ => {}
        }
    }
    (go, godebug)
}

/// The last `containermaxprocs=` in a GODEBUG list.
fn godebug_setting(godebug: &str) -> Option<String> {
    godebug
        .split(',')
        .filter_map(|kv| kv.trim().split_once('='))
        .rfind(|(k, _)| *k == "containermaxprocs")
        .map(|(_, v)| v.to_owned())
}

/// Whether a program built and started here has Go 1.25's container-aware GOMAXPROCS, and why;
/// Err(why) when gohost cannot tell.
pub fn container_rule(
    os: &str,
    toolchain: Option<(u32, u32)>,
    env_godebug: Option<&str>,
    module: &MainModule,
) -> Result<(bool, String), String> {
    if os != "linux" {
        return Ok((false, "the cgroup rule exists on Linux only".to_owned()));
    }
    let Some(toolchain) = toolchain else {
        return Err("the Go version is unknown (no `go version` answer)".to_owned());
    };
    if toolchain < (1, 25) {
        return Ok((
            false,
            format!(
                "go{}.{} predates the container-aware default (Go 1.25)",
                toolchain.0, toolchain.1
            ),
        ));
    }
    if let Some(v) = env_godebug.and_then(godebug_setting) {
        return Ok((
            v != "0",
            format!("GODEBUG=containermaxprocs={v} in the environment"),
        ));
    }
    // A `//go:debug containermaxprocs=…` line in the main package would override what follows;
    // gohost does not read package sources, so every reason below says so.
    let caveat = "unless the main package has a //go:debug containermaxprocs line";
    let (lang, from) = match module {
        MainModule::Unknown(why) => return Err(why.clone()),
        MainModule::GopathMode => (
            (1, 20),
            "GOPATH mode (go env GOMOD is empty) uses Go 1.20's defaults".to_owned(),
        ),
        MainModule::NoModule => (
            toolchain,
            format!(
                "outside a module the defaults are the toolchain's (go{}.{})",
                toolchain.0, toolchain.1
            ),
        ),
        MainModule::File { path, text } => {
            let (go, godebug) = mod_file_settings(text);
            if let Some((_, v)) = godebug.iter().rfind(|(k, _)| k == "containermaxprocs") {
                return Ok((
                    v != "0",
                    format!("{path} says godebug containermaxprocs={v} ({caveat})"),
                ));
            }
            let default = godebug
                .iter()
                .rfind(|(k, _)| k == "default")
                .and_then(|(_, v)| gohost_plugin_api::GoVersion::parse(v))
                .map(|v| (v.major, v.minor));
            match (default, go) {
                (Some(d), _) => (d, format!("{path} says godebug default=go{}.{}", d.0, d.1)),
                (None, Some(g)) => (g, format!("{path} says go {}.{}", g.0, g.1)),
                // A go.mod without a go line counts as go 1.16 (cmd/go/internal/gover
                // DefaultGoModVersion).
                (None, None) => (
                    (1, 16),
                    format!("{path} has no go line (counts as go 1.16)"),
                ),
            }
        }
    };
    if lang < (1, 25) {
        Ok((
            false,
            format!("{from}: below 1.25 containermaxprocs defaults to 0 ({caveat})"),
        ))
    } else {
        Ok((true, format!("{from} ({caveat})")))
    }
}

/// Parse `GOMAXPROCS` the way the runtime does: a positive integer, else ignored.
fn env_gomaxprocs(value: Option<&str>) -> Option<u32> {
    value
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|n| *n > 0)
        .and_then(|n| u32::try_from(n).ok())
}

/// Predict the default GOMAXPROCS.
///
/// `rule` is [`container_rule`]'s answer; `cpus` the CPU count the runtime starts from; `limit`
/// the cgroup limit in CPUs (Linux only).
pub fn predict(
    os: &str,
    env: Option<&str>,
    rule: &Result<(bool, String), String>,
    cpus: u32,
    limit: Option<f64>,
) -> Prediction {
    if let Some(n) = env_gomaxprocs(env) {
        return Prediction {
            value: Some(n),
            reason: "set by the GOMAXPROCS environment variable".to_owned(),
        };
    }
    let base = if os == "macos" {
        "hw.ncpu"
    } else {
        "the CPUs in this process's affinity mask"
    };
    let Some(limit) = limit else {
        return Prediction {
            value: Some(cpus),
            reason: base.to_owned(),
        };
    };
    let capped = (limit.ceil().max(2.0)) as u32;
    if capped >= cpus {
        return Prediction {
            value: Some(cpus),
            reason: format!("{base}; the cgroup CPU limit {limit} is not lower"),
        };
    }
    match rule {
        Ok((true, why)) => Prediction {
            value: Some(capped),
            reason: format!(
                "the cgroup CPU limit {limit} rounded up (at least 2), below {cpus} = {base}; container-aware because {why}"
            ),
        },
        Ok((false, why)) => Prediction {
            value: Some(cpus),
            reason: format!("{base}; the cgroup CPU limit is ignored because {why}"),
        },
        Err(why) => Prediction {
            value: None,
            reason: format!(
                "{capped} with Go 1.25's container-aware default, {cpus} ({base}) without it; could not tell which: {why}"
            ),
        },
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // a table of (input, expected) rows
mod tests {
    use super::*;

    #[test]
    fn mod_file_table() {
        let rows: Vec<(&str, Option<(u32, u32)>, Vec<(&str, &str)>)> = vec![
            ("module a\n\ngo 1.22\n", Some((1, 22)), vec![]),
            ("module a\ngo 1.25.0 // a comment\n", Some((1, 25)), vec![]),
            (
                "module a\ngodebug containermaxprocs=1\n",
                None,
                vec![("containermaxprocs", "1")],
            ),
            (
                "go 1.27\ngodebug (\n\tdefault=go1.21\n\tcontainermaxprocs=0 // off\n)\n",
                Some((1, 27)),
                vec![("default", "go1.21"), ("containermaxprocs", "0")],
            ),
        ];
        assert_eq!(rows.len(), 4);
        for (text, go, godebug) in rows {
            let (g, d) = mod_file_settings(text);
            assert_eq!(g, go, "{text}");
            let d: Vec<(&str, &str)> = d.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(d, godebug, "{text}");
        }
    }

    /// Go src internal/godebugs/table.go (containermaxprocs Changed 25, Old "0"),
    /// cmd/go/internal/load/godebug.go, runtime/runtime1.go (environment wins).
    #[test]
    fn container_rule_table() {
        let file = |t: &str| MainModule::File {
            path: "/m/go.mod".into(),
            text: t.into(),
        };
        let rows: Vec<(
            &str,
            Option<(u32, u32)>,
            Option<&str>,
            MainModule,
            Option<bool>,
        )> = vec![
            ("macos", Some((1, 27)), None, file("go 1.27"), Some(false)),
            ("linux", None, None, file("go 1.27"), None),
            (
                "linux",
                Some((1, 24)),
                Some("containermaxprocs=1"),
                file("go 1.27"),
                Some(false),
            ),
            (
                "linux",
                Some((1, 27)),
                Some("x=1,containermaxprocs=0"),
                file("go 1.27"),
                Some(false),
            ),
            (
                "linux",
                Some((1, 27)),
                Some("containermaxprocs=1"),
                file("go 1.22"),
                Some(true),
            ),
            ("linux", Some((1, 27)), None, file("go 1.27"), Some(true)),
            ("linux", Some((1, 27)), None, file("go 1.24"), Some(false)),
            (
                "linux",
                Some((1, 27)),
                None,
                MainModule::GopathMode,
                Some(false),
            ),
            (
                "linux",
                Some((1, 27)),
                None,
                MainModule::NoModule,
                Some(true),
            ),
            (
                "linux",
                Some((1, 27)),
                None,
                MainModule::Unknown("not recorded".into()),
                None,
            ),
            (
                "linux",
                Some((1, 24)),
                None,
                MainModule::Unknown("not recorded".into()),
                Some(false),
            ),
        ];
        assert_eq!(rows.len(), 11);
        for (os, go, godebug, module, want) in rows {
            let got = container_rule(os, go, godebug, &module).ok().map(|r| r.0);
            assert_eq!(got, want, "{os} {go:?} {godebug:?} {module:?}");
        }
    }
}

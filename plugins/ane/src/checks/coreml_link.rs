//! `ane.coreml-link`: a real cgo build that links Core ML (macOS, `--deep`), split into
//! `gather` (the build and run, through the host context) and a pure `judge`.

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

inventory::submit! { Check { id: "ane.coreml-link", title: "A cgo program links Core ML", tags: &["hardware", "cgo", "slow"], needs: Needs { network: false, root: false, slow: true }, run,
explain: "macOS with --deep: builds a tiny cgo program with `-framework CoreML` for this Mac's architecture (needs Go and the Xcode Command Line Tools), checks the output is a Mach-O of that architecture, runs it and checks that the Objective-C class MLModel is loadable. Nothing is downloaded and no model runs. Elsewhere: skip (Core ML is macOS-only)." } }

const MAIN_GO: &str = r#"package main

/*
#cgo LDFLAGS: -framework CoreML -framework Foundation -lobjc
#include <objc/runtime.h>
static int has_mlmodel(void) { return objc_getClass("MLModel") != 0; }
*/
import "C"

import "fmt"

func main() { fmt.Printf("MLModel=%d\n", int(C.has_mlmodel())) }
"#;

const GO_MOD: &str = "module gohost.invalid/coremlprobe\n\ngo 1.21\n";

/// Mach-O 64-bit magic and the CPU type of `goarch`, as the file's first 8 bytes.
pub fn macho_header_matches(header: &[u8], goarch: &str) -> bool {
    let cputype: u32 = match goarch {
        "arm64" => 0x0100_000c,
        "amd64" => 0x0100_0007,
        _ => return false,
    };
    header.len() >= 8
        && header[..4] == 0xfeed_facf_u32.to_le_bytes()
        && header[4..8] == cputype.to_le_bytes()
}

/// A command that ran (or could not be run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    /// It ran: success, exit description, stdout, stderr.
    Done {
        success: bool,
        exit: String,
        stdout: String,
        stderr: String,
    },
    /// It could not be started (or was not recorded): why.
    NotRun(String),
}

impl Ran {
    fn from(r: gohost_plugin_api::ProbeResult<gohost_plugin_api::Output>) -> Ran {
        match r {
            Ok(o) => Ran::Done {
                success: o.success(),
                exit: o.describe_exit(),
                stdout: o.stdout.trim().to_owned(),
                stderr: o.stderr.trim().to_owned(),
            },
            Err(e) => Ran::NotRun(e.to_string()),
        }
    }
}

/// How far the probe got, and what each step answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    NotMac {
        os: String,
    },
    NoGo,
    /// `xcrun --show-sdk-path` did not succeed.
    NoSdk(Ran),
    TempDir(String),
    Write {
        name: String,
        error: String,
    },
    /// `go build` ran (or not); the rest only when it succeeded.
    Build {
        build: Ran,
        binary: String,
        header: Option<Vec<u8>>,
        run: Option<Ran>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observations {
    /// The GOARCH the probe is built for.
    pub goarch: &'static str,
    pub stage: Stage,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![judge(&gather(ctx))]
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let goarch = if facts.machine.as_str() == "arm64" || facts.process_arch.as_str() == "aarch64" {
        "arm64"
    } else {
        "amd64"
    };
    let obs = |stage| Observations { goarch, stage };
    if facts.os.as_str() != "macos" {
        return obs(Stage::NotMac {
            os: facts.os.to_string(),
        });
    }
    let Some(go) = facts.go.clone().into_option() else {
        return obs(Stage::NoGo);
    };
    let go_path = go.path.to_string();
    let sdk = Ran::from(
        ctx.exec(&Command::new(["xcrun", "--show-sdk-path"]).timeout(Duration::from_secs(20))),
    );
    if !matches!(sdk, Ran::Done { success: true, .. }) {
        return obs(Stage::NoSdk(sdk));
    }
    let dir = match ctx.make_temp_dir() {
        Ok(d) => d,
        Err(e) => return obs(Stage::TempDir(e.to_string())),
    };
    for (name, text) in [("main.go", MAIN_GO), ("go.mod", GO_MOD)] {
        if let Err(e) = ctx.write_file(&format!("{dir}/{name}"), text.as_bytes()) {
            return obs(Stage::Write {
                name: name.to_owned(),
                error: e.to_string(),
            });
        }
    }
    let build = Command::new([go_path.as_str(), "build", "-o", "coremlprobe", "."])
        .cwd(&dir)
        .env("CGO_ENABLED", "1")
        .env("GOOS", "darwin")
        .env("GOARCH", goarch)
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .timeout(Duration::from_secs(180));
    let build = Ran::from(ctx.exec(&build));
    let binary = format!("{dir}/coremlprobe");
    let (header, run) = if matches!(build, Ran::Done { success: true, .. }) {
        let header = ctx.read_file_prefix(&binary, 8).ok();
        let run = header
            .as_deref()
            .is_some_and(|h| macho_header_matches(h, goarch))
            .then(|| {
                Ran::from(
                    ctx.exec(&Command::new([binary.as_str()]).timeout(Duration::from_secs(20))),
                )
            });
        (header, run)
    } else {
        (None, None)
    };
    obs(Stage::Build {
        build,
        binary,
        header,
        run,
    })
}

pub fn judge(obs: &Observations) -> Finding {
    let goarch = obs.goarch;
    let cmdline = format!("CGO_ENABLED=1 GOOS=darwin GOARCH={goarch} go build -o coremlprobe .");
    let (build, binary, header, run) = match &obs.stage {
        Stage::NotMac { os } => {
            return Finding::skip("Core ML exists only on macOS").detail(format!(
                "This is {os}; there is no Core ML framework to link."
            ))
        }
        Stage::NoGo => {
            return Finding::skip("No `go` on PATH: cannot build the Core ML probe")
                .remediation("Install Go, then re-run:", ["gohost run ane --deep"])
        }
        Stage::NoSdk(Ran::Done { exit, stderr, .. }) => {
            return Finding::skip("No macOS SDK (Xcode Command Line Tools): cannot link Core ML")
                .detail(format!(
                    "`xcrun --show-sdk-path` ended with {exit}: {stderr}"
                ))
                .remediation(
                    "Install the Command Line Tools:",
                    ["xcode-select --install"],
                )
        }
        Stage::NoSdk(Ran::NotRun(e)) => {
            return Finding::skip("No xcrun: cannot link Core ML")
                .detail(e.clone())
                .remediation(
                    "Install the Command Line Tools:",
                    ["xcode-select --install"],
                )
        }
        Stage::TempDir(e) => {
            return Finding::error("Could not create a temporary directory").detail(e.clone())
        }
        Stage::Write { name, error } => {
            return Finding::error(format!("Could not write {name}")).detail(error.clone())
        }
        Stage::Build {
            build,
            binary,
            header,
            run,
        } => (build, binary, header, run),
    };
    match build {
        Ran::NotRun(e) => return Finding::error("Could not run go build").detail(e.clone()),
        Ran::Done {
            success: false,
            exit,
            stderr,
            ..
        } => {
            return Finding::fail("A cgo program linking Core ML does not build")
                .detail(format!("`{cmdline}` ended with {exit}:\n{stderr}"))
                .evidence("command", &cmdline, "ane.coreml-link")
                .remediation(
                    "Check the C toolchain (see the cgo plugin) and the SDK:",
                    ["xcrun --show-sdk-path", "gohost run cgo"],
                )
        }
        Ran::Done { success: true, .. } => {}
    }
    let header = header.clone().unwrap_or_default();
    if !macho_header_matches(&header, goarch) {
        return Finding::fail(format!("The probe is not a {goarch} Mach-O"))
            .detail(format!("First bytes: {header:02x?}"))
            .evidence("command", &cmdline, "ane.coreml-link");
    }
    let (success, exit, stdout, stderr) = match run {
        Some(Ran::Done {
            success,
            exit,
            stdout,
            stderr,
        }) => (*success, exit, stdout, stderr),
        Some(Ran::NotRun(e)) => return Finding::error("Could not run the probe").detail(e.clone()),
        None => return Finding::error("Could not run the probe"),
    };
    let found = stdout == "MLModel=1";
    let f = if success && found {
        Finding::pass(format!(
            "A cgo program links Core ML ({goarch} Mach-O) and finds MLModel"
        ))
    } else {
        Finding::fail("The Core ML probe built but MLModel was not found at run time")
            .detail(format!("It ended with {exit}: {stdout} {stderr}"))
    };
    f.evidence("command", &cmdline, "ane.coreml-link")
        .evidence("probe output", stdout, binary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macho_headers() {
        let arm = [0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01];
        assert!(macho_header_matches(&arm, "arm64"));
        assert!(!macho_header_matches(&arm, "amd64"));
        assert!(!macho_header_matches(b"\x7fELF\x02\x01\x01\x00", "arm64"));
        assert!(!macho_header_matches(&arm[..4], "arm64"));
    }
}

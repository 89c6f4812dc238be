//! `ane.coreml-link`: a real cgo build that links Core ML (macOS, `--deep`), split into
//! `gather` (the build and run, through the host context) and a pure `judge`.

use std::time::Duration;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Facts, Finding, Needs, Translation};

inventory::submit! { Check { id: "ane.coreml-link", title: "A cgo program links Core ML", tags: &["hardware", "cgo", "slow"], needs: Needs { network: false, root: false, slow: true }, run: |ctx| vec![judge(&gather(ctx))],
explain: "macOS with --deep: builds a tiny cgo program with `-framework CoreML` for this Mac's native architecture (arm64 on Apple Silicon, also when gohost itself runs under Rosetta; amd64 on Intel) (needs Go and the Xcode Command Line Tools), checks the output is a Mach-O of that architecture, runs it and checks that the Objective-C class MLModel is loadable. Nothing is downloaded and no model runs. Elsewhere: skip (Core ML is macOS-only)." } }

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
    /// The Mac's native architecture could not be told (translation unknown).
    NoNativeArch {
        why: String,
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
    /// The GOARCH the probe is built for: the Mac's native one.
    pub goarch: &'static str,
    /// Why that GOARCH (evidence).
    pub why_goarch: String,
    pub stage: Stage,
}

/// The Mac's native GOARCH. Under Rosetta gohost is x86_64 and `uname -m` says x86_64 (FACTS.md),
/// but the machine is Apple Silicon (`sysctl.proc_translated` exists only there), so the probe
/// is built for arm64: the go command passes `-arch arm64` to clang for GOARCH=arm64
/// (gccArchArgs in cmd/go/internal/work/exec.go, go1.27.3), and an arm64 program started from a
/// translated process runs natively.
pub fn native_goarch(facts: &Facts) -> Result<(&'static str, String), String> {
    let machine = facts.machine.as_str();
    match facts.translation {
        Translation::Rosetta => Ok((
            "arm64",
            format!(
                "Apple Silicon: gohost runs under Rosetta ({})",
                facts.translation_evidence
            ),
        )),
        _ if machine == "arm64" || facts.process_arch.as_str() == "aarch64" => {
            Ok(("arm64", format!("uname -m: {machine}")))
        }
        Translation::Native if machine == "x86_64" => Ok((
            "amd64",
            format!("Intel Mac: uname -m {machine}, not translated"),
        )),
        _ => Err(format!(
            "uname -m says {machine:?} and whether gohost is translated is {:?} ({})",
            facts.translation, facts.translation_evidence
        )),
    }
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    if facts.os.as_str() != "macos" {
        return Observations {
            goarch: "",
            why_goarch: String::new(),
            stage: Stage::NotMac {
                os: facts.os.to_string(),
            },
        };
    }
    let (goarch, why_goarch) = match native_goarch(&facts) {
        Ok(g) => g,
        Err(why) => {
            return Observations {
                goarch: "",
                why_goarch: String::new(),
                stage: Stage::NoNativeArch { why },
            }
        }
    };
    let obs = |stage| Observations {
        goarch,
        why_goarch: why_goarch.clone(),
        stage,
    };
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
        Stage::NoNativeArch { why } => {
            return Finding::skip(
                "Could not tell this Mac's native architecture: Core ML probe not built",
            )
            .detail(format!(
                "{why}. gohost builds the probe only for the machine's native architecture."
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
        return Finding::fail(format!("The probe is not an {goarch} Mach-O"))
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
        .evidence("GOARCH", goarch, &obs.why_goarch)
        .evidence("probe output", stdout, binary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::testing::TestContext;
    use gohost_plugin_api::Status;

    #[test]
    fn macho_headers() {
        let arm = [0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01];
        assert!(macho_header_matches(&arm, "arm64"));
        assert!(!macho_header_matches(&arm, "amd64"));
        assert!(!macho_header_matches(b"\x7fELF\x02\x01\x01\x00", "arm64"));
        assert!(!macho_header_matches(&arm[..4], "arm64"));
    }

    fn facts(machine: &str, process: &str, translation: Translation) -> Facts {
        let mut f = TestContext::linux_facts();
        f.os = "macos".into();
        f.machine = machine.into();
        f.process_arch = process.into();
        f.translation = translation;
        f
    }

    /// Under Rosetta `uname -m` is x86_64 (FACTS.md) but the Mac is Apple Silicon: the probe
    /// must be built for arm64 (the old code built amd64 there). An unknown translation on an
    /// x86_64 kernel is "could not tell".
    #[test]
    fn native_goarch_table() {
        let rows = [
            (
                facts("x86_64", "x86_64", Translation::Rosetta),
                Some("arm64"),
            ),
            (
                facts("arm64", "aarch64", Translation::Native),
                Some("arm64"),
            ),
            (
                facts("x86_64", "x86_64", Translation::Native),
                Some("amd64"),
            ),
            (facts("x86_64", "x86_64", Translation::Unknown), None),
            (facts("unknown", "x86_64", Translation::Native), None),
        ];
        assert_eq!(rows.len(), 5);
        for (f, want) in &rows {
            assert_eq!(native_goarch(f).ok().map(|(g, _)| g), *want, "{f:?}");
        }
    }

    fn done(success: bool, stdout: &str) -> Ran {
        Ran::Done {
            success,
            exit: if success {
                "exit code 0"
            } else {
                "exit code 1"
            }
            .into(),
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    const ARM: [u8; 8] = [0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01];

    fn built(header: Option<&[u8]>, run: Option<Ran>) -> Stage {
        Stage::Build {
            build: done(true, ""),
            binary: "/tmp/x/coremlprobe".into(),
            header: header.map(<[u8]>::to_vec),
            run,
        }
    }

    #[test]
    fn judge_table() {
        let rows: Vec<(Stage, Status, &str)> = vec![
            (
                Stage::NotMac { os: "linux".into() },
                Status::Skip,
                "Core ML exists only on macOS",
            ),
            (
                Stage::NoNativeArch {
                    why: "unknown".into(),
                },
                Status::Skip,
                "Could not tell this Mac's native architecture: Core ML probe not built",
            ),
            (
                Stage::NoGo,
                Status::Skip,
                "No `go` on PATH: cannot build the Core ML probe",
            ),
            (
                Stage::NoSdk(done(false, "")),
                Status::Skip,
                "No macOS SDK (Xcode Command Line Tools): cannot link Core ML",
            ),
            (
                Stage::NoSdk(Ran::NotRun("not found".into())),
                Status::Skip,
                "No xcrun: cannot link Core ML",
            ),
            (
                Stage::Build {
                    build: done(false, ""),
                    binary: String::new(),
                    header: None,
                    run: None,
                },
                Status::Fail,
                "A cgo program linking Core ML does not build",
            ),
            (
                Stage::Build {
                    build: Ran::NotRun("not recorded".into()),
                    binary: String::new(),
                    header: None,
                    run: None,
                },
                Status::Error,
                "Could not run go build",
            ),
            // An unreadable output file is no Mach-O: the run is never attempted.
            (
                built(None, None),
                Status::Fail,
                "The probe is not an arm64 Mach-O",
            ),
            (
                built(Some(&ARM), Some(done(true, "MLModel=1"))),
                Status::Pass,
                "A cgo program links Core ML (arm64 Mach-O) and finds MLModel",
            ),
            (
                built(Some(&ARM), Some(done(true, "MLModel=0"))),
                Status::Fail,
                "The Core ML probe built but MLModel was not found at run time",
            ),
            (
                built(Some(&ARM), Some(Ran::NotRun("not recorded".into()))),
                Status::Error,
                "Could not run the probe",
            ),
        ];
        assert_eq!(rows.len(), 11);
        for (stage, status, title) in rows {
            let obs = Observations {
                goarch: "arm64",
                why_goarch: "test".into(),
                stage,
            };
            let f = judge(&obs);
            assert_eq!((f.status, f.title.as_str()), (status, title), "{obs:?}");
        }
    }
}

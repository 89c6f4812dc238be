//! `ane.coreml-link`: a real cgo build that links Core ML (macOS, `--deep`).

use std::time::Duration;

use gohost_plugin_api::{Command, Ctx, Finding};

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

pub fn check(ctx: &Ctx<'_>) -> Finding {
    let facts = ctx.facts();
    if facts.os.as_str() != "macos" {
        return Finding::skip("Core ML exists only on macOS").detail(format!(
            "This is {}; there is no Core ML framework to link.",
            facts.os
        ));
    }
    let goarch = if facts.machine.as_str() == "arm64" || facts.process_arch.as_str() == "aarch64" {
        "arm64"
    } else {
        "amd64"
    };
    let Some(go) = facts.go.clone().into_option() else {
        return Finding::skip("No `go` on PATH: cannot build the Core ML probe")
            .remediation("Install Go, then re-run:", ["gohost run ane --deep"]);
    };
    let go_path = go.path.to_string();
    match ctx.exec(&Command::new(["xcrun", "--show-sdk-path"]).timeout(Duration::from_secs(20))) {
        Ok(o) if o.success() => {}
        Ok(o) => {
            return Finding::skip("No macOS SDK (Xcode Command Line Tools): cannot link Core ML")
                .detail(format!(
                    "`xcrun --show-sdk-path` ended with {}: {}",
                    o.describe_exit(),
                    o.stderr.trim()
                ))
                .remediation(
                    "Install the Command Line Tools:",
                    ["xcode-select --install"],
                )
        }
        Err(e) => {
            return Finding::skip("No xcrun: cannot link Core ML")
                .detail(e.to_string())
                .remediation(
                    "Install the Command Line Tools:",
                    ["xcode-select --install"],
                )
        }
    }
    let dir = match ctx.make_temp_dir() {
        Ok(d) => d,
        Err(e) => {
            return Finding::error("Could not create a temporary directory").detail(e.to_string())
        }
    };
    for (name, text) in [("main.go", MAIN_GO), ("go.mod", GO_MOD)] {
        if let Err(e) = ctx.write_file(&format!("{dir}/{name}"), text.as_bytes()) {
            return Finding::error(format!("Could not write {name}")).detail(e.to_string());
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
    let cmdline = format!("CGO_ENABLED=1 GOOS=darwin GOARCH={goarch} go build -o coremlprobe .");
    let out = match ctx.exec(&build) {
        Ok(o) => o,
        Err(e) => return Finding::error("Could not run go build").detail(e.to_string()),
    };
    if !out.success() {
        return Finding::fail("A cgo program linking Core ML does not build")
            .detail(format!(
                "`{cmdline}` ended with {}:\n{}",
                out.describe_exit(),
                out.stderr.trim()
            ))
            .evidence("command", &cmdline, "ane.coreml-link")
            .remediation(
                "Check the C toolchain (see the cgo plugin) and the SDK:",
                ["xcrun --show-sdk-path", "gohost run cgo"],
            );
    }
    let binary = format!("{dir}/coremlprobe");
    let header = ctx.read_file_prefix(&binary, 8).unwrap_or_default();
    if !macho_header_matches(&header, goarch) {
        return Finding::fail(format!("The probe is not a {goarch} Mach-O"))
            .detail(format!("First bytes: {header:02x?}"))
            .evidence("command", &cmdline, "ane.coreml-link");
    }
    let run = match ctx.exec(&Command::new([binary.as_str()]).timeout(Duration::from_secs(20))) {
        Ok(o) => o,
        Err(e) => return Finding::error("Could not run the probe").detail(e.to_string()),
    };
    let found = run.stdout.trim() == "MLModel=1";
    let f = if run.success() && found {
        Finding::pass(format!(
            "A cgo program links Core ML ({goarch} Mach-O) and finds MLModel"
        ))
    } else {
        Finding::fail("The Core ML probe built but MLModel was not found at run time").detail(
            format!(
                "It ended with {}: {} {}",
                run.describe_exit(),
                run.stdout.trim(),
                run.stderr.trim()
            ),
        )
    };
    f.evidence("command", &cmdline, "ane.coreml-link").evidence(
        "probe output",
        run.stdout.trim(),
        &binary,
    )
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

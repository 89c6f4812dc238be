//! `arch.binfmt-emulation`: Linux binfmt_misc handlers through which foreign-architecture
//! programs start without error and run emulated (qemu-user, Rosetta for Linux).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, ProbeErrorKind};

use crate::probe::{is_emulator_path, is_linux, Host};

inventory::submit! { Check {
    id: "arch.binfmt-emulation",
    title: "Linux binfmt_misc emulation handlers",
    explain: "Linux: lists /proc/sys/fs/binfmt_misc handlers and flags enabled qemu-user or Rosetta-for-Linux interpreters, through which foreign-architecture binaries (such as an x86_64 go on arm64) start without error and run emulated. Skipped on macOS.",
    tags: &["arch", "linux"],
    needs: Needs::NONE,
    run,
} }

const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// The listing of [`BINFMT_DIR`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Listing {
    NotFound,
    Unreadable(String),
    /// Entry names and, per handler (not `register`/`status`), its text or why not read.
    Entries {
        names: Vec<String>,
        handlers: Vec<(String, Result<String, String>)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    /// None when not on Linux.
    listing: Option<Listing>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let host = Host::from_facts(&ctx.facts());
    if !is_linux(&host.os) {
        return Observations {
            host,
            listing: None,
        };
    }
    let listing = match ctx.read_dir(BINFMT_DIR) {
        Ok(entries) => {
            let names: Vec<String> = entries.iter().map(|e| e.name.to_string()).collect();
            let mut handlers: Vec<(String, Result<String, String>)> = Vec::new();
            if names.iter().any(|n| n == "status") {
                let mut hs: Vec<&String> = names
                    .iter()
                    .filter(|n| *n != "register" && *n != "status")
                    .collect();
                hs.sort();
                for name in hs {
                    let text = ctx
                        .read_to_string(&format!("{BINFMT_DIR}/{name}"))
                        .map_err(|e| e.to_string());
                    handlers.push((name.clone(), text));
                }
            }
            Listing::Entries { names, handlers }
        }
        Err(e) if e.kind == ProbeErrorKind::NotFound => Listing::NotFound,
        Err(e) => Listing::Unreadable(e.to_string()),
    };
    Observations {
        host,
        listing: Some(listing),
    }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(listing) = &obs.listing else {
        return vec![Finding::skip("binfmt_misc is a Linux kernel feature")];
    };
    let (names, handlers) = match listing {
        Listing::NotFound => {
            return vec![Finding::pass(
            "binfmt_misc is not mounted: foreign-architecture programs cannot run transparently",
        )
        .evidence(BINFMT_DIR, "not found", "readdir")]
        }
        Listing::Unreadable(e) => {
            return vec![Finding::skip("could not list binfmt_misc handlers").detail(e)]
        }
        Listing::Entries { names, handlers } => (names, handlers),
    };
    // A mounted binfmt_misc always has `register` and `status`; an empty directory is only
    // the mount point.
    if !names.iter().any(|n| n == "status") {
        return vec![Finding::pass(
            "binfmt_misc is not mounted: foreign-architecture programs cannot run transparently",
        )
        .evidence(BINFMT_DIR, "empty (not mounted)", "readdir")];
    }
    let listed: Vec<&str> = handlers.iter().map(|(n, _)| n.as_str()).collect();
    let mut emulators = Vec::new();
    let mut finding_evidence = Vec::new();
    for (name, text) in handlers {
        let Ok(text) = text else {
            continue;
        };
        let enabled = text.lines().next().map(str::trim) == Some("enabled");
        let interpreter = text
            .lines()
            .find_map(|l| l.strip_prefix("interpreter "))
            .unwrap_or("")
            .trim()
            .to_owned();
        let summary = format!(
            "{} interpreter {}",
            if enabled { "enabled" } else { "disabled" },
            if interpreter.is_empty() {
                "?"
            } else {
                &interpreter
            }
        );
        if enabled && (is_emulator_path(&interpreter) || is_emulator_path(name)) {
            emulators.push(format!("{name} ({interpreter})"));
        }
        finding_evidence.push((name.clone(), summary, format!("{BINFMT_DIR}/{name}")));
    }
    let mut finding = if emulators.is_empty() {
        Finding::pass(
            "no qemu-user or Rosetta binfmt handler: foreign binaries cannot run silently",
        )
    } else {
        Finding::info(format!(
            "emulation handlers registered: {}",
            emulators.join(", ")
        ))
        .detail(
            "Foreign-architecture ELF programs (e.g. an x86_64 `go` on arm64) start without any \
             error and run emulated, much slower. arch.process-translation and the toolchain \
             checks tell whether anything gohost found actually runs through them.",
        )
        .remediation(
            "To see which binaries would be emulated, compare `file` of your tools with `uname -m`; to disable a handler until reboot:",
            emulators
                .iter()
                .filter_map(|e| e.split(' ').next())
                .map(|n| format!("echo 0 | sudo tee {BINFMT_DIR}/{n}"))
                .collect::<Vec<_>>(),
        )
    };
    finding = finding.evidence("handlers", listed.join(", "), BINFMT_DIR);
    for (k, v, s) in finding_evidence {
        finding = finding.evidence(k, v, s);
    }
    vec![finding]
}

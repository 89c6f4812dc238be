//! `arch.binfmt-emulation`: Linux binfmt_misc handlers through which foreign-architecture
//! programs start without error and run emulated (qemu-user, Rosetta for Linux).

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, ProbeErrorKind};

use crate::probe::{is_emulator_path, is_linux, shell_quote, Host};

inventory::submit! { Check {
    id: "arch.binfmt-emulation",
    title: "Linux binfmt_misc emulation handlers",
    explain: "Linux: lists /proc/sys/fs/binfmt_misc handlers and flags enabled qemu-user, FEX, box64 or Rosetta-for-Linux interpreters, through which foreign-architecture binaries (such as an x86_64 go on arm64) start without error and run emulated. Handlers belong to the kernel (to a user namespace since Linux 6.7), not to a mount: a container without binfmt_misc mounted still uses the host's handlers, so an unmounted binfmt_misc is skip (cannot list), never a pass; so is a handler that cannot be read. Skipped on macOS.",
    tags: &["arch", "linux"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
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
        /// The `status` file (`enabled`/`disabled`), when mounted.
        status: Option<Result<String, String>>,
        handlers: Vec<(String, Result<String, String>)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    /// None when not on Linux.
    listing: Option<Listing>,
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
            let mut status = None;
            if names.iter().any(|n| n == "status") {
                status = Some(
                    ctx.read_to_string(&format!("{BINFMT_DIR}/status"))
                        .map_err(|e| e.to_string()),
                );
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
            Listing::Entries {
                names,
                status,
                handlers,
            }
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
    // binfmt_misc handlers are the kernel's (per user namespace since Linux 6.7, commit
    // 21ca59b365c0 "binfmt_misc: enable sandboxed mounts": "binary types registered in this
    // binfmt_misc instance are available to all sandboxes"); the mount only shows them. Not
    // mounted here says nothing about what the kernel runs: could not tell, never a pass.
    let not_listed = |how: &str| {
        Finding::skip(
            "binfmt_misc is not mounted here: the kernel's emulation handlers cannot be listed",
        )
        .detail(
            "Handlers are registered with the kernel (per user namespace since Linux 6.7), not \
             with this mount: a container or chroot without the mount still runs foreign \
             binaries through the host's handlers. Check on the host, or mount it (root): \
             mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc",
        )
        .evidence(BINFMT_DIR, how, "readdir")
    };
    let (names, status, handlers) = match listing {
        Listing::NotFound => return vec![not_listed("not found")],
        Listing::Unreadable(e) => {
            return vec![Finding::skip("could not list binfmt_misc handlers").detail(e)]
        }
        Listing::Entries {
            names,
            status,
            handlers,
        } => (names, status, handlers),
    };
    // A mounted binfmt_misc always has `register` and `status`; an empty directory is only
    // the mount point.
    if !names.iter().any(|n| n == "status") {
        return vec![not_listed("empty (not mounted)")];
    }
    // Documentation/admin-guide/binfmt-misc.rst: `echo 0 > status` disables every handler.
    if let Some(Ok(st)) = status {
        if st.trim() == "disabled" {
            return vec![Finding::pass(
                "binfmt_misc is disabled: no handler runs foreign binaries",
            )
            .evidence("status", "disabled", format!("{BINFMT_DIR}/status"))];
        }
    }
    let listed: Vec<&str> = handlers.iter().map(|(n, _)| n.as_str()).collect();
    let mut emulators = Vec::new();
    let mut unreadable = Vec::new();
    let mut finding_evidence = Vec::new();
    for (name, text) in handlers {
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                unreadable.push(name.clone());
                finding_evidence.push((
                    name.clone(),
                    format!("unreadable: {e}"),
                    format!("{BINFMT_DIR}/{name}"),
                ));
                continue;
            }
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
            emulators.push((name.clone(), interpreter.clone()));
        }
        finding_evidence.push((name.clone(), summary, format!("{BINFMT_DIR}/{name}")));
    }
    if emulators.is_empty() && !unreadable.is_empty() {
        let mut f = Finding::skip(format!(
            "could not read {} binfmt_misc handler(s): {}",
            unreadable.len(),
            unreadable.join(", ")
        ))
        .evidence("handlers", listed.join(", "), BINFMT_DIR);
        for (k, v, s) in finding_evidence {
            f = f.evidence(k, v, s);
        }
        return vec![f];
    }
    let mut finding = if emulators.is_empty() {
        Finding::pass(
            "no enabled qemu-user, FEX, box64 or Rosetta binfmt_misc handler is registered",
        )
    } else {
        Finding::info(format!(
            "emulation handlers registered: {}",
            emulators
                .iter()
                .map(|(n, i)| format!("{n} ({i})"))
                .collect::<Vec<_>>()
                .join(", ")
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
                .map(|(n, _)| {
                    format!(
                        "echo 0 | sudo tee {}",
                        shell_quote(&format!("{BINFMT_DIR}/{n}"))
                    )
                })
                .collect::<Vec<_>>(),
        )
    };
    finding = finding.evidence("handlers", listed.join(", "), BINFMT_DIR);
    for (k, v, s) in finding_evidence {
        finding = finding.evidence(k, v, s);
    }
    vec![finding]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::{Status, Translation};

    fn obs(listing: Listing) -> Observations {
        Observations {
            host: Host {
                os: "linux".into(),
                machine: "x86_64".into(),
                process_arch: "x86_64".into(),
                translation: Translation::Native,
                translation_evidence: String::new(),
            },
            listing: Some(listing),
        }
    }

    fn mounted(status: &str, handlers: Vec<(&str, Result<&str, &str>)>) -> Listing {
        let mut names = vec!["register".to_owned(), "status".to_owned()];
        names.extend(handlers.iter().map(|(n, _)| n.to_string()));
        Listing::Entries {
            names,
            status: Some(Ok(status.to_owned())),
            handlers: handlers
                .into_iter()
                .map(|(n, t)| (n.to_owned(), t.map(str::to_owned).map_err(str::to_owned)))
                .collect(),
        }
    }

    /// Data → findings. Kernel: Documentation/admin-guide/binfmt-misc.rst (handler file format,
    /// `status`), commit 21ca59b365c0 (handlers per user namespace, visible to sandboxes).
    #[test]
    fn table() {
        let qemu = "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\n";
        let jar = "enabled\ninterpreter /usr/bin/jexec\n";
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            // Issue 13: not mounted said "foreign programs cannot run" (and passed).
            (
                "not mounted",
                obs(Listing::NotFound),
                Status::Skip,
                "cannot be listed",
            ),
            (
                "mount point only",
                obs(Listing::Entries {
                    names: vec![],
                    status: None,
                    handlers: vec![],
                }),
                Status::Skip,
                "cannot be listed",
            ),
            (
                "unreadable dir",
                obs(Listing::Unreadable("permission denied".into())),
                Status::Skip,
                "could not list",
            ),
            (
                "no emulators",
                obs(mounted("enabled", vec![("jar", Ok(jar))])),
                Status::Pass,
                "no enabled",
            ),
            (
                "qemu",
                obs(mounted("enabled", vec![("qemu-aarch64", Ok(qemu))])),
                Status::Info,
                "qemu-aarch64",
            ),
            (
                "disabled globally",
                obs(mounted("disabled", vec![("qemu-aarch64", Ok(qemu))])),
                Status::Pass,
                "disabled",
            ),
            // A handler that cannot be read is not "no emulator".
            (
                "unreadable handler",
                obs(mounted(
                    "enabled",
                    vec![("jar", Ok(jar)), ("qemu-x", Err("not recorded"))],
                )),
                Status::Skip,
                "could not read 1",
            ),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
            assert!(!f[0].title.contains("cannot run"), "{name}: {}", f[0].title);
        }
    }
}

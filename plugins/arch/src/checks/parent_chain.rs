//! `arch.parent-chain`: do the shell and terminal that started gohost run natively? macOS
//! from one `ps` table and the P_TRANSLATED flag, Linux from `/proc/<pid>/{stat,exe}`.

use std::collections::HashMap;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

use crate::binary::normalize_arch;
use crate::probe::{
    is_compat_pair, is_emulator_path, is_linux, is_macos, linux_exe_arch, shell_quote, Host,
    P_TRANSLATED, ROSETTA_DOC,
};

inventory::submit! { Check {
    id: "arch.parent-chain",
    title: "Shell and terminal run natively",
    explain: "Walks the parent processes (the shell, the terminal, …). macOS: one `ps -A -o pid=,ppid=,flags=,comm=` and the kernel's P_TRANSLATED flag (0x20000, <sys/proc.h>) per process. Linux: /proc/<pid>/stat for the parent and the ELF header of /proc/<pid>/exe against the kernel's machine (a 32-bit parent of the kernel's own family runs natively in compat mode). A translated shell starts the x86_64 slice of universal tools (make, uname, scripts, an x86_64 Homebrew) and an x86_64 go builds darwin/amd64 by default, even when gohost is native; a native arm64 go is unaffected, since for GOARCH=arm64 it passes `-arch arm64` to clang (cmd/go gccArchArgs): warn, with how to start a native shell. A process that cannot be read makes the verdict info (not checked), never pass.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// One process above gohost.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ancestor {
    pid: String,
    name: String,
    /// Some(true) translated/emulated, Some(false) native, None unknown.
    foreign: Option<bool>,
    how: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    host: Host,
    /// The ancestors nearest first, or why they could not be walked; None for an OS without
    /// a process probe.
    chain: Option<Result<Vec<Ancestor>, String>>,
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let host = Host::from_facts(&ctx.facts());
    let chain = if is_macos(&host.os) {
        Some(macos_ancestors(ctx))
    } else if is_linux(&host.os) {
        Some(linux_ancestors(ctx, &host))
    } else {
        None
    };
    Observations { host, chain }
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let macos = is_macos(&obs.host.os);
    let chain = match &obs.chain {
        None => {
            return vec![Finding::skip(format!(
                "no process probe for OS `{}`",
                obs.host.os
            ))]
        }
        Some(Err(e)) => return vec![Finding::skip("could not walk the parent processes").detail(e)],
        Some(Ok(c)) if c.is_empty() => {
            return vec![Finding::skip(
                "no parent process above gohost could be read",
            )]
        }
        Some(Ok(c)) => c,
    };
    let describe = chain
        .iter()
        .map(|a| {
            format!(
                "{} {} ({})",
                a.pid,
                a.name,
                match a.foreign {
                    Some(true) => "TRANSLATED",
                    Some(false) => "native",
                    None => "unknown",
                }
            )
        })
        .collect::<Vec<_>>()
        .join(" <- ");
    let mut finding;
    let translated: Vec<&Ancestor> = chain.iter().filter(|a| a.foreign == Some(true)).collect();
    if let Some(first) = translated.first() {
        let word = if macos {
            "runs under Rosetta 2"
        } else {
            "runs under emulation"
        };
        finding = Finding::warn(format!("parent process `{}` {word}", first.name))
            .detail(if macos {
                "A shell or terminal that runs translated starts the x86_64 slice of universal \
                 programs: `uname -m` says x86_64, make and scripts see an x86_64 machine, an \
                 x86_64 Homebrew is used, and an x86_64 `go` builds darwin/amd64 by default. A \
                 native arm64 go is not affected, cgo included: for GOARCH=arm64 it passes \
                 `-arch arm64` to clang (Go src cmd/go/internal/work/exec.go, gccArchArgs)."
            } else {
                "A shell that runs under user-mode emulation starts its children through the \
                 same emulator when they are of its architecture: scripts and tools it starts \
                 run slowly and see a foreign machine."
            })
            .remediation(
                if macos {
                    "Start the terminal natively (Finder > Applications > your terminal > Get \
                     Info > untick \"Open using Rosetta\", then restart it), or start a native \
                     shell from it:"
                } else {
                    "Run the shell with a native binary for this machine:"
                },
                if macos {
                    vec![
                        "arch -arm64 /bin/zsh -l".to_owned(),
                        format!("ps -o pid,flags,comm -p {}", shell_quote(&first.pid)),
                    ]
                } else {
                    vec![format!(
                        "ls -l {}",
                        shell_quote(&format!("/proc/{}/exe", first.pid))
                    )]
                },
            )
            .doc(ROSETTA_DOC);
    } else if chain.iter().any(|a| a.foreign.is_none()) {
        finding = Finding::info("no translated parent found (some could not be checked)");
    } else {
        finding = Finding::pass(format!("all {} parent processes run natively", chain.len()));
    }
    finding = finding.evidence(
        "chain",
        describe,
        if macos {
            "ps -A -o pid=,ppid=,flags=,comm= (P_TRANSLATED 0x20000)"
        } else {
            "/proc/<pid>/stat, /proc/<pid>/exe"
        },
    );
    for a in chain {
        finding = finding.evidence(format!("pid {}", a.pid), &a.name, &a.how);
    }
    vec![finding]
}

/// One `ps` for the whole table, prefixed by the pid of the process that spawned the shell
/// (the gohost process running this plugin).
fn macos_ancestors(ctx: &Ctx<'_>) -> Result<Vec<Ancestor>, String> {
    let cmd = Command::new([
        "/bin/sh",
        "-c",
        "echo $PPID; exec ps -A -o pid=,ppid=,flags=,comm=",
    ]);
    let out = ctx.exec(&cmd).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "`ps` failed ({}): {}",
            out.describe_exit(),
            out.stderr.trim()
        ));
    }
    parse_ps_chain(&out.stdout)
}

/// The chain above the first line's pid in `echo $PPID; ps -A -o pid=,ppid=,flags=,comm=`.
fn parse_ps_chain(stdout: &str) -> Result<Vec<Ancestor>, String> {
    let mut lines = stdout.lines();
    let me = lines.next().unwrap_or_default().trim().to_owned();
    let mut table = HashMap::new();
    for line in lines {
        let mut parts = line.split_whitespace();
        let (Some(pid), Some(ppid), Some(flags)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let name = parts.collect::<Vec<_>>().join(" ");
        table.insert(pid.to_owned(), (ppid.to_owned(), flags.to_owned(), name));
    }
    let mut chain = Vec::new();
    let mut pid = table
        .get(&me)
        .map(|(ppid, _, _)| ppid.clone())
        .ok_or_else(|| format!("own pid `{me}` not in the ps table"))?;
    for _ in 0..32 {
        if pid == "0" || pid == "1" {
            break;
        }
        let Some((ppid, flags, name)) = table.get(&pid) else {
            break;
        };
        let foreign = u64::from_str_radix(flags.trim_start_matches("0x"), 16)
            .ok()
            .map(|v| v & P_TRANSLATED != 0);
        chain.push(Ancestor {
            pid: pid.clone(),
            name: name.clone(),
            foreign,
            how: format!("ps flags {flags}"),
        });
        pid = ppid.clone();
    }
    Ok(chain)
}

/// `/proc/<pid>/stat`: `pid (comm) state ppid …`; comm may contain `)`, so split at the last.
fn parse_stat(stat: &str) -> Option<(String, String)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let ppid = stat.get(close + 1..)?.split_whitespace().nth(1)?.to_owned();
    Some((comm, ppid))
}

fn linux_ancestors(ctx: &Ctx<'_>, h: &Host) -> Result<Vec<Ancestor>, String> {
    let kernel = normalize_arch(&h.machine);
    let own = ctx
        .read_to_string("/proc/self/stat")
        .map_err(|e| format!("/proc/self/stat: {e}"))?;
    let (_, mut pid) = parse_stat(&own).ok_or("cannot parse /proc/self/stat")?;
    let mut chain = Vec::new();
    for _ in 0..32 {
        if pid == "0" || pid == "1" {
            break;
        }
        // An ancestor that cannot be read is shown as unknown, so the verdict cannot pass.
        let stat = match ctx.read_to_string(&format!("/proc/{pid}/stat")) {
            Ok(s) => s,
            Err(e) => {
                chain.push(Ancestor {
                    pid: pid.clone(),
                    name: "?".to_owned(),
                    foreign: None,
                    how: format!("/proc/{pid}/stat: {e}"),
                });
                break;
            }
        };
        let Some((comm, ppid)) = parse_stat(&stat) else {
            chain.push(Ancestor {
                pid: pid.clone(),
                name: "?".to_owned(),
                foreign: None,
                how: format!("/proc/{pid}/stat: not parsable"),
            });
            break;
        };
        let (foreign, how, name) = match linux_exe_arch(ctx, &pid) {
            Ok((info, target)) => {
                let arch = info.arches().into_iter().next();
                let emu = target.as_deref().is_some_and(is_emulator_path);
                let compat = arch.as_ref().is_some_and(|a| is_compat_pair(a, &kernel));
                let foreign = arch.as_ref().map(|a| (*a != kernel && !compat) || emu);
                (
                    foreign,
                    format!(
                        "/proc/{pid}/exe: {}{}",
                        info.describe(),
                        if compat && !emu {
                            " (32-bit compat mode, native)"
                        } else {
                            ""
                        }
                    ),
                    target.unwrap_or(comm),
                )
            }
            Err(e) => (None, e, comm),
        };
        chain.push(Ancestor {
            pid: pid.clone(),
            name,
            foreign,
            how,
        });
        pid = ppid;
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::{Status, Translation};

    fn a(pid: &str, name: &str, foreign: Option<bool>) -> Ancestor {
        Ancestor {
            pid: pid.into(),
            name: name.into(),
            foreign,
            how: "test".into(),
        }
    }

    fn obs(os: &str, chain: Option<Result<Vec<Ancestor>, String>>) -> Observations {
        Observations {
            host: Host {
                os: os.into(),
                machine: "arm64".into(),
                process_arch: "aarch64".into(),
                translation: Translation::Native,
                translation_evidence: String::new(),
            },
            chain,
        }
    }

    /// Data → findings. P_TRANSLATED = 0x20000 (XNU bsd/sys/proc.h, FACTS.md); `-arch arm64`
    /// for GOARCH=arm64 on darwin (Go src cmd/go/internal/work/exec.go gccArchArgs).
    #[test]
    fn table() {
        #[rustfmt::skip]
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            (
                "all native",
                obs(
                    "macos",
                    Some(Ok(vec![
                        a("10", "-zsh", Some(false)),
                        a("9", "Terminal", Some(false)),
                    ])),
                ),
                Status::Pass,
                "all 2 parent processes",
            ),
            (
                "translated shell",
                obs("macos", Some(Ok(vec![a("10", "-zsh", Some(true))]))),
                Status::Warn,
                "`-zsh` runs under Rosetta 2",
            ),
            (
                "one unknown",
                obs(
                    "linux",
                    Some(Ok(vec![a("10", "bash", Some(false)), a("9", "?", None)])),
                ),
                Status::Info,
                "some could not be checked",
            ),
            // Nothing verified is not a pass.
            (
                "empty chain",
                obs("linux", Some(Ok(vec![]))),
                Status::Skip,
                "no parent process",
            ),
            (
                "ps not recorded",
                obs("macos", Some(Err("not recorded".into()))),
                Status::Skip,
                "could not walk",
            ),
            (
                "other os",
                obs("windows", None),
                Status::Skip,
                "no process probe",
            ),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
        }
        // Issue 13: the old text said cgo's C compiler sees x86_64 under a translated parent.
        let w = judge(&obs("macos", Some(Ok(vec![a("10", "-zsh", Some(true))]))));
        assert!(w[0].detail.contains("-arch arm64"), "{}", w[0].detail);
        assert!(
            !w[0].detail.contains("cgo's C compiler and scripts see"),
            "{}",
            w[0].detail
        );
    }

    #[test]
    fn ps_chain_from_a_real_shape() {
        let out = "100\n  100    90 4004 gohost\n   90    80 24004 -zsh\n   80     1 4004 login\n";
        let chain = parse_ps_chain(out).expect("chain");
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].foreign, Some(true));
        assert_eq!(chain[1].foreign, Some(false));
        assert!(parse_ps_chain("5\n").is_err());
    }

    #[test]
    fn stat_with_parens_in_comm() {
        assert_eq!(
            parse_stat("123 (my (odd) prog) S 45 123 123 0"),
            Some(("my (odd) prog".to_owned(), "45".to_owned()))
        );
        assert_eq!(parse_stat("garbage"), None);
    }
}

//! `arch.parent-chain`: do the shell and terminal that started gohost run natively? macOS
//! from one `ps` table and the P_TRANSLATED flag, Linux from `/proc/<pid>/{stat,exe}`.

use std::collections::HashMap;

use gohost_plugin_api::{inventory, Check, Command, Ctx, Finding, Needs};

use crate::binary::normalize_arch;
use crate::probe::{
    is_emulator_path, is_linux, is_macos, linux_exe_arch, Host, P_TRANSLATED, ROSETTA_DOC,
};

inventory::submit! { Check {
    id: "arch.parent-chain",
    title: "Shell and terminal run natively",
    explain: "Walks the parent processes (the shell, the terminal, …). macOS: one `ps -A -o pid=,ppid=,flags=,comm=` and the kernel's P_TRANSLATED flag (0x20000, <sys/proc.h>) per process. Linux: /proc/<pid>/stat for the parent and the ELF header of /proc/<pid>/exe against the kernel's machine. A translated parent makes universal tools (clang, make, uname) run as x86_64 even when gohost and go are native: warn, with how to start a native shell.",
    tags: &["arch", "rosetta"],
    needs: Needs::NONE,
    run,
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

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
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
            .detail(
                "A shell or terminal that runs translated starts everything as x86_64 where it \
                 can: universal tools such as clang and make, `uname -m`, Homebrew. A native Go \
                 still builds arm64, but cgo's C compiler and scripts see an x86_64 machine.",
            )
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
                        format!("ps -o pid,flags,comm -p {}", first.pid),
                    ]
                } else {
                    vec![format!("ls -l /proc/{}/exe", first.pid)]
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
        let Ok(stat) = ctx.read_to_string(&format!("/proc/{pid}/stat")) else {
            break;
        };
        let Some((comm, ppid)) = parse_stat(&stat) else {
            break;
        };
        let (foreign, how, name) = match linux_exe_arch(ctx, &pid) {
            Ok((info, target)) => {
                let arch = info.arches().into_iter().next();
                let emu = target.as_deref().is_some_and(is_emulator_path);
                let foreign = arch.as_ref().map(|a| *a != kernel || emu);
                (
                    foreign,
                    format!("/proc/{pid}/exe: {}", info.describe()),
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

    #[test]
    fn stat_with_parens_in_comm() {
        assert_eq!(
            parse_stat("123 (my (odd) prog) S 45 123 123 0"),
            Some(("my (odd) prog".to_owned(), "45".to_owned()))
        );
        assert_eq!(parse_stat("garbage"), None);
    }
}

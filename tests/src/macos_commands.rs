//! Known-good command lines for the remediations the arch and cgo plugins print (most run
//! only on macOS, so they cannot be executed here): each program with the flags it may be
//! given and where that usage is documented. Shared by both plugins' `macos_commands` tests
//! (`gohost_e2e::macos_commands`). A printed command must parse with `bash -n` and
//! `zsh -n`, and its program and every flag must be in this table. The parse half alone
//! (`assert_parses`) also checks the remediation commands of ane's and sumdb's judges.

/// `(program, allowed flags, source)`.
pub const KNOWN: &[(&str, &[&str], &str)] = &[
    ("arch", &["-arm64", "-x86_64"], "macOS arch(1): `arch -arm64 cmd` runs the arm64 slice"),
    ("/bin/zsh", &["-l"], "zsh(1): -l login shell; /bin/zsh is macOS's default shell"),
    ("file", &[], "file(1)"),
    ("sysctl", &["-n"], "sysctl(8); FACTS.md: `sysctl -n sysctl.proc_translated`"),
    ("uname", &["-m"], "uname(1); FACTS.md: uname -m prints x86_64 under Rosetta, arm64 native"),
    ("ps", &["-o", "-p"], "ps(1) -o pid,flags,comm -p PID; P_TRANSLATED in flags (XNU bsd/sys/proc.h, FACTS.md)"),
    ("softwareupdate", &["--install-rosetta", "--agree-to-license"], "Apple support: install Rosetta from the command line, `softwareupdate --install-rosetta --agree-to-license`"),
    ("xcode-select", &["--install", "-p"], "xcode-select(1): --install the Command Line Tools, -p print the developer directory"),
    ("xcodebuild", &["-license"], "xcodebuild(1): `xcodebuild -license accept|check`"),
    ("rm", &["-rf"], "rm(1); Apple TN2339-era advice: remove /Library/Developer/CommandLineTools, then xcode-select --install"),
    ("brew", &["--prefix"], "docs.brew.sh/Manpage: `brew --prefix`; /opt/homebrew on Apple Silicon (FACTS.md)"),
    ("go", &["-u", "-w", "-x"], "Go src cmd/go/alldocs.go: go env [-u|-w] NAME, go build -x, go mod init"),
    ("unset", &[], "POSIX sh / zsh builtin"),
    ("export", &[], "POSIX sh / zsh builtin"),
    ("cd", &[], "POSIX sh builtin"),
    ("mkdir", &["-p"], "mkdir(1)"),
    ("mktemp", &["-d"], "mktemp(1) -d (macOS and GNU)"),
    ("printf", &[], "printf(1)"),
    ("echo", &[], "POSIX sh builtin"),
    ("tee", &[], "tee(1); binfmt_misc: `echo 0 > /proc/sys/fs/binfmt_misc/NAME` disables a handler (kernel Documentation/admin-guide/binfmt-misc.rst)"),
    ("ls", &["-l"], "ls(1)"),
    ("pkg-config", &["--variable"], "pkg-config(1): --variable pc_path pkg-config"),
    ("x86_64-linux-gnu-gcc", &["-dumpmachine"], "gcc(1) -dumpmachine"),
    ("aarch64-linux-gnu-gcc", &["-dumpmachine"], "gcc(1) -dumpmachine"),
    ("clang", &["-dumpmachine"], "clang(1) -dumpmachine"),
    ("$(go env CC)", &["-dumpmachine"], "gcc(1)/clang(1) -dumpmachine on the compiler go env CC names"),
    ("apt-get", &["install"], "apt-get(8) (Debian/Ubuntu; Linux only)"),
];

/// Splits a command line into `(program, flags)` per simple command (`&&`, `||`, `|`, `;`),
/// after dropping a trailing `# comment`, leading `VAR=value` assignments and `sudo`.
pub fn simple_commands(line: &str) -> Vec<(String, Vec<String>)> {
    let mut words: Vec<Vec<String>> = vec![Vec::new()];
    let mut cur = String::new();
    let (mut sq, mut dq, mut paren) = (false, false, 0usize);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let flush = |cur: &mut String, words: &mut Vec<Vec<String>>| {
        if !cur.is_empty() {
            if let Some(last) = words.last_mut() {
                last.push(std::mem::take(cur));
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if sq {
            sq = c != '\'';
            cur.push(c);
        } else if c == '\'' && !dq {
            sq = true;
            cur.push(c);
        } else if c == '"' {
            dq = !dq;
            cur.push(c);
        } else if c == '$' && chars.get(i + 1) == Some(&'(') {
            paren += 1;
            cur.push_str("$(");
            i += 1;
        } else if c == ')' && paren > 0 {
            paren -= 1;
            cur.push(c);
        } else if dq || paren > 0 {
            cur.push(c);
        } else if c == '#' && cur.is_empty() {
            break;
        } else if c.is_whitespace() {
            flush(&mut cur, &mut words);
        } else if c == '|' || c == ';' || c == '&' {
            flush(&mut cur, &mut words);
            if words.last().is_some_and(|w| !w.is_empty()) {
                words.push(Vec::new());
            }
        } else if c == '>' || c == '<' {
            // A redirection: its target is not a program or flag.
            flush(&mut cur, &mut words);
            while chars.get(i + 1).is_some_and(|c| c.is_whitespace()) {
                i += 1;
            }
            let mut j = i + 1;
            while j < chars.len() && !chars[j].is_whitespace() {
                j += 1;
            }
            i = j;
            continue;
        } else {
            cur.push(c);
        }
        i += 1;
    }
    flush(&mut cur, &mut words);
    let mut out = Vec::new();
    for ws in words {
        split_words(&ws, &mut out);
    }
    out
}

/// One simple command's words → `(program, flags)`; `arch -FLAGS PROG …` runs PROG, which
/// is checked as a command of its own.
fn split_words(ws: &[String], out: &mut Vec<(String, Vec<String>)>) {
    let mut it = ws
        .iter()
        .skip_while(|w| w.contains('=') && !w.starts_with('-') && !w.starts_with('$'))
        .skip_while(|w| *w == "sudo");
    let Some(program) = it.next() else {
        return;
    };
    let rest: Vec<String> = it.cloned().collect();
    if program == "arch" {
        let flags: Vec<String> = rest
            .iter()
            .take_while(|w| w.starts_with('-'))
            .cloned()
            .collect();
        let inner: Vec<String> = rest[flags.len()..].to_vec();
        out.push((program.clone(), flags));
        split_words(&inner, out);
        return;
    }
    let flags = rest.into_iter().filter(|w| w.starts_with('-')).collect();
    out.push((program.clone(), flags));
}

/// Asserts `cmd` parses with `bash -n` and `zsh -n` (zsh is the macOS default shell).
pub fn assert_parses(cmd: &str, context: &str) {
    for shell in ["bash", "zsh"] {
        let out = std::process::Command::new(shell)
            .args(["-n", "-c", cmd])
            .output()
            .unwrap_or_else(|e| panic!("{shell} is not installed ({e}): apt-get install -y zsh"));
        assert!(
            out.status.success(),
            "{context}: `{cmd}` does not parse in {shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Asserts `cmd` parses in bash and zsh and uses only known programs and flags.
pub fn assert_known(cmd: &str, context: &str) {
    assert_parses(cmd, context);
    let parts = simple_commands(cmd);
    assert!(!parts.is_empty(), "{context}: `{cmd}` has no command");
    for (program, flags) in parts {
        let Some((_, allowed, _)) = KNOWN.iter().find(|(p, _, _)| *p == program) else {
            panic!("{context}: `{cmd}`: program `{program}` is not in the table of known-good command lines (tests/src/macos_commands.rs)");
        };
        for f in flags {
            assert!(
                allowed.contains(&f.as_str()),
                "{context}: `{cmd}`: `{program} {f}` is not a known-good flag"
            );
        }
    }
}

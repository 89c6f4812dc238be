//! Remediation commands that only run on macOS (issue 13 section 4): every command the
//! toolchain checks print on their macOS paths — from the real-Mac replay snapshots and
//! from each check's judge fed macOS observations — must parse in `bash -n` and `zsh -n`,
//! and its programs and flags must be in [`KNOWN_GOOD`], a table of macOS command lines with
//! their source. A command gohost cannot run here is thereby at least syntactically sound
//! and made of programs and flags that exist on a Mac.

// Tests run real shells; plugin code never does.
#![allow(clippy::disallowed_methods)]

use std::process::Command;

use gohost_e2e::harness::{load_snapshot, replay, run_plugin};
use gohost_plugin_api::Finding;
use gohost_plugin_toolchain::binary::BinaryInfo;
use gohost_plugin_toolchain::checks::{
    go_binary_arch, go_env_file, gobin_on_path, gotoolchain, lc_uuid_go, release_support,
};
use gohost_plugin_toolchain::util::{EnvFile, Native};
use gohost_plugin_toolchain::GoInstall;

/// Program → (allowed flags and subcommands, source). A token starting with `-`, or the
/// first word after a program that takes subcommands, must be listed.
const KNOWN_GOOD: &[(&str, &[&str], &str)] = &[
    ("arch", &["-x86_64"], "man 1 arch (macOS): `arch -x86_64 prog` runs prog's x86_64 slice under Rosetta"),
    ("brew", &["install", "uninstall"], "docs.brew.sh/Manpage (`brew install`, `brew uninstall`); prefixes /opt/homebrew (Apple Silicon) and /usr/local (Intel), FACTS.md"),
    ("rm", &["-rf", "-f"], "man 1 rm (BSD); go.dev/doc/manage-install: uninstall = delete /usr/local/go and /etc/paths.d/go"),
    ("softwareupdate", &["--list"], "man 8 softwareupdate (`-l | --list`)"),
    ("open", &[], "man 1 open (macOS): opens a URL in the default browser"),
    ("file", &[], "man 1 file"),
    ("type", &["-a"], "POSIX/bash/zsh builtin `type -a`"),
    ("export", &[], "POSIX sh builtin"),
    ("unset", &[], "POSIX sh builtin"),
    ("printf", &[], "POSIX printf(1); `printf '%s\\n' LINE >> FILE` appends LINE"),
    ("awk", &[], "POSIX awk (macOS ships the one-true-awk): `index()` is POSIX"),
    ("mv", &[], "POSIX mv"),
    ("cat", &[], "POSIX cat"),
    ("env", &[], "POSIX env"),
    ("grep", &[], "POSIX grep"),
    ("fish_add_path", &["-a"], "fish docs, fish_add_path (fish 3.2+): -a appends"),
    ("go", &["env", "version", "install", "-u", "-w"], "go help env (`-u`, `-w`), go help install"),
    ("sudo", &[], "man 8 sudo"),
];

fn shells() -> Vec<&'static str> {
    let mut v = vec!["bash"];
    let zsh = Command::new("zsh").args(["-c", "true"]).status();
    assert!(
        zsh.is_ok_and(|s| s.success()),
        "zsh is not installed (apt-get install zsh): macOS's default shell must parse these commands"
    );
    v.push("zsh");
    v
}

/// Each simple command of `cmd`: split on `&&`, `||`, `|`, `;`, redirections dropped, the
/// trailing `# comment` and leading `NAME=value` assignments removed.
fn simple_commands(cmd: &str) -> Vec<Vec<String>> {
    let code = match cmd.find("   #") {
        Some(i) => &cmd[..i],
        None => cmd,
    };
    if code.trim_start().starts_with('#') {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in code
        .split("&&")
        .flat_map(|p| p.split("||"))
        .flat_map(|p| p.split(['|', ';']))
    {
        // Words, with quoted strings kept whole (their content is data).
        let mut words = Vec::new();
        let mut cur = String::new();
        let mut quote: Option<char> = None;
        for c in part.chars() {
            match c {
                '\'' | '"' if quote.is_none() => {
                    quote = Some(c);
                    cur.push(c);
                }
                c if quote == Some(c) => {
                    quote = None;
                    cur.push(c);
                }
                c if c.is_whitespace() && quote.is_none() => {
                    if !cur.is_empty() {
                        words.push(std::mem::take(&mut cur));
                    }
                }
                c => cur.push(c),
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
        let mut words: Vec<String> = words
            .into_iter()
            .skip_while(|w| w.contains('=') && !w.starts_with('-') && !w.starts_with(['\'', '"']))
            .collect();
        // Drop redirections and their targets.
        let mut i = 0;
        while i < words.len() {
            if words[i].starts_with('>') || words[i].starts_with('<') {
                let n = if words[i].len() <= 2 { 2 } else { 1 };
                words.drain(i..(i + n).min(words.len()));
            } else {
                i += 1;
            }
        }
        if !words.is_empty() {
            out.push(words);
        }
    }
    out
}

fn check_command(cmd: &str, context: &str) {
    for sh in shells() {
        let out = Command::new(sh).args(["-n", "-c", cmd]).output().expect(sh);
        assert!(
            out.status.success(),
            "{context}: `{sh} -n` rejects {cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for words in simple_commands(cmd) {
        let mut words = words.as_slice();
        if words[0] == "sudo" {
            words = &words[1..];
        }
        let program = words[0].rsplit('/').next().unwrap_or("");
        let Some((_, allowed, _source)) = KNOWN_GOOD.iter().find(|(p, _, _)| *p == program) else {
            panic!("{context}: program {program:?} of {cmd:?} is not in KNOWN_GOOD");
        };
        let takes_sub = allowed.iter().any(|a| !a.starts_with('-'));
        for (i, w) in words.iter().enumerate().skip(1) {
            let flag = w.starts_with('-');
            let sub = takes_sub && i == 1 && !flag;
            if (flag || sub) && !allowed.contains(&w.as_str()) {
                panic!("{context}: {program} {w:?} in {cmd:?} is not a known-good macOS form");
            }
        }
    }
}

fn all_commands(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter_map(|f| f.remediation.clone().into_option())
        .flat_map(|r| r.commands.into_iter().map(|c| c.to_string()))
        .collect()
}

fn install(path: &str, real: &str) -> GoInstall {
    GoInstall {
        path: path.to_owned(),
        canonical: path.to_owned(),
        entry: BinaryInfo::MachO {
            arch: "amd64".to_owned(),
        },
        goroot: None,
        real: Some(real.to_owned()),
        real_header: Some(BinaryInfo::MachO {
            arch: "amd64".to_owned(),
        }),
        version: Some("go1.22.1".to_owned()),
        source: "test",
        chain: Vec::new(),
        problem: None,
    }
}

#[test]
fn macos_remediations_parse_and_use_known_good_programs() {
    let mut checked = 0usize;
    for name in [
        "mac-m1-native.json",
        "mac-m1-rosetta.json",
        "mac-intel.json",
        "mac-applesilicon-xcode.json",
    ] {
        let snap = load_snapshot(format!(
            "{}/../../tests/replay/{name}",
            env!("CARGO_MANIFEST_DIR")
        ));
        for cmd in all_commands(&run_plugin("toolchain", &replay(snap), &[])) {
            check_command(&cmd, name);
            checked += 1;
        }
    }
    let apple = Native::known("arm64", "sysctl hw.optional.arm64 = 1");
    for (path, real) in [
        (
            "/usr/local/bin/go",
            "/usr/local/Cellar/go/1.22.1/libexec/bin/go",
        ),
        ("/usr/local/go/bin/go", "/usr/local/go/bin/go"),
        (
            "/Users/a/sdk/go1.22.1/bin/go",
            "/Users/a/sdk/go1.22.1/bin/go",
        ),
    ] {
        let f = go_binary_arch::judge(&go_binary_arch::Observations {
            os: "macos".into(),
            native: apple.clone(),
            winner: Some(install(path, real)),
        });
        for cmd in all_commands(&f) {
            check_command(&cmd, path);
            checked += 1;
        }
    }
    for shell in [
        "/bin/zsh",
        "/bin/bash",
        "/opt/homebrew/bin/fish",
        "/bin/ksh",
    ] {
        let f = gobin_on_path::judge(&gobin_on_path::Observations {
            has_go: true,
            env_answered: true,
            gobin: Some("/Users/a/Library/Application Support/go bin".into()),
            gopath: None,
            path_env: Some("/usr/bin".into()),
            shell: Some(shell.into()),
            os: "macos".into(),
        });
        for cmd in all_commands(&f) {
            check_command(&cmd, shell);
            checked += 1;
        }
    }
    let f = go_env_file::judge(&go_env_file::Observations {
        has_go: true,
        file: EnvFile::Read {
            path: "/Users/a/Library/Application Support/go/env".into(),
            settings: ["GOROOT", "GOARCH", "GOTOOLCHAIN", "GOFLAGS", "CGO_ENABLED"]
                .iter()
                .map(|k| ((*k).to_owned(), "x".to_owned()))
                .collect(),
        },
        native: apple.clone(),
        host_goos: "darwin".into(),
        os: "macos".into(),
        environment: Vec::new(),
    });
    assert_eq!(f.len(), 5);
    for cmd in all_commands(&f) {
        check_command(&cmd, "go env file on macOS");
        checked += 1;
    }
    for (go, selected) in [("go1.23.4", "auto"), ("go1.19.8", "")] {
        let v = gohost_plugin_api::GoVersion::parse(go).expect("version");
        let f = lc_uuid_go::judge(&lc_uuid_go::Observations {
            os: "macos".into(),
            os_version: "26.0".into(),
            version_output: Some(format!("go version {go} darwin/arm64")),
            selected: Some(gotoolchain::select(go, v, selected, None, None)),
        });
        for cmd in all_commands(&f) {
            check_command(&cmd, "LC_UUID on macOS 26");
            checked += 1;
        }
    }
    let f = release_support::judge(&release_support::Observations {
        os: "macos".into(),
        os_version: "12.7.6".into(),
        native: apple,
        version_output: Some("go version go1.27.3 darwin/arm64".into()),
    });
    for cmd in all_commands(&f) {
        check_command(&cmd, "go1.27 on macOS 12");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} commands checked");
}

#[test]
fn the_table_rejects_what_it_should() {
    assert_eq!(
        simple_commands("# only a comment"),
        Vec::<Vec<String>>::new()
    );
    assert_eq!(
        simple_commands("GOTOOLCHAIN=local go install x@latest && go1.2 download"),
        vec![
            vec!["go".to_owned(), "install".to_owned(), "x@latest".to_owned()],
            vec!["go1.2".to_owned(), "download".to_owned()]
        ]
    );
    let bad = std::panic::catch_unwind(|| check_command("brew uninstal go", "typo"));
    assert!(bad.is_err(), "a misspelt subcommand must be caught");
    let bad = std::panic::catch_unwind(|| check_command("softwareupdate --lst", "typo"));
    assert!(bad.is_err(), "an unknown flag must be caught");
}

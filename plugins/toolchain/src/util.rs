//! Small helpers every toolchain check shares: reading the host's parsed `go env -json`,
//! the machine's native architecture (or why it could not be told), the GOOS of this host,
//! shell quoting for printed commands, and install commands.

use gohost_plugin_api::binary::normalize_arch;
use gohost_plugin_api::{Ctx, Facts, GoEnvJson, ProbeErrorKind, Translation};

/// The skip title of every check that needs a `go`.
pub const NO_GO: &str = "no go on PATH (see toolchain.go-on-path)";

/// The host's parsed `go env -json` of the first go, if it was recorded and parses.
pub fn env_json(facts: &Facts) -> Option<GoEnvJson> {
    facts.go.as_ref().into_option().and_then(|g| g.env())
}

/// A non-empty value of `go env -json`.
pub fn env_str(env: &Option<GoEnvJson>, key: &str) -> Option<String> {
    env.as_ref()?.non_empty(key).map(str::to_owned)
}

/// The machine's native architecture (Go names), with what decided it — or why it could not
/// be told. A missing answer is never read as "not Apple Silicon" (FACTS.md, "A missing or
/// unreadable probe answer is not evidence").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Native {
    Known { arch: String, source: String },
    Unknown { reason: String },
}

impl Native {
    pub fn known(arch: &str, source: &str) -> Native {
        Native::Known {
            arch: arch.to_owned(),
            source: source.to_owned(),
        }
    }

    /// The architecture, when known.
    pub fn arch(&self) -> Option<&str> {
        match self {
            Native::Known { arch, .. } => Some(arch),
            Native::Unknown { .. } => None,
        }
    }

    /// For evidence: the architecture, or that it could not be told and why.
    pub fn describe(&self) -> String {
        match self {
            Native::Known { arch, .. } => arch.clone(),
            Native::Unknown { reason } => format!("could not tell ({reason})"),
        }
    }

    /// Where the answer came from, for evidence.
    pub fn source(&self) -> String {
        match self {
            Native::Known { source, .. } => source.clone(),
            Native::Unknown { .. } => "sysctl hw.optional.arm64 / uname -m".to_owned(),
        }
    }
}

/// The architecture the *machine* runs natively. On macOS `hw.optional.arm64` is 1 on Apple
/// Silicon even in a Rosetta-translated process (FACTS.md; fixture
/// m1-rosetta-monterey-sysctl-hw-machdep.txt) and does not exist on Intel Macs (fixture
/// intel-macos12, "unknown oid"). When that answer is missing, only what is certain without
/// it is used: an arm64 process (`uname -m` = arm64) or a Rosetta-translated one exists only
/// on Apple Silicon; anything else is "could not tell".
pub fn native_arch(ctx: &Ctx<'_>, facts: &Facts) -> Native {
    let machine = normalize_arch(facts.machine.as_str());
    let machine_known = !machine.is_empty() && machine != "unknown";
    if facts.os.as_str() != "macos" {
        return if machine_known {
            Native::known(&machine, "uname -m")
        } else {
            Native::Unknown {
                reason: "`uname -m` gave no answer".to_owned(),
            }
        };
    }
    let sysctl = ctx.sysctl("hw.optional.arm64");
    match &sysctl {
        Ok(v) if v.trim() == "1" => return Native::known("arm64", "sysctl hw.optional.arm64 = 1"),
        Ok(v) if v.trim() == "0" && machine_known => {
            return Native::known(&machine, "sysctl hw.optional.arm64 = 0, uname -m")
        }
        Err(e) if e.kind == ProbeErrorKind::NotFound && machine_known => {
            return Native::known(
                &machine,
                "no sysctl hw.optional.arm64 (Intel Mac), uname -m",
            )
        }
        _ => {}
    }
    if machine == "arm64" {
        return Native::known(
            "arm64",
            "uname -m (an arm64 process runs only on Apple Silicon)",
        );
    }
    if facts.translation == Translation::Rosetta {
        return Native::known(
            "arm64",
            "the process runs under Rosetta, which exists only on Apple Silicon",
        );
    }
    Native::Unknown {
        reason: match sysctl {
            Ok(v) => format!("sysctl hw.optional.arm64 = {v:?}, uname -m = {machine:?}"),
            Err(e) => format!("sysctl hw.optional.arm64: {e}"),
        },
    }
}

/// An answer for evidence: `no answer` instead of an empty value.
pub fn shown(s: &str) -> &str {
    if s.trim().is_empty() {
        "no answer"
    } else {
        s
    }
}

/// GOOS of this host (`darwin` on macOS).
pub fn host_goos(os: &str) -> String {
    if os == "macos" {
        "darwin".to_owned()
    } else {
        os.to_owned()
    }
}

/// `s` as one POSIX shell word (the plugin API's one quoting). Printed commands quote every
/// value so a `|`, space or `$` in a path or setting is data, never syntax.
pub use gohost_plugin_api::shell::quote as sh_quote;

/// A command that deletes every `NAME=…` line from the go env file at `file`, leaving the
/// rest. Go reads a line's key as everything before its first `=` with no trimming (Go src
/// cmd/go/internal/cfg/cfg.go, `readEnvFile`), so a line belongs to NAME exactly when it
/// starts with `NAME=`: awk's `index($0, "NAME=") != 1` keeps the others with no regular
/// expression and behaves the same in macOS's awk and GNU/mawk on Linux. Needed because
/// current Go refuses `go env -u GOROOT` ("GOROOT cannot be modified", `checkEnvWrite` in
/// cmd/go/internal/envcmd/env.go) while still reading a GOROOT line from the file (FACTS.md).
/// None when NAME is not a plain variable name (nothing could be quoted safely into awk).
pub fn remove_env_line_command(file: &str, name: &str) -> Option<String> {
    let ok = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return None;
    }
    let f = sh_quote(file);
    let tmp = sh_quote(&format!("{file}.gohost-tmp"));
    Some(format!(
        "awk 'index($0, \"{name}=\") != 1' {f} > {tmp} && mv {tmp} {f}"
    ))
}

/// The per-user go env file (`go env -w` writes it) as this run found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFile {
    /// Its path could not be told (no `go env -json` answer, or this go prints no GOENV).
    NoAnswer { reason: String },
    /// `GOENV=off`, or GOENV is empty because there is no user config directory: go reads
    /// no file (Go src cmd/go/internal/cfg/cfg.go, `EnvFile`).
    Disabled { goenv: String },
    /// The file does not exist: nothing is persisted.
    Missing { path: String },
    /// The file could not be read (or the read was not recorded).
    Unreadable { path: String, error: String },
    /// Its settings, in file order.
    Read {
        path: String,
        settings: Vec<(String, String)>,
    },
}

impl EnvFile {
    /// The file's path, when known.
    pub fn path(&self) -> Option<&str> {
        match self {
            EnvFile::Missing { path }
            | EnvFile::Unreadable { path, .. }
            | EnvFile::Read { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Whether the file sets `name`: Some(true/false) when it was read or does not exist,
    /// None when that could not be told.
    pub fn sets(&self, name: &str) -> Option<bool> {
        match self {
            EnvFile::Read { settings, .. } => Some(settings.iter().any(|(k, _)| k == name)),
            EnvFile::Missing { .. } | EnvFile::Disabled { .. } => Some(false),
            _ => None,
        }
    }
}

/// Read the go env file `go env -json`'s GOENV names.
pub fn read_env_file(ctx: &Ctx<'_>, env: &Option<GoEnvJson>) -> EnvFile {
    let Some(env) = env else {
        return EnvFile::NoAnswer {
            reason: "`go env -json` gave no answer".to_owned(),
        };
    };
    let Some(goenv) = env.get("GOENV") else {
        return EnvFile::NoAnswer {
            reason: "`go env -json` prints no GOENV (Go older than 1.13)".to_owned(),
        };
    };
    if goenv.is_empty() || goenv == "off" {
        return EnvFile::Disabled {
            goenv: goenv.to_owned(),
        };
    }
    match ctx.read_to_string(goenv) {
        Ok(text) => EnvFile::Read {
            path: goenv.to_owned(),
            settings: parse_env_file(&text),
        },
        Err(e) if e.kind == ProbeErrorKind::NotFound => EnvFile::Missing {
            path: goenv.to_owned(),
        },
        Err(e) => EnvFile::Unreadable {
            path: goenv.to_owned(),
            error: e.to_string(),
        },
    }
}

/// The settings of a go env file the way the go command reads them (Go src
/// cmd/go/internal/cfg/cfg.go, `readEnvFile`): a line counts only if it has a `=` and starts
/// with `A`–`Z`; the key is everything before the first `=` and the value everything after,
/// neither trimmed. Later lines win, as in Go's map; each key is listed once, where it first
/// appears, with its last value.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        if !line.starts_with(|c: char| c.is_ascii_uppercase()) {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match settings.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v.to_owned(),
            None => settings.push((k.to_owned(), v.to_owned())),
        }
    }
    settings
}

/// Where the go command looks for its env file when it cannot be asked (it does not even
/// start): `$GOENV` if set, else `os.UserConfigDir()/go/env` — `$HOME/Library/Application
/// Support` on macOS, `$XDG_CONFIG_HOME` (if absolute) or `$HOME/.config` elsewhere (Go src
/// cmd/go/internal/cfg/cfg.go `EnvFile`; os/file.go `UserConfigDir`).
pub fn default_env_file(
    os: &str,
    goenv: Option<&str>,
    home: Option<&str>,
    xdg: Option<&str>,
) -> Option<String> {
    match goenv.filter(|g| !g.is_empty()) {
        Some("off") => return None,
        Some(g) => return Some(g.to_owned()),
        None => {}
    }
    if os == "macos" {
        return home
            .filter(|h| !h.is_empty())
            .map(|h| format!("{h}/Library/Application Support/go/env"));
    }
    if let Some(x) = xdg.filter(|x| x.starts_with('/')) {
        return Some(format!("{x}/go/env"));
    }
    home.filter(|h| !h.is_empty())
        .map(|h| format!("{h}/.config/go/env"))
}

/// How to install Go on `os`.
pub fn install_remedy(os: &str) -> Vec<String> {
    if os == "macos" {
        vec![
            "brew install go   # with an arm64 Homebrew in /opt/homebrew on Apple Silicon"
                .to_owned(),
            "open https://go.dev/dl/   # or the official .pkg for your architecture".to_owned(),
        ]
    } else {
        vec![
            "sudo apt-get install golang-go   # Debian/Ubuntu (may be older)".to_owned(),
            "curl -LO https://go.dev/dl/$(curl -s 'https://go.dev/VERSION?m=text' | head -1).linux-$(dpkg --print-architecture).tar.gz".to_owned(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("/usr/local/go/bin"), "/usr/local/go/bin");
        assert_eq!(
            sh_quote("/Users/a/Library/Application Support/go/env"),
            "'/Users/a/Library/Application Support/go/env'"
        );
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote("a|b"), "'a|b'");
        assert_eq!(sh_quote(""), "''");
    }

    /// Go's own reading rules (cmd/go/internal/cfg/cfg.go `readEnvFile`): no trimming, a
    /// line must start with A-Z, the last value wins.
    #[test]
    fn env_file_parsed_like_go() {
        let s = parse_env_file(
            "GOARCH=amd64\n# c\n goos=x\n GOOS=linux\nBAD\nGOARCH=arm64\nGOFLAGS=-x =y\n",
        );
        assert_eq!(
            s,
            vec![
                ("GOARCH".to_owned(), "arm64".to_owned()),
                ("GOFLAGS".to_owned(), "-x =y".to_owned())
            ]
        );
    }

    #[test]
    fn default_env_file_follows_user_config_dir() {
        assert_eq!(
            default_env_file("macos", None, Some("/Users/a"), None).as_deref(),
            Some("/Users/a/Library/Application Support/go/env")
        );
        assert_eq!(
            default_env_file("linux", None, Some("/home/a"), Some("/x")).as_deref(),
            Some("/x/go/env")
        );
        assert_eq!(
            default_env_file("linux", None, Some("/home/a"), Some("rel")).as_deref(),
            Some("/home/a/.config/go/env")
        );
        assert_eq!(
            default_env_file("linux", Some("/e"), None, None).as_deref(),
            Some("/e")
        );
        assert_eq!(
            default_env_file("linux", Some("off"), Some("/h"), None),
            None
        );
        assert_eq!(default_env_file("linux", None, None, None), None);
    }

    #[test]
    fn removal_command_names_only_plain_keys() {
        assert_eq!(
            remove_env_line_command("/h/.config/go/env", "GOROOT").as_deref(),
            Some("awk 'index($0, \"GOROOT=\") != 1' /h/.config/go/env > /h/.config/go/env.gohost-tmp && mv /h/.config/go/env.gohost-tmp /h/.config/go/env")
        );
        assert_eq!(remove_env_line_command("/f", "GO\"ROOT"), None);
        assert_eq!(remove_env_line_command("/f", "goroot"), None);
    }
}

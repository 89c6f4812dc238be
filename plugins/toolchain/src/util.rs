//! Small helpers every toolchain check shares: reading the host's parsed `go env -json`,
//! the machine's native architecture, the GOOS of this host, and install commands.

use gohost_plugin_api::binary::normalize_arch;
use gohost_plugin_api::{Ctx, Facts, GoEnvJson};

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

/// The architecture the *machine* runs natively: Apple Silicon stays arm64 even when this
/// process is translated (`hw.optional.arm64` = 1).
pub fn native_arch(ctx: &Ctx<'_>, facts: &Facts) -> String {
    if facts.os.as_str() == "macos" {
        if let Ok(v) = ctx.sysctl("hw.optional.arm64") {
            if v.trim() == "1" {
                return "arm64".to_owned();
            }
        }
    }
    normalize_arch(facts.machine.as_str())
}

/// GOOS of this host (`darwin` on macOS).
pub fn host_goos(os: &str) -> String {
    if os == "macos" {
        "darwin".to_owned()
    } else {
        os.to_owned()
    }
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

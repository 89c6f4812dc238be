//! Parsing `ioreg -l -r -c H11ANEIn` (the Neural Engine's IOKit service), as captured in
//! ../shared/fixtures/macos/m2max-macos26-ioreg-H11ANEIn.txt.

/// What `ioreg -l -r -c H11ANEIn` says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IoregAne {
    pub found: bool,
    pub bundle: Option<String>,
    pub cores: Option<u32>,
    pub arch: Option<String>,
    pub firmware_loaded: Option<bool>,
}

fn quoted_after(line: &str, key: &str) -> Option<String> {
    let rest = line.split(&format!("\"{key}\"")).nth(1)?;
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.split('"').next().map(str::to_owned)
}

fn number_after(line: &str, key: &str) -> Option<u32> {
    let rest = line.split(&format!("\"{key}\"=")).nth(1)?;
    rest.chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .ok()
}

pub fn parse_ioreg(text: &str) -> IoregAne {
    let mut r = IoregAne::default();
    for line in text.lines() {
        if line.contains("<class H11ANEIn,") {
            r.found = true;
        }
        if r.bundle.is_none() {
            r.bundle = quoted_after(line, "CFBundleIdentifier");
        }
        if r.cores.is_none() {
            r.cores = number_after(line, "ANEDevicePropertyNumANECores");
        }
        if r.arch.is_none() {
            r.arch = line
                .split("\"ANEDevicePropertyTypeANEArchitectureTypeStr\"=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_owned);
        }
        if let Some(rest) = line.split("\"FirmwareLoaded\" = ").nth(1) {
            r.firmware_loaded = Some(rest.trim() == "Yes");
        }
    }
    r
}

pub const IOREG_ARGV: [&str; 5] = ["ioreg", "-l", "-r", "-c", "H11ANEIn"];

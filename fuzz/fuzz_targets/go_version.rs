//! `go version` output (`version_from_output`, `GoVersion::parse`,
//! `GoVersion::from_version_output`), go.mod `go`/`toolchain` lines (`mod_versions`) and Go
//! install paths (`classify`), all from the toolchain plugin. (The scheduler plugin's go.mod
//! reader is fuzzed by `cpu_list`: one plugin rlib per binary, as each exports the same
//! `#[no_mangle]` root symbols.)
#![no_main]

use gohost_plugin_api::GoVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(token) = gohost_plugin_toolchain::version_from_output(&text) {
        assert!(text.contains(&token));
        let _ = GoVersion::parse(&token);
    }
    if let Some(v) = GoVersion::parse(&text) {
        // Round trip: the printed form parses back to the same version.
        assert_eq!(GoVersion::parse(&v.to_string()), Some(v));
    }
    if let Some(v) = GoVersion::from_version_output(&text) {
        assert_eq!(GoVersion::parse(&v.to_string()), Some(v));
    }
    let (go, toolchain) = gohost_plugin_toolchain::mod_versions(&text);
    // The `go` value is returned as a toolchain name (`go 1.22` gives `go1.22`).
    if let Some(v) = &go {
        let written = v.strip_prefix("go").unwrap_or_default();
        assert!(text.contains(written), "{v:?} not in the text");
    }
    if let Some(v) = &toolchain {
        assert!(text.contains(v.as_str()), "{v:?} not in the text");
    }
    let _ = gohost_plugin_toolchain::classify(&text);
});

//! `go version` output (`version_from_output`, `GoVersion::parse`,
//! `GoVersion::from_version_output`), go.mod `go`/`toolchain` lines (`mod_versions`) and Go
//! install paths (`classify`), all from the toolchain plugin; and the scheduler plugin's
//! go.mod/go.work `go` and `godebug` reader (`mod_file_settings`).
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
    for v in go.iter().chain(&toolchain) {
        assert!(text.contains(v.as_str()), "{v:?} not in the text");
    }
    let _ = gohost_plugin_toolchain::classify(&text);
    let (_, godebug) = gohost_plugin_scheduler::mod_file_settings(&text);
    assert!(godebug.len() <= text.lines().count());
});

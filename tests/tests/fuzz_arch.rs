//! Fuzz target for the arch plugin: `uname`, `file`, sysctl values (translation, hw.optional.arm64, FEAT_* for the GOARM64 level), GOARM64 values, Mach-O/ELF headers of go binaries.
//! Besides the parsers, every check runs in-process against the replay snapshots
//! (tests/replay, built from real captures) with a few probe answers mutated, so each
//! sysctl value, file and command output the plugin reads is fuzzed where it is parsed.
//! See `fuzz_common` for the method and the case budget.

#[path = "fuzz_common/mod.rs"]
mod fuzz_common;

use fuzz_common::*;
use proptest::prelude::*;

use gohost_plugin_api::binary;
use gohost_plugin_arch::goarm64;

/// This target's tokens; [`with_common_tokens`] adds the ones every target shares.
const OWN_TOKENS: &[&str] = &["hw.optional.arm.FEAT_", "v8.", "v9.", ",lse", ",crypto"];

fn dict() -> &'static [&'static str] {
    with_common_tokens(OWN_TOKENS)
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn arch_checks_on_mutated_snapshots((_name, snapshot) in snapshot_input(dict())) {
        // The crate must be linked for its checks to register.
        let _ = goarm64::all_features().count();
        run_plugin_no_panic("arch", snapshot)?;
    }

    #[test]
    fn goarm64_values(value in text_input(vec![b"v8.0".to_vec(), b"v9.5,lse,crypto".to_vec(), b"v8.1,crypto".to_vec()], dict())) {
        if let Some(v) = goarm64::parse_goarm64(&value) {
            let _ = v.as_v8_minor();
        }
        let _ = goarm64::level_minor(&value);
    }

    #[test]
    // The one fuzz target of plugin-api's executable-header reader, which the arch, cgo and
    // toolchain plugins share.
    fn binary_headers(bytes in input(binary_seeds(), &[])) {
        let info = binary::parse_header(&bytes);
        let _ = (info.arches(), info.describe());
    }
}

//! Mach-O / ELF / PE inspection of a plugin file before any of its code runs
//! (`gohost_inspect::inspect_bytes`), and plugin-api's executable-header reader
//! (`binary::parse_header`) that the arch, cgo and toolchain plugins share.
#![no_main]

use gohost_plugin_api::binary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match gohost_inspect::inspect_bytes(data) {
        Ok(inspection) => {
            assert_eq!(inspection.len, data.len() as u64);
            let _ = inspection.check_loadable_here();
            for slice in &inspection.slices {
                let _ = slice.arch_name();
                let _ = slice.min_os_string();
            }
        }
        Err(e) => {
            // The CLI prints it after the file name: one non-empty line.
            let message = e.to_string();
            assert!(
                !message.is_empty() && !message.contains('\n'),
                "{message:?}"
            );
        }
    }
    let info = binary::parse_header(data);
    let _ = (info.arches(), info.describe());
});

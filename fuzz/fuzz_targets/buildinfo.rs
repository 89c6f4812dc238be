//! Go build info in an executable (`binary::read_build_info`: ELF, thin and fat Mach-O), as
//! plugins read it from any file named `go` or built by Go. Seeds are real executables built
//! by the seed script with the real Go toolchains.
#![no_main]

use gohost_plugin_api::binary::read_build_info;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reads = 0u32;
    let mut total = 0u64;
    let mut read = |off: u64, len: u64| -> Result<Vec<u8>, String> {
        reads += 1;
        total = total.saturating_add(len.min(data.len() as u64));
        let start = usize::try_from(off).unwrap_or(usize::MAX).min(data.len());
        let end = start
            .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
            .min(data.len());
        Ok(data[start..end].to_vec())
    };
    if let Ok(slices) = read_build_info(&mut read) {
        // A fat file has at most a few slices; each one the reader had to look at.
        assert!(slices.len() <= 64, "{} slices", slices.len());
        for s in &slices {
            if let Ok(info) = &s.info {
                let _ = (info.goos(), info.goarch(), info.is_go_command());
            }
        }
    }
    // Bounded work: the reader asks for a bounded number of reads whatever the input claims.
    assert!(reads < 10_000, "{reads} reads");
});

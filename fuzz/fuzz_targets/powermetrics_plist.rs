//! `powermetrics -f plist` samples (`parse::powermetrics_plist`): real captures as seeds.
#![no_main]

use gohost_plugin_powermetrics::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sample) = parse::powermetrics_plist(data) {
        // Bounded output: no more clusters than the input has bytes to describe them.
        assert!(sample.clusters.len() <= data.len() / 8 + 1);
        if let Some(active) = sample.gpu_active {
            // 1 − idle_ratio: finite whenever present (NaN would poison the verdicts).
            assert!(!active.is_nan(), "gpu_active NaN");
        }
    }
});

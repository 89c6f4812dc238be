//! `ioreg` text for the Apple Neural Engine (H11ANEIn) and chip brand strings (ane plugin).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ane = gohost_plugin_ane::parse_ioreg(&text);
    // Every value read is a piece of the text (`ioreg -r -c H11ANEIn` prints only that
    // node's subtree, so the parser does not track nodes).
    for v in ane.bundle.iter().chain(&ane.arch) {
        assert!(text.contains(v.as_str()));
    }
    let _ = gohost_plugin_ane::ane_for_chip(&text);
});

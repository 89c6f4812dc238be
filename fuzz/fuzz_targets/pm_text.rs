//! The powermetrics plugin's text parsers: `pmset -g` (therm, batt, settings), `vm_stat`,
//! `memory_pressure`, `sysctl vm.swapusage` in any locale, and the Linux `/proc/meminfo`,
//! `/proc/pressure/*` (PSI) and `/proc/stat` files.
#![no_main]

use gohost_plugin_powermetrics::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse::pmset_therm(&text);
    let _ = parse::pmset_setting(&text, "lowpowermode");
    let _ = parse::pmset_batt(&text);
    let (_, pages) = parse::vm_stat(&text);
    assert!(pages.len() <= text.lines().count());
    if let Some(p) = parse::memory_free_percent(&text) {
        assert!(p <= 100, "{p}% free");
    }
    let _ = parse::locale_mib(&text);
    let _ = parse::swapusage(&text);
    let _ = parse::psi(&text);
    let mem = parse::meminfo(&text);
    assert!(mem.len() <= text.lines().count());
    let stat = parse::proc_stat(&text);
    assert!(stat.len() <= text.lines().count());
    // Two samples of /proc/stat: the input split in half stands for "before" and "after".
    let mid = text.len() / 2;
    if text.is_char_boundary(mid) {
        for (_, busy) in parse::busy_between(&text[..mid], &text[mid..]) {
            assert!(busy.is_finite(), "busy {busy}");
        }
    }
});

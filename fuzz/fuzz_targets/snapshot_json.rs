//! Snapshots (`gohost run --replay FILE`, `gohost record`): `Snapshot::from_json`, a round
//! trip through `to_json`, and the replayer answering probes from what parsed.
#![no_main]

use gohost_plugin_api::snapshot::{Replayer, Snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(snapshot) = Snapshot::from_json(text) else {
        return;
    };
    // What parses survives a round trip unchanged.
    let again = Snapshot::from_json(&snapshot.to_json()).expect("a printed snapshot parses");
    assert_eq!(again, snapshot);
    let replayer = Replayer::new(snapshot);
    let _ = replayer.sysctl("hw.optional.arm64");
    let _ = replayer.read_file("/proc/cpuinfo", 0);
    let _ = replayer.which("go");
});

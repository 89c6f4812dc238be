//! The worker protocol (`gohost::{FromWorker, ToWorker}`): JSON lines a crashed or hostile worker process may
//! garble. Whatever the host accepts it can log and re-send unchanged.
#![no_main]

use gohost::{FromWorker, ToWorker};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = serde_json::from_slice::<FromWorker>(data) {
        let _ = format!("{message:?}");
        let again = serde_json::to_vec(&message).expect("a parsed message serializes");
        let back = serde_json::from_slice::<FromWorker>(&again).expect("and parses back");
        assert_eq!(
            serde_json::to_vec(&back).expect("serializes again"),
            again,
            "round trip changed the message"
        );
    }
    let _ = serde_json::from_slice::<ToWorker>(data);
});

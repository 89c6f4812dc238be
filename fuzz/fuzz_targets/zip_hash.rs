//! Module zips (`dirhash::hash_zip_bytes`, the one-pass `h1:` hasher) damaged or forged:
//! truncated, bit-flipped, lying sizes. An error or a hash, never a panic, and the same
//! answer twice. Seeds are real module zips (x/mod/zip, from the seed script).
#![no_main]

use gohost_plugin_sumdb::dirhash;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = dirhash::hash_zip_bytes("m.zip", data).map_err(|e| e.to_string());
    let second = dirhash::hash_zip_bytes("m.zip", data).map_err(|e| e.to_string());
    assert_eq!(first, second);
    if let Ok(h1) = first {
        // An h1 hash is `h1:` + base64 of a SHA-256 (x/mod dirhash.Hash1).
        assert!(h1.starts_with("h1:") && h1.len() == 3 + 44, "{h1}");
    }
});

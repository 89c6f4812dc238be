//! Signed notes (the ed25519 note format of golang.org/x/mod/sumdb/note) and verifier keys,
//! as a checksum server or a GOSUMDB value hands them over, and the tree head inside.
//! Input: `<verifier key>\n<signed note>`; seeds pair a real server's key with its notes.
#![no_main]

use gohost_plugin_sumdb::{note, tlog};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (key, msg) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(key) = note::VerifierKey::parse(&String::from_utf8_lossy(key)) else {
        let _ = tlog::parse_tree(&String::from_utf8_lossy(msg));
        return;
    };
    if let Ok(text) = note::open(msg, &key) {
        // The signed text is the note up to its blank line: a prefix ending in a newline.
        assert!(msg.starts_with(text.as_bytes()));
        assert!(text.ends_with('\n'));
        if let Ok(tree) = tlog::parse_tree(text) {
            // x/mod tlog.FormatTree's form; extra lines after it are allowed (ParseTree:
            // "for forwards compatibility, extra text lines after the encoding are ignored").
            let formatted = format!(
                "go.sum database tree\n{}\n{}\n",
                tree.n,
                tlog::hash_string(&tree.hash)
            );
            assert!(text.starts_with(&formatted), "{text:?} vs {formatted:?}");
        }
    }
});

//! go.sum files (`gosum::parse`), the `h1:` hash syntax and module-path escaping.
#![no_main]

use gohost_plugin_sumdb::gosum;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The plugin reads go.sum as lossy UTF-8 too (a file is whatever is on disk).
    let text = String::from_utf8_lossy(data);
    let parsed = gosum::parse(&text);
    // Bounded output: never more lines than the text has, each bad line or conflict is one
    // of them, and every recorded line number lies inside the file.
    assert!(parsed.lines <= text.split('\n').count() + 1);
    assert!(parsed.bad.len() + parsed.conflicts.len() <= parsed.lines);
    for b in parsed.bad.iter().chain(&parsed.conflicts) {
        assert!((1..=parsed.lines).contains(&b.line), "{b:?}");
    }
    for sums in parsed.modules.values() {
        for e in sums.zip.iter().chain(&sums.gomod) {
            assert!((1..=parsed.lines).contains(&e.line), "{e:?}");
            // Only hashes that passed the syntax check are kept.
            assert!(gosum::check_h1(&e.hash).is_ok(), "{e:?}");
        }
    }
    for token in text.split_whitespace().take(50) {
        let _ = gosum::check_h1(token);
        let escaped = gosum::escape(token);
        // x/mod module.EscapePath: each upper-case letter becomes `!` + lower case, nothing
        // else changes; so dropping the `!`s gives the lower-cased input back.
        if !token.contains('!') {
            assert_eq!(escaped.replace('!', ""), token.to_ascii_lowercase());
        }
    }
});

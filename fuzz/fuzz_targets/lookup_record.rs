//! Lookup responses of a checksum server (`/lookup/PATH@VERSION`): the record
//! (`tlog::parse_record`), the tree head that follows it (`tlog::parse_tree`), and the
//! record and tree proofs checked for the record id and tree size the response claims,
//! against an in-memory log built the way x/mod's StoredHashes builds it.
#![no_main]

use gohost_plugin_sumdb::tlog::{self, Hash, HashReader, TlogError};
use libfuzzer_sys::fuzz_target;

struct Mem(Vec<Hash>);

impl HashReader for Mem {
    fn read_hashes(&mut self, idx: &[i64]) -> Result<Vec<Hash>, TlogError> {
        idx.iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.0.get(i).copied())
                    .ok_or(TlogError::ProofFailed)
            })
            .collect()
    }
}

const LOG_SIZE: i64 = 64;

fn build_log(n: i64) -> Mem {
    let mut m = Mem(Vec::new());
    for i in 0..n {
        let mut h = tlog::record_hash(format!("record {i}\n").as_bytes());
        m.0.push(h);
        for j in 0..(i + 1).trailing_zeros() {
            let at = usize::try_from(tlog::stored_hash_index(j, (i >> j) - 1)).unwrap_or(0);
            h = tlog::node_hash(&m.0[at], &h);
            m.0.push(h);
        }
    }
    m
}

fuzz_target!(|data: &[u8]| {
    let Ok((id, text, rest)) = tlog::parse_record(data) else {
        return;
    };
    // The record and the note after it are disjoint parts of the message.
    assert!(text.len() + rest.len() < data.len());
    assert!(text.ends_with(b"\n"));
    // The tree note's text is what precedes its own blank line.
    let rest_text = String::from_utf8_lossy(rest);
    let head = rest_text.split("\n\n").next().unwrap_or_default();
    let n = match tlog::parse_tree(&format!("{head}\n")) {
        Ok(tree) => tree.n,
        Err(_) => return,
    };
    // Hostile record id and tree size against a real (in-memory) log: an error or a
    // verdict, never a panic or an endless loop; an honest proof must verify.
    let mut log = build_log(LOG_SIZE);
    let leaf = tlog::record_hash(text);
    let th = tlog::tree_hash(n.clamp(0, LOG_SIZE), &mut log).unwrap_or([0; 32]);
    if let Ok(p) = tlog::prove_record(n, id, &mut log) {
        let _ = tlog::check_record(&p, n, &th, id, &leaf);
        if (0..n).contains(&id) && n <= LOG_SIZE {
            let real = log.read_hashes(&[tlog::stored_hash_index(0, id)]);
            if let Ok(real) = real {
                assert_eq!(tlog::check_record(&p, n, &th, id, &real[0]), Ok(()));
            }
        }
    }
    let _ = tlog::check_record(&[leaf, th], n, &th, id, &leaf);
    if let Ok(p) = tlog::prove_tree(n, id, &mut log) {
        let old = tlog::tree_hash(id.clamp(0, LOG_SIZE), &mut log).unwrap_or([0; 32]);
        if (1..=n).contains(&id) && n <= LOG_SIZE {
            assert_eq!(tlog::check_tree(&p, n, &th, id, &old), Ok(()));
        }
    }
    let _ = tlog::tree_hash(n, &mut log);
});

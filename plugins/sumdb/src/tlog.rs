//! Transparent-log math, ported from golang.org/x/mod/sumdb/tlog: stored hash indexes, tree
//! hashes, record (inclusion) and tree (consistency) proofs, and tiles of height H.
//!
//! `TileHashReader` authenticates every tile it loads against a signed tree hash before
//! returning any hash from it, so proofs built from it are proofs about that signed tree.
//! Tiles live in [`crate::tile`] and are re-exported here.

use base64::Engine as _;
use sha2::{Digest, Sha256};

pub use crate::tile::{Tile, TileHashReader, TileReader};

pub type Hash = [u8; 32];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlogError {
    /// A proof did not reproduce the expected hash.
    ProofFailed,
    /// Tiles that do not hash to the signed tree hash.
    InconsistentTile(String),
    /// Malformed input (tree note, record, tile data).
    Malformed(String),
    /// The tile source failed (network, timeout, HTTP status).
    Fetch(String),
}

impl std::fmt::Display for TlogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlogError::ProofFailed => write!(f, "invalid transparency proof"),
            TlogError::InconsistentTile(why) => write!(f, "downloaded inconsistent tile: {why}"),
            TlogError::Malformed(why) => write!(f, "malformed data: {why}"),
            TlogError::Fetch(why) => write!(f, "{why}"),
        }
    }
}

pub fn hash_string(h: &Hash) -> String {
    base64::engine::general_purpose::STANDARD.encode(h)
}

pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest tree size (and record id) accepted from a server. sum.golang.org holds tens of
/// millions of records; past 2^62 the index arithmetic below would overflow i64 (found by
/// fuzzing: a tree head claiming 2^62 records made `maxpow2` shift out of range, which panics
/// in debug builds and loops for ever in release builds).
pub const MAX_TREE_SIZE: i64 = 1 << 48;

fn maxpow2(n: i64) -> (i64, u32) {
    let mut l = 0u32;
    // 2^62 is the largest power of two below any n up to i64::MAX.
    while l < 62 && (1i64 << (l + 1)) < n {
        l += 1;
    }
    (1i64 << l, l)
}

pub fn stored_hash_index(level: u32, mut n: i64) -> i64 {
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0i64;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + i64::from(level)
}

pub fn split_stored_hash_index(index: i64) -> (u32, i64) {
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n);
    loop {
        let x = index_n + 1 + i64::from((n + 1).trailing_zeros());
        if x > index {
            break;
        }
        n += 1;
        index_n = x;
    }
    let level = u32::try_from(index - index_n).unwrap_or(0);
    (level, n >> level)
}

/// A signed tree head's content: `go.sum database tree\nN\nhash\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tree {
    pub n: i64,
    pub hash: Hash,
}

pub fn parse_tree(text: &str) -> Result<Tree, TlogError> {
    let bad = || TlogError::Malformed("not a `go.sum database tree` note".to_owned());
    let rest = text
        .strip_prefix("go.sum database tree\n")
        .ok_or_else(bad)?;
    let mut lines = rest.split('\n');
    let n_text = lines.next().ok_or_else(bad)?;
    let hash_text = lines.next().ok_or_else(bad)?;
    if lines.next().is_none() {
        return Err(bad());
    }
    let n: i64 = n_text.parse().map_err(|_| bad())?;
    if !(0..=MAX_TREE_SIZE).contains(&n) || n.to_string() != n_text {
        return Err(bad());
    }
    Ok(Tree {
        n,
        hash: parse_hash(hash_text).ok_or_else(bad)?,
    })
}

pub fn parse_hash(s: &str) -> Option<Hash> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
}

/// A lookup response's record: `id\n<text>\n` followed by the signed tree note.
pub fn parse_record(msg: &[u8]) -> Result<(i64, &[u8], &[u8]), TlogError> {
    let bad = |why: &str| TlogError::Malformed(format!("record: {why}"));
    let nl = msg
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("no record id line"))?;
    let id: i64 = std::str::from_utf8(&msg[..nl])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("record id is not a number"))?;
    let body = &msg[nl + 1..];
    let end = body
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| bad("no blank line after the record"))?;
    let (text, rest) = (&body[..end + 1], &body[end + 2..]);
    let valid = std::str::from_utf8(text).is_ok_and(|t| !t.chars().any(|c| c < ' ' && c != '\n'));
    if !valid {
        return Err(bad("record text has control characters or is not UTF-8"));
    }
    Ok((id, text, rest))
}

pub(crate) fn sub_tree_index(mut lo: i64, hi: i64, need: &mut Vec<i64>) {
    while lo < hi {
        let (k, level) = maxpow2(hi - lo + 1);
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

fn sub_tree_hash(mut lo: i64, hi: i64, hashes: &[Hash]) -> Result<(Hash, &[Hash]), TlogError> {
    let mut num = 0usize;
    while lo < hi {
        let (k, _) = maxpow2(hi - lo + 1);
        num += 1;
        lo += k;
    }
    if num == 0 || hashes.len() < num {
        return Err(TlogError::Malformed("bad index math in subTreeHash".into()));
    }
    let mut h = hashes[num - 1];
    for i in (0..num - 1).rev() {
        h = node_hash(&hashes[i], &h);
    }
    Ok((h, &hashes[num..]))
}

/// Something that returns stored hashes by index.
pub trait HashReader {
    fn read_hashes(&mut self, indexes: &[i64]) -> Result<Vec<Hash>, TlogError>;
}

fn read_exact(r: &mut dyn HashReader, indexes: &[i64]) -> Result<Vec<Hash>, TlogError> {
    let hashes = r.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(TlogError::Malformed(
            "hash reader returned a short result".into(),
        ));
    }
    Ok(hashes)
}

pub fn tree_hash(n: i64, r: &mut dyn HashReader) -> Result<Hash, TlogError> {
    if n == 0 {
        return Ok([0; 32]);
    }
    if !(0..=MAX_TREE_SIZE).contains(&n) {
        return Err(TlogError::Malformed(format!("tree size {n} out of range")));
    }
    let mut idx = Vec::new();
    sub_tree_index(0, n, &mut idx);
    let hashes = read_exact(r, &idx)?;
    Ok(sub_tree_hash(0, n, &hashes)?.0)
}

fn leaf_proof_index(lo: i64, hi: i64, n: i64, need: &mut Vec<i64>) {
    if lo + 1 == hi {
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        leaf_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need);
    }
}

fn leaf_proof(
    lo: i64,
    hi: i64,
    n: i64,
    hashes: &[Hash],
) -> Result<(Vec<Hash>, &[Hash]), TlogError> {
    if lo + 1 == hi {
        return Ok((Vec::new(), hashes));
    }
    let (k, _) = maxpow2(hi - lo);
    let (mut p, th, rest) = if n < lo + k {
        let (p, rest) = leaf_proof(lo, lo + k, n, hashes)?;
        let (th, rest) = sub_tree_hash(lo + k, hi, rest)?;
        (p, th, rest)
    } else {
        let (th, rest) = sub_tree_hash(lo, lo + k, hashes)?;
        let (p, rest) = leaf_proof(lo + k, hi, n, rest)?;
        (p, th, rest)
    };
    p.push(th);
    Ok((p, rest))
}

/// The inclusion proof of record `n` in the tree of size `t`.
pub fn prove_record(t: i64, n: i64, r: &mut dyn HashReader) -> Result<Vec<Hash>, TlogError> {
    if t < 0 || n < 0 || n >= t || t > MAX_TREE_SIZE {
        return Err(TlogError::Malformed(format!(
            "record {n} is not in a tree of size {t}"
        )));
    }
    let mut idx = Vec::new();
    leaf_proof_index(0, t, n, &mut idx);
    if idx.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = read_exact(r, &idx)?;
    Ok(leaf_proof(0, t, n, &hashes)?.0)
}

fn run_record_proof(p: &[Hash], lo: i64, hi: i64, n: i64, leaf: Hash) -> Result<Hash, TlogError> {
    if lo + 1 == hi {
        return if p.is_empty() {
            Ok(leaf)
        } else {
            Err(TlogError::ProofFailed)
        };
    }
    let Some((last, rest)) = p.split_last() else {
        return Err(TlogError::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        Ok(node_hash(
            &run_record_proof(rest, lo, lo + k, n, leaf)?,
            last,
        ))
    } else {
        Ok(node_hash(
            last,
            &run_record_proof(rest, lo + k, hi, n, leaf)?,
        ))
    }
}

/// Check that `p` proves the tree (`t`, `th`) has record `n` with hash `h`.
pub fn check_record(p: &[Hash], t: i64, th: &Hash, n: i64, h: &Hash) -> Result<(), TlogError> {
    if t < 0 || n < 0 || n >= t || t > MAX_TREE_SIZE {
        return Err(TlogError::ProofFailed);
    }
    if run_record_proof(p, 0, t, n, *h)? == *th {
        Ok(())
    } else {
        Err(TlogError::ProofFailed)
    }
}

fn tree_proof_index(lo: i64, hi: i64, n: i64, need: &mut Vec<i64>) {
    if n == hi {
        if lo != 0 {
            sub_tree_index(lo, hi, need);
        }
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        tree_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need);
    }
}

fn tree_proof(
    lo: i64,
    hi: i64,
    n: i64,
    hashes: &[Hash],
) -> Result<(Vec<Hash>, &[Hash]), TlogError> {
    if n == hi {
        if lo == 0 {
            return Ok((Vec::new(), hashes));
        }
        let (th, rest) = sub_tree_hash(lo, hi, hashes)?;
        return Ok((vec![th], rest));
    }
    let (k, _) = maxpow2(hi - lo);
    let (mut p, th, rest) = if n <= lo + k {
        let (p, rest) = tree_proof(lo, lo + k, n, hashes)?;
        let (th, rest) = sub_tree_hash(lo + k, hi, rest)?;
        (p, th, rest)
    } else {
        let (th, rest) = sub_tree_hash(lo, lo + k, hashes)?;
        let (p, rest) = tree_proof(lo + k, hi, n, rest)?;
        (p, th, rest)
    };
    p.push(th);
    Ok((p, rest))
}

/// The consistency proof that the tree of size `t` extends the tree of size `n`.
pub fn prove_tree(t: i64, n: i64, r: &mut dyn HashReader) -> Result<Vec<Hash>, TlogError> {
    if t < 1 || n < 1 || n > t || t > MAX_TREE_SIZE {
        return Err(TlogError::Malformed(format!(
            "no consistency proof from size {n} to size {t}"
        )));
    }
    let mut idx = Vec::new();
    tree_proof_index(0, t, n, &mut idx);
    if idx.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = read_exact(r, &idx)?;
    Ok(tree_proof(0, t, n, &hashes)?.0)
}

fn run_tree_proof(
    p: &[Hash],
    lo: i64,
    hi: i64,
    n: i64,
    old: Hash,
) -> Result<(Hash, Hash), TlogError> {
    if n == hi {
        if lo == 0 {
            return if p.is_empty() {
                Ok((old, old))
            } else {
                Err(TlogError::ProofFailed)
            };
        }
        return if p.len() == 1 {
            Ok((p[0], p[0]))
        } else {
            Err(TlogError::ProofFailed)
        };
    }
    let Some((last, rest)) = p.split_last() else {
        return Err(TlogError::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        let (oh, th) = run_tree_proof(rest, lo, lo + k, n, old)?;
        Ok((oh, node_hash(&th, last)))
    } else {
        let (oh, th) = run_tree_proof(rest, lo + k, hi, n, old)?;
        Ok((node_hash(last, &oh), node_hash(last, &th)))
    }
}

/// Check that `p` proves the tree (`t`, `th`) contains the tree (`n`, `h`) as a prefix.
pub fn check_tree(p: &[Hash], t: i64, th: &Hash, n: i64, h: &Hash) -> Result<(), TlogError> {
    if t < 1 || n < 1 || n > t || t > MAX_TREE_SIZE {
        return Err(TlogError::ProofFailed);
    }
    let (h2, th2) = run_tree_proof(p, 0, t, n, *h)?;
    if th2 == *th && h2 == *h {
        Ok(())
    } else {
        Err(TlogError::ProofFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory log built the way x/mod's StoredHashes builds it.
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

    fn build(n: i64) -> Mem {
        let mut m = Mem(Vec::new());
        for i in 0..n {
            let mut h = record_hash(format!("record {i}\n").as_bytes());
            m.0.push(h);
            let k = (i + 1).trailing_zeros();
            for j in 0..k {
                let left = m.0[usize::try_from(stored_hash_index(j, (i >> j) - 1)).unwrap_or(0)];
                h = node_hash(&left, &h);
                m.0.push(h);
            }
        }
        m
    }

    #[test]
    fn index_round_trip() {
        for i in 0..5000 {
            let (l, n) = split_stored_hash_index(i);
            assert_eq!(stored_hash_index(l, n), i);
        }
    }

    #[test]
    fn tile_paths_match_x_mod() {
        let t = Tile {
            h: 8,
            l: 0,
            n: 1234067,
            w: 256,
        };
        assert_eq!(t.path(), "tile/8/0/x001/x234/067");
        let t = Tile {
            h: 8,
            l: -1,
            n: 0,
            w: 3,
        };
        assert_eq!(t.path(), "tile/8/data/000.p/3");
    }

    #[test]
    fn proofs_verify_and_detect_tampering() {
        let mut log = build(700);
        for t in [1i64, 2, 3, 7, 8, 255, 256, 257, 600, 700] {
            let th = tree_hash(t, &mut log).expect("tree hash");
            for n in [0, t / 2, t - 1] {
                let p = prove_record(t, n, &mut log).expect("record proof");
                let leaf = record_hash(format!("record {n}\n").as_bytes());
                assert_eq!(check_record(&p, t, &th, n, &leaf), Ok(()));
                let wrong = record_hash(b"forged\n");
                assert_eq!(
                    check_record(&p, t, &th, n, &wrong),
                    Err(TlogError::ProofFailed)
                );
            }
            for old in [1, t / 3 + 1, t] {
                let oh = tree_hash(old, &mut log).expect("old hash");
                let p = prove_tree(t, old, &mut log).expect("tree proof");
                assert_eq!(check_tree(&p, t, &th, old, &oh), Ok(()));
                let bogus = record_hash(b"bogus");
                assert_eq!(
                    check_tree(&p, t, &th, old, &bogus),
                    Err(TlogError::ProofFailed)
                );
            }
        }
    }

    struct MemTiles<'a>(&'a mut Mem);
    impl TileReader for MemTiles<'_> {
        fn height(&self) -> u32 {
            2
        }
        fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
            tiles
                .iter()
                .map(|t| {
                    // Like tlog.ReadTileData: the hashes at level l*h, numbers n*2^h ..
                    let idx: Vec<i64> = (0..t.w)
                        .map(|i| {
                            stored_hash_index(
                                u32::try_from(t.l).unwrap_or(0) * t.h,
                                (t.n << t.h) + i,
                            )
                        })
                        .collect();
                    Ok(self.0.read_hashes(&idx)?.concat())
                })
                .collect()
        }
        fn save_tiles(&mut self, _: &[Tile], _: &[Vec<u8>]) {}
    }

    #[test]
    fn tile_reader_authenticates_against_the_tree() {
        let mut log = build(77);
        let th = tree_hash(77, &mut log).expect("tree hash");
        let mut tiles = MemTiles(&mut log);
        let mut r = TileHashReader {
            tree: Tree { n: 77, hash: th },
            reader: &mut tiles,
        };
        let p = prove_record(77, 40, &mut r).expect("proof from tiles");
        let leaf = record_hash(b"record 40\n");
        assert_eq!(check_record(&p, 77, &th, 40, &leaf), Ok(()));
        let mut r = TileHashReader {
            tree: Tree {
                n: 77,
                hash: [7; 32],
            },
            reader: &mut tiles,
        };
        assert!(matches!(
            prove_record(77, 40, &mut r),
            Err(TlogError::InconsistentTile(_))
        ));
    }
}

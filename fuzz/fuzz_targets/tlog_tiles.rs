//! Tiles of a transparency log (`/tile/H/L/NNN[.p/W]`) as a hostile checksum server may serve
//! them, authenticated by `TileHashReader` against a signed tree head.
//! Input: `<tree head note>\0<tile bytes>`; the reader hands out the tile bytes in order, as
//! many as each requested tile needs (or fewer, when they run out). Seeds are a real server's
//! `/latest` and its tiles (fuzz/seeds.py).
#![no_main]

use gohost_plugin_sumdb::tlog::{self, HashReader, Tile, TileHashReader, TileReader, TlogError};
use libfuzzer_sys::fuzz_target;

struct Served<'a> {
    data: &'a [u8],
    at: usize,
}

impl TileReader for Served<'_> {
    fn height(&self) -> u32 {
        // sum.golang.org's and x/mod's tile height.
        8
    }
    fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
        let mut out = Vec::new();
        for t in tiles {
            let want = usize::try_from(t.w).unwrap_or(0).saturating_mul(32);
            let end = self.at.saturating_add(want).min(self.data.len());
            out.push(self.data[self.at.min(end)..end].to_vec());
            self.at = end;
        }
        Ok(out)
    }
    fn save_tiles(&mut self, _: &[Tile], _: &[Vec<u8>]) {}
}

fuzz_target!(|data: &[u8]| {
    let (head, tiles) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(tree) = tlog::parse_tree(&String::from_utf8_lossy(head)) else {
        return;
    };
    let leaves = tree.n.clamp(0, 16);
    let indexes: Vec<i64> = (0..leaves).map(|i| tlog::stored_hash_index(0, i)).collect();
    let mut served = Served { data: tiles, at: 0 };
    let mut reader = TileHashReader {
        tree,
        reader: &mut served,
    };
    if let Ok(hashes) = reader.read_hashes(&indexes) {
        assert_eq!(hashes.len(), indexes.len());
        // Authenticated hashes must hash up to the signed tree hash: the reader may accept
        // only tiles consistent with it.
        let mut again = Served { data: tiles, at: 0 };
        let mut reader = TileHashReader {
            tree,
            reader: &mut again,
        };
        if let Ok(h) = tlog::tree_hash(tree.n, &mut reader) {
            assert_eq!(h, tree.hash);
        }
    }
});

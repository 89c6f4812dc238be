//! Tiles of height H (golang.org/x/mod/sumdb/tlog tile.go): a tile's path, which tile holds a
//! stored hash, and `TileHashReader`, which authenticates every tile it loads against a
//! signed tree hash before returning any hash from it.

use crate::tlog::{
    hash_string, node_hash, split_stored_hash_index, stored_hash_index, sub_tree_index, Hash,
    HashReader, TlogError, Tree, MAX_TREE_SIZE,
};

/// A tile: height `h`, level `l` (-1 = record data), number `n`, width `w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tile {
    pub h: u32,
    pub l: i32,
    pub n: i64,
    pub w: i64,
}

impl Tile {
    pub fn path(&self) -> String {
        let mut n = self.n;
        let mut s = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            s = format!("x{:03}/{s}", n % 1000);
        }
        let p = if self.w != 1 << self.h {
            format!(".p/{}", self.w)
        } else {
            String::new()
        };
        let l = if self.l == -1 {
            "data".to_owned()
        } else {
            self.l.to_string()
        };
        format!("tile/{}/{l}/{s}{p}", self.h)
    }

    pub fn is_full(&self) -> bool {
        self.w == 1 << self.h
    }
}

fn tile_for_index(h: u32, index: i64) -> (Tile, usize, usize) {
    let (level, mut n) = split_stored_hash_index(index);
    let tl = level / h;
    let level = level - tl * h;
    let tn = (n << level) >> h;
    n -= (tn << h) >> level;
    let w = (n + 1) << level;
    let start = usize::try_from(n << level).unwrap_or(0) * 32;
    let end = usize::try_from((n + 1) << level).unwrap_or(0) * 32;
    (
        Tile {
            h,
            l: i32::try_from(tl).unwrap_or(i32::MAX),
            n: tn,
            w,
        },
        start,
        end,
    )
}

fn tile_hash(data: &[u8]) -> Hash {
    if data.len() <= 32 {
        let mut h = [0u8; 32];
        h[..data.len()].copy_from_slice(data);
        return h;
    }
    let half = data.len() / 2;
    node_hash(&tile_hash(&data[..half]), &tile_hash(&data[half..]))
}

fn hash_from_tile(t: &Tile, data: &[u8], index: i64) -> Result<Hash, TlogError> {
    let (t1, start, end) = tile_for_index(t.h, index);
    if t.l != t1.l || t.n != t1.n || t.w < t1.w || data.len() < end {
        return Err(TlogError::Malformed(format!(
            "index {index} is in {} not {}",
            t1.path(),
            t.path()
        )));
    }
    Ok(tile_hash(&data[start..end]))
}

fn tile_parent(mut t: Tile, k: u32, n: i64) -> Option<Tile> {
    t.l += i32::try_from(k).unwrap_or(0);
    // Shifts past 63 bits (a parent far above the tree) mean "beyond the tree", not a panic.
    t.n = t.n.checked_shr(k.saturating_mul(t.h)).unwrap_or(0);
    t.w = 1 << t.h;
    let shift = u32::try_from(t.l).unwrap_or(0).saturating_mul(t.h);
    let max = n.checked_shr(shift).unwrap_or(0);
    if (t.n << t.h) + t.w >= max {
        if (t.n << t.h) >= max {
            return None;
        }
        t.w = max - (t.n << t.h);
    }
    Some(t)
}

/// Loads tile data (from a cache or the network).
pub trait TileReader {
    fn height(&self) -> u32;
    /// One data vector per tile, each exactly `w * 32` bytes long.
    fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError>;
    /// The tiles were authenticated against a signed tree hash.
    fn save_tiles(&mut self, tiles: &[Tile], data: &[Vec<u8>]);
}

/// A HashReader for the signed `tree` that authenticates each tile before use.
pub struct TileHashReader<'a, R: TileReader> {
    pub tree: Tree,
    pub reader: &'a mut R,
}

impl<R: TileReader> HashReader for TileHashReader<'_, R> {
    fn read_hashes(&mut self, indexes: &[i64]) -> Result<Vec<Hash>, TlogError> {
        let h = self.reader.height();
        let n = self.tree.n;
        // An empty or absurd tree has nothing to authenticate against (found by fuzzing: a
        // tree of size 0 underflowed the sub-tree list below).
        if !(1..=MAX_TREE_SIZE).contains(&n) || !(1..=30).contains(&h) {
            return Err(TlogError::Malformed(format!(
                "no tiles for a tree of size {n} (tile height {h})"
            )));
        }
        if let Some(bad) = indexes.iter().find(|&&x| x < 0) {
            return Err(TlogError::Malformed(format!("negative hash index {bad}")));
        }
        let mut tiles: Vec<Tile> = Vec::new();
        let find = |tiles: &[Tile], t: &Tile| tiles.iter().position(|x| x == t);

        let mut stx = Vec::new();
        sub_tree_index(0, n, &mut stx);
        let mut stx_order = Vec::with_capacity(stx.len());
        for &x in &stx {
            let (tile, _, _) = tile_for_index(h, x);
            let tile = tile_parent(tile, 0, n)
                .ok_or_else(|| TlogError::Malformed("tree hash tile outside the tree".into()))?;
            match find(&tiles, &tile) {
                Some(j) => stx_order.push(j),
                None => {
                    stx_order.push(tiles.len());
                    tiles.push(tile);
                }
            }
        }

        let mut index_order = vec![0usize; indexes.len()];
        for (i, &x) in indexes.iter().enumerate() {
            if x >= stored_hash_index(0, n) {
                return Err(TlogError::Malformed("indexes not in tree".into()));
            }
            let (tile, _, _) = tile_for_index(h, x);
            let mut k = 0u32;
            loop {
                let p = tile_parent(tile, k, n);
                if let Some(j) = p.and_then(|p| find(&tiles, &p)) {
                    if k == 0 {
                        index_order[i] = j;
                    }
                    break;
                }
                k += 1;
                if k > 64 {
                    return Err(TlogError::Malformed("no authenticated parent tile".into()));
                }
            }
            while k > 0 {
                k -= 1;
                let p = tile_parent(tile, k, n)
                    .ok_or_else(|| TlogError::Malformed("lost a parent tile".into()))?;
                if !p.is_full() {
                    return Err(TlogError::Malformed("bad math in tileHashReader".into()));
                }
                if k == 0 {
                    index_order[i] = tiles.len();
                }
                tiles.push(p);
            }
        }

        let data = self.reader.read_tiles(&tiles)?;
        if data.len() != tiles.len() {
            return Err(TlogError::Malformed(
                "tile reader returned a short result".into(),
            ));
        }
        for (t, d) in tiles.iter().zip(&data) {
            if d.len() as i64 != t.w * 32 {
                return Err(TlogError::Malformed(format!(
                    "{} is {} bytes, want {}",
                    t.path(),
                    d.len(),
                    t.w * 32
                )));
            }
        }

        let last = stx.len() - 1;
        let mut th = hash_from_tile(&tiles[stx_order[last]], &data[stx_order[last]], stx[last])?;
        for i in (0..last).rev() {
            let hh = hash_from_tile(&tiles[stx_order[i]], &data[stx_order[i]], stx[i])?;
            th = node_hash(&hh, &th);
        }
        if th != self.tree.hash {
            return Err(TlogError::InconsistentTile(format!(
                "tiles hash to {}, the signed tree head says {}",
                hash_string(&th),
                hash_string(&self.tree.hash)
            )));
        }
        let first_child = tiles.len().min(stx.len());
        for i in first_child..tiles.len() {
            let tile = tiles[i];
            let p = tile_parent(tile, 1, n)
                .ok_or_else(|| TlogError::Malformed("lost parent of a tile".into()))?;
            let j = find(&tiles, &p)
                .ok_or_else(|| TlogError::Malformed("lost parent of a tile".into()))?;
            let hh = hash_from_tile(
                &p,
                &data[j],
                stored_hash_index(u32::try_from(p.l).unwrap_or(0) * p.h, tile.n),
            )?;
            if hh != tile_hash(&data[i]) {
                return Err(TlogError::InconsistentTile(format!(
                    "{} does not match its parent {}",
                    tile.path(),
                    p.path()
                )));
            }
        }
        self.reader.save_tiles(&tiles, &data);
        indexes
            .iter()
            .zip(&index_order)
            .map(|(&x, &j)| hash_from_tile(&tiles[j], &data[j], x))
            .collect()
    }
}

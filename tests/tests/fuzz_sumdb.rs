//! Fuzz targets for the sumdb plugin's parsers of outside input: go.sum files, signed notes
//! and verifier keys, tree heads, lookup records, tiles and transparency proofs (all from a
//! possibly hostile checksum server or proxy), module zips (`h1:` of a zip, against an
//! independent oracle and mutated), `go env -json`, GOSUMDB/GONOSUMDB values.
//! See `fuzz_common` for the method and the case budget.

#[path = "fuzz_common/mod.rs"]
mod fuzz_common;

use fuzz_common::*;
use gohost_plugin_sumdb::tlog::{
    self, Hash, HashReader, Tile, TileHashReader, TileReader, TlogError, Tree,
};
use gohost_plugin_sumdb::{config, dirhash, goenv::GoEnv, gosum, note};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const GOSUM_DICT: &[&str] = &[
    " ",
    "\n",
    "\r\n",
    "/go.mod",
    " h1:",
    "h1:",
    "=",
    " v",
    "v0.0.0-",
    "+incompatible",
    "!",
    "\t",
    "//",
];
const NOTE_DICT: &[&str] = &[
    "\n",
    "\n\n",
    "\u{2014} ",
    "+",
    "go.sum database tree\n",
    "=",
    "sum.golang.org",
    " ",
];
const JSON_DICT: &[&str] = &[
    "{",
    "}",
    "\"",
    ":",
    ",",
    "null",
    "[]",
    "\\u0000",
    "\\ud800",
    "\"GOSUMDB\":",
    "\"GOMODCACHE\":",
    "\"GOFLAGS\":",
];

/// A real tree head and key, produced by tests/sumdb-server (x/mod note.Sign) in a real run
/// (the same pair as the unit tests in plugins/sumdb/src/note.rs).
const VKEY: &str = "sumdb.gohost.test+a9b7fb6c+ASdeWwNjCOBrcwgzF7eTtJPgxZvPXWZQoux4ckiB8fiU";
const LATEST: &str = "go.sum database tree\n3\nObK0LjC7H5jh/VuD3s48wd/BGAMXoAxZoHF12i3bpWY=\n\n\u{2014} sumdb.gohost.test qbf7bHBPW3s2DyMAhpFE86Br5PefPQKt8J5Ju6Za2HGSWQwskI3hb5sC5ouz+3P8oD0RTgrayO9RoNmmQ7yCoMZtnwk=\n";
/// The public key of sum.golang.org as the go command has it built in.
const SUM_GOLANG_ORG: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ff18i0gNLyzxhw6Gk";

fn gosum_seeds() -> Vec<Vec<u8>> {
    // Real go.sum files: golang.org/x/mod's own (Debian golang-golang-x-mod-dev, a CI package).
    let mut seeds = Vec::new();
    for path in [
        "/usr/share/gocode/src/golang.org/x/mod/go.sum",
        "/usr/share/gocode/src/golang.org/x/tools/go.sum",
    ] {
        if let Ok(b) = std::fs::read(path) {
            seeds.push(b);
        }
    }
    assert!(
        !seeds.is_empty(),
        "needs golang-golang-x-mod-dev for its go.sum"
    );
    seeds
}

proptest! {
    #![proptest_config(config(2.0))]

    #[test]
    fn gosum_parse(text in text_input(gosum_seeds(), GOSUM_DICT)) {
        let parsed = gosum::parse(&text);
        prop_assert!(parsed.lines <= text.split('\n').count() + 1);
        for line in parsed.bad.iter().chain(&parsed.conflicts) {
            let _ = format!("{line:?}");
        }
        for token in text.split_whitespace().take(50) {
            let _ = gosum::check_h1(token);
            let _ = gosum::escape(token);
        }
    }
}

proptest! {
    #![proptest_config(config(2.0))]

    #[test]
    fn note_open_and_key_parse(
        msg in input(vec![LATEST.as_bytes().to_vec(), format!("{LATEST}\u{2014} other.example abcd\n").into_bytes()], NOTE_DICT),
        key in text_input(vec![VKEY.as_bytes().to_vec(), SUM_GOLANG_ORG.as_bytes().to_vec()], NOTE_DICT),
    ) {
        if let Ok(k) = note::VerifierKey::parse(&key) {
            let _ = note::open(&msg, &k);
        }
        let real = note::VerifierKey::parse(VKEY).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        if let Ok(text) = note::open(&msg, &real) {
            // A verified note must be the signed text, so a mutation that survived kept it.
            prop_assert!(LATEST.starts_with(text), "{text:?}");
            let _ = tlog::parse_tree(text);
        }
        let _ = tlog::parse_tree(&String::from_utf8_lossy(&msg));
        if let Ok((id, text, rest)) = tlog::parse_record(&msg) {
            prop_assert!(text.len() + rest.len() < msg.len());
            let _ = id;
        }
    }
}

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

fn build_log(n: i64) -> Mem {
    let mut m = Mem(Vec::new());
    for i in 0..n {
        let mut h = tlog::record_hash(format!("record {i}\n").as_bytes());
        m.0.push(h);
        for j in 0..(i + 1).trailing_zeros() {
            let left = m.0[usize::try_from(tlog::stored_hash_index(j, (i >> j) - 1)).unwrap_or(0)];
            h = tlog::node_hash(&left, &h);
            m.0.push(h);
        }
    }
    m
}

/// Serves tiles from a real log, then lets the fuzzer corrupt them as a hostile server would.
struct HostileTiles<'a> {
    log: &'a mut Mem,
    height: u32,
    corrupt: &'a [(usize, usize, u8)],
    resize: Option<(usize, usize)>,
}

impl TileReader for HostileTiles<'_> {
    fn height(&self) -> u32 {
        self.height
    }
    fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for t in tiles {
            let level = u32::try_from(t.l).unwrap_or(0).saturating_mul(t.h);
            let idx: Vec<i64> = (0..t.w)
                .map(|i| tlog::stored_hash_index(level, (t.n << t.h) + i))
                .collect();
            // Hashes past the end of the real log read as zeros (a server making them up).
            let data: Vec<u8> = idx
                .iter()
                .flat_map(|&i| self.log.read_hashes(&[i]).map(|h| h[0]).unwrap_or([0; 32]))
                .collect();
            out.push(data);
        }
        for &(tile, at, bits) in self.corrupt {
            if let Some(d) = out.get_mut(tile % tiles.len().max(1)) {
                if !d.is_empty() {
                    let i = at % d.len();
                    d[i] ^= bits;
                }
            }
        }
        if let Some((tile, len)) = self.resize {
            if let Some(d) = out.get_mut(tile % tiles.len().max(1)) {
                d.resize(len % 4096, 0);
            }
        }
        Ok(out)
    }
    fn save_tiles(&mut self, _: &[Tile], _: &[Vec<u8>]) {}
}

const LOG_SIZE: i64 = 300;

fn tree_size() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 0..=LOG_SIZE,
        1 => LOG_SIZE..=LOG_SIZE * 4,
        1 => any::<i64>(),
        1 => prop::sample::select(vec![i64::MAX, i64::MAX - 1, i64::MIN, -1, 1 << 62, (1 << 40) + 3]),
    ]
}

proptest! {
    #![proptest_config(config(1.0))]

    /// Tile authentication with a tree size, tile data and indexes a hostile server chose.
    #[test]
    fn tiles_from_a_hostile_server(
        n in tree_size(),
        height in prop_oneof![Just(8u32), 1u32..=4],
        lie_about_hash in any::<bool>(),
        corrupt in prop::collection::vec((any::<usize>(), any::<usize>(), 1u8..=255), 0..3),
        resize in prop::option::weighted(0.2, (any::<usize>(), any::<usize>())),
        indexes in prop::collection::vec(prop_oneof![0i64..2000, any::<i64>()], 0..4),
    ) {
        let mut log = build_log(LOG_SIZE);
        let hash = if (0..=LOG_SIZE).contains(&n) && !lie_about_hash {
            tlog::tree_hash(n, &mut log).map_err(|e| TestCaseError::fail(format!("{e}")))?
        } else {
            [7u8; 32]
        };
        let mut tiles = HostileTiles { log: &mut log, height, corrupt: &corrupt, resize };
        let mut reader = TileHashReader { tree: Tree { n, hash }, reader: &mut tiles };
        let result = reader.read_hashes(&indexes);
        if corrupt.is_empty() && resize.is_none() && !lie_about_hash && (1..=LOG_SIZE).contains(&n) {
            // Honest tiles for a real tree: in-range indexes must verify.
            let in_range = indexes.iter().all(|&i| (0..tlog::stored_hash_index(0, n)).contains(&i));
            if in_range && !indexes.is_empty() {
                prop_assert!(result.is_ok(), "honest tiles rejected: {result:?}");
            }
        }
    }

    /// Proofs for record ids and tree sizes from a lookup response and two tree heads.
    #[test]
    fn proofs_with_hostile_sizes(t in tree_size(), n in tree_size(), leaf in any::<[u8; 32]>()) {
        let mut log = build_log(LOG_SIZE);
        let th = tlog::tree_hash(t.clamp(0, LOG_SIZE), &mut log).unwrap_or([0; 32]);
        if let Ok(p) = tlog::prove_record(t, n, &mut log) {
            let _ = tlog::check_record(&p, t, &th, n, &leaf);
        }
        let _ = tlog::check_record(&[leaf, th], t, &th, n, &leaf);
        if let Ok(p) = tlog::prove_tree(t, n, &mut log) {
            let _ = tlog::check_tree(&p, t, &th, n, &leaf);
        }
        let _ = tlog::check_tree(&[leaf], t, &th, n, &leaf);
        let _ = tlog::tree_hash(t, &mut log);
        // Hash indexes reach the index arithmetic only after a range check against the tree
        // size, itself capped at MAX_TREE_SIZE; inside that range it must round-trip.
        let index = t.rem_euclid(tlog::stored_hash_index(0, tlog::MAX_TREE_SIZE));
        let (level, number) = tlog::split_stored_hash_index(index);
        prop_assert_eq!(tlog::stored_hash_index(level, number), index);
    }
}

fn goenv_seeds() -> Vec<Vec<u8>> {
    let mut seeds = mac_seeds(&["go-env"]);
    // And the real `go env -json` of this machine's Go, when there is one.
    if let Ok(out) = std::process::Command::new("go")
        .args(["env", "-json"])
        .output()
    {
        if out.status.success() {
            seeds.push(out.stdout);
        }
    }
    seeds
}

fn glob_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(b"abz./*?[]-\\".to_vec()), 0..40)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

proptest! {
    #![proptest_config(config(1.0))]

    #[test]
    fn go_env_json(text in text_input(goenv_seeds(), JSON_DICT)) {
        if let Ok(env) = GoEnv::parse(&text) {
            let _ = env.gomod();
            let _ = env.sumdb_dir();
            let value = env.get("GOSUMDB").to_owned();
            let _ = config::resolve_gosumdb(&value);
            let _ = config::check_env(&env, Some(env.get("GONOSUMDB")));
        }
    }

    #[test]
    fn gosumdb_and_glob_values(value in text_input(
        vec![b"sum.golang.org".to_vec(), SUM_GOLANG_ORG.as_bytes().to_vec(), format!("{SUM_GOLANG_ORG} https://sum.example/x").into_bytes(), b"off".to_vec(), b"*.corp.example,rsc.io/private,example.com/*/x".to_vec()],
        &[",", "*", "/", "?", "[", "]", "\\", " ", "+", "https://", "off"],
    ), target in glob_text()) {
        let _ = config::resolve_gosumdb(&value);
        let _ = config::match_prefix_patterns(&value, &target);
        let _ = config::match_prefix_patterns(&target, &value);
    }
}

/// A module zip of `files` (name, contents), each stored or deflated as `deflate` says.
fn module_zip(files: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    for (name, contents, deflate) in files {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        writer
            .start_file(name.as_str(), options)
            .expect("zip entry");
        std::io::Write::write_all(&mut writer, contents).expect("zip write");
    }
    writer.finish().expect("zip finish");
    out.into_inner()
}

/// Module zip entries: unique names under `example.com/m@v1.0.0/`, some contents compressible.
fn zip_files() -> impl Strategy<Value = Vec<(String, Vec<u8>, bool)>> {
    prop::collection::btree_map(
        "[a-z]{1,8}(/[a-z0-9_.]{1,8}){0,2}",
        (
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..300),
                (any::<u8>(), 0..5000usize).prop_map(|(b, n)| vec![b; n]),
            ],
            any::<bool>(),
        ),
        0..6,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(name, (contents, deflate))| {
                (format!("example.com/m@v1.0.0/{name}"), contents, deflate)
            })
            .collect()
    })
}

/// Real-shaped zips (stored and deflated) as seeds for byte mutation.
fn zip_seeds() -> Vec<Vec<u8>> {
    let go_mod = (
        "example.com/m@v1.0.0/go.mod".to_owned(),
        b"module example.com/m\n".to_vec(),
        false,
    );
    let source = (
        "example.com/m@v1.0.0/m.go".to_owned(),
        b"package m\n\nfunc F() int { return 1 }\n".repeat(20),
        true,
    );
    vec![
        module_zip(&[go_mod.clone(), source.clone()]),
        module_zip(&[go_mod]),
        module_zip(&[source]),
        module_zip(&[]),
    ]
}

proptest! {
    #![proptest_config(config(1.0))]

    /// Against an independent oracle: the h1 of a zip equals dirhash's formula over the files
    /// that went into it (sha256 of each, sorted by name), whether stored or deflated.
    #[test]
    fn zip_hash_matches_the_h1_of_its_files(files in zip_files()) {
        let data = module_zip(&files);
        let digests: Vec<(String, [u8; 32])> = files
            .iter()
            .map(|(name, contents, _)| (name.clone(), Sha256::digest(contents).into()))
            .collect();
        let want = dirhash::hash1_from_digests(digests).expect("names without newlines");
        prop_assert_eq!(dirhash::hash_zip_bytes("m.zip", &data).expect("a valid zip"), want);
    }

    /// Damaged or hostile zips (truncated, bit-flipped, lying sizes): an error or a hash,
    /// never a panic, and the same answer twice.
    #[test]
    fn zip_hash_of_mutated_zips(bytes in input(zip_seeds(), &["PK\x03\x04", "PK\x01\x02", "PK\x05\x06", "\0\0\0\0", "\x7f\x7f\x7f\x7f"])) {
        let first = dirhash::hash_zip_bytes("m.zip", &bytes).map_err(|e| e.to_string());
        let second = dirhash::hash_zip_bytes("m.zip", &bytes).map_err(|e| e.to_string());
        prop_assert_eq!(first, second);
    }
}

// Regressions: crashes the targets above found, kept as plain tests.

/// A tree head claiming 2^62 records made `maxpow2` shift past 63 bits: a panic in debug
/// builds, an endless loop in release builds. Sizes past MAX_TREE_SIZE are now refused.
#[test]
fn regression_huge_tree_sizes_are_refused_not_looped_on() {
    let mut log = build_log(8);
    for t in [1i64 << 62, i64::MAX, tlog::MAX_TREE_SIZE + 1] {
        assert!(tlog::prove_record(t, 0, &mut log).is_err());
        assert!(tlog::prove_tree(t, 1, &mut log).is_err());
        assert!(tlog::tree_hash(t, &mut log).is_err());
        assert_eq!(
            tlog::check_record(&[], t, &[0; 32], 0, &[0; 32]),
            Err(TlogError::ProofFailed)
        );
        let head =
            format!("go.sum database tree\n{t}\nObK0LjC7H5jh/VuD3s48wd/BGAMXoAxZoHF12i3bpWY=\n");
        assert!(tlog::parse_tree(&head).is_err(), "{head}");
    }
}

/// A tree of size 0 (or one whose tiles sit above 63 bits of shifting) underflowed the
/// sub-tree list in `TileHashReader::read_hashes`.
#[test]
fn regression_tiles_for_an_empty_tree_are_an_error() {
    let mut log = build_log(8);
    for n in [0i64, -1, i64::MAX] {
        let mut tiles = HostileTiles {
            log: &mut log,
            height: 8,
            corrupt: &[],
            resize: None,
        };
        let mut reader = TileHashReader {
            tree: Tree { n, hash: [0; 32] },
            reader: &mut tiles,
        };
        assert!(
            matches!(reader.read_hashes(&[]), Err(TlogError::Malformed(_))),
            "n = {n}"
        );
        assert!(
            matches!(reader.read_hashes(&[0]), Err(TlogError::Malformed(_))),
            "n = {n}"
        );
    }
}

//! Streamed hashing (issue 14 item 4): a module zip and its extracted tree are read through
//! the host in `dirhash::CHUNK`-sized ranges, never whole, and give exactly the hashes of the
//! in-memory functions and of an independent dirhash written here — for files spanning
//! several chunks, an extracted file changed past the first chunk, one cut short, one added.
//! The zips are real (Python's zipfile, deflated), read by the host's live probes; a replay of
//! an older snapshot (whole-file answers only) still hashes.

#![allow(clippy::unwrap_used)]
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use base64::Engine as _;
use gohost::harness::LiveHarness;
use gohost_plugin_api::snapshot::{Answer, Bytes, ProbeRecord, Snapshot};
use gohost_plugin_api::testing::TestContext;
use gohost_plugin_api::Ctx;
use gohost_plugin_sumdb::dirhash::{
    hash_dir, hash_file, hash_zip_bytes, hash_zip_file, hash_zip_file_and_dir, HostFile, CHUNK,
};
use sha2::{Digest, Sha256};

const PREFIX: &str = "example.com/big@v1.0.0";

/// Module files: a big one over three chunks (pseudo-random, so deflate cannot shrink it
/// to one), a small one, one in a subdirectory.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    let mut big = Vec::with_capacity(3 * CHUNK as usize + 1234);
    let mut x: u32 = 0x1234_5678;
    while big.len() < 3 * CHUNK as usize + 1234 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.extend_from_slice(&x.to_le_bytes());
    }
    vec![
        ("data.bin", big),
        ("go.mod", b"module example.com/big\n\ngo 1.17\n".to_vec()),
        ("sub/doc.go", b"// Package sub.\npackage sub\n".to_vec()),
    ]
}

/// The extracted tree and a real deflated zip of it (names `<prefix>/<file>`).
fn make(root: &Path) -> (String, String) {
    let dir = root.join(PREFIX);
    for (name, data) in files() {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    let zip = root.join("big.zip");
    let script = format!(
        "import zipfile,os\nz=zipfile.ZipFile({zip:?},'w',zipfile.ZIP_DEFLATED)\nfor n in ['data.bin','go.mod','sub/doc.go']:\n    z.write(os.path.join({dir:?},n),'{PREFIX}/'+n)\nz.close()\n",
        zip = zip.display().to_string(),
        dir = dir.display().to_string(),
    );
    let st = std::process::Command::new("python3")
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(st.success(), "python3 zipfile");
    assert!(
        std::fs::metadata(&zip).unwrap().len() > 2 * CHUNK,
        "the zip spans several chunks"
    );
    (zip.display().to_string(), dir.display().to_string())
}

/// dirhash.Hash1 written independently: sorted `<hex sha256>  <name>\n`, sha256, base64.
fn expected_h1(root: &Path) -> String {
    let mut names = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                names.push(e.path());
            }
        }
    }
    let mut lines: Vec<String> = names
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let digest = Sha256::digest(std::fs::read(p).unwrap());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("{hex}  {PREFIX}/{rel}\n")
        })
        .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    let summary = Sha256::digest(lines.concat().as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary)
    )
}

fn both(ctx: &Ctx<'_>, zip: &str, dir: &str) -> (String, String) {
    let mut file = HostFile::open(ctx, zip).expect("zip exists").unwrap();
    let (z, d) = hash_zip_file_and_dir(ctx, &mut file, dir, PREFIX);
    (z.unwrap(), d.unwrap())
}

#[test]
fn streamed_hashes_equal_whole_file_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let (zip, dir) = make(tmp.path());
    let dir_path = Path::new(&dir).to_path_buf();
    let in_memory = hash_zip_bytes(&zip, &std::fs::read(&zip).unwrap()).unwrap();
    let tree = expected_h1(&dir_path);
    assert_eq!(in_memory, tree, "an intact module: zip and tree agree");
    let h = LiveHarness::new();
    h.with_ctx("sumdb", |ctx| {
        // Intact.
        assert_eq!(both(ctx, &zip, &dir), (in_memory.clone(), tree.clone()));
        let mut file = HostFile::open(ctx, &zip).unwrap().unwrap();
        assert_eq!(hash_zip_file(ctx, &mut file).unwrap(), in_memory);
        assert_eq!(hash_dir(ctx, &dir, PREFIX).unwrap(), tree);
        let big = format!("{dir}/data.bin");
        let want: [u8; 32] = Sha256::digest(std::fs::read(&big).unwrap()).into();
        assert_eq!(hash_file(ctx, &big).unwrap(), want);

        // One byte changed in the third chunk of the extracted file: the tree's hash is the
        // changed tree's, the zip's is unchanged.
        let mut data = std::fs::read(&big).unwrap();
        let at = 2 * CHUNK as usize + 7;
        data[at] ^= 1;
        std::fs::write(&big, &data).unwrap();
        let (z, d) = both(ctx, &zip, &dir);
        assert_eq!(z, in_memory);
        assert_ne!(d, tree);
        assert_eq!(d, expected_h1(&dir_path));

        // Cut short by one byte, then one byte longer.
        data[at] ^= 1;
        std::fs::write(&big, &data[..data.len() - 1]).unwrap();
        let (_, d) = both(ctx, &zip, &dir);
        assert_ne!(d, tree);
        assert_eq!(d, expected_h1(&dir_path));
        let mut longer = data.clone();
        longer.push(0);
        std::fs::write(&big, &longer).unwrap();
        let (_, d) = both(ctx, &zip, &dir);
        assert_ne!(d, tree);
        assert_eq!(d, expected_h1(&dir_path));

        // Restored, plus a file the zip does not have.
        std::fs::write(&big, &data).unwrap();
        std::fs::write(format!("{dir}/extra.go"), "package big\n").unwrap();
        let (z, d) = both(ctx, &zip, &dir);
        assert_eq!(z, in_memory);
        assert_ne!(d, tree);
        assert_eq!(d, expected_h1(&dir_path));
        std::fs::remove_file(format!("{dir}/extra.go")).unwrap();
        assert_eq!(both(ctx, &zip, &dir), (in_memory.clone(), tree.clone()));

        // A missing zip is "not there", an unreadable tree file an error.
        assert!(HostFile::open(ctx, &format!("{zip}.missing")).is_none());
        std::fs::remove_file(format!("{dir}/go.mod")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/go.mod", format!("{dir}/go.mod")).unwrap();
        let mut file = HostFile::open(ctx, &zip).unwrap().unwrap();
        let (z, d) = hash_zip_file_and_dir(ctx, &mut file, &dir, PREFIX);
        assert_eq!(z.unwrap(), in_memory);
        assert!(
            d.is_err(),
            "a dangling extracted file is an error, not a hash"
        );
    });
}

/// A snapshot recorded before ranged reads holds whole-file answers (`read_file`) and no
/// `file_info` for the zip: replaying it hashes the same.
#[test]
fn an_older_snapshot_with_whole_file_reads_replays() {
    let tmp = tempfile::tempdir().unwrap();
    let (zip, dir) = make(tmp.path());
    let in_memory = hash_zip_bytes(&zip, &std::fs::read(&zip).unwrap()).unwrap();
    let tree = expected_h1(Path::new(&dir));
    let mut snap = Snapshot::new(TestContext::linux_facts(), "streaming test");
    snap.notes
        .push("answers read from files this test wrote, as a recording would".into());
    let whole = |path: String| ProbeRecord::ReadFile {
        result: Answer::Ok(Bytes(std::fs::read(&path).unwrap())),
        path,
        source: None,
    };
    snap.probes.push(whole(zip.clone()));
    for (name, _) in files() {
        snap.probes.push(whole(format!("{dir}/{name}")));
    }
    for (d, entries) in [
        (
            dir.clone(),
            vec![("data.bin", false), ("go.mod", false), ("sub", true)],
        ),
        (format!("{dir}/sub"), vec![("doc.go", false)]),
    ] {
        snap.probes.push(ProbeRecord::ReadDir {
            path: d,
            result: Answer::Ok(
                entries
                    .into_iter()
                    .map(|(n, is_dir)| gohost_plugin_api::DirEntry {
                        name: n.into(),
                        kind: if is_dir {
                            gohost_plugin_api::FileKind::Dir
                        } else {
                            gohost_plugin_api::FileKind::File
                        },
                    })
                    .collect(),
            ),
            source: None,
        });
    }
    // Through the host's replay context, as `gohost run --replay` answers.
    gohost_e2e::harness::replay(snap).with_ctx("sumdb", |ctx| {
        assert_eq!(both(ctx, &zip, &dir), (in_memory, tree));
    });
}

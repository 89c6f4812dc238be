//! Module zips built from fuzzer-chosen files: the one-pass `h1:` of the zip must equal an
//! independent computation over the files that went in — sha256 of each, lines
//! `hex  name\n` sorted by name, sha256 of that, base64 (golang.org/x/mod/sumdb/dirhash/hash.go
//! `Hash1`: `fmt.Fprintf(h, "%x  %s\n", hf.Sum(nil), file)` over `sort.Strings(files)`, written
//! out here without gohost's code), whether each entry is stored or deflated.
#![no_main]

use std::collections::BTreeMap;
use std::io::Write as _;

use arbitrary::Arbitrary;
use gohost_plugin_sumdb::dirhash;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

#[derive(Debug, Arbitrary)]
struct File {
    name: String,
    contents: Vec<u8>,
    repeat: u16,
    deflate: bool,
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(v >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn oracle(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut summary = String::new();
    for (name, contents) in files {
        let digest = Sha256::digest(contents);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        summary.push_str(&format!("{hex}  {name}\n"));
    }
    format!("h1:{}", b64(&Sha256::digest(summary.as_bytes())))
}

fuzz_target!(|input: Vec<File>| {
    let mut files = BTreeMap::new();
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buf);
    for f in input.iter().take(8) {
        // Names as a module zip has them: under `path@version/`, no newline (Hash1 refuses
        // those), unique, not directories.
        let clean: String = f
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "._-/".contains(*c))
            .take(40)
            .collect();
        let name = format!("example.com/m@v1.0.0/{}", clean.trim_matches('/'));
        if clean.trim_matches('/').is_empty() || files.contains_key(&name) {
            continue;
        }
        let contents = f.contents.repeat(usize::from(f.repeat % 64) + 1);
        let method = if f.deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        if writer.start_file(name.as_str(), options).is_err() {
            return;
        }
        writer.write_all(&contents).expect("write to memory");
        files.insert(name, contents);
    }
    writer.finish().expect("finish a zip in memory");
    let data = buf.into_inner();
    let got = dirhash::hash_zip_bytes("m.zip", &data).expect("a well-formed zip hashes");
    assert_eq!(got, oracle(&files));
});

//! Shared machinery of the fuzz targets (`tests/tests/fuzz_*.rs`).
//!
//! Only the stable toolchain is available, so instead of `cargo fuzz` (libFuzzer needs
//! nightly sanitizer flags) every target is a `proptest` property: inputs are either random
//! bytes or a seed from the real corpus (captured Mac outputs in `shared/fixtures`, the replay
//! snapshots in `tests/replay`) changed by a short list of mutations (bit flips, insertions,
//! deletions, duplicated spans, dictionary tokens, extreme numbers, truncation). A failing
//! input is shrunk by proptest to its smallest mutation list and printed; each such crash
//! becomes a plain regression `#[test]` next to its target.
//!
//! Budget: `GOHOST_FUZZ_CASES` (default 256) cases per target, so the whole set runs in a
//! few minutes in CI; raise it locally for a longer campaign (e.g. `GOHOST_FUZZ_CASES=20000`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gohost_plugin_api::snapshot::{Answer, Bytes, ProbeRecord, Snapshot};
use gohost_plugin_api::{ProbeError, ProbeErrorKind};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per target: `GOHOST_FUZZ_CASES`, default 256, times `weight`.
pub fn config(weight: f64) -> Config {
    let base: f64 = std::env::var("GOHOST_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256.0);
    Config {
        cases: (base * weight).max(1.0) as u32,
        // Regressions are kept as explicit #[test]s, not as files proptest writes.
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

/// The shared fixtures (`../shared/fixtures` beside the work tree, or `GOHOST_SHARED_FIXTURES`).
pub fn shared_fixtures() -> PathBuf {
    std::env::var_os("GOHOST_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| gohost_e2e::workspace_root().join("../shared/fixtures"))
}

/// Files of `dir` whose name matches `keep`, read whole. Seeds must exist: a fuzz target
/// without its corpus would silently test much less, so a missing corpus fails the test.
pub fn seeds(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus dir {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    files.sort();
    let out: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!out.is_empty(), "no corpus files in {}", dir.display());
    out
}

/// The macOS captures whose file name contains any of `words`.
pub fn mac_seeds(words: &[&str]) -> Vec<Vec<u8>> {
    seeds(&shared_fixtures().join("macos"), |n| {
        words.iter().any(|w| n.contains(w))
    })
}

/// The replay snapshots in `tests/replay`.
pub fn replay_snapshots() -> Vec<(String, Snapshot)> {
    let dir = gohost_e2e::workspace_root().join("tests/replay");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let out: Vec<(String, Snapshot)> = files
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let snapshot =
                Snapshot::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                snapshot,
            )
        })
        .collect();
    assert!(!out.is_empty(), "no replay snapshots in {}", dir.display());
    out
}

/// Numbers that break naive arithmetic.
/// Tokens every text format here is made of (separators, digits, architecture names).
pub const COMMON_TOKENS: &[&str] = &[
    "\n", ": ", " ", "=", "1", "0", "-1", "arm64", "x86_64", "go1.", "\t", "(", ")", "%", ".",
];

/// A target's dictionary: its own tokens, then [`COMMON_TOKENS`]. Leaked once per call, which
/// a test process can afford (the strategies need `'static`).
pub fn with_common_tokens(own: &'static [&'static str]) -> &'static [&'static str] {
    let mut all: Vec<&'static str> = own.to_vec();
    all.extend_from_slice(COMMON_TOKENS);
    Box::leak(all.into_boxed_slice())
}

pub const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1",
    "255",
    "256",
    "65536",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e308",
    "1e309",
    "-1e308",
    "NaN",
    "inf",
    "0.0",
    "0x10",
    "",
];

/// One edit of an input. Positions are taken modulo the input length, so every edit applies.
#[derive(Debug, Clone)]
pub enum Op {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize, usize),
    Token(usize, usize),
    Number(usize, usize),
    /// Replace the run of ASCII digits at or after the position by an extreme number.
    ReplaceNumber(usize, usize),
    Truncate(usize),
}

pub fn op() -> impl Strategy<Value = Op> {
    let pos = any::<usize>();
    prop_oneof![
        (pos, 0u8..8).prop_map(|(p, b)| Op::Flip(p, b)),
        (pos, any::<u8>()).prop_map(|(p, b)| Op::Set(p, b)),
        (pos, proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(p, b)| Op::Insert(p, b)),
        (pos, 1usize..64).prop_map(|(p, n)| Op::Delete(p, n)),
        (pos, 1usize..256, pos).prop_map(|(p, n, at)| Op::Duplicate(p, n, at)),
        (pos, any::<usize>()).prop_map(|(p, t)| Op::Token(p, t)),
        (pos, any::<usize>()).prop_map(|(p, t)| Op::Number(p, t)),
        (pos, any::<usize>()).prop_map(|(p, t)| Op::ReplaceNumber(p, t)),
        pos.prop_map(Op::Truncate),
    ]
}

/// Apply `ops` to a copy of `seed`; `dict` holds the target's interesting tokens.
pub fn apply(seed: &[u8], ops: &[Op], dict: &[&str]) -> Vec<u8> {
    let mut data = seed.to_vec();
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
    for op in ops {
        let len = data.len();
        match op {
            Op::Flip(p, bit) if len > 0 => data[p % len] ^= 1 << bit,
            Op::Set(p, b) if len > 0 => data[p % len] = *b,
            Op::Insert(p, bytes) => {
                let i = at(*p, len);
                data.splice(i..i, bytes.iter().copied());
            }
            Op::Delete(p, n) if len > 0 => {
                let i = p % len;
                let end = (i + n).min(len);
                data.drain(i..end);
            }
            Op::Duplicate(p, n, to) if len > 0 => {
                let i = p % len;
                let span: Vec<u8> = data[i..(i + n).min(len)].to_vec();
                let j = at(*to, len);
                data.splice(j..j, span);
            }
            Op::Token(p, t) if !dict.is_empty() => {
                let i = at(*p, len);
                data.splice(i..i, dict[t % dict.len()].bytes());
            }
            Op::Number(p, t) => {
                let i = at(*p, len);
                data.splice(i..i, EXTREME_NUMBERS[t % EXTREME_NUMBERS.len()].bytes());
            }
            Op::ReplaceNumber(p, t) if len > 0 => {
                let start = (p % len..len).find(|&i| data[i].is_ascii_digit());
                if let Some(start) = start {
                    let end = (start..len)
                        .find(|&i| !data[i].is_ascii_digit())
                        .unwrap_or(len);
                    data.splice(
                        start..end,
                        EXTREME_NUMBERS[t % EXTREME_NUMBERS.len()].bytes(),
                    );
                }
            }
            Op::Truncate(p) => data.truncate(at(*p, len)),
            _ => {}
        }
    }
    data
}

/// Random bytes (1 in 8) or a mutated seed (7 in 8).
pub fn input(corpus: Vec<Vec<u8>>, dict: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    let corpus = Arc::new(corpus);
    let n = corpus.len();
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..512),
        7 => (0..n, proptest::collection::vec(op(), 0..10)).prop_map(move |(i, ops)| apply(&corpus[i], &ops, dict)),
    ]
    .boxed()
}

/// Like [`input`], as text (invalid UTF-8 replaced, as the parsers' callers do).
pub fn text_input(corpus: Vec<Vec<u8>>, dict: &'static [&'static str]) -> BoxedStrategy<String> {
    input(corpus, dict)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
        .boxed()
}

/// What to do to one probe answer of a snapshot.
#[derive(Debug, Clone)]
pub enum ProbeEdit {
    /// Mutate the answer's payload (stdout, sysctl value, file bytes, env value, path).
    Mutate(Vec<Op>),
    /// The probe now fails with this error kind (index into a fixed list).
    Fail(usize),
    /// The probe is no longer recorded.
    Remove,
}

fn probe_edit() -> impl Strategy<Value = ProbeEdit> {
    prop_oneof![
        6 => proptest::collection::vec(op(), 1..6).prop_map(ProbeEdit::Mutate),
        1 => any::<usize>().prop_map(ProbeEdit::Fail),
        1 => Just(ProbeEdit::Remove),
    ]
}

const ERROR_KINDS: &[ProbeErrorKind] = &[
    ProbeErrorKind::NotFound,
    ProbeErrorKind::PermissionDenied,
    ProbeErrorKind::Timeout,
    ProbeErrorKind::Unsupported,
    ProbeErrorKind::InvalidInput,
    ProbeErrorKind::Other,
];

fn mutate_string(s: &mut String, ops: &[Op], dict: &[&str]) {
    *s = String::from_utf8_lossy(&apply(s.as_bytes(), ops, dict)).into_owned();
}

fn error(kind: usize) -> ProbeError {
    ProbeError {
        kind: ERROR_KINDS[kind % ERROR_KINDS.len()],
        message: "fuzzed failure".into(),
    }
}

/// Apply one edit to probe `index` of `snapshot` (index modulo the probe count; the slot
/// past the last probe is the facts).
pub fn edit_snapshot(snapshot: &mut Snapshot, index: usize, edit: &ProbeEdit, dict: &[&str]) {
    let n = snapshot.probes.len();
    let slot = index % (n + 1);
    if slot == n {
        if let ProbeEdit::Mutate(ops) = edit {
            let f = &mut snapshot.facts;
            let mut fields = [
                f.machine.to_string(),
                f.os_version.to_string(),
                f.translation_evidence.to_string(),
            ];
            let pick = ops.len() % fields.len();
            mutate_string(&mut fields[pick], ops, dict);
            let [machine, os_version, evidence] = fields;
            f.machine = machine.into();
            f.os_version = os_version.into();
            f.translation_evidence = evidence.into();
            if let abi_stable::std_types::ROption::RSome(go) = &mut f.go {
                let mut version = go.version_output.to_string();
                let mut env = go.env_json.to_string();
                mutate_string(
                    if ops.len() % 2 == 0 {
                        &mut version
                    } else {
                        &mut env
                    },
                    ops,
                    dict,
                );
                go.version_output = version.into();
                go.env_json = env.into();
            }
        }
        return;
    }
    if matches!(edit, ProbeEdit::Remove) {
        snapshot.probes.remove(slot);
        return;
    }
    let record = &mut snapshot.probes[slot];
    match (record, edit) {
        (
            ProbeRecord::Exec {
                result: Answer::Ok(out),
                ..
            },
            ProbeEdit::Mutate(ops),
        ) => {
            let target = if ops.len() % 4 == 3 {
                &mut out.stderr
            } else {
                &mut out.stdout
            };
            *target = Bytes(apply(&target.0, ops, dict));
        }
        (ProbeRecord::Exec { result, .. }, ProbeEdit::Fail(k)) => *result = Answer::Err(error(*k)),
        (ProbeRecord::Sysctl { result, .. }, ProbeEdit::Mutate(ops)) => match result {
            Answer::Ok(v) => mutate_string(v, ops, dict),
            Answer::Err(_) => {
                *result = Answer::Ok(String::from_utf8_lossy(&apply(b"1", ops, dict)).into_owned());
            }
        },
        (ProbeRecord::Sysctl { result, .. }, ProbeEdit::Fail(k)) => {
            *result = Answer::Err(error(*k))
        }
        (
            ProbeRecord::ReadFile {
                result: Answer::Ok(bytes),
                ..
            },
            ProbeEdit::Mutate(ops),
        ) => {
            *bytes = Bytes(apply(&bytes.0, ops, dict));
        }
        (ProbeRecord::ReadFile { result, .. }, ProbeEdit::Fail(k)) => {
            *result = Answer::Err(error(*k))
        }
        (
            ProbeRecord::ReadDir {
                result: Answer::Ok(entries),
                ..
            },
            ProbeEdit::Mutate(ops),
        ) => {
            for entry in entries.iter_mut().take(2) {
                let mut name = entry.name.to_string();
                mutate_string(&mut name, ops, dict);
                entry.name = name.into();
            }
        }
        (ProbeRecord::ReadDir { result, .. }, ProbeEdit::Fail(k)) => {
            *result = Answer::Err(error(*k))
        }
        (ProbeRecord::FileInfo { result, .. }, ProbeEdit::Fail(k)) => {
            *result = Answer::Err(error(*k))
        }
        (ProbeRecord::Env { value, .. }, ProbeEdit::Mutate(ops)) => {
            let mut v = value.clone().unwrap_or_default();
            mutate_string(&mut v, ops, dict);
            *value = Some(v);
        }
        (ProbeRecord::Env { value, .. }, ProbeEdit::Fail(_)) => *value = None,
        (ProbeRecord::Which { found, .. }, ProbeEdit::Mutate(ops)) => {
            if let Some(first) = found.first_mut() {
                mutate_string(first, ops, dict);
            }
        }
        (ProbeRecord::Which { found, .. }, ProbeEdit::Fail(_)) => found.clear(),
        _ => {}
    }
}

/// A replay snapshot with a few probe answers edited.
pub fn snapshot_input(dict: &'static [&'static str]) -> BoxedStrategy<(String, Snapshot)> {
    let snapshots = Arc::new(replay_snapshots());
    let n = snapshots.len();
    (
        0..n,
        proptest::collection::vec((any::<usize>(), probe_edit()), 1..8),
    )
        .prop_map(move |(i, edits)| {
            let (name, mut snapshot) = snapshots[i].clone();
            for (index, edit) in &edits {
                edit_snapshot(&mut snapshot, *index, edit, dict);
            }
            (name, snapshot)
        })
        .boxed()
}

thread_local! {
    /// Panics that began on this thread since the hook below was installed.
    static PANICS_ON_THIS_THREAD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Count panics structurally, with a panic hook, instead of recognising the runtime's
/// "panicked" finding by its words: a finding may quote the fuzzed input, and libFuzzer
/// (probes_ane, twice) made a chip name that started with exactly the runtime's wording.
/// The hook runs before the plugin runtime's `catch_unwind` turns the panic into a finding.
/// Checks run on the calling thread (plugin-api runtime.rs `run_checks` loops over them),
/// and a panic inside a check's own threads re-panics there when it is joined.
fn panics_on_this_thread() -> usize {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS_ON_THIS_THREAD.with(|n| n.set(n.get() + 1));
            previous(info);
        }));
    });
    PANICS_ON_THIS_THREAD.with(std::cell::Cell::get)
}

/// Run every check of `plugin` against `snapshot` in-process and fail on any check that
/// panicked (counted by a panic hook, see [`panics_on_this_thread`]) or reported nothing.
pub fn run_plugin_no_panic(plugin: &str, snapshot: Snapshot) -> Result<(), TestCaseError> {
    let ctx = gohost_plugin_api::testing::TestContext::new(snapshot);
    let before = panics_on_this_thread();
    let findings = gohost_plugin_api::testing::run_plugin(plugin, &ctx, &[]);
    let panics = panics_on_this_thread() - before;
    prop_assert!(!findings.is_empty(), "plugin {plugin} reported nothing");
    prop_assert_eq!(
        panics,
        0,
        "{} panic(s) in plugin {}: {:?}",
        panics,
        plugin,
        findings
    );
    for f in &findings {
        // The runtime's finding for a check that returned nothing (plugin-api runtime.rs
        // `run_one`), matched on title and detail together: both are the runtime's own words.
        let silent = format!("check `{}` produced no finding", f.check);
        prop_assert!(
            !(f.title.as_str() == silent
                && f.detail.as_str().starts_with("Every check must report")),
            "{plugin}: {}",
            f.title
        );
        prop_assert!(
            f.check.as_str().starts_with(&format!("{plugin}.")),
            "finding without its check id: {:?}",
            f.check
        );
    }
    Ok(())
}

/// Decode the base64 files of Go's debug/macho testdata (standard alphabet, line-wrapped).
fn base64_decode(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.iter().filter_map(|&c| value(c)).collect();
    sextets
        .chunks(4)
        .flat_map(|q| {
            let v = q
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &s)| acc | u32::from(s) << (18 - 6 * i));
            let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
            bytes.into_iter().take(q.len().saturating_sub(1))
        })
        .collect()
}

pub fn binary_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    // Real Mach-O (thin and fat) and ELF files from Go's debug/macho and debug/elf testdata
    // (Debian golang-go), a real plugin, and a system executable.
    let go_src = PathBuf::from("/usr/lib/go/src/debug");
    if let Ok(entries) = std::fs::read_dir(go_src.join("macho/testdata")) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "base64") {
                if let Ok(text) = std::fs::read(e.path()) {
                    seeds.push(base64_decode(&text));
                }
            }
        }
    }
    for name in [
        "gcc-amd64-linux-exec",
        "go-relocation-test-gcc482-aarch64.obj",
        "gcc-386-freebsd-exec",
    ] {
        if let Ok(b) = std::fs::read(go_src.join("elf/testdata").join(name)) {
            seeds.push(b);
        }
    }
    assert!(
        seeds.len() >= 5,
        "needs Go's debug/macho and debug/elf testdata (Debian golang-go)"
    );
    if let Ok(b) = std::fs::read(gohost_e2e::fixture("fixture-status")) {
        seeds.push(b);
    }
    if let Ok(b) = std::fs::read("/bin/true") {
        seeds.push(b);
    }
    seeds
}

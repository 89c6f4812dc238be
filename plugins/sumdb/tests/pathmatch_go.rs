//! gohost's `path.Match` and `module.MatchPrefixPatterns` (src/pathmatch.rs) against the real
//! ones: a Go program built here from Go's `path` package and Debian's golang.org/x/mod
//! (golang-golang-x-mod-dev, GOPATH mode) answers the same questions for Go's own test table,
//! 20,000 generated pattern/name pairs over the bytes that matter to the syntax (`*`, `?`,
//! `[`, `]`, `^`, `-`, `\`, `/`, `,`, multi-byte runes), and the go_env_json fuzz target's
//! timeout input (tests/fuzz-regressions/go_env_json/), whose GOPRIVATE of ~180 `*` the old
//! recursive glob could not finish. Every answer must agree: match, malformed, prefix match.
#![allow(clippy::unwrap_used)]
// Tests build and run a real Go program themselves; plugin code never does.
#![allow(clippy::disallowed_methods)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use gohost_plugin_sumdb::goenv::GoEnv;
use gohost_plugin_sumdb::pathmatch::{match_prefix_patterns, path_match};

const ORACLE: &str = r#"package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/mod/module"
)

// Each input line: hex(pattern) hex(name). Each output line: match, bad pattern, prefix match.
func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	for in.Scan() {
		f := strings.Fields(in.Text())
		p, _ := hex.DecodeString(f[0])
		n, _ := hex.DecodeString(f[1])
		m, err := path.Match(string(p), string(n))
		fmt.Fprintf(out, "%d %d %d\n", b(m), b(err != nil), b(module.MatchPrefixPatterns(string(p), string(n))))
	}
}
"#;

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Go's answers for `pairs`, from the oracle program built with the `go` on PATH.
fn go_answers(pairs: &[(String, String)]) -> Vec<(bool, bool, bool)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.go"), ORACLE).unwrap();
    let bin = dir.path().join("oracle");
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(dir.path())
        .env("GOPATH", "/usr/share/gocode")
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "build the Go oracle (needs golang-golang-x-mod-dev): {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let mut child = Command::new(&bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = pairs
        .iter()
        .map(|(p, n)| format!("{} {}\n", hex_or_empty(p), hex_or_empty(n)))
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let answers: Vec<(bool, bool, bool)> = text
        .lines()
        .map(|l| {
            let v: Vec<bool> = l.split(' ').map(|x| x == "1").collect();
            (v[0], v[1], v[2])
        })
        .collect();
    assert_eq!(answers.len(), pairs.len(), "one answer per question");
    answers
}

/// `strings.Fields` drops empty fields, so an empty string travels as `-` (hex never is).
fn hex_or_empty(s: &str) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else {
        hex(s)
    }
}

/// A small deterministic generator (xorshift64*): the same 20,000 cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

#[test]
fn path_match_and_prefix_patterns_agree_with_go() {
    // Go 1.27.3 src/path/match_test.go's patterns and names, crossed, plus the generated ones.
    let table = [
        ("abc", "abc"),
        ("*", "abc"),
        ("*c", "abc"),
        ("a*", "ab/c"),
        ("a*/b", "abc/b"),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f"),
        ("a*b?c*x", "abxbbxdbxebxczzx"),
        ("ab[^b-d]", "abc"),
        ("a\\*b", "a*b"),
        ("a?b", "a☺b"),
        ("a[^a][^a][^a]b", "a☺b"),
        ("[a-ζ]*", "α"),
        ("[\\]a]", "]"),
        ("[x\\-]", "-"),
        ("[]a]", "]"),
        ("[x-]", "z"),
        ("\\", "a"),
        ("[a-b-c]", "a"),
        ("[^bc", "a"),
        ("a/b[", "x"),
        ("github.com/corp/*", "github.com/corp/x/y"),
        ("*.corp.example,github.com/x", "git.corp.example/a"),
        ("github.com/corp/", "github.com/corp/x"),
        ("a, b", "b"),
    ];
    let mut pairs: Vec<(String, String)> = table
        .iter()
        .map(|(p, n)| ((*p).to_owned(), (*n).to_owned()))
        .collect();
    let atoms = [
        "a", "b", "/", "*", "*", "?", "[", "]", "^", "-", "\\", ",", "é", "☺", "ab", "[a-c]",
        "[^/]", "\\*",
    ];
    let name_atoms = ["a", "b", "c", "/", "é", "☺", "-", "]", "*", ",", "ab"];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let plen = (rng.next() % 9) as usize;
        let nlen = (rng.next() % 9) as usize;
        let p: String = (0..plen).map(|_| rng.pick(&atoms)).collect();
        let n: String = (0..nlen).map(|_| rng.pick(&name_atoms)).collect();
        pairs.push((p, n));
    }
    // The fuzz target's timeout input, as the target feeds it: GOPRIVATE matched as a
    // pattern list against GOSUMDB's value and against a module path.
    let input = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../tests/fuzz-regressions/go_env_json/timeout-81591a328293a63ae08ec5ed6d7ad5c2bb44c80f",
    ))
    .unwrap();
    let env = GoEnv::parse(&String::from_utf8_lossy(&input)).expect("the input parses");
    let private = env.get("GOPRIVATE").to_owned();
    let gosumdb = env.get("GOSUMDB").to_owned();
    assert!(private.matches('*').count() > 100, "{private}");
    pairs.push((private.clone(), "example.com/m".to_owned()));
    pairs.push((gosumdb.clone(), private.clone()));
    pairs.push((private.clone(), private.clone()));

    let go = go_answers(&pairs);
    let mut disagreements = Vec::new();
    for ((p, n), want) in pairs.iter().zip(&go) {
        let m = path_match(p, n);
        let got = (m == Ok(true), m.is_err(), match_prefix_patterns(p, n));
        if got != *want {
            disagreements.push(format!("{p:?} {n:?}: gohost {got:?}, Go {want:?}"));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree:\n{}",
        disagreements.len(),
        pairs.len(),
        disagreements[..disagreements.len().min(20)].join("\n")
    );
}

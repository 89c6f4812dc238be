//! Fixture builders shared by the xtask tests: real dylibs from the real linkers (cargo +
//! zig for Mach-O, the system cc for ELF). A missing tool fails the test with what to install.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use xtask::build::{build_plugin, BuildOptions, Target};
use xtask::workspace::{default_root, Workspace};

pub fn workspace() -> Workspace {
    Workspace::load(&default_root()).expect("cargo metadata")
}

pub fn fixture_dir(sub: &str) -> PathBuf {
    let dir = workspace().target_dir.join("xtask-fixtures").join(sub);
    std::fs::create_dir_all(&dir).expect("create fixture dir");
    dir
}

pub fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Serialises fixture builds within one test binary (cargo would block on its lock anyway).
fn build_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The real `arch` plugin for aarch64-apple-darwin (debug), with the dist install name
/// (`@rpath/…`) when `rpath`, else as plain `cargo zigbuild` links it (absolute build path).
pub fn arch_plugin_macos(rpath: bool) -> PathBuf {
    let _guard = build_lock();
    let ws = workspace();
    let plugin = ws
        .plugin("arch")
        .expect("plugins/arch in the workspace")
        .clone();
    let opts = BuildOptions {
        target: Target::parse("aarch64-apple-darwin").expect("target"),
        explicit_target: true,
        release: false,
        target_dir: fixture_dir(if rpath { "mac-rpath" } else { "mac-plain" }),
        distribution: rpath,
    };
    build_plugin(&ws, &opts, &plugin).expect("build arch for aarch64-apple-darwin (needs pip ziglang + cargo-zigbuild, rustup target aarch64-apple-darwin)")
}

/// The real `arch` plugin for this machine (debug).
pub fn arch_plugin_native() -> PathBuf {
    let _guard = build_lock();
    let ws = workspace();
    let plugin = ws.plugin("arch").expect("plugins/arch").clone();
    let opts = BuildOptions {
        target: Target::native(),
        explicit_target: false,
        release: false,
        target_dir: fixture_dir("native"),
        distribution: false,
    };
    build_plugin(&ws, &opts, &plugin).expect("build arch natively")
}

/// `zig cc -shared` for a Mach-O target; `extra` are more arguments.
pub fn zig_dylib(zig_target: &str, source: &str, out_name: &str, extra: &[&str]) -> PathBuf {
    let dir = fixture_dir("c-dylibs");
    let src = dir.join(format!("{out_name}.c"));
    std::fs::write(&src, source).expect("write C source");
    let out = dir.join(out_name);
    run(
        Command::new("python3")
            .args(["-m", "ziglang", "cc", "-target", zig_target, "-shared"])
            .args(extra)
            .arg("-o")
            .arg(&out)
            .arg(&src),
        "zig cc (pip install ziglang)",
    );
    out
}

/// The file with its `LC_CODE_SIGNATURE` load command removed (what an unsigned link
/// produces): the later commands move up, `ncmds`/`sizeofcmds` shrink, the gap is zeroed.
pub fn strip_code_signature(bytes: &[u8]) -> Vec<u8> {
    const LC_CODE_SIGNATURE: u32 = 0x1d;
    let word = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!(word(bytes, 0), 0xfeed_facf, "a little-endian 64-bit Mach-O");
    let ncmds = word(bytes, 16) as usize;
    let sizeofcmds = word(bytes, 20) as usize;
    let start = 32;
    let end = start + sizeofcmds;
    let mut at = start;
    for _ in 0..ncmds {
        let (cmd, size) = (word(bytes, at), word(bytes, at + 4) as usize);
        if cmd == LC_CODE_SIGNATURE {
            let mut out = bytes.to_vec();
            out.copy_within(at + size..end, at);
            out[end - size..end].fill(0);
            out[16..20].copy_from_slice(&((ncmds - 1) as u32).to_le_bytes());
            out[20..24].copy_from_slice(&((sizeofcmds - size) as u32).to_le_bytes());
            return out;
        }
        at += size;
    }
    panic!("no LC_CODE_SIGNATURE to strip");
}

pub fn llvm_lipo() -> String {
    for name in [
        "llvm-lipo",
        "llvm-lipo-14",
        "llvm-lipo-15",
        "llvm-lipo-16",
        "llvm-lipo-17",
        "llvm-lipo-18",
        "lipo",
    ] {
        if Command::new(name).arg("-version").output().is_ok() {
            return name.to_string();
        }
    }
    panic!("no llvm-lipo on PATH: apt-get install llvm");
}

pub fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

//! Every failure mode with real files: plugins built from `plugins/arch` by cargo (native,
//! `aarch64-apple-darwin` via `cargo zigbuild`, `aarch64-unknown-linux-gnu` via
//! `aarch64-linux-gnu-gcc`), C dylibs linked by zig's and the system's linkers, and a fat
//! file assembled around real thin slices. Missing tools fail the test with what to install.

use crate::*;
use gohost_plugin_api::AbiVersionTag;
use object::macho;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

fn workspace_root() -> PathBuf {
    let start = Path::new(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .find(|dir| dir.join("plugins/arch/Cargo.toml").is_file())
        .unwrap_or_else(|| panic!("no plugins/arch above {}", start.display()))
        .to_path_buf()
}

/// Fixtures get their own target dir so that building them never waits on the lock of
/// the `cargo test` that runs us.
fn fixture_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let dir = base.join("inspect-fixtures");
    std::fs::create_dir_all(&dir).expect("create fixture dir");
    dir
}

fn run(cmd: &mut Command, what: &str) {
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

/// Build `plugins/arch` for `target` (None = the host) once per test process.
fn arch_plugin(target: Option<&'static str>) -> PathBuf {
    type Built = Vec<(Option<&'static str>, PathBuf)>;
    static BUILT: OnceLock<Mutex<Built>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(t, _)| *t == target) {
        return path.clone();
    }
    let manifest = workspace_root().join("plugins/arch/Cargo.toml");
    let manifest = manifest.canonicalize().unwrap_or(manifest);
    let dir = fixture_dir();
    let mut cmd = Command::new(env!("CARGO"));
    let file = match target {
        Some("aarch64-apple-darwin") => {
            cmd.arg("zigbuild").env("MACOSX_DEPLOYMENT_TARGET", "11.0");
            "libgohost_plugin_arch.dylib"
        }
        Some(_) => {
            cmd.arg("build").env(
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
                "aarch64-linux-gnu-gcc",
            );
            "libgohost_plugin_arch.so"
        }
        None => {
            cmd.arg("build");
            if cfg!(target_os = "macos") {
                "libgohost_plugin_arch.dylib"
            } else {
                "libgohost_plugin_arch.so"
            }
        }
    };
    cmd.arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&dir)
        .arg("--quiet");
    if let Some(target) = target {
        cmd.arg("--target").arg(target);
    }
    run(
        &mut cmd,
        "building plugins/arch (needs cargo-zigbuild + ziglang from pip, gcc-aarch64-linux-gnu, rustup targets)",
    );
    let path = match target {
        Some(t) => dir.join(t).join("debug").join(file),
        None => dir.join("debug").join(file),
    };
    built.push((target, path.clone()));
    path
}

/// A C dylib without any gohost symbol, linked by `zig cc` for a Mach-O target.
fn zig_c_dylib(zig_target: &str) -> PathBuf {
    let dir = fixture_dir().join("c-dylibs");
    std::fs::create_dir_all(&dir).expect("create dir");
    let src = dir.join("hello.c");
    std::fs::write(&src, "int hello(void) { return 42; }\n").expect("write source");
    let out = dir.join(format!("libhello-{zig_target}.dylib"));
    run(
        Command::new("python3")
            .args([
                "-m", "ziglang", "cc", "-target", zig_target, "-shared", "-o",
            ])
            .arg(&out)
            .arg(&src),
        "zig cc (pip install ziglang)",
    );
    out
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn err_of(result: Result<Inspection, InspectError>) -> InspectError {
    match result {
        Ok(found) => panic!("expected an error, got {}", found.summary()),
        Err(err) => err,
    }
}

#[test]
fn empty_file_is_reported_as_empty() {
    let tmp = std::env::temp_dir().join(format!("gohost-inspect-empty-{}.so", std::process::id()));
    std::fs::write(&tmp, b"").expect("write");
    let err = err_of(inspect_path(&tmp));
    let _ = std::fs::remove_file(&tmp);
    assert!(matches!(err, InspectError::Empty), "{err}");
    assert!(err.to_string().contains("empty file"));
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let path = Path::new("/nonexistent/gohost/libnothing.so");
    let err = err_of(inspect_path(path));
    assert!(matches!(err, InspectError::Io { .. }), "{err}");
    assert!(err
        .to_string()
        .contains("/nonexistent/gohost/libnothing.so"));
}

#[test]
fn text_file_named_like_a_library_is_text() {
    let tmp =
        std::env::temp_dir().join(format!("gohost-inspect-text-{}.dylib", std::process::id()));
    std::fs::write(&tmp, "#!/bin/sh\necho not a library\n").expect("write");
    let err = err_of(inspect_path(&tmp));
    let _ = std::fs::remove_file(&tmp);
    match &err {
        InspectError::Text { first_line } => assert_eq!(first_line, "#!/bin/sh"),
        other => panic!("expected Text, got {other}"),
    }
}

/// Random bytes: unknown; random bytes behind every magic number this module knows:
/// an error (never a panic) and never a plugin.
#[test]
fn random_bytes_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut noise = vec![0u8; 64 * 1024];
    noise.iter_mut().for_each(|b| *b = next() as u8);
    noise[0] = 0x00; // no accidental magic
    let err = err_of(inspect_bytes(&noise));
    assert!(matches!(err, InspectError::UnknownFormat { .. }), "{err}");
    assert!(err.to_string().contains("00 "), "{err}");

    let magics: [&[u8]; 7] = [
        &[0xcf, 0xfa, 0xed, 0xfe],
        &[0xce, 0xfa, 0xed, 0xfe],
        &[0xca, 0xfe, 0xba, 0xbe],
        &[0xca, 0xfe, 0xba, 0xbf],
        b"\x7fELF\x02\x01\x01\x00",
        b"\x7fELF\x01\x01\x01\x00",
        b"MZ",
    ];
    for round in 0..300 {
        let magic = magics[round % magics.len()];
        let len = magic.len() + (next() % 4096) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        bytes[..magic.len()].copy_from_slice(magic);
        if let Ok(found) = inspect_bytes(&bytes) {
            // Whatever parsed is not a loadable plugin.
            assert!(found.check_loadable_here().is_err(), "{}", found.summary());
        }
    }
}

#[test]
fn truncated_headers_are_truncated_and_cut_bodies_are_malformed() {
    let native = read(&arch_plugin(None));
    let mac = read(&arch_plugin(Some("aarch64-apple-darwin")));
    for (name, bytes) in [("native", &native), ("mac", &mac)] {
        let err = err_of(inspect_bytes(&bytes[..20]));
        assert!(
            matches!(err, InspectError::Truncated { len: 20, .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
        // Cut inside the load commands / section table: an error, not a panic.
        for cut in [100, 1000, 3000, bytes.len() / 2] {
            let err = err_of(inspect_bytes(&bytes[..cut]));
            assert!(
                matches!(
                    err,
                    InspectError::Parse { .. } | InspectError::Truncated { .. }
                ),
                "{name} cut at {cut}: {err}"
            );
        }
    }
    let err = err_of(inspect_bytes(&[0xca, 0xfe, 0xba, 0xbe, 0, 0]));
    assert!(
        matches!(
            err,
            InspectError::Truncated {
                format: BinaryFormat::MachOFat,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn native_plugin_is_loadable_with_the_current_tag() {
    let found = inspect_path(&arch_plugin(None)).expect("inspect native plugin");
    let slice = found.thin().expect("thin");
    assert_eq!(slice.arch, Arch::current());
    assert_eq!(slice.os, TargetOs::current());
    assert_eq!(slice.kind, FileKind::Dylib);
    assert!(slice.has_root_module, "{}", found.summary());
    assert_eq!(
        found.check_loadable_here().expect("loadable"),
        AbiVersionTag::CURRENT
    );
    assert!(found
        .summary()
        .contains(&format!("gohost plugin ABI {}", AbiVersionTag::CURRENT)));
}

#[test]
fn macos_arm64_plugin_reads_its_load_commands() {
    let found = inspect_path(&arch_plugin(Some("aarch64-apple-darwin"))).expect("inspect");
    assert_eq!(found.format, BinaryFormat::MachO);
    let slice = found.thin().expect("thin");
    assert_eq!(slice.arch, Arch::Aarch64);
    assert_eq!(slice.os, TargetOs::MacOs);
    assert_eq!(slice.kind, FileKind::Dylib);
    assert!(slice.is_64 && slice.little_endian);
    assert_eq!(slice.abi_tag, Some(AbiVersionTag::CURRENT));
    assert!(slice.has_root_module);
    assert!(
        slice.has_code_signature,
        "zig's linker signs arm64 dylibs ad hoc"
    );
    assert_eq!(
        slice.min_os,
        Some((11, 0, 0)),
        "MACOSX_DEPLOYMENT_TARGET=11.0"
    );
    assert_eq!(slice.platform, Some(PLATFORM_MACOS));
    let id = slice.install_name.as_deref().expect("LC_ID_DYLIB");
    assert!(id.ends_with("libgohost_plugin_arch.dylib"), "{id}");
    assert!(
        slice
            .dependencies
            .iter()
            .any(|d| d == "/usr/lib/libSystem.B.dylib"),
        "{:?}",
        slice.dependencies
    );
    assert_eq!(
        found
            .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
            .expect("loadable on arm64 macOS"),
        AbiVersionTag::CURRENT
    );
    let err = found
        .check_loadable_on(&TargetOs::Linux, &Arch::X86_64)
        .expect_err("wrong OS");
    assert!(matches!(err, InspectError::WrongOs { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("arm64 Mach-O dynamic library, but this gohost runs on Linux"),
        "{err}"
    );
    let err = found
        .check_loadable_on(&TargetOs::MacOs, &Arch::X86_64)
        .expect_err("wrong arch");
    assert!(matches!(err, InspectError::WrongArch { .. }), "{err}");
    if cfg!(not(all(target_os = "macos", target_arch = "aarch64"))) {
        assert!(found.check_loadable_here().is_err());
    }
}

#[test]
fn x86_64_macho_dylib_on_arm64_mac_is_wrong_arch() {
    let found = inspect_path(&zig_c_dylib("x86_64-macos")).expect("inspect");
    let err = found
        .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
        .expect_err("x86_64");
    assert!(matches!(err, InspectError::WrongArch { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("x86_64 Mach-O dynamic library, but this gohost is aarch64"),
        "{err}"
    );
}

#[test]
fn aarch64_linux_plugin_on_x86_64_linux_is_wrong_arch() {
    let found = inspect_path(&arch_plugin(Some("aarch64-unknown-linux-gnu"))).expect("inspect");
    let slice = found.thin().expect("thin");
    assert_eq!(
        (slice.arch.clone(), slice.os.clone()),
        (Arch::Aarch64, TargetOs::Linux)
    );
    assert_eq!(slice.abi_tag, Some(AbiVersionTag::CURRENT));
    let err = found
        .check_loadable_on(&TargetOs::Linux, &Arch::X86_64)
        .expect_err("aarch64");
    assert!(matches!(err, InspectError::WrongArch { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("aarch64 ELF dynamic library, but this gohost is x86_64"),
        "{err}"
    );
    assert!(found
        .check_loadable_on(&TargetOs::Linux, &Arch::Aarch64)
        .is_ok());
}

/// A fat file around two real thin slices (the layout of `<mach-o/fat.h>`: big-endian
/// header and `fat_arch` records, slices aligned to 2^14), rejected even though it holds
/// a loadable arm64 plugin.
#[test]
fn fat_file_is_rejected_even_with_a_native_slice() {
    let arm = read(&arch_plugin(Some("aarch64-apple-darwin")));
    let x86 = read(&zig_c_dylib("x86_64-macos"));
    let align_log2 = 14u32;
    let align = 1usize << align_log2;
    let mut fat = Vec::new();
    fat.extend_from_slice(&macho::FAT_MAGIC.to_be_bytes());
    fat.extend_from_slice(&2u32.to_be_bytes());
    let first = align;
    let second = (first + x86.len()).div_ceil(align) * align;
    for (cputype, subtype, offset, len) in [
        (
            macho::CPU_TYPE_X86_64,
            macho::CPU_SUBTYPE_X86_64_ALL,
            first,
            x86.len(),
        ),
        (
            macho::CPU_TYPE_ARM64,
            macho::CPU_SUBTYPE_ARM64_ALL,
            second,
            arm.len(),
        ),
    ] {
        for word in [cputype, subtype, offset as u32, len as u32, align_log2] {
            fat.extend_from_slice(&word.to_be_bytes());
        }
    }
    fat.resize(first, 0);
    fat.extend_from_slice(&x86);
    fat.resize(second, 0);
    fat.extend_from_slice(&arm);

    let found = inspect_bytes(&fat).expect("inspect fat");
    assert_eq!(found.format, BinaryFormat::MachOFat);
    assert_eq!(found.slices.len(), 2);
    assert_eq!(found.slices[0].arch, Arch::X86_64);
    assert_eq!(found.slices[1].arch, Arch::Aarch64);
    assert_eq!(found.slices[1].abi_tag, Some(AbiVersionTag::CURRENT));
    assert_eq!(found.slices[1].offset, second as u64);
    assert!(found.thin().is_none());
    let err = found
        .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
        .expect_err("fat");
    assert!(matches!(err, InspectError::Fat { .. }), "{err}");
    assert!(err.to_string().contains("slices x86_64, arm64"), "{err}");
    assert!(found
        .summary()
        .starts_with("universal (fat) Mach-O with 2 slices"));
}

#[test]
fn dylib_without_plugin_symbol_is_not_a_plugin() {
    let found = inspect_path(&zig_c_dylib("aarch64-macos")).expect("inspect");
    let err = found
        .check_loadable_on(&TargetOs::MacOs, &Arch::Aarch64)
        .expect_err("no symbol");
    assert!(matches!(err, InspectError::NoAbiSymbol { .. }), "{err}");
    assert!(err.to_string().contains("not a gohost plugin"), "{err}");
    assert!(err.to_string().contains("cdylib"), "{err}");

    // And natively, with the system C compiler's linker.
    let dir = fixture_dir().join("c-dylibs");
    std::fs::create_dir_all(&dir).expect("dir");
    let src = dir.join("native.c");
    std::fs::write(&src, "int hello(void) { return 42; }\n").expect("write");
    let out = dir.join("libnative-hello.so");
    run(
        Command::new("cc")
            .arg("-shared")
            .arg("-fPIC")
            .arg("-o")
            .arg(&out)
            .arg(&src),
        "cc (Debian build-essential)",
    );
    let err = inspect_path(&out)
        .expect("inspect")
        .check_loadable_here()
        .expect_err("no symbol");
    assert!(matches!(err, InspectError::NoAbiSymbol { .. }), "{err}");
}

#[test]
fn executable_is_not_a_library() {
    let exe = std::env::current_exe().expect("current exe");
    let found = inspect_path(&exe).expect("inspect test binary");
    assert_eq!(
        found.thin().map(|s| s.kind.clone()),
        Some(FileKind::Executable)
    );
    let err = found.check_loadable_here().expect_err("executable");
    assert!(matches!(err, InspectError::NotALibrary { .. }), "{err}");
}

#[test]
fn an_rlib_or_static_archive_says_cdylib() {
    let err =
        inspect_bytes(b"!<arch>\n/               0           0     0     0       8         `\n")
            .expect_err("an ar archive is not a plugin");
    assert!(matches!(err, InspectError::StaticArchive), "{err}");
    assert!(
        err.to_string().contains("crate-type = [\"cdylib\"]"),
        "{err}"
    );
}

/// The host inspects a descriptor it has already opened and trust-checked: reading it gives
/// the same inspection as reading the path, and a read error names the path it was given.
#[test]
fn an_open_file_inspects_like_its_path_and_a_read_error_names_it() {
    let path = arch_plugin(None);
    let file = std::fs::File::open(&path).expect("open native plugin");
    let from_file = inspect_reader(&file, &path).expect("inspect from the descriptor");
    assert_eq!(
        from_file,
        inspect_path(&path).expect("inspect from the path")
    );
    assert_eq!(
        from_file.check_loadable_here().expect("loadable"),
        AbiVersionTag::CURRENT
    );

    // A directory opens but cannot be read (EISDIR on Linux and macOS).
    let dir = std::fs::File::open(fixture_dir()).expect("open a directory");
    let err = err_of(inspect_reader(&dir, Path::new("/some/named/file.so")));
    assert!(matches!(err, InspectError::Io { .. }), "{err}");
    assert!(err.to_string().contains("/some/named/file.so"), "{err}");
}

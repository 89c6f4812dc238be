//! `verify-dist` rejects each kind of bad plugin file with its own message. The files are
//! real: the real `arch` plugin built for aarch64-apple-darwin, dylibs linked by zig, a fat
//! file made by llvm-lipo.

mod common;

use common::*;
use std::process::Command;
use xtask::build::{Target, MIN_MACOS_TUPLE};
use xtask::verify::{plugin_problems, Expect};

const GOOD_NAME: &str = "libgohost_plugin_arch.dylib";

fn mac_arm64() -> Expect {
    Expect {
        target: Target::parse("aarch64-apple-darwin").expect("target"),
        min_macos: Some(MIN_MACOS_TUPLE),
    }
}

fn problems_of(path: &std::path::Path, name: &str) -> Vec<String> {
    let bytes = std::fs::read(path).expect("read fixture");
    plugin_problems(&bytes, name, &mac_arm64())
}

fn assert_has(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem containing {needle:?}, got {problems:#?}"
    );
}

#[test]
fn good_plugin_has_no_problems() {
    let problems = problems_of(&arch_plugin_macos(true), GOOD_NAME);
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn fat_file_is_rejected_even_with_an_arm64_slice() {
    let good = arch_plugin_macos(true);
    let x86 = zig_dylib(
        "x86_64-macos.11.0",
        "int hello(void) { return 1; }\n",
        "libx86.dylib",
        &[],
    );
    let fat = fixture_dir("c-dylibs").join("fat.dylib");
    run(
        Command::new(llvm_lipo())
            .arg("-create")
            .arg(&good)
            .arg(&x86)
            .arg("-output")
            .arg(&fat),
        "llvm-lipo (apt-get install llvm)",
    );
    let problems = problems_of(&fat, GOOD_NAME);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_has(&problems, "universal (fat) Mach-O (0xcafebabe) with slices");
    assert_has(&problems, "even when a slice is arm64");
}

#[test]
fn x86_64_macho_dylib_is_rejected() {
    let x86 = zig_dylib(
        "x86_64-macos.11.0",
        "int hello(void) { return 1; }\n",
        "libx86.dylib",
        &[],
    );
    let problems = problems_of(&x86, "libgohost_plugin_x86.dylib");
    assert_has(
        &problems,
        "x86_64 Mach-O, not arm64: rebuild with --target aarch64-apple-darwin",
    );
}

#[test]
fn absolute_install_name_is_rejected() {
    // Plain `cargo zigbuild` leaves the build path as the install name.
    let plain = arch_plugin_macos(false);
    let problems = problems_of(&plain, GOOD_NAME);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_has(&problems, "is an absolute path");
    assert_has(
        &problems,
        "-Wl,-install_name,@rpath/libgohost_plugin_arch.dylib",
    );
}

#[test]
fn unsigned_dylib_is_rejected() {
    let good = std::fs::read(arch_plugin_macos(true)).expect("read");
    let unsigned = strip_code_signature(&good);
    let problems = plugin_problems(&unsigned, GOOD_NAME, &mac_arm64());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_has(&problems, "no LC_CODE_SIGNATURE");
}

#[test]
fn dylib_linking_usr_local_or_homebrew_is_rejected() {
    for (prefix, tag) in [("/usr/local/lib", "local"), ("/opt/homebrew/lib", "brew")] {
        let dep_name = format!("libdep{tag}.dylib");
        let install = format!("-Wl,-install_name,{prefix}/{dep_name}");
        zig_dylib(
            "aarch64-macos.11.0",
            "int helper(void) { return 7; }\n",
            &dep_name,
            &[&install],
        );
        let dir = fixture_dir("c-dylibs");
        let link_dir = format!("-L{}", dir.display());
        let lib = format!("-ldep{tag}");
        let file = format!("libgohost_plugin_{tag}.dylib");
        let own_name = format!("-Wl,-install_name,@rpath/{file}");
        let bad = zig_dylib(
            "aarch64-macos.11.0",
            "int helper(void);\nint uses_helper(void) { return helper(); }\n",
            &file,
            &[&link_dir, &lib, &own_name],
        );
        let problems = problems_of(&bad, &file);
        assert_has(
            &problems,
            &format!("links {prefix}/{dep_name}: only /usr/lib/ and /System/Library/"),
        );
    }
}

#[test]
fn non_macho_files_are_rejected() {
    // A real ELF plugin, renamed.
    let elf = arch_plugin_native();
    let problems = problems_of(&elf, GOOD_NAME);
    if cfg!(target_os = "linux") {
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_has(
            &problems,
            "ELF file, not Mach-O: a macOS dist needs Mach-O files",
        );
    }
    let dir = fixture_dir("c-dylibs");
    let text = write_temp(&dir, "text.dylib", b"this is not a library\n");
    assert_has(
        &problems_of(&text, "text.dylib"),
        "a text file, not a compiled library",
    );
    let empty = write_temp(&dir, "empty.dylib", b"");
    assert_has(&problems_of(&empty, "empty.dylib"), "empty file");
}

#[test]
fn wrong_minimum_macos_is_rejected() {
    // zig's default deployment target when none is given is newer than the dist's 11.0.
    let file = "libgohost_plugin_newmin.dylib";
    let own_name = format!("-Wl,-install_name,@rpath/{file}");
    let lib = zig_dylib(
        "aarch64-macos.14.0",
        "int f(void) { return 0; }\n",
        file,
        &[&own_name],
    );
    assert_has(
        &problems_of(&lib, file),
        "minimum macOS 14.0 but the dist states 11.0",
    );
}

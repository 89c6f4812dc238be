//! Building the host and the plugins for a target: natively with cargo, for macOS from Linux
//! with `cargo zigbuild`, for aarch64 Linux from x86_64 with `aarch64-linux-gnu-gcc`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use gohost_inspect::{Arch, TargetOs};

use crate::workspace::{cargo, Package, Workspace, EXTENSION_PACKAGE};

/// The minimum macOS every dist binary states (`LC_BUILD_VERSION minos`). Without
/// `MACOSX_DEPLOYMENT_TARGET`, zig's linker writes its own default (15.0).
pub const MIN_MACOS: &str = "11.0";
pub const MIN_MACOS_TUPLE: (u16, u8, u8) = (11, 0, 0);

/// A Rust target triple and what it means for the files built for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub triple: String,
    pub os: TargetOs,
    pub arch: Arch,
}

impl Target {
    pub fn parse(triple: &str) -> Result<Target> {
        let arch = Arch::from_rust_name(triple.split('-').next().unwrap_or(""));
        let os = if triple.ends_with("-apple-darwin") {
            TargetOs::MacOs
        } else if triple.contains("-linux-") {
            TargetOs::Linux
        } else {
            bail!("unsupported target {triple}: use aarch64-apple-darwin, x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu")
        };
        if let Arch::Other(name) = &arch {
            bail!("unsupported architecture {name} in {triple}: use aarch64 or x86_64");
        }
        Ok(Target {
            triple: triple.to_string(),
            os,
            arch,
        })
    }

    /// The machine this xtask runs on.
    pub fn native() -> Target {
        let arch = Arch::current();
        let os = TargetOs::current();
        let triple = match os {
            TargetOs::MacOs => format!("{arch}-apple-darwin"),
            _ => format!("{arch}-unknown-linux-gnu"),
        };
        Target { triple, os, arch }
    }

    pub fn is_native(&self) -> bool {
        self.os == TargetOs::current() && self.arch == Arch::current()
    }

    /// Plugin file extension for this target.
    pub fn dylib_ext(&self) -> &'static str {
        self.os.plugin_extension()
    }

    /// How to link for this target from here: zig for macOS when not on a Mac.
    fn use_zig(&self) -> bool {
        self.os == TargetOs::MacOs && TargetOs::current() != TargetOs::MacOs
    }
}

/// Options shared by every build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub target: Target,
    /// Pass `--target` (false: a native build into `<target-dir>/<profile>`).
    pub explicit_target: bool,
    pub release: bool,
    pub target_dir: PathBuf,
    /// Set `@rpath/<file>` install names and remap source paths (dist and install).
    pub distribution: bool,
}

impl BuildOptions {
    /// A build for this machine without `--target`, into `<target_dir>/<profile>`, not for
    /// distribution (`bench`, `run`; `install` sets `distribution`).
    pub fn native(release: bool, target_dir: PathBuf) -> BuildOptions {
        BuildOptions {
            target: Target::native(),
            explicit_target: false,
            release,
            target_dir,
            distribution: false,
        }
    }

    /// Where cargo puts the artifacts.
    pub fn out_dir(&self) -> PathBuf {
        let profile = if self.release { "release" } else { "debug" };
        if self.explicit_target {
            self.target_dir.join(&self.target.triple).join(profile)
        } else {
            self.target_dir.join(profile)
        }
    }

    /// `cargo <sub>` or `cargo zigbuild`/`cargo-zigbuild rustc` with env for the target.
    fn command(&self, ws: &Workspace, sub: &str) -> Command {
        let mut cmd = if self.target.use_zig() {
            // `cargo zigbuild` is the build subcommand; other subcommands are reached through
            // the cargo-zigbuild binary itself (`cargo-zigbuild rustc`).
            if sub == "build" {
                let mut c = Command::new(cargo());
                c.arg("zigbuild");
                c
            } else {
                let mut c = Command::new("cargo-zigbuild");
                c.arg(sub);
                c
            }
        } else {
            let mut c = Command::new(cargo());
            c.arg(sub);
            c
        };
        cmd.current_dir(&ws.root)
            .arg("--manifest-path")
            .arg(ws.root.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&self.target_dir);
        if self.release {
            cmd.arg("--release");
        }
        if self.explicit_target {
            cmd.arg("--target").arg(&self.target.triple);
        }
        if self.target.os == TargetOs::MacOs {
            cmd.env("MACOSX_DEPLOYMENT_TARGET", MIN_MACOS);
        }
        if self.target.triple == "aarch64-unknown-linux-gnu"
            && !self.target.is_native()
            && std::env::var_os("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER").is_none()
        {
            cmd.env(
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
                "aarch64-linux-gnu-gcc",
            );
        }
        if self.distribution {
            // The same bytes whatever the checkout or cargo home path: panic locations and
            // any leftover debug paths are rewritten.
            let mut flags = format!("--remap-path-prefix={}=/gohost", ws.root.display());
            if let Some(home) = cargo_home() {
                flags.push_str(&format!(" --remap-path-prefix={}=/cargo", home.display()));
            }
            cmd.env("RUSTFLAGS", flags);
        }
        cmd
    }
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", describe(cmd)))?;
    if !status.success() {
        bail!("{} failed: {status}", describe(cmd));
    }
    Ok(())
}

fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct Built {
    pub host: PathBuf,
    /// `gohost-osquery`, the osquery extension that runs `host`.
    pub extension: PathBuf,
    /// (package, file)
    pub plugins: Vec<(Package, PathBuf)>,
}

/// Build the host binary and every plugin.
pub fn build_all(ws: &Workspace, opts: &BuildOptions) -> Result<Built> {
    if opts.distribution {
        for plugin in &ws.plugins {
            build_plugin(ws, opts, plugin)?;
        }
        let mut cmd = opts.command(ws, "build");
        cmd.args(["-p", &ws.host.package, "--bin", "gohost"]);
        cmd.args(["-p", EXTENSION_PACKAGE, "--bin", EXTENSION_PACKAGE]);
        run(&mut cmd)?;
    } else {
        let mut cmd = opts.command(ws, "build");
        cmd.args(["-p", &ws.host.package, "-p", EXTENSION_PACKAGE]);
        for plugin in &ws.plugins {
            cmd.args(["-p", &plugin.package]);
        }
        run(&mut cmd)?;
    }
    let out = opts.out_dir();
    let host = out.join("gohost");
    if !host.is_file() {
        bail!("the build did not produce {}", host.display());
    }
    let extension = out.join(EXTENSION_PACKAGE);
    if !extension.is_file() {
        bail!("the build did not produce {}", extension.display());
    }
    let mut plugins = Vec::new();
    for plugin in &ws.plugins {
        let file = out.join(format!("{}.{}", plugin.lib_stem(), opts.target.dylib_ext()));
        if !file.is_file() {
            bail!(
                "the build did not produce {} for {}",
                file.display(),
                plugin.package
            );
        }
        plugins.push((plugin.clone(), file));
    }
    Ok(Built {
        host,
        extension,
        plugins,
    })
}

/// Build one plugin; returns its file. With `distribution`, through `cargo rustc`, so that
/// the `@rpath/<file>` install name is passed to this crate's link only (RUSTFLAGS would apply
/// it to every crate and rebuild them all).
pub fn build_plugin(ws: &Workspace, opts: &BuildOptions, plugin: &Package) -> Result<PathBuf> {
    if opts.distribution {
        let mut cmd = opts.command(ws, "rustc");
        cmd.args(["-p", &plugin.package, "--lib"]);
        if opts.target.os == TargetOs::MacOs {
            let file = format!("{}.dylib", plugin.lib_stem());
            cmd.arg("--")
                .arg("-C")
                .arg(format!("link-arg=-Wl,-install_name,@rpath/{file}"));
        }
        run(&mut cmd)?;
    } else {
        let mut cmd = opts.command(ws, "build");
        cmd.args(["-p", &plugin.package]);
        run(&mut cmd)?;
    }
    let file = opts
        .out_dir()
        .join(format!("{}.{}", plugin.lib_stem(), opts.target.dylib_ext()));
    if !file.is_file() {
        bail!("the build did not produce {}", file.display());
    }
    Ok(file)
}

/// Copy a file, creating parent directories, with the given Unix mode.
pub fn copy_file(from: &Path, to: &Path, mode: u32) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    // Remove first: overwriting a mapped dylib in place can crash a running process.
    let _ = std::fs::remove_file(to);
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    set_mode(to, mode)
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {mode:o} {}", path.display()))
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

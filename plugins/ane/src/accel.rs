//! Linux compute accelerators (drivers/accel): the `/dev/accel/accelN` nodes and the driver
//! bound to each `/sys/class/accel/<dev>`, gathered through the host context.

use gohost_plugin_api::{Ctx, FileKind, ProbeErrorKind};

/// The driver a sysfs accel device is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    /// The `device/driver` symlink's last component.
    Bound(String),
    /// No `device/driver` entry (or one that is not a symlink): no driver bound.
    NotBound,
    /// The entry could not be read (permission, not recorded, …): could not tell.
    Unreadable(String),
}

/// A directory listing: names, or "absent", or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Absent,
    Entries(Vec<(String, Driver)>),
    Unreadable(String),
}

/// The entries of `dir` (filtered by `keep`) with the driver of each.
pub fn list(ctx: &Ctx<'_>, dir: &str, keep: fn(&str) -> bool) -> Listing {
    match ctx.read_dir(dir) {
        Ok(entries) => Listing::Entries(
            entries
                .into_iter()
                .map(|e| e.name.to_string())
                .filter(|n| keep(n))
                .map(|n| {
                    let d = driver_of(ctx, &n);
                    (n, d)
                })
                .collect(),
        ),
        Err(e) if e.kind == ProbeErrorKind::NotFound => Listing::Absent,
        Err(e) => Listing::Unreadable(format!("{dir}: {e}")),
    }
}

pub fn driver_link(dev: &str) -> String {
    format!("/sys/class/accel/{dev}/device/driver")
}

fn driver_of(ctx: &Ctx<'_>, dev: &str) -> Driver {
    let link = driver_link(dev);
    match ctx.file_info(&link) {
        Ok(info) if info.kind == FileKind::Symlink => match info.link_target.into_option() {
            Some(t) => Driver::Bound(t.rsplit('/').next().unwrap_or("").to_owned()),
            None => Driver::Unreadable(format!("{link}: symlink without a target")),
        },
        Ok(_) => Driver::NotBound,
        Err(e) if e.kind == ProbeErrorKind::NotFound => Driver::NotBound,
        Err(e) => Driver::Unreadable(format!("{link}: {e}")),
    }
}

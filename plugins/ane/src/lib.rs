//! gohost plugin `ane`: the Apple Neural Engine on macOS (chip → presence and core count from
//! gohost's table, the `H11ANEIn` service in the IOKit registry via `ioreg`, and, with `--deep`,
//! whether a cgo program can link Core ML) and NPU accelerators under `/dev/accel` on Linux.
//!
//! It is **not** an ML benchmark: no model is downloaded or run, no Python is needed, and a
//! chip missing from the table is reported as unknown, never guessed.
//!
//! Layout: one file per check under `checks/` (each with its `inventory` registration, a
//! `gather` that does all probing and a pure `judge` tested as data → findings tables);
//! `chip` (the Neural Engine table), `ioreg` (parsing `ioreg` output) and `accel` (Linux
//! `/dev/accel` and `/sys/class/accel` listings) are shared by the checks.

mod accel;
mod checks;
mod chip;
mod ioreg;

use gohost_plugin_api::export_plugin;

pub use checks::coreml_link::{macho_header_matches, native_goarch};
pub use chip::{ane_for_chip, Ane};
pub use ioreg::{parse_ioreg, IoregAne, IOREG_ARGV};

export_plugin! {
    name: "ane",
    version: env!("CARGO_PKG_VERSION"),
    description: "Apple Neural Engine (chip table, IOKit service, Core ML link) or Linux /dev/accel NPUs",
}

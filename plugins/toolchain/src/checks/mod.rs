//! One file per check. Each file registers its check with `inventory::submit!` next to its
//! code and splits it in two: `gather(ctx) -> Observations` does all the probing, and the
//! pure `judge(&Observations) -> Vec<Finding>` draws the verdict, so verdicts are tested as
//! data → findings tables in the same file.

pub mod go_binary_arch;
pub mod go_env_file;
pub mod go_on_path;
pub mod goarch;
pub mod gobin_on_path;
pub mod gotoolchain;
pub mod lc_uuid_binaries;
pub mod lc_uuid_go;
pub mod release_support;
pub mod version_goroot;

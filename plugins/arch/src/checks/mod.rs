//! One module per check of the `arch` plugin (module name = check id after `arch.`), each
//! registering itself with `inventory` next to its code.

mod binfmt_emulation;
mod goarm64;
mod parent_chain;
mod platform;
mod process_translation;
mod rosetta_installed;

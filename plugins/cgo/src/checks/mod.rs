//! One module per check of the `cgo` plugin (module name = check id after `cgo.`), each
//! registering itself with `inventory` next to its code.

mod build;
mod compiler;
mod enabled;
pub(crate) mod flags_leak;
mod xcode;

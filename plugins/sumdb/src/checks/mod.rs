//! One module per check; each registers itself with `inventory` next to its code.

pub mod cache;
pub mod config;
pub mod gosum;
pub mod lookup;
pub mod tree_head;

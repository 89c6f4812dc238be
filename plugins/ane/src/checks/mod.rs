//! One module per check; each registers itself with `inventory` next to its code.

pub mod coreml_link;
pub mod driver;
pub mod neural_engine;

//! One module per check, each with its registration, a `gather` that does all the probing and
//! a pure `judge` (observations in, findings out) tested from tables.

pub mod benchmark_ready;
pub mod cgroup_throttling;
pub mod cpu_frequency;
pub mod cpu_load;
pub mod low_power_mode;
pub mod memory_pressure;
pub mod power_sample;
pub mod power_source;
pub mod swap;
pub mod thermal;

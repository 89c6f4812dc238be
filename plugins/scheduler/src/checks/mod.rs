//! One module per check, each with its registration, a `gather` that does all the probing and
//! a pure `judge` (observations in, findings out) tested from tables.

pub mod benchmark_advice;
pub mod core_topology;
pub mod deep_run;
pub mod gomaxprocs;

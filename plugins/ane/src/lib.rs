//! gohost plugin `ane` (being written).

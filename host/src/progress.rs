//! The progress display of a run: one line on stderr, only when it is a terminal, that never
//! wraps; plugin log lines go to tracing meanwhile. Not the report.

use std::io::IsTerminal;
use std::sync::Mutex;

use gohost_plugin_api::LogLevel;

use crate::context::{emit_log, EventSink};

/// One progress line that never wraps (a wrapped line cannot be cleared with `\r`).
fn fit_line(text: &str) -> String {
    let width = crate::sys::terminal_width().saturating_sub(1).max(1);
    text.chars()
        .filter(|c| !c.is_control())
        .take(width)
        .collect()
}

/// Progress on stderr (a terminal only), and plugin logs to tracing.
pub struct ProgressSink {
    enabled: bool,
    state: Mutex<(usize, usize)>,
}

impl ProgressSink {
    pub fn new(enabled: bool, total: usize) -> ProgressSink {
        ProgressSink {
            enabled: enabled && std::io::stderr().is_terminal(),
            state: Mutex::new((0, total)),
        }
    }
    pub fn done(&self, plugin: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.0 += 1;
            if self.enabled {
                eprint!(
                    "\r\x1b[K{}",
                    fit_line(&format!("[{}/{}] {plugin} done", s.0, s.1))
                );
                if s.0 == s.1 {
                    eprint!("\r\x1b[K");
                }
            }
        }
    }
}

impl EventSink for ProgressSink {
    fn log(&self, plugin: &str, level: LogLevel, target: &str, message: &str) {
        emit_log(plugin, level, target, message);
    }
    fn progress(&self, plugin: &str, message: &str) {
        if self.enabled {
            // A plugin's progress text is shown as its log lines are: redacted.
            let line = crate::redact::for_log(&format!("{plugin}: {message}"));
            eprint!("\r\x1b[K{}", fit_line(&line));
        }
    }
}

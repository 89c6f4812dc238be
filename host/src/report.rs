//! The report of a run and its four renderings: human, JSON, JUnit XML, Markdown.
//!
//! The JSON form is versioned (`schema_version`) and described by `docs/report.schema.json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use gohost_plugin_api::{Facts, Finding, Status, UnmetNeed};
use serde::{Deserialize, Serialize};

mod human;
mod junit;
mod markdown;

pub use human::render_human;
use junit::finding_text;
pub use junit::render_junit;
pub(crate) use junit::xml_escape;
pub(crate) use markdown::md_cell;
pub use markdown::render_markdown;

/// Bump on any incompatible change to the JSON shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub gohost_version: String,
    pub plugin_api_version: String,
    pub platform: Platform,
    pub run: RunInfo,
    pub plugins: Vec<PluginResult>,
    pub load_errors: Vec<LoadErrorEntry>,
    pub summary: Summary,
    pub exit_code: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub os_version: String,
    pub process_arch: String,
    pub machine: String,
    pub translation: String,
    pub translation_evidence: String,
    pub chip: Option<String>,
    pub go: Option<String>,
    pub go_version: Option<String>,
    /// `go version`/`go env -json` came from the facts cache (nothing changed since they ran).
    #[serde(default)]
    pub go_facts_cached: bool,
}

impl Platform {
    pub fn from_facts(facts: &Facts) -> Platform {
        let translation = serde_json::to_value(facts.translation)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Platform {
            os: facts.os.to_string(),
            os_version: facts.os_version.to_string(),
            process_arch: facts.process_arch.to_string(),
            machine: facts.machine.to_string(),
            translation,
            translation_evidence: facts.translation_evidence.to_string(),
            chip: facts.chip.as_ref().map(|c| c.to_string()).into_option(),
            go: facts.go.as_ref().map(|g| g.path.to_string()).into_option(),
            go_version: facts
                .go
                .as_ref()
                .map(|g| g.version_output.to_string())
                .into_option()
                .filter(|v| !v.is_empty()),
            go_facts_cached: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub isolation: String,
    pub online: bool,
    pub deep: bool,
    /// Checks that need root may run: gohost runs as root, or `--allow-root-probes`.
    #[serde(default)]
    pub allow_root: bool,
    pub strict: bool,
    pub replay: Option<String>,
    pub started_unix_ms: u64,
    pub duration_ms: u64,
    pub interrupted: bool,
}

/// One plugin's part of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginResult {
    pub name: String,
    pub version: String,
    pub api_version: String,
    pub path: String,
    pub origin: String,
    /// `ok`, `crashed`, `timeout`
    pub outcome: String,
    pub duration_ms: u64,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadErrorEntry {
    pub path: String,
    /// The plugin name the file name promised, when it looked like a plugin file.
    pub plugin: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub pass: usize,
    pub info: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
    pub load_errors: usize,
    pub plugins: usize,
}

impl Summary {
    pub fn count(plugins: &[PluginResult], load_errors: usize) -> Summary {
        let mut s = Summary {
            load_errors,
            plugins: plugins.len(),
            ..Summary::default()
        };
        for f in plugins.iter().flat_map(|p| &p.findings) {
            match f.status {
                Status::Pass => s.pass += 1,
                Status::Info => s.info += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
                Status::Error => s.error += 1,
            }
        }
        s
    }
}

/// Exit codes: 0 fine, 1 a check failed (or warned with `--strict`), 2 usage/config error,
/// 3 a plugin could not run (load error, crash, timeout, `error` finding).
pub fn exit_code(summary: &Summary, strict: bool) -> i32 {
    if summary.load_errors > 0 || summary.error > 0 {
        3
    } else if summary.fail > 0 || (strict && summary.warn > 0) {
        1
    } else {
        0
    }
}

/// The one-character mark of a status, in every human-facing rendering (run and fix reports).
pub(crate) fn symbol(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Info => "i",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Skip => "-",
        Status::Error => "E",
    }
}

fn colour(status: Status) -> &'static str {
    match status {
        Status::Pass => "\x1b[32m",
        Status::Info => "\x1b[36m",
        Status::Warn => "\x1b[33m",
        Status::Fail | Status::Error => "\x1b[31m",
        Status::Skip => "\x1b[2m",
    }
}

/// Options of the human rendering.
#[derive(Debug, Clone, Copy)]
pub struct HumanStyle {
    pub colour: bool,
    /// Show evidence of passing findings too.
    pub verbose: bool,
}

/// The longest string the human, Markdown and JUnit renderings show; longer ones (a broken
/// `go` printing megabytes into its version output) are cut with [`truncation_marker`].
pub const DISPLAY_MAX_BYTES: usize = 8 << 10;
/// The longest string the JSON report carries (the whole output is in a `--record` snapshot).
pub const JSON_MAX_BYTES: usize = 64 << 10;

/// What ends a cut string: `… [truncated, N bytes total]`.
pub fn truncation_marker(total: usize) -> String {
    format!("… [truncated, {total} bytes total]")
}

/// `text` cut to at most `max` bytes (at a character boundary) plus the marker, or as is.
pub fn truncate_display(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{}", &text[..end], truncation_marker(text.len()))
}

/// Every string of a JSON document through `f`.
fn map_strings(value: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
    match value {
        serde_json::Value::String(s) => *s = f(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| map_strings(v, f)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| map_strings(v, f)),
        _ => {}
    }
}

/// A copy of `report` with every string passed through `f` (through its JSON form, so no
/// field can be forgotten); `report` itself if that round trip fails.
fn map_report(report: &Report, f: &dyn Fn(&mut serde_json::Value)) -> Report {
    let Ok(mut value) = serde_json::to_value(report) else {
        return report.clone();
    };
    f(&mut value);
    serde_json::from_value(value).unwrap_or_else(|_| report.clone())
}

/// A copy of `report` with every string cut to `max` bytes.
pub fn bounded(report: &Report, max: usize) -> Report {
    map_report(report, &|v| map_strings(v, &|s| truncate_display(s, max)))
}

/// A copy of `report` with secrets (and private hosts, if the redactor has them) redacted
/// from every string: what every rendering shows.
pub fn redacted(report: &Report, redactor: &crate::redact::Redactor) -> Report {
    map_report(report, &|v| redactor.value(v))
}

/// Text from plugins, and from the commands and files they read, may hold anything, including
/// terminal escape sequences: a broken or hostile `go` printing `ESC ]…` or `ESC [2J` into
/// its version output could retitle, clear or rewrite the user's terminal. The human and
/// Markdown renderings show every control character (but newline and tab) and every bidi
/// override as a visible `\u{…}` escape. JSON escapes them itself; JUnit drops them.
pub fn terminal_safe(text: &str) -> String {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if unsafe_char(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A copy of `report` with every string passed through [`terminal_safe`].
pub fn terminal_safe_report(report: &Report) -> Report {
    let s = |t: &str| terminal_safe(t);
    let rs = |t: &abi_stable::std_types::RString| {
        abi_stable::std_types::RString::from(terminal_safe(t.as_str()))
    };
    // Cut first: the marker counts the bytes the command really printed.
    let mut safe = bounded(report, DISPLAY_MAX_BYTES);
    let p = &mut safe.platform;
    for field in [
        &mut p.os,
        &mut p.os_version,
        &mut p.process_arch,
        &mut p.machine,
        &mut p.translation,
        &mut p.translation_evidence,
    ] {
        *field = s(field);
    }
    for field in [&mut p.chip, &mut p.go, &mut p.go_version]
        .into_iter()
        .flatten()
    {
        *field = s(field);
    }
    if let Some(replay) = &mut safe.run.replay {
        *replay = s(replay);
    }
    for plugin in &mut safe.plugins {
        for field in [
            &mut plugin.name,
            &mut plugin.version,
            &mut plugin.api_version,
            &mut plugin.path,
            &mut plugin.origin,
            &mut plugin.outcome,
        ] {
            *field = s(field);
        }
        for f in &mut plugin.findings {
            f.check = rs(&f.check);
            f.title = rs(&f.title);
            f.detail = rs(&f.detail);
            for e in f.evidence.iter_mut() {
                e.key = rs(&e.key);
                e.value = rs(&e.value);
                e.source = rs(&e.source);
            }
            if let abi_stable::std_types::ROption::RSome(r) = &mut f.remediation {
                r.text = rs(&r.text);
                for c in r.commands.iter_mut() {
                    *c = rs(c);
                }
            }
            for d in f.docs.iter_mut() {
                *d = rs(d);
            }
        }
    }
    for e in &mut safe.load_errors {
        e.path = s(&e.path);
        e.message = s(&e.message);
        if let Some(plugin) = &mut e.plugin {
            *plugin = s(plugin);
        }
    }
    safe
}

pub fn render_json(report: &Report) -> String {
    serde_json::to_string_pretty(&bounded(report, JSON_MAX_BYTES))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize report: {e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_become_visible() {
        assert_eq!(terminal_safe("plain\ttext\nline"), "plain\ttext\nline");
        assert_eq!(terminal_safe("a\x1b]0;x\x07b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(
            terminal_safe("\u{202e}evil\r\u{9b}"),
            "\\u{202e}evil\\u{d}\\u{9b}"
        );
    }

    fn report_with(findings: Vec<Finding>) -> Report {
        let plugins = vec![PluginResult {
            name: "demo".into(),
            version: "0.1.0".into(),
            api_version: "1.1.0".into(),
            path: "/p/libgohost_plugin_demo.so".into(),
            origin: "flag".into(),
            outcome: "ok".into(),
            duration_ms: 1,
            findings,
        }];
        let summary = Summary::count(&plugins, 0);
        Report {
            schema_version: SCHEMA_VERSION,
            gohost_version: "0.0.0".into(),
            plugin_api_version: "1.1.0".into(),
            platform: Platform::from_facts(&crate::facts::placeholder()),
            run: RunInfo {
                isolation: "worker".into(),
                online: false,
                deep: false,
                allow_root: false,
                strict: false,
                replay: None,
                started_unix_ms: 0,
                duration_ms: 1,
                interrupted: false,
            },
            plugins,
            load_errors: Vec::new(),
            summary,
            exit_code: 0,
        }
    }

    #[test]
    fn every_rendering_gets_redacted_strings_and_markdown_gets_no_html() {
        let report = report_with(vec![Finding::fail("<b>bold</b> [x](javascript:y)")
            .with_check("demo.a")
            .evidence("GOPROXY", "https://u:s3cret@p.example/", "go env")
            .evidence("NPM_TOKEN", "abc", "env")]);
        let report = redacted(&report, &crate::redact::Redactor::secrets_only());
        let json = render_json(&report);
        assert!(
            !json.contains("s3cret") && !json.contains("\"abc\""),
            "{json}"
        );
        assert!(json.contains("https://REDACTED@p.example/"), "{json}");
        let md = render_markdown(&report);
        assert!(!md.contains("<b>") && !md.contains("](javascript"), "{md}");
        assert!(
            md.contains("&lt;b&gt;bold&lt;/b&gt; \\[x\\]\\(javascript:y\\)"),
            "{md}"
        );
    }

    #[test]
    fn long_strings_are_cut_at_a_char_boundary_with_the_total() {
        let text = "é".repeat(10);
        assert_eq!(
            truncate_display(&text, 5),
            format!("éé{}", truncation_marker(20))
        );
        assert_eq!(truncate_display("short", 5), "short");
    }

    #[test]
    fn checks_left_out_by_flags_take_one_line_each_and_one_footer() {
        use gohost_plugin_api::UnmetNeed;
        let report = report_with(vec![
            gohost_plugin_api::not_run_finding("demo.net", "Net", &[UnmetNeed::Network]),
            gohost_plugin_api::not_run_finding("demo.slow", "Slow", &[UnmetNeed::Slow]),
            Finding::skip("No module here")
                .with_check("demo.other")
                .detail("a skip for its own reason keeps its detail"),
        ]);
        let style = |verbose| HumanStyle {
            colour: false,
            verbose,
        };
        let short = render_human(&report, style(false));
        assert!(
            short.contains("demo.net  Net: not run without --online\n"),
            "{short}"
        );
        assert!(
            !short.contains("was not run, so nothing was verified"),
            "{short}"
        );
        assert!(!short.contains("gohost run --check demo.net"), "{short}");
        assert!(
            short.contains("a skip for its own reason keeps its detail"),
            "{short}"
        );
        assert!(
            short.contains(
                "2 checks not run for what they need: allow with --online (1), --deep (1)"
            ),
            "{short}"
        );
        let long = render_human(&report, style(true));
        assert!(
            long.contains("`demo.net` was not run, so nothing was verified."),
            "{long}"
        );
        assert!(
            long.contains("$ gohost run --check demo.net --online"),
            "{long}"
        );
    }
}

//! The Markdown rendering of a report (for pasting into an issue), every outside string escaped.

use super::*;

/// Text for Markdown that GitHub renders: `&`, `<`, `>` and `"` become entities (no HTML can
/// start), Markdown's inline punctuation is backslash-escaped (no link, image, emphasis or
/// code span can start), `|` cannot end a table cell and a newline cannot end the line.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '!' | '|' | '~' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table cell (`gohost fix --format markdown`): the same escaping as the report.
pub(crate) fn md_cell(text: &str) -> String {
    md_text(text)
}

/// A check id as code: a code span for well-formed ids (what every real plugin sends), an
/// escaped `<code>` element for anything else, which a code span could not hold safely (a
/// backtick would end it).
fn md_code(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
    {
        format!("`{text}`")
    } else {
        format!("<code>{}</code>", md_text(text))
    }
}

/// Text inside raw HTML (`<pre>`, `<summary>`): entities only, as Markdown is not parsed
/// there; brackets too, so not even a renderer that did parse it could make a link.
fn md_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown for pasting into an issue. Every string from a plugin, a command or a snapshot is
/// escaped ([`md_text`], [`md_html`]) after the terminal-escape neutralization, so a crafted
/// `go version` output or snapshot cannot put HTML, links or images into the issue.
pub fn render_markdown(report: &Report) -> String {
    let safe = terminal_safe_report(report);
    let report = &safe;
    let mut out = String::new();
    let p = &report.platform;
    let _ = writeln!(out, "## gohost report\n");
    let _ = writeln!(
        out,
        "gohost {} on {} {} ({}), {}{}\n",
        md_text(&report.gohost_version),
        md_text(&p.os),
        md_text(&p.machine),
        md_text(&p.translation),
        md_text(&p.os_version),
        p.go_version
            .as_deref()
            .map(|v| format!(", {}", md_text(v)))
            .unwrap_or_default()
    );
    let s = &report.summary;
    let _ = writeln!(
        out,
        "**{} passed, {} warnings, {} failed, {} skipped, {} errors, {} info** (exit code {})\n",
        s.pass, s.warn, s.fail, s.skip, s.error, s.info, report.exit_code
    );
    for plugin in &report.plugins {
        let _ = writeln!(
            out,
            "### {} {}\n",
            md_text(&plugin.name),
            md_text(&plugin.version)
        );
        let _ = writeln!(out, "| status | check | finding |\n|---|---|---|");
        for f in &plugin.findings {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} |",
                symbol(f.status),
                f.status.as_str(),
                md_code(&f.check),
                md_text(&f.title)
            );
        }
        let _ = writeln!(out);
        for f in plugin
            .findings
            .iter()
            .filter(|f| !matches!(f.status, Status::Pass | Status::Info))
        {
            // An HTML block: `<pre>` keeps the text's lines and shows entities as the
            // characters they stand for, and no Markdown is parsed inside it.
            let _ = writeln!(
                out,
                "<details><summary><code>{}</code>: {}</summary>\n",
                md_html(&f.check).replace('\n', " "),
                md_html(&f.title).replace('\n', " ")
            );
            let _ = writeln!(
                out,
                "<pre>{}</pre>\n</details>\n",
                md_html(finding_text(f).trim_end())
            );
        }
    }
    if !report.load_errors.is_empty() {
        let _ = writeln!(out, "### Could not load\n");
        for e in &report.load_errors {
            let _ = writeln!(out, "- {}: {}", md_code(&e.path), md_text(&e.message));
        }
    }
    out
}

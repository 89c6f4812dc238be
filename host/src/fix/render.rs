//! The renderings of a `gohost fix` report: human, JSON, Markdown and JUnit, every outside
//! string made safe as the run report's renderings do (`report.rs`).

use super::*;

use crate::report::symbol;

/// The human rendering (every string made terminal-safe).
pub fn render_human(r: &FixReport) -> String {
    let safe = report::terminal_safe;
    let mut out = String::new();
    if r.items.is_empty() {
        out.push_str("gohost fix: no failing or warning checks: nothing to fix.\n");
        return out;
    }
    if r.mode == "dry-run" {
        out.push_str("gohost fix — dry run: nothing was changed (add --yes to apply)\n\n");
    } else {
        out.push_str("gohost fix — applied\n\n");
    }
    for item in &r.items {
        let _ = writeln!(
            out,
            "{} {}  {}",
            symbol(item.status),
            safe(&item.check),
            safe(&item.title)
        );
        match (&item.actions, &item.manual_reason) {
            (Some(actions), _) => {
                let verb = if r.mode == "dry-run" { "would " } else { "" };
                for a in actions {
                    let what = match a {
                        Action::RemoveEnvLine { .. } => format!("{verb}edit: {}", a.describe()),
                        Action::Show { .. } => format!("{verb}show: {}", a.describe()),
                        _ => format!("{verb}run: {}", a.describe()),
                    };
                    let backup = if a.changes_env_file() {
                        " (the go env file is backed up first)"
                    } else {
                        ""
                    };
                    let _ = writeln!(out, "    {}{backup}", safe(&what));
                }
            }
            (None, Some(reason)) => {
                let _ = writeln!(out, "    not applied automatically: {}", safe(reason));
                if !item.advice.is_empty() {
                    let _ = writeln!(out, "    {}", safe(&item.advice));
                }
                for c in &item.commands {
                    let _ = writeln!(out, "      $ {}", safe(c));
                }
            }
            (None, None) => {}
        }
        match item.resolved {
            Some(true) => out.push_str("    → resolved: the check no longer reports it\n"),
            Some(false) => out.push_str("    → still reported\n"),
            None => {}
        }
    }
    if !r.applied.is_empty() {
        out.push('\n');
        for a in &r.applied {
            let _ = writeln!(
                out,
                "{} {}{}",
                if a.ok { "applied:" } else { "FAILED:" },
                safe(&a.action.describe()),
                a.backup
                    .as_ref()
                    .map(|b| format!("  (backup: {})", safe(&b.display().to_string())))
                    .unwrap_or_default()
            );
            if !a.output.is_empty() {
                let _ = writeln!(out, "    {}", safe(&a.output).replace('\n', "\n    "));
            }
        }
    }
    if r.checks.iter().any(|c| c.after.is_some()) {
        out.push_str("\nbefore → after\n");
        for c in &r.checks {
            if let Some(after) = c.after {
                let _ = writeln!(
                    out,
                    "  {} {:<32} {} → {}  {}",
                    symbol(after),
                    safe(&c.check),
                    c.before.as_str(),
                    after.as_str(),
                    safe(c.title_after.as_deref().unwrap_or(""))
                );
            }
        }
    }
    let fixable = r.items.iter().filter(|i| i.actions.is_some()).count();
    let _ = writeln!(
        out,
        "\n{fixable} of {} problem(s) can be fixed by gohost; {} left to you.",
        r.items.len(),
        r.items.len() - fixable
    );
    out
}

pub fn render_json(r: &FixReport) -> String {
    serde_json::to_string_pretty(r)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize the fix report: {e}\"}}"))
        + "\n"
}

/// Markdown for an issue or a CI summary: one table row per problem.
pub fn render_markdown(r: &FixReport) -> String {
    let cell = |s: &str| report::md_cell(&report::terminal_safe(s));
    let mut out = format!("## gohost fix ({})\n\n", r.mode);
    out.push_str("| check | before | what gohost does | after |\n|---|---|---|---|\n");
    for item in &r.items {
        let what = match (&item.actions, &item.manual_reason) {
            (Some(actions), _) => actions
                .iter()
                .map(|a| format!("`{}`", a.describe()))
                .collect::<Vec<_>>()
                .join("; "),
            (None, Some(reason)) => format!("by hand: {reason}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&item.check),
            item.status.as_str(),
            cell(&what),
            match item.resolved {
                Some(true) => "resolved",
                Some(false) => "still reported",
                None => "—",
            }
        );
    }
    out
}

/// JUnit: one test case per problem; it fails while the problem remains.
pub fn render_junit(r: &FixReport) -> String {
    let x = report::xml_escape;
    let failures = r.items.iter().filter(|i| i.resolved != Some(true)).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"gohost fix\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"fix\" tests=\"{}\" failures=\"{failures}\">",
        r.items.len(),
        r.items.len()
    );
    for item in &r.items {
        let _ = write!(
            out,
            "    <testcase classname=\"gohost.fix\" name=\"{}: {}\"",
            x(&item.check),
            x(&item.title)
        );
        if item.resolved != Some(true) {
            let why = item
                .manual_reason
                .clone()
                .unwrap_or_else(|| match item.resolved {
                    Some(_) => "still reported after the fix".to_owned(),
                    None => "not applied (dry run)".to_owned(),
                });
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                x(&why),
                item.status.as_str(),
                x(&item.commands.join("\n"))
            );
        } else {
            let _ = writeln!(out, "/>");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

//! The human rendering of a report (the terminal; colour optional).

use super::*;

pub fn render_human(report: &Report, style: HumanStyle) -> String {
    let safe = terminal_safe_report(report);
    let report = &safe;
    let mut out = String::new();
    let paint = |status: Status, text: &str| {
        if style.colour {
            format!("{}{text}\x1b[0m", colour(status))
        } else {
            text.to_owned()
        }
    };
    let bold = |text: &str| {
        if style.colour {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let p = &report.platform;
    let _ = writeln!(
        out,
        "gohost {} · {} {} ({}) · {}{}",
        report.gohost_version,
        p.os,
        p.machine,
        p.translation,
        if p.os_version.is_empty() {
            "unknown OS version"
        } else {
            &p.os_version
        },
        p.go_version
            .as_deref()
            .map(|v| format!(" · {v}"))
            .unwrap_or_default()
    );
    if let Some(replay) = &report.run.replay {
        let _ = writeln!(
            out,
            "replaying {replay} (nothing on this machine was probed)"
        );
    }
    for plugin in &report.plugins {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} {}  ({} ms)",
            bold(&plugin.name),
            plugin.version,
            plugin.duration_ms
        );
        for f in &plugin.findings {
            let cached = if f.cached { " (cached)" } else { "" };
            let _ = writeln!(
                out,
                "  {} {}  {}{cached}",
                paint(f.status, symbol(f.status)),
                f.check,
                f.title
            );
            // A check the run's flags left out is summed up once, in the footer's line of
            // flags; its own lines would repeat the same advice for every such check.
            let detailed = style.verbose
                || !(matches!(f.status, Status::Pass | Status::Info) || not_run_needs(f).is_some());
            if !f.detail.is_empty() && detailed {
                for line in f.detail.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
            if detailed {
                for e in f.evidence.iter() {
                    let source = if e.source.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", e.source)
                    };
                    let _ = writeln!(out, "      · {} = {}{source}", e.key, e.value);
                }
            }
            if let Some(r) = f.remediation.as_ref().into_option() {
                if (!matches!(f.status, Status::Pass) && not_run_needs(f).is_none())
                    || style.verbose
                {
                    if !r.text.is_empty() {
                        let _ = writeln!(out, "      fix: {}", r.text);
                    }
                    for c in r.commands.iter() {
                        let _ = writeln!(out, "        $ {c}");
                    }
                }
            }
        }
    }
    if !report.load_errors.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", bold("could not load"));
        for e in &report.load_errors {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                paint(Status::Error, "E"),
                e.path,
                e.message
            );
        }
    }
    let s = &report.summary;
    let _ = writeln!(out);
    if let Some(line) = not_run_line(report) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "{} passed, {} warnings, {} failed, {} skipped, {} errors, {} info · {} plugins{} · {:.2}s{}",
        s.pass,
        s.warn,
        s.fail,
        s.skip,
        s.error,
        s.info,
        s.plugins,
        if s.load_errors > 0 { format!(", {} not loaded", s.load_errors) } else { String::new() },
        report.run.duration_ms as f64 / 1000.0,
        if report.run.interrupted { " · INTERRUPTED" } else { "" }
    );
    out
}

/// The unmet needs of a check gohost did not run for them (the `needs` evidence of
/// [`gohost_plugin_api::not_run_finding`]), or None for any other finding.
fn not_run_needs(f: &Finding) -> Option<Vec<&str>> {
    let needs: Vec<&str> = f
        .evidence
        .iter()
        .filter(|e| e.key == "needs" && e.source == "check manifest")
        .map(|e| e.value.as_str())
        .collect();
    (f.status == Status::Skip && !needs.is_empty()).then_some(needs)
}

/// One line naming the flags that would have run the checks gohost left out for their
/// declared needs (the `needs` evidence of [`gohost_plugin_api::not_run_finding`]).
fn not_run_line(report: &Report) -> Option<String> {
    let mut checks = 0;
    let mut by_need: BTreeMap<&str, usize> = BTreeMap::new();
    for needs in report
        .plugins
        .iter()
        .flat_map(|p| p.findings.iter())
        .filter_map(not_run_needs)
    {
        checks += 1;
        for need in needs {
            *by_need.entry(need).or_default() += 1;
        }
    }
    if checks == 0 {
        return None;
    }
    let flags: Vec<String> = by_need
        .iter()
        .map(|(need, n)| {
            let flag = UnmetNeed::ALL
                .iter()
                .find(|n| n.name() == *need)
                .map_or(*need, |n| n.flag());
            format!("{flag} ({n})")
        })
        .collect();
    Some(format!(
        "{checks} check{} not run for what {} need{}: allow with {}",
        if checks == 1 { "" } else { "s" },
        if checks == 1 { "it" } else { "they" },
        if checks == 1 { "s" } else { "" },
        flags.join(", ")
    ))
}

//! The JUnit XML rendering of a report (CI test reporters): a test case per finding.

use super::*;

pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn finding_text(f: &Finding) -> String {
    let mut text = String::new();
    if !f.detail.is_empty() {
        let _ = writeln!(text, "{}", f.detail);
    }
    for e in f.evidence.iter() {
        let _ = writeln!(text, "{} = {} [{}]", e.key, e.value, e.source);
    }
    if let Some(r) = f.remediation.as_ref().into_option() {
        let _ = writeln!(text, "fix: {}", r.text);
        for c in r.commands.iter() {
            let _ = writeln!(text, "  $ {c}");
        }
    }
    text
}

/// JUnit XML: a suite per plugin, a test case per finding; fail → `<failure>`, error →
/// `<error>`, skip → `<skipped>`; load errors form a suite of their own.
pub fn render_junit(report: &Report) -> String {
    let bounded = bounded(report, DISPLAY_MAX_BYTES);
    let report = &bounded;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let s = &report.summary;
    let total: usize = report
        .plugins
        .iter()
        .map(|p| p.findings.len())
        .sum::<usize>()
        + report.load_errors.len();
    let _ = writeln!(
        out,
        "<testsuites name=\"gohost\" tests=\"{total}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        s.fail + if report.run.strict { s.warn } else { 0 },
        s.error + s.load_errors,
        s.skip,
        report.run.duration_ms as f64 / 1000.0
    );
    for p in &report.plugins {
        let failures = p
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail || (report.run.strict && f.status == Status::Warn))
            .count();
        let errors = p
            .findings
            .iter()
            .filter(|f| f.status == Status::Error)
            .count();
        let skipped = p
            .findings
            .iter()
            .filter(|f| f.status == Status::Skip)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.3}\">",
            xml_escape(&p.name),
            p.findings.len(),
            p.duration_ms as f64 / 1000.0
        );
        for f in &p.findings {
            let _ = write!(
                out,
                "    <testcase classname=\"gohost.{}\" name=\"{}: {}\" time=\"{:.3}\"",
                xml_escape(&p.name),
                xml_escape(&f.check),
                xml_escape(&f.title),
                f.duration_us as f64 / 1e6
            );
            let body = xml_escape(&finding_text(f));
            match f.status {
                Status::Fail => {
                    let _ = writeln!(out, ">\n      <failure message=\"{}\" type=\"fail\">{body}</failure>\n    </testcase>", xml_escape(&f.title));
                }
                Status::Warn if report.run.strict => {
                    let _ = writeln!(out, ">\n      <failure message=\"{}\" type=\"warn\">{body}</failure>\n    </testcase>", xml_escape(&f.title));
                }
                Status::Error => {
                    let _ = writeln!(out, ">\n      <error message=\"{}\" type=\"error\">{body}</error>\n    </testcase>", xml_escape(&f.title));
                }
                Status::Skip => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml_escape(&f.detail)
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{}: {body}</system-out>\n    </testcase>",
                        f.status.as_str()
                    );
                }
            }
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if !report.load_errors.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"gohost.load\" tests=\"{0}\" failures=\"0\" errors=\"{0}\" skipped=\"0\">",
            report.load_errors.len()
        );
        for e in &report.load_errors {
            let _ = writeln!(
                out,
                "    <testcase classname=\"gohost.load\" name=\"{}\">\n      <error message=\"{}\" type=\"load-error\"/>\n    </testcase>",
                xml_escape(&e.path),
                xml_escape(&e.message)
            );
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

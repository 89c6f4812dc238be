//! `sumdb.gosum`: the main module's go.sum parsed; bad lines reported with line numbers.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::gosum::parse;
use crate::shell::quote;
use crate::verify::{locate, LocateProblem, Located, MAX_LISTED};

inventory::submit! {
    Check {
        id: "sumdb.gosum",
        title: "go.sum is well formed",
        explain: "Parses the main module's go.sum (next to GOMOD from `go env -json`). Each line must be `module version[/go.mod] h1:<base64 sha256>`; malformed lines and conflicting duplicate lines are reported with their line numbers. The go command refuses a malformed go.sum.",
        tags: &["modules"],
        needs: Needs::NONE,
        run,
    }
}

/// Where go.sum is and its text (None: no go.sum), or why it could not be located.
pub type Observations = Result<Located, LocateProblem>;

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    locate(ctx)
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let loc = match obs {
        Ok(l) => l,
        Err(p) => return vec![p.finding()],
    };
    let Some(text) = &loc.gosum_text else {
        return vec![Finding::info("The main module has no go.sum")
            .detail("A module without dependencies needs none; otherwise `go mod tidy` writes it.")
            .evidence("go.sum", &loc.gosum_path, "not found")];
    };
    let sum = parse(text);
    let mut out = Vec::new();
    for bad in sum.bad.iter().chain(&sum.conflicts).take(MAX_LISTED) {
        out.push(
            Finding::fail(format!("go.sum line {} is malformed: {}", bad.line, bad.problem))
                .evidence("line", bad.line.to_string(), &loc.gosum_path)
                .evidence("text", &bad.text, format!("{}:{}", loc.gosum_path, bad.line))
                .remediation(
                    "The go command refuses a malformed go.sum. Restore it from version control, or delete the bad line and let `go mod tidy` rewrite it (the checksum database re-verifies what it adds).",
                    [format!("cd {} && git diff go.sum", quote(&loc.module_dir)), format!("cd {} && go mod tidy", quote(&loc.module_dir))],
                ),
        );
    }
    let problems = sum.bad.len() + sum.conflicts.len();
    if problems > MAX_LISTED {
        out.push(Finding::fail(format!(
            "{} more malformed go.sum lines not listed",
            problems - MAX_LISTED
        )));
    }
    if out.is_empty() {
        out.push(
            Finding::pass(format!(
                "go.sum is well formed: {} module versions in {} lines",
                sum.modules.len(),
                sum.lines
            ))
            .evidence("go.sum", &loc.gosum_path, "GOMOD from go env -json"),
        );
    }
    out
}

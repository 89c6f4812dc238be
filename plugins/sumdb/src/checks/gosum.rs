//! `sumdb.gosum`: the main module's go.sum parsed; bad lines reported with line numbers.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::gosum::parse;
use crate::shell::quote;
use crate::verify::{locate, LocateProblem, Located, MAX_LISTED};

inventory::submit! {
    Check {
        id: "sumdb.gosum",
        title: "go.sum is well formed",
        explain: "Parses the main module's go.sum (next to GOMOD from `go env -json`). Each line must be `module version[/go.mod] h1:<base64 sha256>`; malformed lines and conflicting duplicate lines are reported with their line numbers. The go command stops on a line with the wrong number of fields (\"malformed go.sum\", except in `go mod tidy`); a bad or conflicting hash makes it report a checksum mismatch when that module is verified.",
        tags: &["modules"],
        needs: Needs::NONE,
        run: |ctx| judge(&gather(ctx)),
    }
}

/// Where go.sum is and its text (None: no go.sum), or why it could not be located.
pub type Observations = Result<Located, LocateProblem>;

/// What the go command does with such a line (go1.27.3 cmd/go/internal/modfetch/fetch.go):
/// readGoSum stops every command but `go mod tidy` on a wrong field count ("malformed
/// go.sum"); other lines are kept, and haveModSumLocked reports a checksum mismatch when the
/// module's hash is checked against a line that does not match.
fn consequence(problem: &str) -> &'static str {
    if problem.starts_with("wrong number of fields") {
        "The go command stops with \"malformed go.sum … wrong number of fields\" on every command except `go mod tidy`, which skips the line (cmd/go/internal/modfetch/fetch.go, readGoSum)."
    } else {
        "The go command reads the line as is; when it checks this module version against it, the hash cannot match and it stops with a checksum mismatch (cmd/go/internal/modfetch/fetch.go)."
    }
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
                .detail(consequence(&bad.problem))
                .remediation(
                    "Restore go.sum from version control, or delete the bad line and let `go mod tidy` rewrite it (the checksum database re-verifies what it adds).",
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

#[cfg(test)]
mod tests {
    use gohost_plugin_api::Status;

    use super::*;
    use crate::goenv::GoEnv;

    fn located(text: Option<&str>) -> Observations {
        Ok(Located {
            env: GoEnv::default(),
            module_dir: "/a b".into(),
            gosum_path: "/a b/go.sum".into(),
            gosum_text: text.map(str::to_owned),
            modcache: "/m".into(),
        })
    }

    /// go.sum text → (status, title, what go does); facts: readGoSum in go1.27.3
    /// cmd/go/internal/modfetch/fetch.go.
    #[test]
    fn judge_table() {
        let good = "example.com/a v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let rows: Vec<(Observations, Status, &str, &str)> = vec![
            (located(Some(good)), Status::Pass, "go.sum is well formed: 1 module versions in 1 lines", ""),
            (located(None), Status::Info, "The main module has no go.sum", ""),
            (located(Some("example.com/a v1.0.0\n")), Status::Fail, "go.sum line 1 is malformed: wrong number of fields: 2 (want `module version hash`)", "stops"),
            (located(Some("example.com/a v1.0.0 h2:x\n")), Status::Fail, "go.sum line 1 is malformed: hash `h2:x` does not start with `h1:` (the only algorithm the go command writes)", "checksum mismatch"),
            (Err(LocateProblem::NotInModule { gomod: "/dev/null".into() }), Status::Skip, "Not inside a Go module: no go.sum to verify", ""),
            (Err(LocateProblem::NoGomod), Status::Skip, "Could not tell which Go module gohost runs in", "printed no GOMOD"),
            // No recorded answer for go.sum: could not tell, not an error about the file.
            (Err(LocateProblem::GoSumUnreadable { path: "/a/go.sum".into(), error: "not recorded".into(), unanswered: true }), Status::Skip, "Could not tell: no answer reading /a/go.sum", "not recorded"),
            (Err(LocateProblem::GoSumUnreadable { path: "/a/go.sum".into(), error: "permission denied".into(), unanswered: false }), Status::Error, "cannot read /a/go.sum", "permission denied"),
        ];
        assert_eq!(rows.len(), 8);
        let mut parsed = 0;
        for (o, status, title, says) in &rows {
            let f = judge(o);
            parsed += crate::checks::assert_commands_parse(&f);
            assert_eq!(f.len(), 1, "{f:#?}");
            assert_eq!((f[0].status, f[0].title.as_str()), (*status, *title));
            assert!(f[0].detail.contains(says), "{:#?}", f[0]);
            if *status == Status::Fail {
                let cmds = f[0]
                    .remediation
                    .clone()
                    .into_option()
                    .expect("fix")
                    .commands;
                assert_eq!(cmds[0].as_str(), "cd '/a b' && git diff go.sum");
            }
        }
        assert_eq!(parsed, 4);
    }
}

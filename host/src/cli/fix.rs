//! `gohost fix`: the before run, the plan, applying it (`--yes`) and the after run.

use super::*;

pub(super) fn fix_run(
    cli: &Cli,
    args: &FixArgs,
    checks: Vec<String>,
) -> anyhow::Result<run::RunOutput> {
    let (checks_given, plugins): (Vec<String>, Vec<String>) =
        args.targets.iter().cloned().partition(|t| t.contains('.'));
    let rerun = !checks.is_empty();
    let mut run_args = discovery_only(&args.discovery);
    run_args.plugins = plugins;
    run_args.checks = if checks.is_empty() {
        checks_given
    } else {
        checks
    };
    run_args.no_cache = true;
    run_args.exec_timeout = args.exec_timeout;
    // The re-run after `--yes` (`checks` given) would repeat the config warnings: once is enough.
    let file = load_config(&args.discovery, cli.quiet || rerun)?;
    let mut config = run_config(&run_args, &file, cli.quiet)?;
    config.options.allow_root = false;
    let guard = (config.isolation == Isolation::None)
        .then(StdoutToStderr::new)
        .flatten();
    let output = run::run(&config);
    drop(guard);
    Ok(output?)
}

pub(super) fn do_fix(cli: &Cli, args: &FixArgs) -> anyhow::Result<i32> {
    use crate::fix;
    let before = match fix_run(cli, args, Vec::new()) {
        Ok(o) => o.report,
        Err(e) => match e.downcast_ref::<RunError>() {
            Some(RunError::Usage(message)) => {
                eprintln!("gohost: {message}");
                return Ok(EXIT_USAGE);
            }
            _ => return Err(e),
        },
    };
    if before.summary.error > 0 || before.summary.load_errors > 0 {
        eprintln!(
            "gohost: note: {} check error(s) and {} plugin load error(s): `gohost run` shows them",
            before.summary.error, before.summary.load_errors
        );
    }
    let mut items = fix::plan(&before);
    let mut applied = Vec::new();
    let mut after = None;
    if args.yes {
        for action in fix::distinct_actions(&items) {
            let done = fix::apply(&action);
            let ok = done.ok;
            applied.push(done);
            if !ok {
                break; // Later changes may depend on this one: stop, keep the backup.
            }
        }
        let mut affected: Vec<String> = items.iter().map(|i| i.check.clone()).collect();
        affected.sort();
        affected.dedup();
        if !affected.is_empty() {
            after = Some(fix_run(cli, args, affected)?.report);
        }
        if let Some(after) = &after {
            for item in &mut items {
                item.resolved = Some(!fix::still_reported(after, item));
            }
        }
    }
    let checks = fix::check_changes(&items, &before, after.as_ref());
    let mut report = fix::FixReport {
        schema: "gohost-fix/1",
        mode: if args.yes { "apply" } else { "dry-run" },
        items,
        applied,
        checks,
        exit_code: 0,
    };
    report.exit_code = fix::exit_code(&report);
    // Shown with the same secret redaction as `gohost run`'s report (a GOPROXY token in a
    // remediation must not reach a pasted fix report); what was applied used the real values.
    let redactor = Redactor::secrets_only();
    let report = report.map_text(&|t| redactor.text(t));
    let text = match args.format {
        Format::Human => fix::render_human(&report),
        Format::Json => fix::render_json(&report),
        Format::Junit => fix::render_junit(&report),
        Format::Markdown => fix::render_markdown(&report),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(report.exit_code)
}

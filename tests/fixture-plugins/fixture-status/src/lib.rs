//! Test fixture: reports the status named by `GOHOST_FIXTURE_STATUS` (pass by default), read
//! through the host context like any plugin would; also logs through `tracing` and asks for
//! probes so record/replay can be tested.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs, Status};

export_plugin! { name: "fixture-status", version: "0.1.0", description: "test fixture: reports the status it is told to" }

fn status(ctx: &Ctx<'_>) -> Vec<Finding> {
    tracing::info!("fixture-status check running");
    let wanted = ctx
        .env("GOHOST_FIXTURE_STATUS")
        .unwrap_or_else(|| "pass".to_owned());
    let status = match wanted.as_str() {
        "info" => Status::Info,
        "warn" => Status::Warn,
        "fail" => Status::Fail,
        "skip" => Status::Skip,
        "error" => Status::Error,
        _ => Status::Pass,
    };
    // For the log-redaction test: a plugin logging whatever it is handed, secrets included.
    if let Some(line) = ctx.env("GOHOST_FIXTURE_LOG") {
        tracing::warn!("{line}");
    }
    // For the replay-cache test: a plugin that caches whatever it saw, even in a replay, so
    // only the host can keep a replay out of the real cache.
    if ctx.env("GOHOST_FIXTURE_CACHE").is_some() {
        ctx.cache_put("fixture-status.told", &wanted);
    }
    let uname = ctx
        .run(&["uname", "-s"])
        .map(|o| o.stdout.trim().to_owned())
        .unwrap_or_else(|e| e.to_string());
    vec![Finding::new(status, format!("told to report {wanted}"))
        .evidence("uname -s", uname, "uname -s")]
}

fn second(_ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![Finding::pass("second check")]
}

inventory::submit! {
    Check { id: "fixture-status.told", title: "reports the status it is told to", explain: "Reads GOHOST_FIXTURE_STATUS.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run: status }
}
inventory::submit! {
    Check { id: "fixture-status.second", title: "always passes", explain: "A second check for selection tests.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run: second }
}

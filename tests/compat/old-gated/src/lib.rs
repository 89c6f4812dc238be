//! Compatibility fixture: checks that declare every need (network, root, slow), built against
//! the frozen plugin-api 1.0.0. Each check reports `fail` when it runs although the run's
//! options do not allow what it declared, so a report can only be clean if the host's
//! capability gate (not this old runtime) kept it from running.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! {
    name: "old-gated",
    version: "0.1.0",
    description: "Built against gohost-plugin-api 1.0.0; declares network, root and slow checks.",
}

fn ran(ctx: &Ctx<'_>, allowed: bool, what: &str) -> Vec<Finding> {
    let options = ctx.options();
    let finding = if allowed {
        Finding::pass(format!("ran, {what} allowed"))
    } else {
        Finding::fail(format!("ran although {what} was not allowed"))
    };
    vec![finding
        .evidence("online", options.online.to_string(), "options")
        .evidence("allow_root", options.allow_root.to_string(), "options")
        .evidence("deep", options.deep.to_string(), "options")]
}

fn plain(ctx: &Ctx<'_>) -> Vec<Finding> {
    ran(ctx, true, "nothing special")
}
fn network(ctx: &Ctx<'_>) -> Vec<Finding> {
    ran(ctx, ctx.options().online, "the network")
}
fn root(ctx: &Ctx<'_>) -> Vec<Finding> {
    ran(ctx, ctx.options().allow_root, "root")
}
fn slow(ctx: &Ctx<'_>) -> Vec<Finding> {
    ran(ctx, ctx.options().deep, "a slow check")
}

inventory::submit! { Check { id: "old-gated.plain", title: "Needs nothing", explain: "Always runs.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run: plain } }
inventory::submit! { Check { id: "old-gated.network", title: "Needs the network", explain: "Runs with --online.", tags: &[], needs: Needs { network: true, root: false, slow: false }, run: network } }
inventory::submit! { Check { id: "old-gated.root", title: "Needs root", explain: "Runs as root or with --allow-root-probes.", tags: &[], needs: Needs { network: false, root: true, slow: false }, run: root } }
inventory::submit! { Check { id: "old-gated.slow", title: "Is slow", explain: "Runs with --deep.", tags: &[], needs: Needs { network: false, root: false, slow: true }, run: slow } }

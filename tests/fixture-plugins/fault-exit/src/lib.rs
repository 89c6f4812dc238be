//! Test fixture: a check that calls exit(3)
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-exit", version: "0.1.0", description: "test fixture: a check that calls exit(3)" }

fn run(_ctx: &Ctx<'_>) -> Vec<Finding> {
    std::process::exit(3)
}

inventory::submit! {
    Check { id: "fault-exit.go", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

//! Test fixture: a check that aborts
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-abort", version: "0.1.0", description: "test fixture: a check that aborts" }

fn run(_ctx: &Ctx<'_>) -> Vec<Finding> {
    eprintln!("fixture: aborting now");
    std::process::abort()
}

inventory::submit! {
    Check { id: "fault-abort.go", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

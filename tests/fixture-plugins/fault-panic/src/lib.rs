//! Test fixture: a check that panics
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-panic", version: "0.1.0", description: "test fixture: a check that panics" }

fn run(_ctx: &Ctx<'_>) -> Vec<Finding> {
    panic!("fixture panic: the check blew up")
}

inventory::submit! {
    Check { id: "fault-panic.go", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

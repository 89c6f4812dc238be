//! Test fixture: a check that sleeps forever
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-hang", version: "0.1.0", description: "test fixture: a check that sleeps forever" }

fn run(_ctx: &Ctx<'_>) -> Vec<Finding> {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

inventory::submit! {
    Check { id: "fault-hang.go", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

//! Test fixture: a check that spins in a busy loop
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-spin", version: "0.1.0", description: "test fixture: a check that spins in a busy loop" }

fn run(_ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

inventory::submit! {
    Check { id: "fault-spin.go", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

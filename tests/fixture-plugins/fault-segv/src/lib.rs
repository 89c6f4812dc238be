//! Test fixture: a check that dereferences a null pointer
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-segv", version: "0.1.0", description: "test fixture: a check that dereferences a null pointer" }

fn run(_ctx: &Ctx<'_>) -> Vec<Finding> {
    // SAFETY: none; this fixture crashes on purpose.
    unsafe { std::ptr::write_volatile(std::ptr::null_mut::<u64>(), 1) };
    vec![Finding::pass("unreachable")]
}

inventory::submit! {
    Check { id: "fault-segv.go", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

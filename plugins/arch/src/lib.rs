//! gohost plugin `arch`: placeholder being written.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "arch", version: env!("CARGO_PKG_VERSION"), description: "arch" }

fn os(ctx: &Ctx<'_>) -> Vec<Finding> {
    let f = ctx.facts();
    vec![Finding::info(format!("{} {}", f.os, f.machine))]
}

inventory::submit! { Check { id: "arch.os", title: "OS", explain: "", tags: &[], needs: Needs { network: false, root: false, slow: false }, run: os } }

//! Test fixture: a check that writes 100 MB to stdout, then passes
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-flood", version: "0.1.0", description: "test fixture: a check that writes 100 MB to stdout, then passes" }

fn run(_ctx: &Ctx<'_>) -> Vec<Finding> {
    use std::io::Write;
    let chunk = vec![b'x'; 1 << 20];
    let mut out = std::io::stdout().lock();
    for _ in 0..100 {
        if out.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = out.flush();
    vec![Finding::pass("survived the flood")]
}

inventory::submit! {
    Check { id: "fault-flood.go", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

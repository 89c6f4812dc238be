//! Test fixture for stress tests: a plugin whose name, `gen-q0000`, is a fixed-width marker
//! the tests rewrite in copies of the built file, giving any number of distinct, real,
//! loadable plugins from one build. With `GOHOST_GEN_SLEEP=SECONDS` its check runs
//! `sleep SECONDS` (to observe how many workers run at once).
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "gen-q0000", version: "0.1.0", description: "test fixture: one of many generated plugins" }

fn ran(ctx: &Ctx<'_>) -> Vec<Finding> {
    if let Some(seconds) = ctx.env("GOHOST_GEN_SLEEP") {
        if let Err(e) = ctx.run(&["sleep", seconds.as_str()]) {
            return vec![Finding::error("sleep could not run").detail(e.to_string())];
        }
    }
    vec![Finding::pass("generated plugin ran")]
}

inventory::submit! {
    Check { id: "gen-q0000.ran", title: "runs", explain: "Passes when loaded and run.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run: ran }
}

//! Compatibility fixture: a plugin built against the frozen plugin-api 1.0.0. It calls every
//! kind of host-context method 1.0.0 has, up to the last one (`cache_put`/`cache_get`), so a
//! host whose vtable grew (1.1.0 appended `http_get`) is proven to still serve it correctly.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! {
    name: "old-plugin",
    version: "0.1.0",
    description: "Built against gohost-plugin-api 1.0.0 (frozen copy).",
}

fn host_context(ctx: &Ctx<'_>) -> Vec<Finding> {
    let facts = ctx.facts();
    let echo = match ctx.run(&["echo", "old-plugin-exec-ok"]) {
        Ok(out) if out.success() => out.stdout.trim().to_owned(),
        Ok(out) => return vec![Finding::fail("echo failed").detail(out.describe_exit())],
        Err(e) => return vec![Finding::error(format!("exec probe failed: {e}"))],
    };
    ctx.cache_put("old-plugin-key", "cached-value");
    let cached = ctx.cache_get("old-plugin-key").unwrap_or_else(|| "none".to_owned());
    vec![Finding::pass(format!("host context works from a 1.0.0 plugin on {}", facts.os))
        .evidence("exec", echo, "echo old-plugin-exec-ok")
        .evidence("cache", cached, "cache_put + cache_get")
        .evidence("api_version", gohost_plugin_api::AbiVersionTag::CURRENT.to_string(), "GOHOST_PLUGIN_ABI")]
}

inventory::submit! {
    Check {
        id: "old-plugin.host-context",
        title: "host context from a 1.0.0 plugin",
        explain: "Calls facts, exec, cache_put and cache_get through a host context built by a newer host.",
        tags: &["compat"],
        needs: Needs { network: false, root: false, slow: false },
        run: host_context,
    }
}

//! Test fixture for `HostContext::http_get` (plugin API 1.1.0): GETs the URL in
//! `GOHOST_TEST_HTTP_URL` through the host and reports status and body as evidence, so a test
//! can check the live, recorded and replayed answers and the `--online` gate.
use std::time::Duration;

use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! {
    name: "http-probe",
    version: "0.1.0",
    description: "GETs $GOHOST_TEST_HTTP_URL through the host context.",
}

fn get(ctx: &Ctx<'_>) -> Vec<Finding> {
    let Some(url) = ctx.env("GOHOST_TEST_HTTP_URL") else {
        return vec![Finding::skip("GOHOST_TEST_HTTP_URL is not set")];
    };
    match ctx.http_get(&url, Duration::from_millis(1500), 64) {
        Ok(r) => vec![Finding::pass(format!("HTTP {}", r.status))
            .evidence("status", r.status.to_string(), format!("GET {url}"))
            .evidence("body", String::from_utf8_lossy(&r.body), format!("GET {url}"))
            .evidence("truncated", r.truncated.to_string(), format!("GET {url}"))],
        Err(e) => vec![Finding::error(format!("GET failed ({:?})", e.kind)).detail(e.to_string())],
    }
}

inventory::submit! {
    Check {
        id: "http-probe.get",
        title: "GET through the host",
        explain: "GETs $GOHOST_TEST_HTTP_URL with HostContext::http_get (1.5 s timeout, 64 bytes).",
        tags: &["test"],
        needs: Needs { network: true, root: false, slow: false },
        run: get,
    }
}

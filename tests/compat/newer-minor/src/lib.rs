//! Compatibility fixture: a plugin as the next plugin-api minor would build it — it uses an
//! appended method (`http_get`) and its version symbol says one minor newer than the host's.
//! The host must refuse the plugin with "needs a gohost supporting plugin API >= 1.N" instead
//! of letting it call methods the host's vtable may lack.
//!
//! `export_plugin!` always writes the crate's own version into `GOHOST_PLUGIN_ABI`, so this
//! fixture spells out what the macro expands to, with a hand-set minor.
use std::time::Duration;

use gohost_plugin_api::abi_stable::std_types::{RSlice, RString, RVec};
use gohost_plugin_api::{inventory, AbiVersionTag, Check, Ctx, Finding, HostContextRef, Needs};

#[no_mangle]
#[used]
pub static GOHOST_PLUGIN_ABI: AbiVersionTag = AbiVersionTag {
    minor: AbiVersionTag::CURRENT.minor + 1,
    ..AbiVersionTag::CURRENT
};

extern "C" fn manifest() -> gohost_plugin_api::PluginManifest {
    gohost_plugin_api::runtime::manifest("newer-minor", "0.1.0", "Claims a newer plugin-api minor.")
}

extern "C" fn run(ctx: HostContextRef<'_>, selection: RSlice<'_, RString>) -> RVec<Finding> {
    gohost_plugin_api::runtime::run("newer-minor", ctx, selection)
}

#[gohost_plugin_api::abi_stable::export_root_module]
fn root_module() -> gohost_plugin_api::PluginModRef {
    use gohost_plugin_api::abi_stable::prefix_type::PrefixTypeTrait;
    gohost_plugin_api::PluginMod { manifest, run }.leak_into_prefix()
}

fn uses_appended_method(ctx: &Ctx<'_>) -> Vec<Finding> {
    match ctx.http_get("http://127.0.0.1:9/", Duration::from_secs(1), 1024) {
        Ok(r) => vec![Finding::info(format!("status {}", r.status))],
        Err(e) => vec![Finding::skip("no answer").detail(e.to_string())],
    }
}

inventory::submit! {
    Check {
        id: "newer-minor.appended-method",
        title: "uses a method appended in a newer minor",
        explain: "Calls HostContext::http_get.",
        tags: &["compat"],
        needs: Needs { network: true, root: false, slow: false },
        run: uses_appended_method,
    }
}

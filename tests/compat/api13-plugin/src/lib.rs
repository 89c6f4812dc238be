//! Compatibility fixture for plugin API 1.3.0: built against the frozen 1.3.0 copy, it lists
//! a directory with `read_dir` and takes each entry's `file_identity` (what a 1.3.0 plugin
//! does where 1.4.0 has `read_dir_identities`), asks `plugin_setting`, and reports the
//! answers as evidence, so a test can check that a newer host loads it (through
//! `compat::v1_3`) and answers each of them, live and in replay.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! {
    name: "api13-probe",
    version: "0.1.0",
    description: "Calls the methods plugin API 1.3.0 appended.",
}

fn probe(ctx: &Ctx<'_>) -> Vec<Finding> {
    let dir = match ctx.env_answer("GOHOST_TEST_API13_DIR") {
        Ok(Some(dir)) => dir,
        Ok(None) => return vec![Finding::skip("GOHOST_TEST_API13_DIR is not set")],
        Err(e) => return vec![Finding::error("no answer for the variable").detail(e.to_string())],
    };
    let entries = match ctx.read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => return vec![Finding::error("read_dir failed").detail(e.to_string())],
    };
    let mut sizes = Vec::new();
    for e in &entries {
        match ctx.file_identity(&format!("{dir}/{}", e.name)) {
            Ok(id) => sizes.push(format!("{}={}", e.name, id.size)),
            Err(e) => return vec![Finding::error("file_identity failed").detail(e.to_string())],
        }
    }
    let setting = match ctx.setting("mode") {
        Ok(value) => value.unwrap_or_else(|| "unset".to_owned()),
        Err(e) => return vec![Finding::error("no answer for the setting").detail(e.to_string())],
    };
    vec![Finding::pass("1.3.0 methods answered")
        .evidence(
            "api_version",
            gohost_plugin_api::AbiVersionTag::CURRENT.to_string(),
            "GOHOST_PLUGIN_ABI",
        )
        .evidence("sizes", sizes.join(","), format!("file_identity of each entry of {dir}"))
        .evidence("mode", setting, "plugin_setting mode")]
}

inventory::submit! {
    Check {
        id: "api13-probe.methods",
        title: "The 1.3.0 methods through the host",
        explain: "Lists a directory and takes each entry's file_identity, and asks plugin_setting: the methods plugin API 1.3.0 appended; reports their answers.",
        tags: &["test"],
        needs: Needs::NONE,
        run: probe,
    }
}

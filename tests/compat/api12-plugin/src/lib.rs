//! Compatibility fixture for plugin API 1.2.0: built against the frozen 1.2.0 copy, it calls
//! the three methods 1.2.0 appended (`env_answer`, `which_answer`, `read_file_at`) and reports
//! their answers as evidence, so a test can check that a newer host loads it (through
//! `compat::v1_2`) and answers each of them, live and in replay.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! {
    name: "api12-probe",
    version: "0.1.0",
    description: "Calls the methods plugin API 1.2.0 appended.",
}

fn probe(ctx: &Ctx<'_>) -> Vec<Finding> {
    let file = match ctx.env_answer("GOHOST_TEST_API12_FILE") {
        Ok(Some(file)) => file,
        Ok(None) => return vec![Finding::skip("GOHOST_TEST_API12_FILE is not set")],
        Err(e) => return vec![Finding::error("no answer for the variable").detail(e.to_string())],
    };
    let range = match ctx.read_file_at(&file, 4, 6) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return vec![Finding::error("read_file_at failed").detail(e.to_string())],
    };
    let sh = match ctx.which_answer("sh") {
        Ok(found) => found.len().to_string(),
        Err(e) => return vec![Finding::error("no answer for which sh").detail(e.to_string())],
    };
    vec![Finding::pass("1.2.0 methods answered")
        .evidence(
            "api_version",
            gohost_plugin_api::AbiVersionTag::CURRENT.to_string(),
            "GOHOST_PLUGIN_ABI",
        )
        .evidence("range", range, format!("read_file_at {file} 4 6"))
        .evidence("sh_found", sh, "which_answer sh")]
}

inventory::submit! {
    Check {
        id: "api12-probe.methods",
        title: "The 1.2.0 methods through the host",
        explain: "Calls env_answer, read_file_at and which_answer, the methods plugin API 1.2.0 appended, and reports their answers.",
        tags: &["test"],
        needs: Needs::NONE,
        run: probe,
    }
}

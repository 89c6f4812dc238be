//! Test fixture for plugin API 1.3.0: reads its own settings (`[plugins.fixture-settings]`
//! of the user's gohost.toml) and the identity of the file named by
//! `GOHOST_FIXTURE_IDENTITY_FILE`, through the host context, and reports what it received as
//! evidence, so the end-to-end tests can follow a setting and an identity through live runs,
//! `--record` (with redaction) and `--replay`.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs, SettingError};

export_plugin! {
    name: "fixture-settings",
    version: "0.1.0",
    description: "test fixture: reports its settings and a file identity",
}

fn read(ctx: &Ctx<'_>) -> Vec<Finding> {
    let greeting = match ctx.setting_as::<String>("greeting") {
        Ok(v) => v.unwrap_or_else(|| "(unset)".to_owned()),
        // A replay without the answer: could not tell, never "unset".
        Err(e @ SettingError::Probe { .. }) => {
            return vec![Finding::error("could not tell the greeting setting").detail(e.to_string())]
        }
        Err(e @ SettingError::Invalid { .. }) => {
            return vec![Finding::fail("the greeting setting is not a string")
                .detail(e.to_string())
                .remediation(
                    "Set it to a TOML string in your gohost.toml.",
                    ["$EDITOR ~/.config/gohost/gohost.toml"],
                )]
        }
    };
    let token = match ctx.setting("api_token") {
        Ok(v) => v.unwrap_or_else(|| "(unset)".to_owned()),
        Err(e) => {
            return vec![Finding::error("could not tell the api_token setting").detail(e.to_string())]
        }
    };
    let mut finding = Finding::pass(format!("greeting: {greeting}"))
        .evidence("greeting", &greeting, "[plugins.fixture-settings] greeting")
        .evidence("api_token", &token, "[plugins.fixture-settings] api_token");
    if let Some(file) = ctx.env("GOHOST_FIXTURE_IDENTITY_FILE") {
        match ctx.file_identity(&file) {
            Ok(id) => {
                finding = finding
                    .evidence("size", id.size.to_string(), format!("lstat {file}"))
                    .evidence("inode", id.inode.to_string(), format!("lstat {file}"))
                    .evidence("mtime", format!("{}.{:09}", id.mtime_sec, id.mtime_nsec), format!("lstat {file}"));
            }
            Err(e) => {
                return vec![Finding::error(format!("no identity for {file} ({:?})", e.kind))
                    .detail(e.to_string())]
            }
        }
    }
    vec![finding]
}

inventory::submit! {
    Check {
        id: "fixture-settings.read",
        title: "Reports its settings and a file identity",
        explain: "Reads greeting and api_token from [plugins.fixture-settings] and the identity of $GOHOST_FIXTURE_IDENTITY_FILE through the host context.",
        tags: &["test"],
        needs: Needs::NONE,
        run: read,
    }
}

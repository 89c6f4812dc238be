//! The three `gohost_*` tables: their columns (names, SQL types, documentation) and how rows
//! are made from the host's JSON (`gohost run --format json`, whose contract is
//! `docs/report.schema.json`, and `gohost list --format json`). Pure: no process, no file.
//!
//! Column names and types are a public contract (fleet queries and packs name them): add
//! columns at the end, never rename or retype one.

use std::collections::BTreeMap;

use serde_json::Value;

/// One row as osquery's Thrift API carries it: every value a string (osquery casts by the
/// column's declared type; `osquery/core/tables.cpp`, `tableRowsToPluginResponse`).
pub type Row = BTreeMap<String, String>;

/// The SQL types osquery extension tables declare (`TEXT`, `INTEGER`, `BIGINT`, `DOUBLE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Integer,
    BigInt,
    Double,
}

impl ColType {
    /// The name osquery's registry expects in a column route's `type`.
    pub fn sql(self) -> &'static str {
        match self {
            ColType::Text => "TEXT",
            ColType::Integer => "INTEGER",
            ColType::BigInt => "BIGINT",
            ColType::Double => "DOUBLE",
        }
    }
}

/// A column: name, type, and what it holds (README's "Fleet use" table comes from these).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    pub doc: &'static str,
}

const fn col(name: &'static str, ty: ColType, doc: &'static str) -> Column {
    Column { name, ty, doc }
}

/// A table: its name and columns.
#[derive(Debug, Clone, Copy)]
pub struct TableDef {
    pub name: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column],
}

pub const FINDINGS: TableDef = TableDef {
    name: "gohost_findings",
    doc: "One row per finding of a `gohost run` (same plugins, discovery, trust rules, isolation and capability gates). `WHERE plugin = …` / `WHERE check_id = …` run only those.",
    columns: &[
        col("check_id", ColType::Text, "the check's id, e.g. `arch.translation`"),
        col("plugin", ColType::Text, "the plugin that ran it"),
        col("plugin_version", ColType::Text, "that plugin's version"),
        col("status", ColType::Text, "pass, info, warn, fail, skip or error"),
        col("title", ColType::Text, "one-line result"),
        col("detail", ColType::Text, "longer explanation (may be empty)"),
        col("evidence", ColType::Text, "JSON array of {key, value, source}: what was observed and where"),
        col("remediation", ColType::Text, "JSON {text, commands} or `null`"),
        col("duration_ms", ColType::Double, "how long the check took (milliseconds)"),
        col("cached", ColType::Integer, "1 when gohost took this finding from its own result cache"),
        col("run_started", ColType::BigInt, "when the gohost run that produced the row started (Unix milliseconds)"),
        col("stale", ColType::Integer, "1 when the row is older than the TTL: a refresh did not finish within the query's time budget"),
    ],
};

pub const CHECKS: TableDef = TableDef {
    name: "gohost_checks",
    doc: "What `gohost list` shows: every check of every loadable plugin.",
    columns: &[
        col("id", ColType::Text, "the check's id"),
        col("plugin", ColType::Text, "its plugin"),
        col("plugin_version", ColType::Text, "that plugin's version"),
        col("title", ColType::Text, "what it verifies"),
        col(
            "needs",
            ColType::Text,
            "comma-separated capabilities it needs (network, root, slow); empty when none",
        ),
        col("loaded_from", ColType::Text, "the plugin file"),
    ],
};

pub const PLUGINS: TableDef = TableDef {
    name: "gohost_plugins",
    doc: "Plugin files gohost found: loaded, refused (trust rules, wrong format or ABI) or shadowed, and why.",
    columns: &[
        col("name", ColType::Text, "plugin name (empty when the file was refused before its name was known)"),
        col("version", ColType::Text, "plugin version (empty unless loaded)"),
        col("api_version", ColType::Text, "the plugin ABI version it was built for (empty unless loaded)"),
        col("path", ColType::Text, "the file"),
        col("origin", ColType::Text, "where discovery found it (explicit-file, plugin-dir, env-path, exe-dir, install-prefix, user-data)"),
        col("state", ColType::Text, "loaded, error (found but cannot load), refused (not loaded: trust rules or not a plugin) or shadowed (an earlier file has the same name)"),
        col("reason", ColType::Text, "why it is not loaded (empty when loaded)"),
    ],
};

pub const ALL: [TableDef; 3] = [FINDINGS, CHECKS, PLUGINS];

/// JSON that is not what the host's schema says.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchemaError {
    #[error("gohost's JSON has no `{0}` array")]
    MissingArray(&'static str),
    #[error("gohost's report has schema_version {0}; this extension reads version 1")]
    Version(String),
    #[error("a {what} in gohost's JSON has no string `{field}`")]
    MissingField {
        what: &'static str,
        field: &'static str,
    },
}

fn text(v: &Value, what: &'static str, field: &'static str) -> Result<String, SchemaError> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(SchemaError::MissingField { what, field })
}

fn opt_text(v: &Value, field: &str) -> String {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn array<'a>(v: &'a Value, field: &'static str) -> Result<&'a Vec<Value>, SchemaError> {
    v.get(field)
        .and_then(Value::as_array)
        .ok_or(SchemaError::MissingArray(field))
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_owned()
}

/// `gohost_findings` rows from a `gohost run --format json` report.
pub fn findings_rows(report: &Value, stale: bool) -> Result<Vec<Row>, SchemaError> {
    match report.get("schema_version").and_then(Value::as_u64) {
        Some(1) => {}
        other => {
            return Err(SchemaError::Version(
                other.map_or_else(|| "missing".to_owned(), |v| v.to_string()),
            ))
        }
    }
    let started = report
        .pointer("/run/started_unix_ms")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let mut rows = Vec::new();
    for plugin in array(report, "plugins")? {
        let name = text(plugin, "plugin", "name")?;
        let version = opt_text(plugin, "version");
        for f in array(plugin, "findings")? {
            let duration_us = f.get("duration_us").and_then(Value::as_u64).unwrap_or(0);
            let mut row = Row::new();
            row.insert("check_id".into(), text(f, "finding", "check")?);
            row.insert("plugin".into(), name.clone());
            row.insert("plugin_version".into(), version.clone());
            row.insert("status".into(), text(f, "finding", "status")?);
            row.insert("title".into(), text(f, "finding", "title")?);
            row.insert("detail".into(), opt_text(f, "detail"));
            row.insert(
                "evidence".into(),
                f.get("evidence")
                    .map_or_else(|| "[]".to_owned(), Value::to_string),
            );
            row.insert(
                "remediation".into(),
                f.get("remediation")
                    .map_or_else(|| "null".to_owned(), Value::to_string),
            );
            row.insert(
                "duration_ms".into(),
                format!("{:.3}", duration_us as f64 / 1000.0),
            );
            row.insert(
                "cached".into(),
                flag(f.get("cached").and_then(Value::as_bool).unwrap_or(false)),
            );
            row.insert("run_started".into(), started.to_string());
            row.insert("stale".into(), flag(stale));
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The words of a check's `needs` object that are true, in a fixed order.
fn needs_words(needs: Option<&Value>) -> String {
    ["network", "root", "slow"]
        .into_iter()
        .filter(|w| {
            needs
                .and_then(|n| n.get(*w))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `gohost_checks` rows from `gohost list --format json`.
pub fn checks_rows(list: &Value) -> Result<Vec<Row>, SchemaError> {
    let mut rows = Vec::new();
    for p in array(list, "plugins")? {
        let Some(m) = p.get("manifest").filter(|m| !m.is_null()) else {
            continue; // cannot load: it has no checks to list (gohost_plugins says why)
        };
        let path = opt_text(p, "path");
        let plugin = text(m, "manifest", "name")?;
        let version = opt_text(m, "version");
        for c in array(m, "checks")? {
            let mut row = Row::new();
            row.insert("id".into(), text(c, "check", "id")?);
            row.insert("plugin".into(), plugin.clone());
            row.insert("plugin_version".into(), version.clone());
            row.insert("title".into(), opt_text(c, "title"));
            row.insert("needs".into(), needs_words(c.get("needs")));
            row.insert("loaded_from".into(), path.clone());
            rows.push(row);
        }
    }
    Ok(rows)
}

/// `gohost_plugins` rows from `gohost list --format json`.
pub fn plugins_rows(list: &Value) -> Result<Vec<Row>, SchemaError> {
    let mut rows = Vec::new();
    let mut push = |name: String,
                    version: String,
                    api: String,
                    path: String,
                    origin: String,
                    state: &str,
                    reason: String| {
        let mut row = Row::new();
        row.insert("name".into(), name);
        row.insert("version".into(), version);
        row.insert("api_version".into(), api);
        row.insert("path".into(), path);
        row.insert("origin".into(), origin);
        row.insert("state".into(), state.to_owned());
        row.insert("reason".into(), reason);
        rows.push(row);
    };
    for p in array(list, "plugins")? {
        let m = p.get("manifest").filter(|m| !m.is_null());
        let error = p.get("error").and_then(Value::as_str);
        push(
            text(p, "plugin", "name")?,
            m.map(|m| opt_text(m, "version")).unwrap_or_default(),
            m.map(|m| opt_text(m, "api_version")).unwrap_or_default(),
            opt_text(p, "path"),
            p.get("origin")
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                .unwrap_or_default(),
            if error.is_some() { "error" } else { "loaded" },
            error.unwrap_or_default().to_owned(),
        );
    }
    for r in array(list, "refused")? {
        push(
            opt_text(r, "plugin"),
            String::new(),
            String::new(),
            text(r, "refused file", "path")?,
            String::new(),
            "refused",
            opt_text(r, "message"),
        );
    }
    for s in array(list, "shadowed")? {
        let winner = opt_text(s, "winner");
        push(
            text(s, "shadowed file", "name")?,
            String::new(),
            String::new(),
            text(s, "shadowed file", "path")?,
            String::new(),
            "shadowed",
            format!("shadowed by {winner} (found first)"),
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "schema_version": 1,
            "run": {"started_unix_ms": 1700000000123u64},
            "plugins": [
                {"name": "arch", "version": "0.1.0", "findings": [
                    {"check": "arch.platform", "status": "pass", "title": "native", "detail": "",
                     "evidence": [{"key": "k", "value": "v", "source": "s"}], "remediation": null,
                     "docs": [], "duration_us": 1500, "cached": true},
                    {"check": "arch.goarm64", "status": "fail", "title": "bad", "detail": "d",
                     "evidence": [], "remediation": {"text": "t", "commands": ["go env -u GOARM64"]},
                     "docs": [], "duration_us": 7, "cached": false}
                ]},
                {"name": "fault-panic", "version": "0.1.0", "findings": [
                    {"check": "fault-panic.go", "status": "error", "title": "crashed", "detail": "",
                     "evidence": [], "remediation": null, "docs": [], "duration_us": 0, "cached": false}
                ]}
            ]
        })
    }

    #[test]
    fn findings_table() {
        let rows = findings_rows(&report(), false).expect("valid report");
        assert_eq!(rows.len(), 3);
        for row in &rows {
            let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
            keys.sort_unstable();
            let mut cols: Vec<&str> = FINDINGS.columns.iter().map(|c| c.name).collect();
            cols.sort_unstable();
            assert_eq!(keys, cols, "every row has exactly the declared columns");
        }
        assert_eq!(rows[0]["check_id"], "arch.platform");
        assert_eq!(rows[0]["plugin_version"], "0.1.0");
        assert_eq!(rows[0]["duration_ms"], "1.500");
        assert_eq!(rows[0]["cached"], "1");
        assert_eq!(rows[0]["remediation"], "null");
        assert_eq!(rows[0]["run_started"], "1700000000123");
        assert_eq!(rows[0]["stale"], "0");
        let ev: Value = serde_json::from_str(&rows[0]["evidence"]).expect("evidence is JSON");
        assert_eq!(ev[0]["source"], "s");
        let rem: Value = serde_json::from_str(&rows[1]["remediation"]).expect("JSON");
        assert_eq!(rem["commands"][0], "go env -u GOARM64");
        assert_eq!(rows[2]["status"], "error");
        assert_eq!(rows[2]["plugin"], "fault-panic");
        let stale = findings_rows(&report(), true).expect("valid");
        assert!(stale.iter().all(|r| r["stale"] == "1"));
    }

    #[test]
    fn findings_refuses_other_schemas() {
        let mut r = report();
        r["schema_version"] = json!(2);
        assert_eq!(
            findings_rows(&r, false),
            Err(SchemaError::Version("2".into()))
        );
        assert!(matches!(
            findings_rows(&json!({"schema_version": 1}), false),
            Err(SchemaError::MissingArray("plugins"))
        ));
        let mut r = report();
        r["plugins"][0]["findings"][0]
            .as_object_mut()
            .expect("object")
            .remove("status");
        assert!(matches!(
            findings_rows(&r, false),
            Err(SchemaError::MissingField {
                field: "status",
                ..
            })
        ));
    }

    fn list() -> Value {
        json!({
            "plugins": [
                {"name": "arch", "path": "/p/libgohost_plugin_arch.so", "origin": "env-path", "error": null,
                 "manifest": {"name": "arch", "version": "0.1.0", "api_version": "1.2.0", "checks": [
                    {"id": "arch.platform", "title": "Platform", "needs": {"network": false, "root": false, "slow": false}},
                    {"id": "arch.deep", "title": "Deep", "needs": {"network": true, "root": false, "slow": true}}
                 ]}},
                {"name": "broken", "path": "/p/libgohost_plugin_broken.so", "origin": "exe-dir", "error": "worker crashed", "manifest": null}
            ],
            "refused": [{"path": "/p/libgohost_plugin_evil.so", "plugin": null, "message": "world-writable directory"}],
            "shadowed": [{"name": "arch", "path": "/q/libgohost_plugin_arch.so", "winner": "/p/libgohost_plugin_arch.so"}],
            "searched": []
        })
    }

    #[test]
    fn checks_table() {
        let rows = checks_rows(&list()).expect("valid list");
        assert_eq!(rows.len(), 2, "the unloadable plugin has no checks");
        assert_eq!(rows[0]["id"], "arch.platform");
        assert_eq!(rows[0]["needs"], "");
        assert_eq!(rows[1]["needs"], "network,slow");
        assert_eq!(rows[1]["loaded_from"], "/p/libgohost_plugin_arch.so");
        assert!(matches!(
            checks_rows(&json!({})),
            Err(SchemaError::MissingArray("plugins"))
        ));
    }

    /// README's "Fleet use" table documents every column (and so stays true when one is added).
    #[test]
    fn readme_documents_every_column() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("README.md");
        let mut documented = 0;
        for table in ALL {
            let line = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", table.name)))
                .unwrap_or_else(|| panic!("README has no row for {}", table.name));
            for c in table.columns {
                assert!(
                    line.contains(&format!("`{}`", c.name)),
                    "{}.{}",
                    table.name,
                    c.name
                );
                documented += 1;
            }
        }
        assert_eq!(documented, 25);
    }

    #[test]
    fn plugins_table() {
        let rows = plugins_rows(&list()).expect("valid list");
        let states: Vec<&str> = rows.iter().map(|r| r["state"].as_str()).collect();
        assert_eq!(states, ["loaded", "error", "refused", "shadowed"]);
        assert_eq!(rows[0]["api_version"], "1.2.0");
        assert_eq!(rows[0]["reason"], "");
        assert_eq!(rows[1]["reason"], "worker crashed");
        assert_eq!(rows[2]["reason"], "world-writable directory");
        assert_eq!(rows[2]["name"], "");
        assert!(rows[3]["reason"].contains("/p/libgohost_plugin_arch.so"));
    }
}

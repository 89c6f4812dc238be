//! From osquery's query context to what `gohost run` is asked to do. Pure.
//!
//! osquery sends a table's `generate` request with a `context` entry: JSON
//! `{"constraints":[{"name":COLUMN,"list":[{"op":N,"expr":TEXT}…],"affinity":TYPE}…], …}`
//! (osquery `osquery/core/tables.cpp`: `TablePlugin::setRequestFromContext`,
//! `ConstraintList::serialize`), op 2 being `EQUALS` (`osquery/tables.h`). Only equality on
//! `plugin` or `check_id` narrows the run; SQLite filters the rows again afterwards, so a
//! superset is always correct and any other operator simply means "run them all".

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// osquery's `EQUALS` constraint operator.
const OP_EQUALS: u64 = 2;

/// What a query asked for: empty sets mean no equality constraint on that column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Wanted {
    pub plugins: BTreeSet<String>,
    pub checks: BTreeSet<String>,
}

/// A `context` that is not the JSON osquery sends.
#[derive(Debug, thiserror::Error)]
#[error("the query context is not osquery's constraint JSON: {0}")]
pub struct ContextError(String);

/// Read the equality constraints on `plugin` and `check_id` from a generate request.
pub fn wanted(request: &BTreeMap<String, String>) -> Result<Wanted, ContextError> {
    let mut out = Wanted::default();
    let Some(context) = request.get("context") else {
        return Ok(out);
    };
    let doc: Value = serde_json::from_str(context).map_err(|e| ContextError(e.to_string()))?;
    let Some(constraints) = doc.get("constraints") else {
        return Ok(out);
    };
    let constraints = constraints
        .as_array()
        .ok_or_else(|| ContextError("`constraints` is not an array".into()))?;
    for c in constraints {
        let target = match c.get("name").and_then(Value::as_str) {
            Some("plugin") => &mut out.plugins,
            Some("check_id") => &mut out.checks,
            _ => continue,
        };
        let list = c.get("list").and_then(Value::as_array);
        let Some(list) = list.filter(|l| !l.is_empty()) else {
            continue; // osquery lists every column, constrained or not
        };
        let equals: Option<Vec<String>> = list
            .iter()
            .map(|item| {
                let op = item.get("op").and_then(Value::as_u64)?;
                let expr = item.get("expr").and_then(Value::as_str)?;
                (op == OP_EQUALS).then(|| expr.to_owned())
            })
            .collect();
        match equals {
            Some(values) => target.extend(values),
            // LIKE, <, != …: cannot narrow; drop any equality on this column too, so the
            // run is a superset of what SQLite keeps.
            None => {
                target.clear();
                target.insert(String::from("\0any"));
            }
        }
    }
    for set in [&mut out.plugins, &mut out.checks] {
        if set.contains("\0any") {
            set.clear();
        }
    }
    Ok(out)
}

/// What exists, from `gohost list --format json`: plugin names and each check's plugin.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub plugins: BTreeSet<String>,
    /// check id → plugin name
    pub checks: BTreeMap<String, String>,
}

impl Known {
    pub fn from_list(list: &Value) -> Known {
        let mut known = Known::default();
        for p in list
            .get("plugins")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            known.plugins.insert(name.to_owned());
            for c in p
                .pointer("/manifest/checks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = c.get("id").and_then(Value::as_str) {
                    known.checks.insert(id.to_owned(), name.to_owned());
                }
            }
        }
        known
    }
}

/// The selection part of a `gohost run` command line, or nothing to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// No plugin or check matches: the answer is zero rows without running anything
    /// (`gohost run` refuses unknown names with a usage error).
    Nothing,
    /// Arguments after `gohost run`.
    Run(Vec<String>),
}

/// Narrow to what exists; unknown names are dropped because they cannot match a row.
pub fn plan(wanted: &Wanted, known: &Known) -> Plan {
    if !wanted.checks.is_empty() {
        let checks: Vec<&String> = wanted
            .checks
            .iter()
            .filter(|c| {
                known.checks.get(*c).is_some_and(|p| {
                    wanted.plugins.is_empty() || wanted.plugins.contains(p.as_str())
                })
            })
            .collect();
        if checks.is_empty() {
            return Plan::Nothing;
        }
        return Plan::Run(
            checks
                .into_iter()
                .flat_map(|c| ["--check".to_owned(), c.clone()])
                .collect(),
        );
    }
    if !wanted.plugins.is_empty() {
        let plugins: Vec<String> = wanted
            .plugins
            .iter()
            .filter(|p| known.plugins.contains(*p))
            .cloned()
            .collect();
        if plugins.is_empty() {
            return Plan::Nothing;
        }
        return Plan::Run(plugins);
    }
    Plan::Run(vec!["all".to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(context: Value) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("action".to_owned(), "generate".to_owned()),
            ("context".to_owned(), context.to_string()),
        ])
    }

    fn c(name: &str, list: Value) -> Value {
        json!({"name": name, "list": list, "affinity": "TEXT"})
    }

    #[test]
    fn constraints_table() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let cases: Vec<(Value, Wanted)> = vec![
            (json!({}), Wanted::default()),
            (json!({"constraints": []}), Wanted::default()),
            // osquery lists unconstrained columns with an empty list
            (
                json!({"constraints": [c("plugin", json!([])), c("status", json!([{"op": 2, "expr": "fail"}]))]}),
                Wanted::default(),
            ),
            (
                json!({"constraints": [c("plugin", json!([{"op": 2, "expr": "arch"}]))]}),
                Wanted {
                    plugins: set(&["arch"]),
                    checks: set(&[]),
                },
            ),
            (
                json!({"constraints": [c("check_id", json!([{"op": 2, "expr": "arch.platform"}])), c("plugin", json!([{"op": 2, "expr": "arch"}]))]}),
                Wanted {
                    plugins: set(&["arch"]),
                    checks: set(&["arch.platform"]),
                },
            ),
            // LIKE (65) cannot narrow, even next to an equality on the same column
            (
                json!({"constraints": [c("plugin", json!([{"op": 2, "expr": "arch"}, {"op": 65, "expr": "a%"}]))]}),
                Wanted::default(),
            ),
            (
                json!({"constraints": [c("plugin", json!([{"op": 65, "expr": "a%"}])), c("plugin", json!([{"op": 2, "expr": "arch"}]))]}),
                Wanted::default(),
            ),
        ];
        for (context, expected) in cases {
            assert_eq!(
                wanted(&req(context.clone())).expect("valid"),
                expected,
                "{context}"
            );
        }
        assert_eq!(
            wanted(&BTreeMap::new()).expect("no context"),
            Wanted::default()
        );
        assert!(wanted(&BTreeMap::from([("context".to_owned(), "{".to_owned())])).is_err());
        assert!(wanted(&req(json!({"constraints": 3}))).is_err());
    }

    #[test]
    fn plan_table() {
        let known = Known::from_list(&json!({"plugins": [
            {"name": "arch", "manifest": {"checks": [{"id": "arch.platform"}, {"id": "arch.goarm64"}]}},
            {"name": "toolchain", "manifest": {"checks": [{"id": "toolchain.go"}]}},
            {"name": "broken", "manifest": null, "error": "crashed"}
        ]}));
        let w = |p: &[&str], c: &[&str]| Wanted {
            plugins: p.iter().map(|s| s.to_string()).collect(),
            checks: c.iter().map(|s| s.to_string()).collect(),
        };
        let run = |a: &[&str]| Plan::Run(a.iter().map(|s| s.to_string()).collect());
        let cases = [
            (w(&[], &[]), run(&["all"])),
            (w(&["arch"], &[]), run(&["arch"])),
            (w(&["broken", "arch"], &[]), run(&["arch", "broken"])),
            (w(&["nope"], &[]), Plan::Nothing),
            (
                w(&[], &["arch.platform"]),
                run(&["--check", "arch.platform"]),
            ),
            (w(&[], &["arch.nope"]), Plan::Nothing),
            (w(&["toolchain"], &["arch.platform"]), Plan::Nothing),
            (
                w(&["arch"], &["arch.platform", "toolchain.go"]),
                run(&["--check", "arch.platform"]),
            ),
        ];
        for (wanted, expected) in cases {
            assert_eq!(plan(&wanted, &known), expected, "{wanted:?}");
        }
    }
}

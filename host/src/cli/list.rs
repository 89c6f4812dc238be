//! `gohost list`, `gohost explain` and `gohost plugin check`: what is installed, what a check
//! does, and whether a file would load.

use super::*;

pub(super) fn do_list(
    cli: &Cli,
    format: ListFormat,
    discovery: &DiscoveryArgs,
) -> anyhow::Result<i32> {
    let file = load_config(discovery, cli.quiet)?;
    let config = run_config(&discovery_only(discovery), &file, cli.quiet)?;
    let (listed, resolved) = run::list(&config);
    let failed = listed.iter().any(|l| l.error.is_some()) || !resolved.refused.is_empty();
    match format {
        ListFormat::Json => {
            let value = serde_json::json!({
                "plugins": listed,
                "shadowed": resolved.shadowed,
                "refused": resolved.refused,
                // What each plugin's `plugin_setting` answers in a run with this config.
                "settings": shown_settings(&config.plugin_settings),
                "searched": crate::discovery::search_dirs(&config.search)
                    .into_iter()
                    .map(|(d, o)| serde_json::json!({"dir": d, "origin": o}))
                    .collect::<Vec<_>>(),
            });
            write_output(None, &(serde_json::to_string_pretty(&value)? + "\n"))?;
        }
        ListFormat::Human => {
            let mut out = String::new();
            for l in &listed {
                match (&l.manifest, &l.error) {
                    (Some(m), _) => {
                        out.push_str(&format!(
                            "{} {} (plugin API {}) — {}\n    from {} [{}]\n",
                            m.name,
                            m.version,
                            m.api_version,
                            m.description,
                            l.path,
                            l.origin.describe()
                        ));
                        if let Some(line) = settings_line(&config.plugin_settings, m.name.as_str())
                        {
                            out.push_str(&format!("    settings: {line}\n"));
                        }
                        for c in m.checks.iter() {
                            let needs = needs_words(&c.needs);
                            let needs = if needs.is_empty() {
                                String::new()
                            } else {
                                format!("  [needs {}]", needs.join(", "))
                            };
                            out.push_str(&format!(
                                "    {:<34} {}{needs}\n",
                                c.id.as_str(),
                                c.title
                            ));
                        }
                    }
                    (None, Some(e)) => out.push_str(&format!(
                        "{} — cannot load: {e}\n    from {} [{}]\n",
                        l.name,
                        l.path,
                        l.origin.describe()
                    )),
                    (None, None) => {}
                }
            }
            for s in &resolved.shadowed {
                out.push_str(&format!(
                    "{} at {} — shadowed by {} (found first)\n",
                    s.name, s.path, s.winner
                ));
            }
            for r in &resolved.refused {
                out.push_str(&format!("{} — {}\n", r.path, r.message));
            }
            if listed.is_empty() && resolved.refused.is_empty() {
                out.push_str("no plugins found\n");
            }
            if listed.is_empty() || cli.verbose > 0 {
                out.push_str("searched:\n");
                for (dir, origin) in crate::discovery::search_dirs(&config.search) {
                    out.push_str(&format!("    {} [{}]\n", dir.display(), origin.describe()));
                }
            }
            // Names, descriptions, paths and load errors come from files and plugins: inert.
            write_output(None, &report::terminal_safe(&out))?;
        }
    }
    Ok(if failed { 3 } else { 0 })
}

/// The plugin settings as a run hands them to plugins (TOML text per key), each
/// secret-named key's value redacted as in reports and snapshots (SECURITY.md).
fn shown_settings(settings: &crate::probes::PluginSettings) -> serde_json::Value {
    let mut shown = serde_json::Map::new();
    for (plugin, table) in settings {
        let mut entries: serde_json::Value = table
            .iter()
            .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
            .collect();
        crate::redact::Redactor::secrets_only().value(&mut entries);
        let table: serde_json::Map<String, serde_json::Value> = entries
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| Some((e["key"].as_str()?.to_owned(), e["value"].clone())))
            .collect();
        shown.insert(plugin.clone(), table.into());
    }
    shown.into()
}

/// `key = value, …` for `plugin`'s settings (redacted), or None when it has none.
fn settings_line(settings: &crate::probes::PluginSettings, plugin: &str) -> Option<String> {
    let shown = shown_settings(settings);
    let table = shown.get(plugin)?.as_object()?;
    let parts: Vec<String> = table
        .iter()
        .map(|(k, v)| format!("{k} = {}", v.as_str().unwrap_or_default()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// What a check declares it needs, with the flag that allows each (`gohost list`, `explain`).
pub(super) fn needs_words(needs: &Needs) -> Vec<String> {
    // Every declared need is unmet under the default options: the same words and flags as
    // the not-run findings.
    needs
        .unmet(&RunOptions::default())
        .into_iter()
        .map(|need| match need {
            UnmetNeed::Root => format!("{} ({}, or run as root)", need.name(), need.flag()),
            _ => format!("{} ({})", need.name(), need.flag()),
        })
        .collect()
}

pub(super) fn do_explain(cli: &Cli, id: &str, discovery: &DiscoveryArgs) -> anyhow::Result<i32> {
    let file = load_config(discovery, cli.quiet)?;
    let config = run_config(&discovery_only(discovery), &file, cli.quiet)?;
    let (listed, _) = run::list(&config);
    let all: Vec<_> = listed
        .iter()
        .filter_map(|l| l.manifest.as_ref())
        .flat_map(|m| m.checks.iter().map(move |c| (m, c)))
        .collect();
    match all.iter().find(|(_, c)| c.id.as_str() == id) {
        Some((m, c)) => {
            let mut out = format!("{} — {}\nplugin: {} {}\n", c.id, c.title, m.name, m.version);
            if !c.tags.is_empty() {
                out.push_str(&format!(
                    "tags: {}\n",
                    c.tags
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let needs = needs_words(&c.needs);
            if !needs.is_empty() {
                out.push_str(&format!("needs: {}\n", needs.join(", ")));
            }
            if let Some(line) = settings_line(&config.plugin_settings, m.name.as_str()) {
                out.push_str(&format!("settings: {line}\n"));
            }
            out.push('\n');
            out.push_str(if c.explain.is_empty() {
                "(no explanation provided by the plugin)"
            } else {
                c.explain.as_str()
            });
            out.push('\n');
            // Names, descriptions, paths and load errors come from files and plugins: inert.
            write_output(None, &report::terminal_safe(&out))?;
            Ok(0)
        }
        None => {
            let ids: Vec<&str> = all.iter().map(|(_, c)| c.id.as_str()).collect();
            eprintln!(
                "gohost: unknown check `{id}`; known checks: {}",
                if ids.is_empty() {
                    "none (no plugins found)".to_owned()
                } else {
                    ids.join(", ")
                }
            );
            Ok(EXIT_USAGE)
        }
    }
}

pub(super) fn do_plugin_check(file: &std::path::Path) -> anyhow::Result<i32> {
    // The file is untrusted by definition: its SONAME, install name, dependencies and even its
    // path may carry terminal escape sequences. Everything printed goes through the report's
    // filter (issue 20, item 5).
    let (code, text) = match gohost_inspect::inspect_path(file) {
        Ok(inspection) => {
            let mut out = format!("{}: {}\n", file.display(), inspection.summary());
            let verdict = match inspection.check_loadable_here() {
                Ok(tag) => match gohost_plugin_api::AbiVersionTag::CURRENT.accepts(&tag) {
                    Ok(()) => (0, format!("loadable by this gohost (plugin API {tag}) as far as the file shows;\n{}", crate::name_promise::note(file))),
                    Err(m) => (3, format!("not loadable: {m}")),
                },
                Err(e) => (3, format!("not loadable here: {e}")),
            };
            out.push_str(&verdict.1);
            out.push('\n');
            (verdict.0, out)
        }
        Err(e) => (3, format!("{}: {e}\n", file.display())),
    };
    write_output(None, &report::terminal_safe(&text))?;
    Ok(code)
}

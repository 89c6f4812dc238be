//! `go env -json` output as the sumdb plugin reads it (`GoEnv::parse`), and the GOSUMDB,
//! GONOSUMDB/GOPRIVATE values taken from it (`config::resolve_gosumdb`,
//! `config::check_env`, `config::match_prefix_patterns`).
#![no_main]

use gohost_plugin_sumdb::{config, goenv::GoEnv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(env) = GoEnv::parse(&text) else {
        return;
    };
    // Whatever parsed is a JSON object of strings: each known name reads back as that string.
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&text) {
        for (k, v) in map.iter().take(50) {
            if let (true, Some(s)) = (env.knows(k), v.as_str()) {
                assert_eq!(env.get(k), s, "{k}");
            }
        }
    }
    let _ = env.gomod();
    let _ = env.sumdb_dir();
    let gosumdb = env.get("GOSUMDB").to_owned();
    let _ = config::resolve_gosumdb(&gosumdb);
    let _ = config::check_env(&env, Some(env.get("GONOSUMDB")));
    let private = env.get("GOPRIVATE").to_owned();
    let _ = config::match_prefix_patterns(&private, "example.com/m");
    let _ = config::match_prefix_patterns(&gosumdb, &private);
});

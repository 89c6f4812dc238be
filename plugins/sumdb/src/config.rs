//! The module settings as the go command reads them: GOSUMDB resolved like
//! cmd/go/internal/modfetch (dbDial) and GONOSUMDB/GOPRIVATE globs matched like
//! module.MatchPrefixPatterns. The `sumdb.config` check itself is `checks::config`.

use gohost_plugin_api::Finding;

use crate::goenv::GoEnv;
use crate::note::{VerifierKey, SUM_GOLANG_ORG_KEY};

/// What GOSUMDB resolves to, as cmd/go/internal/modfetch/sumdb.go (dbDial) reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumDb {
    Off,
    On {
        /// The verifier key text (`name+hash+key`).
        key: String,
        name: String,
        /// An explicit URL (second field), else None: `https://<name>` or via the proxy.
        url: Option<String>,
        /// The GOSUMDB value was `sum.golang.google.cn` (alias).
        alias: bool,
    },
}

/// Resolve GOSUMDB like the go command; Err is the go command's own complaint.
pub fn resolve_gosumdb(value: &str) -> Result<SumDb, String> {
    let mut value = value.trim().to_owned();
    let mut alias = false;
    if value == "sum.golang.google.cn" {
        value = "sum.golang.org https://sum.golang.google.cn".to_owned();
        alias = true;
    }
    if value == "off" {
        return Ok(SumDb::Off);
    }
    let fields: Vec<&str> = value.split_whitespace().collect();
    let (first, url) = match fields.as_slice() {
        [] => return Err("missing GOSUMDB".to_owned()),
        [k] => (*k, None),
        [k, u] => (*k, Some((*u).to_owned())),
        _ => return Err("invalid GOSUMDB: too many fields".to_owned()),
    };
    let key = if first == "sum.golang.org" {
        SUM_GOLANG_ORG_KEY.to_owned()
    } else {
        first.to_owned()
    };
    let parsed = VerifierKey::parse(&key).map_err(|e| format!("invalid GOSUMDB: {e}"))?;
    Ok(SumDb::On {
        key,
        name: parsed.name,
        url,
        alias,
    })
}

/// GONOSUMDB/GOPRIVATE matching, exactly as the go command does it.
pub use crate::pathmatch::match_prefix_patterns;

/// The findings for these settings (kept for callers outside the plugin, e.g. the fuzz
/// target; the check itself is `checks::config`).
pub fn check_env(env: &GoEnv, gonosumcheck: Option<&str>) -> Vec<Finding> {
    crate::checks::config::judge(&crate::checks::config::Observations {
        env: Ok(env.clone()),
        gonosumcheck: gonosumcheck.map(str::to_owned),
        sources: crate::source::Sources {
            exported: Default::default(),
            env_file: crate::source::EnvFile::Off,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gosumdb_forms() {
        assert_eq!(resolve_gosumdb("off"), Ok(SumDb::Off));
        let Ok(SumDb::On {
            name, url, alias, ..
        }) = resolve_gosumdb("sum.golang.google.cn")
        else {
            panic!("alias resolves");
        };
        assert_eq!(
            (name.as_str(), url.as_deref(), alias),
            ("sum.golang.org", Some("https://sum.golang.google.cn"), true)
        );
        assert!(resolve_gosumdb("sum.example.com").is_err());
        assert!(resolve_gosumdb("a b c").is_err());
        let custom = "sumdb.gohost.test+a9b7fb6c+ASdeWwNjCOBrcwgzF7eTtJPgxZvPXWZQoux4ckiB8fiU http://127.0.0.1:1";
        let Ok(SumDb::On { name, url, .. }) = resolve_gosumdb(custom) else {
            panic!("custom key resolves");
        };
        assert_eq!(
            (name.as_str(), url.as_deref()),
            ("sumdb.gohost.test", Some("http://127.0.0.1:1"))
        );
    }
}

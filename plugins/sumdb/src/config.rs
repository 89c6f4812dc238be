//! `sumdb.config`: GOPROXY, GOSUMDB, GONOSUMDB/GOPRIVATE/GONOPROXY, GOINSECURE, GOFLAGS and
//! the non-variable GONOSUMCHECK. Each risky setting is one finding with why and the fix.

use gohost_plugin_api::{Ctx, Finding};

use crate::goenv::{GoEnv, SOURCE};
use crate::note::{VerifierKey, SUM_GOLANG_ORG_KEY};

const DOC_ENV: &str = "https://go.dev/ref/mod#environment-variables";
const DOC_PRIVATE: &str = "https://go.dev/ref/mod#private-modules";

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

/// path.Match-style glob of module path prefixes, as module.MatchPrefixPatterns.
pub fn match_prefix_patterns(globs: &str, target: &str) -> bool {
    for glob in globs.split(',') {
        let glob = glob.trim();
        if glob.is_empty() {
            continue;
        }
        let n = glob.split('/').count();
        let prefix: Vec<&str> = target.split('/').take(n).collect();
        if prefix.len() < n {
            continue;
        }
        if glob_match(glob, &prefix.join("/")) {
            return true;
        }
    }
    false
}

/// path.Match for the subset Go module globs use: `*` (not crossing `/`), `?`, literals,
/// and `[...]` classes.
fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    fn rec(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != '/')
                .any(|i| rec(&p[1..], &s[i..])),
            Some('?') => !s.is_empty() && s[0] != '/' && rec(&p[1..], &s[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|&c| c == ']') else {
                    return false;
                };
                let Some(&c) = s.first() else { return false };
                let class = &p[1..end];
                let (neg, class) = match class.first() {
                    Some('^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != neg && rec(&p[end + 1..], &s[1..])
            }
            Some('\\') if p.len() > 1 => !s.is_empty() && s[0] == p[1] && rec(&p[2..], &s[1..]),
            Some(&c) => !s.is_empty() && s[0] == c && rec(&p[1..], &s[1..]),
        }
    }
    rec(&p, &s)
}

fn unset_cmd(name: &str) -> Vec<String> {
    vec![format!("unset {name}"), format!("go env -u {name}")]
}

pub fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let env = match GoEnv::from_ctx(ctx) {
        Ok(env) => env,
        Err(e) => {
            return vec![Finding::skip("Go module settings could not be read")
                .detail(format!("{e}; the settings are read from `go env -json`."))]
        }
    };
    let gonosumcheck = ctx.env("GONOSUMCHECK");
    check_env(&env, gonosumcheck.as_deref())
}

/// The findings for these settings (separate from `check` so tests can feed values).
pub fn check_env(env: &GoEnv, gonosumcheck: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    let gosumdb = env.get("GOSUMDB");
    let goproxy = env.get("GOPROXY");
    let gonosumdb = env.get("GONOSUMDB");
    let goprivate = env.get("GOPRIVATE");
    let goinsecure = env.get("GOINSECURE");
    let goflags = env.get("GOFLAGS");

    match resolve_gosumdb(gosumdb) {
        Ok(SumDb::Off) => out.push(
            Finding::warn("GOSUMDB=off: downloaded modules are not checked against any checksum database")
                .detail("With GOSUMDB=off the go command trusts whatever the proxy or VCS serves the first time a module version is added to go.sum; a tampered or replaced module is accepted silently. Use GONOSUMDB/GOPRIVATE for private modules instead of turning the database off for everything.")
                .evidence("GOSUMDB", gosumdb, SOURCE)
                .remediation(
                    "Turn the checksum database back on (and exempt only private module paths).",
                    ["go env -u GOSUMDB", "unset GOSUMDB", "go env -w GONOSUMDB=<your private module prefixes>"],
                )
                .doc(DOC_PRIVATE),
        ),
        Ok(SumDb::On { key, name, url, alias }) => {
            if name == "sum.golang.org" && key != SUM_GOLANG_ORG_KEY {
                out.push(
                    Finding::fail("GOSUMDB names sum.golang.org with a different key")
                        .detail("The go command would verify sum.golang.org's answers with this key instead of the real one compiled into it, so whoever holds the matching private key can vouch for any module content.")
                        .evidence("GOSUMDB", gosumdb, SOURCE)
                        .evidence("expected key", SUM_GOLANG_ORG_KEY, "cmd/go/internal/modfetch/key.go")
                        .remediation("Use the built-in key.", ["go env -w GOSUMDB=sum.golang.org"]),
                );
            } else if alias {
                out.push(
                    Finding::pass("GOSUMDB=sum.golang.google.cn: the sum.golang.org database through its mirror, same key")
                        .detail("The go command special-cases sum.golang.google.cn as sum.golang.org served from https://sum.golang.google.cn and verifies it with sum.golang.org's key.")
                        .evidence("GOSUMDB", gosumdb, SOURCE)
                        .evidence("verifier key", &key, "cmd/go/internal/modfetch/key.go"),
                );
            } else if name == "sum.golang.org" {
                let mut f = Finding::pass("GOSUMDB verifies downloads against sum.golang.org with its built-in key")
                    .evidence("GOSUMDB", gosumdb, SOURCE);
                if let Some(u) = &url {
                    f = f.evidence("database URL", u, SOURCE);
                }
                out.push(f);
            } else {
                let mut f = Finding::info(format!("GOSUMDB uses a custom checksum database `{name}`"))
                    .detail("Downloads are verified against this database's signed tree with the key given in GOSUMDB; gohost verifies that database online with the same key.")
                    .evidence("GOSUMDB", gosumdb, SOURCE);
                if let Some(u) = &url {
                    f = f.evidence("database URL", u, SOURCE);
                }
                out.push(f);
            }
        }
        Err(why) => out.push(
            Finding::fail("GOSUMDB is invalid: the go command will refuse to download modules")
                .detail(format!("{why}. GOSUMDB must be `off`, a known database name (sum.golang.org, sum.golang.google.cn), or `name+hash+key`, optionally followed by a URL."))
                .evidence("GOSUMDB", gosumdb, SOURCE)
                .remediation("Reset it to the default.", ["go env -u GOSUMDB", "unset GOSUMDB"])
                .doc(DOC_ENV),
        ),
    }

    // GOPROXY: `,` falls back only on 404/410, `|` on any error (cmd/go proxy list syntax).
    let entries: Vec<&str> = goproxy
        .split([',', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if entries.is_empty() {
        out.push(
            Finding::info("GOPROXY is empty: the go command uses its default")
                .evidence("GOPROXY", goproxy, SOURCE),
        );
    } else if entries == ["off"] {
        out.push(
            Finding::info(
                "GOPROXY=off: no module can be downloaded; only the module cache is used",
            )
            .evidence("GOPROXY", goproxy, SOURCE),
        );
    } else {
        for e in &entries {
            if e.starts_with("http://") {
                out.push(
                    Finding::warn(format!("GOPROXY entry {e} uses plain HTTP"))
                        .detail("Module zips and go.mod files from it travel unencrypted and can be altered in transit. The checksum database still catches altered modules, unless it is off or skipped for them (GONOSUMDB/GOPRIVATE).")
                        .evidence("GOPROXY", goproxy, SOURCE)
                        .remediation("Use the proxy's https:// URL.", [format!("go env -w GOPROXY={}", goproxy.replace("http://", "https://"))])
                        .doc(DOC_ENV),
                );
            }
        }
        if !out.iter().any(|f| f.title.contains("GOPROXY entry")) {
            out.push(
                Finding::pass(format!("GOPROXY: {}", entries.join(" then ")))
                    .evidence("GOPROXY", goproxy, SOURCE),
            );
        }
    }

    // GONOSUMDB defaults to GOPRIVATE (go env prints the effective value).
    let skip = if gonosumdb.is_empty() {
        goprivate
    } else {
        gonosumdb
    };
    if !skip.is_empty() {
        let patterns: Vec<&str> = skip
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let everything: Vec<&str> = patterns
            .iter()
            .copied()
            .filter(|p| {
                *p == "*"
                    || p.split('/')
                        .next()
                        .is_some_and(|first| !first.contains('.') && first.contains('*'))
            })
            .collect();
        if !everything.is_empty() {
            out.push(
                Finding::warn("GONOSUMDB/GOPRIVATE skips the checksum database for every public module")
                    .detail(format!("Pattern(s) {} match the first path element of any module, which is as good as GOSUMDB=off.", everything.join(", ")))
                    .evidence("GONOSUMDB", gonosumdb, SOURCE)
                    .evidence("GOPRIVATE", goprivate, SOURCE)
                    .remediation("List only your private module prefixes.", ["go env -w GOPRIVATE=<e.g. github.com/yourorg/*>"])
                    .doc(DOC_PRIVATE),
            );
        } else {
            out.push(
                Finding::info(format!("Modules matching {} are not checked against the checksum database", patterns.join(", ")))
                    .detail("This is right for private modules the public database cannot see; anything else under these prefixes is trusted on first download.")
                    .evidence("GONOSUMDB", gonosumdb, SOURCE)
                    .evidence("GOPRIVATE", goprivate, SOURCE)
                    .doc(DOC_PRIVATE),
            );
        }
    }

    if let Some(value) = gonosumcheck {
        out.push(
            Finding::warn("GONOSUMCHECK is set but is not a Go setting: it has no effect")
                .detail("The go command never reads GONOSUMCHECK (it appears nowhere in cmd/go). To skip the checksum database for private modules use GONOSUMDB or GOPRIVATE.")
                .evidence("GONOSUMCHECK", value, "environment")
                .remediation("Remove it and use GONOSUMDB/GOPRIVATE if you meant to exempt private modules.", ["unset GONOSUMCHECK", "go env -w GONOSUMDB=<your private module prefixes>"])
                .doc(DOC_PRIVATE),
        );
    }

    if !goinsecure.is_empty() {
        out.push(
            Finding::warn(format!("GOINSECURE={goinsecure}: matching modules are fetched without HTTPS certificate checks"))
                .detail("GOINSECURE allows plain HTTP and unverified certificates for direct fetches of matching module paths. It does not disable checksum database validation (go help environment).")
                .evidence("GOINSECURE", goinsecure, SOURCE)
                .remediation("Serve those modules over valid HTTPS and clear it.", unset_cmd("GOINSECURE"))
                .doc(DOC_ENV),
        );
    }

    let flags: Vec<&str> = goflags.split_whitespace().collect();
    if flags.iter().any(|f| *f == "-mod=mod" || *f == "--mod=mod") {
        out.push(
            Finding::warn("GOFLAGS has -mod=mod: go commands may rewrite go.mod and go.sum silently")
                .detail("With -mod=mod, builds add missing requirements and go.sum lines on their own, so a dependency change can slip in unnoticed during a build; the default (-mod=readonly) fails instead and asks for `go mod tidy`.")
                .evidence("GOFLAGS", goflags, SOURCE)
                .remediation("Drop -mod=mod from GOFLAGS and run `go mod tidy` deliberately.", ["go env -u GOFLAGS", "unset GOFLAGS"])
                .doc(DOC_ENV),
        );
    }
    if flags
        .iter()
        .any(|f| *f == "-insecure" || *f == "--insecure" || f.starts_with("-insecure="))
    {
        out.push(
            Finding::fail("GOFLAGS has -insecure: `go get` refuses to run")
                .detail("Current go commands reject the flag: `go: -insecure flag is no longer supported; use GOINSECURE instead` (cmd/go/internal/modget/get.go).")
                .evidence("GOFLAGS", goflags, SOURCE)
                .remediation("Remove -insecure from GOFLAGS.", ["go env -u GOFLAGS", "unset GOFLAGS"])
                .doc(DOC_ENV),
        );
    }
    out
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

    #[test]
    fn prefix_patterns_match_like_go() {
        assert!(match_prefix_patterns(
            "github.com/corp/*",
            "github.com/corp/x/y"
        ));
        assert!(!match_prefix_patterns(
            "github.com/corp/*",
            "github.com/other/x"
        ));
        assert!(match_prefix_patterns(
            "*.corp.example",
            "git.corp.example/a"
        ));
        assert!(match_prefix_patterns("*", "anything/at/all"));
        assert!(!match_prefix_patterns(
            "github.com/corp",
            "github.com/corporate"
        ));
    }
}

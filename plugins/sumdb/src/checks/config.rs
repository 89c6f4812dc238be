//! `sumdb.config`: GOPROXY, GOSUMDB, GONOSUMDB/GOPRIVATE, GOINSECURE, GOFLAGS and the
//! non-variable GONOSUMCHECK. Each risky setting is one finding with why and the fix.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::config::{resolve_gosumdb, SumDb};
use crate::goenv::{GoEnv, GoEnvProblem, SOURCE};
use crate::note::SUM_GOLANG_ORG_KEY;

const DOC_ENV: &str = "https://go.dev/ref/mod#environment-variables";
const DOC_PRIVATE: &str = "https://go.dev/ref/mod#private-modules";

inventory::submit! {
    Check {
        id: "sumdb.config",
        title: "Module proxy and checksum database settings",
        explain: "Reads GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GOINSECURE and GOFLAGS from `go env -json` (the effective values) and GONOSUMCHECK from the environment. Flags GOSUMDB=off, an invalid GOSUMDB (the go command refuses to download), sum.golang.org with a foreign key, plain-HTTP proxies, GONOSUMDB/GOPRIVATE patterns that match every public module, GOINSECURE, GOFLAGS=-mod=mod (go.sum rewritten silently) and -insecure (rejected by `go get`). GONOSUMCHECK is not a Go variable: it has no effect. sum.golang.google.cn is sum.golang.org's mirror with the same key.",
        tags: &["modules", "security"],
        needs: Needs::NONE,
        run,
    }
}

/// Everything the verdict depends on.
#[derive(Debug, Clone)]
pub struct Observations {
    /// `go env -json` (the effective values), or why it could not be had.
    pub env: Result<GoEnv, GoEnvProblem>,
    /// GONOSUMCHECK from the process environment (the go command never reads it).
    pub gonosumcheck: Option<String>,
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(&gather(ctx))
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    Observations {
        env: GoEnv::from_ctx(ctx),
        gonosumcheck: ctx.env("GONOSUMCHECK"),
    }
}

fn unset_cmd(name: &str) -> Vec<String> {
    vec![format!("unset {name}"), format!("go env -u {name}")]
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let env = match &obs.env {
        Ok(env) => env,
        Err(e) => {
            return vec![Finding::skip("Go module settings could not be read")
                .detail(format!("{e}; the settings are read from `go env -json`."))]
        }
    };
    let gonosumcheck = obs.gonosumcheck.as_deref();
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

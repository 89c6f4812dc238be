//! `sumdb.config`: GOPROXY, GOSUMDB, GONOSUMDB/GOPRIVATE, GOINSECURE, GOFLAGS and the
//! non-variable GONOSUMCHECK. Each risky setting is one finding with why and the fix.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::config::{resolve_gosumdb, SumDb};
use crate::goenv::{GoEnv, GoEnvProblem, SOURCE};
use crate::note::SUM_GOLANG_ORG_KEY;
use crate::source::{Source, Sources};

const DOC_ENV: &str = "https://go.dev/ref/mod#environment-variables";
const DOC_PRIVATE: &str = "https://go.dev/ref/mod#private-modules";

inventory::submit! {
    Check {
        id: "sumdb.config",
        title: "Module proxy and checksum database settings",
        explain: "Reads GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GOINSECURE and GOFLAGS from `go env -json` (the effective values) and GONOSUMCHECK from the environment. Flags a GOPROXY entry the go command rejects (a scheme other than https, http or file), GOSUMDB=off, an invalid GOSUMDB (the go command refuses to download), sum.golang.org with a foreign key, plain-HTTP proxies, GONOSUMDB/GOPRIVATE patterns that match every public module, GOINSECURE, GOFLAGS=-mod=mod (go.mod and go.sum updated by builds) and -insecure (`go get` refuses it). GOPROXY=direct (direct first) is a warning: every module zip is then rebuilt from version control instead of taken from the proxy, so a tag moved after sum.golang.org recorded it fails with \"checksum mismatch … SECURITY ERROR\" (hashicorp/go-getter#294); private modules need GOPRIVATE, not direct; the fix is the default https://proxy.golang.org,direct. A GOPROXY with no entries (empty, or only `,`/`|`) is a failure: since Go 1.21 the default https://proxy.golang.org,direct comes from $GOROOT/go.env, a `GOPROXY=` line written by `go env -w GOPROXY=` hides it, and the go command then refuses every download (\"GOPROXY list is not the empty string, but contains no entries\"); an exported empty GOPROXY is ignored and the default applies. Fixes name where the value comes from (environment, the go env file, or the default) and quote every value. GONOSUMCHECK is not a Go variable: it has no effect. sum.golang.google.cn is sum.golang.org's mirror with the same key.",
        tags: &["modules", "security"],
        needs: Needs::NONE,
        run: |ctx| judge(&gather(ctx)),
    }
}

/// Everything the verdict depends on.
#[derive(Debug, Clone)]
pub struct Observations {
    /// `go env -json` (the effective values), or why it could not be had.
    pub env: Result<GoEnv, GoEnvProblem>,
    /// GONOSUMCHECK from the process environment (the go command never reads it).
    pub gonosumcheck: Option<String>,
    /// Where each setting comes from (environment, go env file, default).
    pub sources: Sources,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let env = GoEnv::from_ctx(ctx);
    let sources = match &env {
        Ok(e) => Sources::gather(ctx, e),
        Err(_) => Sources {
            exported: Default::default(),
            env_file: crate::source::EnvFile::Off,
        },
    };
    Observations {
        env,
        gonosumcheck: ctx.env("GONOSUMCHECK"),
        sources,
    }
}

/// The GOPROXY entries the go command would use, as cmd/go/internal/modfetch/proxy.go
/// (proxyList) splits them: `,` and `|` separate, blanks are skipped, `off` and `direct` end
/// the list.
pub fn proxy_entries(goproxy: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for e in goproxy.split([',', '|']).map(str::trim) {
        if e.is_empty() {
            continue;
        }
        out.push(e);
        if e == "off" || e == "direct" {
            break;
        }
    }
    out
}

/// What the go command says about one GOPROXY entry it cannot use, as proxyList and
/// newProxyRepo in cmd/go/internal/modfetch/proxy.go decide it: a word with `.`, `:` or `/`
/// but no `:/` that is not an absolute path gets `https://`; then the URL scheme must be
/// https, http or file.
pub fn proxy_entry_problem(entry: &str) -> Option<String> {
    if entry == "off" || entry == "direct" {
        return None;
    }
    let url = if entry.contains(['.', ':', '/']) && !entry.contains(":/") && !entry.starts_with('/')
    {
        format!("https://{entry}")
    } else {
        entry.to_owned()
    };
    // url.Parse: a scheme is [A-Za-z][A-Za-z0-9+.-]* before the first ':', lower-cased.
    let scheme = match url.split_once(':') {
        Some((s, _))
            if s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            s.to_ascii_lowercase()
        }
        _ => String::new(),
    };
    match scheme.as_str() {
        "http" | "https" | "file" => None,
        "" => Some(format!("invalid proxy URL missing scheme: {url}")),
        _ => Some(format!(
            "invalid proxy URL scheme (must be https, http, file): {url}"
        )),
    }
}

/// `goproxy` without the entry `bad` (and the separator after it), other separators kept.
fn without_entry(goproxy: &str, bad: &str) -> String {
    let mut out = String::new();
    let mut rest = goproxy;
    while !rest.is_empty() {
        let (item, sep, next) = match rest.find([',', '|']) {
            Some(i) => (&rest[..i], &rest[i..=i], &rest[i + 1..]),
            None => (rest, "", ""),
        };
        if item.trim() != bad {
            out.push_str(item);
            out.push_str(sep);
        }
        rest = next;
    }
    out.trim_end_matches([',', '|']).to_owned()
}

/// The go.env default of GOPROXY (go1.27.3 $GOROOT/go.env; also Go 1.13–1.20's built-in).
pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";

/// Commands that bring `name` back to its default: remove the user's setting, or when the
/// value is already the default source, set `default` explicitly.
fn restore(sources: &Sources, name: &str, default: &str) -> Vec<String> {
    let reset = sources.reset(name);
    if reset.is_empty() {
        vec![sources.set(name, default)]
    } else {
        reset
    }
}

/// GOFLAGS without the flags `drop` matches: the fix keeps the user's other flags.
fn goflags_fix(sources: &Sources, goflags: &str, drop: fn(&str) -> bool) -> Vec<String> {
    let kept: Vec<&str> = goflags.split_whitespace().filter(|f| !drop(f)).collect();
    if kept.is_empty() {
        restore(sources, "GOFLAGS", "")
    } else {
        vec![sources.set("GOFLAGS", &kept.join(" "))]
    }
}

fn is_mod_mod(f: &str) -> bool {
    f == "-mod=mod" || f == "--mod=mod"
}

fn is_insecure(f: &str) -> bool {
    f == "-insecure"
        || f == "--insecure"
        || f.starts_with("-insecure=")
        || f.starts_with("--insecure=")
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    let env = match &obs.env {
        Ok(env) => env,
        Err(e) => {
            return vec![Finding::skip("Go module settings could not be read")
                .detail(format!("{e}; the settings are read from `go env -json`."))]
        }
    };
    let src = &obs.sources;
    let set_by = |f: Finding, name: &str| {
        f.evidence(
            format!("{name} set by"),
            src.describe(name),
            "environment and `go env GOENV` file",
        )
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
        Ok(SumDb::Off) => out.push(set_by(
            Finding::warn("GOSUMDB=off: downloaded modules are not checked against any checksum database")
                .detail("With GOSUMDB=off the go command trusts whatever the proxy or VCS serves the first time a module version is added to go.sum; a tampered or replaced module is accepted silently. Use GONOSUMDB/GOPRIVATE for private modules instead of turning the database off for everything.")
                .evidence("GOSUMDB", gosumdb, SOURCE)
                .remediation(
                    format!("Turn the checksum database back on.{} To exempt only private modules, afterwards set their path prefixes yourself: go env -w GOPRIVATE='<your private module prefixes>' (replace the placeholder).", src.profile_note("GOSUMDB")),
                    restore(src, "GOSUMDB", "sum.golang.org"),
                )
                .doc(DOC_PRIVATE),
            "GOSUMDB",
        )),
        Ok(SumDb::On { key, name, url, alias }) => {
            if name == "sum.golang.org" && key != SUM_GOLANG_ORG_KEY {
                out.push(set_by(
                    Finding::fail("GOSUMDB names sum.golang.org with a different key")
                        .detail("The go command would verify sum.golang.org's answers with this key instead of the real one compiled into it, so whoever holds the matching private key can vouch for any module content.")
                        .evidence("GOSUMDB", gosumdb, SOURCE)
                        .evidence("expected key", SUM_GOLANG_ORG_KEY, "cmd/go/internal/modfetch/key.go")
                        .remediation(format!("Use the built-in key.{}", src.profile_note("GOSUMDB")), [src.set("GOSUMDB", "sum.golang.org")]),
                    "GOSUMDB",
                ));
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
        Err(why) => out.push(set_by(
            Finding::fail("GOSUMDB is invalid: the go command will refuse to download modules")
                .detail(format!("{why}. GOSUMDB must be `off`, a known database name (sum.golang.org, sum.golang.google.cn), or `name+hash+key`, optionally followed by a URL (cmd/go/internal/modfetch/sumdb.go, dbDial)."))
                .evidence("GOSUMDB", gosumdb, SOURCE)
                .remediation(format!("Reset it to the default.{}", src.profile_note("GOSUMDB")), restore(src, "GOSUMDB", "sum.golang.org"))
                .doc(DOC_ENV),
            "GOSUMDB",
        )),
    }

    // GOPROXY: `,` falls back only on 404/410, `|` on any error (cmd/go proxy list syntax).
    let entries = proxy_entries(goproxy);
    if entries.is_empty() {
        // Go 1.27.3: cmd/go/internal/cfg/cfg.go has no built-in GOPROXY default
        // (EnvOrAndChanged("GOPROXY", "")); the default is $GOROOT/go.env's line, which a
        // `GOPROXY=` line in the user's go env file hides (readEnvFile). proxyList in
        // cmd/go/internal/modfetch/proxy.go then fails every download with "GOPROXY list is
        // not the empty string, but contains no entries" (seen with go1.27.3 after
        // `go env -w GOPROXY=`, and with GOPROXY=, on go1.27.3 and go1.19.8).
        let why = match src.of("GOPROXY") {
            Source::Environment => "It is exported in the environment with no entries.".to_owned(),
            Source::EnvFile { path } => format!("A `GOPROXY=` line in the go env file {path} (written by `go env -w GOPROXY=`) hides the default from $GOROOT/go.env."),
            Source::Default => "Nothing of yours sets it: this Go's GOROOT has no go.env default (some distribution builds of Go 1.21+ ship without it).".to_owned(),
            Source::Unknown { why } => format!("gohost could not tell where it is set: {why}."),
        };
        let fix = match src.of("GOPROXY") {
            Source::Environment | Source::EnvFile { .. } => src.reset("GOPROXY"),
            Source::Default | Source::Unknown { .. } => vec![src.set("GOPROXY", DEFAULT_GOPROXY)],
        };
        out.push(set_by(
            Finding::fail("GOPROXY has no entries: the go command cannot download any module")
                .detail(format!("{why} With no proxy entry the go command refuses every module download: \"GOPROXY list is not the empty string, but contains no entries\" (cmd/go/internal/modfetch/proxy.go). Since Go 1.21 the default {DEFAULT_GOPROXY} lives in $GOROOT/go.env."))
                .evidence("GOPROXY", goproxy, SOURCE)
                .remediation(format!("Let the default apply again.{}", src.profile_note("GOPROXY")), fix)
                .doc(DOC_ENV),
            "GOPROXY",
        ));
    } else if entries == ["off"] {
        out.push(
            Finding::info(
                "GOPROXY=off: no module can be downloaded; only the module cache is used",
            )
            .evidence("GOPROXY", goproxy, SOURCE),
        );
    } else if let Some((bad, why)) = entries
        .iter()
        .find_map(|e| proxy_entry_problem(e).map(|w| (*e, w)))
    {
        let kept = without_entry(goproxy, bad);
        let fix = if proxy_entries(&kept).is_empty() {
            restore(src, "GOPROXY", DEFAULT_GOPROXY)
        } else if proxy_entries(&kept).first() == Some(&"direct") {
            // What is left would be `direct` alone, which the next run warns about (below):
            // give the default at once.
            vec![src.set("GOPROXY", DEFAULT_GOPROXY)]
        } else {
            vec![src.set("GOPROXY", &kept)]
        };
        out.push(set_by(
            Finding::fail(format!("GOPROXY entry {bad} is invalid: the go command cannot download any module"))
                // proxyList checks each entry with newProxyRepo and fails every download on
                // the first bad one (cmd/go/internal/modfetch/proxy.go, go1.27.3); the same
                // messages were seen with go1.27.3 and go1.19.8.
                .detail(format!("The go command stops on it before trying any other entry: \"{why}\" (cmd/go/internal/modfetch/proxy.go). Entries must be https://, http:// or file:// URLs, a host name (https:// is implied), `direct` or `off`."))
                .evidence("GOPROXY", goproxy, SOURCE)
                .remediation(format!("Remove the invalid entry.{}", src.profile_note("GOPROXY")), fix)
                .doc(DOC_ENV),
            "GOPROXY",
        ));
    } else if entries[0] == "direct" {
        // Warn, not fail and not info. `direct` is a supported entry (proxyList in
        // cmd/go/internal/modfetch/proxy.go, go1.27.3, accepts it and ends the list there), so
        // nothing is broken; but with it first no module comes from a proxy, every zip is
        // rebuilt from the origin's version control, and a tag moved after sum.golang.org
        // recorded it then fails with "verifying module: checksum mismatch … SECURITY ERROR"
        // (hashicorp/go-getter#294, fixed by GOPROXY=https://proxy.golang.org,direct; also
        // ryancurrah/gomodguard#15). Private modules never need it: modules matching GONOPROXY
        // (default GOPRIVATE, cmd/go/internal/cfg/cfg.go) go direct under any GOPROXY
        // (proxyList's "noproxy" entry; lookup in cmd/go/internal/modfetch/repo.go), as
        // `go help private` says. A network that blocks proxy.golang.org is a legitimate reason,
        // hence a warn whose text names the alternatives rather than a fail.
        // Set the value rather than remove the user's: a distribution's go.env can itself ship
        // GOPROXY=direct (devfile/devworkspace-operator#166: Fedora's go), so removing a
        // setting could bring `direct` back from the default.
        let fix = vec![src.set("GOPROXY", DEFAULT_GOPROXY)];
        out.push(set_by(
            Finding::warn("GOPROXY=direct: modules bypass the module proxy and are rebuilt from version control")
                .detail(format!("With `direct` first, the go command fetches every module from its origin repository and builds the zip itself instead of taking the copy the proxy keeps. If a version's tag was moved or re-created after the checksum database recorded it, the rebuilt zip no longer matches and the download fails with \"verifying module: checksum mismatch … SECURITY ERROR\"; the proxy still serves the original. Private modules do not need `direct` here: GOPRIVATE/GONOPROXY already send them straight to their origin (`go help private`). The default is {DEFAULT_GOPROXY} (falls back to `direct` for modules the proxy does not have)."))
                .evidence("GOPROXY", goproxy, SOURCE)
                .remediation(
                    format!("Use the module proxy again: GOPROXY={DEFAULT_GOPROXY} (the default). List private module prefixes in GOPRIVATE instead; if proxy.golang.org is blocked on your network, put your company's proxy first (GOPROXY=<your proxy URL>,direct; replace the placeholder).{}", src.profile_note("GOPROXY")),
                    fix,
                )
                .doc(DOC_ENV),
            "GOPROXY",
        ));
    } else {
        let plain: Vec<&str> = entries
            .iter()
            .copied()
            .filter(|e| e.starts_with("http://"))
            .collect();
        if plain.is_empty() {
            out.push(
                Finding::pass(format!("GOPROXY: {}", entries.join(" then ")))
                    .evidence("GOPROXY", goproxy, SOURCE),
            );
        }
        for e in plain {
            out.push(set_by(
                Finding::warn(format!("GOPROXY entry {e} uses plain HTTP"))
                    .detail("Module zips and go.mod files from it travel unencrypted and can be altered in transit. The checksum database still catches altered modules, unless it is off or skipped for them (GONOSUMDB/GOPRIVATE).")
                    .evidence("GOPROXY", goproxy, SOURCE)
                    .remediation(
                        format!("Use the proxy's https:// URL (if it serves HTTPS).{}", src.profile_note("GOPROXY")),
                        [src.set("GOPROXY", &goproxy.replace("http://", "https://"))],
                    )
                    .doc(DOC_ENV),
                "GOPROXY",
            ));
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
        let matches_everything = |p: &&str| {
            *p == "*"
                || p.split('/')
                    .next()
                    .is_some_and(|first| !first.contains('.') && first.contains('*'))
        };
        let everything: Vec<&str> = patterns
            .iter()
            .copied()
            .filter(matches_everything)
            .collect();
        if !everything.is_empty() {
            // Reset whichever of the two the user set; GONOSUMDB shows GOPRIVATE's value when
            // only GOPRIVATE is set (cmd/go/internal/cfg: EnvOrAndChanged("GONOSUMDB", GOPRIVATE)).
            let mut fix = Vec::new();
            let mut note = String::new();
            for name in ["GONOSUMDB", "GOPRIVATE"] {
                let value = env.get(name);
                let broad = value
                    .split(',')
                    .map(str::trim)
                    .any(|p| matches_everything(&p));
                if broad && src.of(name) != Source::Default {
                    fix.extend(src.reset(name));
                    note.push_str(&src.profile_note(name));
                }
            }
            out.push(
                Finding::warn("GONOSUMDB/GOPRIVATE skips the checksum database for every public module")
                    .detail(format!("Pattern(s) {} match the first path element of any module, which is as good as GOSUMDB=off.", everything.join(", ")))
                    .evidence("GONOSUMDB", gonosumdb, SOURCE)
                    .evidence("GOPRIVATE", goprivate, SOURCE)
                    .evidence("GONOSUMDB set by", src.describe("GONOSUMDB"), "environment and `go env GOENV` file")
                    .evidence("GOPRIVATE set by", src.describe("GOPRIVATE"), "environment and `go env GOENV` file")
                    .remediation(format!("Remove the catch-all pattern, then list only your private module prefixes yourself: go env -w GOPRIVATE='<e.g. github.com/yourorg/*>' (replace the placeholder).{note}"), fix)
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
                .remediation("Remove it (and the line that sets it from your shell startup file); to exempt private modules use go env -w GOPRIVATE='<your private module prefixes>' (replace the placeholder).", ["unset GONOSUMCHECK"])
                .doc(DOC_PRIVATE),
        );
    }

    if !goinsecure.is_empty() {
        out.push(set_by(
            Finding::warn(format!("GOINSECURE={goinsecure}: matching modules are fetched without HTTPS certificate checks"))
                .detail("GOINSECURE allows plain HTTP and unverified certificates for direct fetches of matching module paths. It does not disable checksum database validation (go help environment).")
                .evidence("GOINSECURE", goinsecure, SOURCE)
                .remediation(format!("Serve those modules over valid HTTPS and clear it.{}", src.profile_note("GOINSECURE")), restore(src, "GOINSECURE", ""))
                .doc(DOC_ENV),
            "GOINSECURE",
        ));
    }

    let flags: Vec<&str> = goflags.split_whitespace().collect();
    if flags.iter().any(|f| is_mod_mod(f)) {
        out.push(set_by(
            Finding::warn("GOFLAGS has -mod=mod: go commands may rewrite go.mod and go.sum silently")
                .detail("With -mod=mod, builds add missing requirements and go.sum lines on their own, so a dependency change can slip in unnoticed during a build; the default (-mod=readonly) fails instead and asks for `go mod tidy`.")
                .evidence("GOFLAGS", goflags, SOURCE)
                .remediation(format!("Drop -mod=mod from GOFLAGS (keeping its other flags) and run `go mod tidy` deliberately.{}", src.profile_note("GOFLAGS")), goflags_fix(src, goflags, is_mod_mod))
                .doc(DOC_ENV),
            "GOFLAGS",
        ));
    }
    if flags.iter().any(|f| is_insecure(f)) {
        out.push(set_by(
            Finding::fail("GOFLAGS has -insecure: `go get` refuses to run")
                // Seen with go1.27.3 and go1.19.8: `GOFLAGS=-insecure go get …` prints this
                // and fails; builds ignore the flag.
                .detail("Current go commands reject the flag: `go: -insecure flag is no longer supported; use GOINSECURE instead` (cmd/go/internal/modget/get.go).")
                .evidence("GOFLAGS", goflags, SOURCE)
                .remediation(format!("Remove -insecure from GOFLAGS (keeping its other flags).{}", src.profile_note("GOFLAGS")), goflags_fix(src, goflags, is_insecure))
                .doc(DOC_ENV),
            "GOFLAGS",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use gohost_plugin_api::Status;

    use super::*;
    use crate::source::EnvFile;

    /// `go env -json` with these values over a default module setup.
    fn obs(
        vars: &[(&str, &str)],
        exported: &[(&str, &str)],
        file: &[(&str, &str)],
    ) -> Observations {
        let mut json = serde_json::Map::new();
        for (k, v) in [
            ("GOPROXY", DEFAULT_GOPROXY),
            ("GOSUMDB", "sum.golang.org"),
            ("GOENV", "/h/.config/go/env"),
        ] {
            json.insert(k.into(), v.into());
        }
        for (k, v) in vars {
            json.insert((*k).into(), (*v).into());
        }
        let env = GoEnv::parse(&serde_json::Value::Object(json).to_string()).expect("object");
        let sources = Sources {
            exported: exported
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            env_file: if file.is_empty() {
                EnvFile::Absent {
                    path: "/h/.config/go/env".into(),
                }
            } else {
                EnvFile::Read {
                    path: "/h/.config/go/env".into(),
                    vars: file
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect::<BTreeMap<_, _>>(),
                }
            },
        };
        Observations {
            env: Ok(env),
            gonosumcheck: None,
            sources,
        }
    }

    fn find<'a>(f: &'a [Finding], prefix: &str) -> &'a Finding {
        f.iter()
            .find(|x| x.title.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {f:#?}"))
    }

    fn fix(f: &Finding) -> Vec<&str> {
        f.remediation
            .as_ref()
            .map(|r| r.commands.iter().map(|c| c.as_str()).collect())
            .into_option()
            .unwrap_or_default()
    }

    /// Observations → (status, title, fix commands). Facts: an empty GOPROXY from the go env
    /// file fails downloads on go1.27.3 ("GOPROXY list is not the empty string, but contains no
    /// entries", cmd/go/internal/modfetch/proxy.go proxyList; the default is only in
    /// $GOROOT/go.env, cmd/go/internal/cfg/cfg.go EnvOrAndChanged("GOPROXY", "")); `go env -u`
    /// exits 1 on go1.27.3 when there is no go env file, so it is printed only when the line is
    /// there; every value is shell-quoted (issue 13: a `|` became a pipe).
    #[test]
    fn judge_table() {
        let rows: Vec<(Observations, &str, Status, Vec<&str>)> = vec![
            // proxyList/newProxyRepo reject these (seen with go1.27.3 and go1.19.8).
            (
                obs(
                    &[("GOPROXY", "ftp://x.example|direct")],
                    &[],
                    &[("GOPROXY", "ftp://x.example|direct")],
                ),
                "GOPROXY entry ftp://x.example is invalid",
                Status::Fail,
                vec!["go env -w GOPROXY=https://proxy.golang.org,direct"],
            ),
            (
                obs(&[("GOPROXY", "foo")], &[("GOPROXY", "foo")], &[]),
                "GOPROXY entry foo is invalid",
                Status::Fail,
                vec!["unset GOPROXY"],
            ),
            (
                obs(
                    &[("GOPROXY", "goproxy.cn,foo,direct")],
                    &[],
                    &[("GOPROXY", "goproxy.cn,foo,direct")],
                ),
                "GOPROXY entry foo is invalid",
                Status::Fail,
                vec!["go env -w GOPROXY=goproxy.cn,direct"],
            ),
            // The old text said "GOPROXY is empty: the go command uses its default" (info).
            (
                obs(&[("GOPROXY", "")], &[], &[("GOPROXY", "")]),
                "GOPROXY has no entries",
                Status::Fail,
                vec!["go env -u GOPROXY"],
            ),
            (
                obs(&[("GOPROXY", "")], &[], &[]),
                "GOPROXY has no entries",
                Status::Fail,
                vec!["go env -w GOPROXY=https://proxy.golang.org,direct"],
            ),
            (
                obs(&[("GOPROXY", ",")], &[("GOPROXY", ",")], &[]),
                "GOPROXY has no entries",
                Status::Fail,
                vec!["unset GOPROXY"],
            ),
            (
                obs(&[("GOPROXY", " | ")], &[], &[("GOPROXY", " | ")]),
                "GOPROXY has no entries",
                Status::Fail,
                vec!["go env -u GOPROXY"],
            ),
            (
                obs(
                    &[("GOPROXY", "http://a.example|direct")],
                    &[],
                    &[("GOPROXY", "http://a.example|direct")],
                ),
                "GOPROXY entry http://a.example uses plain HTTP",
                Status::Warn,
                vec!["go env -w GOPROXY='https://a.example|direct'"],
            ),
            (
                obs(
                    &[("GOPROXY", "http://a.example|direct")],
                    &[("GOPROXY", "http://a.example|direct")],
                    &[],
                ),
                "GOPROXY entry http://a.example uses plain HTTP",
                Status::Warn,
                vec!["export GOPROXY='https://a.example|direct'"],
            ),
            (
                obs(&[("GOSUMDB", "off")], &[], &[("GOSUMDB", "off")]),
                "GOSUMDB=off",
                Status::Warn,
                vec!["go env -u GOSUMDB"],
            ),
            (
                obs(&[("GOSUMDB", "off")], &[("GOSUMDB", "off")], &[]),
                "GOSUMDB=off",
                Status::Warn,
                vec!["unset GOSUMDB"],
            ),
            (
                obs(&[("GOSUMDB", "")], &[], &[]),
                "GOSUMDB is invalid",
                Status::Fail,
                vec!["go env -w GOSUMDB=sum.golang.org"],
            ),
            (
                obs(
                    &[("GOFLAGS", "-mod=mod -trimpath")],
                    &[],
                    &[("GOFLAGS", "-mod=mod -trimpath")],
                ),
                "GOFLAGS has -mod=mod",
                Status::Warn,
                vec!["go env -w GOFLAGS=-trimpath"],
            ),
            (
                obs(
                    &[("GOFLAGS", "-insecure")],
                    &[],
                    &[("GOFLAGS", "-insecure")],
                ),
                "GOFLAGS has -insecure",
                Status::Fail,
                vec!["go env -u GOFLAGS"],
            ),
            (
                obs(
                    &[("GOFLAGS", "-insecure -x")],
                    &[("GOFLAGS", "-insecure -x")],
                    &[],
                ),
                "GOFLAGS has -insecure",
                Status::Fail,
                vec!["export GOFLAGS=-x"],
            ),
            // go env prints GOPRIVATE's value as GONOSUMDB when only GOPRIVATE is set.
            (
                obs(
                    &[("GOPRIVATE", "*"), ("GONOSUMDB", "*")],
                    &[("GOPRIVATE", "*")],
                    &[],
                ),
                "GONOSUMDB/GOPRIVATE skips",
                Status::Warn,
                vec!["unset GOPRIVATE"],
            ),
            (
                obs(
                    &[("GONOSUMDB", "*,corp.example")],
                    &[],
                    &[("GONOSUMDB", "*,corp.example")],
                ),
                "GONOSUMDB/GOPRIVATE skips",
                Status::Warn,
                vec!["go env -u GONOSUMDB"],
            ),
            (
                obs(
                    &[("GOINSECURE", "example.com/*")],
                    &[],
                    &[("GOINSECURE", "example.com/*")],
                ),
                "GOINSECURE=example.com/*",
                Status::Warn,
                vec!["go env -u GOINSECURE"],
            ),
            // hashicorp/go-getter#294: GOPROXY=direct rebuilds zips from version control, so a
            // moved tag fails against sum.golang.org; proxyList (cmd/go/internal/modfetch/
            // proxy.go) accepts `direct`, so a warn with the default as the fix, set
            // explicitly (a distribution's go.env may itself say direct).
            (
                obs(&[("GOPROXY", "direct")], &[], &[("GOPROXY", "direct")]),
                "GOPROXY=direct",
                Status::Warn,
                vec!["go env -w GOPROXY=https://proxy.golang.org,direct"],
            ),
            (
                obs(&[("GOPROXY", "direct")], &[("GOPROXY", "direct")], &[]),
                "GOPROXY=direct",
                Status::Warn,
                vec!["export GOPROXY=https://proxy.golang.org,direct"],
            ),
            // Everything after `direct` is ignored (proxyList ends the list there).
            (
                obs(&[("GOPROXY", " direct,https://proxy.golang.org")], &[], &[]),
                "GOPROXY=direct",
                Status::Warn,
                vec!["go env -w GOPROXY=https://proxy.golang.org,direct"],
            ),
            // A proxy first with `direct` as the fallback is the default shape: no warning.
            (
                obs(
                    &[
                        ("GOPROXY", "goproxy.cn,direct"),
                        ("GOPRIVATE", "corp.example"),
                    ],
                    &[],
                    &[("GOPROXY", "goproxy.cn,direct")],
                ),
                "GOPROXY: goproxy.cn then direct",
                Status::Pass,
                vec![],
            ),
            (
                obs(&[], &[], &[]),
                "GOPROXY: https://proxy.golang.org then direct",
                Status::Pass,
                vec![],
            ),
        ];
        assert_eq!(rows.len(), 23);
        let mut parsed = 0;
        for (o, title, status, cmds) in &rows {
            let f = judge(o);
            parsed += crate::checks::assert_commands_parse(&f);
            assert!(!f.is_empty(), "{o:?}");
            let x = find(&f, title);
            assert_eq!(x.status, *status, "{x:#?}");
            assert_eq!(fix(x), *cmds, "{x:#?}");
            assert!(
                f.iter().all(|y| !y.title.contains("uses its default")),
                "{f:#?}"
            );
        }
        assert!(parsed >= 15, "{parsed}");
    }

    /// A go env file that could not be read (e.g. not recorded in a replay) is "could not
    /// tell" where a value comes from: both commands, and the evidence says so.
    #[test]
    fn unreadable_env_file_is_could_not_tell() {
        let mut o = obs(&[("GOSUMDB", "off")], &[], &[]);
        o.sources.env_file = EnvFile::Unreadable {
            path: "/h/.config/go/env".into(),
            why: "not recorded".into(),
        };
        let f = judge(&o);
        let x = find(&f, "GOSUMDB=off");
        assert_eq!(fix(x), vec!["unset GOSUMDB", "go env -u GOSUMDB"]);
        assert!(
            x.remediation
                .as_ref()
                .into_option()
                .is_some_and(|r| r.text.contains("could not tell where GOSUMDB is set")),
            "{x:#?}"
        );
        assert!(
            x.evidence_value("GOSUMDB set by")
                .is_some_and(|v| v.starts_with("could not tell")),
            "{x:#?}"
        );
    }

    /// With GOENV=off `go env -w` exits 0 and changes nothing (seen with go1.27.3 and
    /// go1.19.8), so the fix must export the value.
    #[test]
    fn goenv_off_fixes_by_export() {
        let mut o = obs(&[("GOPROXY", ""), ("GOENV", "off")], &[], &[]);
        o.sources.env_file = EnvFile::Off;
        let f = judge(&o);
        let x = find(&f, "GOPROXY has no entries");
        assert_eq!(
            fix(x),
            vec!["export GOPROXY=https://proxy.golang.org,direct"]
        );
    }

    #[test]
    fn unreadable_go_env_skips() {
        let o = Observations {
            env: Err(GoEnvProblem::NoGo),
            gonosumcheck: None,
            sources: Sources {
                exported: BTreeMap::new(),
                env_file: EnvFile::Off,
            },
        };
        let f = judge(&o);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Skip);
    }

    #[test]
    fn proxy_entry_problems_like_new_proxy_repo() {
        assert_eq!(proxy_entry_problem("x.example:8080"), None);
        assert_eq!(proxy_entry_problem("https://a.example/p"), None);
        assert_eq!(proxy_entry_problem("file:///srv/proxy"), None);
        assert_eq!(proxy_entry_problem("HTTPS://a.example"), None);
        assert_eq!(
            proxy_entry_problem("foo").as_deref(),
            Some("invalid proxy URL missing scheme: foo")
        );
        assert_eq!(
            proxy_entry_problem("/srv/proxy").as_deref(),
            Some("invalid proxy URL missing scheme: /srv/proxy")
        );
        assert_eq!(
            proxy_entry_problem("ftp://x").as_deref(),
            Some("invalid proxy URL scheme (must be https, http, file): ftp://x")
        );
        assert_eq!(
            without_entry("a.example|foo,direct", "foo"),
            "a.example|direct"
        );
        assert_eq!(without_entry("foo", "foo"), "");
    }

    #[test]
    fn proxy_entries_like_proxy_list() {
        assert_eq!(
            proxy_entries("a.example, ,b.example|direct|c"),
            ["a.example", "b.example", "direct"]
        );
        assert!(proxy_entries(" , | ").is_empty());
        assert_eq!(proxy_entries("off,x"), ["off"]);
    }
}

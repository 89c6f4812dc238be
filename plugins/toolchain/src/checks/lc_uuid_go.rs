//! `toolchain.lc-uuid-go`: on macOS 26 and later, a Go older than 1.24 links programs that
//! dyld refuses to start (no `LC_UUID`), so `go test` and `go run` abort.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, GoVersion, Needs};

use crate::checks::gotoolchain::{self, Selection};
use crate::checks::release_support::parse_macos;
use crate::discover::version_from_output;
use crate::util::{install_remedy, NO_GO};
use crate::version::LATEST_KNOWN;

inventory::submit! { Check {
    id: "toolchain.lc-uuid-go",
    title: "The selected Go links binaries macOS 26 will start",
    explain: "Since macOS 26 (Tahoe), dyld refuses to start a Mach-O executable without an LC_UUID load command (\"dyld: missing LC_UUID load command\", abort). Go's internal linker writes LC_UUID only from Go 1.24 (Go 1.24 release notes, Linker; golang/go#68678), so with an older Go every program it links — `go test` binaries, `go run`, tools — aborts at start. gohost takes the Go that actually runs (the go on PATH, after GOTOOLCHAIN and go.mod switching, see toolchain.gotoolchain): older than 1.24 on macOS 26+ fails, with the fix (a Go 1.24+ through GOTOOLCHAIN, or an upgrade) and the workaround (-ldflags=-linkmode=external, which links with the system linker and gets LC_UUID). On older macOS it is an info: the same binaries will fail after an upgrade.",
    tags: &["toolchain", "macos"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

/// What the check looked at.
#[derive(Debug, Clone)]
pub struct Observations {
    pub os: String,
    /// `sw_vers -productVersion` (empty: not answered).
    pub os_version: String,
    /// `go version` output of the first go (None: no go).
    pub version_output: Option<String>,
    /// What GOTOOLCHAIN and go.mod select (None: could not tell).
    pub selected: Option<Result<Selection, String>>,
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    let facts = ctx.facts();
    let tc = gotoolchain::gather(ctx);
    Observations {
        os: facts.os.to_string(),
        os_version: facts.os_version.to_string(),
        version_output: tc.version_output.clone(),
        selected: gotoolchain::selection(&tc),
    }
}

/// Go 1.24's internal linker is the first to write LC_UUID (FACTS.md).
pub const FIRST_WITH_UUID: GoVersion = GoVersion::new(1, 24, 0);

/// The macOS version the verdict rests on and Go 1.24's linker note, last on every finding of
/// both LC_UUID checks (this one and `lc_uuid_binaries`).
pub fn with_macos(f: Finding, os_version: &str) -> Finding {
    f.evidence(
        "macOS",
        if os_version.is_empty() {
            "no answer"
        } else {
            os_version
        },
        "sw_vers -productVersion",
    )
    .doc("https://go.dev/doc/go1.24#linker")
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    if obs.os != "macos" {
        return vec![Finding::skip(
            "macOS only: dyld's LC_UUID requirement does not apply here",
        )];
    }
    let Some(version_output) = &obs.version_output else {
        return vec![Finding::skip(NO_GO)];
    };
    let Some(local_name) = version_from_output(version_output) else {
        return vec![Finding::skip("could not tell: no parseable `go version`")];
    };
    let Some(local) = GoVersion::parse(&local_name) else {
        return vec![Finding::skip("could not tell: no parseable `go version`")];
    };
    let (name, version, certain) = match &obs.selected {
        Some(Ok(sel)) => (sel.toolchain.clone(), sel.version, true),
        // Below 1.21 nothing switches: the local go is what runs.
        _ if local < GoVersion::new(1, 21, 0) => (local_name.clone(), local, true),
        _ => (local_name.clone(), local, false),
    };
    if version >= FIRST_WITH_UUID {
        return vec![Finding::pass(format!(
            "{name} runs: Go 1.24+ writes LC_UUID into what it links"
        ))
        .evidence("go", &name, "go version, GOTOOLCHAIN, go.mod")];
    }
    let latest = format!(
        "go{}.{}.{}",
        LATEST_KNOWN.major, LATEST_KNOWN.minor, LATEST_KNOWN.patch
    );
    let mut fixes = if local >= GoVersion::new(1, 21, 0) {
        vec![format!(
            "go env -w GOTOOLCHAIN={latest}+auto   # Go 1.24+ writes LC_UUID; +auto still follows newer go.mod lines"
        )]
    } else {
        install_remedy(&obs.os)
    };
    fixes.push(
        "# where upgrading is not possible, link externally (the system linker adds LC_UUID): go test -ldflags=-linkmode=external ./..."
            .to_owned(),
    );
    let macos = parse_macos(&obs.os_version);
    let base = |f: Finding| {
        with_macos(
            f.evidence("go", &name, "go version, GOTOOLCHAIN, go.mod"),
            &obs.os_version,
        )
    };
    let f = match macos {
        Some((major, _)) if major >= 26 && certain => base(Finding::fail(format!(
            "{name} links programs without LC_UUID, which macOS {} refuses to start: go test and go run abort",
            obs.os_version
        )))
        .detail("dyld on macOS 26+ aborts any Mach-O executable lacking an LC_UUID load command (\"missing LC_UUID load command\"); Go's internal linker writes one only from Go 1.24.")
        .remediation("Use Go 1.24 or newer:", fixes),
        Some((major, _)) if major >= 26 => base(Finding::warn(format!(
            "the local {name} links programs without LC_UUID, which macOS {} refuses to start (could not tell whether GOTOOLCHAIN switches to a newer Go)",
            obs.os_version
        )))
        .remediation("Use Go 1.24 or newer:", fixes),
        Some(_) => base(Finding::info(format!(
            "{name} links programs without LC_UUID: they run on macOS {}, but not after an upgrade to macOS 26",
            obs.os_version
        )))
        .remediation("Before upgrading macOS, move to Go 1.24 or newer:", fixes),
        None => base(Finding::skip(format!(
            "{name} links programs without LC_UUID; could not tell whether this macOS (26+) refuses them"
        ))),
    };
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    fn obs(go: &str, macos: &str, selected: Option<&str>) -> Observations {
        let v = GoVersion::parse(go);
        Observations {
            os: "macos".into(),
            os_version: macos.into(),
            version_output: Some(format!("go version {go} darwin/arm64")),
            selected: selected.map(|s| gotoolchain::select(go, v.expect("version"), s, None, None)),
        }
    }

    /// FACTS.md: macOS 26 dyld needs LC_UUID; Go's internal linker writes it from 1.24.
    #[test]
    fn table() {
        let rows: Vec<(&str, Observations, Status)> = vec![
            (
                "1.23 on 26",
                obs("go1.23.4", "26.0", Some("auto")),
                Status::Fail,
            ),
            ("1.19 on 26", obs("go1.19.8", "26.1", None), Status::Fail),
            (
                "1.23 on 15",
                obs("go1.23.4", "15.5", Some("auto")),
                Status::Info,
            ),
            (
                "1.24 on 26",
                obs("go1.24.0", "26.0", Some("auto")),
                Status::Pass,
            ),
            // GOTOOLCHAIN pins an older Go on a newer local one.
            (
                "pinned 1.23 on 26",
                obs("go1.27.3", "26.0", Some("go1.23.4")),
                Status::Fail,
            ),
            (
                "+auto upward from 1.23",
                obs("go1.23.4", "26.0", Some("go1.24.0+auto")),
                Status::Pass,
            ),
            // Missing answers.
            (
                "selection unknown",
                obs("go1.23.4", "26.0", None),
                Status::Warn,
            ),
            (
                "macOS unknown",
                obs("go1.23.4", "", Some("auto")),
                Status::Skip,
            ),
            (
                "linux",
                Observations {
                    os: "linux".into(),
                    ..obs("go1.19.8", "", None)
                },
                Status::Skip,
            ),
        ];
        assert_eq!(rows.len(), 9);
        for (name, o, want) in rows {
            let got = judge(&o);
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!(got[0].status, want, "{name}: {:#?}", got[0]);
        }
    }
}

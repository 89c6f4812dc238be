//! Declaring checks ([`Check`], registered with `inventory`) and building findings.

use abi_stable::std_types::{ROption, RString, RVec};

use crate::abi::{CheckInfo, Evidence, Finding, Needs, Remediation, RunOptions, Status};
use crate::ctx::Ctx;

/// One check of a plugin. Register it with [`inventory::submit!`](crate::inventory::submit):
///
/// ```ignore
/// gohost_plugin_api::inventory::submit! {
///     gohost_plugin_api::Check {
///         id: "hello.greeting",
///         title: "Says hello",
///         explain: "Explains itself.",
///         tags: &[],
///         needs: gohost_plugin_api::Needs { network: false, root: false, slow: false },
///         run: greeting,
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Check {
    /// `<plugin>.<kebab-name>`; checks whose id does not start with the plugin's name are not
    /// part of that plugin (this is how several plugins can share one test binary).
    pub id: &'static str,
    /// One line, shown in `gohost list` and next to each finding.
    pub title: &'static str,
    /// The long text of `gohost explain <id>`: what is checked, why it matters, how to fix.
    pub explain: &'static str,
    /// Free-form tags (`toolchain`, `example`, …).
    pub tags: &'static [&'static str],
    /// What the check needs; the host skips it with the reason when a need is not allowed.
    pub needs: Needs,
    /// Produce this check's findings. A finding whose `check` is empty gets this check's id.
    pub run: fn(&Ctx<'_>) -> Vec<Finding>,
}

inventory::collect!(Check);

impl Check {
    /// The ABI form of this check for the manifest.
    pub fn info(&self) -> CheckInfo {
        CheckInfo {
            id: self.id.into(),
            title: self.title.into(),
            explain: self.explain.into(),
            tags: self.tags.iter().map(|t| RString::from(*t)).collect(),
            needs: self.needs,
        }
    }
}

/// The checks registered for `plugin` (id prefix `<plugin>.`), sorted by id.
pub fn registered_checks(plugin: &str) -> Vec<&'static Check> {
    let mut checks: Vec<&'static Check> = inventory::iter::<Check>
        .into_iter()
        .filter(|c| {
            c.id.strip_prefix(plugin)
                .is_some_and(|rest| rest.starts_with('.'))
        })
        .collect();
    checks.sort_by_key(|c| c.id);
    checks
}

/// A need a check declares ([`Needs`]) that the options of a run do not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnmetNeed {
    /// [`Needs::network`] without `--online`.
    Network,
    /// [`Needs::root`] while gohost is not root and `--allow-root-probes` was not given.
    Root,
    /// [`Needs::slow`] without `--deep`.
    Slow,
}

impl UnmetNeed {
    /// Every need, in the order they are reported.
    pub const ALL: [UnmetNeed; 3] = [UnmetNeed::Network, UnmetNeed::Root, UnmetNeed::Slow];

    /// The word used in evidence and JSON (`network`, `root`, `slow`).
    pub fn name(self) -> &'static str {
        match self {
            UnmetNeed::Network => "network",
            UnmetNeed::Root => "root",
            UnmetNeed::Slow => "slow",
        }
    }

    /// The `gohost run` flag that allows it.
    pub fn flag(self) -> &'static str {
        match self {
            UnmetNeed::Network => "--online",
            UnmetNeed::Root => "--allow-root-probes",
            UnmetNeed::Slow => "--deep",
        }
    }

    fn why(self) -> &'static str {
        match self {
            UnmetNeed::Network => "It contacts the network, and gohost runs such checks only with --online.",
            UnmetNeed::Root => "It needs root, and gohost runs such checks only when it runs as root or with --allow-root-probes (which lets them use non-interactive `sudo -n`; gohost never prompts for a password).",
            UnmetNeed::Slow => "It takes seconds or measures the machine, and gohost runs such checks only with --deep.",
        }
    }
}

impl Needs {
    /// A check that needs nothing special: no network, no root, not slow. Runs by default.
    pub const NONE: Needs = Needs {
        network: false,
        root: false,
        slow: false,
    };

    /// The needs `options` does not allow, in the order network, root, slow; empty when the
    /// check may run.
    pub fn unmet(&self, options: &RunOptions) -> Vec<UnmetNeed> {
        [
            (self.network && !options.online, UnmetNeed::Network),
            (self.root && !options.allow_root, UnmetNeed::Root),
            (self.slow && !options.deep, UnmetNeed::Slow),
        ]
        .into_iter()
        .filter_map(|(unmet, need)| unmet.then_some(need))
        .collect()
    }
}

/// The `skip` finding for a check that was not run because of `unmet` (see
/// [`Needs::unmet`]). The host and the in-process runtime both use it, so a user sees the same
/// words whichever ran the check. Each unmet need is one `needs` evidence item with source
/// `check manifest`.
pub fn not_run_finding(id: &str, title: &str, unmet: &[UnmetNeed]) -> Finding {
    let flags: Vec<&str> = unmet.iter().map(|n| n.flag()).collect();
    let mut detail = format!("`{id}` was not run, so nothing was verified.");
    for need in unmet {
        detail.push(' ');
        detail.push_str(need.why());
    }
    let mut finding = Finding::skip(format!("{title}: not run without {}", flags.join(" ")))
        .detail(detail)
        .with_check(id);
    for need in unmet {
        finding = finding.evidence("needs", need.name(), "check manifest");
    }
    finding.remediation(
        "Allow it for this run (`gohost explain` says what it does first):",
        [
            format!("gohost explain {id}"),
            format!("gohost run --check {id} {}", flags.join(" ")),
        ],
    )
}

/// Why a check id is malformed, or None when it is a valid `<plugin>.<kebab-name>`.
pub fn check_id_problem(plugin: &str, id: &str) -> Option<String> {
    let Some(rest) = id.strip_prefix(plugin).and_then(|r| r.strip_prefix('.')) else {
        return Some(format!("check id `{id}` must start with `{plugin}.`"));
    };
    let kebab = !rest.is_empty()
        && !rest.starts_with('-')
        && !rest.ends_with('-')
        && !rest.contains("--")
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if kebab {
        None
    } else {
        Some(format!(
            "check id `{id}` must be `{plugin}.<kebab-name>` (lowercase letters, digits and single dashes); rename it in its `inventory::submit!`"
        ))
    }
}

/// Whether a plugin name is valid: lowercase letters, digits, dashes, starting with a letter.
pub fn plugin_name_problem(name: &str) -> Option<String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!ok).then(|| format!("plugin name `{name}` must be lowercase letters, digits and dashes"))
}

impl Finding {
    /// A finding with the given status and title; the check id is filled in by the runtime.
    pub fn new(status: Status, title: impl Into<String>) -> Finding {
        Finding {
            check: RString::new(),
            status,
            title: title.into().into(),
            detail: RString::new(),
            evidence: RVec::new(),
            remediation: ROption::RNone,
            docs: RVec::new(),
            duration_us: 0,
            cached: false,
        }
    }

    /// A `pass` finding: verified and fine.
    pub fn pass(title: impl Into<String>) -> Finding {
        Finding::new(Status::Pass, title)
    }
    /// An `info` finding: a fact worth knowing, nothing to fix.
    pub fn info(title: impl Into<String>) -> Finding {
        Finding::new(Status::Info, title)
    }
    /// A `warn` finding: works, but likely to bite; add a remediation.
    pub fn warn(title: impl Into<String>) -> Finding {
        Finding::new(Status::Warn, title)
    }
    /// A `fail` finding: verified broken; add evidence and a remediation.
    pub fn fail(title: impl Into<String>) -> Finding {
        Finding::new(Status::Fail, title)
    }
    /// A `skip` finding: could not run here; say why in `detail`.
    pub fn skip(title: impl Into<String>) -> Finding {
        Finding::new(Status::Skip, title)
    }
    /// An `error` finding: the check itself broke.
    pub fn error(title: impl Into<String>) -> Finding {
        Finding::new(Status::Error, title)
    }

    /// Set the check id explicitly (normally left to the runtime).
    pub fn with_check(mut self, id: impl Into<String>) -> Finding {
        self.check = id.into().into();
        self
    }

    /// Set the explanation (full sentences: why, not just what).
    pub fn detail(mut self, detail: impl Into<String>) -> Finding {
        self.detail = detail.into().into();
        self
    }

    /// Add an observed value and where it came from.
    pub fn evidence(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        source: impl Into<String>,
    ) -> Finding {
        self.evidence.push(Evidence {
            key: key.into().into(),
            value: value.into().into(),
            source: source.into().into(),
        });
        self
    }

    /// What to do, with the exact commands.
    pub fn remediation<I, S>(mut self, text: impl Into<String>, commands: I) -> Finding
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.remediation = ROption::RSome(Remediation {
            text: text.into().into(),
            commands: commands
                .into_iter()
                .map(|c| RString::from(c.into()))
                .collect(),
        });
        self
    }

    /// Add a documentation link.
    pub fn doc(mut self, url: impl Into<String>) -> Finding {
        self.docs.push(url.into().into());
        self
    }

    /// Mark the finding as served from the cache.
    pub fn cached(mut self, cached: bool) -> Finding {
        self.cached = cached;
        self
    }

    /// The evidence value for `key`, if any (handy in tests).
    pub fn evidence_value(&self, key: &str) -> Option<&str> {
        self.evidence
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Needs = Needs {
        network: true,
        root: true,
        slow: true,
    };

    #[test]
    fn each_option_allows_exactly_its_need() {
        let none = RunOptions::default();
        assert_eq!(ALL.unmet(&none), UnmetNeed::ALL.to_vec());
        assert!(Needs::default().unmet(&none).is_empty());
        let online = RunOptions {
            online: true,
            ..none
        };
        assert_eq!(ALL.unmet(&online), [UnmetNeed::Root, UnmetNeed::Slow]);
        let root = RunOptions {
            allow_root: true,
            ..none
        };
        assert_eq!(ALL.unmet(&root), [UnmetNeed::Network, UnmetNeed::Slow]);
        let deep = RunOptions { deep: true, ..none };
        assert_eq!(ALL.unmet(&deep), [UnmetNeed::Network, UnmetNeed::Root]);
        // Options that are not capabilities allow nothing.
        let other = RunOptions {
            no_cache: true,
            replay: true,
            ..none
        };
        assert_eq!(ALL.unmet(&other), UnmetNeed::ALL.to_vec());
    }

    #[test]
    fn not_run_finding_names_every_flag_with_evidence_and_the_command() {
        let f = not_run_finding("demo.both", "Both", &[UnmetNeed::Network, UnmetNeed::Slow]);
        assert_eq!(f.status, Status::Skip);
        assert_eq!(f.check.as_str(), "demo.both");
        assert_eq!(f.title.as_str(), "Both: not run without --online --deep");
        assert!(f.detail.contains("nothing was verified"), "{}", f.detail);
        let needs: Vec<&str> = f
            .evidence
            .iter()
            .filter(|e| e.key == "needs")
            .map(|e| e.value.as_str())
            .collect();
        assert_eq!(needs, ["network", "slow"]);
        let remediation = f.remediation.into_option().expect("a remediation");
        assert_eq!(
            remediation.commands.last().map(|c| c.as_str()),
            Some("gohost run --check demo.both --online --deep")
        );
    }
}

//! Declaring checks ([`Check`], registered with `inventory`) and building findings.

use abi_stable::std_types::{ROption, RString, RVec};

use crate::abi::{CheckInfo, Evidence, Finding, Needs, Remediation, Status};
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

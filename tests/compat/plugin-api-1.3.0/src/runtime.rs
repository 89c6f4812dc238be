//! What [`export_plugin!`](crate::export_plugin) expands to call: the manifest, running the
//! selected checks with panics caught, ids checked and durations measured, and the tracing
//! bridge that forwards a plugin's `tracing` events to the host's log.

use std::any::Any;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use abi_stable::std_types::{RSlice, RString, RVec};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::abi::{Finding, HostContextRef, LogLevel, PluginManifest};
use crate::check::{
    check_id_problem, not_run_finding, plugin_name_problem, registered_checks, Check,
};
use crate::ctx::Ctx;

/// The manifest of the plugin named `name`, from its registered checks.
pub fn manifest(name: &str, version: &str, description: &str) -> PluginManifest {
    PluginManifest {
        name: name.into(),
        version: version.into(),
        description: description.into(),
        api_version: crate::AbiVersionTag::CURRENT.to_string().into(),
        checks: registered_checks(name).iter().map(|c| c.info()).collect(),
    }
}

/// Run the checks of plugin `name` selected by id (all when `selection` is empty).
///
/// Never unwinds: a panicking check becomes one `error` finding naming the plugin and check.
pub fn run(name: &str, ctx: HostContextRef<'_>, selection: RSlice<'_, RString>) -> RVec<Finding> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        run_checks(name, &ctx, selection.as_slice())
    }));
    match outcome {
        Ok(mut findings) => {
            if selection.is_empty() {
                findings.extend(foreign_checks(name));
            }
            findings.into()
        }
        Err(payload) => RVec::from(vec![Finding::error(format!(
            "plugin `{name}` panicked outside any check: {}",
            panic_message(&*payload)
        ))
        .with_check(format!("{name}.plugin"))]),
    }
}

/// Checks in this dylib whose id does not start with `<name>.`: in a plugin's cdylib every
/// registered check belongs to it, so such an id is a typo that would otherwise make the check
/// silently disappear. (Not done in [`run_checks`]: a test binary may link several plugins.)
fn foreign_checks(name: &str) -> Vec<Finding> {
    let mut ids: Vec<&'static str> = inventory::iter::<Check>
        .into_iter()
        .map(|c| c.id)
        .filter(|id| {
            !id.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('.'))
        })
        .collect();
    ids.sort_unstable();
    ids.into_iter()
        .map(|id| {
            Finding::error(format!(
                "check id `{id}` does not start with `{name}.`, so it was never run"
            ))
            .detail(format!(
                "Every check of plugin `{name}` needs an id `{name}.<kebab-name>`; rename it in its `inventory::submit!`."
            ))
            .with_check(format!("{name}.plugin"))
        })
        .collect()
}

/// The body of [`run`], usable directly by in-process test harnesses.
pub fn run_checks(name: &str, ctx: &HostContextRef<'_>, selection: &[RString]) -> Vec<Finding> {
    let ctx = Ctx::new(ctx, name);
    let _log_guard = LogBridge::install(&ctx);
    let mut findings = Vec::new();
    if let Some(problem) = plugin_name_problem(name) {
        findings.push(Finding::error(problem).with_check(format!("{name}.plugin")));
        return findings;
    }
    let checks = registered_checks(name);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for check in &checks {
        *seen.entry(check.id).or_default() += 1;
    }
    for (id, count) in &seen {
        if *count > 1 {
            findings.push(
                Finding::error(format!("check id `{id}` is registered {count} times"))
                    .detail("Two `inventory::submit!` items use the same id; ids must be unique within a plugin. None of them was run.")
                    .with_check(*id),
            );
        }
    }
    let options = ctx.options();
    for check in checks {
        if seen.get(check.id).copied().unwrap_or(0) > 1 {
            continue;
        }
        if !selection.is_empty() && !selection.iter().any(|s| s.as_str() == check.id) {
            continue;
        }
        if let Some(problem) = check_id_problem(name, check.id) {
            findings.push(Finding::error(problem).with_check(check.id));
            continue;
        }
        let unmet = check.needs.unmet(&options);
        if !unmet.is_empty() {
            findings.push(not_run_finding(check.id, check.title, &unmet));
            continue;
        }
        findings.extend(run_one(&ctx, check));
    }
    findings
}

fn run_one(ctx: &Ctx<'_>, check: &Check) -> Vec<Finding> {
    let span = tracing::info_span!("check", id = check.id);
    let _entered = span.enter();
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| (check.run)(ctx)));
    let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let mut findings = match result {
        Ok(findings) if findings.is_empty() => vec![Finding::error(format!(
            "check `{}` produced no finding",
            check.id
        ))
        .detail("Every check must report at least one finding (use `skip` with a reason when it cannot run).")],
        Ok(findings) => findings,
        Err(payload) => vec![Finding::error(format!(
            "check `{}` of plugin `{}` panicked: {}",
            check.id,
            ctx.plugin(),
            panic_message(&*payload)
        ))],
    };
    let each = elapsed / findings.len() as u64;
    for finding in &mut findings {
        if finding.check.is_empty() {
            finding.check = check.id.into();
        }
        finding.duration_us = each;
    }
    findings
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

thread_local! {
    // The context of the run on this thread, type- and lifetime-erased. Set only while
    // `LogBridge` is alive, which borrows the context for exactly that long.
    static CURRENT: Cell<Option<(*const (), *const str)>> = const { Cell::new(None) };
}

/// Forwards `tracing` events of this dylib to the host's `log` while a run is in progress.
///
/// Each dylib has its own copy of tracing's globals, so the host's subscriber never sees a
/// plugin's events; this bridge is the only way they reach the host's log.
struct LogBridge {
    _default: tracing::subscriber::DefaultGuard,
    previous: Option<(*const (), *const str)>,
}

impl LogBridge {
    fn install(ctx: &Ctx<'_>) -> LogBridge {
        let erased = ctx.raw() as *const HostContextRef<'_> as *const ();
        // SAFETY of the erasure: the pointer is only dereferenced in `Forward::on_event`
        // on this thread while this guard (which lives shorter than `ctx`) exists.
        let name = ctx.plugin() as *const str;
        let previous = CURRENT.with(|c| c.replace(Some((erased, name))));
        let subscriber = tracing_subscriber::registry().with(Forward);
        LogBridge {
            _default: tracing::subscriber::set_default(subscriber),
            previous,
        }
    }
}

impl Drop for LogBridge {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

struct Forward;

impl<S: tracing::Subscriber> Layer<S> for Forward {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let Some((ptr, plugin)) = CURRENT.with(Cell::get) else {
            return;
        };
        let meta = event.metadata();
        let level = match *meta.level() {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        };
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        // SAFETY: see `LogBridge::install`; both pointers are live while CURRENT is set.
        let (ctx, plugin) = unsafe { (&*(ptr as *const HostContextRef<'_>), &*plugin) };
        let target = format!("{plugin}::{}", meta.target());
        ctx.log(level, target.as_str().into(), visitor.text.as_str().into());
    }
}

#[derive(Default)]
struct MessageVisitor {
    text: String,
}

impl tracing::field::Visit for MessageVisitor {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.text, "{value:?}");
        } else {
            let _ = write!(self.text, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.text.push_str(value);
        } else {
            let _ = write!(self.text, " {}={value}", field.name());
        }
    }
}

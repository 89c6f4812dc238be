//! The cache between osquery's scheduler and `gohost`: each distinct invocation (`gohost
//! list`, or `gohost run` with one selection) has an entry holding its last answer, when it
//! was produced and the [fingerprint](crate::fingerprint) it was produced under.
//!
//! A query gets the entry's answer while it is younger than the TTL and the fingerprint is
//! unchanged. Otherwise a refresh starts on a thread of its own (one at a time per entry;
//! concurrent queries wait on the same one) and the query waits for it at most its time
//! budget, which is kept below osquery's extension timeout: a refresh that finishes in time is
//! the answer; one that does not leaves the query the previous answer marked stale, or, when
//! there never was one, an error saying the run is still going. The refresh itself goes on
//! (up to its own, longer limit) so that the next query has fresh rows: a slow check costs one
//! stale answer, not a timeout on every schedule tick.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::query::{self, Plan};
use crate::runner::{self, Children};
use crate::tables::{self, Row, SchemaError};

/// The extension's settings that decide what gohost is asked and how long things may take.
#[derive(Debug, Clone)]
pub struct Config {
    pub gohost: PathBuf,
    /// How long an answer stays fresh.
    pub ttl: Duration,
    /// The longest a query waits for a refresh.
    pub budget: Duration,
    /// The longest a refresh (one gohost invocation) may run before it is killed.
    pub run_limit: Duration,
    pub online: bool,
    pub deep: bool,
    pub allow_root_probes: bool,
}

/// Why a table has no rows to give.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("gohost is still running (no earlier answer to serve yet); query again shortly: {0}")]
    Pending(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Context(#[from] query::ContextError),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    List,
    Run(Vec<String>),
}

impl Key {
    fn args(&self, cfg: &Config) -> Vec<String> {
        let mut args: Vec<String> = ["--color", "never", "--quiet"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        match self {
            Key::List => args.extend(["list", "--format", "json"].map(str::to_owned)),
            Key::Run(selection) => {
                args.push("run".to_owned());
                args.extend(selection.iter().cloned());
                args.extend(["--format", "json", "--explicit-capabilities"].map(str::to_owned));
                // gohost stops its own run a little before the extension would kill it, so
                // a slow run still ends with a report (its unfinished plugins as errors).
                let inner = cfg
                    .run_limit
                    .saturating_sub(Duration::from_secs(2))
                    .max(Duration::from_secs(1));
                args.push("--run-timeout".to_owned());
                args.push(format!("{:.1}", inner.as_secs_f64()));
                for (on, flag) in [
                    (cfg.online, "--online"),
                    (cfg.deep, "--deep"),
                    (cfg.allow_root_probes, "--allow-root-probes"),
                ] {
                    if on {
                        args.push(flag.to_owned());
                    }
                }
            }
        }
        args
    }
}

#[derive(Debug, Default)]
struct Entry {
    answer: Option<Answer>,
    running: bool,
    /// Completed refreshes (successful or not), so a waiter knows one finished.
    generation: u64,
    last_error: Option<String>,
}

#[derive(Debug, Clone)]
struct Answer {
    value: Arc<Value>,
    produced: Instant,
    fingerprint: [u8; 32],
}

/// What a table gets: gohost's JSON and whether it is older than the TTL.
#[derive(Debug, Clone)]
pub struct Served {
    pub value: Arc<Value>,
    pub stale: bool,
}

#[derive(Debug)]
struct Shared {
    cfg: Config,
    children: Children,
    entries: Mutex<HashMap<Key, Entry>>,
    changed: Condvar,
}

/// The engine; cheap to clone (every table holds one).
#[derive(Debug, Clone)]
pub struct Engine(Arc<Shared>);

impl Engine {
    pub fn new(cfg: Config) -> Engine {
        Engine(Arc::new(Shared {
            cfg,
            children: Children::default(),
            entries: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        }))
    }

    pub fn config(&self) -> &Config {
        &self.0.cfg
    }

    /// The gohost processes still running, to stop when the extension exits.
    pub fn children(&self) -> &Children {
        &self.0.children
    }

    fn fingerprint(&self) -> [u8; 32] {
        // The plugin directories gohost searched, as its last `list` said.
        let searched: Vec<PathBuf> = self
            .0
            .entries
            .lock()
            .ok()
            .and_then(|e| e.get(&Key::List)?.answer.clone())
            .map(|a| {
                a.value
                    .get("searched")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.get("dir").and_then(Value::as_str).map(PathBuf::from))
                    .collect()
            })
            .unwrap_or_default();
        crate::fingerprint::digest(&crate::fingerprint::inputs(&self.0.cfg.gohost, &searched))
    }

    fn serve(&self, key: Key, deadline: Instant) -> Result<Served, EngineError> {
        let fingerprint = self.fingerprint();
        let shared = &self.0;
        let mut entries = shared
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.entry(key.clone()).or_default();
        if let Some(a) = &entry.answer {
            if a.fingerprint == fingerprint && a.produced.elapsed() < shared.cfg.ttl {
                return Ok(Served {
                    value: a.value.clone(),
                    stale: false,
                });
            }
        }
        let asked_at = Instant::now();
        if !entry.running {
            entry.running = true;
            let engine = self.clone();
            let key = key.clone();
            std::thread::spawn(move || engine.refresh(key, fingerprint));
        }
        let waiting_for = entry.generation + 1;
        loop {
            let entry = entries.entry(key.clone()).or_default();
            if entry.generation >= waiting_for {
                if let Some(a) = &entry.answer {
                    if a.produced >= asked_at {
                        return Ok(Served {
                            value: a.value.clone(),
                            stale: false,
                        });
                    }
                }
                // The refresh failed: an earlier answer (marked stale) beats an error.
                if let Some(a) = &entry.answer {
                    return Ok(Served {
                        value: a.value.clone(),
                        stale: true,
                    });
                }
                return Err(EngineError::Failed(
                    entry
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "the gohost run failed".to_owned()),
                ));
            }
            let now = Instant::now();
            if now >= deadline {
                if let Some(a) = &entry.answer {
                    return Ok(Served {
                        value: a.value.clone(),
                        stale: true,
                    });
                }
                return Err(EngineError::Pending(format!(
                    "`gohost {}` has not finished",
                    key.args(&shared.cfg).join(" ")
                )));
            }
            entries = shared
                .changed
                .wait_timeout(entries, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    fn refresh(&self, key: Key, fingerprint: [u8; 32]) {
        let cfg = &self.0.cfg;
        let result = runner::run_json(&cfg.gohost, &key.args(cfg), cfg.run_limit, &self.0.children);
        let mut entries = self
            .0
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.entry(key).or_default();
        entry.running = false;
        entry.generation += 1;
        match result {
            Ok(value) => {
                entry.answer = Some(Answer {
                    value: Arc::new(value),
                    produced: Instant::now(),
                    fingerprint,
                });
                entry.last_error = None;
            }
            Err(e) => entry.last_error = Some(e.to_string()),
        }
        drop(entries);
        self.0.changed.notify_all();
    }

    /// Start `gohost list` and `gohost run all` now, without waiting, so the first scheduled
    /// query (osquery runs packs minutes after start) finds rows instead of a cold cache.
    pub fn prefetch(&self) {
        for key in [Key::List, Key::Run(vec!["all".to_owned()])] {
            // A deadline of now: start the refresh, never wait for it.
            let _ = self.serve(key, Instant::now());
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.0.cfg.budget
    }

    /// `gohost_findings` for one generate request (its constraints narrow the run).
    pub fn findings(
        &self,
        request: &std::collections::BTreeMap<String, String>,
    ) -> Result<Vec<Row>, EngineError> {
        let deadline = self.deadline();
        let wanted = query::wanted(request)?;
        let selection = if wanted == query::Wanted::default() {
            // Everything: no need to know the names first.
            vec!["all".to_owned()]
        } else {
            let list = self.serve(Key::List, deadline)?;
            match query::plan(&wanted, &query::Known::from_list(&list.value)) {
                Plan::Nothing => return Ok(Vec::new()),
                Plan::Run(args) => args,
            }
        };
        let served = self.serve(Key::Run(selection), deadline)?;
        Ok(tables::findings_rows(&served.value, served.stale)?)
    }

    /// `gohost_checks`.
    pub fn checks(&self) -> Result<Vec<Row>, EngineError> {
        let served = self.serve(Key::List, self.deadline())?;
        Ok(tables::checks_rows(&served.value)?)
    }

    /// `gohost_plugins`.
    pub fn plugins(&self) -> Result<Vec<Row>, EngineError> {
        let served = self.serve(Key::List, self.deadline())?;
        Ok(tables::plugins_rows(&served.value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in gohost: a shell script that prints a fixed report after `delay` seconds and
    /// counts its runs in a file, so the cache's decisions can be observed.
    fn fake(dir: &std::path::Path, delay: f64) -> PathBuf {
        let bin = dir.join("gohost");
        let script = format!(
            "#!/bin/sh\necho run >> {count}\nsleep {delay}\nprintf '%s' '{{\"schema_version\":1,\"run\":{{\"started_unix_ms\":1}},\"plugins\":[{{\"name\":\"p\",\"version\":\"1\",\"findings\":[{{\"check\":\"p.c\",\"status\":\"pass\",\"title\":\"t\",\"detail\":\"\",\"evidence\":[],\"remediation\":null,\"duration_us\":1,\"cached\":false}}]}}]}}'\n",
            count = dir.join("count").display()
        );
        std::fs::write(&bin, script).expect("write");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        bin
    }

    fn runs(dir: &std::path::Path) -> usize {
        std::fs::read_to_string(dir.join("count"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn engine(bin: PathBuf, ttl_ms: u64, budget_ms: u64) -> Engine {
        Engine::new(Config {
            gohost: bin,
            ttl: Duration::from_millis(ttl_ms),
            budget: Duration::from_millis(budget_ms),
            run_limit: Duration::from_secs(20),
            online: false,
            deep: false,
            allow_root_probes: false,
        })
    }

    #[test]
    fn fresh_answers_come_from_the_cache() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = engine(fake(dir.path(), 0.0), 60_000, 5_000);
        let req = Default::default();
        let first = e.findings(&req).expect("rows");
        assert_eq!(first.len(), 1);
        assert_eq!(first[0]["stale"], "0");
        for _ in 0..5 {
            assert_eq!(e.findings(&req).expect("rows"), first);
        }
        assert_eq!(
            runs(dir.path()),
            1,
            "one gohost run for six queries within the TTL"
        );
    }

    #[test]
    fn slow_refresh_serves_stale_rows_within_the_budget() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = engine(fake(dir.path(), 1.5), 1, 300);
        let req = Default::default();
        // No answer yet and the run outlasts the budget: an error, on time.
        let started = Instant::now();
        let err = e.findings(&req).expect_err("pending");
        assert!(matches!(err, EngineError::Pending(_)), "{err}");
        assert!(started.elapsed() < Duration::from_millis(1000));
        // The refresh goes on in the background and lands.
        std::thread::sleep(Duration::from_millis(2000));
        // TTL (1 ms) passed: a new refresh starts, too slow again → the old rows, stale.
        let started = Instant::now();
        let rows = e.findings(&req).expect("stale rows");
        assert!(started.elapsed() < Duration::from_millis(1000));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["stale"], "1");
        assert_eq!(runs(dir.path()), 2);
    }

    #[test]
    fn a_failed_run_is_an_error_without_earlier_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("gohost");
        std::fs::write(&bin, "#!/bin/sh\necho 'gohost: broken' >&2\nexit 2\n").expect("write");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let e = engine(bin, 60_000, 5_000);
        let err = e.findings(&Default::default()).expect_err("no rows");
        assert!(err.to_string().contains("gohost: broken"), "{err}");
    }
}

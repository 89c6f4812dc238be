//! Fault isolation: one worker process per plugin.
//!
//! The host re-executes itself as `gohost __worker`; the two speak JSON lines. The parent
//! writes [`ToWorker`] messages on the worker's stdin; the worker writes [`FromWorker`]
//! messages on a private duplicate of its original stdout, and points fd 1 at stderr, so a
//! plugin that prints (or floods) cannot corrupt the protocol. The parent keeps only the tail
//! of stderr. The worker leads its own process group; a timeout kills the whole group.
//!
//! A session: `Start` → worker loads the plugin → `Manifest` (or `LoadError`) → `Run` or
//! `Exit` → `Log`/`Progress`/`Probe` events → `Findings` → exit 0.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use gohost_plugin_api::snapshot::ProbeRecord;
use gohost_plugin_api::{Finding, LogLevel, PluginManifest};
use serde::{Deserialize, Serialize};

use crate::invoke::Setup;
use crate::probes::live::{isolate_child, kill_process_group};

mod protocol;

pub(crate) use protocol::opt_path_bytes;
pub use protocol::{FromWorker, ToWorker, WorkerStart};

/// The longest protocol line accepted (findings of one plugin, one probe record).
pub const MAX_LINE_BYTES: usize = 256 << 20;
/// How much of a worker's stderr is kept for the report.
pub const STDERR_TAIL_BYTES: usize = 4096;
/// Log lines accepted from one worker; a plugin cannot flood the host's log.
pub const MAX_LOG_LINES: usize = 10_000;

/// How a worker failed, in words for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerFailure {
    /// Loading was refused (bad file, version, layout). Not a crash.
    Load(String),
    Crashed {
        how: String,
        stderr_tail: String,
    },
    TimedOut {
        after: Duration,
        /// The run's deadline (`--run-timeout`) came first, not the plugin's own timeout.
        whole_run: bool,
        stderr_tail: String,
    },
    /// The run's deadline passed before this plugin's turn came; it was never started.
    NotStarted {
        run_timeout: Duration,
    },
    Protocol {
        message: String,
        stderr_tail: String,
    },
    Spawn(String),
    /// Ctrl-C / SIGTERM: the worker was killed on the user's request.
    Interrupted,
}

impl WorkerFailure {
    pub fn message(&self) -> String {
        let tail = |t: &str| {
            if t.trim().is_empty() {
                String::new()
            } else {
                format!("; stderr tail: {}", t.trim())
            }
        };
        match self {
            WorkerFailure::Load(m) => m.clone(),
            WorkerFailure::Crashed { how, stderr_tail } => format!("the plugin crashed: {how}{}", tail(stderr_tail)),
            WorkerFailure::TimedOut { after, whole_run: false, stderr_tail } => format!(
                "the plugin did not finish within {:.1}s (--timeout) and was killed (with everything it started){}",
                after.as_secs_f64(),
                tail(stderr_tail)
            ),
            WorkerFailure::TimedOut { after, whole_run: true, stderr_tail } => format!(
                "the run's time limit of {:.1}s (--run-timeout) ran out before the plugin finished; it was killed (with everything it started){}",
                after.as_secs_f64(),
                tail(stderr_tail)
            ),
            WorkerFailure::NotStarted { run_timeout } => format!(
                "not started: the run's time limit of {:.1}s (--run-timeout) ran out before its turn",
                run_timeout.as_secs_f64()
            ),
            WorkerFailure::Protocol { message, stderr_tail } => {
                format!("the plugin's worker broke the protocol: {message}{}", tail(stderr_tail))
            }
            WorkerFailure::Spawn(m) => format!("could not start a worker process: {m}"),
            WorkerFailure::Interrupted => "interrupted before it finished (Ctrl-C or SIGTERM)".to_owned(),
        }
    }

    /// Whether the run's time limit, not the plugin, caused this.
    pub fn run_time_limit(&self) -> bool {
        matches!(
            self,
            WorkerFailure::TimedOut {
                whole_run: true,
                ..
            } | WorkerFailure::NotStarted { .. }
        )
    }

    /// The short outcome name used in reports.
    pub fn outcome(&self) -> &'static str {
        match self {
            WorkerFailure::Load(_) => "load-error",
            WorkerFailure::Crashed { .. } => "crashed",
            WorkerFailure::TimedOut { .. } | WorkerFailure::NotStarted { .. } => "timeout",
            WorkerFailure::Protocol { .. } | WorkerFailure::Spawn(_) => "crashed",
            WorkerFailure::Interrupted => "interrupted",
        }
    }
}

/// How long one plugin may take: its own timeout (`--timeout`), cut short by the whole run's
/// deadline (`--run-timeout`) when that comes first.
#[derive(Debug, Clone, Copy)]
pub struct TimeLimit {
    pub plugin: Duration,
    pub run: Option<RunDeadline>,
}

/// The instant a run must end by, and the limit it came from (for messages).
#[derive(Debug, Clone, Copy)]
pub struct RunDeadline {
    pub at: Instant,
    pub limit: Duration,
}

/// A [`TimeLimit`] started now: when it expires, and what to report then.
#[derive(Debug, Clone, Copy)]
pub struct Expiry {
    pub at: Instant,
    after: Duration,
    whole_run: bool,
}

impl TimeLimit {
    pub fn start_now(&self) -> Expiry {
        let own = Instant::now() + self.plugin;
        match self.run {
            Some(run) if run.at < own => Expiry {
                at: run.at,
                after: run.limit,
                whole_run: true,
            },
            _ => Expiry {
                at: own,
                after: self.plugin,
                whole_run: false,
            },
        }
    }
}

impl Expiry {
    pub fn failure(&self, stderr_tail: String) -> WorkerFailure {
        WorkerFailure::TimedOut {
            after: self.after,
            whole_run: self.whole_run,
            stderr_tail,
        }
    }
}

/// A bounded tail of a byte stream.
#[derive(Default)]
pub struct Tail {
    bytes: VecDeque<u8>,
    pub total: u64,
}

impl Tail {
    fn push(&mut self, data: &[u8]) {
        self.total += data.len() as u64;
        self.bytes.extend(data);
        while self.bytes.len() > STDERR_TAIL_BYTES {
            self.bytes.pop_front();
        }
    }
    pub fn text(&self) -> String {
        let (a, b) = self.bytes.as_slices();
        let mut all = a.to_vec();
        all.extend_from_slice(b);
        let text = String::from_utf8_lossy(&all).into_owned();
        if self.total > STDERR_TAIL_BYTES as u64 {
            format!(
                "[{} bytes, last {}] …{}",
                self.total, STDERR_TAIL_BYTES, text
            )
        } else {
            text
        }
    }
}

enum Incoming {
    Message(FromWorker),
    Bad(String),
    Eof,
}

/// Callbacks for a worker's events as they arrive.
pub trait WorkerEvents {
    fn log(&mut self, level: LogLevel, target: &str, message: &str);
    fn progress(&mut self, message: &str);
    fn probe(&mut self, record: ProbeRecord);
}

/// The parent's handle on one running worker.
pub struct Worker {
    child: Child,
    pgid: u32,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Incoming>,
    stderr_tail: Arc<Mutex<Tail>>,
    stderr_reader: Option<thread::JoinHandle<()>>,
    expiry: Expiry,
    log_lines: usize,
}

impl Worker {
    /// Start `exe __worker` and send it `start`. `limit` bounds the whole session.
    pub fn spawn(
        exe: &std::path::Path,
        start: WorkerStart,
        limit: TimeLimit,
    ) -> Result<Worker, WorkerFailure> {
        let mut command = Command::new(exe);
        command
            .arg("__worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("RUST_LOG_STYLE");
        isolate_child(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| WorkerFailure::Spawn(format!("{}: {e}", exe.display())))?;
        let pgid = child.id();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| WorkerFailure::Spawn("no stdout pipe".into()))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| WorkerFailure::Spawn("no stderr pipe".into()))?;
        let stdin = child.stdin.take();

        let (tx, incoming) = mpsc::channel();
        thread::spawn(move || read_messages(stdout, tx));
        let stderr_tail = Arc::new(Mutex::new(Tail::default()));
        let tail = Arc::clone(&stderr_tail);
        let stderr_reader = Some(thread::spawn(move || drain_stderr(stderr, tail)));

        let mut worker = Worker {
            child,
            pgid,
            stdin,
            incoming,
            stderr_tail,
            stderr_reader,
            expiry: limit.start_now(),
            log_lines: 0,
        };
        worker.send(&ToWorker::Start(Box::new(start)))?;
        Ok(worker)
    }

    fn send(&mut self, message: &ToWorker) -> Result<(), WorkerFailure> {
        let mut line = serde_json::to_string(message).map_err(|e| self.protocol(e.to_string()))?;
        line.push('\n');
        let written = self
            .stdin
            .as_mut()
            .map(|s| s.write_all(line.as_bytes()).and_then(|_| s.flush()));
        match written {
            Some(Ok(())) => Ok(()),
            // A broken pipe means the worker died; the exit status tells how.
            _ => Err(self.died()),
        }
    }

    fn protocol(&mut self, message: String) -> WorkerFailure {
        self.kill();
        WorkerFailure::Protocol {
            message,
            stderr_tail: self.tail(),
        }
    }

    fn tail(&mut self) -> String {
        // Let the stderr reader catch up with what the dead worker wrote.
        if let Some(reader) = self.stderr_reader.take() {
            let until = Instant::now() + Duration::from_millis(500);
            while !reader.is_finished() && Instant::now() < until {
                thread::sleep(Duration::from_millis(5));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        self.stderr_tail
            .lock()
            .map(|t| t.text())
            .unwrap_or_default()
    }

    /// Kill the worker's whole process group.
    pub fn kill(&mut self) {
        kill_process_group(self.pgid);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The worker ended without a proper goodbye: describe how.
    fn died(&mut self) -> WorkerFailure {
        let status = wait_for_exit(&mut self.child, Duration::from_secs(2));
        kill_process_group(self.pgid);
        let how = match status {
            Some(s) if s.signal().is_some() => {
                let sig = s.signal().unwrap_or(0);
                format!("killed by signal {sig} ({})", signal_name(sig))
            }
            Some(s) => format!(
                "the worker exited with status {} before reporting",
                s.code().unwrap_or(-1)
            ),
            None => {
                self.kill();
                "the worker closed its output but did not exit".to_owned()
            }
        };
        WorkerFailure::Crashed {
            how,
            stderr_tail: self.tail(),
        }
    }

    fn next(&mut self, events: &mut dyn WorkerEvents) -> Result<FromWorker, WorkerFailure> {
        loop {
            let now = Instant::now();
            if crate::interrupt::requested() {
                self.kill();
                return Err(WorkerFailure::Interrupted);
            }
            if now >= self.expiry.at {
                self.kill();
                let tail = self.tail();
                return Err(self.expiry.failure(tail));
            }
            // Short slices, so an interrupt is noticed within ~50 ms.
            let slice = (self.expiry.at - now).min(Duration::from_millis(50));
            match self.incoming.recv_timeout(slice) {
                Ok(Incoming::Message(FromWorker::Log {
                    level,
                    target,
                    message,
                })) => {
                    self.log_lines += 1;
                    if self.log_lines <= MAX_LOG_LINES {
                        events.log(level, &target, &message);
                    } else if self.log_lines == MAX_LOG_LINES + 1 {
                        events.log(
                            LogLevel::Warn,
                            "gohost",
                            "log limit reached; further plugin log lines dropped",
                        );
                    }
                }
                Ok(Incoming::Message(FromWorker::Progress { message })) => {
                    events.progress(&message)
                }
                Ok(Incoming::Message(FromWorker::Probe { record })) => events.probe(record),
                Ok(Incoming::Message(other)) => return Ok(other),
                Ok(Incoming::Bad(message)) => return Err(self.protocol(message)),
                Ok(Incoming::Eof) | Err(RecvTimeoutError::Disconnected) => return Err(self.died()),
                Err(RecvTimeoutError::Timeout) => continue,
            }
        }
    }

    /// Wait for the plugin's manifest.
    pub fn manifest(
        &mut self,
        events: &mut dyn WorkerEvents,
    ) -> Result<PluginManifest, WorkerFailure> {
        match self.next(events)? {
            FromWorker::Manifest { manifest } => Ok(manifest),
            FromWorker::LoadError { message } => {
                self.finish();
                Err(WorkerFailure::Load(message))
            }
            other => Err(self.protocol(format!("expected a manifest, got {other:?}"))),
        }
    }

    /// Run the selected checks and collect the findings.
    pub fn run(
        &mut self,
        selection: Vec<String>,
        events: &mut dyn WorkerEvents,
    ) -> Result<Vec<Finding>, WorkerFailure> {
        self.send(&ToWorker::Run { selection })?;
        match self.next(events)? {
            FromWorker::Findings { findings } => {
                self.finish();
                Ok(findings)
            }
            other => Err(self.protocol(format!("expected findings, got {other:?}"))),
        }
    }

    /// Tell the worker to stop (after a manifest, when it is not selected).
    pub fn exit(mut self) {
        let _ = self.send(&ToWorker::Exit);
        self.finish();
    }

    /// Reap the worker; anything it left running in its group is killed.
    fn finish(&mut self) {
        self.stdin.take();
        wait_for_exit(&mut self.child, Duration::from_secs(2));
        self.kill();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        kill_process_group(self.pgid);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's exit status once it has exited, or None after `patience`. Polls with a
/// doubling pause from 50 µs: a worker told to exit is gone within a millisecond or two, and a
/// fixed multi-millisecond pause was most of the cost of a short-lived worker.
fn wait_for_exit(child: &mut Child, patience: Duration) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + patience;
    let mut pause = Duration::from_micros(50);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Err(_) => return None,
            Ok(None) => {
                let now = Instant::now();
                if now >= until {
                    return None;
                }
                thread::sleep(pause.min(until - now));
                pause = (pause * 2).min(Duration::from_millis(5));
            }
        }
    }
}

fn read_messages(stdout: impl Read, tx: mpsc::Sender<Incoming>) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line);
        match read {
            Ok(0) => {
                let _ = tx.send(Incoming::Eof);
                return;
            }
            Ok(_) if line.len() > MAX_LINE_BYTES => {
                let _ = tx.send(Incoming::Bad(format!(
                    "a message longer than {MAX_LINE_BYTES} bytes"
                )));
                return;
            }
            Ok(_) => {
                let message = match serde_json::from_slice::<FromWorker>(&line) {
                    Ok(m) => Incoming::Message(m),
                    Err(e) => Incoming::Bad(format!("unreadable message ({e})")),
                };
                let stop = matches!(message, Incoming::Bad(_));
                if tx.send(message).is_err() || stop {
                    return;
                }
            }
            Err(_) => {
                let _ = tx.send(Incoming::Eof);
                return;
            }
        }
    }
}

fn drain_stderr(mut stderr: impl Read, tail: Arc<Mutex<Tail>>) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stderr.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if let Ok(mut t) = tail.lock() {
                    t.push(&buf[..n]);
                }
            }
        }
    }
}

/// The conventional name of a signal number.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGSEGV => "SIGSEGV: segmentation fault",
        libc::SIGABRT => "SIGABRT: abort",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS: bus error",
        libc::SIGILL => "SIGILL: illegal instruction",
        libc::SIGFPE => "SIGFPE: arithmetic exception",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTRAP => "SIGTRAP",
        _ => "signal",
    }
}

//! The worker side of [`crate::worker`]: what `gohost __worker` does.

use std::fs::File;
use std::io::{BufRead, Write};
use std::os::fd::FromRawFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::RString;
use gohost_plugin_api::snapshot::{ProbeRecord, Replayer, Snapshot};
use gohost_plugin_api::{HostContext_TO, LogLevel};

use crate::cache::Cache;
use crate::context::{EventSink, HostCtx};
use crate::probes::live::{Limits, LiveProbes};
use crate::probes::{Probes, RecordSink, Recorder, ReplayProbes};
use crate::worker::{FromWorker, ToWorker};

/// The protocol channel: the worker's original stdout.
#[derive(Clone)]
struct Channel(Arc<Mutex<File>>);

impl Channel {
    fn send(&self, message: &FromWorker) {
        let Ok(mut line) = serde_json::to_vec(message) else {
            return;
        };
        line.push(b'\n');
        if let Ok(mut out) = self.0.lock() {
            // The parent is gone if this fails; nothing useful is left to do but finish.
            let _ = out.write_all(&line).and_then(|_| out.flush());
        }
    }
}

impl EventSink for Channel {
    fn log(&self, _plugin: &str, level: LogLevel, target: &str, message: &str) {
        self.send(&FromWorker::Log {
            level,
            target: target.to_owned(),
            message: message.to_owned(),
        });
    }
    fn progress(&self, _plugin: &str, message: &str) {
        self.send(&FromWorker::Progress {
            message: message.to_owned(),
        });
    }
}

impl RecordSink for Channel {
    fn record(&self, record: ProbeRecord) {
        self.send(&FromWorker::Probe { record });
    }
}

/// Take over fd 1 for the protocol and send everything else printed to stdout to stderr.
fn protocol_channel() -> std::io::Result<Channel> {
    // SAFETY: plain fd syscalls on fds this process owns; `dup` gives a fresh fd we then own.
    unsafe {
        let proto = libc::dup(1);
        if proto < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::dup2(2, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::fcntl(proto, libc::F_SETFD, libc::FD_CLOEXEC);
        Ok(Channel(Arc::new(Mutex::new(File::from_raw_fd(proto)))))
    }
}

fn read_message(input: &mut impl BufRead) -> Option<ToWorker> {
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => serde_json::from_str(&line).ok(),
    }
}

/// Run as a worker; returns the process exit code.
pub fn worker_main() -> i32 {
    let channel = match protocol_channel() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gohost worker: cannot set up the protocol channel: {e}");
            return 70;
        }
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let Some(ToWorker::Start(start)) = read_message(&mut input) else {
        eprintln!(
            "gohost worker: expected a start message on stdin (this command is internal to gohost)"
        );
        return 2;
    };

    let probes: Arc<dyn Probes> = match &start.replay {
        Some(path) => {
            let max = match start.max_snapshot_bytes {
                0 => crate::cli::DEFAULT_MAX_SNAPSHOT_BYTES,
                n => n,
            };
            let snapshot = crate::run::read_snapshot_text(path, max)
                .and_then(|t| Snapshot::from_json(&t).map_err(|e| e.to_string()));
            match snapshot {
                Ok(s) => Arc::new(ReplayProbes::new(Replayer::new(s))),
                Err(e) => {
                    channel.send(&FromWorker::LoadError {
                        message: format!("cannot replay {}: {e}", path.display()),
                    });
                    return 0;
                }
            }
        }
        None => {
            let limits = Limits {
                default_exec_timeout: Duration::from_millis(start.exec_timeout_ms.max(1)),
                ..Limits::default()
            };
            Arc::new(LiveProbes::new(limits, start.temp_root.clone()))
        }
    };
    let probes: Arc<dyn Probes> = if start.record {
        Arc::new(Recorder::new(probes, Arc::new(channel.clone())))
    } else {
        probes
    };

    let plugin = match crate::loader::load(
        &start.plugin_path,
        start.plugin_identity.as_ref(),
        start.expected_name.as_deref(),
    ) {
        Ok(p) => p,
        Err(e) => {
            channel.send(&FromWorker::LoadError {
                message: e.to_string(),
            });
            return 0;
        }
    };
    channel.send(&FromWorker::Manifest {
        manifest: plugin.manifest.clone(),
    });

    let selection = match read_message(&mut input) {
        Some(ToWorker::Run { selection }) => selection,
        _ => return 0,
    };
    let ctx = HostCtx {
        plugin: plugin.manifest.name.to_string(),
        facts: start.facts.clone(),
        options: start.options,
        probes,
        cache: Cache::new(start.cache_dir.clone(), !start.options.no_cache),
        events: Arc::new(channel.clone()),
    };
    let object = HostContext_TO::from_ptr(&ctx, TD_Opaque);
    let selection: Vec<RString> = selection.into_iter().map(RString::from).collect();
    let findings = (plugin.module.run())(object, selection.as_slice().into());
    channel.send(&FromWorker::Findings {
        findings: findings.into_vec(),
    });
    0
}

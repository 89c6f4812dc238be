//! The worker side of [`crate::worker`]: what `gohost __worker` does.

use std::fs::File;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

use gohost_plugin_api::snapshot::ProbeRecord;
use gohost_plugin_api::LogLevel;

use crate::context::EventSink;
use crate::invoke::{self, Entry};
use crate::probes::RecordSink;
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
    let proto = crate::sys::take_stdout()?;
    Ok(Channel(Arc::new(Mutex::new(proto))))
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
    // Before any thread allocates: one malloc arena bounds a worker's memory (see sys.rs).
    crate::sys::limit_malloc_arenas();
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

    // The snapshot, if any, came parsed in the start message: the parent read the user's
    // file once for the whole run (invoke.rs), so there is nothing here to refuse.
    let record: Option<Arc<dyn RecordSink>> = start
        .setup
        .record
        .then(|| Arc::new(channel.clone()) as Arc<dyn RecordSink>);
    let probes = invoke::probe_stack(&start.setup.source(&start.temp_root), record);

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
    let ctx = start.setup.context(
        plugin.manifest.name.as_str(),
        probes,
        Arc::new(channel.clone()),
    );
    let findings = invoke::call(Entry::Module(plugin.module), &ctx, &selection);
    channel.send(&FromWorker::Findings { findings });
    0
}

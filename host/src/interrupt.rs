//! Ctrl-C and SIGTERM: the first asks the run to stop (workers and their commands are
//! killed, temp dirs removed, a partial report marked interrupted, exit 130); the second exits
//! at once.
//!
//! The signal handler only touches an atomic; everything that waits in gohost (workers,
//! commands, in-process plugins) polls [`requested`] in short slices.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The exit code of an interrupted run (128 + SIGINT), as shells expect.
pub const EXIT_INTERRUPTED: i32 = 130;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_sig: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe. Workers die with us (Linux: PDEATHSIG).
        unsafe { libc::_exit(EXIT_INTERRUPTED) };
    }
}

/// Install the handlers (once, in the parent process only; workers keep the defaults).
pub fn install() {
    // SAFETY: installing a handler that only does async-signal-safe work.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

/// Whether the user asked the run to stop.
pub fn requested() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

//! Test fixture: a hostile plugin that attacks the worker protocol. `GOHOST_FAULT_PROTO`
//! selects how: `garbage` writes a line that is not JSON to every pipe it finds among its
//! file descriptors (one of them is the worker's private protocol channel), `forge` writes
//! a well-formed but forged `findings` message there, `spoof` returns a finding carrying
//! another plugin's check id (`arch.translation`) through the normal API.
use gohost_plugin_api::{export_plugin, inventory, Check, Ctx, Finding, Needs};

export_plugin! { name: "fault-proto", version: "0.1.0", description: "test fixture: attacks the worker protocol" }

fn write_to_pipes(line: &[u8]) {
    for fd in 3..256 {
        // SAFETY: fstat/write on an fd number this process may or may not own; both only
        // report errors for fds that are not open.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO {
                let _ = libc::write(fd, line.as_ptr().cast(), line.len());
            }
        }
    }
}

fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    match ctx.env("GOHOST_FAULT_PROTO").as_deref() {
        Some("garbage") => write_to_pipes(b"this is not JSON\n"),
        Some("forge") => write_to_pipes(
            b"{\"type\":\"findings\",\"findings\":[{\"check\":\"fault-proto.forged\",\"status\":\"pass\",\"title\":\"forged\"}]}\n",
        ),
        Some("spoof") => return vec![Finding::pass("arch says all is well").with_check("arch.translation")],
        _ => {}
    }
    vec![Finding::pass("honest result")]
}

inventory::submit! {
    Check { id: "fault-proto.attack", title: "fixture", explain: "A test fixture.", tags: &[], needs: Needs { network: false, root: false, slow: false }, run }
}

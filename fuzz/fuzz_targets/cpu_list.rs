//! The kernel's CPU list format (`0-3,8,10-11`: `/sys/devices/system/cpu/*`,
//! `Cpus_allowed_list` in `/proc/self/status`, cgroup `cpuset.cpus`), and the `go` and
//! `godebug` lines of go.mod/go.work (`mod_file_settings`): the scheduler plugin's text
//! parsers outside its checks.
#![no_main]

use gohost_plugin_scheduler::parse_cpu_list;
use libfuzzer_sys::fuzz_target;

/// An independent reading of the format for membership only (Linux
/// Documentation/admin-guide/cputopology.rst, "cpulist format"): is `cpu` in `text`?
fn listed(text: &str, cpu: u32) -> bool {
    text.trim().split(',').any(|part| {
        let part = part.trim();
        match part.split_once('-') {
            Some((a, b)) => match (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
                (Ok(a), Ok(b)) => a <= cpu && cpu <= b,
                _ => false,
            },
            None => part.parse::<u32>() == Ok(cpu),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (_, godebug) = gohost_plugin_scheduler::mod_file_settings(&text);
    assert!(godebug.len() <= text.lines().count());
    let Some(cpus) = parse_cpu_list(&text) else {
        return;
    };
    // Sorted, without duplicates, and bounded (a range spans at most 65,537 CPUs).
    assert!(cpus.windows(2).all(|w| w[0] < w[1]));
    assert!(cpus.len() <= (text.matches(',').count() + 1) * 65_537);
    // Every CPU returned is listed, and the bounds of the list are in the result.
    for &cpu in cpus.iter().take(1000) {
        assert!(listed(&text, cpu), "{cpu} not in {text:?}");
    }
    for n in text.split(|c: char| !c.is_ascii_digit()).take(100) {
        if let Ok(n) = n.parse::<u32>() {
            assert!(cpus.binary_search(&n).is_ok(), "{n} of {text:?} missing");
        }
    }
});

//! Live test on this Linux machine: /dev/accel and /sys/class/accel read for real through the
//! host's live harness (`gohost::harness`), compared with an independent listing.
#![allow(clippy::disallowed_methods)] // test code probes the real machine on purpose
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use gohost_plugin_api::{RunOptions, Status};

use gohost_e2e::harness::{one, run_plugin, LiveContext};

fn list(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn live_accel_devices_match_dev_and_sysfs() {
    assert_eq!(
        gohost_plugin_ane::ane_for_chip("Apple M1"),
        gohost_plugin_ane::Ane::Cores(16)
    );
    let ctx = LiveContext::new().with_options(RunOptions {
        deep: true,
        ..RunOptions::default()
    });
    let f = run_plugin("ane", &ctx, &[]);
    let n = one(&f, "ane.neural-engine");
    let devs: Vec<String> = list("/dev/accel")
        .into_iter()
        .filter(|d| d.starts_with("accel"))
        .collect();
    if devs.is_empty() {
        assert_eq!(
            n.title.as_str(),
            "No NPU/accelerator devices under /dev/accel"
        );
    } else {
        assert_eq!(
            n.title.as_str(),
            format!("{} accelerator device(s) under /dev/accel", devs.len())
        );
        for d in &devs {
            let driver = std::fs::read_link(format!("/sys/class/accel/{d}/device/driver"))
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .unwrap_or_else(|_| "(no driver bound)".to_owned());
            assert_eq!(
                n.evidence_value(&format!("/dev/accel/{d}")),
                Some(driver.as_str())
            );
        }
    }
    let d = one(&f, "ane.driver");
    if list("/sys/class/accel").is_empty() {
        assert_eq!(
            d.title.as_str(),
            "No accel class devices in sysfs (no NPU driver bound)"
        );
    }
    let c = one(&f, "ane.coreml-link");
    assert_eq!(c.status, Status::Skip);
    assert_eq!(c.title.as_str(), "Core ML exists only on macOS");
}

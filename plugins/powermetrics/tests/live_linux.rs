//! Live tests on this Linux machine through the host's live harness (`gohost::harness`): every
//! Linux check runs for real and is compared with values read here independently; a real
//! cgroup with a tiny CPU quota gets really throttled; fake `id`/`sudo`/`powermetrics` on PATH
//! prove that PATH cannot choose what runs (sudo's `-n` and timeout are covered by tests/replay.rs).
#![allow(clippy::disallowed_methods)] // test code probes the real machine on purpose
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gohost_plugin_api::{RunOptions, Status};

use gohost_e2e::harness::{ev, one, run_plugin, LiveContext};

fn meminfo(key: &str) -> String {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{key}:"))
                .map(|v| v.split_whitespace().next().unwrap().to_owned())
        })
        .unwrap()
}

fn psi_some(path: &str) -> Option<f64> {
    let t = std::fs::read_to_string(path).ok()?;
    gohost_plugin_powermetrics::parse::psi(&t).map(|p| p.0)
}

#[test]
fn live_linux_checks_match_proc_and_sys() {
    let f = run_plugin("powermetrics", &LiveContext::new(), &[]);
    assert_eq!(f.len(), 10, "{f:#?}");
    for x in &f {
        assert_ne!(x.status, Status::Error, "{x:#?}");
    }

    let m = one(&f, "powermetrics.memory-pressure");
    assert_eq!(ev(m, "MemTotal kB"), meminfo("MemTotal"));
    let some: f64 = ev(m, "memory some avg10").parse().unwrap();
    let avail: f64 = ev(m, "MemAvailable kB").parse().unwrap();
    let total: f64 = ev(m, "MemTotal kB").parse().unwrap();
    let pressured = some > 10.0 || avail * 100.0 / total < 10.0;
    assert_eq!(
        m.status,
        if pressured {
            Status::Warn
        } else {
            Status::Pass
        }
    );
    assert!(psi_some("/proc/pressure/memory").is_some());

    let s = one(&f, "powermetrics.swap");
    assert_eq!(ev(s, "SwapTotal kB"), meminfo("SwapTotal"));
    let mut zram: Vec<String> = std::fs::read_dir("/sys/block")
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("zram"))
        .collect();
    zram.sort();
    let want = if zram.is_empty() {
        "(none)".to_owned()
    } else {
        zram.iter()
            .map(|z| {
                format!(
                    "{z} disksize {}",
                    std::fs::read_to_string(format!("/sys/block/{z}/disksize"))
                        .unwrap()
                        .trim()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert_eq!(ev(s, "zram"), want);
    if let Ok(z) = std::fs::read_to_string("/sys/module/zswap/parameters/enabled") {
        assert_eq!(ev(s, "zswap enabled"), z.trim());
    }

    let load = one(&f, "powermetrics.cpu-load");
    let cpu: f64 = ev(load, "cpu some avg10").parse().unwrap();
    let io: f64 = ev(load, "io some avg10").parse().unwrap();
    // Two /proc/stat readings 250 ms apart: one busy share per CPU of this machine.
    let ncpu = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count();
    let per_cpu: Vec<f64> = load
        .evidence
        .iter()
        .filter(|e| e.key.starts_with("cpu") && e.key.ends_with(" busy %"))
        .map(|e| e.value.parse().unwrap())
        .collect();
    assert_eq!(per_cpu.len(), ncpu, "{load:#?}");
    assert!(
        per_cpu.iter().all(|b| (0.0..=100.0).contains(b)),
        "{load:#?}"
    );
    let busy = per_cpu.iter().any(|b| *b > 20.0);
    assert_eq!(
        load.status,
        if cpu > 10.0 || io > 10.0 || busy {
            Status::Warn
        } else {
            Status::Pass
        },
        "{load:#?}"
    );

    let freq = one(&f, "powermetrics.cpu-frequency");
    if Path::new("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").exists() {
        let g = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
            .unwrap();
        assert!(ev(freq, "governors").contains(g.trim()));
    } else {
        assert_eq!(freq.status, Status::Info);
        assert_eq!(
            freq.title.as_str(),
            "No cpufreq on this machine (virtual machine or fixed frequency)"
        );
    }

    let t = one(&f, "powermetrics.thermal");
    if !Path::new("/sys/devices/system/cpu/cpu0/thermal_throttle").exists() {
        assert_eq!(
            t.title.as_str(),
            "No thermal throttle counters on this machine"
        );
    }
    let ps = one(&f, "powermetrics.power-source");
    if !Path::new("/sys/class/power_supply").exists() {
        assert_eq!(
            ps.title.as_str(),
            "No power supply information (desktop, server or VM)"
        );
    }
    let lp = one(&f, "powermetrics.low-power-mode");
    match std::fs::read_to_string("/sys/firmware/acpi/platform_profile") {
        Ok(p) => assert_eq!(ev(lp, "platform_profile"), p.trim()),
        Err(_) => assert_eq!(lp.status, Status::Info),
    }
    let rapl = one(&f, "powermetrics.power-sample");
    if !Path::new("/sys/class/powercap").exists() {
        assert_eq!(rapl.status, Status::Skip);
        assert_eq!(
            rapl.title.as_str(),
            "No RAPL energy counters on this machine"
        );
    }

    // The cgroup the test process is in, read independently. A machine whose layout this test
    // does not know fails here rather than passing without a look (issue 15 item 4).
    let cg = one(&f, "powermetrics.cgroup-throttling");
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let v1 = own.lines().find_map(|l| {
        let mut p = l.splitn(3, ':');
        let (_, ctrl, path) = (p.next()?, p.next()?, p.next()?);
        ctrl.split(',').any(|c| c == "cpu").then(|| path.to_owned())
    });
    let v2 = own
        .lines()
        .find_map(|l| l.strip_prefix("0::").map(str::to_owned));
    let (label, dir) = match (v1, v2) {
        (Some(path), _) if Path::new("/sys/fs/cgroup/cpu/cpu.stat").exists() => (
            "v1",
            format!("/sys/fs/cgroup/cpu{}", path.trim_end_matches('/')),
        ),
        (None, Some(path)) if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() => (
            "v2",
            format!("/sys/fs/cgroup{}", path.trim_end_matches('/')),
        ),
        other => panic!(
            "this test knows cgroup v1 with the cpu controller at /sys/fs/cgroup/cpu and v2 at \
/sys/fs/cgroup; this machine has {other:?}"
        ),
    };
    assert_eq!(ev(cg, "cgroup"), format!("{label} {dir}"));
    let stat = std::fs::read_to_string(format!("{dir}/cpu.stat")).unwrap();
    let thr = stat
        .lines()
        .find_map(|l| l.strip_prefix("nr_throttled "))
        .unwrap();
    // The counter only grows: the plugin's reading is at most the one taken after it.
    let seen: u64 = ev(cg, "nr_throttled").parse().unwrap();
    assert!(seen <= thr.trim().parse::<u64>().unwrap());

    // The verdict agrees with the checks' statuses.
    let v = one(&f, "powermetrics.benchmark-ready");
    let any_warn = [m, load, freq, cg, ps, lp]
        .iter()
        .any(|x| x.status == Status::Warn);
    if any_warn {
        assert_eq!(v.status, Status::Warn, "{v:#?}");
    } else {
        assert_ne!(v.status, Status::Warn, "{v:#?}");
    }
}

#[test]
#[ignore = "helper: run inside the throttled cgroup by live_cgroup_throttling_is_seen"]
fn child_report_throttling() {
    if std::env::var("GOHOST_HW_CHILD").is_err() {
        return;
    }
    let f = run_plugin(
        "powermetrics",
        &LiveContext::new(),
        &[
            "powermetrics.cgroup-throttling",
            "powermetrics.benchmark-ready",
        ],
    );
    let cg = one(&f, "powermetrics.cgroup-throttling");
    let v = one(&f, "powermetrics.benchmark-ready");
    println!("\nSTATUS={}", cg.status.as_str());
    println!("THROTTLED={}", ev(cg, "nr_throttled"));
    println!("CGROUP={}", ev(cg, "cgroup"));
    println!("VERDICT={}", v.title);
}

#[test]
fn live_cgroup_throttling_is_seen() {
    let base = Path::new("/sys/fs/cgroup/cpu");
    let dir = base.join(format!("gohost-hw-throttle-{}", std::process::id()));
    // This test needs root and a writable cgroup v1 cpu hierarchy (as on this project's
    // machine); without them it fails rather than passing silently (issue 15 item 4). The
    // counters' logic on any layout is covered by the fake cgroup trees in tests/replay.rs.
    assert!(
        base.join("cpu.cfs_quota_us").exists(),
        "no cgroup v1 cpu hierarchy at {}",
        base.display()
    );
    std::fs::create_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot create {} (needs root): {e}", dir.display()));
    struct Rm(PathBuf);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir(&self.0);
        }
    }
    let _rm = Rm(dir.clone());
    // 1 ms of CPU per 10 ms period: a busy loop is throttled at once.
    std::fs::write(dir.join("cpu.cfs_period_us"), "10000").unwrap();
    std::fs::write(dir.join("cpu.cfs_quota_us"), "1000").unwrap();
    let me = std::env::current_exe().unwrap();
    let script = format!(
        "echo $$ > {}/cgroup.procs && timeout 0.3 sh -c 'while :; do :; done'; exec \"$0\" --exact child_report_throttling --ignored --nocapture --test-threads 1",
        dir.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&me)
        .env("GOHOST_HW_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} in {text}"))
            .to_owned()
    };
    assert_eq!(field("CGROUP"), format!("v1 {}", dir.display()));
    let seen: u64 = field("THROTTLED").parse().unwrap();
    assert!(seen > 0, "{text}");
    // Independently: the kernel's counter now is at least what the plugin saw.
    let stat = std::fs::read_to_string(dir.join("cpu.stat")).unwrap();
    let now: u64 = stat
        .lines()
        .find_map(|l| l.strip_prefix("nr_throttled "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(now >= seen, "{now} < {seen}");
    assert_eq!(field("STATUS"), "warn");
    assert!(
        field("VERDICT").starts_with("Not ready to benchmark:"),
        "{text}"
    );
    // The verdict reads the counter on its own (checks run in id order, the verdict first) while
    // the cgroup keeps being throttled, so its count is positive and at most what the later
    // check saw.
    let verdict = field("VERDICT");
    let in_verdict: u64 = verdict
        .split("cgroup throttled ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no throttle count in the verdict: {text}"));
    assert!(
        in_verdict > 0 && in_verdict <= seen,
        "{in_verdict} vs {seen}: {text}"
    );
}

fn fake_bin(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn mac_on_this_machine(fake: &Path) -> LiveContext {
    let mut ctx = LiveContext::new()
        .with_path(&format!("{}:/usr/bin:/bin", fake.display()))
        .with_options(RunOptions {
            allow_root: true,
            ..RunOptions::default()
        });
    // The macOS logic, driven by facts, with real processes answering its commands.
    ctx.facts.os = "macos".into();
    ctx
}

/// Issue 20 item 10: `id`, `sudo` and `powermetrics` are run by absolute path with a cleared
/// environment, so programs of those names early on PATH are never run — as root least of all.
/// Real processes: each fake leaves a marker file when it runs.
#[test]
fn path_cannot_choose_id_sudo_or_powermetrics() {
    let fake = std::env::temp_dir().join(format!("gohost-fake-sudo-n-{}", std::process::id()));
    std::fs::create_dir_all(&fake).unwrap();
    for name in ["id", "sudo", "powermetrics"] {
        let marker = fake.join(format!("{name}.ran"));
        fake_bin(&fake, name, &format!("touch {}\necho 0", marker.display()));
    }
    let ctx = mac_on_this_machine(&fake);
    let started = Instant::now();
    let f = run_plugin("powermetrics", &ctx, &["powermetrics.power-sample"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(f.len(), 1, "{f:#?}");
    for name in ["id", "sudo", "powermetrics"] {
        assert!(
            !fake.join(format!("{name}.ran")).exists(),
            "the fake {name} on PATH ran"
        );
    }
    let execs = ctx.execs.lock().unwrap().clone();
    assert!(!execs.is_empty(), "the check ran no command");
    for (argv, _, _) in &execs {
        assert!(
            ["/usr/bin/id", "/usr/bin/sudo", "/usr/bin/powermetrics"].contains(&argv[0].as_str()),
            "{argv:?}"
        );
    }
    assert_eq!(execs[0].0, ["/usr/bin/id", "-u"]);
    // On this Linux machine /usr/bin/id says root, so powermetrics is tried directly and is
    // not there: a skip naming the absolute command, never a pass.
    let p = one(&f, "powermetrics.power-sample");
    assert_eq!(p.status, Status::Skip, "{p:#?}");
    if gohost::running_as_root() {
        assert_eq!(p.title.as_str(), "powermetrics could not be sampled");
        assert!(
            ev(p, "command").starts_with("/usr/bin/powermetrics -n 1"),
            "{p:#?}"
        );
    }
    let _ = std::fs::remove_dir_all(&fake);
}

#[test]
fn deep_verdict_includes_a_measured_noise_run() {
    let ctx = LiveContext::new().with_options(RunOptions {
        deep: true,
        ..RunOptions::default()
    });
    let f = run_plugin("powermetrics", &ctx, &["powermetrics.benchmark-ready"]);
    let v = one(&f, "powermetrics.benchmark-ready");
    let noise = ev(v, "run-to-run noise");
    let spread: f64 = noise
        .rsplit("spread ")
        .next()
        .and_then(|s| s.split('%').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no spread in {noise}"));
    if spread > 5.0 {
        assert!(noise.starts_with("not ready: run-to-run spread"), "{noise}");
        assert_eq!(v.status, Status::Warn);
    } else {
        assert!(noise.starts_with("ok: median"), "{noise}");
    }
}

/// Issue 13 section 3 on Linux: a CPU kept busy by a real process makes the load check and the
/// verdict say so, naming the CPU and its number (two /proc/stat readings through the host).
#[test]
fn a_busy_cpu_is_named_and_blocks_the_verdict() {
    let mut hog = Command::new("taskset")
        .args(["-c", "0", "sh", "-c", "while :; do :; done"])
        .spawn()
        .expect("taskset runs");
    std::thread::sleep(Duration::from_millis(200));
    let f = run_plugin(
        "powermetrics",
        &LiveContext::new(),
        &["powermetrics.cpu-load", "powermetrics.benchmark-ready"],
    );
    let _ = hog.kill();
    let _ = hog.wait();
    assert_eq!(f.len(), 2, "{f:#?}");
    let load = one(&f, "powermetrics.cpu-load");
    assert_eq!(load.status, Status::Warn, "{load:#?}");
    let cpu0: f64 = ev(load, "cpu0 busy %").parse().unwrap();
    assert!(cpu0 > 80.0, "the hog keeps cpu0 busy: {load:#?}");
    assert!(load.title.contains("cpu0 "), "{}", load.title);
    let v = one(&f, "powermetrics.benchmark-ready");
    assert_eq!(v.status, Status::Warn, "{v:#?}");
    assert!(v.title.contains("cpu0 "), "{}", v.title);
}

/// Issue 14: `cpu-load` and `benchmark-ready` share one 250 ms window per plugin run (before,
/// each slept through its own). Within one run both get the very same two /proc/stat readings;
/// a new run takes a new window (the kernel's tick counters move between them, so the readings
/// differ), so nothing about load outlives a run.
#[test]
fn one_load_window_per_plugin_run() {
    use gohost_plugin_powermetrics::checks::cpu_load::{gather, Observations};
    let h = LiveContext::new();
    let stat = |o: &Observations| match o {
        Observations::Linux { stat, .. } => stat.clone(),
        Observations::Mac => panic!("this test runs on Linux"),
    };
    let (first, again) = h.with_ctx("powermetrics", |ctx| {
        (stat(&gather(ctx)), stat(&gather(ctx)))
    });
    assert!(
        first.0.text().is_some() && first.1.text().is_some(),
        "{first:?}"
    );
    assert_eq!(
        first, again,
        "the second gather in a run reuses the run's window"
    );
    let next_run = h.with_ctx("powermetrics", |ctx| stat(&gather(ctx)));
    assert_ne!(first, next_run, "another run measures a window of its own");
}

//! Replay tests from real Mac captures (tests/replay/hw-*.json, built by
//! tests/replay/hw-fixtures.py; composite and made-up parts are listed in each file's notes).

#![allow(clippy::disallowed_methods)] // test code probes the real machine on purpose
use gohost_e2e::harness::{ev, one, replay_file, run_plugin, Harness};
use gohost_plugin_api::{Finding, RunOptions, Status};

fn fixture(name: &str) -> Harness {
    assert_eq!(
        gohost_plugin_powermetrics::parse::locale_mib("1M"),
        Some(1.0)
    );
    replay_file(format!(
        "{}/../../tests/replay/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn run(ctx: &Harness) -> Vec<Finding> {
    run_plugin("powermetrics", ctx, &[])
}

#[test]
fn apple_silicon_at_rest_without_root() {
    let f = run(&fixture("hw-applesilicon-at-rest.json"));
    assert_eq!(f.len(), 10);
    let t = one(&f, "powermetrics.thermal");
    assert_eq!(t.status, Status::Info);
    assert_eq!(
        t.title.as_str(),
        "pmset reports no thermal or performance warning; no CPU limits to read"
    );
    let m = one(&f, "powermetrics.memory-pressure");
    assert_eq!(m.status, Status::Pass);
    // 96636 compressor pages x 16384 bytes = 1510 MiB (vm_stat); 88% from memory_pressure.
    assert_eq!(
        m.title.as_str(),
        "88% of memory free, 1510 MiB held by the memory compressor"
    );
    let s = one(&f, "powermetrics.swap");
    assert_eq!(s.status, Status::Info);
    assert_eq!(s.title.as_str(), "379.25 MiB of 1024.00 MiB swap in use");
    assert_eq!(
        one(&f, "powermetrics.power-source").title.as_str(),
        "On AC power"
    );
    let lpm = one(&f, "powermetrics.low-power-mode");
    assert_eq!((lpm.status, ev(lpm, "lowpowermode")), (Status::Pass, "0"));
    let p = one(&f, "powermetrics.power-sample");
    assert_eq!(p.status, Status::Skip);
    // Not root, no --allow-root-probes: the runtime does not run the check at all.
    assert_eq!(
        p.title.as_str(),
        "Power sample: not run without --allow-root-probes"
    );
    assert_eq!(ev(p, "needs"), "root");
    let v = one(&f, "powermetrics.benchmark-ready");
    assert_eq!(
        v.status,
        Status::Info,
        "thermal pressure is not verified without root"
    );
    assert_eq!(
        v.title.as_str(),
        "No reason found not to benchmark, but not verified: thermal pressure (needs the root-only powermetrics sample)"
    );
    for id in [
        "powermetrics.cgroup-throttling",
        "powermetrics.cpu-frequency",
        "powermetrics.cpu-load",
    ] {
        assert_eq!(one(&f, id).status, Status::Skip, "{id}");
    }
}

#[test]
fn low_power_mode_is_not_ready() {
    let f = run(&fixture("hw-applesilicon-low-power-mode.json"));
    let lpm = one(&f, "powermetrics.low-power-mode");
    assert_eq!(lpm.status, Status::Warn);
    assert_eq!(lpm.title.as_str(), "Low Power Mode is on");
    let cmds = lpm.remediation.clone().into_option().expect("fix").commands;
    assert_eq!(cmds[0].as_str(), "sudo pmset -a lowpowermode 0");
    let v = one(&f, "powermetrics.benchmark-ready");
    assert_eq!(v.status, Status::Warn);
    assert_eq!(
        v.title.as_str(),
        "Not ready to benchmark: Low Power Mode is on"
    );
    assert_eq!(ev(v, "low power mode"), "not ready: Low Power Mode is on");
}

/// A capture taken as root replays its root checks only when they are allowed, as
/// `gohost run --replay FILE --allow-root-probes` does.
fn root_capture() -> Harness {
    fixture("hw-applesilicon-root-powermetrics.json").with_options(RunOptions {
        allow_root: true,
        ..RunOptions::default()
    })
}

#[test]
fn a_root_capture_is_not_sampled_unless_root_checks_are_allowed() {
    let f = run(&fixture("hw-applesilicon-root-powermetrics.json"));
    let p = one(&f, "powermetrics.power-sample");
    assert_eq!(p.status, Status::Skip);
    assert_eq!(ev(p, "needs"), "root");
}

#[test]
fn root_sample_from_the_real_m1_plist() {
    let f = run(&root_capture());
    assert_eq!(f.len(), 10);
    let p = one(&f, "powermetrics.power-sample");
    // The real M1 sample's E-Cluster idle_ratio is 0.772993: 22.7% busy, above the 20% at which
    // gohost calls a cluster busy (issue 13 section 3; FACTS.md: busy = 1 - idle_ratio).
    assert_eq!(p.status, Status::Warn, "{p:#?}");
    assert_eq!(
        p.title.as_str(),
        "Busy: E-Cluster 22.7% busy; Thermal pressure Nominal; CPU 44 mW, GPU 15 mW, ANE 0 mW"
    );
    assert_eq!(ev(p, "hw_model"), "MacBookPro17,1");
    assert_eq!(ev(p, "cpu_power mW"), "44.0773");
    assert_eq!(ev(p, "E-Cluster"), "1023 MHz, 22.7% active");
    assert_eq!(ev(p, "P-Cluster"), "618 MHz, 1.6% active");
    assert_eq!(ev(p, "GPU"), "715 MHz, 1.7% active");
    let v = one(&f, "powermetrics.benchmark-ready");
    // Before issue 13 this was a pass: only thermal pressure was weighed.
    assert_eq!(v.status, Status::Warn, "{v:#?}");
    assert_eq!(
        v.title.as_str(),
        "Not ready to benchmark: E-Cluster 22.7% busy"
    );
    assert_eq!(
        ev(v, "powermetrics sample"),
        "not ready: E-Cluster 22.7% busy"
    );
    // The sample carries thermal_pressure, so the thermal input is answered.
    assert!(ev(v, "thermal").starts_with("ok: "), "{v:#?}");
}

#[test]
fn intel_mac_pmset_limits() {
    let f = run(&fixture("hw-intel-macos12.json"));
    let t = one(&f, "powermetrics.thermal");
    assert_eq!(t.status, Status::Pass);
    assert_eq!(
        t.title.as_str(),
        "No thermal throttling (CPU_Speed_Limit 100%)"
    );
    assert_eq!(ev(t, "CPU_Available_CPUs"), "12");
    // Probes no capture has are skipped with the reason, never passed.
    let m = one(&f, "powermetrics.memory-pressure");
    assert_eq!(m.status, Status::Skip);
    let v = one(&f, "powermetrics.benchmark-ready");
    assert_eq!(v.status, Status::Info);
    assert_eq!(
        v.title.as_str(),
        "No reason found not to benchmark, but not verified: memory pressure; the power source; Low Power Mode"
    );
}

#[test]
fn allow_root_without_passwordless_sudo_skips_with_the_command() {
    // The at-rest fixture is a non-root user (MADE UP `id -u` 501); sudo -n is answered by a
    // closure with sudo's real refusal text.
    let ctx = fixture("hw-applesilicon-at-rest.json")
        .with_options(RunOptions {
            allow_root: true,
            replay: true,
            ..RunOptions::default()
        })
        .with_exec(|req| {
            let argv: Vec<&str> = req.argv.iter().map(|s| s.as_str()).collect();
            argv.starts_with(&["/usr/bin/sudo", "-n", "/usr/bin/powermetrics"])
                .then(|| {
                    assert!(
                        req.timeout_ms > 0 && req.timeout_ms <= 10_000,
                        "sudo must have a timeout"
                    );
                    // Issue 20 item 10: no PATH lookup and none of the user's environment.
                    assert!(req.clear_env, "sudo gets a cleared environment");
                    let env: Vec<(String, Option<String>)> = req
                        .env
                        .iter()
                        .map(|e| {
                            (
                                e.name.to_string(),
                                e.value.clone().into_option().map(|v| v.to_string()),
                            )
                        })
                        .collect();
                    assert_eq!(
                        env,
                        [(
                            "PATH".to_owned(),
                            Some("/usr/bin:/bin:/usr/sbin:/sbin".to_owned())
                        )]
                    );
                    Ok(gohost_plugin_api::ExecOutput {
                        exit: gohost_plugin_api::ExitInfo {
                            code: Some(1).into(),
                            signal: None.into(),
                            timed_out: false,
                        },
                        stdout: Vec::new().into(),
                        stderr: b"sudo: a password is required\n".to_vec().into(),
                        truncated: false,
                    })
                })
        });
    let f = run_plugin("powermetrics", &ctx, &["powermetrics.power-sample"]);
    let p = one(&f, "powermetrics.power-sample");
    assert_eq!(p.status, Status::Skip);
    assert_eq!(
        p.title.as_str(),
        "sudo needs a password: powermetrics not sampled (gohost never prompts)"
    );
    assert_eq!(
        ev(p, "command"),
        "/usr/bin/sudo -n /usr/bin/powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,ane_power,thermal -f plist"
    );
}

#[test]
fn all_three_real_plists_parse() {
    let dir = format!(
        "{}/../../../shared/fixtures/macos",
        env!("CARGO_MANIFEST_DIR")
    );
    let m4 = std::fs::read(format!(
        "{dir}/m4max-mac16-5-powermetrics-plist-tasks-disk.xml"
    ))
    .expect("capture");
    let s = gohost_plugin_powermetrics::parse::powermetrics_plist(&m4).expect("parses");
    assert_eq!(s.hw_model.as_deref(), Some("Mac16,5"));
    assert_eq!(s.thermal_pressure.as_deref(), Some("Nominal"));
    let names: Vec<&str> = s.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["E-Cluster", "P0-Cluster", "P1-Cluster"]);
    assert_eq!(s.cpu_power_mw, Some(2978.45));
    let m1b = std::fs::read(format!("{dir}/m1-macbookpro17-1-powermetrics-plist-2.xml"))
        .expect("capture");
    let s = gohost_plugin_powermetrics::parse::powermetrics_plist(&m1b).expect("parses");
    assert_eq!(s.combined_power_mw, Some(121.675));
    // powermetrics separates samples with NUL: only the first is read.
    let mut two = m1b.clone();
    two.push(0);
    two.extend_from_slice(&m4);
    let s = gohost_plugin_powermetrics::parse::powermetrics_plist(&two).expect("parses");
    assert_eq!(s.hw_model.as_deref(), Some("MacBookPro17,1"));
}

#[test]
fn a_powermetrics_without_the_ane_power_sampler_falls_back() {
    // MADE UP: the rejection text (no capture of a powermetrics refusing a sampler exists).
    // The fallback's answer is the real M1 plist, captured with exactly that sampler list.
    let plist = std::fs::read(format!(
        "{}/../../../shared/fixtures/macos/m1-macbookpro17-1-powermetrics-plist.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("capture");
    let ctx = root_capture().with_exec(move |req| {
        let argv: Vec<&str> = req.argv.iter().map(|s| s.as_str()).collect();
        let answer = |code: i32, stdout: Vec<u8>, stderr: &[u8]| {
            Ok(gohost_plugin_api::ExecOutput {
                exit: gohost_plugin_api::ExitInfo {
                    code: Some(code).into(),
                    signal: None.into(),
                    timed_out: false,
                },
                stdout: stdout.into(),
                stderr: stderr.to_vec().into(),
                truncated: false,
            })
        };
        match argv.get(6).copied() {
            Some("cpu_power,gpu_power,ane_power,thermal") => Some(answer(
                1,
                Vec::new(),
                b"powermetrics: unrecognized sampler ane_power\n",
            )),
            Some("cpu_power,gpu_power,thermal") => Some(answer(0, plist.clone(), b"")),
            _ => None,
        }
    });
    let f = run_plugin("powermetrics", &ctx, &["powermetrics.power-sample"]);
    let p = one(&f, "powermetrics.power-sample");
    assert_eq!(p.status, Status::Warn, "{p:#?}");
    assert_eq!(
        p.title.as_str(),
        "Busy: E-Cluster 22.7% busy; Thermal pressure Nominal; CPU 44 mW, GPU 15 mW, ANE 0 mW"
    );
    assert_eq!(ev(p, "thermal_pressure"), "Nominal");
    assert_eq!(
        p.evidence
            .iter()
            .find(|e| e.key == "thermal_pressure")
            .map(|e| e.source.as_str()),
        Some("/usr/bin/powermetrics -n 1 -i 200 --samplers cpu_power,gpu_power,thermal -f plist")
    );
}

/// Issue 13 section 3: the real M4 Max sample is thermally Nominal but its clusters are busy
/// (P1-Cluster idle_ratio 0.00237 = 99.8% busy): never "ready". Built by tests/replay/gen.py
/// from shared/fixtures/macos/m4max-mac16-5-powermetrics-plist-tasks-disk.xml.
#[test]
fn a_busy_m4_max_is_not_ready() {
    let ctx = replay_file(format!(
        "{}/tests/replay/pm-m4max-busy-root.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .with_options(RunOptions {
        allow_root: true,
        replay: true,
        ..RunOptions::default()
    });
    let f = run(&ctx);
    assert_eq!(f.len(), 10, "{f:#?}");
    let p = one(&f, "powermetrics.power-sample");
    assert_eq!(p.status, Status::Warn, "{p:#?}");
    assert!(
        p.title.starts_with(
            "Busy: E-Cluster 53.0% busy, P0-Cluster 72.8% busy, P1-Cluster 99.8% busy; Thermal pressure Nominal"
        ),
        "{}",
        p.title
    );
    assert_eq!(ev(p, "P1-Cluster"), "1260 MHz, 99.8% active");
    assert_eq!(ev(p, "GPU"), "338 MHz, 12.3% active");
    let v = one(&f, "powermetrics.benchmark-ready");
    assert_eq!(v.status, Status::Warn, "{v:#?}");
    assert_eq!(
        v.title.as_str(),
        "Not ready to benchmark: E-Cluster 53.0% busy, P0-Cluster 72.8% busy, P1-Cluster 99.8% busy"
    );
    // Nothing else was recorded: those checks could not tell, and none of them passes.
    for id in [
        "powermetrics.thermal",
        "powermetrics.memory-pressure",
        "powermetrics.power-source",
        "powermetrics.low-power-mode",
    ] {
        assert_eq!(one(&f, id).status, Status::Skip, "{id}");
    }
    assert!(f.iter().all(|x| x.status != Status::Pass), "{f:#?}");
}

#[test]
fn own_fixtures_match_their_generator() {
    let out = std::process::Command::new("python3")
        .arg(format!(
            "{}/tests/replay/gen.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

//! `powermetrics.cgroup-throttling`: has this process's CPU cgroup been throttled by its quota?

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs};

use crate::probe::{read, shell_quote, Read};
use crate::{is_macos, Obs};

#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    Mac,
    Linux {
        cgroup: Read,
        mountinfo: Read,
        /// `cpu.stat` of the directory found from the two above (None: no directory found).
        stat: Option<Read>,
    },
}

/// This process's CPU cgroup directory (v1 `cpu` hierarchy first, else v2), as Go finds it,
/// from the texts of /proc/self/cgroup and /proc/self/mountinfo.
pub fn cgroup_dir(cgroups: &str, mountinfo: &str) -> Option<(u8, String)> {
    let mut v1 = None;
    let mut v2 = None;
    for line in cgroups.lines() {
        let mut p = line.splitn(3, ':');
        let (Some(id), Some(ctrl), Some(path)) = (p.next(), p.next(), p.next()) else {
            continue;
        };
        if id == "0" && ctrl.is_empty() {
            v2 = Some(path.to_owned());
        } else if ctrl.split(',').any(|c| c == "cpu") {
            v1 = Some(path.to_owned());
        }
    }
    let (version, path) = v1.map(|p| (1u8, p)).or(v2.map(|p| (2u8, p)))?;
    for line in mountinfo.lines() {
        let (left, right) = line.split_once(" - ")?;
        let f: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        let ok = match version {
            1 => {
                r.first() == Some(&"cgroup")
                    && r.get(2).is_some_and(|o| o.split(',').any(|c| c == "cpu"))
            }
            _ => r.first() == Some(&"cgroup2"),
        };
        if !ok {
            continue;
        }
        let (root, mount) = (f.get(3)?, f.get(4)?);
        let rel = if *root == "/" {
            path.as_str()
        } else {
            path.strip_prefix(root).unwrap_or(&path)
        };
        let dir = format!(
            "{}/{}",
            mount.trim_end_matches('/'),
            rel.trim_start_matches('/')
        );
        return Some((version, dir.trim_end_matches('/').to_owned()));
    }
    None
}

pub fn gather(ctx: &Ctx<'_>) -> Observations {
    if is_macos(ctx) {
        return Observations::Mac;
    }
    let cgroup = read(ctx, "/proc/self/cgroup");
    let mountinfo = match cgroup {
        Read::Text(_) => read(ctx, "/proc/self/mountinfo"),
        _ => Read::Failed("not asked".to_owned()),
    };
    let stat = match (cgroup.text(), mountinfo.text()) {
        (Some(c), Some(m)) => {
            cgroup_dir(c, m).map(|(_, dir)| read(ctx, &format!("{dir}/cpu.stat")))
        }
        _ => None,
    };
    Observations::Linux {
        cgroup,
        mountinfo,
        stat,
    }
}

pub fn assess(obs: &Observations) -> Obs {
    match obs {
        Observations::Mac => Obs::new(
            Finding::skip("macOS has no cgroups")
                .detail("CPU bandwidth throttling by cgroup is a Linux mechanism."),
        ),
        Observations::Linux {
            cgroup,
            mountinfo,
            stat,
        } => linux(cgroup, mountinfo, stat.as_ref()),
    }
}

pub fn judge(obs: &Observations) -> Vec<Finding> {
    vec![assess(obs).finding]
}

fn linux(cgroup: &Read, mountinfo: &Read, stat: Option<&Read>) -> Obs {
    let found = match (cgroup, mountinfo) {
        (Read::Text(c), Read::Text(m)) => cgroup_dir(c, m),
        (Read::Failed(why), _) | (_, Read::Failed(why)) => {
            return Obs::new(
                Finding::skip("Could not find this process's CPU cgroup").detail(why.clone()),
            )
            .unknown("cgroup CPU throttling")
        }
        _ => None,
    };
    let Some((version, dir)) = found else {
        return Obs::new(
            Finding::info("No CPU cgroup found for this process")
                .detail("/proc/self/cgroup lists no cpu controller hierarchy with a mount."),
        );
    };
    let path = format!("{dir}/cpu.stat");
    let Some(stat) = stat.and_then(Read::text) else {
        let why = match stat {
            Some(Read::Failed(why)) => why.clone(),
            _ => format!("{path} does not exist"),
        };
        return Obs::new(
            Finding::skip(format!(
                "Could not read cpu.stat of this process's cgroup ({dir})"
            ))
            .detail(why)
            .evidence("cgroup", format!("v{version} {dir}"), "/proc/self/cgroup"),
        )
        .unknown("cgroup CPU throttling (cpu.stat not read)");
    };
    let get = |k: &str| {
        stat.lines()
            .find_map(|l| l.strip_prefix(k)?.trim().parse::<u64>().ok())
    };
    let (Some(periods), Some(throttled)) = (get("nr_periods "), get("nr_throttled ")) else {
        // A cpu.stat without the bandwidth counters (no CPU controller enabled for this v2
        // cgroup) says nothing about throttling: not a pass.
        return Obs::new(
            Finding::info(format!("No CPU bandwidth counters in {path}"))
                .detail(
                    "cpu.stat has no nr_periods/nr_throttled here, so throttling cannot be read.",
                )
                .evidence(
                    "cgroup",
                    format!("v{version} {dir}"),
                    "/proc/self/cgroup, /proc/self/mountinfo",
                ),
        )
        .unknown("cgroup CPU throttling (no nr_throttled)");
    };
    let time = get("throttled_usec ")
        .map(|u| format!("{u} µs"))
        .or_else(|| get("throttled_time ").map(|n| format!("{n} ns")))
        .unwrap_or_else(|| "(not in cpu.stat)".into());
    let f = if throttled > 0 {
        // cpu.stat's counters are cumulative since the cgroup was created (Linux commit
        // e8da1b18b320 "sched: Add exports tracking cfs bandwidth control statistics":
        // nr_periods, nr_throttled, cumulative throttled_time): a quota that was hit, not
        // necessarily throttling at this moment.
        Finding::warn(format!("This cgroup was CPU-throttled {throttled} times in {periods} periods ({time}) since it was created"))
            .detail("The cgroup's CPU quota has stalled its threads: a benchmark that uses more CPU than the quota sees the same latency spikes. Keep GOMAXPROCS at or below the quota (see scheduler.gomaxprocs); the counters only grow, so compare them before and after a run.")
            .remediation("Raise the quota or lower the parallelism (GOMAXPROCS at or below the quota); these show the cgroup and its counters:", ["cat /proc/self/cgroup".to_owned(), format!("cat {}", shell_quote(&path))])
    } else {
        Finding::pass(format!(
            "No CPU throttling in this cgroup ({periods} quota periods)"
        ))
    };
    let obs = Obs::new(
        f.evidence(
            "cgroup",
            format!("v{version} {dir}"),
            "/proc/self/cgroup, /proc/self/mountinfo",
        )
        .evidence("nr_periods", periods.to_string(), &path)
        .evidence("nr_throttled", throttled.to_string(), &path)
        .evidence("throttled time", time, &path),
    );
    if throttled > 0 {
        obs.blocker(format!(
            "cgroup throttled {throttled} times since it was created (its CPU quota is hit)"
        ))
    } else {
        obs
    }
}

inventory::submit! { Check { id: "powermetrics.cgroup-throttling", title: "cgroup CPU throttling", tags: &["hardware", "benchmark"], needs: Needs::NONE, run: |ctx| judge(&gather(ctx)),
explain: "Linux: `cpu.stat` of this process's CPU cgroup (nr_throttled, throttled time; cumulative since the cgroup was created). A throttled cgroup stalls all its threads until the next period, which shows up as latency spikes in benchmarks. macOS has no cgroups." } }

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of (input, expected) rows
mod tests {
    use super::*;
    use gohost_plugin_api::Status;

    // Fake cgroup trees in the kernel's formats (cgroups(7), proc_pid_mountinfo(5)); the v1
    // layout is this project's Linux machine's (cpu at /sys/fs/cgroup/cpu).
    const V1_CGROUP: &str = "4:memory:/\n1:cpu:/bench\n0::/\n";
    const V1_MOUNTS: &str = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    const V2_CGROUP: &str = "0::/user.slice/bench\n";
    const V2_MOUNTS: &str = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";

    #[test]
    fn finds_the_directory_go_would() {
        assert_eq!(
            cgroup_dir(V1_CGROUP, V1_MOUNTS),
            Some((1, "/sys/fs/cgroup/cpu/bench".into()))
        );
        assert_eq!(
            cgroup_dir(V2_CGROUP, V2_MOUNTS),
            Some((2, "/sys/fs/cgroup/user.slice/bench".into()))
        );
        assert_eq!(
            cgroup_dir(V2_CGROUP, V1_MOUNTS.lines().next().unwrap_or("")),
            None
        );
    }

    /// A cgroup name is chosen by whoever made the cgroup: the path in the command is quoted.
    #[test]
    fn a_hostile_cgroup_name_is_quoted() {
        let o = assess(&Observations::Linux {
            cgroup: Read::Text("1:cpu:/a b;touch x\n".into()),
            mountinfo: Read::Text(V1_MOUNTS.into()),
            stat: Some(Read::Text("nr_periods 5\nnr_throttled 2\n".into())),
        });
        let cmds = o.finding.remediation.into_option().expect("a fix").commands;
        assert_eq!(cmds.len(), 2);
        assert_eq!(
            cmds[1].as_str(),
            "cat '/sys/fs/cgroup/cpu/a b;touch x/cpu.stat'"
        );
    }

    #[test]
    fn linux_table() {
        let t = |s: &str| Read::Text(s.to_owned());
        let throttled = "nr_periods 120\nnr_throttled 7\nthrottled_time 5000000\n";
        let v2 = "usage_usec 10\nnr_periods 10\nnr_throttled 0\nthrottled_usec 0\n";
        let rows: Vec<(Read, Read, Option<Read>, Status, bool, bool)> = vec![
            (
                t(V1_CGROUP),
                t(V1_MOUNTS),
                Some(t(throttled)),
                Status::Warn,
                true,
                false,
            ),
            (
                t(V2_CGROUP),
                t(V2_MOUNTS),
                Some(t(v2)),
                Status::Pass,
                false,
                false,
            ),
            // v2 without the cpu controller: cpu.stat has no bandwidth counters.
            (
                t(V2_CGROUP),
                t(V2_MOUNTS),
                Some(t("usage_usec 10\n")),
                Status::Info,
                false,
                true,
            ),
            (
                t(V2_CGROUP),
                t(V2_MOUNTS),
                Some(Read::Failed("not recorded".into())),
                Status::Skip,
                false,
                true,
            ),
            (
                Read::Failed("not recorded".into()),
                Read::Failed("not asked".into()),
                None,
                Status::Skip,
                false,
                true,
            ),
            (
                t("1:memory:/\n"),
                t(V1_MOUNTS),
                None,
                Status::Info,
                false,
                false,
            ),
        ];
        assert_eq!(rows.len(), 6);
        for (i, (cgroup, mountinfo, stat, status, blocker, unknown)) in rows.into_iter().enumerate()
        {
            let o = assess(&Observations::Linux {
                cgroup,
                mountinfo,
                stat,
            });
            assert_eq!(o.finding.status, status, "row {i}: {o:#?}");
            assert_eq!(o.blocker.is_some(), blocker, "row {i}");
            assert_eq!(o.unknown.is_some(), unknown, "row {i}");
        }
    }
}

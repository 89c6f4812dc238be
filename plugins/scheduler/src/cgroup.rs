//! Reading this process's CPU affinity and cgroup CPU limit through the host, the way Go's
//! runtime finds them (Linux).

use gohost_plugin_api::Ctx;

use crate::cpulist::parse_cpu_list;
use crate::rules::CgroupLimit;

/// Find this process's CPU cgroup directory the way Go does: a v1 hierarchy with the `cpu`
/// controller first, else the v2 hierarchy.
fn cgroup_dir(ctx: &Ctx<'_>) -> Result<(u8, String), String> {
    let cgroups = ctx
        .read_to_string("/proc/self/cgroup")
        .map_err(|e| format!("/proc/self/cgroup: {e}"))?;
    let mut v2_path = None;
    let mut v1_path = None;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            v2_path = Some(path.to_owned());
        } else if controllers.split(',').any(|c| c == "cpu") {
            v1_path = Some(path.to_owned());
        }
    }
    let (version, path) = match (v1_path, v2_path) {
        (Some(p), _) => (1u8, p),
        (None, Some(p)) => (2u8, p),
        (None, None) => return Err("no CPU cgroup in /proc/self/cgroup".to_owned()),
    };
    let mountinfo = ctx
        .read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = left.split(' ').collect();
        let rfields: Vec<&str> = right.split(' ').collect();
        let (Some(root), Some(mount)) = (fields.get(3), fields.get(4)) else {
            continue;
        };
        let fstype = rfields.first().copied().unwrap_or("");
        let matches = match version {
            1 => {
                fstype == "cgroup"
                    && rfields
                        .get(2)
                        .is_some_and(|o| o.split(',').any(|c| c == "cpu"))
            }
            _ => fstype == "cgroup2",
        };
        if !matches {
            continue;
        }
        let rel = if *root == "/" {
            path.as_str()
        } else {
            path.strip_prefix(root).unwrap_or(path.as_str())
        };
        let dir = format!(
            "{}/{}",
            mount.trim_end_matches('/'),
            rel.trim_start_matches('/')
        );
        return Ok((version, dir.trim_end_matches('/').to_owned()));
    }
    Err(format!(
        "no cgroup v{version} mount with the cpu controller in /proc/self/mountinfo"
    ))
}

/// Read this process's cgroup CPU limit (Linux). Err: why it could not be read.
pub fn read_cgroup_limit(ctx: &Ctx<'_>) -> Result<CgroupLimit, String> {
    let (version, dir) = cgroup_dir(ctx)?;
    if version == 1 {
        let qpath = format!("{dir}/cpu.cfs_quota_us");
        let ppath = format!("{dir}/cpu.cfs_period_us");
        let quota = ctx
            .read_to_string(&qpath)
            .map_err(|e| format!("{qpath}: {e}"))?;
        let quota_n: i64 = quota
            .trim()
            .parse()
            .map_err(|_| format!("{qpath} is not a number: `{}`", quota.trim()))?;
        let raw_period = ctx
            .read_to_string(&ppath)
            .map_err(|e| format!("{ppath}: {e}"))?;
        let period: u64 = raw_period
            .trim()
            .parse()
            .map_err(|_| format!("{ppath} is not a number: `{}`", raw_period.trim()))?;
        let cpus = (quota_n >= 0 && period > 0).then(|| quota_n as f64 / period as f64);
        Ok(CgroupLimit {
            version,
            dir,
            cpus,
            raw: format!("quota {} period {}", quota.trim(), raw_period.trim()),
            source: format!("{qpath}, {ppath}"),
        })
    } else {
        let path = format!("{dir}/cpu.max");
        let text = ctx
            .read_to_string(&path)
            .map_err(|e| format!("{path}: {e}"))?;
        let mut parts = text.split_whitespace();
        let quota = parts.next().unwrap_or("");
        let period: u64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("{path} is not `<quota> <period>`: `{}`", text.trim()))?;
        let cpus = if quota == "max" {
            None
        } else {
            let q: u64 = quota
                .parse()
                .map_err(|_| format!("{path} quota is not a number: `{quota}`"))?;
            (period > 0).then(|| q as f64 / period as f64)
        };
        Ok(CgroupLimit {
            version,
            dir,
            cpus,
            raw: text.trim().to_owned(),
            source: path,
        })
    }
}

/// The CPU set this process may run on (Linux), from /proc/self/status.
pub fn read_affinity(ctx: &Ctx<'_>) -> Result<Vec<u32>, String> {
    let status = ctx
        .read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .ok_or("/proc/self/status has no Cpus_allowed_list")?;
    parse_cpu_list(list)
        .ok_or_else(|| format!("Cpus_allowed_list is not a CPU list: `{}`", list.trim()))
}

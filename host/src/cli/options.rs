//! Options of `run` and the commands that share them: flag > `GOHOST_*` env > config file
//! precedence into a [`RunConfig`], sizes and durations as people type them.

use super::*;

pub(super) fn seconds(value: f64, what: &str) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value < 1e7) {
        anyhow::bail!("{what} must be a positive number of seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// `1048576`, `64MiB`, `500KB`, `2G`: decimal (`KB`, `MB`, `GB`) and binary (`KiB`, `MiB`,
/// `GiB`, and the bare `K`, `M`, `G`) units, case-insensitive.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 67108864, 64MiB, 500KB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{text}` (use KiB, MiB, GiB, KB, MB, GB)"
            ))
        }
    };
    number
        .checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            format!("`{text}` is not a usable size (must be above 0 and fit in 64 bits)")
        })
}

pub(super) fn load_config(args: &DiscoveryArgs, quiet: bool) -> anyhow::Result<FileConfig> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let loaded = config::load(args.config.as_deref(), &cwd)?;
    for path in &loaded.used {
        tracing::debug!(path = %path.display(), "config file");
    }
    for warning in &loaded.warnings {
        tracing::debug!("{warning}");
        if !quiet {
            // Paths in the warning come from the file system: shown inert.
            eprintln!("gohost: warning: {}", report::terminal_safe(warning));
        }
    }
    Ok(loaded.config)
}

/// Build the run configuration from flags, env and config files.
pub(super) fn run_config(
    args: &RunArgs,
    file: &FileConfig,
    quiet: bool,
) -> anyhow::Result<RunConfig> {
    let d = &args.discovery;
    let exe = std::env::current_exe().context("cannot find the gohost executable")?;
    let mut plugin_dirs = d.plugin_dirs.clone();
    plugin_dirs.extend(file.plugin_dirs.iter().cloned());
    let jobs = d.jobs.or(file.jobs).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get() * 2)
            .unwrap_or(4)
            .max(4)
    });
    if jobs == 0 {
        anyhow::bail!("--jobs must be at least 1");
    }
    let mut skip = args.skip.clone();
    skip.extend(file.skip.iter().cloned());
    let record = args.record.is_some();
    let max_snapshot_bytes = match (&args.max_snapshot_size, &file.max_snapshot_size) {
        (Some(flag), _) => {
            parse_size(flag).map_err(|e| anyhow::anyhow!("--max-snapshot-size: {e}"))?
        }
        (None, Some(config::SizeSetting::Bytes(n))) => *n,
        (None, Some(config::SizeSetting::Text(t))) => {
            parse_size(t).map_err(|e| anyhow::anyhow!("max_snapshot_size in gohost.toml: {e}"))?
        }
        (None, None) => crate::invoke::DEFAULT_MAX_SNAPSHOT_BYTES,
    };
    Ok(RunConfig {
        search: SearchConfig {
            plugin_files: d.plugin_files.clone(),
            plugin_dirs,
            env_path: std::env::var_os("GOHOST_PLUGIN_PATH"),
            exe: Some(exe.clone()),
            user_data_dir: dirs::data_dir().map(|p| p.join("gohost").join("plugins")),
            default_dirs: !d.no_default_plugin_dirs,
            allow_untrusted: d.allow_untrusted || file.allow_untrusted.unwrap_or(false),
        },
        selection: Selection {
            plugins: args.plugins.clone(),
            checks: args.checks.clone(),
            skip,
        },
        isolation: d.isolation.or(file.isolation).unwrap_or(Isolation::Worker),
        plugin_timeout: seconds(d.timeout.or(file.timeout).unwrap_or(120.0), "--timeout")?,
        run_timeout: seconds(
            d.run_timeout.or(file.run_timeout).unwrap_or(600.0),
            "--run-timeout",
        )?,
        exec_timeout: seconds(
            args.exec_timeout.or(file.exec_timeout).unwrap_or(30.0),
            "--exec-timeout",
        )?,
        jobs,
        options: RunOptions {
            online: args.online || (!args.explicit_capabilities && file.online.unwrap_or(false)),
            // Starting gohost as root is the user's choice of root. A replay never looks at
            // this machine, so only the flag counts there.
            allow_root: args.allow_root_probes
                || (!args.explicit_capabilities
                    && args.replay.is_none()
                    && crate::probes::live::running_as_root()),
            deep: args.deep,
            // Recording and replaying must see what is measured now, not an old cache entry.
            no_cache: args.no_cache
                || file.no_cache.unwrap_or(false)
                || record
                || args.replay.is_some(),
            replay: args.replay.is_some(),
        },
        strict: args.strict || file.strict.unwrap_or(false),
        record,
        replay: args.replay.clone(),
        max_snapshot_bytes,
        // A replay answers from the snapshot alone: the real result cache is neither read nor
        // written (a replayed `pass` must not become a cached one for live runs).
        cache_dir: if args.replay.is_some() {
            None
        } else {
            crate::cache::Cache::default_dir()
        },
        progress: !quiet,
        exe,
        plugin_settings: config::plugin_settings(file),
    })
}

pub(super) fn discovery_only(d: &DiscoveryArgs) -> RunArgs {
    RunArgs {
        plugins: Vec::new(),
        checks: Vec::new(),
        skip: Vec::new(),
        format: Format::Human,
        strict: false,
        online: false,
        deep: false,
        allow_root_probes: false,
        explicit_capabilities: false,
        no_cache: false,
        record: None,
        replay: None,
        exec_timeout: None,
        redact_hosts: false,
        max_snapshot_size: None,
        output: None,
        discovery: d.clone(),
    }
}

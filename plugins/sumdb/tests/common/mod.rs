//! TEST-ONLY fixtures: a real checksum database server (tests/sumdb-server, x/mod, fresh
//! key, 127.0.0.1), a file:// GOPROXY of real module zips (shared/tools/mkproxy), and the
//! real `go` command downloading through them into a fresh GOPATH/GOMODCACHE.
#![allow(dead_code, clippy::unwrap_used)]
// Tests set up real files, processes and servers themselves; plugin code never does (all
// its I/O goes through the host context).
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gohost::harness::LiveHarness;
use gohost_plugin_api::{Finding, RunOptions, Status};

/// Built once per test binary: tools and proxy.
pub struct Tools {
    pub dir: PathBuf,
    pub modules: Vec<(String, String)>,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Tools> = OnceLock::new();
    TOOLS.get_or_init(|| {
        // One tools dir per test binary, wiped on each run, so runs do not pile up.
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "sumdb".to_owned());
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sumdb-tools-{binary}"));
        let _ = std::fs::remove_dir_all(&dir);
        // Module sources: Debian's golang.org/x/mod (always installed with the server's
        // build dependency) and two small modules written here, one with upper-case letters
        // in its path to exercise the cache's `!` escaping. mkproxy zips them with x/mod/zip.
        let src = dir.join("src");
        let _ = std::fs::remove_dir_all(&src);
        let xmod = src.join("golang.org/x/mod");
        std::fs::create_dir_all(&xmod).unwrap();
        let copied = Command::new("cp")
            .arg("-r")
            .arg("/usr/share/gocode/src/golang.org/x/mod/.")
            .arg(&xmod)
            .status()
            .unwrap();
        assert!(
            copied.success(),
            "copy Debian's golang.org/x/mod sources (golang-golang-x-mod-dev)"
        );
        for (path, file, body) in [
            (
                "example.com/Upper/tiny",
                "tiny.go",
                "package tiny\n\n// Answer is a constant.\nconst Answer = 42\n",
            ),
            (
                "example.com/small",
                "small.go",
                "package small\n\nfunc Double(x int) int { return 2 * x }\n",
            ),
        ] {
            let d = src.join(path);
            std::fs::create_dir_all(d.join("sub")).unwrap();
            std::fs::write(d.join("go.mod"), format!("module {path}\n\ngo 1.17\n")).unwrap();
            std::fs::write(d.join(file), body).unwrap();
            std::fs::write(
                d.join("sub/doc.go"),
                "// Package sub is nested.\npackage sub\n",
            )
            .unwrap();
        }
        let status = Command::new("bash")
            .arg(repo().join("tests/sumdb/build-tools.sh"))
            .arg(&dir)
            .arg("0")
            .arg(&src)
            .status()
            .expect("run tests/sumdb/build-tools.sh (needs go and golang-golang-x-mod-dev)");
        assert!(status.success(), "tests/sumdb/build-tools.sh failed");
        let modules = std::fs::read_to_string(dir.join("requires.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(p, v)| (p.to_owned(), v.to_owned())))
            .collect::<Vec<_>>();
        assert!(
            !modules.is_empty(),
            "mkproxy made no modules: install a golang-*-dev package"
        );
        Tools { dir, modules }
    })
}

pub struct Server {
    child: Child,
    pub addr: String,
    pub vkey: String,
}

impl Server {
    pub fn start(dir: &Path) -> Server {
        let t = tools();
        let info = dir.join("server.json");
        let child = Command::new(t.dir.join("bin/sumdb-server"))
            .arg("-proxy")
            .arg(t.dir.join("proxy"))
            .arg("-info")
            .arg(&info)
            .stderr(std::fs::File::create(dir.join("server.log")).unwrap())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !info.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "sumdb-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
        Server {
            child,
            addr: v["addr"].as_str().unwrap().to_owned(),
            vkey: v["vkey"].as_str().unwrap().to_owned(),
        }
    }

    pub fn gosumdb(&self) -> String {
        format!("{} http://{}", self.vkey, self.addr)
    }

    /// Switch the server's behaviour (normal, forged, fork, hang, malformed).
    pub fn mode(&self, mode: &str) {
        use std::io::{Read as _, Write as _};
        let mut c = std::net::TcpStream::connect(&self.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            c,
            "GET /_control/mode?m={mode} HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
            "mode switch failed: {answer}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A world: a server, an app module whose go.sum and cache the real go command wrote.
pub struct World {
    pub dir: PathBuf,
    pub server: Server,
    pub env: HashMap<String, String>,
    pub app: PathBuf,
    pub modcache: PathBuf,
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl World {
    pub fn new() -> World {
        let t = tools();
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("gohost-sumdb-world-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("app")).unwrap();
        let server = Server::start(&dir);
        let app = dir.join("app");
        let modcache = dir.join("modcache");
        let mut gomod = String::from("module example.com/app\n\ngo 1.17\n\nrequire (\n");
        for (p, v) in &t.modules {
            gomod.push_str(&format!("\t{p} {v}\n"));
        }
        gomod.push_str(")\n");
        std::fs::write(app.join("go.mod"), gomod).unwrap();
        let mut env: HashMap<String, String> = HashMap::new();
        for k in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(k) {
                env.insert(k.to_owned(), v);
            }
        }
        let s = |p: &Path| p.to_string_lossy().into_owned();
        env.insert(
            "GOPROXY".into(),
            format!("file://{}", s(&t.dir.join("proxy"))),
        );
        env.insert("GOSUMDB".into(), server.gosumdb());
        env.insert("GOMODCACHE".into(), s(&modcache));
        env.insert("GOPATH".into(), s(&dir.join("gopath")));
        env.insert("GOCACHE".into(), s(&dir.join("gocache")));
        env.insert("GOTOOLCHAIN".into(), "local".into());
        env.insert("GOENV".into(), "off".into());
        env.insert("GOHOST_SUMDB_TIMEOUT_MS".into(), "1500".into());
        let mut args = vec!["mod".to_owned(), "download".to_owned()];
        args.extend(t.modules.iter().map(|(p, v)| format!("{p}@{v}")));
        let out = Command::new("go")
            .args(&args)
            .env_clear()
            .envs(&env)
            .env("GOFLAGS", "-mod=mod")
            .current_dir(&app)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go mod download failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(app.join("go.sum").exists(), "go wrote no go.sum");
        World {
            dir,
            server,
            env,
            app,
            modcache,
        }
    }

    /// The real host's live context (gohost::harness) seeing only this world's environment,
    /// with `app` as the working directory, as a user's shell in the app would.
    pub fn ctx(&self, online: bool) -> LiveHarness {
        LiveHarness::new()
            .with_environment(self.env.clone(), &self.app)
            .with_options(RunOptions {
                online,
                ..RunOptions::default()
            })
    }

    pub fn run(&self, online: bool, checks: &[&str]) -> Vec<Finding> {
        self.ctx(online)
            .run("sumdb", checks)
            .unwrap_or_else(|e| panic!("sumdb: {e}"))
    }

    pub fn gosum(&self) -> String {
        std::fs::read_to_string(self.app.join("go.sum")).unwrap()
    }

    pub fn set_gosum(&self, text: &str) {
        std::fs::write(self.app.join("go.sum"), text).unwrap();
    }

    /// The first module (path, version) and its extracted directory.
    pub fn first_module(&self) -> (String, String, PathBuf) {
        let (p, v) = tools().modules[0].clone();
        let dir = self.modcache.join(format!("{}@{}", escape(&p), v));
        (p, v, dir)
    }

    pub fn zip_path(&self, p: &str, v: &str) -> PathBuf {
        self.modcache
            .join(format!("cache/download/{}/@v/{v}.zip", escape(p)))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // The go command makes the module cache read-only.
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['!', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

pub fn dump(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "[{}] {} {}: {}",
                f.status.as_str(),
                f.check,
                f.title,
                f.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn of<'a>(findings: &'a [Finding], check: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.check == check).collect()
}

pub fn statuses(findings: &[Finding], check: &str) -> Vec<Status> {
    of(findings, check).iter().map(|f| f.status).collect()
}

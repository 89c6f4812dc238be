#!/usr/bin/env python3
"""Generate the field corpus: replay snapshots and verdicts from real public issue threads.

Every case below quotes the text its reporter posted, VERBATIM, with the thread's URL exactly as
the `search` tool (corpus `issues`) returned it. From that text the generator builds a gohost
replay snapshot (`NN-slug.json`, plugin-api/src/snapshot.rs format) and the verdict a correct
tool gives (`cases.json`). Nothing is invented:

* a value taken from the posted text carries `source: "POSTED: <what>"`;
* a value we had to derive or fill in carries `source: "FILLED: <what, from what, why>"`;
* a Mach-O/ELF header built from a posted `file`/`go version` answer is `SYNTHESIZED` (the same
  convention as tests/replay: only the fields `file` reports);
* facts about the machine the reporter did not post (gohost's own process arch, PATH) are
  listed as MADE UP in `notes`, chosen so they do not decide the verdict.

A case whose decisive output is missing is listed in NOT_REPLAYABLE (and tests/field/README.md),
never turned into a snapshot.

Run: `python3 tests/field/gen.py` (writes next to this file; deterministic output).
"""

import base64
import json
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# helpers


def go_env_text_to_json(text):
    """`go env` text output (KEY="v" before Go 1.21, KEY='v' since) -> the -json object.

    Only keys the reporter posted are included: GoFacts::env() reads what is there, and a key
    that is absent is "not known", never an invented default.
    """
    env = {}
    for line in text.strip().splitlines():
        m = re.match(r"^([A-Z0-9_]+)=(['\"])(.*)\2$", line.strip())
        if m:
            env[m.group(1)] = m.group(3)
    return json.dumps(env, indent=1, sort_keys=True)


def fill_go_env(posted, version, goos, goarch, home, goroot, cc="clang"):
    """The `go env -json` object of a reporter who posted no (or a partial) `go env`.

    `posted` holds what the thread shows (kept as is). Every other key a plugin reads is FILLED
    with the value an unconfigured go of that version prints (Go src cmd/go/internal/cfg and
    $GOROOT/go.env, FACTS.md "Go toolchain"): a real `go env -json` always carries these keys,
    so leaving them out would make the replay claim an empty GOSUMDB or CC the user never had.
    Returns (json text, note naming the filled keys).
    """
    minor = int(re.match(r"go1\.(\d+)", version).group(1))
    defaults = {
        "GOVERSION": version,
        "GOOS": goos,
        "GOARCH": goarch,
        "GOHOSTOS": goos,
        "GOHOSTARCH": goarch,
        "GOROOT": goroot,
        "GOPATH": f"{home}/go",
        "GOBIN": "",
        "GOFLAGS": "",
        "GOPROXY": "https://proxy.golang.org,direct",
        "GOSUMDB": "sum.golang.org",
        "GONOSUMDB": "",
        "GOPRIVATE": "",
        "GOINSECURE": "",
        "CC": cc,
        "CXX": "clang++" if cc == "clang" else "g++",
        "CGO_ENABLED": "1",
        "CGO_CFLAGS": "-O2 -g",
        "CGO_LDFLAGS": "-O2 -g",
        "GOMOD": "/dev/null",
        "GOENV": (f"{home}/Library/Application Support/go/env" if goos == "darwin"
                  else f"{home}/.config/go/env"),
    }
    if minor >= 21:
        defaults["GOTOOLCHAIN"] = "auto"
    env = dict(posted)
    filled = sorted(k for k in defaults if k not in env)
    for k in filled:
        env[k] = defaults[k]
    note = ("FILLED go env keys (not posted; the defaults of an unconfigured " + version + " on "
            + goos + "/" + goarch + ", GOROOT from the go path): " + ", ".join(filled))
    return json.dumps(env, indent=1, sort_keys=True), note


def macho_header(cputype):
    """A minimal little-endian mach_header_64 (MH_EXECUTE, no load commands)."""
    return struct.pack("<IiiIIIII", 0xFEEDFACF, cputype, 0, 2, 0, 0, 0, 0)


MACHO_X86_64 = macho_header(0x01000007)
MACHO_ARM64 = macho_header(0x0100000C)


def elf_header(machine):
    """A minimal 64-bit little-endian ELF executable header (e_machine only)."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0)


ELF_X86_64 = elf_header(62)


def b64(data):
    return {"base64": base64.b64encode(data).decode()}


def with_env(env_json, **filled):
    """The -json object with `filled` keys replaced (each replacement is named in the notes)."""
    env = json.loads(env_json)
    env.update(filled)
    return json.dumps(env, indent=1, sort_keys=True)


def env(name, value, source):
    return {"probe": "env", "name": name, "value": value, "source": source}


def which(name, found, source):
    return {"probe": "which", "name": name, "found": found, "source": source}


def file_info(path, kind, source, canonical=None, link_target=None):
    return {
        "probe": "file_info",
        "path": path,
        "result": {
            "ok": {
                "kind": kind,
                "size": 0,
                "mode": 0o755,
                "uid": 0,
                "link_target": link_target,
                "canonical": canonical or path,
            }
        },
        "source": source,
    }


def read_file(path, data, source):
    result = {"ok": b64(data)} if isinstance(data, bytes) else {"ok": data}
    return {"probe": "read_file", "path": path, "result": result, "source": source}


def not_found(path, source):
    return {
        "probe": "read_file",
        "path": path,
        "result": {"err": {"kind": "not-found", "message": f"{path}: No such file or directory"}},
        "source": source,
    }


def exec_(argv, code, stdout, stderr, source):
    return {
        "probe": "exec",
        "argv": argv,
        "result": {
            "ok": {
                "exit": {"code": code, "signal": None, "timed_out": False},
                "stdout": stdout,
                "stderr": stderr,
                "truncated": False,
            }
        },
        "source": source,
    }


def facts(os_, process_arch, machine, os_version, chip, go, translation="native", evidence=None):
    return {
        "os": os_,
        "process_arch": process_arch,
        "machine": machine,
        "os_version": os_version,
        "translation": translation,
        "translation_evidence": evidence
        or "MADE UP: gohost itself runs natively (the reporter did not run gohost)",
        "chip": chip,
        "go": go,
    }


def go_facts(path, version_output, env_json="", problem=None):
    return {"path": path, "version_output": version_output, "env_json": env_json, "problem": problem}


MAC_ARM_NATIVE = ("macos", "aarch64", "arm64")
MADE_UP_NATIVE = (
    "MADE UP: facts.process_arch/translation: a native gohost (the reporter never ran gohost); "
    "facts.machine is the machine's own architecture, which the thread establishes."
)

# --------------------------------------------------------------------------------------------
# the cases (replayable)

CASES = []


def case(**kw):
    CASES.append(kw)
    return kw


# 01 ---------------------------------------------------------------------------------------
POSTED_44733 = {
    "go version": "go version go1.16 darwin/amd64",
    "go env": """GO111MODULE=""
GOARCH="amd64"
GOBIN=""
GOCACHE="/Users/[name]/Library/Caches/go-build"
GOENV="/Users/[name]/Library/Application Support/go/env"
GOEXE=""
GOFLAGS=""
GOHOSTARCH="amd64"
GOHOSTOS="darwin"
GOINSECURE=""
GOMODCACHE="/Users/[name]/go/pkg/mod"
GONOPROXY=""
GONOSUMDB=""
GOOS="darwin"
GOPATH="/Users/[name]/go"
GOPRIVATE=""
GOPROXY="https://proxy.golang.org,direct"
GOROOT="/usr/local/Cellar/go/1.16/libexec"
GOSUMDB="sum.golang.org"
GOTMPDIR=""
GOTOOLDIR="/usr/local/Cellar/go/1.16/libexec/pkg/tool/darwin_amd64"
GOVCS=""
GOVERSION="go1.16"
GCCGO="gccgo"
AR="ar"
CC="clang"
CXX="clang++"
CGO_ENABLED="1"
GOMOD="/Users/[name]/dd/gotest/darwin/go.mod"
CGO_CFLAGS="-g -O2"
CGO_CPPFLAGS=""
CGO_CXXFLAGS="-g -O2"
CGO_FFLAGS="-g -O2"
CGO_LDFLAGS="-g -O2"
PKG_CONFIG="pkg-config\"""",
}


def build_01(c):
    p = c["posted"]
    go_bin = "/usr/local/Cellar/go/1.16/libexec/bin/go"
    return {
        "notes": [
            "POSTED (golang/go#44733, description): `go version` and `go env` of an Apple M1 (title: "
            "'darwin/arm64 binary says it is running under Rosetta 2 on macOS M1 machine'). The "
            "GOGCCFLAGS line is cut off in the stored excerpt and is dropped.",
            MADE_UP_NATIVE,
            "FILLED: the go on PATH is /usr/local/bin/go -> Homebrew Cellar (GOROOT is posted as "
            "/usr/local/Cellar/go/1.16/libexec, the Intel Homebrew prefix).",
            "SYNTHESIZED: the go binary's header is a minimal x86_64 mach_header_64, from the posted "
            "`go version` (darwin/amd64) and GOHOSTARCH=amd64.",
            "MADE UP: facts.os_version (not posted).",
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", "Apple M1",
                       go_facts("/usr/local/bin/go", p["go version"], go_env_text_to_json(p["go env"]))),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: an Apple M1 (posted in the title) reports hw.optional.arm64=1"},
            env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            which("go", ["/usr/local/bin/go"], "FILLED: see notes"),
            file_info("/usr/local/bin/go", "symlink", "FILLED: Homebrew symlink", canonical=go_bin,
                      link_target="../Cellar/go/1.16/bin/go"),
            file_info(go_bin, "file", "FILLED: GOROOT/bin/go from the posted GOROOT"),
            read_file(go_bin, MACHO_X86_64, "SYNTHESIZED: x86_64 header from the posted go version"),
            not_found("/Users/[name]/Library/Application Support/go/env",
                      "FILLED: the reporter posted no go env -w settings"),
        ],
    }


case(
    nn=1, slug="m1-intel-homebrew-go116", cls="wrong-architecture Go / Rosetta",
    url="https://github.com/golang/go/issues/44733",
    posted=POSTED_44733, build=build_01,
    check="toolchain.go-binary-arch", status="fail",
    cause="An x86_64 (Intel Homebrew, /usr/local/Cellar) Go 1.16 on an Apple M1 runs under Rosetta "
          "and builds darwin/amd64 binaries, which then also run translated.",
    fix="Install the arm64 Go (arm64 Homebrew under /opt/homebrew or the darwin-arm64 package).",
    fix_key="arm64",
)

# 02 ---------------------------------------------------------------------------------------
POSTED_51464 = {
    "go version": "go version go1.18beta1 darwin/amd64",
    "platform": "I am using a MacBook M1 (arm64) with OSX 12.2",
    "answer": "You installed the wrong version but it's running because of rosetta 2. Install the arm64 version.",
}


def build_02(c):
    p = c["posted"]
    go_bin = "/usr/local/go/bin/go"
    env_json, filled = fill_go_env({}, "go1.18beta1", "darwin", "amd64", "/Users/$USER", "/usr/local/go")
    return {
        "notes": [
            filled,
            "POSTED (golang/go#51464): `go version` = go1.18beta1 darwin/amd64 on 'a MacBook M1 "
            "(arm64) with OSX 12.2'; answer: 'You installed the wrong version but it's running "
            "because of rosetta 2. Install the arm64 version.'",
            "FILLED: GOARCH/GOHOSTARCH/GOOS/GOVERSION derive from the posted `go version` line (a "
            "darwin/amd64 go reports GOHOSTARCH amd64); the reporter posted no `go env` of this go.",
            "FILLED: the go path /usr/local/go/bin/go (the go.dev .pkg location; not posted).",
            "SYNTHESIZED: x86_64 mach_header_64 from the posted darwin/amd64.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "12.2", "Apple M1",
                       go_facts(go_bin, p["go version"], env_json)),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: an M1 (posted) reports hw.optional.arm64=1"},
            env("PATH", "/usr/local/go/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            which("go", [go_bin], "FILLED: see notes"),
            file_info(go_bin, "file", "FILLED: see notes"),
            read_file(go_bin, MACHO_X86_64, "SYNTHESIZED: from the posted `go version` (darwin/amd64)"),
        ],
    }


case(
    nn=2, slug="m1-go118beta-amd64", cls="wrong-architecture Go / Rosetta",
    url="https://github.com/golang/go/issues/51464",
    posted=POSTED_51464, build=build_02,
    check="toolchain.go-binary-arch", status="fail",
    cause="The darwin/amd64 build of Go 1.18beta1 was installed on an M1; it runs under Rosetta 2 "
          "and defaults GOARCH to amd64.",
    fix="Install the arm64 version (the maintainer's answer).",
    fix_key="arm64",
)

# 03 ---------------------------------------------------------------------------------------
POSTED_EXTISM_120 = {
    "title": "building for macOS-x86_64 but attempting to link with file built for macOS-arm64 GoLang 1.19.3 version",
    "diagnosis": "@ananthdurai `darwin/amd64` is x86 not arm",
    "fix": "`arch -arm64 brew install go`",
    "confirmation": "@nilslice yes, that is the issue. I installed the ARM64 version of Go, and everything is working fine now. Thank you.",
}


def build_03(c):
    go_bin = "/usr/local/bin/go"
    env_json, filled = fill_go_env({}, "go1.19.3", "darwin", "amd64", "/Users/$USER",
                                   "/usr/local/Cellar/go/1.19.3/libexec")
    return {
        "notes": [
            filled,
            "POSTED (extism/extism#120): title 'building for macOS-x86_64 but attempting to link with "
            "file built for macOS-arm64 GoLang 1.19.3 version'; maintainer: '`darwin/amd64` is x86 "
            "not arm' (the reporter's go version output, quoted back); reporter: 'I installed the "
            "ARM64 version of Go, and everything is working fine now.'",
            "FILLED: facts.go.version_output `go version go1.19.3 darwin/amd64` assembled from the "
            "title's version and the quoted darwin/amd64 (the original post is not in the stored "
            "excerpt).",
            "FILLED: the go path (/usr/local/bin/go, an Intel Homebrew: the thread suggests "
            "`arch -arm64 brew install go`).",
            "SYNTHESIZED: x86_64 mach_header_64.",
            MADE_UP_NATIVE,
            "MADE UP: the chip name (the thread says 'He's on an M1').",
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", "Apple M1",
                       go_facts(go_bin, "go version go1.19.3 darwin/amd64", env_json)),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: 'He's on an M1' (maintainer) -> hw.optional.arm64=1"},
            env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            which("go", [go_bin], "FILLED: see notes"),
            file_info(go_bin, "file", "FILLED: see notes"),
            read_file(go_bin, MACHO_X86_64, "SYNTHESIZED: from darwin/amd64 (quoted in the thread)"),
        ],
    }


case(
    nn=3, slug="m1-amd64-go-cgo-link", cls="wrong-architecture Go / Rosetta",
    url="https://github.com/extism/extism/issues/120",
    posted=POSTED_EXTISM_120, build=build_03,
    check="toolchain.go-binary-arch", status="fail",
    cause="An x86_64 Go 1.19.3 on an M1 builds darwin/amd64, so cgo tries to link an arm64 dylib "
          "into an x86_64 program.",
    fix="`arch -arm64 brew install go` (the ARM64 Go); confirmed by the reporter.",
    fix_key="arm64",
)

# 04 ---------------------------------------------------------------------------------------
POSTED_ADAPTIX_370 = {
    "uname -m": "aarch64",
    "file": "/usr/local/go/bin/go: ELF 64-bit LSB executable, x86-64, ...",
    "symlink": "/usr/local/bin/go -> /usr/local/go/bin/go",
    "error": "/bin/sh: 1: go: Exec format error",
}


def build_04(c):
    p = c["posted"]
    return {
        "notes": [
            "POSTED (Adaptix-Framework/AdaptixC2#370): Linux VM, `uname -m` = aarch64; "
            "`/usr/local/bin/go -> /usr/local/go/bin/go`; `/usr/local/go/bin/go: ELF 64-bit LSB "
            "executable, x86-64, ...`; running go: '/bin/sh: 1: go: Exec format error'.",
            "FILLED: facts.go.problem carries the posted exec error; `go version` never ran, so "
            "version_output and env_json are empty (what the host records when go cannot start).",
            "SYNTHESIZED: the ELF header (e_machine x86-64) from the posted `file` output.",
            "MADE UP: a native aarch64 gohost; os_version and chip (not posted); PATH.",
        ],
        "facts": facts("linux", "aarch64", "aarch64", "unknown (not posted)", None,
                       go_facts("/usr/local/bin/go", "", "",
                                "`go version` failed: " + p["error"])),
        "probes": [
            env("PATH", "/usr/local/bin:/usr/bin:/bin", "MADE UP: PATH not posted"),
            which("go", ["/usr/local/bin/go"], "POSTED: the symlink /usr/local/bin/go"),
            file_info("/usr/local/bin/go", "symlink", "POSTED: /usr/local/bin/go -> /usr/local/go/bin/go",
                      canonical="/usr/local/go/bin/go", link_target="/usr/local/go/bin/go"),
            file_info("/usr/local/go/bin/go", "file", "POSTED: the `file` line"),
            read_file("/usr/local/go/bin/go", ELF_X86_64, "SYNTHESIZED: from the posted `file` output (x86-64)"),
        ],
    }


case(
    nn=4, slug="linux-aarch64-x86-64-go", cls="wrong-architecture Go / Rosetta",
    url="https://github.com/Adaptix-Framework/AdaptixC2/issues/370",
    posted=POSTED_ADAPTIX_370, build=build_04,
    check="toolchain.go-binary-arch", status="fail",
    cause="The install script always downloads the linux-amd64 Go tarball; on an aarch64 host the "
          "x86-64 go binary cannot execute (Exec format error).",
    fix="Fetch go${GO_VERSION}.linux-arm64.tar.gz (the tarball matching `uname -m`); fix in #369.",
    fix_key="arm64",
)

# 05 ---------------------------------------------------------------------------------------
POSTED_GDU_291 = {
    "go version": "go version go1.21.5 linux/arm",
    "uname -a": "Linux iq 6.1.0-rpi7-rpi-2712 #1 SMP PREEMPT Debian 1:6.1.63-1+rpt1 (2023-11-24) aarch64 GNU/Linux",
    "error": "# runtime/cgo\ngcc: error: unrecognized command-line option '-marm'",
}


def build_05(c):
    p = c["posted"]
    env_json, filled = fill_go_env({}, "go1.21.5", "linux", "arm", "/home/$USER", "/usr/local/go", cc="gcc")
    return {
        "notes": [
            filled,
            "POSTED (dundee/gdu#291): `go version` = go1.21.5 linux/arm; `uname -a` ends in aarch64 "
            "(Raspberry Pi 5 kernel 6.1.0-rpi7-rpi-2712); `go install` fails in runtime/cgo with "
            "\"gcc: error: unrecognized command-line option '-marm'\".",
            "FILLED: GOARCH/GOHOSTARCH/GOOS/GOVERSION derive from the posted `go version` (a "
            "linux/arm go); the reporter posted no go env.",
            "FILLED: go path /usr/local/go/bin/go (not posted).",
            "MADE UP: a native aarch64 gohost; PATH. The go binary's header is NOT synthesized: the "
            "reporter posted no `file` output, so the header probe is absent (could not tell).",
        ],
        "facts": facts("linux", "aarch64", "aarch64", "Debian (6.1.0-rpi7-rpi-2712)", None,
                       go_facts("/usr/local/go/bin/go", p["go version"], env_json)),
        "probes": [
            env("PATH", "/usr/local/go/bin:/usr/bin:/bin", "MADE UP: PATH not posted"),
            which("go", ["/usr/local/go/bin/go"], "FILLED: see notes"),
            which("gcc", ["/usr/bin/gcc"], "FILLED: the posted error comes from gcc"),
        ],
    }


case(
    nn=5, slug="pi5-linux-arm-go-on-aarch64", cls="wrong-architecture Go / Rosetta",
    url="https://github.com/dundee/gdu/issues/291",
    posted=POSTED_GDU_291, build=build_05,
    check="toolchain.goarch", status="warn",
    cause="A 32-bit linux/arm Go on a 64-bit (aarch64) Raspberry Pi OS: cgo passes -marm to the "
          "system gcc, which targets aarch64 and rejects it.",
    fix="Install the linux-arm64 Go. NOTE: the stored excerpt of the thread does not show the "
        "resolution; the cause follows from the posted `go version` and `uname -a` alone.",
    fix_key="arm64",
)

# 08 ---------------------------------------------------------------------------------------
POSTED_57693 = {
    "go version": "go version go1.19.4 darwin/arm64",
    "platform": "MacOs，M2",
    "go env": """GO111MODULE="on"
GOARCH="amd64"
GOBIN=""
GOCACHE="/Users/biandong/Library/Caches/go-build"
GOENV="/Users/biandong/Library/Application Support/go/env"
GOEXE=""
GOEXPERIMENT=""
GOFLAGS=""
GOHOSTARCH="arm64"
GOHOSTOS="darwin"
GOINSECURE=""
GOMODCACHE="/Users/biandong/go/pkg/mod"
GONOPROXY=""
GONOSUMDB=""
GOOS="linux"
GOPATH="/Users/biandong/go"
GOPRIVATE=""
GOPROXY="https://goproxy.cn,direct"
GOROOT="/usr/local/go"
GOSUMDB="sum.golang.org"
GOTMPDIR=""
GOTOOLDIR="/usr/local/go/pkg/tool/darwin_arm64"
GOVCS=""
GOVERSION="go1.19.4"
GCCGO="gccgo"
GOAMD64="v1"
AR="ar"
CC="clang"
CXX="clang++"
CGO_ENABLED="0"
GOMOD="/dev/null"
GOWORK=""
CGO_CFLAGS="-g -O2"
CGO_CPPFLAGS=""
CGO_CXXFLAGS="-g -O2"
CGO_FFLAGS="-g -O2"
CGO_LDFLAGS="-g -O2"
PKG_CONFIG="pkg-config"
GOGCCFLAGS="-fPIC -m64 -fno-caret-diagnostics -Qunused-arguments -fmessage-length=0 -fdebug-prefix-map=/var/folders/ty/q11880gn5797hjv_tnk2m_k80000gn/T/go-build3632438957=/tmp/go-build -gno-record-gcc-switches\"""",
    "error": "fork/exec /var/folders/ty/q11880gn5797hjv_tnk2m_k80000gn/T/go-build3935763930/b001/exe/main: exec format error",
}


def build_08(c):
    p = c["posted"]
    go_bin = "/usr/local/go/bin/go"
    return {
        "notes": [
            "POSTED (golang/go#57693): go1.19.4 darwin/arm64 on an M2; `go env` shows GOOS=linux "
            "GOARCH=amd64 with GOHOSTOS=darwin GOHOSTARCH=arm64; `go run` fails with 'fork/exec "
            "…/exe/main: exec format error'.",
            "FILLED: GOOS/GOARCH are recorded as exported in the environment. The posted `go env` "
            "cannot tell environment from go env file; the go env file is recorded as unknown "
            "(no probe), so a correct tool must name both places.",
            "SYNTHESIZED: arm64 mach_header_64 from the posted darwin/arm64.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", "Apple M2",
                       go_facts(go_bin, p["go version"], go_env_text_to_json(p["go env"]))),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: an M2 (posted) reports hw.optional.arm64=1"},
            env("PATH", "/usr/local/go/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            env("GOOS", "linux", "FILLED: posted go env GOOS=\"linux\" (see notes)"),
            env("GOARCH", "amd64", "FILLED: posted go env GOARCH=\"amd64\" (see notes)"),
            which("go", [go_bin], "FILLED: GOROOT/bin/go from the posted GOROOT"),
            file_info(go_bin, "file", "FILLED: see notes"),
            read_file(go_bin, MACHO_ARM64, "SYNTHESIZED: from the posted `go version` (darwin/arm64)"),
        ],
    }


case(
    nn=8, slug="m2-goos-linux-goarch-amd64", cls="exported/persisted variables",
    url="https://github.com/golang/go/issues/57693",
    posted=POSTED_57693, build=build_08,
    check="toolchain.goarch", status="warn",
    cause="GOOS=linux and GOARCH=amd64 are set (environment or go env file), so `go run` builds a "
          "linux/amd64 program that macOS cannot execute.",
    fix="Unset them: `unset GOOS GOARCH` / `go env -u GOOS GOARCH`. NOTE: the stored excerpt does "
        "not show the thread's closing comment; the cause is the posted go env itself.",
    fix_key="GOOS",
)

# 09 ---------------------------------------------------------------------------------------
POSTED_FABRIC_971 = {
    "error": "go: cannot find GOROOT directory: /opt/homebrew/bin/go",
    "zshenv": 'export GOROOT="/opt/homebrew/bin/go"\nexport GOPATH="$HOME/go"\nexport PATH="$GOPATH/bin:$GOROOT/bin:$HOME/.local/bin:$PATH"',
    "fix1": 'export GOROOT="$(brew --prefix golang)/libexec"',
    "fix2": "If you installed Go with Homebrew, you normally do not need to manually set `GOROOT`",
}


def build_09(c):
    p = c["posted"]
    return {
        "notes": [
            "POSTED (danielmiessler/Fabric#971): Apple M1, Homebrew Go; .zshenv exports "
            "GOROOT=\"/opt/homebrew/bin/go\"; `go install` fails with 'go: cannot find GOROOT "
            "directory: /opt/homebrew/bin/go'. Answers: set GOROOT to \"$(brew --prefix "
            "golang)/libexec\", or do not set GOROOT at all.",
            "FILLED: facts.go.problem carries the posted error (every go command fails that way); "
            "version_output/env_json are empty because `go version` fails too.",
            "FILLED: PATH from the posted .zshenv line, with $HOME/$GOPATH expanded to "
            "/Users/$USER and the Homebrew default PATH after it.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", "Apple M1",
                       go_facts("/opt/homebrew/bin/go", "", "", p["error"])),
        "probes": [
            env("GOROOT", "/opt/homebrew/bin/go", "POSTED: .zshenv `export GOROOT=\"/opt/homebrew/bin/go\"`"),
            env("PATH", "/Users/$USER/go/bin:/opt/homebrew/bin/go/bin:/Users/$USER/.local/bin:/opt/homebrew/bin:/usr/bin:/bin",
                "FILLED: from the posted .zshenv PATH line (see notes)"),
            which("go", ["/opt/homebrew/bin/go"], "POSTED: 'I checked the homebrew/bin/ location and found the alias for go'"),
            file_info("/opt/homebrew/bin/go", "symlink", "POSTED: the Homebrew alias",
                      canonical="/opt/homebrew/Cellar/go/unknown/libexec/bin/go",
                      link_target="../Cellar/go/unknown/bin/go"),
        ],
    }


case(
    nn=9, slug="fabric-goroot-is-the-binary", cls="exported/persisted variables",
    url="https://github.com/danielmiessler/Fabric/issues/971",
    posted=POSTED_FABRIC_971, build=build_09,
    check="toolchain.version-goroot", status="fail",
    cause="GOROOT is exported as the go binary's path (/opt/homebrew/bin/go), not a Go root, so "
          "every go command fails.",
    fix="Remove the GOROOT export (Homebrew's go finds its root), or set it to "
        "\"$(brew --prefix golang)/libexec\".",
    fix_key="unset GOROOT",
)

# 10 ---------------------------------------------------------------------------------------
POSTED_GVM_126 = {
    "error": "$gvm use system\n$go env\ngo: cannot find GOROOT directory: /usr/local/Cellar/go/1.4.1/libexec",
    "symlink": "/usr/local/bin/go -> ../Cellar/go/1.4.1/bin/go \nbecomes \n/usr/local/bin/go -> ../Cellar/go/1.4.2/bin/go",
    "environment file": 'export GOROOT; GOROOT=""/usr/local/Cellar/go/1.4.1/libexec""',
}


def build_10(c):
    p = c["posted"]
    return {
        "notes": [
            "POSTED (moovweb/gvm#126): Mac OS X 10.9.5, Homebrew Go upgraded 1.4.1 -> 1.4.2; the gvm "
            "'system' environment file still exports GOROOT=/usr/local/Cellar/go/1.4.1/libexec; "
            "`go env` fails with 'go: cannot find GOROOT directory: "
            "/usr/local/Cellar/go/1.4.1/libexec'. Editing 1.4.1 -> 1.4.2 in the file was the fix "
            "the reporter applied.",
            "FILLED: facts.go.problem is the posted error; the upgraded symlink target is posted.",
            "MADE UP: a native x86_64 gohost on this Intel Mac (10.9 predates Apple Silicon); PATH.",
        ],
        "facts": facts("macos", "x86_64", "x86_64", "10.9.5", None,
                       go_facts("/usr/local/bin/go", "",
                                "", "go: cannot find GOROOT directory: /usr/local/Cellar/go/1.4.1/libexec")),
        "probes": [
            env("GOROOT", "/usr/local/Cellar/go/1.4.1/libexec", "POSTED: ~/.gvm/environments/system"),
            env("PATH", "/usr/local/Cellar/go/1.4.1/libexec/bin:/usr/local/bin:/usr/bin:/bin",
                "FILLED: the posted environment file's PATH line (pkgset dir dropped)"),
            which("go", ["/usr/local/bin/go"], "POSTED: the Homebrew symlink"),
            file_info("/usr/local/bin/go", "symlink", "POSTED: /usr/local/bin/go -> ../Cellar/go/1.4.2/bin/go",
                      canonical="/usr/local/Cellar/go/1.4.2/bin/go", link_target="../Cellar/go/1.4.2/bin/go"),
            {"probe": "file_info", "path": "/usr/local/Cellar/go/1.4.1/libexec",
             "result": {"err": {"kind": "not-found", "message": "No such file or directory"}},
             "source": "POSTED: 'cannot find GOROOT directory' (brew upgrade removed 1.4.1)"},
        ],
    }


case(
    nn=10, slug="gvm-stale-goroot-after-brew-upgrade", cls="version managers and shims",
    url="https://github.com/moovweb/gvm/issues/126",
    posted=POSTED_GVM_126, build=build_10,
    check="toolchain.version-goroot", status="fail",
    cause="gvm's generated environment pins GOROOT to the Homebrew Cellar path of Go 1.4.1, which "
          "`brew upgrade` removed.",
    fix="Point GOROOT at the current version (edit the gvm environment file 1.4.1 -> 1.4.2), or "
        "stop exporting GOROOT.",
    fix_key="unset GOROOT",
)

# 11 ---------------------------------------------------------------------------------------
POSTED_DOTFILES_3 = {
    "title": "go: cannot find GOROOT directory: /opt/homebrew/opt/go/libexec",
    "body": "This happens because now we manage go through mise, so we should update this path to a mise-managed path (or ask mise for the path ideally).\n\nQuick fix: `brew install go`",
}


def build_11(c):
    return {
        "notes": [
            "POSTED (DanielMSchmidt/dotfiles#3): 'go: cannot find GOROOT directory: "
            "/opt/homebrew/opt/go/libexec' after moving Go to mise; the dotfiles still export the "
            "Homebrew GOROOT.",
            "FILLED: GOROOT=/opt/homebrew/opt/go/libexec as an exported variable: the go command "
            "prints exactly $GOROOT in this error, and the thread says the dotfiles set it.",
            "FILLED: go on PATH is a mise shim (~/.local/share/mise/shims/go, mise's default shim "
            "dir); the reporter did not post `which go`.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", None,
                       go_facts("/Users/$USER/.local/share/mise/shims/go", "", "",
                                "go: cannot find GOROOT directory: /opt/homebrew/opt/go/libexec")),
        "probes": [
            env("GOROOT", "/opt/homebrew/opt/go/libexec", "FILLED: from the posted error (see notes)"),
            env("PATH", "/Users/$USER/.local/share/mise/shims:/opt/homebrew/bin:/usr/bin:/bin",
                "MADE UP: PATH not posted"),
            which("go", ["/Users/$USER/.local/share/mise/shims/go"], "FILLED: see notes"),
            {"probe": "file_info", "path": "/opt/homebrew/opt/go/libexec",
             "result": {"err": {"kind": "not-found", "message": "No such file or directory"}},
             "source": "POSTED: 'cannot find GOROOT directory'"},
        ],
    }


case(
    nn=11, slug="dotfiles-homebrew-goroot-after-mise", cls="version managers and shims",
    url="https://github.com/DanielMSchmidt/dotfiles/issues/3",
    posted=POSTED_DOTFILES_3, build=build_11,
    check="toolchain.version-goroot", status="fail",
    cause="Dotfiles still export Homebrew's GOROOT after Go moved to mise, so mise's go is pointed "
          "at a Go root that no longer exists.",
    fix="Update/remove the GOROOT export (use mise's path); quick fix `brew install go`.",
    fix_key="unset GOROOT",
)

# 15 ---------------------------------------------------------------------------------------
POSTED_MISE_488 = {
    "which go": "$ which go # shim is still in place\n/Users/jimeh/.rtx/shims/go",
    "go version": "$ go version # and oddly enough the shim works\n[WARN] Tool not installed: golang@1.20.2\ngo version go1.20.3 darwin/amd64",
    "rtx ls": "golang     1.18.10\ngolang     1.19.8\ngolang     1.20.2 (missing) ~/Projects/go-validate/go.mod 1.20.2\ngolang     1.20.3",
    "go.mod": "go 1.15",
}


def build_15(c):
    env_json, filled = fill_go_env({}, "go1.20.3", "darwin", "amd64", "/Users/jimeh",
                                   "/usr/local/Cellar/go/1.20.3/libexec")
    return {
        "notes": [
            filled,
            "POSTED (jdx/mise#488, then named rtx): on an Intel Mac (go1.20.3 darwin/amd64), in a "
            "project whose go.mod says `go 1.15`, rtx's legacy-version-file support resolves "
            "golang@1.20.2, which is not installed; `which go` is the rtx shim; `go version` "
            "prints '[WARN] Tool not installed: golang@1.20.2' then runs go1.20.3.",
            "FILLED: the go version line as facts.go.version_output; the [WARN] line as stderr of "
            "the shim (rtx prints warnings on stderr), recorded for the shim's path as gohost "
            "runs it (the reporter typed `go version`, which `which go` resolves to that shim).",
            "FILLED: GOROOT /usr/local/Cellar/go/1.20.3/libexec: the thread establishes that the "
            "shim fell back to 'the \"system\" Go version installed by Homebrew' (jimeh, "
            "2023-04-22), 1.20.3 by the posted `go version`; /usr/local is Homebrew's Intel "
            "prefix for this darwin/amd64 Go.",
            "MADE UP: a native x86_64 gohost (darwin/amd64 go on an Intel Mac; the chip is not "
            "posted); PATH beyond the posted shim dir.",
        ],
        "facts": facts("macos", "x86_64", "x86_64", "unknown (not posted)", None,
                       go_facts("/Users/jimeh/.rtx/shims/go", "go version go1.20.3 darwin/amd64", env_json)),
        "probes": [
            env("PATH", "/Users/jimeh/.rtx/shims:/usr/local/bin:/usr/bin:/bin", "FILLED: the posted shim dir first"),
            which("go", ["/Users/jimeh/.rtx/shims/go"], "POSTED: `which go`"),
            file_info("/Users/jimeh/.rtx/shims/go", "symlink", "FILLED: rtx shims are symlinks to rtx",
                      canonical="/usr/local/bin/rtx", link_target="/usr/local/bin/rtx"),
            exec_(["/Users/jimeh/.rtx/shims/go", "version"], 0, "go version go1.20.3 darwin/amd64\n",
                  "[WARN] Tool not installed: golang@1.20.2\n", "POSTED: `go version` through the shim"),
        ],
    }


case(
    nn=15, slug="rtx-shim-go-mod-version-not-installed", cls="version managers and shims",
    url="https://github.com/jdx/mise/issues/488",
    posted=POSTED_MISE_488, build=build_15,
    check="toolchain.go-on-path", status="warn",
    cause="The rtx (now mise) shim selects golang@1.20.2 for the project: rtx cached the version "
          "its golang plugin had parsed from the go.mod (a legacy version file), which is not "
          "installed, so the shim warns and falls back to the system (Homebrew) go1.20.3.",
    fix="`rtx cache clear` (jdxcode: 'rtx caches the result of the parsing'; jimeh: 'running "
        "`rtx cache clear` ... fixed the issue'); rtx later made golang a core plugin that does "
        "not read go.mod.",
    fix_key="rtx cache clear",
)

# 17 ---------------------------------------------------------------------------------------
POSTED_AKGVM_52 = {
    "commands": '$ eval "$(gvm 1.17.8)"\n$ go version\ngo version go1.17.8 darwin/amd64',
    "with GOARCH": '$ GOARCH=arm64 eval "$(gvm 1.17.8)"\n$ go version                       \ngo version go1.17.8 darwin/arm64',
    "platform": "I'm trying to install Go on my Macbook Pro M1 with GVM, but it always installs the AMD64 version of Go:",
    "maintainer": "You must already have the darwin/amd64 version of gvm installed, because it defaults to using the architecture of gvm (via runtime.GOARCH). So if you install the darwin/arm64 then it should default to arm64.",
    "fix": "It is supposed to support the `--arch` flag and `GVM_ARCH` env var. But I see a bug in setting that (will fix).",
}


def build_17(c):
    p = c["posted"]
    goroot = "/Users/$USER/.gvm/versions/go1.17.8.darwin.amd64"
    go_bin = goroot + "/bin/go"
    env_json, filled = fill_go_env({}, "go1.17.8", "darwin", "amd64", "/Users/$USER", goroot)
    return {
        "notes": [
            filled,
            "POSTED (andrewkroh/gvm#52, also shared/fixtures/macos/m1-rosetta-gvm-go-version-amd64.txt): "
            "on an M1, `eval \"$(gvm 1.17.8)\"` then `go version` prints go1.17.8 darwin/amd64. "
            "Maintainer: an amd64 gvm binary defaults to installing amd64 Go (runtime.GOARCH); "
            "install the darwin/arm64 gvm, or use `--arch`/GVM_ARCH (fixed in andrewkroh/gvm#53).",
            "FILLED: GOROOT/PATH as `eval \"$(gvm 1.17.8)\"` sets them: "
            "~/.gvm/versions/go1.17.8.darwin.amd64 (andrewkroh/gvm's layout, as public CI configs "
            "using it export GOROOT=$HOME/.gvm/versions/go<version>.<os>.amd64).",
            "SYNTHESIZED: x86_64 mach_header_64 from the posted darwin/amd64.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", "Apple M1",
                       go_facts(go_bin, "go version go1.17.8 darwin/amd64", env_json)),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: a Macbook Pro M1 (posted) reports hw.optional.arm64=1"},
            env("GOROOT", goroot, "FILLED: exported by `eval \"$(gvm 1.17.8)\"` (see notes)"),
            env("PATH", goroot + "/bin:/usr/bin:/bin:/usr/sbin:/sbin", "FILLED: gvm puts GOROOT/bin first"),
            which("go", [go_bin], "FILLED: see notes"),
            file_info(go_bin, "file", "FILLED: see notes"),
            read_file(go_bin, MACHO_X86_64, "SYNTHESIZED: from the posted `go version` (darwin/amd64)"),
        ],
    }


case(
    nn=17, slug="gvm-amd64-binary-installs-amd64-go", cls="version managers and shims",
    url="https://github.com/andrewkroh/gvm/issues/52",
    posted=POSTED_AKGVM_52, build=build_17,
    check="toolchain.go-binary-arch", status="fail",
    cause="An amd64 build of andrewkroh/gvm installs Go for its own architecture, so on an M1 it "
          "installs and selects darwin/amd64 Go.",
    fix="Install the darwin/arm64 gvm, or `gvm --arch arm64` / GVM_ARCH=arm64 (andrewkroh/gvm#53).",
    fix_key="--arch",
)

# 18 ---------------------------------------------------------------------------------------
POSTED_70949 = {
    "go version": "go version go1.23.4 darwin/arm64",
    "go env": """GO111MODULE=''
GOARCH='arm64'
GOBIN=''
GOCACHE='/Users/andig/Library/Caches/go-build'
GOENV='/Users/andig/Library/Application Support/go/env'
GOEXE=''
GOEXPERIMENT=''
GOFLAGS=''
GOHOSTARCH='arm64'
GOHOSTOS='darwin'
GOINSECURE=''
GOMODCACHE='/Users/andig/go/pkg/mod'
GONOPROXY=''
GONOSUMDB=''
GOOS='darwin'
GOPATH='/Users/andig/go'
GOPRIVATE=''
GOPROXY='https://proxy.golang.org,direct'
GOROOT='/opt/homebrew/Cellar/go/1.23.4/libexec'
GOSUMDB='sum.golang.org'
GOTMPDIR=''
GOTOOLCHAIN='local'
GOTOOLDIR='/opt/homebrew/Cellar/go/1.23.4/libexec/pkg/tool/darwin_arm64'
GOVCS=''
GOVERSION='go1.23.4'
GODEBUG=''
GOTELEMETRY='on'
GOTELEMETRYDIR='/Users/andig/Library/Application Support/go/telemetry'
GCCGO='gccgo'
GOARM64='v8.0'
AR='ar'
CC='cc'
CXX='c++'
CGO_ENABLED='1'
GOMOD='/Users/andig/htdocs/evcc/go.mod'
GOWORK=''
CGO_CFLAGS='-O2 -g'
CGO_CPPFLAGS=''
CGO_CXXFLAGS='-O2 -g'
CGO_FFLAGS='-O2 -g'
CGO_LDFLAGS='-O2 -g'
PKG_CONFIG='pkg-config'""",
    "error (Homebrew/homebrew-core#202030)": "go build\n\ngo: errors parsing go.mod:\ngo.mod:206: unknown block type: tool",
    "fix (Homebrew/homebrew-core#202030)": "Does doing `export GOTOOLCHAIN=auto` not fix this for you?\n\nandig · comment · 2024-12-21\nYes it does.",
}


def build_18(c):
    p = c["posted"]
    go_bin = "/opt/homebrew/Cellar/go/1.23.4/libexec/bin/go"
    return {
        "notes": [
            "POSTED (golang/go#70949, same reporter as Homebrew/homebrew-core#202030): go1.23.4 "
            "darwin/arm64 from Homebrew, `go env` shows GOTOOLCHAIN='local'; a go.mod needing Go "
            "1.24 (a `tool` block) fails with 'go.mod:206: unknown block type: tool' instead of "
            "switching toolchains. Homebrew sets GOTOOLCHAIN=local in its formula; `export "
            "GOTOOLCHAIN=auto` fixed it ('Yes it does.').",
            "FILLED: GOTOOLCHAIN is not in the environment (Homebrew writes it into the Go root's "
            "go.env, not the shell); the go.env content itself was not posted, so no read_file "
            "probe for it is recorded.",
            "FILLED: the go.mod's go line (1.24) is not posted; only the error is.",
            "SYNTHESIZED: arm64 mach_header_64 from the posted darwin/arm64.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", None,
                       go_facts("/opt/homebrew/bin/go", p["go version"], go_env_text_to_json(p["go env"]))),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: darwin/arm64 Homebrew under /opt/homebrew runs only on Apple Silicon"},
            env("PATH", "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            env("GOTOOLCHAIN", None, "FILLED: see notes"),
            which("go", ["/opt/homebrew/bin/go"], "FILLED: Homebrew's bin link for the posted GOROOT"),
            file_info("/opt/homebrew/bin/go", "symlink", "FILLED: Homebrew link", canonical=go_bin,
                      link_target="../Cellar/go/1.23.4/bin/go"),
            file_info(go_bin, "file", "FILLED: GOROOT/bin/go"),
            read_file(go_bin, MACHO_ARM64, "SYNTHESIZED: from darwin/arm64"),
            not_found("/Users/andig/Library/Application Support/go/env", "FILLED: no go env -w settings posted"),
        ],
    }


case(
    nn=18, slug="homebrew-gotoolchain-local", cls="toolchain switching",
    url="https://github.com/golang/go/issues/70949",
    posted=POSTED_70949, build=build_18,
    check="toolchain.gotoolchain", status="warn",
    cause="Homebrew's Go sets GOTOOLCHAIN=local, so a go.mod that needs a newer Go is parsed by the "
          "old toolchain ('unknown block type: tool') instead of switching.",
    fix="`export GOTOOLCHAIN=auto` (confirmed in Homebrew/homebrew-core#202030).",
    fix_key="GOTOOLCHAIN=auto",
)

# 19 ---------------------------------------------------------------------------------------
POSTED_65631 = {
    "go version": "go version go1.21.5 darwin/arm64",
    "go env": """GO111MODULE=''
GOARCH='arm64'
GOBIN=''
GOCACHE='/Users/filippo/Library/Caches/go-build'
GOENV='/Users/filippo/Library/Application Support/go/env'
GOEXE=''
GOEXPERIMENT=''
GOFLAGS=''
GOHOSTARCH='arm64'
GOHOSTOS='darwin'
GOINSECURE=''
GOMODCACHE='/Users/filippo/pkg/mod'
GONOPROXY='github.com/FiloSottile/*,filippo.io/*'
GONOSUMDB=''
GOOS='darwin'
GOPATH='/Users/filippo'
GOPRIVATE=''
GOPROXY='https://proxy.golang.org'
GOROOT='/opt/homebrew/Cellar/go/1.21.5/libexec'
GOSUMDB='sum.golang.org'
GOTMPDIR=''
GOTOOLCHAIN='auto'
GOTOOLDIR='/opt/homebrew/Cellar/go/1.21.5/libexec/pkg/tool/darwin_arm64'
GOVCS=''
GOVERSION='go1.21.5'
GCCGO='gccgo'
AR='ar'
CC='cc'
CXX='c++'
CGO_ENABLED='1'
GOMOD='/dev/null'
GOWORK=''
CGO_CFLAGS='-O2 -g'
CGO_CPPFLAGS=''
CGO_CXXFLAGS='-O2 -g'
CGO_FFLAGS='-O2 -g'
CGO_LDFLAGS='-O2 -g'
PKG_CONFIG='pkg-config'
GOGCCFLAGS='-fPIC -arch arm64 -pthread -fno-caret-diagnostics -Qunused-arguments -fmessage-length=0 -ffile-prefix-map=/var/folders/_j/hq4ytn1n4b94fhrpvvb9tktr0000gn/T/go-build2730947195=/tmp/go-build -gno-record-gcc-switches -fno-common'""",
    "did": "Updated my go.mod `go` line to `go1.22` and ran `go test`.",
    "error": "go: downloading go1.22 (darwin/arm64)\ngo: download go1.22 for darwin/arm64: tool",
}


def build_19(c):
    p = c["posted"]
    go_bin = "/opt/homebrew/Cellar/go/1.21.5/libexec/bin/go"
    return {
        "notes": [
            "POSTED (golang/go#65631): go1.21.5 darwin/arm64 (Homebrew), GOTOOLCHAIN='auto'; after "
            "setting the go.mod `go` line to 1.22, `go test` fails with 'go: downloading go1.22 "
            "(darwin/arm64) / go: download go1.22 for darwin/arm64: toolchain not available' (the "
            "excerpt cuts the last words). Cause (golang/go#62278): Go 1.21 toolchains map the "
            "language version `go 1.22` to a toolchain named go1.22, which was never released "
            "(the first release is go1.22.0). Fix: write `go 1.22.0` (or a toolchain line), or "
            "update the local Go (thread in ethersphere/beekeeper#403: 'go 1.21.4: works with "
            "`go 1.22.0`; after install go 1.22.4 works with `go 1.22`').",
            "FILLED: the posted GOMOD is /dev/null (go env was run outside the module); the "
            "module's go.mod is recorded at the FILLED path /Users/filippo/src/mod/go.mod with the "
            "posted `go 1.22` line only (module line FILLED). go env -json's GOMOD is FILLED with "
            "that path: gohost runs `go env -json` in its own working directory (host/src/facts.rs, "
            "no cwd), and the go command derives GOMOD from the working directory's module, so a "
            "gohost run in the module that failed would have printed it.",
            "SYNTHESIZED: arm64 mach_header_64.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", None,
                       go_facts("/opt/homebrew/bin/go", p["go version"],
                                with_env(go_env_text_to_json(p["go env"]),
                                         GOMOD="/Users/filippo/src/mod/go.mod"))),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: darwin/arm64 Homebrew runs only on Apple Silicon"},
            env("PATH", "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            which("go", ["/opt/homebrew/bin/go"], "FILLED: Homebrew's bin link for the posted GOROOT"),
            file_info("/opt/homebrew/bin/go", "symlink", "FILLED: Homebrew link", canonical=go_bin,
                      link_target="../Cellar/go/1.21.5/bin/go"),
            file_info(go_bin, "file", "FILLED: GOROOT/bin/go"),
            read_file(go_bin, MACHO_ARM64, "SYNTHESIZED: from darwin/arm64"),
            read_file("/Users/filippo/src/mod/go.mod", "module example.com/mod\n\ngo 1.22\n",
                      "FILLED: the posted `go 1.22` line; path and module line FILLED (see notes)"),
        ],
    }


case(
    nn=19, slug="go-1.22-is-not-a-toolchain", cls="toolchain switching",
    url="https://github.com/golang/go/issues/65631",
    posted=POSTED_65631, build=build_19,
    check="toolchain.gotoolchain", status="warn",
    cause="Go 1.21.x asks for a toolchain named `go1.22` for the go.mod line `go 1.22`; no such "
          "release exists (go1.22.0 does), so the switch fails.",
    fix="Write `go 1.22.0` in go.mod (or update the local Go to 1.22+).",
    fix_key="1.22.0",
)

# 20 ---------------------------------------------------------------------------------------
POSTED_FISCO_304 = {
    "error": "dyld: missing LC_UUID load command in .../smcrypto.test\ndyld: missing LC_UUID load command\nsignal: abort trap\nFAIL github.com/FISCO-BCOS/go-sdk/v3/smcrypto",
    "platform": "This reproduces independently of the pull request on macOS 26.1 / ARM64:",
    "repro": "GOTOOLCHAIN=go1.21.13 go test -count=1 ./smcrypto\n# missing LC_UUID; exit 1",
    "workaround": "GOTOOLCHAIN=go1.21.13 go test -count=1 -ldflags='-linkmode=external' ./smcrypto",
}


def build_20(c):
    env_json, filled = fill_go_env({"GOTOOLCHAIN": "go1.21.13"}, "go1.21.13", "darwin", "arm64",
                                   "/Users/$USER", "/Users/$USER/go/pkg/mod/golang.org/toolchain@v0.0.1-go1.21.13.darwin-arm64")
    return {
        "notes": [
            filled,
            "POSTED (FISCO-BCOS/go-sdk#304): macOS 26.1 / ARM64; `GOTOOLCHAIN=go1.21.13 go test` "
            "aborts with 'dyld: missing LC_UUID load command'; passes with "
            "-ldflags='-linkmode=external'. Cause (thread, FACTS.md): macOS 26 dyld requires "
            "LC_UUID; Go's internal linker emits it only from Go 1.24 (golang/go#68678).",
            "FILLED: GOTOOLCHAIN=go1.21.13 in the environment (posted as the command's prefix), and "
            "facts.go.version_output `go version go1.21.13 darwin/arm64` (what the go command "
            "reports when GOTOOLCHAIN selects go1.21.13); the go on PATH itself was not posted.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "26.1", None,
                       go_facts("/opt/homebrew/bin/go", "go version go1.21.13 darwin/arm64", env_json)),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: macOS 26.1 / ARM64 (posted)"},
            env("PATH", "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            env("GOTOOLCHAIN", "go1.21.13", "POSTED: `GOTOOLCHAIN=go1.21.13 go test …`"),
            which("go", ["/opt/homebrew/bin/go"], "MADE UP: the go on PATH was not posted"),
        ],
    }


case(
    nn=20, slug="macos26-gotoolchain-go1.21-missing-lc-uuid", cls="new-macOS breakage",
    url="https://github.com/FISCO-BCOS/go-sdk/issues/304",
    posted=POSTED_FISCO_304, build=build_20,
    check="toolchain.lc-uuid-go", status="fail",
    cause="On macOS 26, binaries linked by Go < 1.24's internal linker lack LC_UUID and dyld aborts "
          "them; GOTOOLCHAIN selects go1.21.13.",
    fix="Use Go >= 1.24 (e.g. GOTOOLCHAIN=go1.24.0 or newer), or -ldflags=-linkmode=external.",
    fix_key="linkmode=external",
)

# 23 ---------------------------------------------------------------------------------------
POSTED_GO_GETTER_294 = {
    "go version": "I'm running go version `go1.15.4 darwin/amd64`",
    "error": """go get github.com/hashicorp/go-getter: github.com/hashicorp/go-getter@v1.5.1: verifying module: checksum mismatch
        downloaded: h1:LZ49OxqBBtdKJymlpX7oTyqGBQRg4xxQDyPW4hzoZqM=
        sum.golang.org: h1:lM9sM02nvEApQGFgkXxWbhfqtyN+AyhQmi+MaMdBDOI=

SECURITY ERROR
This download does NOT match the one reported by the checksum server.""",
    "go env (partial)": 'GOPROXY="direct"\nGOROOT="/usr/local/go"\nGOSUMDB="sum.golang.org"',
    "maintainer": "Gotcha, I see one diff between our configs, mine has: `GOPROXY=\"https://proxy.golang.org,direct\"`",
}


def build_23(c):
    p = c["posted"]
    env_json, filled = fill_go_env({"GOPROXY": "direct", "GOROOT": "/usr/local/go", "GOSUMDB": "sum.golang.org"},
                                   "go1.15.4", "darwin", "amd64", "/Users/$USER", "/usr/local/go")
    return {
        "notes": [
            filled,
            "POSTED (hashicorp/go-getter#294): go1.15.4 darwin/amd64; `go get` fails with "
            "'verifying module: checksum mismatch … SECURITY ERROR'; the reporter's config "
            "GOPROXY=\"direct\" (no module proxy); the maintainer's working config has "
            "GOPROXY=\"https://proxy.golang.org,direct\". With GOPROXY=direct the zip is built "
            "from the origin repository, whose tag content differed from what the checksum "
            "database recorded.",
            "POSTED: GOPROXY, GOROOT, GOSUMDB; GOVERSION/GOOS/GOARCH derive from the posted go "
            "version.",
            "MADE UP: a native x86_64 gohost (darwin/amd64 go; chip not posted); PATH; go path "
            "/usr/local/go/bin/go (from the posted GOROOT).",
        ],
        "facts": facts("macos", "x86_64", "x86_64", "unknown (not posted)", None,
                       go_facts("/usr/local/go/bin/go", "go version go1.15.4 darwin/amd64", env_json)),
        "probes": [
            env("PATH", "/usr/local/go/bin:/usr/bin:/bin", "MADE UP: PATH not posted"),
            which("go", ["/usr/local/go/bin/go"], "FILLED: GOROOT/bin/go"),
        ],
    }


case(
    nn=23, slug="goproxy-direct-checksum-mismatch", cls="checksum database and proxy",
    url="https://github.com/hashicorp/go-getter/issues/294",
    posted=POSTED_GO_GETTER_294, build=build_23,
    check="sumdb.config", status="warn",
    cause="GOPROXY=direct bypasses the module proxy: the zip built from the origin repository no "
          "longer matches the sum.golang.org record, so every fetch fails verification.",
    fix="Use the default proxy: GOPROXY=https://proxy.golang.org,direct (the maintainer's config).",
    fix_key="proxy.golang.org",
)

# 27 ---------------------------------------------------------------------------------------
POSTED_QUIL_73 = {
    "error": "# runtime/cgo\nxcrun: error: invalid active developer path (/Library/Developer/CommandLineTools), missing xcrun at: /Library/Developer/CommandLineTools/usr/bin/xcrun",
    "platform": "i use go1.21.5 darwin/arm64.MAC M1",
    "answer": "that you have a correctly specified developer path (via xcode-select)",
}


def build_27(c):
    p = c["posted"]
    xcrun_err = ("xcrun: error: invalid active developer path (/Library/Developer/CommandLineTools), "
                 "missing xcrun at: /Library/Developer/CommandLineTools/usr/bin/xcrun\n")
    go_bin = "/usr/local/go/bin/go"
    env_json, filled = fill_go_env({}, "go1.21.5", "darwin", "arm64", "/Users/$USER", "/usr/local/go")
    return {
        "notes": [
            filled,
            "POSTED (QuilibriumNetwork/monorepo#73): go1.21.5 darwin/arm64 on an M1; building "
            "runtime/cgo fails with 'xcrun: error: invalid active developer path "
            "(/Library/Developer/CommandLineTools), missing xcrun at: …/usr/bin/xcrun'. Answer: "
            "'an xcode installation-specific issue … a correctly specified developer path (via "
            "xcode-select)'.",
            "FILLED: `xcode-select -p` prints /Library/Developer/CommandLineTools (the active "
            "developer path the error names); `xcrun --show-sdk-path` fails with the posted xcrun "
            "error, which the /usr/bin/xcrun shim prints for any invocation when the selected "
            "developer dir lacks xcrun.",
            "FILLED: go version_output from the posted 'go1.21.5 darwin/arm64'; go path not posted.",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "unknown (not posted)", "Apple M1",
                       go_facts(go_bin, "go version go1.21.5 darwin/arm64", env_json)),
        "probes": [
            env("PATH", "/usr/local/go/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            which("go", [go_bin], "MADE UP: go path not posted"),
            which("clang", ["/usr/bin/clang"], "FILLED: the /usr/bin shim (present on every macOS)"),
            exec_(["xcode-select", "-p"], 0, "/Library/Developer/CommandLineTools\n", "",
                  "FILLED: the developer path named in the posted error"),
            exec_(["xcrun", "--show-sdk-path"], 1, "", xcrun_err, "FILLED: the posted xcrun error (see notes)"),
        ],
    }


case(
    nn=27, slug="m1-cgo-xcrun-invalid-developer-path", cls="cgo and Xcode/CLT",
    url="https://github.com/QuilibriumNetwork/monorepo/issues/73",
    posted=POSTED_QUIL_73, build=build_27,
    check="cgo.xcode", status="fail",
    cause="The active developer directory (Command Line Tools) is broken or missing xcrun, so every "
          "cgo build fails in runtime/cgo.",
    fix="Reinstall / reselect the Command Line Tools (`xcode-select --install`, or `xcode-select "
        "-s`).",
    fix_key="xcode-select",
)

# 30 ---------------------------------------------------------------------------------------
POSTED_PUREGO_482 = {
    "go version": "Go 1.20.x through 1.23.x (reproduced with go1.20.14, go1.22.12 and go1.23.11 on darwin/arm64)",
    "platform": "Locally, on macOS 26.5 (arm64):",
    "error": "dyld[9810]: missing LC_UUID load command in /var/folders/.../b001/purego.test\ndyld[9810]: missing LC_UUID load command\nsignal: abort trap",
    "fix (ebitengine/purego#483)": "use macos-15 instead of macos-latest",
}


def build_30(c):
    go_bin = "/opt/homebrew/bin/go"
    env_json, filled = fill_go_env({}, "go1.22.12", "darwin", "arm64", "/Users/$USER",
                                   "/opt/homebrew/Cellar/go/1.22.12/libexec")
    return {
        "notes": [
            filled,
            "POSTED (ebitengine/purego#482): on macOS 26.5 (arm64), test binaries built by "
            "go1.20.14, go1.22.12 and go1.23.11 (darwin/arm64) abort with 'dyld[9810]: missing "
            "LC_UUID load command'. #483 measured go1.25.7/1.26.5 binaries have LC_UUID.",
            "FILLED: facts.go.version_output `go version go1.22.12 darwin/arm64` (one of the posted "
            "versions, in `go version` form); the go path (not posted).",
            MADE_UP_NATIVE,
        ],
        "facts": facts(*MAC_ARM_NATIVE, "26.5", None,
                       go_facts(go_bin, "go version go1.22.12 darwin/arm64", env_json)),
        "probes": [
            {"probe": "sysctl", "name": "hw.optional.arm64", "result": {"ok": "1"},
             "source": "FILLED: macOS 26.5 (arm64) posted"},
            env("PATH", "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin", "MADE UP: PATH not posted"),
            which("go", [go_bin], "MADE UP: go path not posted"),
        ],
    }


case(
    nn=30, slug="macos26-go1.22-test-binary-missing-lc-uuid", cls="new-macOS breakage",
    url="https://github.com/ebitengine/purego/issues/482",
    posted=POSTED_PUREGO_482, build=build_30,
    check="toolchain.lc-uuid-go", status="fail",
    cause="Go 1.20–1.23's internal linker emits no LC_UUID; macOS 26 dyld aborts such test binaries.",
    fix="Go >= 1.24 (the thread measured go1.25/1.26 binaries carry LC_UUID), or "
        "-ldflags=-linkmode=external; CI pinned macos-15 meanwhile.",
    fix_key="1.24",
)

# --------------------------------------------------------------------------------------------
# cases whose decisive output is missing (listed, never invented)

NOT_REPLAYABLE = [
    dict(nn=6, slug="yggdrasil-m1-x86-go", cls="wrong-architecture Go / Rosetta",
         url="https://github.com/yggdrasil-network/yggdrasil-go/issues/793",
         missing="No `go version`/`go env`/`file` output: only 'I was on the x86_64 version' (fixed "
                 "by installing the arm64 Go)."),
    dict(nn=7, slug="cog-official-installer-amd64", cls="wrong-architecture Go / Rosetta",
         url="https://github.com/replicate/cog/issues/244",
         missing="Only a paraphrase ('the output was `AMD64`') of `go env GOARCH`; no go version, "
                 "path or binary header."),
    dict(nn=12, slug="brew-mixed-go-versions-compile-mismatch", cls="exported/persisted variables",
         url="https://github.com/golang/go/issues/22814",
         missing="`go version` (go1.9.2 darwin/amd64) and the error are posted, but not GOROOT, "
                 "`go env` or which go, the decisive values for the mixed-installation cause."),
    dict(nn=13, slug="koperator-goproxy-gosumdb", cls="checksum database and proxy",
         url="https://github.com/banzaicloud/koperator/issues/524",
         missing="'caused by Go GOPROXY and GOSUMDB ENV' — the values were never posted."),
    dict(nn=14, slug="asdf-golang-global-ignored", cls="version managers and shims",
         url="https://github.com/asdf-community/asdf-golang/issues/22",
         missing="`go version` and the compile/tool version mismatch are posted, but no PATH, "
                 "`which go` or GOROOT, and the stored excerpt does not show the resolution."),
    dict(nn=16, slug="gobrew-goroot-not-switched", cls="version managers and shims",
         url="https://github.com/kevincobain2000/gobrew/issues/56",
         missing="Steps only; no go env / which go output."),
    dict(nn=22, slug="dapr-go-1.23-toolchain-not-available", cls="toolchain switching",
         url="https://github.com/dapr/components-contrib/issues/3545",
         missing="Only the error; the local `go version` and the go.mod line are not posted."),
    dict(nn=28, slug="docx2md-xcrun-catalina", cls="cgo and Xcode/CLT",
         url="https://github.com/mattn/docx2md/issues/1",
         missing="The xcrun error came from git during `go get`; no go version/env posted."),
    dict(nn=31, slug="ginkgo-1.16.5-missing-lc-uuid", cls="new-macOS breakage",
         url="https://github.com/onsi/ginkgo/issues/1612",
         missing="The failing binary (GOBIN's ginkgo 1.16.5) and its Go version/build info are not "
                 "posted; the LC_UUID scan needs the file itself."),
    dict(nn=32, slug="aistat-release-binaries-lc-uuid", cls="new-macOS breakage",
         url="https://github.com/drogers0/aistat/issues/38",
         missing="Only `otool -l … | grep -c LC_UUID` counts (0 and 1) are posted, not the binaries."),
    dict(nn=33, slug="mac2mqtt-outdated-go", cls="new-macOS breakage",
         url="https://github.com/ironcrafter54/mac2mqtt/issues/14",
         missing="'due to an outdated version of Go' — which version is not posted."),
    dict(nn=34, slug="go1-bench-noise-arm64-linux", cls="benchmark noise",
         url="https://github.com/golang/go/issues/22348",
         missing="Benchmark deltas only; no machine state (frequency governor, load, thermal) posted."),
    dict(nn=35, slug="macos-arm64-thermal-throttling-rebench", cls="benchmark noise",
         url="https://github.com/mochilang/mochi/pull/21872",
         missing="Thermal throttling is inferred from re-run medians; no thermal/power state output "
                 "(pmset -g therm, powermetrics) is posted."),
]


def main():
    verdicts = []
    for c in CASES:
        built = c["build"](c)
        snap = {
            "format": "gohost-snapshot",
            "version": 1,
            "created_by": "tests/field/gen.py",
            "redacted": {"home": "$HOME", "user": "$USER"},
            "notes": [f"FIELD CASE {c['nn']:02d}: {c['url']}"] + built["notes"],
            "facts": built["facts"],
            "probes": built["probes"],
        }
        if built["facts"]["os"] == "macos":
            # The /usr/bin compiler shims exist on every macOS, with or without the Command Line
            # Tools (they then offer to install them); without these lookups the replay would
            # claim "clang not found", which no reporter said.
            have = {(p["probe"], p.get("name")) for p in built["probes"]}
            for cc in ("clang", "cc"):
                if ("which", cc) not in have:
                    built["probes"].append(which(cc, [f"/usr/bin/{cc}"],
                                                 f"FILLED: /usr/bin/{cc}, the shim on every macOS"))
        name = f"{c['nn']:02d}-{c['slug']}.json"
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(snap, f, indent=1, sort_keys=False)
            f.write("\n")
        verdicts.append({
            "id": f"{c['nn']:02d}-{c['slug']}",
            "snapshot": name,
            "class": c["cls"],
            "url": c["url"],
            "check": c["check"],
            "status": c["status"],
            "cause": c["cause"],
            "fix": c["fix"],
            "fix_key": c["fix_key"],
            "posted": c["posted"],
        })
    out = {
        "about": "Field corpus verdicts (generated by gen.py; see README.md). `check`/`status` are what "
                 "a correct tool gives; `fix_key` is a string the remediation must mention.",
        "cases": verdicts,
        "not_replayable": [
            {"id": f"{n['nn']:02d}-{n['slug']}", "class": n["cls"], "url": n["url"], "missing": n["missing"]}
            for n in NOT_REPLAYABLE
        ],
    }
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(CASES)} snapshots, {len(NOT_REPLAYABLE)} not replayable")


if __name__ == "__main__":
    main()

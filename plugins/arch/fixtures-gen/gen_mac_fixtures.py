#!/usr/bin/env python3
"""Build the macOS replay fixtures tests/replay/mac-*.json from the real captures in
../shared/fixtures/macos (nothing retyped: every captured value is read from its file here).

Values no capture has are added explicitly below with made_up(...), and each one is listed in
the fixture's `notes`. Re-run after changing: python3 plugins/arch/fixtures-gen/gen_mac_fixtures.py
"""
import json
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CAPTURES = os.environ.get("GOHOST_MAC_CAPTURES") or os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "macos")
OUT = os.environ.get("GOHOST_FIXTURES_OUT") or os.path.join(ROOT, "tests", "replay")

# The feature sysctls arch.goarm64 asks for (plugins/arch/src/goarm64.rs MANDATORY + legacy names).
FEATURES = ["FEAT_CRC32", "FEAT_LSE", "FEAT_RDM", "FEAT_DPB", "FEAT_FCMA", "FEAT_JSCVT", "FEAT_LRCPC",
            "FEAT_PAuth", "FEAT_DIT", "FEAT_DotProd", "FEAT_FHM", "FEAT_FlagM", "FEAT_LRCPC2", "FEAT_LSE2",
            "FEAT_CSV2", "FEAT_CSV3", "FEAT_DPB2", "FEAT_FlagM2", "FEAT_FRINTTS", "FEAT_SB", "FEAT_SPECRES",
            "FEAT_BTI", "FEAT_SSBS",
            "FEAT_BF16", "FEAT_ECV", "FEAT_I8MM", "FEAT_PAuth2", "FEAT_AFP", "FEAT_WFxT", "FEAT_HBC"]
LEGACY = ["armv8_crc32", "armv8_1_atomics", "armv8_2_fhm", "armv8_3_compnum"]


def read(name):
    with open(os.path.join(CAPTURES, name), encoding="utf-8") as f:
        return f.read()


def sysctl_dump(name):
    """`name: value` lines of a `sysctl hw [machdep]` capture."""
    values = {}
    for line in read(name).splitlines():
        m = re.match(r"^([a-z][\w.]*): (.*)$", line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


def command_output(name, command, until_blank=False):
    """The output lines following the `$ command` / `% command` line (up to the next prompt;
    for captures whose commands have no prompt, up to the next blank line)."""
    lines = read(name).splitlines()
    out, on = [], False
    for line in lines:
        stripped = line.strip()
        if on and (stripped.startswith("$ ") or stripped.startswith("% ") or (until_blank and not stripped)):
            break
        if on:
            out.append(line)
        if stripped.lstrip("$% ").strip() == command:
            on = True
    if not on:
        sys.exit(f"{name}: no `{command}` section")
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n"


def go_env_json(name, truncated=False):
    """`go env` (KEY="value" lines) as the object `go env -json` prints. A TRUNCATED capture's
    last, cut-off line has no closing quote and is dropped."""
    env = {}
    for line in read(name).splitlines():
        m = re.match(r'^([A-Z][A-Z0-9_]*)="(.*)"$', line)
        if m:
            env[m.group(1)] = m.group(2)
    return json.dumps(env, indent=1, sort_keys=True)


def macho_header_from_file_output(name):
    """A minimal mach_header_64 carrying the cputype that `file` reported in the capture."""
    text = read(name)
    if "Mach-O 64-bit executable arm64" in text:
        cputype = 0x0100000C
    elif "Mach-O 64-bit executable x86_64" in text:
        cputype = 0x01000007
    else:
        sys.exit(f"{name}: no Mach-O line")
    # magic, cputype, cpusubtype, filetype MH_EXECUTE, ncmds, sizeofcmds, flags, reserved
    return struct.pack("<IiiIIIII", 0xFEEDFACF, cputype, 0, 2, 0, 0, 0, 0)


def ok_exec(argv, stdout, code=0, stderr="", source=None):
    rec = {"probe": "exec", "argv": argv, "result": {"ok": {
        "exit": {"code": code, "signal": None, "timed_out": False},
        "stdout": stdout, "stderr": stderr, "truncated": False}}}
    if source:
        rec["source"] = source
    return rec


def sysctl_ok(name, value, source):
    return {"probe": "sysctl", "name": name, "result": {"ok": value}, "source": source}


def sysctl_missing(name, source):
    return {"probe": "sysctl", "name": name,
            "result": {"err": {"kind": "not-found", "message": f"sysctl: unknown oid '{name}'"}},
            "source": source}


def feature_probes(dump, dump_name):
    probes = []
    for feat in FEATURES:
        key = f"hw.optional.arm.{feat}"
        if key in dump:
            probes.append(sysctl_ok(key, dump[key], f"{dump_name}: `{key}: {dump[key]}`"))
        else:
            probes.append(sysctl_missing(key, f"{dump_name}: absent from the full `sysctl hw` dump"))
    for legacy in LEGACY:
        key = f"hw.optional.{legacy}"
        if key in dump:
            probes.append(sysctl_ok(key, dump[key], f"{dump_name}: `{key}: {dump[key]}`"))
    return probes


def file_info(path, kind="file", canonical=None, link_target=None, size=0, mode=0o755, source=None):
    rec = {"probe": "file_info", "path": path, "result": {"ok": {
        "kind": kind, "size": size, "mode": mode, "uid": 0,
        "link_target": link_target, "canonical": canonical or path}}}
    if source:
        rec["source"] = source
    return rec


def not_found(probe, path, source):
    return {"probe": probe, "path": path,
            "result": {"err": {"kind": "not-found", "message": f"{path}: No such file or directory"}},
            "source": source}


def binary_file(path, data, source):
    import base64
    return {"probe": "read_file", "path": path, "result": {"ok": {"base64": base64.b64encode(data).decode()}},
            "source": source}


def snapshot(notes, facts, probes):
    return {"format": "gohost-snapshot", "version": 1, "created_by": "plugins/arch/fixtures-gen/gen_mac_fixtures.py",
            "redacted": {"home": "$HOME", "user": "$USER"}, "notes": notes, "facts": facts, "probes": probes}


def ps_table(rows):
    """`sh -c 'echo $PPID; exec ps -A -o pid=,ppid=,flags=,comm='` output."""
    return rows[0] + "\n" + "".join(f"{pid:>5} {ppid:>5} {flags:>8} {comm}\n" for pid, ppid, flags, comm in rows[1:])


PS_ARGV = ["/bin/sh", "-c", "echo $PPID; exec ps -A -o pid=,ppid=,flags=,comm="]
MADE_UP_PS = ("MADE UP (no capture of `ps -o flags` exists): the parent-process table; flags are plausible "
              "hex p_flag values, with P_TRANSLATED (0x20000) set only where the scenario says a process is translated.")


def m1_native():
    dump_name = "m1-sysctl-hw.txt"
    dump = sysctl_dump(dump_name)
    translated = command_output("m1-sysctl-proc-translated-arch-both.txt", "arch -arm64 sysctl sysctl.proc_translated")
    uname = command_output("m1-native-uname-m-go-version-arm64.txt", "uname -m").strip()
    env_json = go_env_json("go-env-homebrew-go1.20.6-cgo-disabled.txt")
    env = json.loads(env_json)
    goroot = env["GOROOT"]
    go_bin = goroot + "/bin/go"
    header = macho_header_from_file_output("applesilicon-file-go-binary-arm64.txt")
    notes = [
        "Apple M1 running natively. hw.* sysctls: m1-sysctl-hw.txt (MacBook Air M1, macOS 12 era); "
        "sysctl.proc_translated 0: m1-sysctl-proc-translated-arch-both.txt (`arch -arm64` line); "
        "uname -m: m1-native-uname-m-go-version-arm64.txt.",
        "Go: go-env-homebrew-go1.20.6-cgo-disabled.txt (Homebrew Go 1.20.6, darwin/arm64, CC=cc, CGO_ENABLED=0), "
        "converted from `go env` text to the `go env -json` object; a different M1 than the sysctl dump.",
        "DERIVED: facts.go.version_output `go version go1.20.6 darwin/arm64` from that capture's GOVERSION/GOOS/GOARCH.",
        "SYNTHESIZED: the go binary's header bytes are a minimal mach_header_64 with the cputype `file` reported in "
        "applesilicon-file-go-binary-arm64.txt (another Apple Silicon Mac).",
        "MADE UP: facts.os_version `12`, facts.process_arch aarch64 (a native gohost), PATH, the Homebrew symlink "
        "/opt/homebrew/bin/go -> " + go_bin + " (Homebrew's layout for the captured GOROOT), no go env file, "
        "no `cc` on PATH (consistent with the capture's CGO_ENABLED=0 under Go 1.20's no-C-compiler rule), "
        "Rosetta not installed, and the parent-process table.",
        MADE_UP_PS,
    ]
    facts = {"os": "macos", "process_arch": "aarch64", "machine": uname, "os_version": "12",
             "translation": "native", "translation_evidence": "sysctl.proc_translated: 0",
             "chip": "Apple M1",
             "go": {"path": "/opt/homebrew/bin/go", "version_output": f"go version {env['GOVERSION']} {env['GOOS']}/{env['GOARCH']}",
                    "env_json": env_json, "problem": None}}
    probes = [sysctl_ok("sysctl.proc_translated", translated.split(":")[1].strip(),
                        "m1-sysctl-proc-translated-arch-both.txt (arch -arm64)"),
              sysctl_ok("hw.optional.arm64", dump["hw.optional.arm64"], f"{dump_name}")]
    probes += feature_probes(dump, dump_name)
    probes += [
        ok_exec(PS_ARGV, ps_table(["812", ("812", "640", "4004", "/usr/local/bin/gohost"),
                                   ("640", "639", "4004", "-zsh"),
                                   ("639", "601", "4104", "login"),
                                   ("601", "1", "4004", "/System/Applications/Utilities/Terminal.app/Contents/MacOS/Terminal"),
                                   ("1", "0", "4004", "/sbin/launchd")]), source="MADE UP: see notes"),
        not_found("file_info", "/Library/Apple/usr/libexec/oah/libRosettaRuntime", "MADE UP: Rosetta not installed"),
        {"probe": "env", "name": "GOARM64", "value": None, "source": "MADE UP: unset"},
        {"probe": "env", "name": "PATH", "value": "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin", "source": "MADE UP"},
        {"probe": "which", "name": "go", "found": ["/opt/homebrew/bin/go"], "source": "MADE UP: Homebrew symlink"},
        file_info("/opt/homebrew/bin/go", kind="symlink", link_target="../Cellar/go/1.20.6/bin/go", canonical=go_bin,
                  source="MADE UP: Homebrew symlink layout for the captured GOROOT"),
        file_info(go_bin, source="MADE UP"),
        binary_file(go_bin, header, "SYNTHESIZED from applesilicon-file-go-binary-arm64.txt"),
        not_found("read_file", env["GOENV"], "MADE UP: no go env file"),
        {"probe": "which", "name": "cc", "found": [], "source": "MADE UP: consistent with CGO_ENABLED=0 (no C compiler)"},
        {"probe": "which", "name": "clang", "found": [], "source": "MADE UP: no Command Line Tools"},
        ok_exec(["xcode-select", "-p"], "", code=2,
                source="MADE UP: exit status only (no capture of the failure text); no developer tools, consistent with CGO_ENABLED=0"),
    ]
    return snapshot(notes, facts, probes)


def m1_rosetta():
    dump_name = "m1-rosetta-monterey-sysctl-hw-machdep.txt"
    dump = sysctl_dump(dump_name)
    translated = command_output("m1-sysctl-proc-translated-arch-both.txt", "arch -x86_64 sysctl sysctl.proc_translated")
    version = command_output("m1-rosetta-go-version-go116-amd64.txt", "go version").strip()
    env_json = go_env_json("m1-rosetta-go-env-amd64-go116-TRUNCATED.txt", truncated=True)
    env = json.loads(env_json)
    go_bin = env["GOROOT"] + "/bin/go"
    header = macho_header_from_file_output("applesilicon-file-go-binary-x86_64.txt")
    notes = [
        "Apple M1 (Mac mini, macOS 12) with this process translated by Rosetta 2. hw.*/machdep.* sysctls: "
        "m1-rosetta-monterey-sysctl-hw-machdep.txt (x86 view of the CPU; hw.optional.arm64 and FEAT_* of the real M1); "
        "sysctl.proc_translated 1: m1-sysctl-proc-translated-arch-both.txt (`arch -x86_64` line).",
        "Go: Intel Homebrew Go 1.16 under Rosetta: `go version` from m1-rosetta-go-version-go116-amd64.txt, `go env` from "
        "m1-rosetta-go-env-amd64-go116-TRUNCATED.txt converted to the -json object; its last line (GOGCCFLAGS) is cut off "
        "in the capture and is dropped. `[name]` is the capture author's redaction.",
        "SYNTHESIZED: the go binary's header is a minimal mach_header_64 with the x86_64 cputype `file` reported in "
        "applesilicon-file-go-binary-x86_64.txt (another Apple Silicon Mac).",
        "FACT (FACTS.md): under Rosetta `uname -m` prints x86_64, so facts.machine is x86_64; facts.process_arch x86_64 "
        "(an x86_64 gohost, the only way this process can be translated).",
        "MADE UP: facts.os_version `12`, PATH, the Homebrew symlink /usr/local/bin/go -> " + go_bin + ", no go env file, "
        "and the parent-process table (the login shell runs translated too). The Rosetta runtime exists (it must, since "
        "this process is translated).",
        MADE_UP_PS,
    ]
    facts = {"os": "macos", "process_arch": "x86_64", "machine": "x86_64", "os_version": "12",
             "translation": "rosetta", "translation_evidence": "sysctl.proc_translated: 1",
             "chip": dump.get("machdep.cpu.brand_string"),
             "go": {"path": "/usr/local/bin/go", "version_output": version, "env_json": env_json, "problem": None}}
    probes = [sysctl_ok("sysctl.proc_translated", translated.split(":")[1].strip(),
                        "m1-sysctl-proc-translated-arch-both.txt (arch -x86_64)"),
              sysctl_ok("hw.optional.arm64", dump["hw.optional.arm64"], dump_name)]
    probes += feature_probes(dump, dump_name)
    probes += [
        ok_exec(PS_ARGV, ps_table(["955", ("955", "902", "24004", "/usr/local/bin/gohost"),
                                   ("902", "901", "24004", "-zsh"),
                                   ("901", "880", "4104", "login"),
                                   ("880", "1", "4004", "/System/Applications/Utilities/Terminal.app/Contents/MacOS/Terminal"),
                                   ("1", "0", "4004", "/sbin/launchd")]), source="MADE UP: see notes"),
        file_info("/Library/Apple/usr/libexec/oah/libRosettaRuntime", size=0, mode=0o644,
                  source="DERIVED: Rosetta must be installed for sysctl.proc_translated to be 1"),
        {"probe": "env", "name": "GOARM64", "value": None, "source": "MADE UP: unset"},
        {"probe": "env", "name": "PATH", "value": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "source": "MADE UP"},
        {"probe": "which", "name": "go", "found": ["/usr/local/bin/go"], "source": "MADE UP: Intel Homebrew symlink"},
        file_info("/usr/local/bin/go", kind="symlink", link_target="../Cellar/go/1.16/bin/go", canonical=go_bin,
                  source="MADE UP: Homebrew symlink layout for the captured GOROOT"),
        file_info(go_bin, source="MADE UP"),
        binary_file(go_bin, header, "SYNTHESIZED from applesilicon-file-go-binary-x86_64.txt"),
        not_found("read_file", env["GOENV"], "MADE UP: no go env file"),
        {"probe": "which", "name": "clang", "found": ["/usr/bin/clang"], "source": "MADE UP: the captured CC=clang resolves to Apple's /usr/bin/clang"},
    ]
    return snapshot(notes, facts, probes)


def applesilicon_xcode():
    name = "applesilicon-xcode-xcrun-clang-arm64-darwin22.txt"
    sdk = command_output(name, "xcrun --show-sdk-path", until_blank=True)
    dev = command_output(name, "xcode-select -p", until_blank=True)
    clang = command_output(name, "clang --version", until_blank=True)
    triple = re.search(r"^Target: (\S+)$", clang, re.M).group(1)
    notes = [
        "Apple Silicon, macOS 13.3, full Xcode (Apple clang 14.0.3): `xcrun --show-sdk-path`, `xcode-select -p` and "
        "`clang --version` from " + name + " (wlav/cppyy issue #150).",
        "DERIVED: `clang -dumpmachine` answers the `Target:` line of that capture's `clang --version` (" + triple + ").",
        "MADE UP: facts.os_version 13.3 is from the capture's description; no go on PATH (this fixture exercises the "
        "Xcode/SDK path only); `xcodebuild -license check` is not recorded.",
    ]
    facts = {"os": "macos", "process_arch": "aarch64", "machine": "arm64", "os_version": "13.3",
             "translation": "native", "translation_evidence": "MADE UP: native", "chip": None, "go": None}
    probes = [
        ok_exec(["xcode-select", "-p"], dev, source=name),
        ok_exec(["xcrun", "--show-sdk-path"], sdk, source=name),
        ok_exec(["/usr/bin/clang", "--version"], clang, source=name),
        ok_exec(["/usr/bin/clang", "-dumpmachine"], triple + "\n", source="DERIVED from " + name),
        {"probe": "which", "name": "clang", "found": ["/usr/bin/clang"], "source": "MADE UP"},
        sysctl_ok("hw.optional.arm64", "1", "MADE UP: consistent with the capture's arm64 target"),
    ]
    return snapshot(notes, facts, probes)


def intel():
    name = "intel-macos12-sysctl-cpu.txt"
    brand = command_output(name, "sysctl machdep.cpu.brand_string").split(":", 1)[1].strip()
    sw_vers = command_output(name, "sw_vers")
    version = re.search(r"ProductVersion:\s*(\S+)", sw_vers).group(1)
    unknown = read("intel-sysctl-proc-translated-unknown-oid.txt")
    assert "unknown oid 'sysctl.proc_translated'" in unknown
    notes = [
        "Intel macOS 12.6 (21G115) on an Intel Core i5-10400: sw_vers and machdep.cpu.brand_string from "
        "intel-macos12-sysctl-cpu.txt; sysctl.proc_translated is an unknown oid: intel-sysctl-proc-translated-unknown-oid.txt "
        "(another Intel Mac).",
        "hw.optional.arm64 absent: fixtures/README.md notes that machine has no hw.optional.arm64 (the capture itself "
        "only greps parts of `sysctl -a`).",
        "FACT: uname -m on an Intel Mac is x86_64. MADE UP: no go on PATH, PATH itself, and the parent-process table.",
        MADE_UP_PS,
    ]
    facts = {"os": "macos", "process_arch": "x86_64", "machine": "x86_64", "os_version": version,
             "translation": "native", "translation_evidence": "sysctl.proc_translated: unknown oid (Intel)",
             "chip": brand, "go": None}
    probes = [
        sysctl_missing("sysctl.proc_translated", "intel-sysctl-proc-translated-unknown-oid.txt"),
        sysctl_missing("hw.optional.arm64", "fixtures/README.md: no hw.optional.arm64 on intel-macos12"),
        ok_exec(PS_ARGV, ps_table(["501", ("501", "470", "4004", "/usr/local/bin/gohost"),
                                   ("470", "469", "4004", "-bash"),
                                   ("469", "450", "4104", "login"),
                                   ("450", "1", "4004", "/System/Applications/Utilities/Terminal.app/Contents/MacOS/Terminal"),
                                   ("1", "0", "4004", "/sbin/launchd")]), source="MADE UP: see notes"),
        {"probe": "env", "name": "PATH", "value": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "source": "MADE UP"},
        {"probe": "which", "name": "go", "found": [], "source": "MADE UP: Go not installed"},
    ]
    return snapshot(notes, facts, probes)


def main():
    os.makedirs(OUT, exist_ok=True)
    for file, build in [("mac-m1-native.json", m1_native), ("mac-m1-rosetta.json", m1_rosetta),
                        ("mac-intel.json", intel), ("mac-applesilicon-xcode.json", applesilicon_xcode)]:
        with open(os.path.join(OUT, file), "w", encoding="utf-8") as f:
            json.dump(build(), f, indent=1)
            f.write("\n")
        print("wrote", os.path.join(OUT, file))


if __name__ == "__main__":
    main()

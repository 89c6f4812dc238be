#!/usr/bin/env python3
"""Build the hw-*.json replay snapshots (powermetrics, ane, scheduler plugins) from the real
captured Mac outputs in ../shared/fixtures/macos. Nothing is retyped: every probe answer is read
from a capture file here; a value no capture has is marked MADE UP in the snapshot's notes and
in the probe's `source`.

Usage: python3 tests/replay/hw-fixtures.py [--check]
  --check: do not write; exit 1 when a committed hw-*.json differs from what this script builds.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
CAPS = os.environ.get(
    "GOHOST_MAC_FIXTURES",
    os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "macos")),
)
REL = "shared/fixtures/macos/"


def cap(name):
    with open(os.path.join(CAPS, name), encoding="utf-8") as f:
        return f.read()


def ok_exec(argv, stdout, source, code=0):
    return {
        "probe": "exec",
        "argv": argv,
        "result": {"ok": {"exit": {"code": code, "signal": None, "timed_out": False},
                          "stdout": stdout, "stderr": "", "truncated": False}},
        "source": source,
    }


def sysctl(name, value, source):
    return {"probe": "sysctl", "name": name, "result": {"ok": value}, "source": source}


def sysctl_missing(name, source):
    return {"probe": "sysctl", "name": name,
            "result": {"err": {"kind": "not-found", "message": f"sysctl: unknown oid '{name}'"}},
            "source": source}


SYSCTL_LINE = re.compile(r"^([a-z][A-Za-z0-9_.]*): (.*)$")


def sysctl_dump(name, prefixes=("hw.", "machdep.", "kern.")):
    """Every `key: value` line of a `sysctl` dump (first occurrence wins; duplicates must agree)."""
    seen = {}
    for line in cap(name).splitlines():
        m = SYSCTL_LINE.match(line)
        if not m or not m.group(1).startswith(prefixes):
            continue
        key, value = m.group(1), m.group(2)
        # m1pro-sysctl-cpu-cache.txt: its author appended `#   <------ L1` notes to two lines.
        value = re.sub(r"\s+#\s+<-+.*$", "", value)
        if key in seen:
            assert seen[key] == value, f"{name}: {key} disagrees: {seen[key]!r} vs {value!r}"
            continue
        seen[key] = value
    return [sysctl(k, v, REL + name) for k, v in seen.items()]


def strip_prompt(text, prompt_re):
    """Drop the shell prompt/command line the capture's author kept above the output."""
    lines = text.split("\n")
    assert re.match(prompt_re, lines[0]), (prompt_re, lines[0])
    return "\n".join(lines[1:])


def facts(os_name, machine, chip, os_version="", arch=None, translation="native", evidence=""):
    return {
        "os": os_name,
        "process_arch": arch or ("aarch64" if machine == "arm64" else "x86_64"),
        "machine": machine,
        "os_version": os_version,
        "translation": translation,
        "translation_evidence": evidence,
        "chip": chip,
        "go": None,
    }


def snapshot(notes, fx, probes):
    return {
        "format": "gohost-snapshot",
        "version": 1,
        "created_by": "tests/replay/hw-fixtures.py",
        "redacted": {},
        "notes": notes,
        "facts": fx,
        "probes": probes,
    }


def brand(name):
    for line in cap(name).splitlines():
        if line.startswith("machdep.cpu.brand_string: "):
            return line.split(": ", 1)[1]
    raise SystemExit(f"{name}: no brand string")


# --- the captures, as a probe would answer -------------------------------------------------

def pmset_therm_m1pro():
    return ok_exec(["pmset", "-g", "therm"],
                   strip_prompt(cap("m1pro-pmset-g-therm.txt"), r"^~ % pmset -g therm$"),
                   REL + "m1pro-pmset-g-therm.txt (prompt line `~ % pmset -g therm` dropped)")


def pmset_therm_intel():
    return ok_exec(["pmset", "-g", "therm"],
                   strip_prompt(cap("intel-12cpu-pmset-g-therm.txt"), r"^\$ pmset -g therm$"),
                   REL + "intel-12cpu-pmset-g-therm.txt (command line `$ pmset -g therm` dropped)")


def pmset_g(low_power=None):
    text = strip_prompt(cap("applesilicon-mbp-pmset-g.txt"), r"^arm64 .* % pmset -g\s*$")
    # The commenter wrapped this line in `**…**` (markdown bold): strip it (fixtures README).
    text = text.replace(" **lowpowermode         0**", " lowpowermode         0")
    source = REL + "applesilicon-mbp-pmset-g.txt (prompt line dropped, markdown ** around lowpowermode stripped)"
    if low_power is not None:
        assert " lowpowermode         0\n" in text
        text = text.replace(" lowpowermode         0\n", f" lowpowermode         {low_power}\n")
        source += f"; MADE UP: lowpowermode changed from 0 to {low_power}"
    return ok_exec(["pmset", "-g"], text, source)


def pmset_batt():
    return ok_exec(["pmset", "-g", "batt"],
                   strip_prompt(cap("m1-mbp-pmset-g-batt.txt"), r"^pmset -g batt$"),
                   REL + "m1-mbp-pmset-g-batt.txt (command line dropped)")


def vm_stat():
    return ok_exec(["vm_stat"], cap("macmini-32gb-applesilicon-vm_stat.txt"),
                   REL + "macmini-32gb-applesilicon-vm_stat.txt")


def memory_pressure():
    return ok_exec(["memory_pressure"], cap("macmini-32gb-applesilicon-memory_pressure.txt"),
                   REL + "macmini-32gb-applesilicon-memory_pressure.txt")


def swapusage():
    line = cap("intel-era-de-locale-sysctl-vm-swapusage.txt").strip()
    prefix = "vm.swapusage: "
    assert line.startswith(prefix)
    return sysctl("vm.swapusage", line[len(prefix):],
                  REL + "intel-era-de-locale-sysctl-vm-swapusage.txt (`vm.swapusage: ` name prefix dropped: sysctl -n form)")


# gohost runs these by absolute path with a cleared environment but for PATH (issue 20 item 10):
# the request's env and clear_env are part of a snapshot's key.
MINIMAL_ENV = [{"name": "PATH", "value": "/usr/bin:/bin:/usr/sbin:/sbin"}]
POWERMETRICS_ARGV = ["/usr/bin/powermetrics", "-n", "1", "-i", "200", "--samplers",
                     "cpu_power,gpu_power,ane_power,thermal", "-f", "plist"]
IOREG_ARGV = ["ioreg", "-l", "-r", "-c", "H11ANEIn"]


def minimal_env(record):
    record["env"] = MINIMAL_ENV
    record["clear_env"] = True
    return record


def id_u(uid, why):
    return minimal_env(ok_exec(["/usr/bin/id", "-u"], f"{uid}\n", f"MADE UP: {why}"))


AT_REST_NOTES = [
    "A COMPOSITE Apple Silicon machine at rest: each probe answer is a real capture, but from "
    "different Macs (see each probe's source).",
    "pmset -g therm: M1 Pro MacBook Pro 14, macOS 12.1 (exelban/stats #749). pmset -g: an Apple "
    "Silicon MacBook Pro 2022 (AlDente #603). pmset -g batt: an M1 MacBook Pro, macOS 11 (AlDente "
    "#52). vm_stat and memory_pressure: one Mac mini 32 GiB, same minute. vm.swapusage: the only "
    "capture is from an Intel Mac (2018) in a comma-decimal locale (powerlevel9k #1108).",
    "facts.chip `Apple M1 Pro` and hw.* sysctls: m1pro-sysctl-cpu-cache.txt (`sysctl -a | grep "
    "cpu`, so hw.nperflevels is not in it).",
    "MADE UP: facts.os_version (empty), facts.process_arch aarch64, and `id -u` = 501 (a non-root "
    "user; no capture of `id -u` exists).",
]


def applesilicon(low_power=None, root=False):
    notes = list(AT_REST_NOTES)
    probes = [pmset_therm_m1pro(), pmset_g(low_power), pmset_batt(), vm_stat(), memory_pressure(),
              swapusage()] + sysctl_dump("m1pro-sysctl-cpu-cache.txt")
    if low_power is not None:
        notes.append(f"MADE UP: Low Power Mode on — the captured `pmset -g` line `lowpowermode 0` "
                     f"was changed to `lowpowermode {low_power}`; no capture of a Mac in Low Power "
                     "Mode exists.")
    if root:
        notes[-1] = notes[-1].replace("`id -u` = 501 (a non-root user", "`id -u` = 0 (running as root")
        notes.append(
            "powermetrics plist: m1-macbookpro17-1-powermetrics-plist.xml, MacBookPro17,1 (M1), macOS "
            "13.3 (graelo/pumas tests/data). Captured with `--sample-rate N --samplers "
            "cpu_power,gpu_power,thermal -f plist`; recorded here under the argv gohost runs. Its "
            "author re-indented it; it has no NUL separator.")
        probes += [id_u(0, "root, to take the powermetrics path"),
                   minimal_env(ok_exec(POWERMETRICS_ARGV, cap("m1-macbookpro17-1-powermetrics-plist.xml"),
                           REL + "m1-macbookpro17-1-powermetrics-plist.xml (captured with "
                           "`--samplers cpu_power,gpu_power,thermal`)"))]
    else:
        probes.append(id_u(501, "a non-root user"))
    fx = facts("macos", "arm64", "Apple M1 Pro", evidence="MADE UP: native")
    return snapshot(notes, fx, probes)


def m4max():
    name = "m4max-sequoia-sysctl-hw-machdep-perflevel-featarm-sme.txt"
    notes = [
        f"Apple M4 Max (J614c), 12P+4E, 64 GiB, macOS 15: every hw.*/machdep.* line of {name} "
        "(`sysctl hw machdep`, archspec/archspec-json tests/targets/darwin-sequoia-m4).",
        "facts.chip from the capture's machdep.cpu.brand_string. No ioreg capture of this machine: "
        "the ane plugin's ioreg probe is not recorded.",
        "MADE UP: facts.os_version (empty), process_arch aarch64, translation native; no Go in facts.",
    ]
    return snapshot(notes, facts("macos", "arm64", brand(name), evidence="MADE UP: native"),
                    sysctl_dump(name))


def m2():
    name = "m2-monterey-sysctl-hw-machdep-perflevel-featarm.txt"
    notes = [
        f"Apple M2 (J413), 4P+4E, macOS 12: every hw.*/machdep.* line of {name} (archspec "
        "darwin-monterey-m2). No hw.perflevelN.name keys on this macOS.",
        "MADE UP: facts.os_version (empty), process_arch aarch64, translation native; no Go in facts.",
    ]
    return snapshot(notes, facts("macos", "arm64", brand(name), evidence="MADE UP: native"),
                    sysctl_dump(name))


def m2max_ane():
    notes = [
        "Apple M2 Max (T6021) MacBook Pro Mac14,5, macOS 26.6.2: `ioreg` H11ANEIn service from "
        "m2max-macos26-ioreg-H11ANEIn.txt (joshuaswarren/ane-linux-experiments); the capture does "
        "not state its exact command line, recorded here under the argv gohost runs.",
        "DERIVED: facts.chip `Apple M2 Max` from the fixtures README's machine description (no "
        "brand_string capture of this machine).",
        "MADE UP: facts.os_version (empty), process_arch aarch64, translation native.",
    ]
    probes = [ok_exec(IOREG_ARGV, cap("m2max-macos26-ioreg-H11ANEIn.txt"),
                      REL + "m2max-macos26-ioreg-H11ANEIn.txt")]
    return snapshot(notes, facts("macos", "arm64", "Apple M2 Max", evidence="MADE UP: native"),
                    probes)


def intel():
    name = "intel-macos12-sysctl-cpu.txt"
    notes = [
        f"Intel macOS 12.6 (21G115) on a Core i5-10400: the hw.*/machdep.* lines of {name} "
        "(`sysctl -a | grep freq`, machdep.cpu.vendor/brand_string/features). facts.os_version from "
        "its sw_vers output.",
        "COMPOSITE: pmset -g therm from another Intel Mac (12 CPUs, 2021; node_exporter #2031); "
        "vm.swapusage from an Intel Mac (2018) in a comma-decimal locale (powerlevel9k #1108).",
        "MADE UP: hw.nperflevels as an unknown oid (the capture greps only freq/vendor/brand/"
        "features; the fixtures README describes the machine as having no perflevels), hw.ncpu 12, "
        "hw.physicalcpu 6 (Intel's published 6-core/12-thread spec of the i5-10400, not captured), "
        "and `id -u` = 501.",
    ]
    probes = sysctl_dump(name) + [
        sysctl_missing("hw.nperflevels", "MADE UP: see notes"),
        sysctl("hw.ncpu", "12", "MADE UP: see notes"),
        sysctl("hw.physicalcpu", "6", "MADE UP: see notes"),
        pmset_therm_intel(),
        swapusage(),
        id_u(501, "a non-root user"),
    ]
    fx = facts("macos", "x86_64", brand(name), os_version="12.6",
               evidence="MADE UP: sysctl.proc_translated does not exist (Intel)")
    return snapshot(notes, fx, probes)


def m1_rosetta():
    name = "m1-rosetta-monterey-sysctl-hw-machdep.txt"
    notes = [
        f"M1 Mac mini (J274), macOS 12, seen from a Rosetta-translated process: every hw.*/machdep.* "
        f"line of {name} (archspec rossetta2-monterey-core2). hw.cputype 7 and x86 features, but "
        "the perflevel keys and machdep.cpu.brand_string describe the real M1.",
        "MADE UP: facts.os_version (empty); facts.process_arch x86_64, machine x86_64 and translation "
        "rosetta (what a translated gohost would compute; the capture is from a translated process).",
    ]
    fx = facts("macos", "x86_64", brand(name), translation="rosetta",
               evidence="MADE UP: sysctl.proc_translated: 1")
    return snapshot(notes, fx, sysctl_dump(name))


FIXTURES = {
    "hw-m1-rosetta-monterey.json": m1_rosetta,
    "hw-applesilicon-at-rest.json": lambda: applesilicon(),
    "hw-applesilicon-low-power-mode.json": lambda: applesilicon(low_power=1),
    "hw-applesilicon-root-powermetrics.json": lambda: applesilicon(root=True),
    "hw-m4max-sequoia.json": m4max,
    "hw-m2-monterey.json": m2,
    "hw-m2max-ane-ioreg.json": m2max_ane,
    "hw-intel-macos12.json": intel,
}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, build in FIXTURES.items():
        text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("stale (re-run tests/replay/hw-fixtures.py):", ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()

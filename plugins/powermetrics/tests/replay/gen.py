"""Build this plugin's own replay snapshots from the real captures in ../shared/fixtures.

Run from anywhere: python3 plugins/powermetrics/tests/replay/gen.py (--check to verify).
Every answer is a real capture unless its `source` says MADE UP.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPS = os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "fixtures", "macos")
REL = "shared/fixtures/macos/"
# As gohost runs them (issue 20 item 10): absolute paths, cleared environment but for PATH.
MINIMAL_ENV = [{"name": "PATH", "value": "/usr/bin:/bin:/usr/sbin:/sbin"}]
POWERMETRICS_ARGV = ["/usr/bin/powermetrics", "-n", "1", "-i", "200", "--samplers",
                     "cpu_power,gpu_power,ane_power,thermal", "-f", "plist"]


def cap(name):
    with open(os.path.join(CAPS, name), encoding="utf-8") as f:
        return f.read()


def exec_ok(argv, stdout, source):
    return {"probe": "exec", "argv": argv, "env": MINIMAL_ENV, "clear_env": True,
            "result": {"ok": {"exit": {"code": 0, "signal": None, "timed_out": False},
                              "stdout": stdout, "stderr": "", "truncated": False}},
            "source": source}


def m4max_busy():
    name = "m4max-mac16-5-powermetrics-plist-tasks-disk.xml"
    return {
        "format": "gohost-snapshot",
        "version": 1,
        "created_by": "plugins/powermetrics/tests/replay/gen.py",
        "redacted": {},
        "notes": [
            "A busy Apple Silicon Mac: the real powermetrics plist of a Mac16,5 (M4 Max), macOS "
            "26.2, from hluisi/pause-monitor powermetrics-sample.plist @9e6ae1e (shared fixture "
            + name + "). Its thermal_pressure is Nominal, but its clusters' idle_ratio are "
            "E 0.47032, P0 0.27222, P1 0.00237207 (53.0%, 72.8%, 99.8% busy); GPU idle_ratio "
            "0.877343 (12.3% busy).",
            "It was captured with `--samplers cpu_power,gpu_power,thermal,tasks,disk -f plist`; "
            "recorded here under the argv gohost runs.",
            "MADE UP: facts (os_version empty, chip `Apple M4 Max` from the plist's hw_model) "
            "and `/usr/bin/id -u` = 0 (root; no capture of id exists). No other probe is "
            "recorded: the other checks must say they could not tell.",
        ],
        "facts": {"os": "macos", "process_arch": "aarch64", "machine": "arm64", "os_version": "",
                  "translation": "native", "translation_evidence": "MADE UP: native",
                  "chip": "Apple M4 Max", "go": None},
        "probes": [
            exec_ok(["/usr/bin/id", "-u"], "0\n", "MADE UP: root, to take the powermetrics path"),
            exec_ok(POWERMETRICS_ARGV, cap(name), REL + name + " (captured with `--samplers "
                    "cpu_power,gpu_power,thermal,tasks,disk`)"),
        ],
    }


FIXTURES = {"pm-m4max-busy-root.json": m4max_busy}


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
        print("stale (re-run plugins/powermetrics/tests/replay/gen.py):", ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()

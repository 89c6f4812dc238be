#!/usr/bin/env bash
# bench.sh [CACHE_DIR] [RUNS] [MAX_MODULES]
# Side by side, in one run: `go mod verify` vs `gohost run --check sumdb.cache` on the
# same real module cache (built by shared/tools/make-modcache.sh from the Debian golang-*-dev
# packages installed: `apt-get install $(cat tests/sumdb/bench-packages.txt)` (250 packages,
# plus their dependencies) gives ~500 modules / 1.7 GB). Writes the figures to
# plugins/sumdb/BENCH.md. Needs: go, hyperfine, /usr/bin/time, a release build of gohost and
# the sumdb plugin (CARGO_TARGET_DIR or target/). MAX_MODULES (0 = all) caps the module
# count when the cache is built (make-modcache.sh's own cap), for the scaling series. Also
# writes CACHE_DIR/bench.json (means, CPU, peak RSS) for `cargo xtask bench`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
shared=${GOHOST_SHARED:-$repo/../shared}
cache=${1:-/tmp/sumdb-bench}; runs=${2:-5}; max=${3:-0}
target=${CARGO_TARGET_DIR:-$repo/target}
[ -f "$cache/app/go.sum" ] || bash "$shared/tools/make-modcache.sh" "$cache" "$max"
(cd "$repo" && CARGO_TARGET_DIR=$target cargo build --release -q -p gohost -p gohost-plugin-sumdb)
plugins=$(mktemp -d); trap 'rm -rf "$plugins"' EXIT
cp "$target/release/libgohost_plugin_sumdb.so" "$plugins/"
gohost="$target/release/gohost"

cd "$cache/app"
export GOMODCACHE="$cache/modcache" GOPATH="$cache/gopath" GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOENV=off GOFLAGS=-mod=mod
export XDG_CACHE_HOME="$plugins/xdg-cache"
modules=$(wc -l <"$cache/requires.txt"); size=$(du -sh "$GOMODCACHE" | cut -f1)
# Both must succeed on this cache before timing means anything.
go mod verify >/dev/null
run=("$gohost" run --check sumdb.cache --no-default-plugin-dirs --plugin-dir "$plugins" --format json)
report=$("${run[@]}")
python3 - "$report" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
fs = [f for p in r.get("plugins", []) for f in p.get("findings", []) if f["check"] == "sumdb.cache"]
assert len(fs) == 1 and fs[0]["status"] == "pass", fs
print("gohost:", fs[0]["title"])
PY

rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
go_rss=$(rss go mod verify)
gh_rss=$(rss "${run[@]}")

md=$(mktemp); js=$(mktemp)
hyperfine --warmup 1 --runs "$runs" --export-markdown "$md" --export-json "$js" \
  -n 'go mod verify' 'go mod verify' \
  -n 'gohost run --check sumdb.cache' "${run[*]}"

{
  echo "# sumdb benchmark: \`gohost run --check sumdb.cache\` vs \`go mod verify\`"
  echo
  echo "Measured side by side in one run by \`tests/sumdb/bench.sh\` on $(date -u +%Y-%m-%d) ($(nproc) CPUs, $(uname -m), $(go version | cut -d' ' -f3))."
  echo "Cache: $modules modules, $size (shared/tools/make-modcache.sh: real module zips from the installed Debian golang-*-dev packages, downloaded by the real go command). Warm page cache (1 warm-up run each)."
  echo "Load average when measured (other jobs share the machine): $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Both re-hash every module's zip and extracted tree; gohost also runs \`go list -m all\` and checks go.sum and each go.mod hash."
  echo
  cat "$md"
  echo
  python3 - "$js" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
parts = [f"{r['command']} {r['user'] + r['system']:.2f} s (user {r['user']:.2f} + sys {r['system']:.2f})" for r in rs]
print("Mean CPU time per run (hyperfine, user+sys of all processes): " + "; ".join(parts) + ".")
PY
  echo
  echo "Peak RSS (/usr/bin/time -f %M, KiB): go mod verify $go_rss; gohost (host + worker, largest process) $gh_rss."
} >"$repo/plugins/sumdb/BENCH.md"
python3 - "$js" "$modules" "$size" "$go_rss" "$gh_rss" >"$cache/bench.json" <<'PY'
import json, sys
rs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
g, h = rs["go mod verify"], rs["gohost run --check sumdb.cache"]
print(json.dumps({
    "modules": int(sys.argv[2]), "size": sys.argv[3],
    "go_mean": g["mean"], "go_stddev": g["stddev"], "go_cpu": g["user"] + g["system"],
    "gohost_mean": h["mean"], "gohost_stddev": h["stddev"], "gohost_cpu": h["user"] + h["system"],
    "go_rss_kib": int(sys.argv[4]), "gohost_rss_kib": int(sys.argv[5]),
}))
PY
rm -f "$md" "$js"
cat "$repo/plugins/sumdb/BENCH.md"

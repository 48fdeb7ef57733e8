#!/usr/bin/env bash
# scripts/pulumi-cli.sh — make a working Pulumi CLI available and print the folder that holds it.
#
#   PATH="$(bash scripts/pulumi-cli.sh | tail -1):$PATH"            # the CLI and the Node.js language host
#   PATH="$(bash scripts/pulumi-cli.sh yaml go | tail -1):$PATH"    # and the YAML and Go language hosts
#
# Arguments name the language hosts wanted besides Node.js's: yaml, go, python, or all. Only those are built:
# `npm run demo` needs the CLI and the Node.js host alone; the tests that run YAML, Go or Python programs ask
# for their host. The LAST line of stdout is a folder holding `pulumi`, `pulumi-language-nodejs`,
# `pulumi-resource-pulumi-nodejs` and the hosts asked for (`pulumi-language-yaml`, `pulumi-language-go`,
# `pulumi-language-python` with `pulumi-language-python-exec`); everything else goes to stderr.
#
# 1. If `pulumi` is on PATH and the executables asked for are reachable (on PATH or beside it), use it.
# 2. Otherwise build what is missing once, with Go, into
#      ${PULUMI_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-pulumi-cli}/<version>-nodejs-host-<version>/bin
#    and reuse it on later runs (a cached run takes about a second). The version is pinned to the version of
#    the @pulumi/pulumi npm package in package-lock.json, 3.276.0 (override with PULUMI_CLI_VERSION). Only the Go
#    module proxy is needed: no binary downloads. Go's own output goes to <cache>/build.log; the terminal gets
#    one line per step (and one a minute during a long one), and on failure the log's last lines and its path.
#
# How the pieces are built (reasons recorded here on purpose):
# - pulumi: github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the pinned tag. `go install pkg@version`
#   refuses it because pulumi's pkg/go.mod has replace directives, so we build from a generated
#   wrapper module that requires it (as a `tool`) and repeats its non-local replace directives. Its
#   local `sdk/v3 => ../sdk` replace is dropped: sdk/v3 at the same tag, from the proxy, is that code.
#   The version is stamped with -ldflags -X .../sdk/v3/go/common/version.Version=v<version>; without
#   it the Automation API cannot parse `pulumi version`.
# - pulumi-language-nodejs, pulumi-language-go, pulumi-language-python: their current modules
#   (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, .../sdk/go/pulumi-language-go/v3,
#   .../sdk/python/cmd/pulumi-language-python/v3) are not served by every Go module proxy (some answer "403
#   This module version is not available" for every version), while the sdk/v3 module is. Until a version of
#   sdk/v3 each host was a package of sdk/v3 itself: Node.js and Python until v3.68.0, Go until v3.66.0. So one
#   function, build_sdk_host, builds each host unmodified from its own small wrapper module (that sdk/v3 and its
#   non-local replace directives). The engine speaks to language hosts over a versioned gRPC protocol, so these
#   hosts run programs with the v3.276.0 CLI (the engine tests prove it). Set LANGHOST_SDK_VERSION,
#   GO_LANGHOST_SDK_VERSION or PYTHON_LANGHOST_SDK_VERSION to try another sdk/v3.
#   The Go host builds the program with the `go` on PATH; the program's go.mod picks its own pulumi SDK.
#   The Python host runs programs through the `pulumi-language-python-exec` script beside it in sdk/v3
#   (python/cmd/pulumi-language-python-exec), copied unmodified, with the first `python3` on PATH. It predates
#   the CLI handing it Pulumi.yaml's runtime.options, so it ignores `virtualenv:`: activate the program's virtual
#   environment (which holds the `pulumi` package from PyPI) before running `pulumi`.
# - pulumi-resource-pulumi-nodejs: a copy of the launcher shipped in the @pulumi/pulumi npm package
#   ($REPO/node_modules/@pulumi/pulumi/); it resolves @pulumi/pulumi/cmd/dynamic-provider from the
#   program's working directory, so run `npm ci` first.
# - pulumi-language-yaml (runs Pulumi YAML programs, such as examples/yaml): `go install` of
#   github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml at v1.25.0 (override with PULUMI_YAML_VERSION).
#   That module has no replace directives, so no wrapper module is needed.
# The YAML, Go and Python hosts are added to an existing cached build when asked for (the CLI is not rebuilt),
# each recorded in <version dir>/.<language>-host with its version.
#
# Useful env for callers: PULUMI_SKIP_UPDATE_CHECK=true (no network check for new CLI versions).
# Safe to run concurrently: scripts/cache.sh locks the cache, and a build goes to a temp dir inside it that is
# renamed into place only when complete.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$SCRIPT_DIR")"
NPM_PULUMI="$REPO/node_modules/@pulumi/pulumi"
LAUNCHER_SRC="$NPM_PULUMI/pulumi-resource-pulumi-nodejs"
PINNED_VERSION=3.276.0
VERSION="${PULUMI_CLI_VERSION:-$PINNED_VERSION}"
VERSION="${VERSION#v}"
CACHE_ROOT="${PULUMI_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-pulumi-cli}"
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
# The last sdk/v3 version that held each language host (see above).
LANGHOST_SDK_VERSION="${LANGHOST_SDK_VERSION:-3.68.0}"
GO_LANGHOST_SDK_VERSION="${GO_LANGHOST_SDK_VERSION:-3.66.0}"
PYTHON_LANGHOST_SDK_VERSION="${PYTHON_LANGHOST_SDK_VERSION:-3.68.0}"
VERSION_DIR="$CACHE_ROOT/$VERSION-nodejs-host-$LANGHOST_SDK_VERSION"
YAML_HOST_VERSION="${PULUMI_YAML_VERSION:-1.25.0}"
YAML_HOST_VERSION="${YAML_HOST_VERSION#v}"
BIN="$VERSION_DIR/bin"
LOG="$CACHE_ROOT/build.log"
INSTALL_HELP="Install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put it on PATH, or install Go >= 1.26 (with access to the Go module proxy) so this script can build it."
USAGE="usage: bash scripts/pulumi-cli.sh [yaml] [go] [python] [all]: the language hosts wanted besides Node.js's"

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { printf 'pulumi-cli: error: %s\n' "$*" >&2; exit 1; }

# The hosts asked for, besides Node.js's (always built with the CLI).
HOSTS=()
for arg in "$@"; do
  case "$arg" in
    yaml | go | python) HOSTS+=("$arg") ;;
    all) HOSTS+=(yaml go python) ;;
    nodejs) ;;
    *) die "unknown language host '$arg'; $USAGE" ;;
  esac
done

# The executables of a language host.
host_exes() {
  case "$1" in
    nodejs) echo "pulumi-language-nodejs pulumi-resource-pulumi-nodejs" ;;
    python) echo "pulumi-language-python pulumi-language-python-exec" ;;
    *) echo "pulumi-language-$1" ;;
  esac
}

# The version a cached host must have been built at.
host_version() {
  case "$1" in
    yaml) echo "$YAML_HOST_VERSION" ;;
    go) echo "$GO_LANGHOST_SDK_VERSION" ;;
    python) echo "$PYTHON_LANGHOST_SDK_VERSION" ;;
    nodejs) echo "$LANGHOST_SDK_VERSION" ;;
  esac
}

# 1. A pulumi already on PATH, with the executables asked for reachable.
if sys_pulumi="$(command -v pulumi 2>/dev/null)"; then
  sys_dir="$(cd "$(dirname "$sys_pulumi")" && pwd)"
  missing=""
  for host in nodejs ${HOSTS[@]+"${HOSTS[@]}"}; do
    for exe in $(host_exes "$host"); do
      if ! command -v "$exe" >/dev/null 2>&1 && [ ! -x "$sys_dir/$exe" ]; then
        missing="$missing $exe"
      fi
    done
  done
  if [ -z "$missing" ]; then
    log "using pulumi from PATH: $sys_pulumi"
    echo "$sys_dir"
    exit 0
  fi
  log "pulumi is on PATH ($sys_pulumi) but not:$missing; using a cached build instead"
fi

# 2. The cached build.
cache_ok() {
  [ -f "$VERSION_DIR/.complete" ] && [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-nodejs" ] &&
    [ -x "$BIN/pulumi-resource-pulumi-nodejs" ] &&
    [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$BIN/pulumi" version 2>/dev/null)" = "v$VERSION" ]
}
host_ok() {
  local exe
  for exe in $(host_exes "$1"); do [ -x "$BIN/$exe" ] || return 1; done
  [ "$(cat "$VERSION_DIR/.$1-host" 2>/dev/null)" = "v$(host_version "$1")" ]
}
hosts_ok() {
  local host
  for host in ${HOSTS[@]+"${HOSTS[@]}"}; do host_ok "$host" || return 1; done
}
if cache_ok && hosts_ok; then
  log "using cached Pulumi CLI v$VERSION in $BIN"
  echo "$BIN"
  exit 0
fi

# 3. Build what is missing.
GO_BIN="${GO:-}"
if [ -z "$GO_BIN" ]; then
  GO_BIN="$(command -v go 2>/dev/null || true)"
  [ -n "$GO_BIN" ] || { [ -x /usr/local/go/bin/go ] && GO_BIN=/usr/local/go/bin/go; } || true
fi
if [ -z "$GO_BIN" ] || ! "$GO_BIN" version >/dev/null 2>&1; then
  die "no 'pulumi' on PATH and no Go toolchain to build it. $INSTALL_HELP"
fi
if [ ! -f "$LAUNCHER_SRC" ]; then
  die "$LAUNCHER_SRC is missing: run 'npm ci' in $REPO first."
fi
npm_version="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$NPM_PULUMI/package.json" | head -1)"
if [ "$npm_version" != "$VERSION" ]; then
  log "warning: @pulumi/pulumi in node_modules is $npm_version, building the CLI at $VERSION"
fi

# shellcheck source=scripts/cache.sh
. "$SCRIPT_DIR/cache.sh"
cache_lock "$CACHE_ROOT" "building"
TMP="$(cache_temp "$CACHE_ROOT" build)"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
: >"$LOG"
export GOWORK=off CGO_ENABLED=0

# quiet <what it does, e.g. "compiling pulumi"> <command...>: runs a Go command with its output in $LOG (Go's
# "downloading" lines and warnings are for the log, not the terminal). Says once a minute that it is still at it;
# on failure prints the log's last lines and its path, and exits.
quiet() {
  local what="$1" start=$SECONDS minutes=0 pid status=0
  shift
  "$@" >>"$LOG" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if [ $((SECONDS - start)) -ge $(((minutes + 1) * 60)) ] && kill -0 "$pid" 2>/dev/null; then
      minutes=$((minutes + 1))
      log "still $what ($minutes min)"
    fi
  done
  wait "$pid" || status=$?
  if [ "$status" -ne 0 ]; then
    printf 'pulumi-cli: error: %s failed; the last lines of its log:\n' "$what" >&2
    tail -n 15 "$LOG" | sed 's/^/  /' >&2
    die "the whole log: $LOG"
  fi
}

# Prints the replace directives of a go.mod that do not point at a local folder.
non_local_replaces() {
  awk '
    /^replace[ \t]*\(/ { blk = 1; next }
    blk && /^\)/       { blk = 0; next }
    blk                { sub(/^[ \t]+/, ""); if ($0 != "" && $0 !~ /^\/\//) print; next }
    /^replace[ \t]/    { sub(/^replace[ \t]+/, ""); print }
  ' "$1" | grep -Ev '=>[[:space:]]*\.\.?/' | sed 's/^/replace /' || true
}

# Downloads MODULE@VERSION from the Go module proxy and prints one field ("GoMod", "Dir") of what it got.
module_field() {
  local value
  value="$(cd "$TMP" && GOFLAGS= "$GO_BIN" mod download -json "$1" 2>>"$LOG" |
    sed -n 's/^[[:space:]]*"'"$2"'":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [ -e "$value" ] || die "could not download $1 from the Go module proxy (log: $LOG)"
  echo "$value"
}

# build_sdk_host <nodejs|go|python> <folder>: builds pulumi-language-<language> into the folder, unmodified, from
# the sdk/v3 version that last held it, through a wrapper module that requires that version and repeats its
# non-local replace directives. The Python host's -exec script comes from the same module.
build_sdk_host() {
  local lang="$1" out="$2" version pkg dir="$TMP/$1-host" sdk_gomod start=$SECONDS
  version="$(host_version "$lang")"
  case "$lang" in
    nodejs) pkg="$SDK_MOD/nodejs/cmd/pulumi-language-nodejs" ;;
    go) pkg="$SDK_MOD/go/pulumi-language-go" ;;
    python) pkg="$SDK_MOD/python/cmd/pulumi-language-python" ;;
  esac
  log "compiling pulumi-language-$lang (from $SDK_MOD@v$version)"
  mkdir -p "$dir"
  sdk_gomod="$(module_field "$SDK_MOD@v$version" GoMod)"
  {
    echo "module pulumicli.local/${lang}langhost"
    echo
    echo "go 1.21"
    echo
    echo "require $SDK_MOD v$version"
    echo
    echo "// Non-local replace directives copied from $SDK_MOD@v$version's go.mod."
    non_local_replaces "$sdk_gomod"
  } >"$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go"
  (cd "$dir" && GOFLAGS=-mod=mod quiet "resolving the modules of pulumi-language-$lang" "$GO_BIN" mod tidy)
  (cd "$dir" && GOFLAGS=-mod=mod quiet "compiling pulumi-language-$lang" "$GO_BIN" build -p 2 -trimpath \
    -ldflags "-s -w -X $SDK_MOD/go/common/version.Version=v$version" -o "$out/pulumi-language-$lang" "$pkg")
  [ -s "$out/pulumi-language-$lang" ] || die "pulumi-language-$lang was not built (log: $LOG)"
  if [ "$lang" = python ]; then
    local exec_script
    exec_script="$(module_field "$SDK_MOD@v$version" Dir)/python/cmd/pulumi-language-python-exec"
    [ -f "$exec_script" ] || die "$SDK_MOD@v$version has no python/cmd/pulumi-language-python-exec"
    cp "$exec_script" "$out/pulumi-language-python-exec"
    chmod 755 "$out/pulumi-language-python-exec"
  fi
  log "built pulumi-language-$lang in $((SECONDS - start)) s"
}

# Builds pulumi-language-yaml into the folder.
build_yaml_host() {
  local out="$1" pkg=github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml start=$SECONDS
  log "compiling pulumi-language-yaml v$YAML_HOST_VERSION"
  mkdir -p "$TMP/yaml-bin"
  (cd "$TMP" && GOFLAGS= GOBIN="$TMP/yaml-bin" quiet "compiling pulumi-language-yaml" "$GO_BIN" install -p 2 \
    -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_HOST_VERSION" \
    "$pkg@v$YAML_HOST_VERSION")
  [ -s "$TMP/yaml-bin/pulumi-language-yaml" ] || die "pulumi-language-yaml was not built (log: $LOG)"
  mv "$TMP/yaml-bin/pulumi-language-yaml" "$out/pulumi-language-yaml"
  log "built pulumi-language-yaml in $((SECONDS - start)) s"
}

# Adds a language host to the cached build when it is missing (or another version), leaving the CLI alone.
ensure_host() {
  host_ok "$1" && return 0
  case "$1" in
    yaml) build_yaml_host "$BIN" ;;
    *) build_sdk_host "$1" "$BIN" ;;
  esac
  echo "v$(host_version "$1")" >"$VERSION_DIR/.$1-host"
}

# Someone else may have built the CLI while we waited; then only a language host may be missing.
if ! cache_ok; then
  OUT="$TMP/out" # becomes $VERSION_DIR
  MOD="$OUT/src" # the wrapper module (kept for reference)
  mkdir -p "$OUT/bin" "$MOD"
  start=$SECONDS
  log "building Pulumi CLI v$VERSION and its Node.js language host with $("$GO_BIN" version | cut -d' ' -f3)," \
    "once (5 to 15 minutes on 2 cores, more on a busy machine; Go's output: $LOG)"

  PKG_MOD=github.com/pulumi/pulumi/pkg/v3
  pkg_gomod="$(module_field "$PKG_MOD@v$VERSION" GoMod)"
  {
    echo "module pulumicli.local/build"
    echo
    grep -m1 '^go ' "$pkg_gomod" || echo "go 1.26"
    echo
    echo "// Non-local replace directives copied from $PKG_MOD@v$VERSION's go.mod."
    non_local_replaces "$pkg_gomod"
  } >"$MOD/go.mod"

  build_sdk_host nodejs "$OUT/bin"
  log "fetching the modules of pulumi"
  (cd "$MOD" && GOFLAGS=-mod=mod quiet "fetching the modules of pulumi" "$GO_BIN" get -tool "$PKG_MOD/cmd/pulumi@v$VERSION")
  log "compiling pulumi (the long part)"
  (cd "$MOD" && GOFLAGS=-mod=mod quiet "compiling pulumi" "$GO_BIN" build -p 2 -trimpath \
    -ldflags "-s -w -X $SDK_MOD/go/common/version.Version=v$VERSION" -o "$OUT/bin/pulumi" "$PKG_MOD/cmd/pulumi")
  cp "$LAUNCHER_SRC" "$OUT/bin/pulumi-resource-pulumi-nodejs"
  chmod 755 "$OUT/bin/pulumi-resource-pulumi-nodejs"

  got="$(PULUMI_SKIP_UPDATE_CHECK=true "$OUT/bin/pulumi" version)"
  [ "$got" = "v$VERSION" ] || die "built pulumi reports version '$got', expected v$VERSION"
  echo "v$VERSION built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $("$GO_BIN" version)" >"$OUT/.complete"
  cache_swap "$OUT" "$VERSION_DIR" "$TMP"
  log "built Pulumi CLI v$VERSION in $((SECONDS - start)) s: $BIN"
fi
for host in ${HOSTS[@]+"${HOSTS[@]}"}; do
  ensure_host "$host"
done
echo "$BIN"

#!/usr/bin/env bash
# scripts/pulumi-cli.sh — make a working Pulumi CLI available and print the folder that holds it.
#
#   PATH="$(bash scripts/pulumi-cli.sh | tail -1):$PATH"
#
# The LAST line of stdout is a folder holding `pulumi`, `pulumi-language-nodejs`,
# `pulumi-resource-pulumi-nodejs`, `pulumi-language-yaml`, `pulumi-language-go`, `pulumi-language-python`
# and `pulumi-language-python-exec`; everything else goes to stderr.
#
# 1. If `pulumi` is on PATH and the language hosts and plugins are reachable (on PATH or beside it), use it.
# 2. Otherwise build them once with Go into
#      ${PULUMI_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-pulumi-cli}/<version>-nodejs-host-<version>/bin
#    and reuse that on later runs (a cached run takes about a second). The version is pinned to the
#    version of the @pulumi/pulumi npm package in package-lock.json, 3.276.0 (override with
#    PULUMI_CLI_VERSION).
#    Only the Go module proxy is needed: no binary downloads.
#
# How the pieces are built (reasons recorded here on purpose):
# - pulumi: github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the pinned tag. `go install pkg@version`
#   refuses it because pulumi's pkg/go.mod has replace directives, so we build from a generated
#   wrapper module that requires it (as a `tool`) and repeats its non-local replace directives. Its
#   local `sdk/v3 => ../sdk` replace is dropped: sdk/v3 at the same tag, from the proxy, is that code.
#   The version is stamped with -ldflags -X .../sdk/v3/go/common/version.Version=v<version>; without
#   it the Automation API cannot parse `pulumi version`.
# - pulumi-language-nodejs: its current module,
#   github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, is NOT served by the Go module
#   proxy reachable here (every version answers "403 This module version is not available"). Until
#   v3.68.0 the Node.js language host was a package of the sdk/v3 module itself
#   (github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs), which the proxy serves, so we
#   build that, unmodified, from its own small wrapper module (sdk/v3 at v3.68.0 and its replace
#   directives). The engine speaks to language hosts over a versioned gRPC protocol and the host only
#   starts `node @pulumi/pulumi/cmd/run`, so the v3.68.0 host runs programs with the v3.276.0 CLI and
#   @pulumi/pulumi 3.276.0 (the engine tests prove it). Set LANGHOST_SDK_VERSION to try another.
# - pulumi-resource-pulumi-nodejs: a copy of the launcher shipped in the @pulumi/pulumi npm package
#   ($REPO/node_modules/@pulumi/pulumi/); it resolves @pulumi/pulumi/cmd/dynamic-provider from the
#   program's working directory, so run `npm ci` first.
# - pulumi-language-yaml (runs Pulumi YAML programs, such as examples/yaml): `go install` of
#   github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml at v1.25.0 (override with
#   PULUMI_YAML_VERSION). That module has no replace directives, so no wrapper module is needed. It is
#   added to an existing cached build when missing (the CLI is not rebuilt), recorded in
#   <version dir>/.yaml-host, and runs with the v3.276.0 CLI (the YAML engine tests prove it).
# - pulumi-language-go (runs Go programs): like the Node.js host, its current module
#   (github.com/pulumi/pulumi/sdk/go/pulumi-language-go/v3) answers 403 at the proxy; until v3.66.0 it was
#   the package github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go, built here unmodified from its own
#   wrapper module (GO_LANGHOST_SDK_VERSION, default 3.66.0). It builds the program with the `go` on PATH,
#   and the program's go.mod picks its own pulumi SDK (v3.276.0 in the tests). Added to a cached build when
#   missing, recorded in <version dir>/.go-host.
# - pulumi-language-python (runs Python programs, such as examples/python): like the Node.js host, its current
#   module (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) answers 403 at the proxy; until
#   v3.68.0 it was the package github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python, built here
#   unmodified from its own wrapper module (PYTHON_LANGHOST_SDK_VERSION, default 3.68.0; a few seconds once the
#   Node.js host is built, as they share modules). It runs programs through the `pulumi-language-python-exec`
#   script that sits beside it in that module (python/cmd/pulumi-language-python-exec), copied unmodified next
#   to the host, with the first `python3` on PATH: this host predates the CLI handing it Pulumi.yaml's
#   runtime.options, so it ignores `virtualenv:`; activate the program's virtual environment (which holds the
#   `pulumi` package from PyPI; README, "Languages", for the versions that work) before running `pulumi`.
#   Added to a cached build when missing, recorded in <version dir>/.python-host.
#
# Useful env for callers: PULUMI_SKIP_UPDATE_CHECK=true (no network check for new CLI versions).
# Safe to run concurrently (flock on a lock file in the cache dir); builds go to a temp dir inside
# the cache that is renamed into place only when complete.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$SCRIPT_DIR")"
NPM_PULUMI="$REPO/node_modules/@pulumi/pulumi"
LAUNCHER_SRC="$NPM_PULUMI/pulumi-resource-pulumi-nodejs"
PINNED_VERSION=3.276.0
VERSION="${PULUMI_CLI_VERSION:-$PINNED_VERSION}"
VERSION="${VERSION#v}"
CACHE_ROOT="${PULUMI_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-pulumi-cli}"
# The last sdk/v3 version that held the Node.js language host (see above).
LANGHOST_SDK_VERSION="${LANGHOST_SDK_VERSION:-3.68.0}"
VERSION_DIR="$CACHE_ROOT/$VERSION-nodejs-host-$LANGHOST_SDK_VERSION"
YAML_HOST_VERSION="${PULUMI_YAML_VERSION:-1.25.0}"
YAML_HOST_VERSION="${YAML_HOST_VERSION#v}"
# The last sdk/v3 version that held the Go language host (see above).
GO_LANGHOST_SDK_VERSION="${GO_LANGHOST_SDK_VERSION:-3.66.0}"
# The last sdk/v3 version that held the Python language host (see above).
PYTHON_LANGHOST_SDK_VERSION="${PYTHON_LANGHOST_SDK_VERSION:-3.68.0}"
BIN="$VERSION_DIR/bin"
INSTALL_HELP="Install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put it on PATH, or install Go >= 1.26 (with access to the Go module proxy) so this script can build it."

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { printf 'pulumi-cli: error: %s\n' "$*" >&2; exit 1; }

# 1. A pulumi already on PATH, with both Node.js plugins reachable.
if sys_pulumi="$(command -v pulumi 2>/dev/null)"; then
  sys_dir="$(cd "$(dirname "$sys_pulumi")" && pwd)"
  missing=""
  for exe in pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi-language-yaml pulumi-language-go \
    pulumi-language-python pulumi-language-python-exec; do
    if ! command -v "$exe" >/dev/null 2>&1 && [ ! -x "$sys_dir/$exe" ]; then
      missing="$missing $exe"
    fi
  done
  if [ -z "$missing" ]; then
    log "using pulumi from PATH: $sys_pulumi"
    echo "$sys_dir"
    exit 0
  fi
  log "pulumi is on PATH ($sys_pulumi) but not:$missing; using a cached build of all of them instead"
fi

# 2. The cached build.
cache_ok() {
  [ -f "$VERSION_DIR/.complete" ] && [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-nodejs" ] &&
    [ -x "$BIN/pulumi-resource-pulumi-nodejs" ] &&
    [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$BIN/pulumi" version 2>/dev/null)" = "v$VERSION" ]
}
yaml_ok() {
  [ -x "$BIN/pulumi-language-yaml" ] && [ "$(cat "$VERSION_DIR/.yaml-host" 2>/dev/null)" = "v$YAML_HOST_VERSION" ]
}
go_host_ok() {
  [ -x "$BIN/pulumi-language-go" ] && [ "$(cat "$VERSION_DIR/.go-host" 2>/dev/null)" = "v$GO_LANGHOST_SDK_VERSION" ]
}
python_host_ok() {
  [ -x "$BIN/pulumi-language-python" ] && [ -x "$BIN/pulumi-language-python-exec" ] &&
    [ "$(cat "$VERSION_DIR/.python-host" 2>/dev/null)" = "v$PYTHON_LANGHOST_SDK_VERSION" ]
}
if cache_ok && yaml_ok && go_host_ok && python_host_ok; then
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

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
if command -v flock >/dev/null 2>&1; then
  if ! flock -n 9; then
    log "another copy is building in $CACHE_ROOT; waiting for it..."
    flock 9
  fi
else
  log "warning: flock not found; not locking $CACHE_ROOT"
fi
# We hold the lock, so any leftover temp dir is from an interrupted build.
rm -rf "$CACHE_ROOT"/.build.* 2>/dev/null || true

TMP="$(mktemp -d "$CACHE_ROOT/.build.XXXXXX")"
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Builds pulumi-language-yaml into $BIN when it is missing (or another version), leaving the CLI alone.
ensure_yaml_host() {
  yaml_ok && return 0
  local pkg=github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml start=$SECONDS
  log "compiling pulumi-language-yaml v$YAML_HOST_VERSION (first run only; takes 5-15 minutes)"
  mkdir -p "$TMP/yaml-bin"
  (cd "$TMP" && GOWORK=off CGO_ENABLED=0 GOFLAGS= GOBIN="$TMP/yaml-bin" "$GO_BIN" install -p 2 -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_HOST_VERSION" \
    "$pkg@v$YAML_HOST_VERSION" >&2) || die "could not build $pkg@v$YAML_HOST_VERSION"
  [ -s "$TMP/yaml-bin/pulumi-language-yaml" ] || die "pulumi-language-yaml was not built"
  mv "$TMP/yaml-bin/pulumi-language-yaml" "$BIN/pulumi-language-yaml"
  echo "v$YAML_HOST_VERSION" >"$VERSION_DIR/.yaml-host"
  log "built pulumi-language-yaml v$YAML_HOST_VERSION in $((SECONDS - start))s"
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

# Downloads MODULE@VERSION from the Go module proxy and prints the path of its go.mod.
module_gomod() {
  local gomod
  log "resolving $1"
  gomod="$(cd "$TMP" && "$GO_BIN" mod download -json "$1" |
    sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [ -f "$gomod" ] || die "could not download $1 from the Go module proxy"
  echo "$gomod"
}

# Builds pulumi-language-go into $BIN when it is missing (or another version), leaving the CLI alone.
ensure_go_host() {
  go_host_ok && return 0
  local sdk=github.com/pulumi/pulumi/sdk/v3 dir="$TMP/go-host" start=$SECONDS sdk_gomod
  local pkg="$sdk/go/pulumi-language-go"
  log "compiling pulumi-language-go (from $sdk@v$GO_LANGHOST_SDK_VERSION)"
  mkdir -p "$dir"
  sdk_gomod="$(module_gomod "$sdk@v$GO_LANGHOST_SDK_VERSION")"
  {
    echo "module pulumicli.local/golanghost"
    echo
    echo "go 1.21"
    echo
    echo "require $sdk v$GO_LANGHOST_SDK_VERSION"
    echo
    echo "// Non-local replace directives copied from $sdk@v$GO_LANGHOST_SDK_VERSION's go.mod."
    non_local_replaces "$sdk_gomod"
  } >"$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go"
  (cd "$dir" && GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO_BIN" mod tidy >&2 &&
    GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO_BIN" build -p 2 -trimpath \
      -ldflags "-s -w -X $sdk/go/common/version.Version=v$GO_LANGHOST_SDK_VERSION" \
      -o "$dir/pulumi-language-go" "$pkg" >&2) || die "could not build $pkg@v$GO_LANGHOST_SDK_VERSION"
  mv "$dir/pulumi-language-go" "$BIN/pulumi-language-go"
  echo "v$GO_LANGHOST_SDK_VERSION" >"$VERSION_DIR/.go-host"
  log "built pulumi-language-go in $((SECONDS - start))s"
}

# Builds pulumi-language-python (and copies its -exec script) into $BIN when missing, leaving the CLI alone.
ensure_python_host() {
  python_host_ok && return 0
  local sdk=github.com/pulumi/pulumi/sdk/v3 dir="$TMP/python-host" start=$SECONDS sdk_gomod sdk_dir
  local pkg="$sdk/python/cmd/pulumi-language-python"
  log "compiling pulumi-language-python (from $sdk@v$PYTHON_LANGHOST_SDK_VERSION)"
  mkdir -p "$dir"
  sdk_gomod="$(module_gomod "$sdk@v$PYTHON_LANGHOST_SDK_VERSION")"
  sdk_dir="$(cd "$TMP" && "$GO_BIN" mod download -json "$sdk@v$PYTHON_LANGHOST_SDK_VERSION" |
    sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [ -f "$sdk_dir/python/cmd/pulumi-language-python-exec" ] ||
    die "$sdk@v$PYTHON_LANGHOST_SDK_VERSION has no python/cmd/pulumi-language-python-exec"
  {
    echo "module pulumicli.local/pythonlanghost"
    echo
    echo "go 1.21"
    echo
    echo "require $sdk v$PYTHON_LANGHOST_SDK_VERSION"
    echo
    echo "// Non-local replace directives copied from $sdk@v$PYTHON_LANGHOST_SDK_VERSION's go.mod."
    non_local_replaces "$sdk_gomod"
  } >"$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go"
  (cd "$dir" && GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO_BIN" mod tidy >&2 &&
    GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO_BIN" build -p 2 -trimpath \
      -ldflags "-s -w -X $sdk/go/common/version.Version=v$PYTHON_LANGHOST_SDK_VERSION" \
      -o "$dir/pulumi-language-python" "$pkg" >&2) || die "could not build $pkg@v$PYTHON_LANGHOST_SDK_VERSION"
  cp "$sdk_dir/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
  chmod 755 "$BIN/pulumi-language-python-exec"
  mv "$dir/pulumi-language-python" "$BIN/pulumi-language-python"
  echo "v$PYTHON_LANGHOST_SDK_VERSION" >"$VERSION_DIR/.python-host"
  log "built pulumi-language-python in $((SECONDS - start))s"
}

# Someone else may have finished the build while we waited; then only a language host may be missing.
if cache_ok; then
  ensure_yaml_host
  ensure_go_host
  ensure_python_host
  log "using cached Pulumi CLI v$VERSION in $BIN"
  echo "$BIN"
  exit 0
fi
OUT="$TMP/out"     # becomes $VERSION_DIR
MOD="$OUT/src"     # the wrapper module (kept for reference)
mkdir -p "$OUT/bin" "$MOD/langhost"

export GOFLAGS="-mod=mod" GOWORK=off CGO_ENABLED=0
start=$SECONDS
log "building Pulumi CLI v$VERSION with $("$GO_BIN" version) (first run only; takes 10-25 minutes)"

PKG_MOD=github.com/pulumi/pulumi/pkg/v3
pkg_gomod="$(module_gomod "$PKG_MOD@v$VERSION")"

{
  echo "module pulumicli.local/build"
  echo
  grep -m1 '^go ' "$pkg_gomod" || echo "go 1.26"
  echo
  echo "// Non-local replace directives copied from $PKG_MOD@v$VERSION's go.mod."
  non_local_replaces "$pkg_gomod"
} >"$MOD/go.mod"

# The language host's wrapper module: sdk/v3 at the last version that held the Node.js host.
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
LANGHOST_PKG="$SDK_MOD/nodejs/cmd/pulumi-language-nodejs"
sdk_gomod="$(module_gomod "$SDK_MOD@v$LANGHOST_SDK_VERSION")"
{
  echo "module pulumicli.local/langhost"
  echo
  echo "go 1.21"
  echo
  echo "require $SDK_MOD v$LANGHOST_SDK_VERSION"
  echo
  echo "// Non-local replace directives copied from $SDK_MOD@v$LANGHOST_SDK_VERSION's go.mod."
  non_local_replaces "$sdk_gomod"
} >"$MOD/langhost/go.mod"
printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$LANGHOST_PKG" >"$MOD/langhost/tools.go"

cd "$MOD"
log "fetching modules"
"$GO_BIN" get -tool "$PKG_MOD/cmd/pulumi@v$VERSION" >&2
LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION"
log "compiling pulumi-language-nodejs (from $SDK_MOD@v$LANGHOST_SDK_VERSION)"
(cd "$MOD/langhost" && "$GO_BIN" mod tidy >&2 &&
  "$GO_BIN" build -p 2 -trimpath \
    -ldflags "-s -w -X $SDK_MOD/go/common/version.Version=v$LANGHOST_SDK_VERSION" \
    -o "$OUT/bin/pulumi-language-nodejs" "$LANGHOST_PKG" >&2)
log "compiling pulumi (the long part)"
"$GO_BIN" build -p 2 -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin/pulumi" "$PKG_MOD/cmd/pulumi" >&2
cp "$LAUNCHER_SRC" "$OUT/bin/pulumi-resource-pulumi-nodejs"
chmod 755 "$OUT/bin/pulumi-resource-pulumi-nodejs"
cd "$TMP"

got="$(PULUMI_SKIP_UPDATE_CHECK=true "$OUT/bin/pulumi" version)"
[ "$got" = "v$VERSION" ] || die "built pulumi reports version '$got', expected v$VERSION"
[ -s "$OUT/bin/pulumi-language-nodejs" ] || die "pulumi-language-nodejs was not built"
echo "v$VERSION built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $("$GO_BIN" version)" >"$OUT/.complete"

# Swap the finished build into place (rename within one filesystem: never half-built).
if [ -e "$VERSION_DIR" ]; then
  mv "$VERSION_DIR" "$TMP/old"
fi
mv "$OUT" "$VERSION_DIR"
log "built Pulumi CLI v$VERSION in $((SECONDS - start))s: $BIN"
ensure_yaml_host
ensure_go_host
ensure_python_host
echo "$BIN"

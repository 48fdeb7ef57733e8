#!/usr/bin/env bash
# scripts/actionlint.sh [args...] — lints .github/workflows with actionlint (github.com/rhysd/actionlint, a Go
# module), built once with `go install` into
#   ${STREAM_DOWNLOAD_ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-actionlint}/<version>
# and reused after. Arguments go to actionlint (none: every workflow file).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.7.12
die() { printf 'actionlint: error: %s\n' "$*" >&2; exit 1; }
DIR="${STREAM_DOWNLOAD_ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-actionlint}/$VERSION"
if [ ! -x "$DIR/actionlint" ]; then
  command -v go >/dev/null 2>&1 || die "go is needed to build actionlint $VERSION; install Go and run again"
  printf 'actionlint: building actionlint %s with go install (first run only)\n' "$VERSION" >&2
  mkdir -p "$DIR"
  TMP="$(mktemp -d "$DIR.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  GOBIN="$TMP" CGO_ENABLED=0 GOFLAGS=-trimpath GOWORK=off go install "github.com/rhysd/actionlint/cmd/actionlint@v$VERSION" ||
    die "go install github.com/rhysd/actionlint/cmd/actionlint@v$VERSION failed"
  mv "$TMP/actionlint" "$DIR/actionlint"
fi
exec "$DIR/actionlint" "$@"

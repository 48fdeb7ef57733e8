#!/usr/bin/env bash
# scripts/rcodesign.sh — make `rcodesign` (the apple-codesign crate) available and print the folder that holds it.
#
#   PATH="$(bash scripts/rcodesign.sh | tail -1):$PATH"
#
# The tests check the macOS binaries' ad-hoc signatures with `rcodesign verify`, an implementation of Apple's
# code signing that runs on Linux and is independent of the release's own signer (scripts/release/macho.ts).
# The release build does not need it.
#
# The LAST line of stdout is a folder holding `rcodesign`; everything else goes to stderr.
# 1. If `rcodesign` on PATH is the pinned version, use it.
# 2. Otherwise build it once with `cargo install apple-codesign --version <pinned> --locked --no-default-features`
#    (crates.io; several minutes: without the default `notarize` feature, which brings the AWS and App Store
#    Connect clients that `verify` does not use) into ${STREAM_DOWNLOAD_RCODESIGN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-rcodesign}/<version>
#    and reuse it on later runs. Safe to run concurrently (flock); the build goes to a temp dir renamed into
#    place only when complete.
set -euo pipefail

VERSION=0.29.0
log() { printf 'rcodesign: %s\n' "$*" >&2; }
die() { printf 'rcodesign: error: %s\n' "$*" >&2; exit 1; }

version_of() { "$1" --version 2>/dev/null | sed -n 's/^\(apple-codesign\|rcodesign\) \([0-9][0-9.]*\).*/\2/p'; }

if found="$(command -v rcodesign 2>/dev/null)" && [ "$(version_of "$found")" = "$VERSION" ]; then
  log "using rcodesign $VERSION from PATH: $found"
  dirname "$found"
  exit 0
fi

CACHE_ROOT="${STREAM_DOWNLOAD_RCODESIGN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-rcodesign}"
DIR="$CACHE_ROOT/$VERSION"
cache_ok() { [ -f "$DIR/.complete" ] && [ "$(version_of "$DIR/bin/rcodesign")" = "$VERSION" ]; }
if cache_ok; then
  log "using cached rcodesign $VERSION in $DIR/bin"
  echo "$DIR/bin"
  exit 0
fi

command -v cargo >/dev/null 2>&1 ||
  die "cargo is needed to build rcodesign $VERSION (the apple-codesign crate); install Rust (rustup) and run again"
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
if ! flock -n 9; then
  log "another copy is building into $CACHE_ROOT; waiting for it..."
  flock 9
fi
if cache_ok; then
  log "using cached rcodesign $VERSION in $DIR/bin"
  echo "$DIR/bin"
  exit 0
fi
rm -rf "$CACHE_ROOT"/.install.* 2>/dev/null || true
TMP="$(mktemp -d "$CACHE_ROOT/.install.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

log "building rcodesign $VERSION with cargo install (first run only; several minutes)"
started=$SECONDS
# Its own target folder, so that the build does not touch a project's; --locked: the crate's own Cargo.lock.
CARGO_TARGET_DIR="$TMP/target" nice cargo install apple-codesign --version "$VERSION" --locked --no-default-features \
  --root "$TMP/out" >&2 || die "cargo install apple-codesign --version $VERSION failed (see above)"
got="$(version_of "$TMP/out/bin/rcodesign")"
[ "$got" = "$VERSION" ] || die "the built rcodesign reports '$got', expected $VERSION"
echo "rcodesign $VERSION, built with $(cargo --version) in $((SECONDS - started)) s" >"$TMP/out/.complete"
rm -rf "$DIR"
mv "$TMP/out" "$DIR"
log "built rcodesign $VERSION in $DIR/bin in $((SECONDS - started)) s"
echo "$DIR/bin"

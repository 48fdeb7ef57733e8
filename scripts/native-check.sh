#!/usr/bin/env bash
# scripts/native-check.sh <plugin archive> — a release archive as a user of a YAML program meets it, on the
# machine that runs this (the CI workflow runs it on macOS arm64 and Windows runners, where the archive's binary
# can run; it runs as it is on Linux too):
#   1. the binary starts, prints its port, and nothing on stderr;
#   2. `pulumi plugin install --file` installs the archive, and examples/yaml goes through the engine against
#      the emulator: up (both downloads ready), destroy; with no Node.js on the PATH the CLI runs with.
# Needs: pulumi on PATH; node on PATH and `npm run build` done (for the emulator only, which is not the plugin).
# Prints what it does; exits non-zero on the first check that fails. Written for bash 3.2 (macOS's /bin/bash).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'native-check: error: %s\n' "$*" >&2; exit 1; }
say() { printf '== %s\n' "$*"; }
[ $# -eq 1 ] || die "usage: bash scripts/native-check.sh <pulumi-resource-cloudflare-stream-v<version>-<os>-<arch>.tar.gz>"
archive="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -f "$archive" ] || die "no archive at $1"
command -v pulumi >/dev/null || die "pulumi is not on PATH"
command -v node >/dev/null || die "node is needed on PATH for the emulator"
[ -f dist/emulator/main.js ] || die "dist/emulator/main.js is missing: run npm ci and npm run build first"
version="$(node -p 'require("./package.json").version')"
plugin=pulumi-resource-cloudflare-stream

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# A path for programs that are not MSYS ones (pulumi.exe on Windows): C:/... there, as it is elsewhere; and a
# file:// URL of a folder (file:///C:/... on Windows, as Go's file URLs have it).
native() { if command -v cygpath >/dev/null; then cygpath -m "$1"; else printf '%s' "$1"; fi; }
file_url() { if command -v cygpath >/dev/null; then printf 'file:///%s' "$(cygpath -m "$1")"; else printf 'file://%s' "$1"; fi; }

# waits until the file has a first line, up to a number of seconds
first_line() {
  local file="$1" seconds="$2" i
  for ((i = 0; i < seconds * 10; i++)); do
    if [ -s "$file" ] && grep -q . "$file"; then
      head -n 1 "$file"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

say "1. the binary starts and prints nothing on stderr"
mkdir "$work/plugin"
tar -xzf "$archive" -C "$work/plugin"
exe="$work/plugin/$plugin"
[ -f "$exe.exe" ] && exe="$exe.exe"
"$exe" >"$work/plugin.out" 2>"$work/plugin.err" &
plugin_pid=$!
pids+=("$plugin_pid")
port="$(first_line "$work/plugin.out" 60)" || die "the plugin printed no port in 60 s; stderr: $(cat "$work/plugin.err")"
kill "$plugin_pid" 2>/dev/null || true
[[ "$port" =~ ^[0-9]+$ ]] || die "the plugin's first line is not a port: $port"
[ ! -s "$work/plugin.err" ] || die "the plugin wrote on stderr at start: $(cat "$work/plugin.err")"
echo "port $port, stderr empty"

say "2. the emulator"
token="native-check-token"
node dist/emulator/main.js --port 0 --token "$token" --generation-ms 1000 >"$work/emulator.out" 2>"$work/emulator.err" &
pids+=("$!")
line="$(first_line "$work/emulator.out" 60)" || die "the emulator did not start: $(cat "$work/emulator.err")"
base="${line##* }"
account=0123456789abcdef0123456789abcdef
video="$(curl -fsS -X POST "$base/accounts/$account/stream/copy" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"url":"https://example.com/talk.mp4"}' |
  node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).result.uid)')"
echo "$base, video $video"

say "3. examples/yaml through the engine, with no Node.js on PATH"
# PATH without any folder that holds a node: the plugin must not need one.
nonode=""
IFS=':' read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -n "$dir" ] && { [ -e "$dir/node" ] || [ -e "$dir/node.exe" ]; } && continue
  nonode="${nonode:+$nonode:}$dir"
done
if PATH="$nonode" command -v node >/dev/null 2>&1; then die "node is still on the PATH for pulumi"; fi
mkdir "$work/home" "$work/state"
cp -R examples/yaml "$work/program"
run() { (cd "$work/program" && PATH="$nonode" pulumi "$@" --non-interactive); }
PULUMI_HOME="$(native "$work/home")"
PULUMI_BACKEND_URL="$(file_url "$work/state")"
export PULUMI_HOME PULUMI_BACKEND_URL
export PULUMI_CONFIG_PASSPHRASE=native-check PULUMI_SKIP_UPDATE_CHECK=true
run plugin install resource cloudflare-stream "$version" --file "$(native "$archive")"
run stack init native
run config set --secret cloudflare-stream:apiToken "$token"
run config set cloudflare-stream:baseUrl "$base"
run config set accountId "$account"
run config set videoId "$video"
run up --yes --skip-preview
status="$(run stack output mp4Status)"
[ "$status" = "ready" ] || die "stack output mp4Status is '$status', expected ready"
m4a="$(run stack output m4a)"
case "$m4a" in https://*/downloads/audio.m4a) ;; *) die "stack output m4a is '$m4a', expected the audio download's URL" ;; esac
run destroy --yes --skip-preview
run stack rm --yes native
echo "native-check: the $(basename "$archive") plugin ran examples/yaml with no Node.js: up, destroy"

# scripts/cache.sh — sourced by scripts/node.sh and scripts/pulumi-cli.sh: how they write into a cache folder.
#
# One writer at a time (an flock on <cache>/.lock), work in a temp folder inside the cache, and a finished result
# renamed into place, so that a reader never sees half of one and an interrupted run leaves nothing it could use.
# The caller defines `log` (its own prefix on stderr) before calling these.

# cache_lock <cache folder> <what a holder does, e.g. "building">: takes the cache's lock on file descriptor 9,
# saying so while another run holds it. The lock lasts until the caller exits.
cache_lock() {
  local root="$1" doing="$2"
  mkdir -p "$root"
  exec 9>"$root/.lock"
  if command -v flock >/dev/null 2>&1; then
    if ! flock -n 9; then
      log "another run is $doing in $root; waiting for it..."
      flock 9
    fi
  else
    log "warning: flock not found; not locking $root"
  fi
}

# cache_temp <cache folder> <name>: with the lock held, removes the temp folders an interrupted run left
# (<cache>/.<name>.*) and prints a new one.
cache_temp() {
  local root="$1" name="$2"
  rm -rf "$root/.$name".* 2>/dev/null || true
  mktemp -d "$root/.$name.XXXXXX"
}

# cache_swap <finished folder> <destination> <temp folder>: renames the finished folder into place (one rename
# within one file system: never half there); a previous destination goes into the temp folder, removed with it.
cache_swap() {
  local done="$1" dest="$2" tmp="$3"
  if [ -e "$dest" ]; then
    mv "$dest" "$tmp/old"
  fi
  mv "$done" "$dest"
}

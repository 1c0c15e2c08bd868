# shellcheck shell=bash
# Shared helpers for the staticlet scripts. Source it; do not execute it.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Sourcing twice in one shell is harmless but pointless.
if [[ -n "${STATICLET_COMMON_SOURCED:-}" ]]; then
  return 0
fi
STATICLET_COMMON_SOURCED=1

# Repo root, resolved from this file's own location so callers may run from any cwd.
STATICLET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
export STATICLET_ROOT

# Built artefacts (images, crictl, ...) live outside the clone so that later CI runs
# on the same machine reuse them.
STATICLET_CACHE="${STATICLET_CACHE:-/var/cache/staticlet}"
export STATICLET_CACHE

# Go from the official tarball is not always on a non-login PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="/usr/local/go/bin:$PATH"
fi
# runc, iptables and ip live in sbin, which minimal PATHs sometimes lack.
case ":$PATH:" in *":/usr/sbin:"*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

# log MSG... : progress goes to stderr so stdout stays usable for results.
log() {
  # Never fail the caller because nobody reads stderr any more.
  printf '[%s %s] %s\n' "$(basename "$0")" "$(date +%H:%M:%S)" "$*" >&2 2>/dev/null || true
}

# die MSG... : log and exit non-zero.
die() {
  log "error: $*"
  exit 1
}

# ensure_apt_packages PKG... : install only what is missing, so a warm machine
# never touches the network.
ensure_apt_packages() {
  local missing=() pkg status
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing apt packages: ${missing[*]}"
  # apt output goes to stderr: some callers print a result on stdout.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# ensure_node_modules : npm ci when node_modules is absent or older than the lock file.
ensure_node_modules() {
  local lock="$STATICLET_ROOT/package-lock.json"
  local nm="$STATICLET_ROOT/node_modules"
  # npm rewrites node_modules/.package-lock.json on every install; it is a better
  # "installed at" stamp than the directory mtime.
  local stamp="$nm/.package-lock.json"
  [[ -e "$stamp" ]] || stamp="$nm"
  if [[ -f "$lock" ]]; then
    if [[ ! -d "$nm" || "$lock" -nt "$stamp" ]]; then
      log "npm ci"
      (cd "$STATICLET_ROOT" && npm ci --no-audit --no-fund >&2)
    fi
  elif [[ ! -d "$nm" || "$STATICLET_ROOT/package.json" -nt "$stamp" ]]; then
    log "npm install (no package-lock.json)"
    (cd "$STATICLET_ROOT" && npm install --no-audit --no-fund >&2)
  fi
}

# bins_present DIR NAME... : every NAME is an executable in DIR.
bins_present() {
  local dir="$1" b
  shift
  for b in "$@"; do [[ -x "$dir/$b" ]] || return 1; done
}

# use_build_cache TOP BIN NAME... : the start of every scripts/*/build.sh, whose binaries NAME...
# go to BIN, a directory of the cache dir TOP. When they are all there, print BIN and exit (no Go,
# no lock). Else make BIN and hold TOP/.build.lock (fd 9) until the script ends: of two test
# scripts asking at once, one builds and the other waits, then finds them and exits the same way.
use_build_cache() {
  local top="$1" bin="$2"
  shift 2
  if bins_present "$bin" "$@"; then
    echo "$bin"
    exit 0
  fi
  command -v go >/dev/null || die "go is not installed"
  mkdir -p "$bin"
  exec 9>"$top/.build.lock"
  log "waiting for build lock $top/.build.lock"
  flock 9
  if bins_present "$bin" "$@"; then
    echo "$bin"
    exit 0
  fi
}

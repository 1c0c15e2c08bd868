#!/usr/bin/env bash
# Fetch or build pinned developer tools; prints only the resulting path on stdout.
#
# Usage: scripts/tools.sh crictl          # path of crictl v1.34.0 (built with go if missing)
#        scripts/tools.sh cri-api-proto   # path of CRI api.proto from k8s.io/cri-api v0.34.1
#
# Builds are cached by version under $STATICLET_CACHE/bin; Go modules come from
# the Go module proxy.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

readonly CRICTL_VERSION=v1.34.0
readonly CRI_API_VERSION=v0.34.1

usage() {
  echo "usage: $0 crictl | cri-api-proto" >&2
  exit 2
}

require_go() {
  command -v go >/dev/null 2>&1 ||
    die "go not found (expected on PATH or in /usr/local/go/bin); cri-tools $CRICTL_VERSION needs a recent Go"
}

# with_lock NAME CMD... : serialise builds of the same tool across parallel callers.
with_lock() {
  local name="$1"
  shift
  mkdir -p "$STATICLET_CACHE/bin"
  (
    flock -w 1800 9 || die "timed out waiting for the $name build lock"
    "$@"
  ) 9>"$STATICLET_CACHE/bin/.$name.lock"
}

crictl_ok() {
  [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -qF -- "$CRICTL_VERSION"
}

build_crictl() {
  local dir="$1" bin="$1/crictl"
  crictl_ok "$bin" && return 0 # built by a parallel caller while we waited
  require_go
  log "building crictl $CRICTL_VERSION into $dir (needs the Go module proxy; a few minutes when cold)"
  rm -rf "$dir"
  mkdir -p "$dir"
  # Run outside any module so the repo's own state cannot influence the build.
  # The version ldflag is what upstream's Makefile sets; without it crictl
  # reports "unknown" and a cached binary could not be told apart by version.
  (cd / && GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN="$dir" \
    go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION") >&2
  crictl_ok "$bin" || die "built $bin but it does not report $CRICTL_VERSION"
}

cmd_crictl() {
  local dir="$STATICLET_CACHE/bin/crictl-$CRICTL_VERSION"
  if ! crictl_ok "$dir/crictl"; then
    with_lock "crictl-$CRICTL_VERSION" build_crictl "$dir"
  fi
  echo "$dir/crictl"
}

cmd_cri_api_proto() {
  local json mod_dir proto
  require_go
  # Downloads into the Go module cache once; afterwards this is a local lookup.
  json="$(cd / && go mod download -json "k8s.io/cri-api@$CRI_API_VERSION")" ||
    die "go mod download k8s.io/cri-api@$CRI_API_VERSION failed"
  mod_dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")"
  [[ -n "$mod_dir" ]] || die "no Dir in 'go mod download -json' output: $json"
  proto="$mod_dir/pkg/apis/runtime/v1/api.proto"
  [[ -f "$proto" ]] || die "missing $proto"
  echo "$proto"
}

(($# == 1)) || usage
case "$1" in
crictl) cmd_crictl ;;
cri-api-proto) cmd_cri_api_proto ;;
*) usage ;;
esac

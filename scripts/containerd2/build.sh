#!/usr/bin/env bash
# Build containerd 2.x (containerd, containerd-shim-runc-v2, ctr) and the runc it supports from
# the Go module proxy and print the directory that holds them (stdout: that path only; progress
# goes to stderr). Debian 12 ships only containerd 1.6, which has no CRI GetContainerEvents.
#
# Usage: scripts/containerd2/build.sh
#
# Env:
#   STATICLET_CACHE  cache root (default /var/cache/staticlet)
#
# Binaries land in $STATICLET_CACHE/containerd-<version>-runc-<version>/bin. When they are
# there already, the path is printed at once and Go is not run at all.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# The versions, pinned here and nowhere else. containerd 2.2's own CI uses runc 1.3
# (script/setup/runc-version in its module says v1.3.6).
readonly CONTAINERD_VERSION=v2.2.9
readonly RUNC_VERSION=v1.3.6

TOP="$STATICLET_CACHE/containerd-$CONTAINERD_VERSION-runc-$RUNC_VERSION"
BIN="$TOP/bin"
readonly WANTED=(containerd containerd-shim-runc-v2 ctr runc)

# This script's own prefix (common.sh's would name it build.sh, as it does the other builds).
log() { printf '[containerd2-build] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

case "${1:-}" in
"") ;;
-h | --help)
  echo "usage: $0   (prints the bin directory of containerd $CONTAINERD_VERSION and runc $RUNC_VERSION)" >&2
  exit 0
  ;;
*) die "no arguments expected, got '$1'" ;;
esac

# Exits here when the binaries are cached; else holds the build lock.
use_build_cache "$TOP" "$BIN" "${WANTED[@]}"

# `go install pkg@version` builds with the upstream module's own go.mod as the main module (both
# have no replace directives), so the dependency versions are exactly the released ones. Downloads
# and build cache stay at Go's defaults so every checkout on this machine shares them.
export GOFLAGS="-buildvcs=false" GOTOOLCHAIN=local GOWORK=off

# install_into NAME... -- GO-INSTALL-ARGS: go install into a scratch GOBIN, then move the named
# binaries into $BIN (a rename only after the whole build succeeded).
install_into() {
  local names=() b tmp
  while [[ "$1" != -- ]]; do
    names+=("$1")
    shift
  done
  shift
  tmp="$(mktemp -d "$TOP/.gobin.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" go install -trimpath "$@" || die "go install $* failed"
  for b in "${names[@]}"; do
    [[ -x "$tmp/$b" ]] || die "go install did not produce $b"
    mv -f "$tmp/$b" "$BIN/$b"
  done
  rm -rf "$tmp"
  trap - EXIT
}

start=$(date +%s)
{
  cd "$TOP"
  pkg=github.com/containerd/containerd/v2
  ldflags="-s -w -X $pkg/version.Version=$CONTAINERD_VERSION -X $pkg/version.Package=$pkg"

  # containerd and ctr: pure Go (as cross builds are); cgo would only add the btrfs snapshotter,
  # which needs headers we do not use. The tags are the Makefile's defaults.
  if [[ ! -x "$BIN/containerd" || ! -x "$BIN/ctr" ]]; then
    t0=$(date +%s)
    log "building containerd and ctr $CONTAINERD_VERSION"
    CGO_ENABLED=0 install_into containerd ctr -- -tags urfave_cli_no_docs -ldflags "$ldflags" \
      "$pkg/cmd/containerd@$CONTAINERD_VERSION" "$pkg/cmd/ctr@$CONTAINERD_VERSION"
    log "containerd and ctr built in $(($(date +%s) - t0))s"
  fi
  # The shim as the Makefile builds it: static, no gRPC server (ttrpc only).
  if [[ ! -x "$BIN/containerd-shim-runc-v2" ]]; then
    t0=$(date +%s)
    log "building containerd-shim-runc-v2 $CONTAINERD_VERSION"
    CGO_ENABLED=0 install_into containerd-shim-runc-v2 -- -tags "urfave_cli_no_docs no_grpc" -ldflags "$ldflags" \
      "$pkg/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION"
    log "containerd-shim-runc-v2 built in $(($(date +%s) - t0))s"
  fi
  # runc needs cgo (its nsenter is C) and libseccomp's headers for the seccomp tag, as upstream builds it.
  if [[ ! -x "$BIN/runc" ]]; then
    [[ -f /usr/include/seccomp.h ]] || die "libseccomp-dev is not installed (needed to build runc with seccomp)"
    command -v gcc >/dev/null || die "gcc is not installed (runc needs cgo)"
    t0=$(date +%s)
    log "building runc $RUNC_VERSION"
    CGO_ENABLED=1 install_into runc -- -tags "seccomp urfave_cli_no_docs" \
      -ldflags "-X main.gitCommit=$RUNC_VERSION" "github.com/opencontainers/runc@$RUNC_VERSION"
    log "runc built in $(($(date +%s) - t0))s"
  fi
  log "done in $(($(date +%s) - start))s"
} >&2

bins_present "$BIN" "${WANTED[@]}" || die "binaries missing after build"
echo "$BIN"

#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: installs what is missing (apt packages,
# node modules, crictl, kube-apiserver and etcd, the upstream CRI proto), starts a private containerd with the test images,
# runs the unit and integration tests in one node test run, and cleans up even when a test fails.
#
# Usage: scripts/test.sh [TEST-FILE...]   (default: every test under test/unit and test/integration)
#
# CRI-O: after the containerd run, a private CRI-O (scripts/crio.sh, built from the Go module proxy
# the first time) runs the integration files proven on it (CRIO_FILES below). STATICLET_TEST_CRIO:
#   auto (default)  CRIO_FILES on CRI-O after a full run; nothing more when files are named
#   1               also after a run of named files: those of them in CRIO_FILES, or all if none is
#   only            the named files (or CRIO_FILES) on CRI-O alone, no containerd run
#   0               never
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$STATICLET_ROOT"

[[ $(id -u) -eq 0 ]] || die "the integration tests run containers: run as root"

# systemd: systemd-notify and systemd-analyze; python3 holds the notify socket in the tests.
ensure_apt_packages containerd runc containernetworking-plugins busybox-static iptables iproute2 systemd python3
ensure_node_modules
log "type-checking and building"
npm run --silent build
# Lint, format and layering (import rules and cycles): cheap, so they fail the run first.
log "lint, format and layering checks"
npm run --silent lint

command -v kubectl >/dev/null || die "kubectl is needed as the outside client of the mirror-pod tests"
# A real kube-apiserver and etcd for the mirror-pod tests, built from the Go module proxy (cached
# by version in $STATICLET_CACHE: minutes the first time on a machine, instant afterwards).
STATICLET_KUBE_BIN="$(bash scripts/kube/build.sh all)"
export STATICLET_KUBE_BIN
STATICLET_CRICTL="$(bash scripts/tools.sh crictl)"
STATICLET_CRI_API_PROTO="$(bash scripts/tools.sh cri-api-proto)"
export STATICLET_CRICTL STATICLET_CRI_API_PROTO

# The integration files that run on CRI-O too (see docs/development.md#cri-o).
CRIO_FILES=(test/integration/lifecycle.test.ts test/integration/restarts.test.ts
  test/integration/probes-hooks.test.ts test/integration/cri-client.test.ts)
crio_mode="${STATICLET_TEST_CRIO:-auto}"
[[ "$crio_mode" =~ ^(auto|0|1|only)$ ]] || die "STATICLET_TEST_CRIO must be auto, 0, 1 or only, not '$crio_mode'"
crio_files=()
if (($# == 0)); then
  [[ "$crio_mode" == 0 ]] || crio_files=("${CRIO_FILES[@]}")
elif [[ "$crio_mode" == only ]]; then
  crio_files=("$@")
elif [[ "$crio_mode" == 1 ]]; then
  for f in "$@"; do
    for c in "${CRIO_FILES[@]}"; do [[ "$f" == "$c" || "$f" == "./$c" ]] && crio_files+=("$f"); done
  done
  ((${#crio_files[@]})) || crio_files=("$@")
fi

run_dir="$(mktemp -d /tmp/staticlet-test.XXXXXX)"
crio_dir=""
cleanup() {
  bash scripts/containerd.sh stop "$run_dir" || true
  [[ -z "$crio_dir" ]] || bash scripts/crio.sh stop "$crio_dir" || true
}
trap cleanup EXIT

if [[ "$crio_mode" != only ]]; then
  bash scripts/containerd.sh start "$run_dir"
  bash scripts/images.sh "$run_dir/containerd.sock"
  export STATICLET_TEST_CRI_ENDPOINT="unix://$run_dir/containerd.sock" STATICLET_TEST_RUNTIME=containerd

  if [[ $# -gt 0 ]]; then
    files=("$@")
  else
    files=(test/unit/*.test.ts test/integration/*.test.ts)
  fi
  log "running ${#files[@]} test files"
  # One file at a time: the integration tests share one containerd and the machine has 2 cores.
  node --import tsx --test --test-concurrency=1 "${files[@]}"
fi

if ((${#crio_files[@]})); then
  crio_dir="$(mktemp -d /tmp/staticlet-crio.XXXXXX)"
  crio_t0=$SECONDS
  bash scripts/crio.sh start "$crio_dir"
  log "running ${#crio_files[@]} test files on CRI-O"
  STATICLET_TEST_CRI_ENDPOINT="unix://$crio_dir/crio.sock" STATICLET_TEST_RUNTIME=cri-o \
    node --import tsx --test --test-concurrency=1 "${crio_files[@]}"
  bash scripts/crio.sh stop "$crio_dir"
  crio_dir=""
  log "CRI-O block: $((SECONDS - crio_t0)) s"
fi

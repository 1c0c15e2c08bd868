#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: installs what is missing (apt packages,
# node modules, crictl, kube-apiserver and etcd, the upstream CRI proto), starts a private containerd with the test images,
# runs the unit and integration tests in one node test run, and cleans up even when a test fails.
#
# Usage: scripts/test.sh [TEST-FILE...]   (default: every test under test/unit and test/integration)
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

run_dir="$(mktemp -d /tmp/staticlet-test.XXXXXX)"
cleanup() {
  bash scripts/containerd.sh stop "$run_dir" || true
}
trap cleanup EXIT
bash scripts/containerd.sh start "$run_dir"
bash scripts/images.sh "$run_dir/containerd.sock"
export STATICLET_TEST_CRI_ENDPOINT="unix://$run_dir/containerd.sock"

if [[ $# -gt 0 ]]; then
  files=("$@")
else
  files=(test/unit/*.test.ts test/integration/*.test.ts)
fi
log "running ${#files[@]} test files"
# One file at a time: the integration tests share one containerd and the machine has 2 cores.
node --import tsx --test --test-concurrency=1 "${files[@]}"

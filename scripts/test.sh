#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: installs what is missing (apt packages,
# node modules, crictl, kube-apiserver and etcd, containerd 2.x and its runc, the upstream CRI
# proto), then for each runtime of the matrix starts a private containerd with the test images and
# runs the tests on it, and cleans up even when a test fails. A failure on any runtime fails the
# run; the summary at the end names the runtime.
#
# Usage: scripts/test.sh [TEST-FILE...]   (default: every test under test/unit and test/integration)
#
# Env:
#   STATICLET_TEST_RUNTIMES  comma-separated, in order (default: containerd1,containerd2,crio):
#                            containerd1 = Debian's containerd 1.6, containerd2 = containerd 2.x
#                            built by scripts/containerd2/build.sh, crio = CRI-O built by
#                            scripts/crio/build.sh (scripts/crio.sh). The unit tests run on the first
#                            only (they touch no runtime); the integration tests on each, on crio
#                            only those in CRIO_FILES below.
#   STATICLET_TEST_CRIO_FILES  space-separated: another set of integration files for crio.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$STATICLET_ROOT"

[[ $(id -u) -eq 0 ]] || die "the integration tests run containers: run as root"

# systemd: systemd-notify and systemd-analyze; python3 holds the notify socket in the tests.
# libseccomp-dev and gcc: runc for containerd 2.x is built with cgo and seccomp.
ensure_apt_packages containerd runc containernetworking-plugins busybox-static iptables iproute2 systemd python3 \
  libseccomp-dev gcc
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

if [[ $# -gt 0 ]]; then
  files=("$@")
else
  files=(test/unit/*.test.ts test/integration/*.test.ts)
fi
unit=() integration=()
for f in "${files[@]}"; do
  case "$f" in
  test/unit/* | ./test/unit/*) unit+=("$f") ;;
  *) integration+=("$f") ;;
  esac
done

# The integration files proven on CRI-O (see docs/development.md#cri-o); the others use containerd
# itself (ctr, its restart, its task events) or have not been tried there.
read -r -a crio_set <<<"${STATICLET_TEST_CRIO_FILES:-test/integration/lifecycle.test.ts test/integration/restarts.test.ts test/integration/probes-hooks.test.ts test/integration/cri-client.test.ts test/integration/cri-events.test.ts}"

# Integration files that never touch the runtime under test: the bench and faults smokes start
# their own containerd 1.6, the others test file watching and the API client alone. They run with
# the first runtime only, like the unit files (in the 2.x pass they were 8 minutes repeated).
once_set=(test/integration/bench-smoke.test.ts test/integration/faults-smoke.test.ts
  test/integration/kube-api.test.ts test/integration/manifest-fs.test.ts
  test/integration/manifest-entry-fs.test.ts)
in_once_set() {
  local c
  for c in "${once_set[@]}"; do [[ "${1#./}" == "$c" ]] && return 0; done
  return 1
}

IFS=, read -r -a runtimes <<<"${STATICLET_TEST_RUNTIMES:-containerd1,containerd2,crio}"
((${#runtimes[@]} > 0)) || die "STATICLET_TEST_RUNTIMES is empty"
for runtime in "${runtimes[@]}"; do
  case "$runtime" in
  containerd1) ;;
  # Built before any test runs (cached; minutes the first time), not in the middle of the matrix.
  containerd2) ((${#integration[@]} == 0)) || bash scripts/containerd2/build.sh >/dev/null ;;
  crio) ((${#integration[@]} == 0)) || bash scripts/crio/build.sh >/dev/null ;;
  *) die "unknown runtime '$runtime' in STATICLET_TEST_RUNTIMES (want containerd1, containerd2, crio)" ;;
  esac
done

run_dir="" run_script=""
cleanup() {
  if [[ -n "$run_dir" ]]; then bash "$run_script" stop "$run_dir" || true; fi
}
trap cleanup EXIT

# start_runtime RUNTIME DIR: a private instance with the test images, and the test environment
# pointing at it (the runtime's name for tests that differ by it, its directory for those that
# restart it).
start_runtime() {
  local runtime="$1" dir="$2"
  if [[ "$runtime" == crio ]]; then
    # The test images are copied into its storage at start; the runtime named as its CRI names it.
    bash scripts/crio.sh start "$dir" || return 1
    export STATICLET_TEST_RUNTIME=cri-o STATICLET_TEST_RUNTIME_DIR="$dir"
    export STATICLET_TEST_CRI_ENDPOINT="unix://$dir/crio.sock"
    return 0
  fi
  STATICLET_CONTAINERD="${runtime#containerd}" bash scripts/containerd.sh start "$dir" || return 1
  bash scripts/images.sh "$dir/containerd.sock" || return 1
  export STATICLET_TEST_RUNTIME="$runtime" STATICLET_TEST_RUNTIME_DIR="$dir"
  export STATICLET_TEST_CRI_ENDPOINT="unix://$dir/containerd.sock"
}

failed=() summary=()
for i in "${!runtimes[@]}"; do
  runtime="${runtimes[$i]}"
  these=("${integration[@]}")
  if [[ "$runtime" == crio ]]; then
    these=()
    for f in "${integration[@]}"; do
      for c in "${crio_set[@]}"; do [[ "${f#./}" == "$c" ]] && these+=("$f"); done
    done
  fi
  if ((i > 0)); then
    rest=()
    for f in "${these[@]}"; do in_once_set "$f" || rest+=("$f"); done
    these=("${rest[@]}")
  else
    these=("${unit[@]}" "${these[@]}")
  fi
  ((${#these[@]} > 0)) || continue
  run_dir="$(mktemp -d /tmp/staticlet-test.XXXXXX)"
  run_script=scripts/containerd.sh
  [[ "$runtime" != crio ]] || run_script=scripts/crio.sh
  if ! start_runtime "$runtime" "$run_dir"; then
    failed+=("$runtime")
    summary+=("$runtime: FAILED (the runtime or the test images did not start)")
    bash "$run_script" stop "$run_dir" || true
    run_dir=""
    continue
  fi
  log "[$runtime] running ${#these[@]} test files"
  started=$SECONDS
  # One file at a time: the integration tests share one containerd and the machine has 2 cores.
  if node --import tsx --test --test-concurrency=1 "${these[@]}"; then
    summary+=("$runtime: passed (${#these[@]} files, $((SECONDS - started)) s)")
  else
    failed+=("$runtime")
    summary+=("$runtime: FAILED (${#these[@]} files, $((SECONDS - started)) s)")
  fi
  bash "$run_script" stop "$run_dir" || true
  run_dir=""
done

for line in "${summary[@]}"; do log "$line"; done
((${#failed[@]} == 0)) || die "tests failed on: ${failed[*]}"

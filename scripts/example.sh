#!/usr/bin/env bash
# The main job on a fresh machine: runs staticlet on examples/. Unless a runtime is named with
# --container-runtime-endpoint, it installs and starts a private containerd (with the example
# images built locally from busybox) in /var/lib/staticlet-example and reuses it on later runs.
#
# Usage: scripts/example.sh [staticlet flags...]   Ctrl-C stops the agent; the pods keep running
#        scripts/example.sh --down                 removes the private containerd and its pods
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$STATICLET_ROOT"

readonly EXAMPLE_DIR=/var/lib/staticlet-example
readonly SOCKET="$EXAMPLE_DIR/containerd.sock"

if [[ "${1:-}" == "--down" ]]; then
  bash scripts/containerd.sh stop "$EXAMPLE_DIR"
  log "private containerd and the example pods removed"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "staticlet runs containers: run as root"

endpoint=""
for arg in "$@"; do
  case "$arg" in --container-runtime-endpoint=*) endpoint="${arg#*=}" ;; esac
done

if [[ -z "$endpoint" ]]; then
  ensure_apt_packages containerd runc containernetworking-plugins busybox-static iptables iproute2
  if ! ctr -a "$SOCKET" version >/dev/null 2>&1; then
    bash scripts/containerd.sh start "$EXAMPLE_DIR"
  fi
  bash scripts/images.sh "$SOCKET"
  endpoint="unix://$SOCKET"
  set -- "--container-runtime-endpoint=$endpoint" "$@"
fi

ensure_node_modules
npm run --silent build

crictl="$(bash scripts/tools.sh crictl 2>/dev/null || echo crictl)"
# crictl warns on every call when it finds no config file and no image endpoint: give it both, so
# the first thing a new user sees is the pods.
crictl_config="$EXAMPLE_DIR/crictl.yaml"
mkdir -p "$EXAMPLE_DIR"
printf 'runtime-endpoint: %s\nimage-endpoint: %s\ntimeout: 10\n' "$endpoint" "$endpoint" >"$crictl_config"
crictl="$crictl --config $crictl_config"
cat >&2 <<MSG

  staticlet is starting on examples/ (runtime: $endpoint).
  In another terminal:
    curl http://127.0.0.1:8080/                 # static-web answers
    # the containers; stop one and watch it come back with ATTEMPT 1:
    $crictl ps
    $crictl stop <CONTAINER-ID>
  Ctrl-C stops the agent and leaves the pods running; 'npm run example -- --down' removes everything.

MSG
exec bin/staticlet --pod-manifest-path="$STATICLET_ROOT/examples" --pod-logs-dir=/var/log/pods "$@"

#!/usr/bin/env bash
# The agent's idle relist rate: CRI list calls per minute, its CPU and the relist's duration, with
# N pods running and nothing changing. On a private containerd (1.6 here, whose task events are
# the agent's event stream), the agent of a checkout given (default: this one).
#
# Usage: scripts/relist-rate.sh [--pods N] [--seconds S] [--checkout DIR] [--churn-every S] [-- AGENT-FLAGS...]
# --churn-every S: during the window, stop one pod's container from outside (crictl) every S
# seconds, so the events have something to tell and the safety net something to miss.
# Prints one line: pods, window, list_containers calls/min, list_podsandbox calls/min, relists/min,
# mean relist ms, agent CPU ms/min, and the changes the safety net found that events missed (all run).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

pods=50
seconds=60
checkout="$STATICLET_ROOT"
churn=''
while [[ $# -gt 0 ]]; do
  case "$1" in
  --pods) pods="$2"; shift 2 ;;
  --seconds) seconds="$2"; shift 2 ;;
  --checkout) checkout="$(cd "$2" && pwd)"; shift 2 ;;
  --churn-every) churn="$2"; shift 2 ;;
  --) shift; break ;;
  *) die "unknown argument: $1" ;;
  esac
done

dir="$(mktemp -d /tmp/staticlet-relist-rate.XXXXXX)"
agent_pid=''
cleanup() {
  [[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true
  bash "$STATICLET_ROOT/scripts/containerd.sh" stop "$dir/ctr" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

bash "$STATICLET_ROOT/scripts/containerd.sh" start "$dir/ctr" >/dev/null
bash "$STATICLET_ROOT/scripts/images.sh" "$dir/ctr/containerd.sock" >/dev/null
mkdir -p "$dir/manifests"
for i in $(seq 1 "$pods"); do
  cat >"$dir/manifests/p$i.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: p$i}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 0
  containers: [{name: main, image: staticlet.local/busybox:1, command: [sleep, "100000"]}]
YAML
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
node --import tsx "$checkout/src/main.ts" --pod-manifest-path="$dir/manifests" \
  --container-runtime-endpoint="unix://$dir/ctr/containerd.sock" --hostname-override="rate-$$" \
  --root-dir="$dir/root" --pod-logs-dir="$dir/logs" \
  --healthz-bind-address=127.0.0.1 --healthz-port="$port" "$@" >"$dir/agent.log" 2>&1 &
agent_pid=$!

metric() { # NAME LABEL-MATCH: the sum of the samples of NAME whose line matches LABEL-MATCH
  curl -s "http://127.0.0.1:$port/metrics" | awk -v n="$1" -v m="$2" '$1 ~ "^"n && $1 ~ m {s += $2} END {printf "%.6f\n", s}'
}
for _ in $(seq 1 240); do
  running=$(metric kubelet_running_containers 'container_state="running"' 2>/dev/null || echo 0)
  [[ "${running%.*}" -ge "$pods" ]] && break
  sleep 1
done
[[ "${running%.*}" -ge "$pods" ]] || die "only ${running} of $pods containers running; agent log: $dir/agent.log"
sleep 15 # the start's follow-ups and status writes pass

read_all() {
  echo "$(metric kubelet_runtime_operations_total 'operation_type="list_containers"') \
$(metric kubelet_runtime_operations_total 'operation_type="list_podsandbox"') \
$(metric kubelet_pleg_relist_duration_seconds_count '') $(metric kubelet_pleg_relist_duration_seconds_sum '') \
$(metric process_cpu_seconds_total '') $(metric staticlet_relist_missed_changes_total '')"
}
read -r lc0 ls0 rc0 rs0 cpu0 _ <<<"$(read_all)"
if [[ -n "$churn" ]]; then
  crictl="$(bash "$STATICLET_ROOT/scripts/tools.sh" crictl)"
  stops=0
  end=$((SECONDS + seconds))
  while ((SECONDS < end)); do
    id="$("$crictl" --runtime-endpoint "unix://$dir/ctr/containerd.sock" ps -q --state running \
      --label "io.kubernetes.pod.name=p$((RANDOM % pods + 1))-rate-$$" | head -1)"
    [[ -n "$id" ]] && "$crictl" --runtime-endpoint "unix://$dir/ctr/containerd.sock" stop --timeout 0 "$id" >/dev/null &&
      stops=$((stops + 1))
    sleep "$churn"
  done
  echo "churn: $stops containers stopped from outside"
  echo "exits seen first by: $(metric staticlet_container_exits_total 'seen_by="event"') event," \
    "$(metric staticlet_container_exits_total 'seen_by="relist"') relist"
else
  sleep "$seconds"
fi
read -r lc1 ls1 rc1 rs1 cpu1 missed <<<"$(read_all)"
python3 - "$pods" "$seconds" "$lc0" "$lc1" "$ls0" "$ls1" "$rc0" "$rc1" "$rs0" "$rs1" "$cpu0" "$cpu1" "$missed" <<'PY'
import sys
pods, secs, lc0, lc1, ls0, ls1, rc0, rc1, rs0, rs1, c0, c1, missed = sys.argv[1:]
per_min = lambda a, b: (float(b) - float(a)) * 60 / float(secs)
n = float(rc1) - float(rc0)
mean = (float(rs1) - float(rs0)) * 1000 / n if n else float('nan')
print(f"pods={pods} window={secs}s list_containers/min={per_min(lc0, lc1):.1f} "
      f"list_podsandbox/min={per_min(ls0, ls1):.1f} relists/min={per_min(rc0, rc1):.1f} "
      f"relist_mean_ms={mean:.2f} agent_cpu_ms/min={per_min(c0, c1) * 1000:.0f} missed={float(missed):.0f}")
PY

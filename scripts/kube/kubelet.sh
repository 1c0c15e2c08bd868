#!/usr/bin/env bash
# The real kubelet, standalone (no API server), running static pods from a manifest
# directory against a private containerd: the reference staticlet is benchmarked against.
#
# Usage:
#   kubelet.sh start DIR --manifests MANIFEST_DIR --endpoint unix:///path/containerd.sock
#                        [--node-name NAME] [--file-check-frequency 20s] [--kubeconfig FILE]
#       Starts the kubelet in the background, waits (at most 30 s) until it is up (its
#       healthz answers on loopback and its log says the main sync loop started), then
#       prints its pid as the last line of stdout (measure CPU/RSS from /proc/PID).
#   kubelet.sh stop DIR
#       TERM, KILL after 10 s. Pods keep running (static pods outlive the agent, as
#       with staticlet): cleaning the runtime is the caller's job (scripts/containerd.sh
#       stop). Deletes nothing; safe to call twice.
#
# DIR (created if missing) holds everything the kubelet writes:
#   kubelet.yaml   its KubeletConfiguration      kubelet.log   its log (appended)
#   kubelet.pid    its pid                        kubelet.env   pid, ports, node name/IP
#   root/          --root-dir (pods/, plugins/, checkpoints, cpu/memory manager state)
#   pod-logs/      podLogsDir (container logs, written by containerd)
#   pki/           --cert-dir (self-signed serving cert it generates at start)
#   volume-plugins/ volumePluginDir (flexvolume dir; the kubelet creates it)
#   ns/            what backs its private mount namespace (see below)
# Remove DIR yourself once the kubelet is stopped (no mount is left behind).
#
# Env:
#   STATICLET_KUBE_BIN        directory with the kubelet (default: scripts/kube/build.sh kubelet)
#   STATICLET_KUBELET_V       klog verbosity (default 0, the kubelet's own default)
#   STATICLET_KUBELET_NODE_IP node IP to report (default: the IPv4 of the default-route interface)
#
# ---------------------------------------------------------------------------------------
# Private mount namespace. The kubelet is started through `unshare --mount` (pid stays the
# kubelet's: setsid, unshare and the setup shell all exec in place). In that namespace only:
#   - /var/lib and /var/log are overlays whose upper layers are DIR/ns/{var-lib,var-log}.
#     Two paths are hard-coded in this kubelet and cannot be configured:
#     /var/lib/kubelet/device-plugins/ (device manager socket + checkpoint; it also deletes
#     whatever else it finds there at start) and /var/log/containers/ (legacy log symlinks;
#     its GC deletes every dangling *.log symlink there). Without the overlays every
#     kubelet run would write to the host there and two kubelets would clobber each other.
#   - The kernel tunables the kubelet insists on (vm.overcommit_memory=1, kernel.panic=10,
#     kernel.panic_on_oops=1, vm.panic_on_oom=0, kernel.keys.root_maxkeys=1000000,
#     kernel.keys.root_maxbytes=25000000) are shown with those values by bind-mounting
#     small files from DIR/ns/sysctl over the /proc/sys entries that differ on the host.
#     By default (protectKernelDefaults: false) the kubelet WRITES them, machine-wide; on
#     these machines the writes succeed (seen: vm.overcommit_memory 0->1, kernel.panic 1->10,
#     kernel.panic_on_oops 0->1). With protectKernelDefaults: true and real values it
#     refuses to start:
#       "Failed to start ContainerManager" err="[invalid kernel flag: vm/overcommit_memory,
#        expected value: 1, actual value: 0, invalid kernel flag: kernel/panic, expected
#        value: 10, actual value: 1, invalid kernel flag: kernel/panic_on_oops, ...]"
#     So: protectKernelDefaults: true (never write, only check) + the faked values.
#   - The kubelet bind-mounts its root dir onto itself (MakeRShared); in the namespace
#     that mount dies with the process instead of staying on the host under DIR/root.
#   - Without a hugetlb cgroup controller, /sys/kernel/mm/hugepages is hidden (an empty tmpfs), so
#     the kubelet asks for no hugetlb limits, which CRI-O would fail on (see _ns-exec).
# All host mounts on these machines are private, so nothing propagates either way. The
# cost: a mount the kubelet makes for a pod (tmpfs for emptyDir medium: Memory) is not
# seen by containerd, so such a volume is a plain directory. Static pods in standalone
# mode cannot use secret/configMap/projected-token volumes anyway. A hostPath
# DirectoryOrCreate the kubelet creates under /var/lib or /var/log lands in the overlay
# (containerd then creates the host directory itself). For the same reason DIR, the
# manifest dir and the socket must not be under /var/lib or /var/log.
#
# Non-default settings (KubeletConfiguration unless marked flag) and why. Everything that
# sets the pace (syncFrequency 1m, fileCheckFrequency 20s + inotify, PLEG relist 1s with
# the generic PLEG, runtimeRequestTimeout 2m, image GC/eviction thresholds, container
# log rotation, serializeImagePulls, verbosity 0) keeps the kubelet's default.
#   staticPodPath, containerRuntimeEndpoint   the point of the exercise
#   fileCheckFrequency       only if --file-check-frequency is given (default 20s, the same)
#   --root-dir, --cert-dir (flags), podLogsDir, volumePluginDir
#                            keep every file under DIR (defaults /var/lib/kubelet,
#                            /var/lib/kubelet/pki, /var/log/pods, /usr/libexec/kubernetes/...)
#   --hostname-override (flag)  --node-name; names static pods <pod>-<node>
#   --kubeconfig (flag)      only if --kubeconfig is given: the kubelet then registers its node,
#                            renews its lease and mirrors its static pods into that API server
#                            (bench/apiserver-load.ts measures the requests); without it, standalone
#   --node-ip (flag)         without it the kubelet resolves the node name through DNS
#                            (net.LookupIP) every time it builds its node object in
#                            standalone mode (pod status, admission): a name not in
#                            /etc/hosts means queries to the nameserver and a possible DNS
#                            timeout in pod sync. It must be a non-loopback address of a
#                            local interface ("nodeIP can't be loopback address"); the
#                            default-route interface's IPv4 is what the kubelet itself
#                            falls back to when the lookup finds nothing.
#   authentication.webhook.enabled: false, authentication.anonymous.enabled: true,
#   authorization.mode: AlwaysAllow
#                            with no API server the defaults fail at start:
#                              "failed to run Kubelet: no client provided, cannot use
#                               webhook authentication" (then "... webhook authorization");
#                            and with neither webhook nor anonymous nor a client CA there
#                            is "No authentication method configured". These are the
#                            values the kubelet itself uses when run with flags only.
#   enableServer: false      so the above opens nothing: no :10250 HTTPS server (exec,
#                            logs, pods, stats endpoints), no port to collide with another
#                            kubelet. Nothing calls it in standalone mode. (It still makes
#                            its self-signed cert in pki/ at start.)
#   address: 127.0.0.1, readOnlyPort: 0   no listener off loopback (moot with the server off)
#   healthzBindAddress: 127.0.0.1, healthzPort: a free loopback port (default 10248, shared)
#   cgroupsPerQOS: false     the default creates /kubepods{,/burstable,/besteffort} in every
#                            host cgroup v1 hierarchy, shared by all kubelets on the machine
#                            (and its pod-cgroup cleanup would fight over them). Also means
#                            no per-pod cgroup: containers go where containerd puts them.
#   enforceNodeAllocatable: []  required once cgroupsPerQOS is off: "invalid configuration:
#                            cgroupsPerQOS (--cgroups-per-qos) must be set to true when
#                            \"pods\" contained in enforceNodeAllocatable"
#   cgroupDriver: cgroupfs   already the default; stated because it must match containerd
#                            (SystemdCgroup = false) and containerd 1.6 cannot tell the
#                            kubelet ("RuntimeConfig ... Unimplemented", logged once)
#   oomScoreAdj: 0           default -999: "Failed to ApplyOOMScoreAdj" err="write
#                            /proc/self/oom_score_adj: permission denied" (negative values
#                            are denied here, as for containerd)
#   protectKernelDefaults: true   see the mount namespace above
#   makeIPTablesUtilChains: false the default adds KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY
#                            (mangle/nat/filter, v4+v6) and a KUBE-FIREWALL chain with a DROP
#                            rule jumped to from INPUT and OUTPUT to the host's iptables, and
#                            re-checks them every minute. Not needed by anything here.
#   failSwapOn: false        no swap on these machines, so inert; keeps a machine with swap
#                            from refusing to start
# Left at defaults although the list of suspects had them: localStorageCapacityIsolation
# (works on cgroup v1 here), resolvConf (/etc/resolv.conf, only read, as staticlet does),
# hairpinMode (no effect with a CRI runtime), imageServiceEndpoint (= runtime endpoint),
# runtimeRequestTimeout, maxOpenFiles (raising RLIMIT_NOFILE fails here: "Failed to set
# rlimit on max file handles" err="operation not permitted", logged once, harmless).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$HERE/../lib/common.sh"

readonly START_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=10
readonly PORT_LO=20000 # below the kernel's ephemeral range, as control-plane.sh
readonly PORT_HI=32000
readonly READY_LINE='Starting kubelet main sync loop'
# The values setupKernelTunables (pkg/kubelet/cm/container_manager_linux.go) wants.
readonly KERNEL_TUNABLES=(
  vm/overcommit_memory=1
  vm/panic_on_oom=0
  kernel/panic=10
  kernel/panic_on_oops=1
  kernel/keys/root_maxkeys=1000000
  kernel/keys/root_maxbytes=25000000
)
# Host directories overlaid in the kubelet's mount namespace (see the header).
readonly OVERLAID=(/var/lib /var/log)

usage() {
  sed -n '/^# Usage:/,/^#$/{/^#$/q;s/^# \{0,1\}//;p}' "$SELF" >&2
  exit 2
}

# ---------------------------------------------------------------- helpers

abs_path() {
  local d="$1"
  [[ "$d" == /* ]] || d="$PWD/$d"
  realpath -m -- "$d"
}

# The paths are spliced into YAML and mount options: keep them free of anything needing escapes.
check_path() {
  [[ "$2" =~ ^/[A-Za-z0-9._/+-]+$ ]] || die "$1 must be an absolute path of [A-Za-z0-9._/+-]: $2"
  [[ "$2" != / ]] || die "$1 must not be /"
  local o
  for o in "${OVERLAID[@]}"; do
    [[ "$2" != "$o" && "$2" != "$o/"* ]] ||
      die "$1 must not be under $o (overlaid in the kubelet's mount namespace): $2"
  done
}

port_free() { [[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

pick_port() {
  local span=$((PORT_HI - PORT_LO)) i p
  for ((i = 0; i < 200; i++)); do
    p=$((PORT_LO + (RANDOM * 32768 + RANDOM) % span))
    if port_free "$p"; then
      echo "$p"
      return 0
    fi
  done
  die "no free port in $PORT_LO-$PORT_HI after 200 tries"
}

# True while PID runs (a zombie counts as gone).
is_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ -n "$stat" && "${stat%% *}" != [ZX] ]]
}

# Our processes for DIR: every process whose argv has exactly --config=DIR/kubelet.yaml.
# That is the kubelet, and before it execs, the namespace setup shell that carries its argv.
kubelet_pids() {
  local want="--config=$1/kubelet.yaml" p
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "$p" != "$$" && "$p" != "$BASHPID" ]] || continue
    if tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | grep -qxF -- "$want"; then
      is_alive "$p" && echo "$p"
    fi
  done
  return 0
}

# The IPv4 address of the interface holding the default route (no packet is sent).
default_node_ip() {
  local dev ip
  dev="$(ip -4 route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')"
  if [[ -n "$dev" ]]; then
    ip="$(ip -4 -o addr show dev "$dev" scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')"
  fi
  if [[ -z "${ip:-}" ]]; then
    ip="$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')"
  fi
  [[ -n "${ip:-}" ]] || die "no global IPv4 address on this machine; set STATICLET_KUBELET_NODE_IP"
  echo "$ip"
}

healthz_ok() {
  local out
  out="$(curl --noproxy '*' -fsS -m 1 "http://127.0.0.1:$1/healthz" 2>/dev/null)" || return 1
  [[ "$out" == ok ]]
}

# ---------------------------------------------------------------- namespace setup
# Runs as the first thing inside `unshare --mount`: its stdout/stderr are kubelet.log.
# Usage: kubelet.sh _ns-exec DIR -- KUBELET ARGS...
cmd_ns_exec() {
  local dir="$1" kv key want have f o name
  shift
  [[ "${1:-}" == -- ]] || die "_ns-exec: missing --"
  shift
  # unshare --propagation private already did this; repeat it so nothing below can
  # propagate to the host even if that default changes.
  mount --make-rprivate / || die "cannot make / private in the kubelet's mount namespace"
  mkdir -p "$dir/ns/sysctl"
  for kv in "${KERNEL_TUNABLES[@]}"; do
    key="${kv%%=*}" want="${kv#*=}"
    [[ -e "/proc/sys/$key" ]] || continue # the kubelet then fails on its own, clearly
    have="$(cat "/proc/sys/$key")"
    [[ "$have" != "$want" ]] || continue
    f="$dir/ns/sysctl/${key//\//.}"
    echo "$want" >"$f"
    mount --bind -o ro "$f" "/proc/sys/$key" 2>/dev/null || mount --bind "$f" "/proc/sys/$key" ||
      die "cannot bind $f over /proc/sys/$key"
    echo "kubelet.sh: /proc/sys/$key shows $want in the kubelet's mount namespace (host: $have)"
  done
  for o in "${OVERLAID[@]}"; do
    name="${o#/}" name="${name//\//-}"
    mkdir -p "$dir/ns/$name" "$dir/ns/$name.work"
    mount -t overlay overlay -o "lowerdir=$o,upperdir=$dir/ns/$name,workdir=$dir/ns/$name.work" "$o" ||
      die "cannot overlay $o with $dir/ns/$name"
  done
  # No hugetlb cgroup controller (cgroup v1 without it): hide the hugepage sizes too, or the kubelet
  # asks the runtime for a hugetlb limit of 0 per size in every container, which CRI-O passes to
  # runc and runc fails ("cannot set hugetlb limit: container could not join or create cgroup");
  # containerd drops such limits itself when the controller is missing.
  if [[ ! -e /sys/fs/cgroup/hugetlb && ! -e /sys/fs/cgroup/cgroup.controllers && -d /sys/kernel/mm/hugepages ]]; then
    mount -t tmpfs -o ro,size=4k none /sys/kernel/mm/hugepages ||
      die "cannot hide /sys/kernel/mm/hugepages in the kubelet's mount namespace"
    echo "kubelet.sh: no hugetlb cgroup controller: /sys/kernel/mm/hugepages is empty in the kubelet's mount namespace"
  fi
  exec "$@"
}

# ---------------------------------------------------------------- start

write_config() {
  local f="$1"
  {
    cat <<EOF
# Generated by scripts/kube/kubelet.sh; see its header for why each field is set.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: $MANIFESTS
containerRuntimeEndpoint: $ENDPOINT
podLogsDir: $D/pod-logs
volumePluginDir: $D/volume-plugins
enableServer: false
address: 127.0.0.1
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $HEALTHZ_PORT
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
oomScoreAdj: 0
protectKernelDefaults: true
makeIPTablesUtilChains: false
failSwapOn: false
EOF
    [[ -z "$FILE_CHECK" ]] || echo "fileCheckFrequency: $FILE_CHECK"
  } >"$f.tmp"
  mv -f "$f.tmp" "$f"
}

cmd_start() {
  local kbin pid log_off deadline running v node_ip
  MANIFESTS="" ENDPOINT="" NODE_NAME="" FILE_CHECK="" KUBECONFIG_FILE=""
  while (($#)); do
    case "$1" in
      --manifests | --endpoint | --node-name | --file-check-frequency | --kubeconfig)
        (($# >= 2)) || die "$1 needs a value"
        set -- "$1=$2" "${@:3}"
        continue
        ;;
      --manifests=*) MANIFESTS="${1#*=}" ;;
      --endpoint=*) ENDPOINT="${1#*=}" ;;
      --node-name=*) NODE_NAME="${1#*=}" ;;
      --file-check-frequency=*) FILE_CHECK="${1#*=}" ;;
      --kubeconfig=*) KUBECONFIG_FILE="${1#*=}" ;;
      *) die "unknown argument: $1" ;;
    esac
    shift
  done
  [[ -n "$MANIFESTS" && -n "$ENDPOINT" ]] || usage

  MANIFESTS="$(abs_path "$MANIFESTS")"
  check_path "manifest dir" "$MANIFESTS"
  [[ -d "$MANIFESTS" ]] || die "no such manifest directory: $MANIFESTS"
  ENDPOINT="${ENDPOINT#unix://}"
  ENDPOINT="$(abs_path "$ENDPOINT")"
  check_path "endpoint" "$ENDPOINT"
  [[ -S "$ENDPOINT" ]] || die "no socket at $ENDPOINT"
  ENDPOINT="unix://$ENDPOINT"
  if [[ -n "$NODE_NAME" ]]; then
    [[ "$NODE_NAME" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ && ${#NODE_NAME} -le 63 ]] ||
      die "bad node name '$NODE_NAME' (lower-case DNS name, at most 63 characters)"
  fi
  if [[ -n "$FILE_CHECK" ]]; then
    [[ "$FILE_CHECK" =~ ^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$ ]] ||
      die "bad --file-check-frequency '$FILE_CHECK' (a Go duration such as 20s)"
  fi
  if [[ -n "$KUBECONFIG_FILE" ]]; then
    KUBECONFIG_FILE="$(abs_path "$KUBECONFIG_FILE")"
    [[ -f "$KUBECONFIG_FILE" ]] || die "no such kubeconfig: $KUBECONFIG_FILE"
  fi
  v="${STATICLET_KUBELET_V:-0}"
  [[ "$v" =~ ^[0-9]+$ ]] || die "STATICLET_KUBELET_V must be a number"
  node_ip="${STATICLET_KUBELET_NODE_IP:-$(default_node_ip)}"

  mkdir -p "$D"
  running="$(kubelet_pids "$D")"
  [[ -z "$running" ]] || die "a kubelet already runs for $D (pid ${running//$'\n'/ }); stop it first"

  if [[ -n "${STATICLET_KUBE_BIN:-}" ]]; then
    kbin="$STATICLET_KUBE_BIN"
  else
    kbin="$("$HERE/build.sh" kubelet)" # instant when cached
  fi
  [[ -x "$kbin/kubelet" ]] || die "no kubelet in $kbin"
  command -v unshare >/dev/null || die "unshare (util-linux) is needed"
  command -v curl >/dev/null || die "curl is needed"

  HEALTHZ_PORT="$(pick_port)"
  mkdir -p "$D/root" "$D/pod-logs" "$D/pki" "$D/volume-plugins" "$D/ns"
  write_config "$D/kubelet.yaml"

  local args=(
    "$kbin/kubelet"
    "--config=$D/kubelet.yaml"
    "--root-dir=$D/root"
    "--cert-dir=$D/pki"
    "--node-ip=$node_ip"
    "--v=$v"
  )
  [[ -z "$NODE_NAME" ]] || args+=("--hostname-override=$NODE_NAME")
  [[ -z "$KUBECONFIG_FILE" ]] || args+=("--kubeconfig=$KUBECONFIG_FILE")

  touch "$D/kubelet.log"
  log_off="$(stat -c %s "$D/kubelet.log")"
  printf '=== kubelet.sh start %s: %s\n' "$(date -u +%FT%TZ)" "${args[*]}" >>"$D/kubelet.log"
  log "starting kubelet for $MANIFESTS on $ENDPOINT (log $D/kubelet.log)"
  # setsid: own session, so a Ctrl-C in the caller's terminal does not reach it; all stdio
  # redirected so a caller capturing our stdout does not wait on the kubelet. setsid,
  # unshare and the setup shell exec in place, so $! ends up being the kubelet's pid.
  setsid unshare --mount --propagation private -- \
    bash "$SELF" _ns-exec "$D" -- "${args[@]}" </dev/null >>"$D/kubelet.log" 2>&1 &
  pid=$!
  echo "$pid" >"$D/kubelet.pid"
  cat >"$D/kubelet.env.tmp" <<EOF
PID=$pid
HEALTHZ_URL=http://127.0.0.1:$HEALTHZ_PORT/healthz
NODE_NAME=${NODE_NAME:-$(hostname)}
NODE_IP=$node_ip
MANIFESTS=$MANIFESTS
ENDPOINT=$ENDPOINT
CONFIG=$D/kubelet.yaml
LOG=$D/kubelet.log
KUBELET=$kbin/kubelet
EOF
  mv -f "$D/kubelet.env.tmp" "$D/kubelet.env"

  deadline=$((SECONDS + START_TIMEOUT_S))
  until [[ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null || true)")" == kubelet ]] &&
    tail -c +"$((log_off + 1))" "$D/kubelet.log" | grep -qF -- "$READY_LINE" &&
    healthz_ok "$HEALTHZ_PORT"; do
    if ! is_alive "$pid"; then
      log "kubelet exited during startup; log tail:"
      tail -c +"$((log_off + 1))" "$D/kubelet.log" | tail -n 30 >&2 || true
      rm -f "$D/kubelet.pid"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "kubelet not up within ${START_TIMEOUT_S}s; log tail:"
      tail -c +"$((log_off + 1))" "$D/kubelet.log" | tail -n 30 >&2 || true
      cmd_stop
      exit 1
    fi
    sleep 0.1
  done
  log "kubelet up (pid $pid, node ${NODE_NAME:-$(hostname)}, healthz 127.0.0.1:$HEALTHZ_PORT)"
  echo "$pid"
}

# ---------------------------------------------------------------- stop

cmd_stop() {
  local pids i alive p
  [[ -d "$D" ]] || return 0
  pids="$(kubelet_pids "$D")"
  if [[ -n "$pids" ]]; then
    log "stopping kubelet (pid ${pids//$'\n'/ })"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      alive=0
      for p in $pids; do is_alive "$p" && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    if ((alive)); then
      log "kubelet still alive after ${STOP_TIMEOUT_S}s, sending KILL"
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        alive=0
        for p in $pids; do is_alive "$p" && alive=1; done
        ((alive)) || break
        sleep 0.1
      done
      ((alive == 0)) || die "kubelet would not die: $pids"
    fi
  fi
  rm -f "$D/kubelet.pid"
}

# ---------------------------------------------------------------- main

cmd="${1:-}"
case "$cmd" in
  _ns-exec)
    (($# >= 4)) || usage
    shift
    cmd_ns_exec "$@"
    ;;
  start)
    (($# >= 2)) || usage
    D="$(abs_path "$2")"
    check_path DIR "$D"
    shift 2
    cmd_start "$@"
    ;;
  stop)
    (($# == 2)) || usage
    D="$(abs_path "$2")"
    check_path DIR "$D"
    cmd_stop
    ;;
  -h | --help) usage ;;
  *) usage ;;
esac

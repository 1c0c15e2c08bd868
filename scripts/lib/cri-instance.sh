# shellcheck shell=bash
# What the private CRI runtimes of the tests (scripts/containerd.sh, scripts/crio.sh) share:
# process helpers, the steps of their start and stop that do not depend on the daemon, and the
# CNI network their pods live on. Source after common.sh.
#
# Every instance's pods join the bridge stlt0 (10.203.0.0/24) through the same host-local IPAM
# store, which is what lets pods of several instances, of either runtime, coexist on one subnet.

if [[ -n "${STATICLET_CRI_INSTANCE_SOURCED:-}" ]]; then
  return 0
fi
STATICLET_CRI_INSTANCE_SOURCED=1

readonly CNI_NETWORK=staticlet
readonly CNI_BRIDGE=stlt0
readonly CNI_SUBNET=10.203.0.0/24
readonly CNI_BIN_DIR=/usr/lib/cni
# The first line of every instance's config starts with this; it tells staticlet instances
# from other containerd or CRI-O processes on the machine.
readonly INSTANCE_MARKER_PREFIX='# staticlet private '

# ---------------------------------------------------------------- processes

# NUL-separated argv of a process, one arg per line (empty if it is gone).
proc_args() {
  tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" || true
}

# True while PID runs. A zombie counts as gone: orphans are reparented to PID 1,
# which on these VMs reaps only every second or two.
is_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # drop "pid (comm) ", comm may contain spaces
  [[ -n "$stat" && "${stat%% *}" != [ZX] ]]
}

# kill_and_wait SECONDS PID... : TERM, then KILL whatever is left after SECONDS
# (SECONDS=0: KILL at once).
kill_and_wait() {
  local timeout="$1" p alive i
  shift
  (($# == 0)) && return 0
  if ((timeout > 0)); then kill -TERM "$@" 2>/dev/null || true; fi
  for ((i = 0; i < timeout * 10; i++)); do
    alive=0
    for p in "$@"; do is_alive "$p" && alive=1; done
    ((alive == 0)) && return 0
    sleep 0.1
  done
  ((timeout == 0)) || log "still alive after ${timeout}s, sending KILL: $*"
  kill -KILL "$@" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive=0
    for p in "$@"; do is_alive "$p" && alive=1; done
    ((alive == 0)) && return 0
    sleep 0.1
  done
  log "warning: processes did not die: $*"
}

# Resolve DIR to an absolute path without requiring it to exist.
abs_dir() {
  local d="$1"
  [[ "$d" == /* ]] || d="$PWD/$d"
  realpath -m -- "$d"
}

# daemon_pids_for_config EXE CONFIG : pids of the EXE processes (containerd, crio) running with
# --config CONFIG.
daemon_pids_for_config() {
  local exe="$1" want="$2" p
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "$(basename "$(readlink "/proc/$p/exe" 2>/dev/null || true)")" == "$exe" ]] || continue
    if proc_args "$p" | grep -qxF -- "$want"; then echo "$p"; fi
  done
}

# Config files of all running staticlet runtime instances, containerd and CRI-O (one per line).
staticlet_instance_configs() {
  local p cfg
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    case "$(basename "$(readlink "/proc/$p/exe" 2>/dev/null || true)")" in containerd | crio) ;; *) continue ;; esac
    cfg="$(proc_args "$p" | grep -A1 -xF -- '--config' | tail -n +2 || true)"
    [[ -n "$cfg" && -f "$cfg" ]] || continue
    if [[ "$(head -n1 "$cfg" 2>/dev/null)" == "$INSTANCE_MARKER_PREFIX"* ]]; then echo "$cfg"; fi
  done
}

# ---------------------------------------------------------------- CNI

# write_cni_conflist DIR : DIR/cni/10-staticlet.conflist, the network every instance uses.
write_cni_conflist() {
  local dir="$1" version=0.4.0
  # Use CNI 1.0.0 when the installed plugins speak it, else 0.4.0.
  if "$CNI_BIN_DIR/bridge" --version 2>&1 | grep -q '1\.0\.0'; then version=1.0.0; fi
  mkdir -p "$dir/cni"
  # isGateway gives the bridge 10.203.0.1 so the host can reach pods; no ipMasq and
  # no default route in the pods: pods only talk to the host and each other.
  # hairpinMode lets a pod reach itself through its own hostPort, as on a kubelet.
  cat >"$dir/cni/10-staticlet.conflist" <<EOF
{
  "cniVersion": "$version",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$CNI_SUBNET" }]]
      }
    },
    {
      "type": "portmap",
      "capabilities": { "portMappings": true }
    }
  ]
}
EOF
}

# Remove portmap's iptables rules for pods matching PATTERN (a sandbox id, or the
# network name for a full sweep); stale DNAT rules would hijack later hostPorts.
cleanup_portmap_rules() {
  local pattern="$1" chain n line
  command -v iptables >/dev/null 2>&1 || return 0
  iptables -t nat -S CNI-HOSTPORT-DNAT >/dev/null 2>&1 || return 0
  local chains
  chains="$(iptables -t nat -S CNI-HOSTPORT-DNAT | grep -F -- "$pattern" |
    grep -o -- '-j CNI-DN-[0-9a-f]*' | awk '{ print $2 }' | sort -u || true)"
  for chain in $chains; do
    # Delete the jump rules by number, highest first, so the numbers stay valid.
    local nums=()
    n=0
    while read -r line; do
      [[ "$line" == -A* ]] || continue
      n=$((n + 1))
      [[ "$line" == *"-j $chain" ]] && nums=("$n" "${nums[@]}")
    done < <(iptables -t nat -S CNI-HOSTPORT-DNAT)
    for n in "${nums[@]}"; do iptables -t nat -D CNI-HOSTPORT-DNAT "$n" || true; done
    iptables -t nat -F "$chain" 2>/dev/null || true
    iptables -t nat -X "$chain" 2>/dev/null || true
  done
}

# Release what CNI recorded for a sandbox that was never torn down via CNI DEL.
release_cni_state() {
  local id="$1" f first
  cleanup_portmap_rules "$id"
  for f in "/var/lib/cni/networks/$CNI_NETWORK"/*; do
    [[ -f "$f" ]] || continue
    case "$(basename "$f")" in lock | last_reserved_ip*) continue ;; esac
    first="$(head -n1 "$f" | tr -d '\r')"
    [[ "$first" == "$id" ]] && rm -f "$f"
  done
  rm -f /var/lib/cni/results/*-"$id"-*
}

# remove_shared_network_if_last CONFIG : the bridge and the network's CNI state go with the last
# running staticlet instance (CONFIG is the caller's own config, which may still be listed).
remove_shared_network_if_last() {
  local own="$1" others
  others="$(staticlet_instance_configs | grep -vxF -- "$own" || true)"
  [[ -z "$others" ]] || return 0
  if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
    log "deleting bridge $CNI_BRIDGE"
    ip link delete "$CNI_BRIDGE" type bridge 2>/dev/null || true
  fi
  cleanup_portmap_rules "name: \\\"$CNI_NETWORK\\\""
  rm -rf "/var/lib/cni/networks/$CNI_NETWORK"
  rm -f /var/lib/cni/results/"$CNI_NETWORK"-*
}

# ---------------------------------------------------------------- start and stop

# await_daemon NAME PID LOG SOCK TIMEOUT PROBE... : wait until SOCK exists and PROBE succeeds on
# it. Exits 1 with LOG's tail when the daemon dies first, or (after a KILL) when TIMEOUT seconds
# pass. PROBE is asked only once the socket file is there: a client blocks until its own timeout
# on a socket that does not exist yet.
await_daemon() {
  local name="$1" pid="$2" logfile="$3" sock="$4" timeout_s="$5" deadline
  shift 5
  deadline=$((SECONDS + timeout_s))
  until [[ -S "$sock" ]] && "$@" >/dev/null 2>&1; do
    if ! is_alive "$pid"; then
      log "$name exited during startup; log tail:"
      tail -n 30 "$logfile" >&2 || true
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not answer on $sock within ${timeout_s}s; log tail:"
      tail -n 30 "$logfile" >&2 || true
      kill_and_wait 5 "$pid"
      exit 1
    fi
    sleep 0.2
  done
}

# stop_daemon EXE CONFIG PIDFILE TIMEOUT [WHY] : TERM (KILL after TIMEOUT seconds) the instance's
# daemon: the pid in PIDFILE, or found by its --config for a half-started one. The pid file may be
# stale and its pid reused: only a process with CONFIG in its argv is ours. WHY ends the log line.
stop_daemon() {
  local exe="$1" config="$2" pidfile="$3" timeout_s="$4" why="${5:-}" pids p live=()
  pids="$(
    {
      cat "$pidfile" 2>/dev/null || true
      daemon_pids_for_config "$exe" "$config"
    } | sort -u
  )"
  for p in $pids; do
    if proc_args "$p" | grep -qxF -- "$config"; then live+=("$p"); fi
  done
  if ((${#live[@]})); then
    log "stopping $exe (pid ${live[*]})$why"
    kill_and_wait "$timeout_s" "${live[@]}"
  fi
}

# dir_names PATH... : the names of those PATHs that are directories (globs that matched nothing
# are skipped), once each.
dir_names() {
  local f
  for f in "$@"; do
    if [[ -d "$f" ]]; then basename "$f"; fi
  done | sort -u
}

# unmount_below DIR : every mount under DIR (rootfs overlays, shm, netns), deepest first; a few
# rounds, because unmounting can reveal mounts stacked underneath.
unmount_below() {
  local dir="$1" mounts f
  for _ in 1 2 3 4 5; do
    mounts="$(findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r || true)"
    [[ -z "$mounts" ]] && break
    while read -r f; do
      umount -l "$f" 2>/dev/null || true
    done <<<"$mounts"
  done
}

# release_instance_network CONFIG ID... : the CNI state of the instance's sandboxes (IPAM leases,
# result cache, hostPort rules); the shared network too when this is the last staticlet instance
# (CONFIG is the instance's own config).
release_instance_network() {
  local config="$1" id
  shift
  for id in "$@"; do release_cni_state "$id"; done
  remove_shared_network_if_last "$config"
}

# remove_instance_dir DIR : delete DIR and log the stop; exits 1, listing what is still mounted,
# when that fails. --one-file-system: never delete through a mount that failed to unmount.
remove_instance_dir() {
  local dir="$1"
  if [[ -e "$dir" ]]; then
    if ! rm -rf --one-file-system -- "$dir"; then
      log "could not remove $dir; mounts still below it:"
      findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' >&2 || true
      exit 1
    fi
  fi
  log "stopped: $dir"
}

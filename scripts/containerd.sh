#!/usr/bin/env bash
# Private containerd instance for tests and the example.
#
# Usage: scripts/containerd.sh start DIR     # start; socket at DIR/containerd.sock
#        scripts/containerd.sh restart DIR   # stop containerd only (its containers keep running), start it again
#        scripts/containerd.sh stop DIR      # stop, clean up, remove DIR
#
# Env:
#   STATICLET_CONTAINERD  which containerd `start` runs: 1 (default) is Debian's containerd 1.6 and
#                         runc from apt; 2 is containerd 2.x and its runc, built from the Go module
#                         proxy by scripts/containerd2/build.sh (cached; minutes the first time).
#                         DIR remembers it (DIR/containerd.version, DIR/bin), so restart, stop and
#                         scripts/images.sh follow.
#
# Everything the instance owns (root, state, sockets, runc state, CNI config,
# netns mounts, log) lives under DIR, so several instances with different DIRs
# can run side by side. They share the CNI bridge stlt0 (10.203.0.0/24) and its
# host-local IPAM store, which is what lets their pods coexist on one subnet.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/cri-instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cri-instance.sh"

readonly SANDBOX_IMAGE=staticlet.local/pause:1
# First line of every config we write; identifies staticlet instances among
# all containerd processes on the machine (see INSTANCE_MARKER_PREFIX).
readonly CONFIG_MARKER="${INSTANCE_MARKER_PREFIX}containerd instance"
readonly START_TIMEOUT_S=20
# containerd needs 1-2 s to exit on TERM here; everything it owns is deleted
# afterwards anyway, so do not wait long before KILL.
readonly STOP_TIMEOUT_S=5

usage() {
  echo "usage: $0 start DIR | restart DIR | stop DIR   (env STATICLET_CONTAINERD=1|2 picks the version for start)" >&2
  exit 2
}

# ---------------------------------------------------------------- versions

# Set by choose_version: the major version and where its binaries are (empty: from PATH, i.e. apt).
CONTAINERD_MAJOR=1
CONTAINERD_BIN=""

# choose_version MAJOR : 1 = apt's containerd 1.6, 2 = our build of 2.x (built here if missing).
choose_version() {
  case "$1" in
  1) CONTAINERD_MAJOR=1 CONTAINERD_BIN="" ;;
  2)
    CONTAINERD_MAJOR=2
    CONTAINERD_BIN="$(bash "$(dirname "${BASH_SOURCE[0]}")/containerd2/build.sh")" || die "cannot build containerd 2.x"
    ;;
  *) die "STATICLET_CONTAINERD must be 1 or 2, not '$1'" ;;
  esac
}

# The version DIR was started with (1 when it does not say).
recorded_version() {
  local v
  v="$(cat "$1/containerd.version" 2>/dev/null || true)"
  echo "${v:-1}"
}

# Binary NAME of the chosen version: ours for 2.x, PATH's (apt's) for 1.6.
bin_of() {
  if [[ -n "$CONTAINERD_BIN" ]]; then echo "$CONTAINERD_BIN/$1"; else echo "$1"; fi
}

# ---------------------------------------------------------------- helpers

# pids of shims whose -address is SOCK, i.e. shims started by that instance.
shim_pids_for_socket() {
  local sock="$1" p
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "$(basename "$(readlink "/proc/$p/exe" 2>/dev/null || true)")" == containerd-shim* ]] || continue
    if proc_args "$p" | grep -A1 -xF -- '-address' | tail -n +2 | grep -qxF -- "$sock"; then
      echo "$p"
    fi
  done
}

check_dir() {
  local dir="$1"
  # The path is spliced into TOML and JSON; keep it to characters needing no escaping.
  [[ "$dir" =~ ^/[A-Za-z0-9._/+-]+$ ]] || die "DIR must match [A-Za-z0-9._/+-]: $dir"
  [[ "$dir" != / ]] || die "refusing DIR=/"
  # unix socket paths are limited to 107 bytes; the ttrpc socket is the longest.
  local ttrpc="$dir/containerd.sock.ttrpc"
  ((${#ttrpc} <= 107)) || die "DIR too long for a unix socket path: $ttrpc"
}

# Guard for stop, which unmounts and deletes everything below DIR: only act on
# a directory this script made (marker config, or nothing but our own entries,
# as after a start that failed early). `stop /tmp` must not wipe /tmp.
looks_like_instance_dir() {
  local dir="$1" entry
  [[ "$(head -n1 "$dir/config.toml" 2>/dev/null || true)" == "$CONFIG_MARKER" ]] && return 0
  for entry in "$dir"/* "$dir"/.[!.]*; do
    [[ -e "$entry" || -L "$entry" ]] || continue
    case "$(basename "$entry")" in
    bin | certs.d | cni | config.toml | config.toml.tmp | containerd.log | containerd.pid | \
      containerd.sock | containerd.sock.ttrpc | containerd.version | opt | root | runc | state) ;;
    *) return 1 ;;
    esac
  done
  return 0
}

# ---------------------------------------------------------------- config

# Overrides for containerd 1.6's `config default` (config version 2).
overrides_v1() {
  local dir="$1"
  cat <<EOF
	root	"$dir/root"
	state	"$dir/state"
	oom_score	0
grpc	address	"$dir/containerd.sock"
ttrpc	address	"$dir/containerd.sock.ttrpc"
debug	address	""
metrics	address	""
plugins."io.containerd.grpc.v1.cri"	restrict_oom_score_adj	true
plugins."io.containerd.grpc.v1.cri"	sandbox_image	"$SANDBOX_IMAGE"
plugins."io.containerd.grpc.v1.cri"	stream_server_address	"127.0.0.1"
plugins."io.containerd.grpc.v1.cri"	stream_server_port	"0"
plugins."io.containerd.grpc.v1.cri"	systemd_cgroup	false
plugins."io.containerd.grpc.v1.cri"	netns_mounts_under_state_dir	true
plugins."io.containerd.grpc.v1.cri".registry	config_path	"$dir/certs.d"
plugins."io.containerd.grpc.v1.cri".cni	bin_dir	"$CNI_BIN_DIR"
plugins."io.containerd.grpc.v1.cri".cni	conf_dir	"$dir/cni"
plugins."io.containerd.grpc.v1.cri".containerd	default_runtime_name	"runc"
plugins."io.containerd.grpc.v1.cri".containerd	snapshotter	"overlayfs"
plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc	runtime_type	"io.containerd.runc.v2"
plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options	SystemdCgroup	false
plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options	Root	"$dir/runc"
plugins."io.containerd.internal.v1.opt"	path	"$dir/opt"
EOF
}

# Overrides for containerd 2.x's `config default` (config version 3): the CRI plugin is split
# into cri.v1.images (snapshotter, sandbox image, registry), cri.v1.runtime (runtimes, CNI, the
# OCI knobs) and grpc.v1.cri (only the streaming server is left there).
overrides_v2() {
  local dir="$1"
  cat <<EOF
	root	"$dir/root"
	state	"$dir/state"
	oom_score	0
	imports	[]
grpc	address	"$dir/containerd.sock"
ttrpc	address	"$dir/containerd.sock.ttrpc"
debug	address	""
metrics	address	""
plugins.'io.containerd.cri.v1.images'	snapshotter	"overlayfs"
plugins.'io.containerd.cri.v1.images'.pinned_images	sandbox	"$SANDBOX_IMAGE"
plugins.'io.containerd.cri.v1.images'.registry	config_path	"$dir/certs.d"
plugins.'io.containerd.cri.v1.runtime'	restrict_oom_score_adj	true
plugins.'io.containerd.cri.v1.runtime'	netns_mounts_under_state_dir	true
plugins.'io.containerd.cri.v1.runtime'.containerd	default_runtime_name	"runc"
plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc	runtime_type	"io.containerd.runc.v2"
plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options	BinaryName	"$CONTAINERD_BIN/runc"
plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options	SystemdCgroup	false
plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options	Root	"$dir/runc"
plugins.'io.containerd.cri.v1.runtime'.cni	bin_dirs	["$CNI_BIN_DIR"]
plugins.'io.containerd.cri.v1.runtime'.cni	conf_dir	"$dir/cni"
plugins.'io.containerd.grpc.v1.cri'	stream_server_address	"127.0.0.1"
plugins.'io.containerd.grpc.v1.cri'	stream_server_port	"0"
plugins.'io.containerd.internal.v1.opt'	path	"$dir/opt"
plugins.'io.containerd.nri.v1.nri'	disable	true
plugins.'io.containerd.transfer.v1.local'	config_path	"$dir/certs.d"
EOF
}

write_config() {
  local dir="$1" overrides
  # section <TAB> key <TAB> value, applied to `containerd config default`.
  overrides="$("overrides_v$CONTAINERD_MAJOR" "$dir")"
  # restrict_oom_score_adj: writing a negative oom_score_adj is denied on these
  #   machines, so without it every sandbox fails.
  # netns_mounts_under_state_dir: pod netns mounts go under DIR, not /var/run/netns,
  #   so stop can find and unmount exactly this instance's ones.
  # runc Root under DIR: stop can list and kill exactly this instance's containers.
  # opt path: the default /opt/containerd is shared by the whole machine.
  # registry config_path: see write_registry_hosts.
  # 2.x only: imports = [] so the machine's /etc/containerd/conf.d is not read; BinaryName: our
  #   runc, not apt's 1.1; NRI off, as its socket /var/run/nri/nri.sock would be shared.
  # The awk edits keys inside their [section] and fails if one is not found, so a
  # changed default config is noticed instead of silently ignored.
  {
    echo "$CONFIG_MARKER"
    echo "# generated by scripts/containerd.sh from 'containerd config default' (containerd $CONTAINERD_MAJOR)"
    "$(bin_of containerd)" config default | awk -F '\t' '
      NR == FNR { want[$1 SUBSEP $2] = $3; order[++n] = $1 SUBSEP $2; next }
      {
        line = $0
        if (line ~ /^[ \t]*\[.*\][ \t]*$/) {
          sect = line
          gsub(/^[ \t]*\[|\][ \t]*$/, "", sect)
        } else if (line ~ /^[ \t]*[A-Za-z_]+[ \t]*=/) {
          key = line
          sub(/^[ \t]*/, "", key); sub(/[ \t]*=.*$/, "", key)
          if ((sect SUBSEP key) in want) {
            indent = line; sub(/[^ \t].*$/, "", indent)
            line = indent key " = " want[sect SUBSEP key]
            done[sect SUBSEP key] = 1
          }
        }
        print line
      }
      END {
        for (i = 1; i <= n; i++) if (!(order[i] in done)) {
          split(order[i], p, SUBSEP)
          printf "containerd.sh: key %s not found in [%s] of the default config\n", p[2], p[1] > "/dev/stderr"
          bad = 1
        }
        exit bad
      }' <(printf '%s\n' "$overrides") -
  } >"$dir/config.toml.tmp"
  mv "$dir/config.toml.tmp" "$dir/config.toml"
}

# The staticlet.local images exist only by import. If one is missing (e.g. the
# sandbox image), CRI would try to pull it and resolve staticlet.local via DNS;
# point that "registry" at a closed loopback port so the pull fails fast and
# no packet leaves the machine.
write_registry_hosts() {
  local dir="$1"
  mkdir -p "$dir/certs.d/staticlet.local"
  # containerd 1.6 rejects a hosts.toml without a [host] table.
  cat >"$dir/certs.d/staticlet.local/hosts.toml" <<'EOF'
server = "http://127.0.0.1:1"

[host."http://127.0.0.1:1"]
  capabilities = ["pull", "resolve"]
EOF
}

# ---------------------------------------------------------------- start

cmd_start() {
  local dir sock pid cri_status
  dir="$(abs_dir "$1")"
  check_dir "$dir"
  sock="$dir/containerd.sock"

  # stop deletes DIR, so it must be empty or ours from the start.
  if [[ -d "$dir" ]] && ! looks_like_instance_dir "$dir"; then
    die "$dir is neither empty nor a staticlet containerd directory"
  fi

  ensure_apt_packages containerd runc containernetworking-plugins iptables iproute2 util-linux
  # A DIR keeps the version it was started with (restart, or a rerun after a crash).
  if [[ -f "$dir/containerd.version" ]]; then
    choose_version "$(recorded_version "$dir")"
  else
    choose_version "${STATICLET_CONTAINERD:-1}"
  fi
  local ctr
  ctr="$(bin_of ctr)"

  # Already running (e.g. a rerun after a crashed test): keep it.
  if [[ -n "$(daemon_pids_for_config containerd "$dir/config.toml")" ]] &&
    timeout 5 "$ctr" -a "$sock" version >/dev/null 2>&1; then
    log "already running: $sock"
    return 0
  fi

  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
    die "the overlay filesystem is not available (needed by the overlayfs snapshotter)"

  mkdir -p "$dir"/{root,state,runc,opt,cni}
  echo "$CONTAINERD_MAJOR" >"$dir/containerd.version"
  # DIR/bin: the binaries of this instance, for stop (runc) and scripts/images.sh (ctr).
  rm -f "$dir/bin"
  if [[ -n "$CONTAINERD_BIN" ]]; then ln -s "$CONTAINERD_BIN" "$dir/bin"; fi
  write_config "$dir"
  write_cni_conflist "$dir"
  write_registry_hosts "$dir"
  rm -f "$sock" "$sock.ttrpc"

  log "starting containerd $CONTAINERD_MAJOR.x ($(bin_of containerd)) in $dir"
  # PATH: containerd finds its shim there, and the shim its runc (BinaryName says it too).
  # setsid: own session, so a Ctrl-C in the caller's terminal does not reach it.
  # All stdio redirected: callers capturing our output must not wait on containerd.
  # (A background job of a script is no process group leader, so setsid execs
  # in place and $! is containerd's own pid.)
  PATH="${CONTAINERD_BIN:+$CONTAINERD_BIN:}$PATH" setsid "$(bin_of containerd)" --config "$dir/config.toml" </dev/null >>"$dir/containerd.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/containerd.pid"

  await_daemon containerd "$pid" "$dir/containerd.log" "$sock" "$START_TIMEOUT_S" timeout 2 "$ctr" -a "$sock" version

  # A CRI plugin that failed to initialise still leaves the socket answering.
  cri_status="$("$ctr" -a "$sock" plugins ls 2>/dev/null |
    awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }')"
  if [[ "$cri_status" != ok ]]; then
    log "CRI plugin status is '${cri_status:-missing}'; log tail:"
    grep -i 'cri' "$dir/containerd.log" | tail -n 20 >&2 || true
    kill_and_wait 5 "$pid"
    exit 1
  fi
  log "containerd ready (pid $pid): $sock"
}

# ---------------------------------------------------------------- stop

cmd_stop() {
  local dir sock shims ids id ns f
  dir="$(abs_dir "$1")"
  check_dir "$dir"
  sock="$dir/containerd.sock"
  # Finish the cleanup even if whoever reads our stderr has gone away.
  trap '' PIPE
  if [[ -d "$dir" ]] && ! looks_like_instance_dir "$dir"; then
    die "$dir does not look like a directory made by '$0 start'; not touching it"
  fi

  # 1. containerd itself (pid file, or found by its --config for half-started ones).
  stop_daemon containerd "$dir/config.toml" "$dir/containerd.pid" "$STOP_TIMEOUT_S"

  # 2. Sandbox ids this instance created, needed to release their CNI state.
  ids="$(dir_names "$dir"/root/io.containerd.grpc.v1.cri/sandboxes/* "$dir"/state/io.containerd.runtime.v2.task/k8s.io/*)"

  # 3. Containers: containerd leaves them running when it exits. runc state for
  #    CRI containers is under DIR/runc/<ns>; containers created with plain ctr
  #    use the machine-wide default root, found via this instance's task bundles.
  # The runc that made them (2.x: ours, in DIR/bin).
  local runc=runc
  [[ -x "$dir/bin/runc" ]] && runc="$dir/bin/runc"
  if command -v "$runc" >/dev/null 2>&1; then
    for f in "$dir"/runc/*/; do
      [[ -d "$f" ]] || continue
      for id in $("$runc" --root "$f" list -q 2>/dev/null); do
        "$runc" --root "$f" delete --force "$id" >/dev/null 2>&1 || true
      done
    done
    for f in "$dir"/state/io.containerd.runtime.v2.task/*/*/; do
      [[ -d "$f" ]] || continue
      id="$(basename "$f")"
      ns="$(basename "$(dirname "$f")")"
      if [[ -d "/run/containerd/runc/$ns/$id" ]]; then
        "$runc" --root "/run/containerd/runc/$ns" delete --force "$id" >/dev/null 2>&1 || true
      fi
    done
  fi

  # 4. Shims started by this instance (matched by their -address argument).
  #    Killed shims leave their socket in /run/containerd/s, named by
  #    sha256(<containerd address>/<namespace>/<id>); remove those too.
  shims="$(shim_pids_for_socket "$sock")"
  if [[ -n "$shims" ]]; then
    local shim_sockets=() args
    for f in $shims; do
      args="$(proc_args "$f")"
      ns="$(grep -A1 -xF -- '-namespace' <<<"$args" | tail -n +2 || true)"
      id="$(grep -A1 -xF -- '-id' <<<"$args" | tail -n +2 || true)"
      [[ -n "$ns" && -n "$id" ]] &&
        shim_sockets+=("/run/containerd/s/$(printf '%s' "$sock/$ns/$id" | sha256sum | cut -d' ' -f1)")
    done
    log "stopping shims (pid ${shims//$'\n'/ })"
    # Their containers are gone and containerd with them, so there is nothing
    # to shut down gracefully (a shim takes ~1 s to exit on TERM).
    # shellcheck disable=SC2086
    kill_and_wait 0 $shims
    rm -f "${shim_sockets[@]}"
  fi

  # 5. Mounts under DIR (rootfs overlays, shm, netns), deepest first.
  unmount_below "$dir"

  # 6. CNI state of this instance's pods; the shared network goes with the last staticlet
  #    instance (containerd or CRI-O).
  # shellcheck disable=SC2086 # one id a word
  release_instance_network "$dir/config.toml" $ids

  # 7. The directory.
  remove_instance_dir "$dir"
}

# ---------------------------------------------------------------- restart

# containerd only: its shims and containers keep running, and the new containerd takes them up
# again, as after a runtime upgrade or crash on a real node. The clients' streams break.
cmd_restart() {
  local dir
  dir="$(abs_dir "$1")"
  check_dir "$dir"
  [[ "$(head -n1 "$dir/config.toml" 2>/dev/null || true)" == "$CONFIG_MARKER" ]] ||
    die "$dir is not a directory made by '$0 start'"
  stop_daemon containerd "$dir/config.toml" "$dir/containerd.pid" "$STOP_TIMEOUT_S" " for a restart"
  cmd_start "$dir"
}

# ---------------------------------------------------------------- main

(($# == 2)) || usage
case "$1" in
start) cmd_start "$2" ;;
restart) cmd_restart "$2" ;;
stop) cmd_stop "$2" ;;
*) usage ;;
esac

#!/usr/bin/env bash
# A real etcd + kube-apiserver on loopback, with TLS, for staticlet's tests.
#
# Usage:
#   control-plane.sh start DIR                  start etcd + kube-apiserver, wait for /readyz
#   control-plane.sh stop DIR                   stop both (safe to call twice)
#   control-plane.sh status DIR                 exit 0 when both run
#   control-plane.sh stop-apiserver DIR         stop only kube-apiserver (etcd keeps running)
#   control-plane.sh start-apiserver DIR        start it again on the same port, wait for /readyz
#   control-plane.sh restart-apiserver DIR      both of the above
#   control-plane.sh node-kubeconfig DIR NODE   write DIR/node-NODE.kubeconfig, print its path
#   control-plane.sh start-signer DIR DURATION  start kube-controller-manager with only the CSR
#                                               signer (csrsigning, our CA), certificates valid DURATION
#
# DIR holds everything: pki/, etcd/ (data), *.log, *.pid, admin.kubeconfig and
# control-plane.env (ports, URL, paths as KEY=VALUE lines; `start` prints it too).
#
# Env:
#   STATICLET_KUBE_BIN   directory with kube-apiserver and etcd (default: built or
#                        reused by scripts/kube/build.sh)
#   STATICLET_CP_TIMEOUT seconds to wait for /readyz (default 60)
#   STATICLET_CP_APISERVER_FLAGS  more kube-apiserver flags, space-separated, at `start` (kept in
#                        DIR/apiserver-extra.flags for restarts); the word @PKI@ is DIR/pki
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
READY_TIMEOUT="${STATICLET_CP_TIMEOUT:-60}"
SERVICE_CIDR=10.0.0.0/24
SERVICE_IP=10.0.0.1 # first address of SERVICE_CIDR: the "kubernetes" service
PORT_LO=20000       # below the kernel's ephemeral range, so outgoing connections don't take them
PORT_HI=32000

log() { printf '[control-plane] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n 's/^#   control-plane.sh/control-plane.sh/p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# ---------------------------------------------------------------- helpers

# pick_port VAR: set VAR to a loopback port nobody listens on and that this run has not
# handed out yet; a $RANDOM start so parallel runs rarely collide.
_taken_ports=" "
pick_port() {
  local span=$((PORT_HI - PORT_LO)) i p
  for ((i = 0; i < 200; i++)); do
    p=$((PORT_LO + (RANDOM * 32768 + RANDOM) % span))
    [[ "$_taken_ports" == *" $p "* ]] && continue
    if port_free "$p"; then
      _taken_ports+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  die "no free port in $PORT_LO-$PORT_HI after 200 tries"
}

port_free() { [[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# pid of a process we started, only if it still is that process (guards pid reuse).
live_pid() {
  local name="$1" pidf="$D/$1.pid" pid
  [[ -f "$pidf" ]] || return 1
  pid="$(cat "$pidf" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  # Its argv[0] must be our binary and its flags must name this DIR.
  local argv0
  argv0="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n1)" || return 1
  [[ "${argv0##*/}" == "$name" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$D/" || return 1
  # A zombie is as good as gone.
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  echo "$pid"
}

stop_one() {
  local name="$1" pid i
  if ! pid="$(live_pid "$name")"; then
    rm -f "$D/$name.pid"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do # 10 s for a clean shutdown
    live_pid "$name" >/dev/null || break
    sleep 0.1
  done
  if live_pid "$name" >/dev/null; then
    log "$name did not stop in 10s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      live_pid "$name" >/dev/null || break
      sleep 0.1
    done
  fi
  live_pid "$name" >/dev/null && die "$name (pid $pid) would not die"
  rm -f "$D/$name.pid"
}

tail_logs() {
  local f
  for f in "$@"; do
    [[ -f "$D/$f.log" ]] || continue
    printf -- '----- last lines of %s -----\n' "$D/$f.log" >&2
    tail -n 40 "$D/$f.log" >&2 || true
  done
}

# Detached from our session and stdio, so a caller reading our stdout isn't held
# open and the lock fd (9) isn't inherited.
launch() {
  local name="$1" pid i
  shift
  setsid "$@" </dev/null >>"$D/$name.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$D/$name.pid"
  # The fork runs bash, then setsid, before it execs the binary: wait until live_pid knows it (or
  # its end, up to 2 s), so a liveness check right after never takes the fork for a dead process.
  # Its exe link alone is not enough: the kernel points it at the new binary before it sets up
  # the new argv, and a liveness check in between reads an empty cmdline (seen 2026-12-02 under
  # load: etcd "did not become healthy" 0.6 s into its start, and kept running unowned).
  for ((i = 0; i < 100; i++)); do
    [[ -e "/proc/$pid" ]] || break
    live_pid "$name" >/dev/null && break
    sleep 0.02
  done
}

bins() {
  if [[ -n "${STATICLET_KUBE_BIN:-}" ]]; then
    KBIN="$STATICLET_KUBE_BIN"
  else
    # Builds (many minutes, once per machine) only when missing from the cache.
    "$HERE/build.sh" etcd >/dev/null
    KBIN="$("$HERE/build.sh" kube-apiserver)"
  fi
  [[ -x "$KBIN/etcd" && -x "$KBIN/kube-apiserver" ]] || die "no etcd/kube-apiserver in $KBIN"
}

# ---------------------------------------------------------------- PKI (openssl)

P256=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)

# issue NAME SUBJECT EXTENSIONS: key + cert signed by our CA, written under pki/.
issue() {
  local name="$1" subj="$2" ext="$3" pki="$D/pki"
  openssl genpkey "${P256[@]}" -out "$pki/$name.key.tmp" 2>/dev/null
  openssl req -new -key "$pki/$name.key.tmp" -subj "$subj" -out "$pki/$name.csr.tmp"
  # Random serials, so concurrent node certs never share one (no ca.srl file).
  openssl x509 -req -in "$pki/$name.csr.tmp" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 \
    -extfile <(printf '%s\n' "$ext") -out "$pki/$name.crt.tmp" 2>/dev/null
  chmod 600 "$pki/$name.key.tmp"
  rm -f "$pki/$name.csr.tmp"
  mv -f "$pki/$name.key.tmp" "$pki/$name.key"
  mv -f "$pki/$name.crt.tmp" "$pki/$name.crt"
}

CLIENT_EXT='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

ensure_pki() {
  local pki="$D/pki"
  mkdir -p "$pki"
  chmod 700 "$pki"
  if [[ ! -f "$pki/ca.crt" ]]; then
    log "generating CA and certificates in $pki"
    openssl genpkey "${P256[@]}" -out "$pki/ca.key" 2>/dev/null
    chmod 600 "$pki/ca.key"
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=staticlet-test-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$pki/ca.crt.tmp"
    mv -f "$pki/ca.crt.tmp" "$pki/ca.crt"
  fi
  [[ -f "$pki/apiserver.crt" ]] || issue apiserver "/CN=kube-apiserver" \
    "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  [[ -f "$pki/admin.crt" ]] || issue admin "/O=system:masters/CN=admin" "$CLIENT_EXT"
  # What the API server shows a kubelet-like endpoint (logs/exec) when it calls one.
  [[ -f "$pki/apiserver-kubelet-client.crt" ]] ||
    issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$CLIENT_EXT"
  if [[ ! -f "$pki/sa.pub" ]]; then
    openssl genpkey "${P256[@]}" -out "$pki/sa.key.tmp" 2>/dev/null
    chmod 600 "$pki/sa.key.tmp"
    openssl pkey -in "$pki/sa.key.tmp" -pubout -out "$pki/sa.pub.tmp"
    mv -f "$pki/sa.key.tmp" "$pki/sa.key"
    mv -f "$pki/sa.pub.tmp" "$pki/sa.pub"
  fi
}

# write_kubeconfig FILE USER CERT KEY (certs embedded: the file stands alone)
write_kubeconfig() {
  local file="$1" user="$2" crt="$3" key="$4"
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: staticlet
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 <"$D/pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$crt")
    client-key-data: $(base64 -w0 <"$key")
contexts:
- name: $user@staticlet
  context:
    cluster: staticlet
    user: $user
current-context: $user@staticlet
EOF
  chmod 600 "$file.tmp"
  mv -f "$file.tmp" "$file"
}

# ---------------------------------------------------------------- state

ENVF() { echo "$D/control-plane.env"; }

load_env() {
  [[ -f "$(ENVF)" ]] || die "$D is not a control-plane dir (no control-plane.env); run start first"
  local k v
  while IFS='=' read -r k v; do
    case "$k" in
      ETCD_CLIENT_PORT | ETCD_PEER_PORT | APISERVER_PORT) [[ "$v" =~ ^[0-9]+$ ]] && printf -v "$k" '%s' "$v" ;;
    esac
  done <"$(ENVF)"
  [[ -n "${ETCD_CLIENT_PORT:-}" && -n "${ETCD_PEER_PORT:-}" && -n "${APISERVER_PORT:-}" ]] ||
    die "$(ENVF) lacks ports"
  set_urls
}

set_urls() {
  ETCD_URL="http://127.0.0.1:$ETCD_CLIENT_PORT"
  APISERVER_URL="https://127.0.0.1:$APISERVER_PORT"
}

save_env() {
  cat >"$(ENVF).tmp" <<EOF
ETCD_CLIENT_PORT=$ETCD_CLIENT_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
ETCD_URL=$ETCD_URL
APISERVER_URL=$APISERVER_URL
ADMIN_KUBECONFIG=$D/admin.kubeconfig
CA_FILE=$D/pki/ca.crt
KUBE_BIN=$KBIN
EOF
  mv -f "$(ENVF).tmp" "$(ENVF)"
}

# ---------------------------------------------------------------- etcd

etcd_healthy() {
  # /health over plain HTTP on loopback, without needing curl.
  local out
  out="$(timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$ETCD_CLIENT_PORT"'
    printf "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3; cat <&3' 2>/dev/null)" || return 1
  [[ "$out" == *'"health":"true"'* ]]
}

start_etcd() {
  local i
  if live_pid etcd >/dev/null; then
    log "etcd already running"
  else
    if ! port_free "$ETCD_CLIENT_PORT" || ! port_free "$ETCD_PEER_PORT"; then
      die "etcd ports $ETCD_CLIENT_PORT/$ETCD_PEER_PORT are taken"
    fi
    mkdir -p "$D/etcd"
    chmod 700 "$D/etcd"
    log "starting etcd on $ETCD_URL (peer $ETCD_PEER_PORT)"
    # Single member, loopback only, metrics only on the client URL.
    # --unsafe-no-fsync: throwaway test data; fsync stalls make a slow VM's apiserver flaky.
    launch etcd "$KBIN/etcd" --name staticlet --data-dir "$D/etcd" \
      --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "staticlet=http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster-state new --unsafe-no-fsync --log-level warn
  fi
  # As long as the apiserver may take: on a loaded VM a fresh etcd has been seen to stay unhealthy
  # for over 30 s while running (2026-12-02, with an empty log at --log-level warn).
  for ((i = 0; i < READY_TIMEOUT * 10; i++)); do
    etcd_healthy && return 0
    live_pid etcd >/dev/null || break
    sleep 0.1
  done
  log "etcd did not become healthy"
  ended_status etcd
  tail_logs etcd
  return 1
}

# Says how a process we launched ended, when it has (a process still running is not waited for).
ended_status() {
  local name="$1" pid state
  pid="$(cat "$D/$name.pid" 2>/dev/null)" || return 0
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ -z "$state" || "$state" == Z ]] || return 0
  local status=0
  wait "$pid" 2>/dev/null || status=$?
  if ((status > 128)); then log "$name was killed by signal $((status - 128))"; else log "$name exited with status $status"; fi
}

# ---------------------------------------------------------------- kube-apiserver

# The extra flags of `start`, saved for the restarts.
EXTRA_APISERVER_FLAGS=()
load_extra_flags() {
  [[ -f "$D/apiserver-extra.flags" ]] || return 0
  read -r -a EXTRA_APISERVER_FLAGS <"$D/apiserver-extra.flags"
  EXTRA_APISERVER_FLAGS=("${EXTRA_APISERVER_FLAGS[@]//@PKI@/$D/pki}")
}

# ---------------------------------------------------------------- kube-controller-manager (CSR signer only)

start_signer() {
  local duration="$1" i
  [[ "$duration" =~ ^[0-9]+[smh]$ ]] || die "bad signing duration '$duration' (e.g. 150s, 1h)"
  if live_pid kube-controller-manager >/dev/null; then
    log "kube-controller-manager already running"
    return 0
  fi
  local kbin
  kbin="$(sed -n 's/^KUBE_BIN=//p' "$(ENVF)")"
  [[ -x "$kbin/kube-controller-manager" ]] || kbin="$("$HERE/build.sh" kube-controller-manager)"
  log "starting kube-controller-manager (csrsigning only, certificates valid $duration)"
  # Signs approved CSRs of the kubernetes.io/* signers with our CA; serves nothing (--secure-port=0).
  launch kube-controller-manager "$kbin/kube-controller-manager" \
    --kubeconfig="$D/admin.kubeconfig" \
    --controllers=csrsigning \
    --cluster-signing-cert-file="$D/pki/ca.crt" --cluster-signing-key-file="$D/pki/ca.key" \
    --cluster-signing-duration="$duration" \
    --leader-elect=false --secure-port=0 --profiling=false
  for ((i = 0; i < 20; i++)); do
    sleep 0.1
    live_pid kube-controller-manager >/dev/null || {
      tail_logs kube-controller-manager
      die "kube-controller-manager exited at once"
    }
  done
}

apiserver_ready() {
  local out
  out="$(kubectl --kubeconfig "$D/admin.kubeconfig" --request-timeout=3s get --raw /readyz 2>/dev/null)" || return 1
  [[ "$out" == ok ]]
}

start_apiserver() {
  local deadline
  if live_pid kube-apiserver >/dev/null; then
    log "kube-apiserver already running"
  else
    port_free "$APISERVER_PORT" || die "kube-apiserver port $APISERVER_PORT is taken"
    log "starting kube-apiserver on $APISERVER_URL"
    mkdir -p "$D/pki/generated"
    launch kube-apiserver "$KBIN/kube-apiserver" \
      --etcd-servers="$ETCD_URL" \
      --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
      --tls-cert-file="$D/pki/apiserver.crt" --tls-private-key-file="$D/pki/apiserver.key" \
      --cert-dir="$D/pki/generated" \
      --client-ca-file="$D/pki/ca.crt" \
      --service-account-issuer=https://kubernetes.default.svc \
      --service-account-key-file="$D/pki/sa.pub" \
      --service-account-signing-key-file="$D/pki/sa.key" \
      --service-cluster-ip-range="$SERVICE_CIDR" \
      --authorization-mode=Node,RBAC \
      --enable-admission-plugins=NodeRestriction \
      --kubelet-client-certificate="$D/pki/apiserver-kubelet-client.crt" \
      --kubelet-client-key="$D/pki/apiserver-kubelet-client.key" \
      --allow-privileged=true \
      --profiling=false \
      --endpoint-reconciler-type=none \
      "${EXTRA_APISERVER_FLAGS[@]}"
    # (reconciler "none": Endpoints refuse the loopback advertise address, and the
    # default "lease" reconciler logs that error every 10 s.)
  fi
  deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    apiserver_ready && return 0
    if ! live_pid kube-apiserver >/dev/null; then
      log "kube-apiserver exited before it was ready"
      tail_logs kube-apiserver etcd
      return 1
    fi
    sleep 0.5
  done
  log "kube-apiserver not ready within ${READY_TIMEOUT}s; /readyz?verbose said:"
  kubectl --kubeconfig "$D/admin.kubeconfig" --request-timeout=3s get --raw '/readyz?verbose' 2>&1 | tail -n 20 >&2 || true
  tail_logs kube-apiserver etcd
  return 1
}

# ---------------------------------------------------------------- commands

cmd="${1:-}"
[[ -n "$cmd" && -n "${2:-}" ]] || usage
if [[ ! -d "$2" ]]; then
  case "$cmd" in
    start) mkdir -p "$2" ;;
    stop | stop-apiserver) exit 0 ;; # nothing was started there
    status) exit 1 ;;
    *) die "no such directory: $2" ;;
  esac
fi
D="$(cd "$2" && pwd -P)"

# A cold build takes many minutes: do it before taking the per-DIR lock.
[[ "$cmd" != start ]] || bins

# One command at a time per DIR (fd 9 is closed for the daemons we launch).
exec 9>"$D/.control-plane.lock"
flock -w 120 9 || die "another control-plane.sh holds $D/.control-plane.lock"

case "$cmd" in
  start)
    ensure_pki
    if [[ -f "$(ENVF)" ]]; then
      load_env
      # Reuse the ports of an earlier start of this DIR when they are still free.
      _taken_ports=" $ETCD_CLIENT_PORT $ETCD_PEER_PORT $APISERVER_PORT "
      if ! live_pid etcd >/dev/null && ! { port_free "$ETCD_CLIENT_PORT" && port_free "$ETCD_PEER_PORT"; }; then
        pick_port ETCD_CLIENT_PORT
        pick_port ETCD_PEER_PORT
      fi
      if ! live_pid kube-apiserver >/dev/null && ! port_free "$APISERVER_PORT"; then
        pick_port APISERVER_PORT
      fi
    else
      pick_port ETCD_CLIENT_PORT
      pick_port ETCD_PEER_PORT
      pick_port APISERVER_PORT
    fi
    set_urls
    save_env
    printf '%s\n' "${STATICLET_CP_APISERVER_FLAGS:-}" >"$D/apiserver-extra.flags"
    load_extra_flags
    write_kubeconfig "$D/admin.kubeconfig" admin "$D/pki/admin.crt" "$D/pki/admin.key"
    t0=$SECONDS
    if ! start_etcd || ! start_apiserver; then
      stop_one kube-apiserver
      stop_one etcd
      die "control plane failed to start (logs in $D)"
    fi
    log "ready in $((SECONDS - t0))s: $APISERVER_URL, kubeconfig $D/admin.kubeconfig"
    cat "$(ENVF)"
    ;;
  stop)
    stop_one kube-controller-manager
    stop_one kube-apiserver
    stop_one etcd
    ;;
  start-signer)
    load_env
    start_signer "${3:-}"
    ;;
  status)
    live_pid etcd >/dev/null && live_pid kube-apiserver >/dev/null
    ;;
  stop-apiserver)
    stop_one kube-apiserver
    ;;
  start-apiserver | restart-apiserver)
    load_env
    KBIN="$(sed -n 's/^KUBE_BIN=//p' "$(ENVF)")"
    [[ -x "$KBIN/kube-apiserver" ]] || bins
    live_pid etcd >/dev/null || die "etcd is not running in $D (use start)"
    load_extra_flags
    [[ "$cmd" == start-apiserver ]] || stop_one kube-apiserver
    t0=$SECONDS
    if ! start_apiserver; then
      stop_one kube-apiserver
      die "kube-apiserver failed to start (log $D/kube-apiserver.log)"
    fi
    log "kube-apiserver ready in $((SECONDS - t0))s"
    ;;
  node-kubeconfig)
    node="${3:-}"
    # A DNS-1123 subdomain, as Node names are; also keeps it safe in paths and subjects.
    [[ "$node" =~ ^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$ ]] || die "bad node name '${node}'"
    load_env
    [[ -f "$D/pki/ca.key" ]] || die "no CA in $D/pki; run start first"
    issue "node-$node" "/O=system:nodes/CN=system:node:$node" "$CLIENT_EXT"
    write_kubeconfig "$D/node-$node.kubeconfig" "system:node:$node" \
      "$D/pki/node-$node.crt" "$D/pki/node-$node.key"
    echo "$D/node-$node.kubeconfig"
    ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# Smoke check of the real control plane: what a node identity (system:node:node-a)
# may and may not do to Nodes and (mirror) pods under Node,RBAC + NodeRestriction.
# Starts a control plane in a temp dir (or DIR if given), prints one line per request
# with the server's answer, stops it again, and exits non-zero on an unexpected answer.
#
# Usage: scripts/kube/verify-node-identity.sh [DIR]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CP="$HERE/control-plane.sh"
if [[ -n "${1:-}" ]]; then
  D="$1"
  own_dir=0
else
  D="$(mktemp -d /tmp/staticlet-cp.XXXXXX)"
  own_dir=1
fi

cleanup() {
  "$CP" stop "$D" || true
  if ((own_dir)); then rm -rf "$D"; fi
}
trap cleanup EXIT

"$CP" start "$D" >/dev/null
ADMIN=(kubectl --kubeconfig "$D/admin.kubeconfig" --request-timeout=10s)
NODE=(kubectl --kubeconfig "$("$CP" node-kubeconfig "$D" node-a)" --request-timeout=10s)

# Raw requests as node-a: kubectl patch GETs the subresource first, which a node may
# not do for pods/status or nodes/status, while the kubelet only PATCHes/PUTs them.
API="$(sed -n 's/^APISERVER_URL=//p' "$D/control-plane.env")"
node_curl() {
  local method="$1" path="$2" ctype="$3" body="$4" out code
  out="$(curl -sS --max-time 10 --cacert "$D/pki/ca.crt" --cert "$D/pki/node-node-a.crt" \
    --key "$D/pki/node-node-a.key" -X "$method" -H "Content-Type: $ctype" \
    --data-binary "$body" -w '\n%{http_code}' "$API$path")"
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  echo "HTTP $code $(tr -d '\n' <<<"$out" | cut -c1-400)"
  [[ "$code" == 2?? ]]
}

pass=0 fail=0
# expect ok|refused DESCRIPTION CMD...: run CMD, print its answer, count surprises.
expect() {
  local want="$1" what="$2" out rc=0
  shift 2
  out="$("$@" 2>&1)" || rc=$?
  out="$(tr '\n' ' ' <<<"$out")"
  if { [[ "$want" == ok ]] && ((rc == 0)); } || { [[ "$want" == refused ]] && ((rc != 0)); }; then
    pass=$((pass + 1))
    printf 'PASS  %-8s %s\n      -> %s\n' "$want" "$what" "$out"
  else
    fail=$((fail + 1))
    printf 'FAIL  %-8s %s\n      -> (rc %d) %s\n' "$want" "$what" "$rc" "$out"
  fi
}

node_json() {
  printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s"}}' "$1"
}
# pod_json NAME NODE [mirror-annotation?] [owner-uid]
pod_json() {
  local name="$1" node="$2" mirror="${3:-}" uid="${4:-}" meta
  meta="\"name\":\"$name\",\"namespace\":\"default\""
  [[ -z "$mirror" ]] || meta+=",\"annotations\":{\"kubernetes.io/config.mirror\":\"$mirror\",\"kubernetes.io/config.source\":\"file\"}"
  [[ -z "$uid" ]] || meta+=",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"$node\",\"uid\":\"$uid\",\"controller\":true}]"
  printf '{"apiVersion":"v1","kind":"Pod","metadata":{%s},"spec":{"nodeName":"%s","containers":[{"name":"c","image":"busybox:local","command":["sleep","3600"]}]}}' "$meta" "$node"
}

expect ok "admin: get nodes" "${ADMIN[@]}" get nodes
expect ok "node-a: whoami" "${NODE[@]}" auth whoami
expect ok "node-a: create its own Node node-a" \
  "${NODE[@]}" create -f - <<<"$(node_json node-a)"
expect refused "node-a: create Node node-b" \
  "${NODE[@]}" create -f - <<<"$(node_json node-b)"
expect ok "admin: create Node node-b" "${ADMIN[@]}" create -f - <<<"$(node_json node-b)"
# No kube-controller-manager runs, so nothing makes the "default" ServiceAccount;
# without it the ServiceAccount admission refuses every non-mirror pod first.
expect ok "admin: create ServiceAccount default/default" "${ADMIN[@]}" create serviceaccount default -n default
uid_a="$("${ADMIN[@]}" get node node-a -o jsonpath='{.metadata.uid}')"
uid_b="$("${ADMIN[@]}" get node node-b -o jsonpath='{.metadata.uid}')"

expect ok "node-a: create mirror pod for node-a (owner Node node-a)" \
  "${NODE[@]}" create -f - <<<"$(pod_json web-node-a node-a 3f2a9c "$uid_a")"
expect refused "node-a: create mirror pod for node-b (owner Node node-b)" \
  "${NODE[@]}" create -f - <<<"$(pod_json web-node-b node-b 3f2a9c "$uid_b")"
expect refused "node-a: create mirror pod for node-a without ownerReferences" \
  "${NODE[@]}" create -f - <<<"$(pod_json noowner-node-a node-a 3f2a9c)"
expect refused "node-a: create mirror pod for node-a owned by Node node-b" \
  "${NODE[@]}" create -f - <<<"$(pod_json wrongowner-node-a node-a 3f2a9c "$uid_b")"
expect refused "node-a: create non-mirror pod on node-a" \
  "${NODE[@]}" create -f - <<<"$(pod_json plain-node-a node-a)"
expect ok "admin: create plain pod on node-b" \
  "${ADMIN[@]}" create -f - <<<"$(pod_json plain-node-b node-b)"
expect refused "node-a: delete pod plain-node-b (of node-b)" \
  "${NODE[@]}" delete pod plain-node-b --wait=false
expect refused "node-a: list all pods (no field selector)" "${NODE[@]}" get pods -A
expect ok "node-a: list pods with fieldSelector spec.nodeName=node-a" \
  "${NODE[@]}" get pods -A --field-selector spec.nodeName=node-a
expect ok "node-a: get its mirror pod" "${NODE[@]}" get pod web-node-a -o name
expect refused "node-a: get pod plain-node-b (of node-b)" "${NODE[@]}" get pod plain-node-b -o name
MP=application/merge-patch+json
expect ok "node-a: PATCH pods/status of its mirror pod" node_curl PATCH \
  /api/v1/namespaces/default/pods/web-node-a/status $MP \
  '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}'
expect refused "node-a: kubectl patch --subresource=status (GETs pods/status first)" \
  "${NODE[@]}" patch pod web-node-a --subresource=status --type=merge -p '{"status":{"phase":"Running"}}'
expect refused "node-a: PATCH pods/status of plain-node-b" node_curl PATCH \
  /api/v1/namespaces/default/pods/plain-node-b/status $MP '{"status":{"phase":"Running"}}'
expect refused "node-a: patch labels of its mirror pod" \
  "${NODE[@]}" patch pod web-node-a --type=merge -p '{"metadata":{"labels":{"x":"y"}}}'
expect ok "node-a: PATCH nodes/status of node-a" node_curl PATCH /api/v1/nodes/node-a/status $MP \
  '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"ok"}]}}'
expect refused "node-a: PATCH nodes/status of node-b" node_curl PATCH /api/v1/nodes/node-b/status $MP \
  '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"x","message":"x"}]}}'
expect ok "node-a: patch labels of Node node-a" \
  "${NODE[@]}" label node node-a staticlet.test/x=y
expect ok "node-a: create Lease kube-node-lease/node-a" "${NODE[@]}" create -f - <<<'{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"node-a","namespace":"kube-node-lease"},"spec":{"holderIdentity":"node-a","leaseDurationSeconds":40}}'
expect refused "node-a: create Lease kube-node-lease/node-b" "${NODE[@]}" create -f - <<<'{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"node-b","namespace":"kube-node-lease"},"spec":{"holderIdentity":"node-b","leaseDurationSeconds":40}}'
expect ok "node-a: create an Event" "${NODE[@]}" create -f - <<<'{"apiVersion":"v1","kind":"Event","metadata":{"name":"web-node-a.1","namespace":"default"},"involvedObject":{"kind":"Pod","name":"web-node-a","namespace":"default"},"reason":"Started","message":"x","type":"Normal","source":{"component":"kubelet","host":"node-a"}}'
uid_web="$("${ADMIN[@]}" get pod web-node-a -o jsonpath='{.metadata.uid}')"
expect refused "node-a: DELETE its mirror pod with a wrong UID precondition" node_curl DELETE \
  /api/v1/namespaces/default/pods/web-node-a application/json \
  '{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}}'
expect ok "node-a: DELETE its mirror pod, grace 0, UID precondition" node_curl DELETE \
  /api/v1/namespaces/default/pods/web-node-a application/json \
  "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"$uid_web\"}}"
expect refused "admin: get pod web-node-a after that (gone at once)" "${ADMIN[@]}" get pod web-node-a
expect ok "node-a: create mirror pod web2-node-a" \
  "${NODE[@]}" create -f - <<<"$(pod_json web2-node-a node-a 3f2a9c "$uid_a")"
expect ok "node-a: kubectl delete (default grace) its mirror pod" "${NODE[@]}" delete pod web2-node-a --wait=false
expect ok "admin: pods left (web2-node-a stays Terminating: no kubelet finishes it)" \
  "${ADMIN[@]}" get pods -A -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,DELETING:.metadata.deletionTimestamp,GRACE:.metadata.deletionGracePeriodSeconds

echo "$pass passed, $fail failed"
((fail == 0))

// The API half of the diff: each static pod has exactly one mirror pod showing its true status;
// a mirror whose static pod changed or is gone is deleted; a mirror someone deleted is finished
// off and recreated; ordinary pods bound to this node are refused. The containers are never
// touched by any of this.
import type { V1Pod } from '@kubernetes/client-node';
import { API_RETRY } from './backoff.js';
import type { DiffCollector } from './decisions.js';
import type { MirrorObservation } from './model/observations.js';
import { sourceAllowsRemoval } from './removal-rules.js';
import { canonicalJson } from './manifest/identity.js';
import { podStatus } from './pod-status.js';
import { fullName, type StaticPod } from './model/static-pod.js';
import { stepKey, type State } from './model/state.js';

export const ANNOTATION_CONFIG_MIRROR = 'kubernetes.io/config.mirror';

export function diffMirrors(state: State, desired: ReadonlyMap<string, StaticPod>, out: DiffCollector): void {
  const api = state.api;
  if (!api.configured || !api.synced || api.nodeUid === undefined) return;
  const nodeUid = api.nodeUid;
  const byName = new Map<string, StaticPod>();
  for (const pod of desired.values()) byName.set(fullName(pod), pod);

  for (const [name, pod] of byName) {
    const key = stepKey.mirror(name);
    if (state.inFlight.has(key) || out.blockedByFailure(state, key, API_RETRY)) continue;
    const base = { podUid: pod.uid, podFullName: name };
    const m = api.pods.get(name);
    if (!m) {
      out.add({ kind: 'CreateMirror', ...base, mirror: mirrorPod(pod, nodeUid) });
    } else if (m.mirrorOf === undefined) {
      continue; // an ordinary pod holds the name; it is refused below
    } else if (m.deleting || m.mirrorOf !== pod.uid) {
      if (!deletePending(state, m, out))
        out.add({ kind: 'DeleteMirror', ...base, namespace: m.namespace, name: m.name, mirrorUid: m.uid });
    } else {
      const status = podStatus(state, pod, api.statusContext);
      // JSON first: the status holds Dates, which the canonical form must see as text.
      const fingerprint = canonicalJson(JSON.parse(JSON.stringify(status)));
      if (api.reported.get(m.uid) !== fingerprint) {
        out.add({
          kind: 'UpdateMirrorStatus',
          ...base,
          namespace: m.namespace,
          name: m.name,
          mirrorUid: m.uid,
          status,
          fingerprint,
        });
      }
    }
  }

  for (const [name, m] of api.pods) {
    const key = stepKey.mirror(name);
    if (state.inFlight.has(key) || out.blockedByFailure(state, key, API_RETRY)) continue;
    const base = { podUid: m.mirrorOf ?? m.uid, podFullName: name };
    if (m.mirrorOf !== undefined) {
      if (!byName.has(name) && sourceAllowsRemoval(state, m.source) && !deletePending(state, m, out)) {
        out.add({ kind: 'DeleteMirror', ...base, namespace: m.namespace, name: m.name, mirrorUid: m.uid });
      }
    } else if (!m.deleting && m.phase !== 'Failed' && m.phase !== 'Succeeded') {
      out.add({ kind: 'RefusePod', ...base, namespace: m.namespace, name: m.name, uidInApi: m.uid });
    }
  }
}

/** How long a deleted mirror may take to leave the watch before it is deleted again. */
export const DELETE_CONFIRM_MS = 5_000;

/** True (and a wake-up noted) while our delete of `m` waits for the watch to confirm it. */
function deletePending(state: State, m: MirrorObservation, out: DiffCollector): boolean {
  if (m.deleteRequestedAt === undefined) return false;
  const retryAt = m.deleteRequestedAt + DELETE_CONFIRM_MS;
  if (state.now >= retryAt) return false;
  out.wake(retryAt);
  return true;
}

/** The mirror pod: the static pod plus the mirror annotation and its one owner, the Node. */
export function mirrorPod(pod: StaticPod, nodeUid: string): V1Pod {
  const mirror = structuredClone(pod.pod);
  const { uid: _uid, ...metadata } = mirror.metadata ?? {};
  mirror.metadata = {
    ...metadata,
    annotations: { ...(metadata.annotations ?? {}), [ANNOTATION_CONFIG_MIRROR]: pod.uid },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: mirror.spec!.nodeName!, uid: nodeUid, controller: true }],
  };
  return mirror;
}

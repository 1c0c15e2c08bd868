// Source: the pods bound to this node in the API server (our mirrors, and any ordinary pod the
// scheduler put here anyway), from a list-then-watch that reconnects by itself.
import type { V1Pod } from '@kubernetes/client-node';
import { map, type Observable } from 'rxjs';
import type { EventBody } from '../core/events.js';
import type { MirrorObservation } from '../core/observation.js';
import { ANNOTATION_CONFIG_MIRROR } from '../core/diff-mirrors.js';
import { ANNOTATION_CONFIG_SOURCE } from '../core/manifest/identity.js';
import type { KubeApi } from '../runtime/kube/types.js';

export function observeApiPod(pod: V1Pod): MirrorObservation {
  const meta = pod.metadata ?? {};
  const mirrorOf = meta.annotations?.[ANNOTATION_CONFIG_MIRROR];
  const source = meta.annotations?.[ANNOTATION_CONFIG_SOURCE];
  return {
    namespace: meta.namespace ?? 'default',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    ...(mirrorOf !== undefined ? { mirrorOf } : {}),
    ...(source !== undefined ? { source } : {}),
    deleting: meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null,
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
  };
}

export function mirrorWatch(kube: KubeApi, nodeName: string): Observable<EventBody> {
  return kube.watchNodePods(nodeName).pipe(
    map((e): EventBody => {
      switch (e.kind) {
        case 'listed':
          return { type: 'MirrorsListed', pods: e.pods.map(observeApiPod) };
        case 'added':
        case 'modified':
          return { type: 'MirrorChanged', pod: observeApiPod(e.pod) };
        case 'deleted': {
          const o = observeApiPod(e.pod);
          return { type: 'MirrorGone', namespace: o.namespace, name: o.name, uid: o.uid };
        }
        case 'disconnected':
          return { type: 'ApiUnavailable', message: e.message };
      }
    }),
  );
}

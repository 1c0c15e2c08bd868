// Source: the pods bound to this node in the API server (our mirrors, and any ordinary pod the
// scheduler put here anyway), from a list-then-watch that reconnects by itself.
import { map, type Observable } from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import { observeApiPod } from '../runtime/kube/observations.js';
import type { KubeApi } from '../runtime/kube/types.js';

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

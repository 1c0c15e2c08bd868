// API pods → the core's observations of them.
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_CONFIG_MIRROR } from '../../core/diff-mirrors.js';
import { ANNOTATION_CONFIG_SOURCE } from '../../core/manifest/identity.js';
import type { MirrorObservation } from '../../core/model/observations.js';

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

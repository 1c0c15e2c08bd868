// The effect that carries out API actions: mirror pods and their status, and refusing ordinary
// pods. Every action ends in one result event; an API server that is down becomes ActionFailed,
// retried with back-off by the core, while the pods keep running.
import type { OperatorFunction } from 'rxjs';
import { runActions } from './run-actions.js';
import type { ApiAction } from '../core/model/actions.js';
import type { ActionOutcome, EventBody } from '../core/model/events.js';
import { KubeApiError, type KubeApi } from '../runtime/kube/types.js';
import { observeApiPod } from '../runtime/kube/observations.js';
import type { Logger } from '../runtime/logger.js';

export interface MirrorActionDeps {
  readonly kube: KubeApi;
  readonly log: Logger;
  readonly concurrency: number;
}

export function mirrorActions(deps: MirrorActionDeps): OperatorFunction<ApiAction, EventBody> {
  return runActions((action: ApiAction) => runApiAction(deps, action), {
    concurrency: deps.concurrency,
    log: deps.log,
    reasonOf: (err) => (err instanceof KubeApiError ? err.reason || `HTTP${err.status}` : 'ApiError'),
  });
}

async function runApiAction(deps: MirrorActionDeps, action: ApiAction): Promise<ActionOutcome> {
  const { kube, log } = deps;
  switch (action.kind) {
    case 'CreateMirror': {
      const created = await kube.createPod(action.mirror);
      log.info({ pod: action.podFullName, mirrorUid: created.metadata?.uid }, 'mirror pod created');
      return { mirror: observeApiPod(created) };
    }
    case 'DeleteMirror':
      await kube.deletePod(action.namespace, action.name, action.mirrorUid);
      log.info({ pod: action.podFullName, mirrorUid: action.mirrorUid }, 'mirror pod deleted');
      return {};
    case 'UpdateMirrorStatus':
      await kube.patchPodStatus(action.namespace, action.name, action.status);
      log.debug({ pod: action.podFullName, phase: action.status.phase }, 'mirror status written');
      return { reportedStatus: action.fingerprint };
    case 'RefusePod':
      await kube.patchPodStatus(action.namespace, action.name, {
        phase: 'Failed',
        reason: 'NodeRunsStaticPodsOnly',
        message: 'This node is run by staticlet, which runs static pods only: ordinary pods are not run here.',
      });
      log.warn({ pod: action.podFullName }, 'an ordinary pod was bound to this node: set to Failed');
      return {};
  }
}

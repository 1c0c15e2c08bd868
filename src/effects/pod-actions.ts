// The effect that carries out pod actions on the CRI runtime. Every action ends in exactly one
// result event, success or failure; nothing throws into the stream. Per-pod serialisation comes
// from the core (at most one action per pod in flight); this operator bounds the parallelism
// across pods. Each action's work is in pod-actions/.
import type { OperatorFunction } from 'rxjs';
import type { RuntimeAction } from '../core/model/actions.js';
import type { ActionOutcome, EventBody } from '../core/model/events.js';
import { ActionError } from './action-error.js';
import { runActions } from './run-actions.js';
import { ImageLookup } from './images.js';
import { startContainer } from './pod-actions/container-start.js';
import type { Effects, PodActionDeps } from './pod-actions/deps.js';
import { createSandbox } from './pod-actions/sandbox.js';
import { killPod, removeContainers, stopContainer } from './pod-actions/stop.js';

export type { PodActionDeps } from './pod-actions/deps.js';

export function podActions(podDeps: PodActionDeps): OperatorFunction<RuntimeAction, EventBody> {
  const deps: Effects = { ...podDeps, images: new ImageLookup(podDeps.cri, podDeps.now) };
  return runActions((action: RuntimeAction) => runAction(deps, action), {
    concurrency: deps.concurrency,
    log: deps.log,
    reasonOf: (err) => (err instanceof ActionError ? err.reason : 'RuntimeError'),
  });
}

function runAction(deps: Effects, action: RuntimeAction): Promise<ActionOutcome> {
  switch (action.kind) {
    case 'CreateSandbox':
      return createSandbox(deps, action);
    case 'StartContainer':
      return startContainer(deps, action, undefined);
    case 'KillPod':
      return killPod(deps, action);
    case 'RemoveContainers':
      return removeContainers(deps, action);
    case 'StopContainer':
      return stopContainer(deps, action);
  }
}

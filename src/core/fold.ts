// fold: the pure function from (state, event) to the next state.
import type { Action } from './actions.js';
import type { ActionOutcome, LoggedEvent } from './events.js';
import type { ContainerObservation, SandboxObservation } from './observation.js';
import { stepKey, type RuntimeView, type State, type StepFailure } from './state.js';

export function fold(state: State, event: LoggedEvent): State {
  const s: State = { ...state, now: Math.max(state.now, event.at) };
  switch (event.type) {
    case 'ManifestRead': {
      const origins = new Map(s.origins);
      origins.set(event.origin, { source: event.source, pods: event.pods });
      return { ...s, origins };
    }
    case 'ManifestInvalid': {
      // The fix over the kubelet: an invalid manifest keeps its last valid pods.
      const origins = new Map(s.origins);
      const previous = origins.get(event.origin);
      origins.set(event.origin, { source: event.source, pods: previous?.pods ?? [], problems: event.problems });
      return { ...s, origins };
    }
    case 'ManifestGone': {
      if (!s.origins.has(event.origin)) return s;
      const origins = new Map(s.origins);
      origins.delete(event.origin);
      return { ...s, origins };
    }
    case 'SourceSynced':
      return s.syncedSources.includes(event.source)
        ? s
        : { ...s, syncedSources: [...s.syncedSources, event.source] };
    case 'RuntimeRelisted':
      return { ...s, runtime: mergeRelist(s.runtime, event.startedAt, event.sandboxes, event.containers) };
    case 'RuntimeUnavailable':
      return { ...s, runtime: { ...s.runtime, unavailable: event.message } };
    case 'ActionSucceeded': {
      const next = withoutInFlight(s, event.action);
      return {
        ...next,
        runtime: applyOutcome(next.runtime, event.outcome, event.at),
        failures: deleteKey(next.failures, failureKey(event.action)),
      };
    }
    case 'ActionFailed': {
      const next = withoutInFlight(s, event.action);
      const key = failureKey(event.action);
      const prev = next.failures.get(key);
      const failure: StepFailure = { at: event.at, count: (prev?.count ?? 0) + 1, reason: event.reason, message: event.message };
      const failures = new Map(next.failures);
      failures.set(key, failure);
      return { ...next, failures };
    }
    case 'TimerFired':
      return s;
  }
}

/** Which failure record an action's outcome belongs to. */
export function failureKey(action: Action): string {
  switch (action.kind) {
    case 'CreateSandbox':
      return stepKey.sandbox(action.podUid);
    case 'StartContainer':
      return stepKey.container(action.podUid, action.containerName);
    case 'KillPod':
    case 'RemoveContainers':
      return stepKey.kill(action.podUid);
  }
}

function withoutInFlight(s: State, action: Action): State {
  if (s.inFlight.get(action.podUid)?.id !== action.id) return s;
  const inFlight = new Map(s.inFlight);
  inFlight.delete(action.podUid);
  return { ...s, inFlight };
}

function deleteKey<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}

/**
 * A relist is the truth as of its start. Facts learned from our own actions after that start are
 * newer and win; ids we removed after that start stay removed.
 */
function mergeRelist(
  runtime: RuntimeView,
  startedAt: number,
  sandboxes: readonly SandboxObservation[],
  containers: readonly ContainerObservation[],
): RuntimeView {
  const removed = new Map([...runtime.removed].filter(([, at]) => at > startedAt));
  return {
    synced: true,
    sandboxes: mergeById(runtime.sandboxes, sandboxes, startedAt, removed),
    containers: mergeById(runtime.containers, containers, startedAt, removed),
    removed,
  };
}

function mergeById<T extends { id: string; observedAt: number }>(
  current: ReadonlyMap<string, T>,
  listed: readonly T[],
  startedAt: number,
  removed: ReadonlyMap<string, number>,
): Map<string, T> {
  const next = new Map<string, T>();
  for (const item of listed) {
    if (!removed.has(item.id)) next.set(item.id, item);
  }
  for (const [id, item] of current) {
    if (item.observedAt > startedAt) next.set(id, item);
  }
  return next;
}

function applyOutcome(runtime: RuntimeView, outcome: ActionOutcome, at: number): RuntimeView {
  const sandboxes = new Map(runtime.sandboxes);
  const containers = new Map(runtime.containers);
  const removed = new Map(runtime.removed);
  for (const sb of outcome.sandboxes ?? []) sandboxes.set(sb.id, { ...sb, observedAt: at });
  for (const c of outcome.containers ?? []) containers.set(c.id, { ...c, observedAt: at });
  for (const id of outcome.removedSandboxIds ?? []) {
    sandboxes.delete(id);
    removed.set(id, at);
  }
  for (const id of outcome.removedContainerIds ?? []) {
    containers.delete(id);
    removed.set(id, at);
  }
  return { ...runtime, sandboxes, containers, removed };
}

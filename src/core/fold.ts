// fold: the pure function from (state, event) to the next state.
import { deriveDesired } from './desired.js';
import { inFlightKey, type Action } from './model/actions.js';
import type { ActionOutcome, LoggedEvent } from './model/events.js';
import type { ContainerObservation, MirrorObservation, SandboxObservation } from './model/observations.js';
import { podStepPrefix, stepKey, type ApiView, type RuntimeView, type State, type StepFailure } from './model/state.js';

/**
 * Pure: no clock but the events' times and no I/O, so a recorded log replays to the same states.
 * It records facts and decides nothing (that is the diff's job). What it trusts:
 * - a relist is the truth as of its start: facts our actions learned after that start, and ids
 *   we removed after it, win over it (mergeRelist);
 * - lifecycles only go forward (created, running, exited; a sandbox ready, then not): the further
 *   state wins in whatever order the facts arrive (later);
 * - an exit from the runtime's event stream concerns a known id; an unknown one waits for the
 *   relist (applyExit).
 */
export function fold(state: State, event: LoggedEvent): State {
  const next = foldEvent(state, event);
  const desired = deriveDesired(state, next);
  return desired === next.desired ? next : { ...next, desired };
}

function foldEvent(state: State, event: LoggedEvent): State {
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
      // Forgotten only: diff() in diff.ts removes its pods, once sourceAllowsRemoval (removal-rules.ts) agrees.
      if (!s.origins.has(event.origin)) return s;
      const origins = new Map(s.origins);
      origins.delete(event.origin);
      return { ...s, origins };
    }
    case 'SourceSynced':
      return s.syncedSources.includes(event.source) ? s : { ...s, syncedSources: [...s.syncedSources, event.source] };
    case 'RuntimeRelisted': {
      const runtime = mergeRelist(s.runtime, event.startedAt, event.sandboxes, event.containers);
      const probes =
        s.probes.size === 0 ? s.probes : new Map([...s.probes].filter(([id]) => runtime.containers.has(id)));
      return { ...s, runtime, probes, ...withoutGonePods(s, runtime) };
    }
    case 'ProbeChanged': {
      if (!s.runtime.containers.has(event.containerId)) return s;
      const probes = new Map(s.probes);
      probes.set(event.containerId, {
        ...probes.get(event.containerId),
        [event.probe]: event.ok,
        message: event.message,
      });
      return { ...s, probes };
    }
    case 'ContainerExited':
      return {
        ...s,
        runtime: applyExit(s.runtime, event.containerId, event.exitCode, event.finishedAt ?? event.at, event.at),
      };
    case 'RuntimeUnavailable':
      return { ...s, runtime: { ...s.runtime, unavailable: event.message } };
    case 'ActionSucceeded': {
      const next = withoutInFlight(s, event.action);
      let failures = clearedBy(next.failures, event.action);
      const first = event.action.kind === 'CreateSandbox' ? event.action.first : undefined;
      if (first) {
        const key = stepKey.container(event.action.podUid, first.containerName);
        const failed = event.outcome.firstFailed;
        failures = failed
          ? withFailure(failures, key, event.at, failed.reason, failed.message, event.outcome.sandboxes?.[0]?.id)
          : deleteKey(failures, key);
      }
      return {
        ...next,
        runtime: applyOutcome(next.runtime, event.outcome, event.at),
        api: applyApiOutcome(next.api, event.action, event.outcome, event.at),
        failures,
      };
    }
    case 'ActionFailed': {
      const next = withoutInFlight(s, event.action);
      return {
        ...next,
        failures: withFailure(
          next.failures,
          failureKey(event.action),
          event.at,
          event.reason,
          event.message,
          event.action.kind === 'StartContainer' ? event.action.sandboxId : undefined,
        ),
      };
    }
    case 'MirrorsListed': {
      const pods = new Map(event.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
      const uids = new Set(event.pods.map((p) => p.uid));
      const reported = new Map([...s.api.reported].filter(([uid]) => uids.has(uid)));
      const { unavailable: _gone, ...api } = s.api;
      // The API server is (back) up: API steps that failed while it was away retry at once.
      const failures = new Map([...s.failures].filter(([key]) => !key.startsWith('mirror/')));
      return { ...s, failures, api: { ...api, synced: true, pods, reported } };
    }
    case 'MirrorChanged': {
      const pods = new Map(s.api.pods);
      pods.set(`${event.pod.namespace}/${event.pod.name}`, event.pod);
      return { ...s, api: { ...s.api, pods } };
    }
    case 'MirrorGone': {
      const key = `${event.namespace}/${event.name}`;
      if (s.api.pods.get(key)?.uid !== event.uid) return s;
      const pods = new Map(s.api.pods);
      pods.delete(key);
      return { ...s, api: { ...s.api, pods, reported: deleteKey(s.api.reported, event.uid) } };
    }
    case 'ApiUnavailable':
      return { ...s, api: { ...s.api, unavailable: event.message } };
    case 'NodeRegistered':
      return { ...s, api: { ...s.api, nodeUid: event.uid } };
    case 'TimerFired':
    case 'Heartbeat':
      return s;
  }
}

/**
 * An exit the runtime's event stream reported: the container is exited (or, for a sandbox's pause
 * container, the sandbox is not ready) from now on. Unknown ids wait for the relist.
 */
function applyExit(runtime: RuntimeView, id: string, exitCode: number, finishedAt: number, at: number): RuntimeView {
  const container = runtime.containers.get(id);
  // An exit from before this container started is not this run's (a stale or replayed event).
  if (container?.startedAt !== undefined && finishedAt < container.startedAt) return runtime;
  if (container && container.state !== 'exited') {
    // Only a container not yet exited: an exit already known may carry the relist's reason and message.
    const exited: ContainerObservation = { ...container, state: 'exited', exitCode, finishedAt };
    return { ...runtime, containers: learn(runtime.containers, [exited], undefined, at) };
  }
  const sandbox = runtime.sandboxes.get(id);
  if (sandbox?.ready)
    return { ...runtime, sandboxes: learn(runtime.sandboxes, [{ ...sandbox, ready: false }], undefined, at) };
  return runtime;
}

/** What an API action's success tells us before the watch does. */
function applyApiOutcome(api: ApiView, action: Action, outcome: ActionOutcome, at: number): ApiView {
  if (action.kind === 'UpdateMirrorStatus' && outcome.reportedStatus !== undefined) {
    const reported = new Map(api.reported);
    reported.set(action.mirrorUid, outcome.reportedStatus);
    return { ...api, reported };
  }
  if (action.kind === 'CreateMirror' && outcome.mirror) {
    // Known at once, not only when the watch tells: the status can follow without a wait.
    const pods = new Map(api.pods);
    pods.set(`${outcome.mirror.namespace}/${outcome.mirror.name}`, outcome.mirror);
    return { ...api, pods };
  }
  if (action.kind === 'DeleteMirror') {
    // Gone only when the watch says so: an API server that answers "not found" while it starts
    // up would otherwise make us forget a mirror that is still there.
    const key = `${action.namespace}/${action.name}`;
    const pod = api.pods.get(key);
    if (pod?.uid !== action.mirrorUid) return api;
    const pods = new Map(api.pods);
    pods.set(key, { ...pod, deleteRequestedAt: at });
    return { ...api, pods };
  }
  if (action.kind === 'RefusePod') {
    const key = `${action.namespace}/${action.name}`;
    const pod = api.pods.get(key);
    if (!pod) return api;
    const pods = new Map(api.pods);
    const refused: MirrorObservation = { ...pod, phase: 'Failed' };
    pods.set(key, refused);
    return { ...api, pods };
  }
  return api;
}

/**
 * Which step an action is, and so which failure record its outcome belongs to: each kind of step
 * has its own (see stepKey), so a failure holds back only the retry of what failed.
 */
export function failureKey(action: Action): string {
  switch (action.kind) {
    case 'CreateSandbox':
      return stepKey.sandbox(action.podUid);
    case 'StartContainer':
      return stepKey.container(action.podUid, action.containerName);
    case 'KillPod':
      if (action.reason === 'sandbox-dead') return stepKey.sandboxDead(action.podUid);
      if (action.reason === 'garbage') return stepKey.garbageSandboxes(action.podUid);
      return stepKey.kill(action.podUid);
    case 'RemoveContainers':
      return action.reason === 'created' && action.containerName !== undefined
        ? stepKey.removeCreated(action.podUid, action.containerName)
        : stepKey.garbage(action.podUid);
    case 'StopContainer':
      return stepKey.probeStop(action.podUid, action.containerName);
    case 'CreateMirror':
    case 'DeleteMirror':
    case 'UpdateMirrorStatus':
    case 'RefusePod':
      return stepKey.mirror(action.podFullName);
  }
}

/**
 * The back-offs and step failures of pods that are no longer wanted, run or worked on, dropped at
 * each relist: an edit gives a pod a new uid, so without this every edit of a crash-looping pod
 * would leave its entries behind for the agent's lifetime.
 */
function withoutGonePods(s: State, runtime: RuntimeView): Pick<State, 'backoff' | 'failures'> {
  if (s.backoff.size === 0 && s.failures.size === 0) return { backoff: s.backoff, failures: s.failures };
  const live = new Set<string>();
  for (const origin of s.origins.values()) for (const pod of origin.pods) live.add(pod.uid);
  for (const sb of runtime.sandboxes.values()) live.add(sb.podUid);
  for (const c of runtime.containers.values()) live.add(c.podUid);
  for (const action of s.inFlight.values()) if ('podUid' in action) live.add(action.podUid);
  // Keys are `<uid>/...`; mirror keys (`mirror/<pod>`) are the API's, cleared by their own steps.
  const gone = (key: string) => !key.startsWith('mirror/') && !live.has(key.slice(0, key.indexOf('/')));
  const prune = <V>(map: ReadonlyMap<string, V>) =>
    [...map.keys()].some(gone) ? new Map([...map].filter(([key]) => !gone(key))) : map;
  return { backoff: prune(s.backoff), failures: prune(s.failures) };
}

/** What a success clears: its own step's failures, and all of a pod's once the pod is gone. */
function clearedBy(failures: ReadonlyMap<string, StepFailure>, action: Action): ReadonlyMap<string, StepFailure> {
  if (action.kind === 'KillPod' && (action.reason === 'removed' || action.reason === 'replaced')) {
    const prefix = podStepPrefix(action.podUid);
    if (![...failures.keys()].some((k) => k.startsWith(prefix))) return failures;
    return new Map([...failures].filter(([k]) => !k.startsWith(prefix)));
  }
  return deleteKey(failures, failureKey(action));
}

function withoutInFlight(s: State, action: Action): State {
  const key = inFlightKey(action);
  if (s.inFlight.get(key)?.id !== action.id) return s;
  const inFlight = new Map(s.inFlight);
  inFlight.delete(key);
  return { ...s, inFlight };
}

function deleteKey<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}

/** One more failure of the step `key`: its count drives the step's retry back-off. `sandboxId`:
 * a container start's sandbox. */
function withFailure(
  failures: ReadonlyMap<string, StepFailure>,
  key: string,
  at: number,
  reason: string,
  message: string,
  sandboxId?: string,
): ReadonlyMap<string, StepFailure> {
  const next = new Map(failures);
  const count = (failures.get(key)?.count ?? 0) + 1;
  next.set(key, { at, count, reason, message, ...(sandboxId !== undefined ? { sandboxId } : {}) });
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
  // Relists are taken one at a time, but a listing older than one already merged (a log replayed
  // out of order, a slow relist overtaken) is stale as a whole: it could bring back what is gone.
  if (runtime.listedAt !== undefined && startedAt < runtime.listedAt) return runtime;
  const removed = new Map([...runtime.removed].filter(([, at]) => at > startedAt));
  return {
    synced: true,
    listedAt: startedAt,
    sandboxes: mergeById(runtime.sandboxes, sandboxes, startedAt, removed),
    containers: mergeById(runtime.containers, containers, startedAt, removed),
    removed,
  };
}

function mergeById<T extends SandboxObservation | ContainerObservation>(
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
    const other = next.get(id);
    if (other ? later(item, other) : item.observedAt > startedAt) next.set(id, item);
  }
  return next;
}

/**
 * Whether `a` is the later fact about one sandbox or container than `b`. Lifecycles only go
 * forward (a container is created, runs, exits; a sandbox is ready, then not), so the further
 * state wins whenever it was learned: a status read just before an exit must not undo the exit
 * that a relist already saw. Otherwise the newer observation wins.
 */
function later(a: SandboxObservation | ContainerObservation, b: SandboxObservation | ContainerObservation): boolean {
  const rank = (o: SandboxObservation | ContainerObservation) =>
    'ready' in o ? (o.ready ? 0 : 1) : LIFECYCLE_RANK[o.state];
  const ra = rank(a);
  const rb = rank(b);
  return ra !== undefined && rb !== undefined && ra !== rb ? ra > rb : a.observedAt > b.observedAt;
}

/** `unknown` says nothing about where a container is in its life: the newer fact decides. */
export const LIFECYCLE_RANK: Record<ContainerObservation['state'], number | undefined> = {
  unknown: undefined,
  created: 0,
  running: 1,
  exited: 2,
};

function applyOutcome(runtime: RuntimeView, outcome: ActionOutcome, at: number): RuntimeView {
  const removedIds = [...(outcome.removedSandboxIds ?? []), ...(outcome.removedContainerIds ?? [])];
  return {
    ...runtime,
    sandboxes: learn(runtime.sandboxes, outcome.sandboxes, outcome.removedSandboxIds, at),
    containers: learn(runtime.containers, outcome.containers, outcome.removedContainerIds, at),
    removed:
      removedIds.length === 0
        ? runtime.removed
        : new Map([...runtime.removed, ...removedIds.map((id) => [id, at] as const)]),
  };
}

/**
 * One map of the runtime view after an action's outcome. Copied only when the outcome touches
 * it: most outcomes touch one map, and a burst of a hundred pods folds hundreds of outcomes.
 */
function learn<T extends SandboxObservation | ContainerObservation>(
  known: ReadonlyMap<string, T>,
  learned: readonly T[] | undefined,
  removedIds: readonly string[] | undefined,
  at: number,
): ReadonlyMap<string, T> {
  if (!learned?.length && !removedIds?.length) return known;
  const next = new Map(known);
  for (const item of learned ?? []) {
    const fact = { ...item, observedAt: at };
    const previous = next.get(item.id);
    if (!previous || later(fact, previous)) next.set(item.id, fact);
  }
  for (const id of removedIds ?? []) next.delete(id);
  return next;
}

// What one step of the loop did, as the metrics count it: pod and container starts and their
// failures (from the actions' results), exits and who saw them first, and pods that reached
// Running since their manifest was seen. Pure: the previous state and the step in, facts out.
import { ANNOTATION_CONFIG_SEEN } from './manifest/identity.js';
import type { Action } from './model/actions.js';
import type { LoggedEvent } from './model/events.js';
import type { MissedChange } from './missed-changes.js';
import type { State } from './model/state.js';
import { desiredPods } from './desired.js';
import { podStatus } from './pod-status.js';

/** A step as it comes out of the loop (the loop's LoopStep has this shape). */
export interface ObservedStep {
  readonly event: LoggedEvent;
  readonly state: State;
  readonly actions: readonly Action[];
  /** What a safety-net relist found that the events had not told (see missed-changes.ts). */
  readonly missed?: readonly MissedChange[];
}

/** `init_container` or `container`: the kubelet's `container_type` label. */
export type ContainerType = 'init_container' | 'container';

export interface StartAttempts {
  /** A sandbox start came back: `ok` or not (the kubelet's started pods and their errors). */
  readonly pod?: { readonly ok: boolean };
  /** A container start came back; `code` is the failure's reason (ErrImagePull, RunContainerError...). */
  readonly container?: { readonly type: ContainerType; readonly code?: string };
}

/** The starts whose results this event carries. */
export function startAttempts(event: LoggedEvent): StartAttempts {
  if (event.type !== 'ActionSucceeded' && event.type !== 'ActionFailed') return {};
  const action = event.action;
  if (action.kind === 'StartContainer') {
    const type: ContainerType = action.init ? 'init_container' : 'container';
    return { container: event.type === 'ActionFailed' ? { type, code: event.reason } : { type } };
  }
  if (action.kind !== 'CreateSandbox') return {};
  if (event.type === 'ActionFailed') return { pod: { ok: false } };
  // The sandbox's first container was started within the same action, once the sandbox was up.
  if (!action.first) return { pod: { ok: true } };
  const type: ContainerType = action.first.init ? 'init_container' : 'container';
  const failed = event.outcome.firstFailed;
  return { pod: { ok: true }, container: failed ? { type, code: failed.reason } : { type } };
}

/**
 * Containers that went from running to exited in this step, by who told: `event` when the
 * runtime's event stream (a ContainerExited event) brought the exit, `relist` when the relist
 * found it first. Exits the agent caused itself come back in its actions' results and are neither.
 */
export function exitsSeen(previous: State, step: ObservedStep): { event: number; relist: number } {
  const via =
    step.event.type === 'ContainerExited' ? 'event' : step.event.type === 'RuntimeRelisted' ? 'relist' : undefined;
  if (!via || step.state.runtime.containers === previous.runtime.containers) return { event: 0, relist: 0 };
  let n = 0;
  for (const [id, c] of step.state.runtime.containers) {
    if (c.state === 'exited' && previous.runtime.containers.get(id)?.state === 'running') n++;
  }
  return via === 'event' ? { event: n, relist: 0 } : { event: 0, relist: n };
}

/**
 * Pods the agent started in this run, from their first sandbox until their phase is Running: by
 * UID, the time their manifest was seen (`kubernetes.io/config.seen`, ms since the epoch).
 */
export type PendingStarts = ReadonlyMap<string, number>;

/**
 * The kubelet's pod start duration: from the manifest being seen to the pod's phase Running, for
 * the pods whose first sandbox (attempt 0) this step issued; a pod already running when the agent
 * started is not one. Returns the pods still pending and the durations (ms) of those now running.
 */
export function podStarts(
  pending: PendingStarts,
  previous: State,
  step: ObservedStep,
): { pending: PendingStarts; startedMs: number[] } {
  let next: Map<string, number> | undefined;
  const edit = () => (next ??= new Map(pending));
  for (const a of step.actions) {
    if (a.kind !== 'CreateSandbox' || a.attempt !== 0 || pending.has(a.podUid)) continue;
    const seen = Date.parse(a.pod.pod.metadata?.annotations?.[ANNOTATION_CONFIG_SEEN] ?? '');
    if (!Number.isNaN(seen)) edit().set(a.podUid, seen);
  }
  const startedMs: number[] = [];
  const { state } = step;
  const current = next ?? pending;
  const changed =
    state.runtime.containers !== previous.runtime.containers || state.runtime.sandboxes !== previous.runtime.sandboxes;
  if (current.size === 0 || !changed) return { pending: current, startedMs };
  // Only a pod with a container that has run can be Running: the full status is worked out for those.
  const ran = new Set<string>();
  for (const c of state.runtime.containers.values()) if (c.state !== 'created') ran.add(c.podUid);
  const desired = desiredPods(state).pods;
  for (const [uid, seen] of current) {
    const pod = desired.get(uid);
    if (!pod) {
      edit().delete(uid);
      continue;
    }
    if (!ran.has(uid) || podStatus(state, pod, state.api.statusContext).phase !== 'Running') continue;
    startedMs.push(Math.max(0, step.event.at - seen));
    edit().delete(uid);
  }
  return { pending: next ?? pending, startedMs };
}

// Which pod and container a request to the kubelet port means, from the agent's current state:
// only the static pods this node runs, found by namespace and mirror-pod name (the static pod's
// `<manifest name>-<node name>`), and their own sandboxes and containers. Everything else is
// not found, as on the kubelet, whose pod manager holds only its own pods.
import { desiredPods } from '../desired.js';
import type { ContainerObservation, SandboxObservation } from '../model/observations.js';
import type { State } from '../model/state.js';
import type { StaticPod } from '../model/static-pod.js';
import type { PodRef } from './kubelet-paths.js';

export type Lookup<T> = { readonly found: T } | { readonly status: 400 | 404; readonly message: string };

/**
 * The static pod by namespace and name. A uid, when given, must be the pod's: the static pod's
 * (its config hash, the UID the runtime knows) or its mirror's (the API server's).
 */
export function findStaticPod(state: State | undefined, ref: PodRef): Lookup<StaticPod> {
  const missing = { status: 404, message: `pod "${ref.pod}" does not exist in namespace "${ref.namespace}"` } as const;
  if (!state) return missing;
  for (const pod of desiredPods(state).pods.values()) {
    if (pod.namespace !== ref.namespace || pod.name !== ref.pod) continue;
    if (ref.uid !== undefined && ref.uid !== pod.uid && !mirrorUids(state, pod).includes(ref.uid))
      return { status: 404, message: `pod "${ref.pod}" with uid ${ref.uid} not found` };
    return { found: pod };
  }
  return missing;
}

function mirrorUids(state: State, pod: StaticPod): string[] {
  const uids: string[] = [];
  for (const m of state.api.pods.values())
    if (m.mirrorOf === pod.uid && m.namespace === pod.namespace && m.name === pod.name) uids.push(m.uid);
  return uids;
}

/** The container named in the pod's spec (init containers included), else 404. */
export function checkContainerName(pod: StaticPod, name: string): Lookup<string> {
  const spec = pod.pod.spec;
  const names = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.name);
  if (names.includes(name)) return { found: name };
  return { status: 404, message: `container "${name}" not found in pod "${pod.name}"` };
}

/** The pod's instances of one container, oldest attempt first. */
export function containerInstances(state: State, pod: StaticPod, name: string): ContainerObservation[] {
  const found: ContainerObservation[] = [];
  for (const c of state.runtime.containers.values()) if (c.podUid === pod.uid && c.name === name) found.push(c);
  return found.sort((a, b) => a.attempt - b.attempt || a.createdAt - b.createdAt);
}

/** The container to exec in or attach to: its newest instance, which must be running. */
export function runningContainer(state: State, pod: StaticPod, name: string): Lookup<ContainerObservation> {
  const checked = checkContainerName(pod, name);
  if (!('found' in checked)) return checked;
  const newest = containerInstances(state, pod, name).at(-1);
  if (!newest || newest.state !== 'running')
    return { status: 404, message: `container "${name}" in pod "${pod.name}" is not running` };
  return { found: newest };
}

/** The pod's sandbox to forward ports into: its newest ready one. */
export function readySandbox(state: State, pod: StaticPod): Lookup<SandboxObservation> {
  let best: SandboxObservation | undefined;
  for (const s of state.runtime.sandboxes.values())
    if (s.podUid === pod.uid && s.ready && (!best || s.attempt > best.attempt)) best = s;
  if (!best) return { status: 404, message: `pod "${pod.name}" has no running sandbox` };
  return { found: best };
}

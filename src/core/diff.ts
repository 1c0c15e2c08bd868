// diff: desired versus actual, the pure heart of the reconciler. For each pod it decides the one
// next step (or none), skipping pods that already have a step in flight. Level-triggered: it reads
// only the state, so a lost event is repaired by the next relist.
import type { V1Container } from '@kubernetes/client-node';
import type { KillPod } from './model/actions.js';
import { DiffCollector, type Decision, type DiffResult } from './decisions.js';
import { diffMirrors } from './diff-mirrors.js';
import { restartAllowedAt, STEP_RETRY } from './backoff.js';
import { desiredPods } from './desired.js';
import type { ContainerObservation, SandboxObservation } from './model/observations.js';
import { fullName, type StaticPod } from './model/static-pod.js';
import { stepKey, type State } from './model/state.js';
import { sourceAllowsRemoval } from './removal-rules.js';

interface PodRuntime {
  /** Newest first. */
  readonly sandboxes: SandboxObservation[];
  readonly containers: ContainerObservation[];
}

/**
 * Level-triggered: the decisions follow from the state alone, never from which event came last.
 * One next step per pod at most, and none for a pod with an action in flight (step records what
 * it issues in the same transition, so nothing is issued twice); nothing at all before the first
 * complete relist. What backs it up is the relist: a lost event or a stale fact is corrected by
 * the next one, and the diff then decides from the truth.
 */
export function diff(state: State): DiffResult {
  const out = new DiffCollector();
  if (!state.runtime.synced) return out.result();

  const { pods } = desiredPods(state);
  const runtimeByUid = groupRuntime(state);
  // UIDs with a sandbox, by namespace, then name: maps keyed by the strings the objects already
  // hold, since building `ns/name` for every pod on every step was most of the diff's time.
  const presentNames = new Map<string, Map<string, Set<string>>>();
  for (const [uid, rt] of runtimeByUid) {
    const sb = rt.sandboxes[0];
    if (!sb) continue;
    let names = presentNames.get(sb.namespace);
    if (!names) presentNames.set(sb.namespace, (names = new Map()));
    let uids = names.get(sb.podName);
    if (!uids) names.set(sb.podName, (uids = new Set()));
    uids.add(uid);
  }

  // Pods that run but are no longer desired: stopped and removed, once their source has synced.
  let desiredNames: Set<string> | undefined;
  for (const [uid, rt] of runtimeByUid) {
    if (pods.has(uid) || state.inFlight.has(uid)) continue;
    if (!mayRemove(state, rt)) continue;
    if (out.blockedByFailure(state, stepKey.kill(uid), STEP_RETRY)) continue;
    const sb = rt.sandboxes[0];
    const podFullName = sb ? fullName({ namespace: sb.namespace, name: sb.podName }) : uid;
    desiredNames ??= new Set([...pods.values()].map(fullName));
    const replacement = desiredNames.has(podFullName);
    out.add(killAll(uid, podFullName, rt, replacement ? 'replaced' : 'removed', true));
  }

  for (const pod of pods.values()) {
    if (state.inFlight.has(pod.uid)) continue;
    // Never two pods under one name: a replaced pod is fully stopped before its successor starts.
    const present = presentNames.get(pod.namespace)?.get(pod.name);
    if (present && (present.size > 1 || !present.has(pod.uid))) continue;
    podStep(state, pod, runtimeByUid.get(pod.uid) ?? { sandboxes: [], containers: [] }, out);
  }
  diffMirrors(state, pods, out);
  return out.result();
}

function groupRuntime(state: State): Map<string, PodRuntime> {
  const byUid = new Map<string, PodRuntime>();
  const get = (uid: string) => {
    let rt = byUid.get(uid);
    if (!rt) byUid.set(uid, (rt = { sandboxes: [], containers: [] }));
    return rt;
  };
  for (const sb of state.runtime.sandboxes.values()) get(sb.podUid).sandboxes.push(sb);
  for (const c of state.runtime.containers.values()) get(c.podUid).containers.push(c);
  for (const rt of byUid.values()) rt.sandboxes.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  return byUid;
}

/** Whether a running pod that no desired pod claims may go: see removal-rules.ts. */
function mayRemove(state: State, rt: PodRuntime): boolean {
  return sourceAllowsRemoval(state, rt.sandboxes[0]?.source);
}

function killAll(
  uid: string,
  podFullName: string,
  rt: PodRuntime,
  reason: KillPod['reason'],
  remove: boolean,
): Decision {
  return {
    kind: 'KillPod',
    podUid: uid,
    podFullName,
    reason,
    remove,
    sandboxIds: rt.sandboxes.map((s) => s.id),
    containers: rt.containers.map((c) => ({
      id: c.id,
      sandboxId: c.sandboxId,
      name: c.name,
      gracePeriodSeconds: c.gracePeriodSeconds ?? 30,
      // Only running containers get their preStop hook.
      ...(c.preStop && c.state === 'running' ? { preStop: c.preStop } : {}),
    })),
  };
}

/** The newest instance of each container name among `containers`. */
function latestByName(containers: readonly ContainerObservation[]): Map<string, ContainerObservation> {
  const latest = new Map<string, ContainerObservation>();
  for (const c of containers) {
    const cur = latest.get(c.name);
    if (!cur || c.attempt > cur.attempt || (c.attempt === cur.attempt && c.createdAt > cur.createdAt))
      latest.set(c.name, c);
  }
  return latest;
}

function podStep(state: State, pod: StaticPod, rt: PodRuntime, out: DiffCollector): void {
  const spec = pod.pod.spec!;
  const policy = spec.restartPolicy ?? 'Always';
  const podFullName = fullName(pod);
  const base = { podUid: pod.uid, podFullName, pod };
  const latestAll = latestByName(rt.containers);
  const nextAttempt = (name: string) => {
    const c = latestAll.get(name);
    return c ? c.attempt + 1 : 0;
  };
  const appFinished = finished(spec.containers, latestAll, policy);

  const newest = rt.sandboxes[0];
  if (!newest || !newest.ready) {
    if (appFinished) return;
    const running = rt.containers.filter((c) => c.state === 'running');
    if (running.length > 0) {
      // The sandbox died under running containers: stop them before a new sandbox starts.
      if (out.blockedByFailure(state, stepKey.sandboxDead(pod.uid), STEP_RETRY)) return;
      out.add({ ...killAll(pod.uid, podFullName, { sandboxes: [], containers: running }, 'sandbox-dead', false) });
      return;
    }
    if (out.blockedByFailure(state, stepKey.sandbox(pod.uid), STEP_RETRY)) return;
    // In a new sandbox nothing has run yet: the first init container starts, else the first
    // container (see below). A start that failed in an earlier sandbox does not hold it back.
    const init = spec.initContainers?.[0];
    const firstSpec = init ?? spec.containers[0];
    const first =
      firstSpec && !out.blockedStart(state, stepKey.container(pod.uid, firstSpec.name), undefined)
        ? { containerName: firstSpec.name, init: init !== undefined, attempt: nextAttempt(firstSpec.name) }
        : undefined;
    out.add({ kind: 'CreateSandbox', ...base, attempt: newest ? newest.attempt + 1 : 0, ...(first ? { first } : {}) });
    return;
  }

  const inSandbox = rt.containers.filter((c) => c.sandboxId === newest.id);
  const latest = latestByName(inSandbox);

  const start = (c: V1Container, init: boolean, dead?: ContainerObservation): boolean => {
    const key = stepKey.container(pod.uid, c.name);
    if (out.blockedStart(state, key, newest.id)) return false;
    if (dead) {
      const finishedAt = dead.finishedAt ?? dead.observedAt;
      const allowedAt = restartAllowedAt(state.backoff.get(key), finishedAt, state.now);
      if (allowedAt !== undefined) {
        out.wake(allowedAt);
        return false;
      }
      out.restartBases.set(key, finishedAt);
    }
    out.add({
      kind: 'StartContainer',
      ...base,
      sandboxId: newest.id,
      containerName: c.name,
      init,
      attempt: nextAttempt(c.name),
    });
    return true;
  };

  // A container that was created but never started (the agent stopped before its start, or the
  // start failed after CreateContainer) goes before it is created again. While containerd is
  // still starting it, its removal fails: retried on its own back-off.
  const removeCreated = (c: ContainerObservation): boolean => {
    if (out.blockedByFailure(state, stepKey.removeCreated(pod.uid, c.name), STEP_RETRY)) return false;
    out.add({ kind: 'RemoveContainers', ...base, containerIds: [c.id], reason: 'created', containerName: c.name });
    return true;
  };

  // Init containers, one at a time, each to success, unless the app containers already started.
  const appStarted = spec.containers.some((c) => latest.has(c.name));
  if (!appStarted) {
    for (const init of spec.initContainers ?? []) {
      const c = latest.get(init.name);
      if (!c) {
        start(init, true);
        return;
      }
      if (c.state === 'running' || c.state === 'unknown') return;
      if (c.state === 'created') {
        removeCreated(c);
        return;
      }
      if (c.exitCode === 0) continue;
      if (policy !== 'Never') start(init, true, c);
      return; // a failed init container with restartPolicy Never fails the pod
    }
  }

  let acted = false;
  for (const app of spec.containers) {
    const c = latest.get(app.name);
    if (!c) {
      if (start(app, false)) return;
      acted = true;
      continue;
    }
    if (c.state === 'created') {
      if (removeCreated(c)) return;
      acted = true;
      continue;
    }
    if (c.state === 'running') {
      const verdict = state.probes.get(c.id);
      const failed = verdict?.startup === false ? 'startup' : verdict?.liveness === false ? 'liveness' : undefined;
      if (failed && out.blockedByFailure(state, stepKey.probeStop(pod.uid, c.name), STEP_RETRY)) {
        acted = true;
        continue;
      }
      if (failed) {
        out.add({
          kind: 'StopContainer',
          ...base,
          containerId: c.id,
          sandboxId: c.sandboxId,
          containerName: c.name,
          reason: failed,
          gracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
          ...(c.preStop ? { preStop: c.preStop } : {}),
        });
        return;
      }
    }
    if (c.state !== 'exited') continue;
    const restart = policy === 'Always' || (policy === 'OnFailure' && c.exitCode !== 0);
    if (restart) {
      if (start(app, false, c)) return;
      acted = true;
    }
  }
  if (acted) return;

  // Garbage: per container name keep the newest instance and the newest dead one; old sandboxes
  // go once none of their containers is kept.
  const garbage = collectGarbage(rt, newest, latestAll);
  if (garbage.containerIds.length > 0 && !out.blockedByFailure(state, stepKey.garbage(pod.uid), STEP_RETRY)) {
    out.add({ kind: 'RemoveContainers', ...base, containerIds: garbage.containerIds, reason: 'garbage' });
  } else if (
    garbage.sandboxIds.length > 0 &&
    !out.blockedByFailure(state, stepKey.garbageSandboxes(pod.uid), STEP_RETRY)
  ) {
    out.add({
      kind: 'KillPod',
      ...base,
      reason: 'garbage',
      remove: true,
      sandboxIds: garbage.sandboxIds,
      containers: [],
    });
  }
}

/** A pod whose app containers all ended and will not be restarted under its restart policy. */
function finished(
  containers: readonly V1Container[],
  latest: ReadonlyMap<string, ContainerObservation>,
  policy: string,
): boolean {
  if (policy === 'Always') return false;
  return containers.every((spec) => {
    const c = latest.get(spec.name);
    return c !== undefined && c.state === 'exited' && (policy === 'Never' || c.exitCode === 0);
  });
}

function collectGarbage(
  rt: PodRuntime,
  newest: SandboxObservation,
  latestAll: ReadonlyMap<string, ContainerObservation>,
): { containerIds: string[]; sandboxIds: string[] } {
  // The usual case, on every step for every pod: one sandbox and one instance per container name.
  if (rt.sandboxes.length <= 1 && latestAll.size === rt.containers.length) return { containerIds: [], sandboxIds: [] };
  const keep = new Set<string>();
  const byName = new Map<string, ContainerObservation[]>();
  for (const c of rt.containers) {
    const list = byName.get(c.name) ?? [];
    list.push(c);
    byName.set(c.name, list);
  }
  for (const list of byName.values()) {
    list.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
    keep.add(list[0]!.id);
    const dead = list.find((c, i) => i > 0 && c.state === 'exited');
    if (dead) keep.add(dead.id);
  }
  const containerIds = rt.containers.filter((c) => !keep.has(c.id) && c.state !== 'running').map((c) => c.id);
  const sandboxIds = rt.sandboxes
    .filter((sb) => sb.id !== newest.id && !rt.containers.some((c) => c.sandboxId === sb.id && keep.has(c.id)))
    .map((sb) => sb.id);
  return { containerIds, sandboxIds };
}

// What the state says about the node, as numbers: the pods and containers that run, the pods that
// should, the mirrors, the back-offs being waited out and the manifests that cannot be run. Read
// by the metrics when they are scraped (and by anyone else who wants a count), never by the diff.
import { API_RETRY, failureDelay, restartHeldUntil, START_RETRY, STEP_RETRY } from './backoff.js';
import { desiredPods } from './desired.js';
import type { ManifestProblem } from './model/events.js';
import type { ContainerObservation, ContainerRunState } from './model/observations.js';
import type { SourceKind } from './model/static-pod.js';
import type { State } from './model/state.js';

/** Pods with a ready sandbox (the kubelet's "running pod": its sandbox runs). */
export function runningPodCount(state: State): number {
  const uids = new Set<string>();
  for (const sb of state.runtime.sandboxes.values()) if (sb.ready) uids.add(sb.podUid);
  return uids.size;
}

/** Desired pods every container of which is running (what `systemctl status` calls running). */
export function fullyRunningPodCount(state: State): number {
  const runningByPod = new Map<string, Set<string>>();
  for (const c of state.runtime.containers.values()) {
    if (c.state !== 'running') continue;
    const names = runningByPod.get(c.podUid) ?? new Set<string>();
    names.add(c.name);
    runningByPod.set(c.podUid, names);
  }
  let running = 0;
  for (const pod of desiredPods(state).pods.values()) {
    const names = runningByPod.get(pod.uid);
    if (names && (pod.pod.spec?.containers ?? []).every((c) => names.has(c.name))) running += 1;
  }
  return running;
}

/** Our containers on the runtime, by state (every state present, zero where none). */
export function containersByState(state: State): Record<ContainerRunState, number> {
  const counts: Record<ContainerRunState, number> = { created: 0, running: 0, exited: 0, unknown: 0 };
  for (const c of state.runtime.containers.values()) counts[c.state]++;
  return counts;
}

/** The static pods that should run now (one per `namespace/name`). */
export function desiredPodCount(state: State): number {
  return desiredPods(state).pods.size;
}

/** Mirror pods of our static pods that the API server shows (none without a kubeconfig). */
export function mirrorPodCount(state: State): number {
  let n = 0;
  for (const p of state.api.pods.values()) if (p.mirrorOf !== undefined) n++;
  return n;
}

/** Why a back-off holds a step back: a container's crash loop, or a failed step waiting to retry. */
export type BackoffKind = 'crash-loop' | 'failed-step';

/**
 * Back-offs in force at `state.now`: containers waiting out CrashLoopBackOff before their next
 * restart, and failed steps (a start, a kill, a mirror write...) waiting for their retry time.
 */
export function backoffsInForce(state: State): Record<BackoffKind, number> {
  const latest = new Map<string, ContainerObservation>();
  for (const c of state.runtime.containers.values()) {
    const key = `${c.podUid}/${c.name}`;
    const cur = latest.get(key);
    if (!cur || c.attempt > cur.attempt || (c.attempt === cur.attempt && c.createdAt > cur.createdAt))
      latest.set(key, c);
  }
  let crashLoop = 0;
  for (const [key, entry] of state.backoff) {
    const c = latest.get(key);
    if (c?.state !== 'exited') continue;
    const finishedAt = c.finishedAt ?? c.observedAt;
    if (restartHeldUntil(entry, finishedAt, state.now) !== undefined) crashLoop++;
  }
  let failedStep = 0;
  for (const [key, failure] of state.failures) {
    const retry = retryOf(key);
    if (state.now < failure.at + failureDelay(failure.count, retry.baseMs, retry.maxMs)) failedStep++;
  }
  return { 'crash-loop': crashLoop, 'failed-step': failedStep };
}

/** The retry policy the diff applies to a failure key (see stepKey): mirror writes, container
 * starts (`<uid>/<name>`, no `#` part), every other step. */
function retryOf(key: string): { baseMs: number; maxMs: number } {
  if (key.startsWith('mirror/')) return API_RETRY;
  return key.includes('/#') ? STEP_RETRY : START_RETRY;
}

/**
 * What kind of problem a manifest has, from what the problem says of itself:
 * - `invalid`: a field fails validation (the problem names the field);
 * - `syntax`: the text is located but not a manifest (YAML/JSON errors, several documents, empty);
 * - `unreadable`: nothing in the text to point at: the entry or URL could not be read as a manifest
 *   (not a regular file, too large, unreadable, a failed fetch or HTTP status).
 */
export type ProblemReason = 'invalid' | 'syntax' | 'unreadable';

export function problemReason(p: ManifestProblem): ProblemReason {
  if (p.field !== undefined) return 'invalid';
  return p.line !== undefined ? 'syntax' : 'unreadable';
}

export interface ProblemCount {
  readonly source: SourceKind;
  readonly reason: ProblemReason;
  readonly count: number;
}

/** How many problems the manifests whose latest content cannot be run have, in all. */
export function manifestProblemTotal(state: State): number {
  let n = 0;
  for (const origin of state.origins.values()) n += origin.problems?.length ?? 0;
  return n;
}

/** The problems of the manifests whose latest content cannot be run, by source and reason. */
export function manifestProblemCounts(state: State): ProblemCount[] {
  const counts = new Map<string, ProblemCount>();
  for (const origin of state.origins.values()) {
    for (const p of origin.problems ?? []) {
      const reason = problemReason(p);
      const key = `${origin.source}/${reason}`;
      counts.set(key, { source: origin.source, reason, count: (counts.get(key)?.count ?? 0) + 1 });
    }
  }
  return [...counts.values()];
}

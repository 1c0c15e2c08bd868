// `staticlet plan` in the core: the events a starting agent would see (its sources' first look,
// then one relist) folded through the real step, and the actions it decides, said per pod: start,
// replace (and why), remove (and why), repair, keep, or refuse a manifest (and why).
import { desiredPods } from './desired.js';
import { formatProblem } from './manifest/format-problem.js';
import { isApiAction, type Action, type KillPod, type RuntimeAction } from './model/actions.js';
import type { EventBody, LoggedEvent, ManifestProblem } from './model/events.js';
import type { SandboxObservation } from './model/observations.js';
import { initialState, type State } from './model/state.js';
import { fullName, type SourceKind } from './model/static-pod.js';
import { replacementReasons, type RunningPodFacts } from './plan-reasons.js';
import { step } from './reconcile.js';

export type PlanAction = 'start' | 'replace' | 'remove' | 'repair' | 'keep' | 'refuse';

/** Actions that change what runs on the node (plan exits 2 when there is any). */
export const CHANGES: ReadonlySet<PlanAction> = new Set(['start', 'replace', 'remove', 'repair']);

export interface PlanEntry {
  readonly action: PlanAction;
  /** `namespace/name`; absent for a manifest refused as a whole. */
  readonly pod?: string;
  /** The pod's UID: the new one for a start or a replace, the running one otherwise. */
  readonly uid?: string;
  /** The manifest file or URL (for a removal: the one the running pod came from). */
  readonly origin?: string;
  /** For a replace: the UID of the running pod it stops first. */
  readonly replaces?: string;
  readonly reasons: readonly string[];
  /** For a manifest refused: its problems. */
  readonly problems?: readonly ManifestProblem[];
}

/** Folds the events through `step`, as the agent's loop would, and collects every action. */
export function planActions(
  configuredSources: readonly SourceKind[],
  events: readonly EventBody[],
  now: number,
): { state: State; actions: Action[] } {
  let state = initialState(configuredSources, now);
  const actions: Action[] = [];
  events.forEach((body, i) => {
    const result = step(state, { ...body, seq: i + 1, at: now } as LoggedEvent);
    state = result.state;
    actions.push(...result.actions);
  });
  return { state, actions };
}

export function describePlan(
  state: State,
  actions: readonly Action[],
  facts: ReadonlyMap<string, RunningPodFacts>,
): PlanEntry[] {
  const byUid = new Map<string, RuntimeAction[]>();
  for (const a of actions) if (!isApiAction(a)) byUid.set(a.podUid, [...(byUid.get(a.podUid) ?? []), a]);
  const sandboxes = newestSandboxes(state);
  const { pods: desired, conflicts } = desiredPods(state);
  const entries: PlanEntry[] = [];
  const described = new Set<string>();

  for (const pod of desired.values()) {
    described.add(pod.uid);
    const base = { pod: fullName(pod), uid: pod.uid, origin: pod.origin };
    const own = byUid.get(pod.uid) ?? [];
    if (sandboxes.has(pod.uid)) {
      entries.push(own.length === 0 ? { action: 'keep', ...base, reasons: [] } : repair(base, own));
      continue;
    }
    // Another pod of that name runs: it is stopped first (diff.ts), then this one starts.
    const old = [...sandboxes.values()].find(
      (sb) => fullName({ namespace: sb.namespace, name: sb.podName }) === base.pod,
    );
    if (old) {
      described.add(old.podUid);
      const was = facts.get(old.podUid) ?? { labels: {}, annotations: {}, containers: [] };
      const reasons = replacementReasons({ ...was, ...(old.origin ? { origin: old.origin } : {}) }, pod);
      entries.push({ action: 'replace', ...base, replaces: old.podUid, reasons });
    } else entries.push({ action: 'start', ...base, reasons: [] });
  }

  for (const [uid, sb] of sandboxes) {
    if (described.has(uid)) continue;
    const base = { pod: fullName({ namespace: sb.namespace, name: sb.podName }), uid, ...originOf(sb) };
    const kill = byUid.get(uid)?.find((a): a is KillPod => a.kind === 'KillPod' && a.remove);
    const problems = sb.origin ? state.origins.get(sb.origin)?.problems : undefined;
    if (problems) {
      // The fix over the kubelet: a running agent keeps the last valid version of a broken manifest.
      const why = 'its manifest is invalid or cannot be read: the running agent keeps this last valid version';
      entries.push({
        action: 'keep',
        ...base,
        reasons: [kill ? `${why} (an agent started now would remove it)` : why],
      });
    } else if (kill) {
      const why = kill.reason === 'replaced' ? 'an older version of a pod that runs' : removalReason(state, sb);
      entries.push({ action: 'remove', ...base, reasons: [why] });
    } else entries.push({ action: 'keep', ...base, reasons: ['not defined, but its source has not synced'] });
  }

  for (const [origin, o] of state.origins) {
    if (o.problems)
      entries.push({ action: 'refuse', origin, reasons: o.problems.map(formatProblem), problems: o.problems });
  }
  for (const c of conflicts) {
    for (const loser of c.losers)
      entries.push({
        action: 'refuse',
        pod: c.fullName,
        origin: loser,
        reasons: [`${c.fullName} is also defined by ${c.winner}, which the agent runs`],
      });
  }
  return entries.sort(byPodThenOrigin);
}

/** The newest sandbox of each pod UID the runtime shows. */
function newestSandboxes(state: State): Map<string, SandboxObservation> {
  const newest = new Map<string, SandboxObservation>();
  for (const sb of state.runtime.sandboxes.values()) {
    const cur = newest.get(sb.podUid);
    if (!cur || sb.attempt > cur.attempt || (sb.attempt === cur.attempt && sb.createdAt > cur.createdAt))
      newest.set(sb.podUid, sb);
  }
  return newest;
}

function originOf(sb: SandboxObservation): { origin?: string } {
  return sb.origin ? { origin: sb.origin } : {};
}

function removalReason(state: State, sb: SandboxObservation): string {
  const source = sb.source as SourceKind | undefined;
  if (source && !state.configuredSources.includes(source))
    return `its source (${source === 'http' ? 'a manifest URL' : 'a manifest path'}) is not configured`;
  if (!sb.origin) return 'no manifest defines it';
  if (!state.origins.has(sb.origin)) return `its manifest ${sb.origin} is gone`;
  return `${sb.origin} no longer defines it`;
}

function repair(base: Pick<PlanEntry, 'pod' | 'uid' | 'origin'>, actions: readonly RuntimeAction[]): PlanEntry {
  return { action: 'repair', ...base, reasons: actions.map(describeStep) };
}

/** One of the steps a running pod would get, in words. */
export function describeStep(a: RuntimeAction): string {
  switch (a.kind) {
    case 'CreateSandbox':
      return `new sandbox (attempt ${a.attempt}): the pod's sandbox is not ready`;
    case 'StartContainer':
      return `start ${a.init ? 'init container' : 'container'} ${a.containerName} (attempt ${a.attempt})`;
    case 'KillPod':
      if (a.reason === 'sandbox-dead')
        return `stop containers ${a.containers.map((c) => c.name).join(', ')}: their sandbox is not ready`;
      if (a.reason === 'garbage') return `remove ${a.sandboxIds.length} old sandbox(es)`;
      return `stop the pod (${a.reason})`;
    case 'RemoveContainers':
      return a.reason === 'created'
        ? `remove container ${a.containerName ?? a.containerIds[0]}, created but never started`
        : `remove ${a.containerIds.length} dead container(s)`;
    case 'StopContainer':
      return `stop container ${a.containerName} (${a.reason} probe failed)`;
  }
}

function byPodThenOrigin(a: PlanEntry, b: PlanEntry): number {
  const ka = `${a.action === 'refuse' ? 1 : 0}\0${a.pod ?? ''}\0${a.origin ?? ''}`;
  const kb = `${b.action === 'refuse' ? 1 : 0}\0${b.pod ?? ''}\0${b.origin ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

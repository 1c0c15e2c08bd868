// Which static pods should run: the pods of every origin, one per `namespace/name`. When two
// origins define the same pod, the one already running keeps running (a duplicate file must not
// take a running pod down); otherwise the first origin in name order wins.
import { fullName, type StaticPod } from './static-pod.js';
import type { State } from './state.js';

export interface Conflict {
  readonly fullName: string;
  readonly winner: string;
  readonly losers: readonly string[];
}

export interface DesiredSet {
  /** By UID. */
  readonly pods: ReadonlyMap<string, StaticPod>;
  readonly conflicts: readonly Conflict[];
}

/** The last answer, reused while origins and sandboxes are the same objects (they are replaced,
 * never mutated): the diff, the probers and the reporters ask on every event. */
let memo: { origins: State['origins']; sandboxes: State['runtime']['sandboxes']; result: DesiredSet } | undefined;

export function desiredPods(state: State): DesiredSet {
  if (memo && memo.origins === state.origins && memo.sandboxes === state.runtime.sandboxes) return memo.result;
  const result = computeDesired(state);
  memo = { origins: state.origins, sandboxes: state.runtime.sandboxes, result };
  return result;
}

function computeDesired(state: State): DesiredSet {
  const running = new Set<string>();
  for (const sb of state.runtime.sandboxes.values()) running.add(sb.podUid);

  const byName = new Map<string, StaticPod[]>();
  const origins = [...state.origins.keys()].sort();
  for (const origin of origins) {
    for (const pod of state.origins.get(origin)!.pods) {
      const key = fullName(pod);
      const group = byName.get(key);
      if (group) group.push(pod);
      else byName.set(key, [pod]);
    }
  }

  const pods = new Map<string, StaticPod>();
  const conflicts: Conflict[] = [];
  for (const [name, group] of byName) {
    const winner = group.find((p) => running.has(p.uid)) ?? group[0]!;
    pods.set(winner.uid, winner);
    if (group.length > 1) {
      conflicts.push({ fullName: name, winner: winner.origin, losers: group.filter((p) => p !== winner).map((p) => p.origin) });
    }
  }
  return { pods, conflicts };
}

// Which static pods should run: the pods of every origin, one per `namespace/name`. When two
// origins define the same pod, the one already running keeps running (a duplicate file must not
// take a running pod down); otherwise the first origin in name order wins.
import { fullName, type StaticPod } from './model/static-pod.js';
import type { State } from './model/state.js';

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

/** The origins' pods grouped by `namespace/name`, kept while the origins are the same object (it is
 * replaced, never mutated). Only a name that two origins define depends on the sandboxes. */
interface Grouped {
  readonly origins: State['origins'];
  readonly byName: ReadonlyMap<string, readonly StaticPod[]>;
  /** The answer when no name is contested: it does not depend on what runs. */
  readonly uncontested?: DesiredSet;
}

let grouped: Grouped | undefined;
/** The last answer for contested names, reused while the grouping and sandboxes are the same
 * objects: the diff, the probers and the reporters ask on every event. */
let memo: { grouped: Grouped; sandboxes: State['runtime']['sandboxes']; result: DesiredSet } | undefined;

export function desiredPods(state: State): DesiredSet {
  const g = grouped?.origins === state.origins ? grouped : (grouped = groupByName(state.origins));
  if (g.uncontested) return g.uncontested;
  if (memo && memo.grouped === g && memo.sandboxes === state.runtime.sandboxes) return memo.result;
  const result = choose(g.byName, state);
  memo = { grouped: g, sandboxes: state.runtime.sandboxes, result };
  return result;
}

function groupByName(originsMap: State['origins']): Grouped {
  const byName = new Map<string, StaticPod[]>();
  const origins = [...originsMap.keys()].sort();
  let contested = false;
  for (const origin of origins) {
    for (const pod of originsMap.get(origin)!.pods) {
      const key = fullName(pod);
      const group = byName.get(key);
      if (group) {
        group.push(pod);
        contested = true;
      } else byName.set(key, [pod]);
    }
  }
  if (contested) return { origins: originsMap, byName };
  const pods = new Map<string, StaticPod>();
  for (const [pod] of byName.values()) pods.set(pod!.uid, pod!);
  return { origins: originsMap, byName, uncontested: { pods, conflicts: [] } };
}

function choose(byName: ReadonlyMap<string, readonly StaticPod[]>, state: State): DesiredSet {
  const running = new Set<string>();
  for (const sb of state.runtime.sandboxes.values()) running.add(sb.podUid);
  const pods = new Map<string, StaticPod>();
  const conflicts: Conflict[] = [];
  for (const [name, group] of byName) {
    const winner = group.find((p) => running.has(p.uid)) ?? group[0]!;
    pods.set(winner.uid, winner);
    if (group.length > 1) {
      conflicts.push({
        fullName: name,
        winner: winner.origin,
        losers: group.filter((p) => p !== winner).map((p) => p.origin),
      });
    }
  }
  return { pods, conflicts };
}

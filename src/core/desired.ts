// Which static pods should run: the pods of every origin, one per `namespace/name`. When two
// origins define the same pod, the one already running keeps running (a duplicate file must not
// take a running pod down); otherwise the first origin in name order wins.
//
// The answer is derived data held in the State (`state.desired`), kept by the fold, rather than
// a cache beside the state: the diff, the probers and the reporters ask on every event, and since
// the state is replaced, never mutated, the fold knows exactly when the answer can change: when
// the origins change (regroup), or, for a contested name, when the sandboxes change (choose
// again). Every other step keeps the same object, so a burst of results regroups nothing, and
// nothing is shared between two loops (the agent's and a replay, say).
import type { Conflict, DesiredSet, DesiredView } from './model/desired.js';
import type { State } from './model/state.js';
import { fullName, type StaticPod } from './model/static-pod.js';

export function desiredPods(state: State): DesiredSet {
  return state.desired.set;
}

/** `next.desired` brought up to date after a fold from `previous`: the same object where nothing it
 * depends on changed. */
export function deriveDesired(previous: State, next: State): DesiredView {
  if (next.origins !== previous.origins) {
    const { byName, contested } = groupByName(next.origins);
    return { byName, contested, set: contested ? choose(byName, next) : uncontested(byName) };
  }
  const view = next.desired;
  if (view.contested && next.runtime.sandboxes !== previous.runtime.sandboxes)
    return { ...view, set: choose(view.byName, next) };
  return view;
}

function groupByName(originsMap: State['origins']): Pick<DesiredView, 'byName' | 'contested'> {
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
  return { byName, contested };
}

/** The answer when no name is contested: it does not depend on what runs. */
function uncontested(byName: ReadonlyMap<string, readonly StaticPod[]>): DesiredSet {
  const pods = new Map<string, StaticPod>();
  for (const [pod] of byName.values()) pods.set(pod!.uid, pod!);
  return { pods, conflicts: [] };
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

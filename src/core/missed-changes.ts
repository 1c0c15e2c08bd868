// What a safety-net relist found that neither the runtime's event stream nor the agent's own
// action results had told: the measure of how much the event stream misses.
import type { EventBody } from './model/events.js';
import type { ContainerObservation, SandboxObservation } from './model/observations.js';
import type { RuntimeView } from './model/state.js';
import { LIFECYCLE_RANK } from './fold.js';

export type MissedChangeKind = 'container_state' | 'sandbox' | 'added' | 'gone';

export interface MissedChange {
  readonly kind: MissedChangeKind;
  readonly id: string;
  readonly podUid: string;
  /** For a container, its name; for a state change, what the state knew and what the relist saw. */
  readonly container?: string;
  readonly from?: string;
  readonly to?: string;
}

type Relist = Extract<EventBody, { type: 'RuntimeRelisted' }>;

/**
 * The changes a safety-net relist (one no event asked for, taken while the event stream was up)
 * shows against what the state already knew before it: the state holds what earlier relists,
 * the event stream's exits and the agent's own action results told, so a change the agent made
 * itself is not counted. Only lifecycle changes count (an id appears, goes, a container moves on,
 * a sandbox stops being ready); facts that fill in (times, IPs) are not news an event owes.
 */
export function missedChanges(known: RuntimeView, relist: Relist): MissedChange[] {
  if (!relist.safetyNet || !known.synced) return [];
  const missed: MissedChange[] = [];
  const listed = new Set<string>();
  for (const sb of relist.sandboxes) {
    listed.add(sb.id);
    const before = known.sandboxes.get(sb.id);
    if (!before) {
      if (!known.removed.has(sb.id)) missed.push({ kind: 'added', id: sb.id, podUid: sb.podUid });
    } else if (before.ready && !sb.ready)
      missed.push({ kind: 'sandbox', id: sb.id, podUid: sb.podUid, from: 'ready', to: 'not ready' });
  }
  for (const c of relist.containers) {
    listed.add(c.id);
    const before = known.containers.get(c.id);
    if (!before) {
      if (!known.removed.has(c.id)) missed.push({ kind: 'added', ...ofContainer(c) });
    } else if (movedOn(before, c))
      missed.push({ kind: 'container_state', ...ofContainer(c), from: before.state, to: c.state });
  }
  // Gone: known before the relist started, and not listed by it.
  const gone = (item: SandboxObservation | ContainerObservation) =>
    !listed.has(item.id) && item.observedAt <= relist.startedAt;
  for (const sb of known.sandboxes.values()) if (gone(sb)) missed.push({ kind: 'gone', id: sb.id, podUid: sb.podUid });
  for (const c of known.containers.values()) if (gone(c)) missed.push({ kind: 'gone', ...ofContainer(c) });
  return missed;
}

/** The relist shows the container further in its life than the state knew. */
function movedOn(before: ContainerObservation, now: ContainerObservation): boolean {
  const a = LIFECYCLE_RANK[before.state];
  const b = LIFECYCLE_RANK[now.state];
  return a !== undefined && b !== undefined && b > a;
}

function ofContainer(c: ContainerObservation): Pick<MissedChange, 'id' | 'podUid' | 'container'> {
  return { id: c.id, podUid: c.podUid, container: c.name };
}

// How the event log writes a relist: as what changed since the relist it wrote before. At steady
// state a relist every second repeats the same hundred sandboxes and containers, only with a new
// observedAt, and written in full it was most of the log (146 MiB an hour with 100 pods under
// churn). The reader rebuilds the full listing, so a replay sees exactly the events the agent saw.

/** What a relist lists: identified, and stamped with when it was learned. */
export interface Listed {
  readonly id: string;
  readonly observedAt: number;
}

/**
 * A listing relative to the one before: `gone` ids dropped, then each remaining item either the
 * same as before (observedAt set to the relist's start) or replaced by its entry in `changed`,
 * then `added` appended; `order`, when the runtime listed them in another order (it often does),
 * gives for each item of the listing its index in that rebuilt list.
 */
export interface ListingDelta<T extends Listed> {
  readonly gone: string[];
  readonly changed: T[];
  readonly added: T[];
  readonly order?: number[];
}

/** The delta from `previous` to `current`. */
export function listingDelta<T extends Listed>(
  previous: readonly T[],
  current: readonly T[],
  startedAt: number,
): ListingDelta<T> {
  const before = new Map(previous.map((item) => [item.id, item]));
  const currentIds = new Set(current.map((item) => item.id));
  const changed = current.filter((now) => {
    const old = before.get(now.id);
    return old !== undefined && (now.observedAt !== startedAt || !sameApartFromObservedAt(old, now));
  });
  const added = current.filter((item) => !before.has(item.id));
  const rebuiltIds = [...previous.filter((item) => currentIds.has(item.id)), ...added].map((item) => item.id);
  const inOrder = rebuiltIds.every((id, i) => current[i]!.id === id);
  const position = new Map(rebuiltIds.map((id, i) => [id, i]));
  return {
    gone: previous.filter((item) => !currentIds.has(item.id)).map((item) => item.id),
    changed,
    added,
    ...(inOrder ? {} : { order: current.map((item) => position.get(item.id)!) }),
  };
}

/** The listing a delta stands for, given the listing before it. */
export function applyListingDelta<T extends Listed>(
  previous: readonly T[],
  delta: ListingDelta<T>,
  startedAt: number,
): T[] {
  const gone = new Set(delta.gone);
  const changed = new Map(delta.changed.map((item) => [item.id, item]));
  const kept = previous
    .filter((item) => !gone.has(item.id))
    .map((item) => changed.get(item.id) ?? { ...item, observedAt: startedAt });
  const rebuilt = [...kept, ...delta.added];
  return delta.order ? delta.order.map((i) => rebuilt[i]!) : rebuilt;
}

function sameApartFromObservedAt(a: Listed, b: Listed): boolean {
  return JSON.stringify({ ...a, observedAt: 0 }) === JSON.stringify({ ...b, observedAt: 0 });
}

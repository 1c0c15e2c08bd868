// The order in which the agents take a turn.

/**
 * `items` rotated by `turn`: in turn 0 the first goes first, in turn 1 the second, and so on, so
 * no agent always runs right after the same other one (whose leftovers on the machine, such as a
 * kubelet's cleanup or a page cache full of its files, would fall on it every time).
 */
export function inTurn<T>(items: readonly T[], turn: number): T[] {
  if (items.length === 0) return [];
  const k = ((turn % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

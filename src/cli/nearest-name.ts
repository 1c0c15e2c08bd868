// "Did you mean": the known name closest to a mistyped one, when it is close enough to be a typo.

/** The candidate nearest to `name` by edit distance, if within a typo's reach; else undefined. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  // A third of the name, at least 2: `--pod-manifest-pth` finds its flag, `--no-such-flag` finds none.
  const reach = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = reach + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate, reach);
    // Ties go to the alphabetically first, so the suggestion never depends on the table's order.
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance; stops counting past `limit` (returns a value above it). */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

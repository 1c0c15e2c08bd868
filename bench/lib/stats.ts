// Summary statistics for benchmark samples.
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  /** The samples in the order they were taken (the JSON keeps them, for pairing and rechecks). */
  readonly samples: readonly number[];
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    samples: [...samples],
  };
}

/**
 * The median of the per-run differences `a[i] − b[i]` (runs where both are numbers): the overhead
 * of `a` over `b` with each run set against its partner, taken in the same turn. The machine's
 * speed drifts between turns by more than the overheads measured at 100 pods; the drift falls on
 * both runs of a pair alike, and the paired difference leaves it out.
 */
export function pairedMedianDifference(a: readonly number[], b: readonly number[]): number {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i]! - b[i]!;
    if (Number.isFinite(d)) diffs.push(d);
  }
  return quantile(
    diffs.sort((x, y) => x - y),
    0.5,
  );
}

/**
 * The paired overhead over several benchmark runs at once: every run's pairs in one median. Each
 * run pairs only within itself (turn k of one run has nothing to do with turn k of another).
 */
export function pooledPairedMedianDifference(
  runs: readonly { readonly a: readonly number[]; readonly b: readonly number[] }[],
): number {
  const a: number[] = [];
  const b: number[] = [];
  for (const run of runs) {
    const n = Math.min(run.a.length, run.b.length);
    a.push(...run.a.slice(0, n));
    b.push(...run.b.slice(0, n));
  }
  return pairedMedianDifference(a, b);
}

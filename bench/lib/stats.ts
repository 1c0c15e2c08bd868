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
  return medianOf(pairedDifferences(a, b));
}

/** The median of `values`, which it sorts in place. */
function medianOf(values: number[]): number {
  return quantile(
    values.sort((x, y) => x - y),
    0.5,
  );
}

/** The differences `a[i] − b[i]` of the pairs where both are numbers. */
function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i]! - b[i]!;
    if (Number.isFinite(d)) diffs.push(d);
  }
  return diffs;
}

/** A run's pairs: the agent's samples `a` and the floor's `b`, turn by turn. */
export interface PairedRun {
  readonly a: readonly number[];
  readonly b: readonly number[];
}

/**
 * How far the pooled paired overhead could move with other samples of the same runs: a percentile
 * bootstrap of the median of the pairs' differences (each run's pairs resampled within the run,
 * `level` of the resampled medians inside the interval). Seeded, so a pool gives the same interval
 * every time. Where the interval holds both an agent's overhead and half the kubelet's, the
 * benchmark has not decided the target (docs/benchmarks.md, row 1 on containerd 2.x).
 */
export function pooledPairedMedianInterval(
  runs: readonly PairedRun[],
  { level = 0.9, resamples = 2000, seed = 1 }: { level?: number; resamples?: number; seed?: number } = {},
): { low: number; high: number } {
  const perRun = runs.map((run) => pairedDifferences(run.a, run.b)).filter((d) => d.length > 0);
  if (perRun.length === 0) return { low: NaN, high: NaN };
  const random = mulberry32(seed);
  const medians: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const drawn: number[] = [];
    for (const diffs of perRun)
      for (let i = 0; i < diffs.length; i++) drawn.push(diffs[Math.floor(random() * diffs.length)]!);
    medians.push(medianOf(drawn));
  }
  medians.sort((x, y) => x - y);
  return { low: quantile(medians, (1 - level) / 2), high: quantile(medians, (1 + level) / 2) };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The paired overhead over several benchmark runs at once: every run's pairs in one median. Each
 * run pairs only within itself (turn k of one run has nothing to do with turn k of another).
 */
export function pooledPairedMedianDifference(runs: readonly PairedRun[]): number {
  return medianOf(runs.flatMap((run) => pairedDifferences(run.a, run.b)));
}

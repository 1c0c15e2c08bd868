// The issue's overhead targets: which scenarios, and when staticlet's overhead over the floor
// meets one. Shared by the benchmark's own report and by `bench/pool.ts`.

export interface OverheadTarget {
  readonly scenario: string;
  /** An upper bound in ms besides "half the kubelet's", where the target has one. */
  readonly capMs?: number;
}

export const OVERHEAD_TARGETS: readonly OverheadTarget[] = [
  { scenario: '1. manifest written → container running', capMs: 100 },
  { scenario: '2. manifest removed → sandbox stopped', capMs: 100 },
  { scenario: '3. container killed → running again', capMs: 100 },
  { scenario: '4. 100 manifests → all running' },
  { scenario: '4. 100 manifests removed → all stopped' },
];

/** What the target says, as the report's row names it. */
export function targetLabel(t: OverheadTarget): string {
  return `${t.scenario}: overhead ≤ ½ kubelet's${t.capMs !== undefined ? ` and ≤ ${t.capMs} ms` : ''}`;
}

/** Met: at most half the kubelet's overhead (or none at all), and within the cap. */
export function overheadMet(t: OverheadTarget, oursMs: number, kubeletMs: number): boolean {
  const half = oursMs <= kubeletMs / 2 || oursMs <= 0;
  return half && (t.capMs === undefined || oursMs <= t.capMs);
}

// What `staticlet plan` prints: one line per pod (action, pod, manifest) with its reasons indented
// below, and a summary; or one JSON document (its shape is documented in docs/operations.md).
import { CHANGES, type PlanAction, type PlanEntry } from '../core/plan.js';
import { problemJson, type ProblemJson } from './validate-output.js';

const ORDER: readonly PlanAction[] = ['start', 'replace', 'remove', 'repair', 'keep', 'refuse'];

export function hasChanges(entries: readonly PlanEntry[]): boolean {
  return entries.some((e) => CHANGES.has(e.action));
}

export function planText(entries: readonly PlanEntry[]): string[] {
  const width = Math.max(0, ...entries.map((e) => (e.pod ?? '').length));
  const lines: string[] = [];
  for (const e of entries) {
    const where =
      e.action === 'refuse' && !e.pod ? (e.origin ?? '') : `${(e.pod ?? '').padEnd(width)}  ${e.origin ?? ''}`;
    lines.push(`${e.action.padEnd(7)}  ${where}`.trimEnd());
    for (const reason of e.reasons) lines.push(`         ${reason}`);
  }
  lines.push(summaryLine(entries));
  return lines;
}

/** `Plan: 1 to start, 1 to replace, 2 to keep.` / `No changes: 3 pods to keep.` */
export function summaryLine(entries: readonly PlanEntry[]): string {
  const counts = countByAction(entries);
  const words: Record<PlanAction, (n: number) => string> = {
    start: (n) => `${n} to start`,
    replace: (n) => `${n} to replace`,
    remove: (n) => `${n} to remove`,
    repair: (n) => `${n} to repair`,
    keep: (n) => `${n} to keep`,
    refuse: (n) => `${n} refused`,
  };
  const parts = ORDER.filter((a) => counts[a] > 0).map((a) => words[a](counts[a]));
  if (parts.length === 0) return 'No changes: no static pods, and none running.';
  return hasChanges(entries) ? `Plan: ${parts.join(', ')}.` : `No changes: ${parts.join(', ')}.`;
}

function countByAction(entries: readonly PlanEntry[]): Record<PlanAction, number> {
  const counts = { start: 0, replace: 0, remove: 0, repair: 0, keep: 0, refuse: 0 };
  for (const e of entries) counts[e.action]++;
  return counts;
}

/** The JSON document of `--output=json`: version 1 of its shape. */
export interface PlanJson {
  readonly apiVersion: 'staticlet.io/v1';
  readonly kind: 'Plan';
  readonly nodeName: string;
  /** Whether the agent would change anything (plan exits 2 then). */
  readonly changes: boolean;
  /** A PlanEntry each, its problems in the form validate gives them. */
  readonly entries: (Omit<PlanEntry, 'problems'> & { readonly problems?: ProblemJson[] })[];
  readonly summary: Record<PlanAction, number>;
}

export function planJson(nodeName: string, entries: readonly PlanEntry[]): PlanJson {
  return {
    apiVersion: 'staticlet.io/v1',
    kind: 'Plan',
    nodeName,
    changes: hasChanges(entries),
    entries: entries.map(({ problems, ...rest }) => ({
      ...rest,
      ...(problems ? { problems: problems.map(problemJson) } : {}),
    })),
    summary: countByAction(entries),
  };
}

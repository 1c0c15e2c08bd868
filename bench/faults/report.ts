// What a fault run records and how it is written: per fault, each injection's outcome; the report
// is Markdown (a table, then every violation with its details) and JSON (everything) under
// bench/results/, named faults-<date>[-quick].
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { summarize } from '../lib/stats.js';
import type { Convergence } from './check.js';

export interface Injection {
  rep: number;
  /** The node converged, and nothing went wrong on the way (no violation). */
  converged: boolean;
  /** The pods and mirrors converged, perhaps with leftover directories; the time is then theirs. */
  reached: boolean;
  /** Injection over (the component back, the fault lifted) → converged (or: all but leftovers), ms. */
  ms: number;
  /** What was wrong: still at the end of the wait, or seen on the way (a pod removed, run twice). */
  violations: string[];
  /** Facts worth knowing that are no violation (containers restarted, fetches answered badly). */
  notes: string[];
}

export interface FaultResult {
  fault: string;
  family: string;
  what: string;
  injections: Injection[];
}

/** Parameters every family gets. */
export interface RunParams {
  reps: number;
  pods: number;
  quick: boolean;
  /** How long a node may take to converge after an injection. */
  timeoutMs: number;
  /** Whether a fault (by name) is to be run. */
  wanted: (fault: string) => boolean;
}

/** One injection's record from the wait after it (and the cleanup wait, if any). */
export function injection(rep: number, c: Convergence, extra: string[] = [], notes: string[] = []): Injection {
  const why = c.leftoversOnly
    ? 'converged but for leftovers, unchanged for 20 s:'
    : `did not converge within ${Math.round(c.ms / 1000)} s:`;
  const violations = [...(c.converged ? [] : [why, ...c.problems]), ...c.transient, ...extra];
  const reached = c.converged || c.leftoversOnly === true;
  return { rep, converged: c.converged && violations.length === 0, reached, ms: c.ms, violations, notes };
}

/** Adds a cleanup wait's outcome (removing the pods after the fault) to an injection. */
export function withCleanup(i: Injection, c: Convergence): Injection {
  if (c.converged && c.transient.length === 0) return i;
  const why = c.leftoversOnly ? 'converged but for leftovers' : `did not converge within ${Math.round(c.ms / 1000)} s`;
  const v = [`cleanup after the fault (pods removed): ${why}:`, ...c.problems];
  return { ...i, converged: false, violations: [...i.violations, ...v, ...c.transient] };
}

const MAX_LINES = 25;

export async function writeReport(
  outDir: string,
  params: RunParams,
  results: FaultResult[],
  started: Date,
): Promise<{ md: string; ok: boolean; files: string[] }> {
  const lines: string[] = [];
  const ok = results.every((r) => r.injections.every((i) => i.converged));
  lines.push(`# staticlet faults, ${started.toISOString()}`, '');
  lines.push(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node.js ${process.version}. ` +
      `Mode: ${params.quick ? 'quick (smoke)' : 'full'}; ${params.pods} pods, ${params.reps} repetitions per fault; ` +
      `convergence waited for up to ${params.timeoutMs / 1000} s. Took ${Math.round((Date.now() - started.getTime()) / 60_000)} min.`,
    '',
  );
  lines.push(
    'Converged: crictl shows exactly one ready sandbox per pod and one running container per container, nothing ' +
      'else (sandboxes, containers, mounts, log and pod directories), mirrors match (API server faults), twice 2 s ' +
      'apart; and no violation on the way (a pod removed by a failed fetch, a pod in two sandboxes at once). ' +
      'Time: from the end of the injection (component back, fault lifted) to the first of the two checks; ' +
      'counted also where only leftover log or pod directories kept the node from converging (those are ' +
      'violations all the same, listed below).',
    '',
  );
  lines.push(
    '| fault | what | injected | converged | median ms | max ms | violations |',
    '|---|---|---|---|---|---|---|',
  );
  for (const r of results) {
    const good = r.injections.filter((i) => i.converged);
    const s = summarize(r.injections.filter((i) => i.reached).map((i) => i.ms));
    const fmt = (v: number) => (s.n > 0 && Number.isFinite(v) ? v.toFixed(0) : '–');
    const bad = r.injections.filter((i) => i.violations.length > 0).length;
    lines.push(
      `| ${r.fault} | ${r.what} | ${r.injections.length} | ${good.length === r.injections.length ? good.length : `**${good.length}**`} | ${fmt(s.median)} | ${fmt(s.max)} | ${bad === 0 ? 'none' : `**${bad}**`} |`,
    );
  }
  lines.push('', `Result: ${ok ? 'every injection converged' : '**some injections did not converge**'}.`, '');
  const withViolations = results.filter((r) => r.injections.some((i) => i.violations.length > 0));
  if (withViolations.length > 0) {
    lines.push('## Violations', '');
    for (const r of withViolations)
      for (const i of r.injections.filter((x) => x.violations.length > 0)) {
        lines.push(`### ${r.fault}, injection ${i.rep + 1}`, '');
        for (const v of i.violations.slice(0, MAX_LINES)) lines.push(`- ${v}`);
        if (i.violations.length > MAX_LINES) lines.push(`- … ${i.violations.length - MAX_LINES} more (in the JSON)`);
        lines.push('');
      }
  }
  const notes = results.flatMap((r) =>
    r.injections.flatMap((i) => i.notes.map((n) => `${r.fault} #${i.rep + 1}: ${n}`)),
  );
  if (notes.length > 0) lines.push('## Notes', '', ...notes.slice(0, 60).map((n) => `- ${n}`), '');
  const md = lines.join('\n');
  await mkdir(outDir, { recursive: true });
  const stamp = `faults-${started.toISOString().replace(/[:.]/g, '-')}${params.quick ? '-quick' : ''}`;
  const files = [join(outDir, `${stamp}.md`), join(outDir, `${stamp}.json`)];
  await writeFile(files[0]!, md);
  const { wanted: _wanted, ...shown } = params;
  await writeFile(files[1]!, JSON.stringify({ date: started.toISOString(), params: shown, ok, results }, null, 2));
  return { md, ok, files };
}

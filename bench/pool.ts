// `npm run bench:pool -- bench/results/A.json bench/results/B.json …`: the overhead targets judged
// on the paired overheads of several benchmark runs pooled. One run's medians at 100 pods move by
// more than the overheads they compare (the machine's rounds spread by seconds); more runs' pairs
// in one median hold still. Prints a Markdown table, with each pooled overhead's 90 % bootstrap
// interval: how far it could move with other samples of the same runs.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pooledPairedMedianDifference, pooledPairedMedianInterval, type PairedRun, type Summary } from './lib/stats.js';
import { OVERHEAD_TARGETS, overheadMet, targetLabel } from './lib/targets.js';

interface ResultFile {
  readonly rows: readonly { scenario: string; agent: string; summary: Summary }[];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: npm run bench:pool -- <result.json> [<result.json> …]\n');
  process.exit(2);
}
const results = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as ResultFile);

/** Per run, the agent's samples against the floor's in the same scenario (runs without both left out). */
function pairsOf(scenario: string, agent: string): { a: readonly number[]; b: readonly number[] }[] {
  return results.flatMap((r) => {
    const samples = (who: string) =>
      r.rows.find((row) => row.scenario === scenario && row.agent === who)?.summary.samples;
    const a = samples(agent);
    const b = samples('floor');
    return a && b ? [{ a, b }] : [];
  });
}

const fmt = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms * 10) / 10}` : '–');
const interval = (runs: readonly PairedRun[]) => {
  const { low, high } = pooledPairedMedianInterval(runs);
  return `${fmt(low)} to ${fmt(high)}`;
};
const lines = [
  `Pooled paired overheads over ${files.length} runs: ${files.map((f) => basename(f)).join(', ')}`,
  '',
  '| target | pairs | staticlet ms | kubelet ms | met | staticlet, 90 % interval | kubelet, 90 % interval |',
  '|---|---|---|---|---|---|---|',
];
for (const t of OVERHEAD_TARGETS) {
  const ours = pairsOf(t.scenario, 'staticlet');
  const theirs = pairsOf(t.scenario, 'kubelet');
  if (ours.length === 0 || theirs.length === 0) continue;
  const oursMs = pooledPairedMedianDifference(ours);
  const theirsMs = pooledPairedMedianDifference(theirs);
  const pairs = ours.reduce((n, p) => n + Math.min(p.a.length, p.b.length), 0);
  lines.push(
    `| ${targetLabel(t)} | ${pairs} | ${fmt(oursMs)} | ${fmt(theirsMs)} | ${overheadMet(t, oursMs, theirsMs) ? 'yes' : '**no**'} | ${interval(ours)} | ${interval(theirs)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);

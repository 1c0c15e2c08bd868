// `npm run bench`: staticlet, the real kubelet and the floor (direct CRI calls), one at a time,
// each on a fresh private containerd; writes bench/results/<date>.md and .json.
//   npm run bench                      all scenarios, full size (about 35 minutes)
//   npm run bench -- --quick           a smoke run: few repetitions, small sizes
//   npm run bench -- --agents staticlet,floor --scenarios lifecycle,bulk --bulk-sizes 100
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from '../test/support/harness.js';
import { DEFAULTS } from '../src/cli/options.js';
import { Runtime, sh, startKubelet, startStaticlet, type AgentUnderTest } from './lib/env.js';
import { pairedMedianDifference, summarize, type Summary } from './lib/stats.js';
import { OVERHEAD_TARGETS, overheadMet, targetLabel } from './lib/targets.js';
import { inTurn } from './lib/turns.js';
import { mirrorBench, type MirrorSample } from './mirror.js';
import {
  bulkRun,
  floorBulkRun,
  floorLifecycleRun,
  lifecycleRun,
  steadyRun,
  type AgentName,
  type BulkSample,
  type LifecycleSample,
  type SteadySample,
} from './scenarios.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    agents: { type: 'string', default: 'floor,staticlet,kubelet' },
    scenarios: { type: 'string', default: 'lifecycle,bulk,steady,mirror' },
    runs: { type: 'string' },
    'bulk-sizes': { type: 'string' },
    'bulk-rounds': { type: 'string' },
    // Extra staticlet flags, to compare settings: --staticlet-args='--max-parallel-pods=16'
    'staticlet-args': { type: 'string', default: '' },
    // Node flags for staticlet's process, to profile it: --node-args='--cpu-prof --cpu-prof-dir=/tmp/prof'
    'node-args': { type: 'string', default: '' },
    out: { type: 'string', default: join(REPO, 'bench/results') },
  },
});
const quick = values.quick!;
const agents = values.agents!.split(',') as AgentName[];
const scenarios = new Set(values.scenarios!.split(','));
// Scenario 1 compares overheads of a few ms on starts that spread by tens: many runs, in many
// short blocks, so the medians hold still between runs of the benchmark.
const runs = Number(values.runs ?? (quick ? 2 : 40));
const bulkSizes = values['bulk-sizes']
  ? values['bulk-sizes'].split(',').map(Number)
  : quick
    ? [1, 5]
    : [1, 10, 50, 100];
/**
 * Rounds per bulk size. At 100 pods the runtime saturates both CPUs and a round's times spread by
 * a second or more from round to round (ten-round runs, 2026-11-29: the floor's removal took
 * 4.2–6.8 s), so five rounds cannot tell overheads of a few hundred ms apart: nine there.
 */
function bulkRoundsFor(n: number): number {
  const chosen = values['bulk-rounds'];
  if (chosen === undefined) return quick ? 1 : n >= 100 ? 9 : 5;
  const rounds = Number(chosen);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--bulk-rounds: a whole number of at least 1, got "${chosen}"`);
  return rounds;
}
/** Lifecycle runs come in this many blocks per agent, taking turns. */
const LIFECYCLE_BLOCKS = 8;
const steadyPods = quick ? 5 : 50;
const steadySeconds = quick ? 5 : 60;

type Row = { scenario: string; agent: AgentName; summary: Summary; unit: string };
const rows: Row[] = [];
const steady: { agent: AgentName; sample: SteadySample }[] = [];
const bulkCpu: { n: number; agent: AgentName; summary: Summary }[] = [];
let mirror: MirrorSample | undefined;

function log(msg: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function withAgent<T>(
  name: AgentName,
  fn: (runtime: Runtime, agent: AgentUnderTest | undefined) => Promise<T>,
): Promise<T> {
  const runtime = await new Runtime().start();
  let agent: AgentUnderTest | undefined;
  try {
    if (name === 'staticlet')
      agent = await startStaticlet(
        runtime,
        'bench-node',
        values['staticlet-args']!.split(' ').filter(Boolean),
        values['node-args']!.split(' ').filter(Boolean),
      );
    if (name === 'kubelet') agent = await startKubelet(runtime, 'bench-node');
    return await fn(runtime, agent);
  } finally {
    await agent?.stop().catch(() => undefined);
    await runtime.wipe().catch(() => undefined);
    await runtime.stop();
  }
}

/**
 * Unrecorded cycles of start, restart and removal first, for every agent alike: a node agent runs
 * for days, so what counts is how it reacts once warm, not its first pods. Before the lifecycle
 * runs, one cycle is not enough for staticlet: V8 compiles a function for speed only after it has
 * run a few times, and the first recorded start after a single warm-up cycle still read and
 * parsed its manifest three to eight times slower than the ones after it (timing marks,
 * 2026-11-29). A bulk round warms itself up within its first pods.
 */
async function warmUp(
  runtime: Runtime,
  agent: AgentUnderTest | undefined,
  session: number,
  cycles: number,
): Promise<void> {
  for (let k = 0; k < cycles; k++) {
    const i = WARM_UP_BASE + session * WARM_UP_CYCLES + k;
    await (agent ? lifecycleRun(runtime, agent, i) : floorLifecycleRun(runtime, i));
  }
}
const WARM_UP_CYCLES = 3;
/** Warm-up run numbers: past any real run, so never among the runs that wait for deletion. */
const WARM_UP_BASE = 1_000;

async function main() {
  await sh('scripts/tools.sh', 'crictl');
  if (agents.includes('kubelet')) await sh('scripts/kube/build.sh', 'kubelet');
  // The agents take turns (a block of lifecycle runs, or one bulk round, each), so a change in the
  // shared machine's load over the minutes a benchmark takes falls on all of them alike; who goes
  // first rotates from turn to turn.
  if (scenarios.has('lifecycle')) {
    const blocks = Math.min(LIFECYCLE_BLOCKS, runs);
    const perBlock = Math.ceil(runs / blocks);
    const samples = new Map<AgentName, LifecycleSample[]>(agents.map((a) => [a, []]));
    for (let b = 0; b < blocks; b++) {
      for (const name of inTurn(agents, b)) {
        log(`${name}: scenarios 1-3, runs ${b * perBlock + 1}–${(b + 1) * perBlock} of ${blocks * perBlock}`);
        const out = samples.get(name)!;
        await withAgent(name, async (runtime, agent) => {
          await warmUp(runtime, agent, b, WARM_UP_CYCLES);
          for (let k = 0; k < perBlock; k++) {
            const i = b * perBlock + k;
            out.push(agent ? await lifecycleRun(runtime, agent, i) : await floorLifecycleRun(runtime, i));
          }
        });
      }
    }
    for (const [name, s] of samples) {
      rows.push({
        scenario: '1. manifest written → container running',
        agent: name,
        summary: summarize(s.map((x) => x.start)),
        unit: 'ms',
      });
      rows.push({
        scenario: '1a. of which: manifest written → sandbox recorded by the runtime',
        agent: name,
        summary: summarize(s.map((x) => x.sandboxCreated)),
        unit: 'ms',
      });
      rows.push({
        scenario: '2. manifest removed → sandbox stopped',
        agent: name,
        summary: summarize(s.map((x) => x.remove)),
        unit: 'ms',
      });
      rows.push({
        scenario: '2b. manifest removed → sandbox deleted',
        agent: name,
        summary: summarize(s.map((x) => x.removeGone)),
        unit: 'ms',
      });
      rows.push({
        scenario: '3. container killed → running again',
        agent: name,
        summary: summarize(s.map((x) => x.restart)),
        unit: 'ms',
      });
    }
  }
  if (scenarios.has('bulk')) {
    // With the floor, the floor through staticlet's call gate too: what the gate alone gains.
    const bulkAgents = agents.flatMap((a): AgentName[] => (a === 'floor' ? ['floor', 'floor-gated'] : [a]));
    for (const n of bulkSizes) {
      const bulkRounds = bulkRoundsFor(n);
      const samples = new Map<AgentName, BulkSample[]>(bulkAgents.map((a) => [a, []]));
      for (let r = 0; r < bulkRounds; r++) {
        for (const name of inTurn(bulkAgents, r)) {
          log(`${name}: scenario 4, ${n} pods, round ${r + 1} of ${bulkRounds}`);
          const sample = await withAgent(name, async (runtime, agent) => {
            await warmUp(runtime, agent, r, 1);
            return agent ? bulkRun(runtime, agent, n, r) : floorBulkRun(runtime, n, r, name === 'floor-gated');
          });
          samples.get(name)!.push(sample);
          log(
            `${name}: all running ${sample.converge} ms, first ${sample.first} ms, all stopped ${sample.removeAll} ms${Number.isNaN(sample.cpuSeconds) ? '' : `, ${sample.cpuSeconds.toFixed(2)} s CPU`}`,
          );
        }
      }
      for (const [name, s] of samples) {
        rows.push({
          scenario: `4. ${n} manifests → all running`,
          agent: name,
          summary: summarize(s.map((x) => x.converge)),
          unit: 'ms',
        });
        if (n > 1)
          rows.push({
            scenario: `4. ${n} manifests → the first running`,
            agent: name,
            summary: summarize(s.map((x) => x.first)),
            unit: 'ms',
          });
        rows.push({
          scenario: `4. ${n} manifests removed → all stopped`,
          agent: name,
          summary: summarize(s.map((x) => x.removeAll)),
          unit: 'ms',
        });
        if (name === 'staticlet' || name === 'kubelet')
          bulkCpu.push({ n, agent: name, summary: summarize(s.map((x) => x.cpuSeconds)) });
      }
    }
  }
  for (const name of agents) {
    if (scenarios.has('steady') && name !== 'floor') {
      log(`${name}: scenario 5, ${steadyPods} pods for ${steadySeconds} s`);
      const sample = await withAgent(name, (runtime, agent) => steadyRun(runtime, agent!, steadyPods, steadySeconds));
      steady.push({ agent: name, sample });
    }
  }
  if (scenarios.has('mirror') && agents.includes('staticlet')) {
    log(`staticlet: scenario 6, mirror pods, ${quick ? 3 : 10} deletes`);
    mirror = await withAgent('floor', (runtime) => mirrorBench(runtime, quick ? 3 : 10));
  }
  await report();
}

async function containerdVersion(): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) =>
    execFile('containerd', ['--version'], (err, out) =>
      resolve(err ? 'unknown' : out.trim().split(' ').slice(1, 3).join(' ')),
    ),
  );
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '–');

async function report() {
  const date = new Date().toISOString();
  const versions = {
    node: process.version,
    containerd: await containerdVersion(),
    kubelet: agents.includes('kubelet') ? 'v1.34.12 (built from the Go module proxy)' : 'not run',
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  };
  const lines: string[] = [];
  lines.push(`# staticlet benchmark, ${date}`, '');
  lines.push(
    `Machine: ${versions.cpus}, ${versions.memory}; Node.js ${versions.node}; containerd ${versions.containerd}; kubelet ${versions.kubelet}. Mode: ${quick ? 'quick (smoke)' : 'full'}.`,
    '',
  );
  lines.push(
    "Overhead = the agent's median minus the floor's median for the same work. Paired overhead = the median of the agent's time minus the floor's in the same turn (run k of a lifecycle block, or the same bulk round): the machine's drift between turns falls on both and drops out. \"Paired ÷ kubelet's\" is what the targets compare.",
    '',
  );
  if (rows.some((r) => r.agent === 'floor-gated')) {
    lines.push(
      `In scenario 4, floor-gated is the floor with its calls through staticlet's call gate (${DEFAULTS.maxParallelRuntimeCalls} sandbox and container starts, stops and removals in flight): its time below the floor's is what the gate alone gains, and staticlet's time minus floor-gated's is staticlet's cost as an agent.`,
      '',
    );
  }
  lines.push(
    "| scenario | agent | n | median ms | p90 ms | min–max ms | overhead ms | paired overhead ms | paired ÷ kubelet's | vs kubelet | vs floor |",
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const byScenario = new Map<string, Row[]>();
  for (const r of rows) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  for (const [scenario, group] of byScenario) {
    const floor = group.find((r) => r.agent === 'floor')?.summary.median;
    const kubelet = group.find((r) => r.agent === 'kubelet')?.summary.median;
    const kubeletPaired = overheadsOf(scenario)?.theirs.paired ?? NaN;
    for (const r of group) {
      const s = r.summary;
      const o = overheadOf(scenario, r.agent);
      const ratio = r.agent === 'staticlet' && o && kubeletPaired > 0 ? `${(o.paired / kubeletPaired).toFixed(2)}` : '';
      const vsKubelet = r.agent === 'staticlet' && kubelet ? `${(s.median / kubelet).toFixed(2)}×` : '';
      const vsFloor = r.agent !== 'floor' && floor ? `${(s.median / floor).toFixed(2)}×` : '';
      lines.push(
        `| ${scenario} | ${r.agent} | ${s.n} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.min)}–${fmt(s.max)} | ${fmt(o?.unpaired ?? NaN)} | ${fmt(o?.paired ?? NaN)} | ${ratio} | ${vsKubelet} | ${vsFloor} |`,
      );
    }
  }
  if (bulkCpu.length > 0) {
    lines.push('', '## 4. Agent CPU per round (start and removal; from /proc)', '');
    lines.push('| pods | agent | rounds | median CPU s | min–max CPU s |', '|---|---|---|---|---|');
    for (const { n, agent, summary: c } of bulkCpu)
      lines.push(`| ${n} | ${agent} | ${c.n} | ${c.median.toFixed(2)} | ${c.min.toFixed(2)}–${c.max.toFixed(2)} |`);
  }
  if (steady.length > 0) {
    lines.push('', `## 5. Steady state: ${steadyPods} pods for ${steadySeconds} s (measured from /proc)`, '');
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    lines.push(
      '| agent | CPU seconds | CPU % of one core | RSS MiB (end) | peak RSS MiB in the window | lifetime peak (VmHWM) MiB |',
      '|---|---|---|---|---|---|',
    );
    for (const { agent, sample } of steady) {
      lines.push(
        `| ${agent} | ${sample.cpuSeconds.toFixed(2)} | ${((sample.cpuSeconds / steadySeconds) * 100).toFixed(1)} | ${mib(sample.rssBytes)} | ${mib(sample.windowPeakRssBytes)} | ${mib(sample.peakRssBytes)} |`,
      );
    }
  }
  if (mirror) {
    const d = summarize(mirror.deleteToNewMirror);
    const w = summarize(mirror.writeToMirrorRunning);
    lines.push('', '## 6. Mirror pods (staticlet with a real kube-apiserver)', '');
    lines.push('| measurement | n | median ms | p90 ms | min–max ms |', '|---|---|---|---|---|');
    lines.push(
      `| kubectl delete pod → new mirror exists | ${d.n} | ${fmt(d.median)} | ${fmt(d.p90)} | ${fmt(d.min)}–${fmt(d.max)} |`,
    );
    lines.push(
      `| manifest written → mirror shows Running 1/1 | ${w.n} | ${fmt(w.median)} | ${fmt(w.p90)} | ${fmt(w.min)}–${fmt(w.max)} |`,
    );
  }
  lines.push('', ...targets());
  const md = lines.join('\n') + '\n';
  await mkdir(values.out!, { recursive: true });
  const stamp = date.replace(/[:.]/g, '-');
  await writeFile(join(values.out!, `${stamp}${quick ? '-quick' : ''}.md`), md);
  await writeFile(
    join(values.out!, `${stamp}${quick ? '-quick' : ''}.json`),
    JSON.stringify({ date, quick, versions, rows, bulkCpu, steady, mirror }, null, 2),
  );
  process.stdout.write(md);
}

interface Overhead {
  /** The agent's median minus the floor's. */
  unpaired: number;
  /** The median of the agent's time minus the floor's in the same turn. */
  paired: number;
}

/** An agent's overhead over the floor in a scenario, both ways; undefined for the floor itself. */
function overheadOf(scenario: string, agent: AgentName): Overhead | undefined {
  const summary = (a: AgentName) => rows.find((r) => r.scenario === scenario && r.agent === a)?.summary;
  const floor = summary('floor');
  const s = summary(agent);
  if (agent === 'floor' || !floor || !s) return undefined;
  return { unpaired: s.median - floor.median, paired: pairedMedianDifference(s.samples, floor.samples) };
}

function overheadsOf(scenario: string): { ours: Overhead; theirs: Overhead } | undefined {
  const ours = overheadOf(scenario, 'staticlet');
  const theirs = overheadOf(scenario, 'kubelet');
  return ours && theirs ? { ours, theirs } : undefined;
}

/** The issue's targets, judged on this run's paired overheads (the unpaired ones beside them). */
function targets(): string[] {
  const out = ['## Targets (this run)', '', '| target | measured: paired (unpaired) | met |', '|---|---|---|'];
  const judge = (what: string, measured: string, met: boolean) =>
    out.push(`| ${what} | ${measured} | ${met ? 'yes' : '**no**'} |`);
  for (const t of OVERHEAD_TARGETS) {
    const o = overheadsOf(t.scenario);
    if (!o) continue;
    judge(
      targetLabel(t),
      `${fmt(o.ours.paired)} ms vs ${fmt(o.theirs.paired)} ms (${fmt(o.ours.unpaired)} vs ${fmt(o.theirs.unpaired)})`,
      overheadMet(t, o.ours.paired, o.theirs.paired),
    );
  }
  const ours = steady.find((s) => s.agent === 'staticlet')?.sample;
  const theirs = steady.find((s) => s.agent === 'kubelet')?.sample;
  if (ours && theirs) {
    judge(
      '5. CPU ≤ kubelet',
      `${ours.cpuSeconds.toFixed(2)} s vs ${theirs.cpuSeconds.toFixed(2)} s`,
      ours.cpuSeconds <= theirs.cpuSeconds,
    );
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    judge(
      '5. peak RSS in the window ≤ kubelet',
      `${mib(ours.windowPeakRssBytes)} vs ${mib(theirs.windowPeakRssBytes)}`,
      ours.windowPeakRssBytes <= theirs.windowPeakRssBytes,
    );
    judge(
      '5. lifetime peak RSS (VmHWM) ≤ kubelet',
      `${mib(ours.peakRssBytes)} vs ${mib(theirs.peakRssBytes)}`,
      ours.peakRssBytes <= theirs.peakRssBytes,
    );
  }
  if (mirror) {
    const d = summarize(mirror.deleteToNewMirror).median;
    judge('6. new mirror ≤ 1 s after the delete', `${fmt(d)} ms`, d <= 1000);
  }
  return out.length > 4 ? out : [];
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

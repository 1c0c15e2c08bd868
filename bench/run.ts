// `npm run bench`: staticlet, the real kubelet and the floor (direct CRI calls), one at a time,
// each on a fresh private containerd; writes bench/results/<date>.md and .json.
//   npm run bench                      all scenarios, full size (about 35 minutes)
//   npm run bench -- --quick           a smoke run: few repetitions, small sizes
//   npm run bench -- --agents staticlet,floor --scenarios lifecycle,bulk --bulk-sizes 100
//   npm run bench -- --runtime containerd1,containerd2,crio --scenarios steady,apiserver
//   npm run bench -- --scenarios lifecycle --baseline /tmp/old-build   this build and another, in turns
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from '../test/support/harness.js';
import { DEFAULTS } from '../src/cli/options.js';
import { sh, type AgentUnderTest, type Runtime } from './lib/env.js';
import { agentSession, sessionOptionsFrom, warmUp, WARM_UP_CYCLES, withBaseline } from './sessions.js';
import { parseRuntimeKinds, type RuntimeKind } from './lib/runtimes.js';
import { apiserverLoadBench, type ApiserverLoadSample } from './apiserver-load.js';
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
    scenarios: { type: 'string', default: 'lifecycle,bulk,steady,mirror,apiserver' },
    // The runtimes, one after another; every scenario runs on each (scenario 7 on the first).
    runtime: { type: 'string', default: 'containerd1' },
    'steady-pods': { type: 'string' },
    'steady-seconds': { type: 'string' },
    'steady-settle': { type: 'string' },
    'steady-turns': { type: 'string' },
    'apiserver-nodes': { type: 'string' },
    'apiserver-pods': { type: 'string' },
    'apiserver-seconds': { type: 'string' },
    runs: { type: 'string' },
    'bulk-sizes': { type: 'string' },
    'bulk-rounds': { type: 'string' },
    // Extra staticlet flags, to compare settings: --staticlet-args='--max-parallel-pods=16'
    'staticlet-args': { type: 'string', default: '' },
    // Node flags for staticlet's process, to profile it: --node-args='--cpu-prof --cpu-prof-dir=/tmp/prof'
    'node-args': { type: 'string', default: '' },
    // Another checkout, built, whose staticlet takes turns with this one as the agent "baseline":
    // two builds compared on the same drift of the machine (--baseline=/tmp/old-build).
    baseline: { type: 'string' },
    out: { type: 'string', default: join(REPO, 'bench/results') },
  },
});
const quick = values.quick!;
const sessionOptions = sessionOptionsFrom(values);
const agents = withBaseline(values.agents!.split(',') as AgentName[], sessionOptions);
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
const runtimeKinds = parseRuntimeKinds(values.runtime!);

function wholeNumber(flag: string, fallback: number, min = 1): number {
  const v = values[flag as keyof typeof values];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${flag}: a whole number of at least ${min}, got "${String(v)}"`);
  return n;
}
/**
 * Scenario 5, steady state. The window is 2 minutes: two of the kubelet's one-minute cycles (its
 * resync of every pod and its container GC) and 120 of either agent's one-second relists, so
 * periodic work is counted whole more than caught or missed at the window's edges; the CPU
 * counters tick every 10 ms, 0.005 CPU-s/min over 2 minutes. The 30 s before it let the agents
 * finish what follows the pods' start (statuses, the kubelet's first housekeeping passes).
 */
const steadyPods = wholeNumber('steady-pods', quick ? 5 : 50);
const steadySeconds = wholeNumber('steady-seconds', quick ? 5 : 120);
const steadySettle = wholeNumber('steady-settle', quick ? 2 : 30, 0);
/** Sessions per agent and runtime, taking turns: one pair per runtime by default (who goes first
 * changes from runtime to runtime). */
const steadyTurns = wholeNumber('steady-turns', 1);
/** Scenario 7: this many staticlets and as many kubelets on one API server, each with this many
 * pods; a 3-minute window holds 18 of either's 10 s node heartbeats. */
const apiserverNodes = wholeNumber('apiserver-nodes', quick ? 1 : 3);
const apiserverPods = wholeNumber('apiserver-pods', quick ? 2 : 10);
const apiserverSeconds = wholeNumber('apiserver-seconds', quick ? 10 : 180);
const apiserverSettle = quick ? 2 : 30;

type Row = { scenario: string; agent: AgentName; summary: Summary; unit: string };
/** One runtime's results. */
interface RuntimeResults {
  kind: RuntimeKind;
  /** "containerd v1.6.20", from the first instance started. */
  version: string;
  rows: Row[];
  /** In the order taken; the k-th of each agent were taken in the same turn. */
  steady: { agent: AgentName; turn: number; sample: SteadySample }[];
  bulkCpu: { n: number; agent: AgentName; summary: Summary }[];
  mirror?: MirrorSample;
}
const results: RuntimeResults[] = [];
let apiserverLoad: ApiserverLoadSample | undefined;

function log(msg: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function withAgent<T>(
  res: RuntimeResults,
  name: AgentName,
  fn: (runtime: Runtime, agent: AgentUnderTest | undefined) => Promise<T>,
): Promise<T> {
  return agentSession(res.kind, name, sessionOptions, (runtime, agent) => {
    res.version ||= runtime.version;
    return fn(runtime, agent);
  });
}

async function main() {
  await sh('scripts/tools.sh', 'crictl');
  if (agents.includes('kubelet')) await sh('scripts/kube/build.sh', 'kubelet');
  for (const [k, kind] of runtimeKinds.entries()) {
    const res: RuntimeResults = { kind, version: '', rows: [], steady: [], bulkCpu: [] };
    results.push(res);
    log(`runtime ${kind}`);
    await onRuntime(res, k);
  }
  if (scenarios.has('apiserver') && agents.includes('staticlet') && agents.includes('kubelet')) {
    log(
      `scenario 7, API server load: ${apiserverNodes} staticlets and ${apiserverNodes} kubelets, ${apiserverPods} pods each`,
    );
    apiserverLoad = await apiserverLoadBench({
      kind: runtimeKinds[0]!,
      perAgent: apiserverNodes,
      podsPerNode: apiserverPods,
      settleSeconds: apiserverSettle,
      windowSeconds: apiserverSeconds,
      log,
    });
  }
  await report();
}

/** Scenarios 1–6 on one runtime; `k`: its place in the list, which turns who goes first. */
async function onRuntime(res: RuntimeResults, k: number) {
  const { rows, bulkCpu } = res;
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
        await withAgent(res, name, async (runtime, agent) => {
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
          const sample = await withAgent(res, name, async (runtime, agent) => {
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
        if (name !== 'floor' && name !== 'floor-gated')
          bulkCpu.push({ n, agent: name, summary: summarize(s.map((x) => x.cpuSeconds)) });
      }
    }
  }
  if (scenarios.has('steady')) {
    const steadyAgents = agents.filter((a) => a !== 'floor');
    for (let t = 0; t < steadyTurns; t++) {
      for (const name of inTurn(steadyAgents, k + t)) {
        log(`${name}: scenario 5, ${steadyPods} pods, settle ${steadySettle} s, idle window ${steadySeconds} s`);
        const sample = await withAgent(res, name, (runtime, agent) =>
          steadyRun(runtime, agent!, steadyPods, steadySeconds, steadySettle),
        );
        log(
          `${name}: ${sample.cpuSecondsPerMinute.toFixed(3)} CPU-s/min, runtime ${((sample.runtimeCpuSeconds / sample.windowSeconds) * 60).toFixed(3)} CPU-s/min, peak RSS ${(sample.windowPeakRssBytes / 2 ** 20).toFixed(1)} MiB`,
        );
        res.steady.push({ agent: name, turn: t, sample });
      }
    }
  }
  if (scenarios.has('mirror') && agents.includes('staticlet')) {
    log(`staticlet: scenario 6, mirror pods, ${quick ? 3 : 10} deletes`);
    res.mirror = await withAgent(res, 'floor', (runtime) => mirrorBench(runtime, quick ? 3 : 10));
  }
}

/** A checkout's commit, with `+` when its tree differs from it. */
function commitOf(checkout: string): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', checkout, ...args], { encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+' : ''}`;
  } catch {
    return '?';
  }
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '–');
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const perMinute = (cpuSeconds: number, s: SteadySample) => (cpuSeconds / s.windowSeconds) * 60;
const median = (xs: readonly number[]) => summarize(xs).median;

async function report() {
  const date = new Date().toISOString();
  const versions = {
    node: process.version,
    runtimes: Object.fromEntries(results.map((r) => [r.kind, r.version])),
    kubelet: agents.includes('kubelet') ? 'v1.34.12 (built from the Go module proxy)' : 'not run',
    staticlet: commitOf(REPO),
    baseline: sessionOptions.baseline
      ? `${commitOf(sessionOptions.baseline)} in ${sessionOptions.baseline}`
      : undefined,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  };
  const lines: string[] = [];
  lines.push(`# staticlet benchmark, ${date}`, '');
  lines.push(
    `Machine: ${versions.cpus}, ${versions.memory}; Node.js ${versions.node}; runtimes ${results.map((r) => `${r.version || apiserverLoad?.runtime || '?'} (\`--runtime ${r.kind}\`)`).join(', ')}; kubelet ${versions.kubelet}; staticlet ${versions.staticlet}${versions.baseline ? `, baseline ${versions.baseline}` : ''}. Mode: ${quick ? 'quick (smoke)' : 'full'}.`,
    '',
  );
  lines.push(
    "Overhead = the agent's median minus the floor's median for the same work. Paired overhead = the median of the agent's time minus the floor's in the same turn (run k of a lifecycle block, or the same bulk round): the machine's drift between turns falls on both and drops out. \"Paired ÷ kubelet's\" is what the targets compare.",
    '',
  );
  for (const res of results)
    if (res.rows.length > 0 || res.steady.length > 0 || res.mirror) lines.push(...runtimeSection(res));
  if (apiserverLoad) lines.push(...apiserverSection(apiserverLoad));
  const md = lines.join('\n') + '\n';
  await mkdir(values.out!, { recursive: true });
  const stamp = date.replace(/[:.]/g, '-');
  await writeFile(join(values.out!, `${stamp}${quick ? '-quick' : ''}.md`), md);
  // The first runtime's results also at the top level, where reports before --runtime had them
  // (bench:pool reads `rows`).
  const first = results[0];
  await writeFile(
    join(values.out!, `${stamp}${quick ? '-quick' : ''}.json`),
    JSON.stringify(
      {
        date,
        quick,
        versions,
        rows: first?.rows ?? [],
        bulkCpu: first?.bulkCpu ?? [],
        steady: first?.steady ?? [],
        mirror: first?.mirror,
        runtimes: results,
        apiserverLoad,
      },
      null,
      2,
    ),
  );
  process.stdout.write(md);
}

function runtimeSection(res: RuntimeResults): string[] {
  const { rows, bulkCpu, steady, mirror } = res;
  const lines: string[] = [`## ${res.version} (\`--runtime ${res.kind}\`)`, ''];
  if (rows.some((r) => r.agent === 'floor-gated')) {
    lines.push(
      `In scenario 4, floor-gated is the floor with its calls through staticlet's call gate (${DEFAULTS.maxParallelRuntimeCalls} sandbox and container starts, stops and removals in flight): its time below the floor's is what the gate alone gains, and staticlet's time minus floor-gated's is staticlet's cost as an agent.`,
      '',
    );
  }
  if (rows.length > 0) {
    lines.push(
      `| scenario (${res.version}) | agent | n | median ms | p90 ms | min–max ms | overhead ms | paired overhead ms | paired ÷ kubelet's | vs kubelet | vs floor |`,
    );
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  }
  const byScenario = new Map<string, Row[]>();
  for (const r of rows) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  for (const [scenario, group] of byScenario) {
    const floor = group.find((r) => r.agent === 'floor')?.summary.median;
    const kubelet = group.find((r) => r.agent === 'kubelet')?.summary.median;
    const kubeletPaired = overheadsOf(rows, scenario)?.theirs.paired ?? NaN;
    for (const r of group) {
      const s = r.summary;
      const o = overheadOf(rows, scenario, r.agent);
      const ours = r.agent === 'staticlet' || r.agent === 'baseline';
      const ratio = ours && o && kubeletPaired > 0 ? `${(o.paired / kubeletPaired).toFixed(2)}` : '';
      const vsKubelet = ours && kubelet ? `${(s.median / kubelet).toFixed(2)}×` : '';
      const vsFloor = r.agent !== 'floor' && floor ? `${(s.median / floor).toFixed(2)}×` : '';
      lines.push(
        `| ${scenario} | ${r.agent} | ${s.n} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.min)}–${fmt(s.max)} | ${fmt(o?.unpaired ?? NaN)} | ${fmt(o?.paired ?? NaN)} | ${ratio} | ${vsKubelet} | ${vsFloor} |`,
      );
    }
  }
  if (bulkCpu.length > 0) {
    lines.push('', `### 4. Agent CPU per round (start and removal; from /proc; ${res.version})`, '');
    lines.push('| pods | agent | rounds | median CPU s | min–max CPU s |', '|---|---|---|---|---|');
    for (const { n, agent, summary: c } of bulkCpu)
      lines.push(`| ${n} | ${agent} | ${c.n} | ${c.median.toFixed(2)} | ${c.min.toFixed(2)}–${c.max.toFixed(2)} |`);
  }
  if (steady.length > 0) {
    lines.push(
      '',
      `### 5. Steady state: ${steadyPods} pods, idle window of ${steadySeconds} s after ${steadySettle} s settled (${res.version}; from /proc)`,
      '',
      "CPU is user + system time from `/proc/<pid>/stat`, so other work on the shared machine slows it little. The runtime's CPU is the daemon's (the agent's relists and status calls are served there) and, apart, its helpers' (containerd's shims, CRI-O's conmons).",
      '',
    );
    lines.push(
      '| agent | turn | window s | agent CPU s | agent CPU-s/min | % of one core | runtime daemon CPU-s/min | runtime helpers CPU-s/min | RSS MiB (end) | peak RSS MiB in the window | lifetime peak (VmHWM) MiB |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const { agent, turn, sample: s } of steady) {
      lines.push(
        `| ${agent} | ${turn + 1} | ${s.windowSeconds.toFixed(1)} | ${s.cpuSeconds.toFixed(2)} | ${s.cpuSecondsPerMinute.toFixed(3)} | ${(s.cpuSecondsPerMinute / 0.6).toFixed(2)} | ${perMinute(s.runtimeCpuSeconds, s).toFixed(3)} | ${perMinute(s.runtimeHelperCpuSeconds, s).toFixed(3)} | ${mib(s.rssBytes)} | ${mib(s.windowPeakRssBytes)} | ${mib(s.peakRssBytes)} |`,
      );
    }
  }
  if (mirror) {
    const d = summarize(mirror.deleteToNewMirror);
    const w = summarize(mirror.writeToMirrorRunning);
    lines.push('', `### 6. Mirror pods (staticlet with a real kube-apiserver; ${res.version})`, '');
    lines.push('| measurement | n | median ms | p90 ms | min–max ms |', '|---|---|---|---|---|');
    lines.push(
      `| kubectl delete pod → new mirror exists | ${d.n} | ${fmt(d.median)} | ${fmt(d.p90)} | ${fmt(d.min)}–${fmt(d.max)} |`,
    );
    lines.push(
      `| manifest written → mirror shows Running 1/1 | ${w.n} | ${fmt(w.median)} | ${fmt(w.p90)} | ${fmt(w.min)}–${fmt(w.max)} |`,
    );
  }
  lines.push('', ...targets(res), '');
  return lines;
}

/** Scenario 7: requests per minute per node, by kind, and the check against the metric. */
function apiserverSection(load: ApiserverLoadSample): string[] {
  const perMin = (n: number) => (n / load.windowSeconds) * 60;
  const lines = [
    '',
    `## 7. API server load per node (${load.runtime})`,
    '',
    `${load.agents.filter((a) => a.agent === 'staticlet').length} staticlets and ${load.agents.filter((a) => a.agent === 'kubelet').length} kubelets on one kube-apiserver v1.34.12 (Node authorization, NodeRestriction), each as its own node on its own private runtime, each with the same ${load.podsPerNode} static pods mirrored; after ${load.settleSeconds} s settled, an idle window of ${load.windowSeconds.toFixed(1)} s. Requests per minute received in the window, counted per node from the API server's audit log (level Metadata, by user \`system:node:<node>\`): \`apiserver_request_total\` has no user or user-agent label. Check: the audit log counted ${load.auditTotal} requests from every user in the window; the sum of \`apiserver_request_total\` grew by ${load.metricTotal} (it counts a request when it ends, so a watch is counted when it closes).`,
    '',
  ];
  const kinds = [...new Set(load.agents.flatMap((a) => Object.keys(a.byKind)))].sort();
  lines.push(`| requests/min | ${load.agents.map((a) => `${a.agent} ${a.node}`).join(' | ')} |`);
  lines.push(`|---|${load.agents.map(() => '---').join('|')}|`);
  for (const kind of kinds)
    lines.push(`| ${kind} | ${load.agents.map((a) => perMin(a.byKind[kind] ?? 0).toFixed(1)).join(' | ')} |`);
  lines.push(`| **all** | ${load.agents.map((a) => `**${perMin(a.total).toFixed(1)}**`).join(' | ')} |`);
  lines.push(`| watches open at the end | ${load.agents.map((a) => a.openWatches).join(' | ')} |`);
  lines.push(
    '',
    'User agents: ' + [...new Set(load.agents.flatMap((a) => a.userAgents))].map((u) => `\`${u}\``).join(', '),
  );
  const ours = median(load.agents.filter((a) => a.agent === 'staticlet').map((a) => perMin(a.total)));
  const theirs = median(load.agents.filter((a) => a.agent === 'kubelet').map((a) => perMin(a.total)));
  lines.push(
    '',
    `Median per node: staticlet ${ours.toFixed(1)} requests/min, kubelet ${theirs.toFixed(1)} requests/min (${theirs > 0 ? `${(ours / theirs).toFixed(2)} of the kubelet's` : '–'}).`,
  );
  return lines;
}

interface Overhead {
  /** The agent's median minus the floor's. */
  unpaired: number;
  /** The median of the agent's time minus the floor's in the same turn. */
  paired: number;
}

/** An agent's overhead over the floor in a scenario, both ways; undefined for the floor itself. */
function overheadOf(rows: readonly Row[], scenario: string, agent: AgentName): Overhead | undefined {
  const summary = (a: AgentName) => rows.find((r) => r.scenario === scenario && r.agent === a)?.summary;
  const floor = summary('floor');
  const s = summary(agent);
  if (agent === 'floor' || !floor || !s) return undefined;
  return { unpaired: s.median - floor.median, paired: pairedMedianDifference(s.samples, floor.samples) };
}

function overheadsOf(rows: readonly Row[], scenario: string): { ours: Overhead; theirs: Overhead } | undefined {
  const ours = overheadOf(rows, scenario, 'staticlet');
  const theirs = overheadOf(rows, scenario, 'kubelet');
  return ours && theirs ? { ours, theirs } : undefined;
}

/** The issue's targets, judged on this run's paired overheads (the unpaired ones beside them). */
function targets(res: RuntimeResults): string[] {
  const out = [
    `### Targets (this run, ${res.version})`,
    '',
    '| target | measured: paired (unpaired) | met |',
    '|---|---|---|',
  ];
  const judge = (what: string, measured: string, met: boolean) =>
    out.push(`| ${what} | ${measured} | ${met ? 'yes' : '**no**'} |`);
  for (const t of OVERHEAD_TARGETS) {
    const o = overheadsOf(res.rows, t.scenario);
    if (!o) continue;
    judge(
      targetLabel(t),
      `${fmt(o.ours.paired)} ms vs ${fmt(o.theirs.paired)} ms (${fmt(o.ours.unpaired)} vs ${fmt(o.theirs.unpaired)})`,
      overheadMet(t, o.ours.paired, o.theirs.paired),
    );
    const base = overheadOf(res.rows, t.scenario, 'baseline');
    if (base)
      judge(
        `(baseline build) ${targetLabel(t)}`,
        `${fmt(base.paired)} ms vs ${fmt(o.theirs.paired)} ms (${fmt(base.unpaired)} vs ${fmt(o.theirs.unpaired)})`,
        overheadMet(t, base.paired, o.theirs.paired),
      );
  }
  // The two builds' times in the same turn: the most direct comparison of them.
  for (const scenario of new Set(res.rows.filter((r) => r.agent === 'baseline').map((r) => r.scenario))) {
    const of = (a: AgentName) => res.rows.find((r) => r.scenario === scenario && r.agent === a)?.summary.samples;
    const [ours, base] = [of('staticlet'), of('baseline')];
    if (ours && base)
      out.push(
        `| (no target) ${scenario}: this build − baseline, paired | ${fmt(pairedMedianDifference(ours, base))} ms | |`,
      );
  }
  // Scenario 5: the k-th session of each agent were taken in the same turn; each target is judged
  // on the median over turns of staticlet's figure ÷ the kubelet's in the same turn.
  const ours = res.steady.filter((s) => s.agent === 'staticlet').map((s) => s.sample);
  const theirs = res.steady.filter((s) => s.agent === 'kubelet').map((s) => s.sample);
  const pairs = ours.slice(0, theirs.length).map((o, i) => ({ o, t: theirs[i]! }));
  if (pairs.length > 0) {
    const ratio = (f: (s: SteadySample) => number) => median(pairs.map(({ o, t }) => f(o) / f(t)));
    const both = (f: (s: SteadySample) => number, unit: (x: number) => string) =>
      `${unit(median(ours.map(f)))} vs ${unit(median(theirs.map(f)))}`;
    const cpu = (s: SteadySample) => s.cpuSecondsPerMinute;
    const cpuUnit = (x: number) => `${x.toFixed(3)} CPU-s/min`;
    const mibUnit = (x: number) => `${mib(x)} MiB`;
    const window = (s: SteadySample) => s.windowPeakRssBytes;
    const hwm = (s: SteadySample) => s.peakRssBytes;
    const n = `${pairs.length} pair${pairs.length > 1 ? 's' : ''}`;
    judge('5. CPU ≤ kubelet', both(cpu, cpuUnit), ratio(cpu) <= 1);
    judge(
      `5. idle CPU with ${steadyPods} pods ≤ ¼ kubelet's (${n})`,
      `${both(cpu, cpuUnit)}: ${ratio(cpu).toFixed(2)} of it`,
      ratio(cpu) <= 0.25,
    );
    judge('5. peak RSS in the window ≤ kubelet', both(window, mibUnit), ratio(window) <= 1);
    judge(
      `5. peak RSS in the window ≤ ¾ kubelet's (${n})`,
      `${both(window, mibUnit)}: ${ratio(window).toFixed(2)} of it`,
      ratio(window) <= 0.75,
    );
    judge('5. lifetime peak RSS (VmHWM) ≤ kubelet', both(hwm, mibUnit), ratio(hwm) <= 1);
    judge(
      `5. lifetime peak RSS (VmHWM) ≤ ¾ kubelet's (${n})`,
      `${both(hwm, mibUnit)}: ${ratio(hwm).toFixed(2)} of it`,
      ratio(hwm) <= 0.75,
    );
    const runtimeCpu = (s: SteadySample) => perMinute(s.runtimeCpuSeconds, s);
    const agentAndRuntime = (s: SteadySample) => cpu(s) + runtimeCpu(s);
    out.push(
      `| (no target) the runtime daemon's CPU beside the agent | ${both(runtimeCpu, cpuUnit)}: ${ratio(runtimeCpu).toFixed(2)} of it | |`,
      `| (no target) agent + runtime daemon CPU | ${both(agentAndRuntime, cpuUnit)}: ${ratio(agentAndRuntime).toFixed(2)} of it | |`,
    );
  }
  if (res.mirror) {
    const d = summarize(res.mirror.deleteToNewMirror).median;
    judge('6. new mirror ≤ 1 s after the delete', `${fmt(d)} ms`, d <= 1000);
  }
  return out.length > 4 ? out : [];
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
